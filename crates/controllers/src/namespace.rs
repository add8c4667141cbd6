//! The namespace controller: empties a namespace being deleted, then releases
//! it, as upstream's namespace controller does.
//!
//! The API server marks a deleted namespace Terminating (it keeps the
//! `kubernetes` entry of `spec.finalizers`). This controller deletes every
//! namespaced object in it through the API, waits for objects held by
//! finalizers, reports progress in the namespace's status conditions, and at
//! last removes `kubernetes` through `namespaces/NAME/finalize`; the API server
//! then deletes the namespace.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, NamespaceCondition, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{DeleteParams, DynamicObject, ListParams, PostParams};
use kube::runtime::watcher;
use kube::{Api, Client};

use crate::discovery::ApiResources;
use crate::events::{EventType, Occurrence, Recorder};
use crate::queue::WorkQueue;
use crate::Error;

/// The finalizer of `spec.finalizers` this controller is responsible for.
const FINALIZER: &str = "kubernetes";
/// How soon a namespace that still holds objects is looked at again.
const RETRY: Duration = Duration::from_secs(2);

pub struct NamespaceController {
    client: Client,
    queue: WorkQueue<String>,
    events: Recorder,
}

/// What one pass over a namespace found.
#[derive(Debug, Default, PartialEq)]
struct Remaining {
    /// Objects left, by resource ("pods.: 2" as upstream words it).
    objects: Vec<(String, usize)>,
    /// Finalizers holding the objects left, with how many objects each holds.
    finalizers: Vec<(String, usize)>,
    /// Resources whose objects could not be deleted or listed.
    failures: Vec<String>,
}

impl Remaining {
    fn is_empty(&self) -> bool {
        self.objects.is_empty() && self.failures.is_empty()
    }
}

impl NamespaceController {
    pub fn new(client: Client) -> Arc<Self> {
        Arc::new(NamespaceController {
            events: Recorder::new(client.clone(), "namespace-controller"),
            client,
            queue: WorkQueue::new(),
        })
    }

    pub async fn run(self: Arc<Self>) -> Result<(), Error> {
        let worker = {
            let controller = self.clone();
            tokio::spawn(async move { controller.work().await })
        };
        let api: Api<Namespace> = Api::all(self.client.clone());
        let mut stream = std::pin::pin!(watcher::watcher(api, watcher::Config::default()));
        while let Some(event) = stream.next().await {
            match event {
                Ok(watcher::Event::Apply(ns) | watcher::Event::InitApply(ns)) => {
                    if ns.metadata.deletion_timestamp.is_some() {
                        if let Some(name) = ns.metadata.name {
                            self.queue.add(name);
                        }
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::debug!(%error, "namespace controller: watch failed; retrying");
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
        worker.abort();
        Ok(())
    }

    async fn work(self: Arc<Self>) {
        loop {
            let name = self.queue.next().await;
            match self.sync(&name).await {
                Ok(true) => {}
                Ok(false) => self.queue.add_after(name, RETRY),
                Err(error) => {
                    tracing::debug!(namespace = %name, %error, "namespace controller: retrying");
                    self.queue.add_after(name, RETRY);
                }
            }
        }
    }

    /// One pass over a namespace being deleted. True when nothing is left to do.
    async fn sync(&self, name: &str) -> Result<bool, Error> {
        let namespaces: Api<Namespace> = Api::all(self.client.clone());
        let Some(namespace) = namespaces.get_opt(name).await? else {
            return Ok(true);
        };
        if namespace.metadata.deletion_timestamp.is_none() {
            return Ok(true);
        }
        let finalizers = namespace
            .spec
            .as_ref()
            .and_then(|s| s.finalizers.clone())
            .unwrap_or_default();
        if !finalizers.iter().any(|f| f == FINALIZER) {
            return Ok(true);
        }
        let remaining = self.delete_content(name).await?;
        let changed = self
            .report(&namespaces, namespace.clone(), &remaining)
            .await?;
        if !remaining.is_empty() {
            if changed {
                self.record_remaining(&namespace, &remaining).await;
            }
            return Ok(false);
        }
        let mut finalized = namespace;
        if let Some(spec) = finalized.spec.as_mut() {
            spec.finalizers = Some(finalizers.into_iter().filter(|f| f != FINALIZER).collect());
        }
        match namespaces
            .replace_subresource("finalize", name, &PostParams::default(), &finalized)
            .await
        {
            Ok(_) => Ok(true),
            Err(error) => match Error::from(error) {
                e if e.status() == Some(404) => Ok(true),
                e => Err(e),
            },
        }
    }

    /// Deletes every namespaced object in the namespace; reports what is left.
    async fn delete_content(&self, namespace: &str) -> Result<Remaining, Error> {
        let resources = ApiResources::discover(&self.client).await?;
        let mut remaining = Remaining::default();
        for resource in resources.iter().filter(|r| r.namespaced) {
            if !resource.supports("list") || !resource.supports("delete") {
                continue;
            }
            let api: Api<DynamicObject> =
                Api::namespaced_with(self.client.clone(), namespace, &resource.api);
            let deleted = if resource.supports("deletecollection") {
                api.delete_collection(&DeleteParams::background(), &ListParams::default())
                    .await
                    .map(|_| ())
            } else {
                delete_each(&api).await
            };
            if let Err(error) = deleted {
                if !matches!(Error::from(error).status(), Some(404 | 405)) {
                    remaining.failures.push(resource.qualified());
                    continue;
                }
            }
            match api.list(&ListParams::default()).await {
                Ok(list) if list.items.is_empty() => {}
                Ok(list) => {
                    remaining
                        .objects
                        .push((resource.qualified(), list.items.len()));
                    for item in &list.items {
                        for finalizer in item.metadata.finalizers.iter().flatten() {
                            match remaining
                                .finalizers
                                .iter_mut()
                                .find(|(f, _)| f == finalizer)
                            {
                                Some((_, count)) => *count += 1,
                                None => remaining.finalizers.push((finalizer.clone(), 1)),
                            }
                        }
                    }
                }
                Err(_) => remaining.failures.push(resource.qualified()),
            }
        }
        Ok(remaining)
    }

    /// Tells, as an event on the namespace, why it is not gone yet.
    async fn record_remaining(&self, namespace: &Namespace, remaining: &Remaining) {
        let regarding = ObjectReference {
            api_version: Some("v1".into()),
            kind: Some("Namespace".into()),
            name: namespace.metadata.name.clone(),
            uid: namespace.metadata.uid.clone(),
            resource_version: namespace.metadata.resource_version.clone(),
            ..ObjectReference::default()
        };
        let occurrence = if remaining.failures.is_empty() {
            let finalizers = remaining
                .finalizers
                .iter()
                .map(|(f, n)| format!("{f} in {n} resource instances"))
                .collect::<Vec<_>>()
                .join(", ");
            Occurrence {
                type_: EventType::Normal,
                reason: "NamespaceContentRemaining",
                action: "Delete",
                note: if finalizers.is_empty() {
                    "waiting for the namespace's content to be deleted".to_string()
                } else {
                    format!("waiting for finalizers of the namespace's content: {finalizers}")
                },
            }
        } else {
            Occurrence {
                type_: EventType::Warning,
                reason: "NamespaceDeletionContentFailure",
                action: "Delete",
                note: format!(
                    "failed to delete all resource types: {}",
                    remaining.failures.join(", ")
                ),
            }
        };
        if let Err(error) = self.events.record(&regarding, occurrence).await {
            tracing::debug!(%error, "namespace controller: event not recorded");
        }
    }

    /// Writes the deletion conditions upstream reports on a Terminating
    /// namespace; true when they changed.
    async fn report(
        &self,
        namespaces: &Api<Namespace>,
        mut namespace: Namespace,
        remaining: &Remaining,
    ) -> Result<bool, Error> {
        let conditions = conditions(remaining);
        let status = namespace.status.get_or_insert_with(Default::default);
        let current = status.conditions.clone().unwrap_or_default();
        let unchanged = conditions.iter().all(|c| {
            current.iter().any(|o| {
                o.type_ == c.type_
                    && o.status == c.status
                    && o.reason == c.reason
                    && o.message == c.message
            })
        });
        if unchanged {
            return Ok(false);
        }
        let merged: Vec<NamespaceCondition> = conditions
            .into_iter()
            .map(|mut c| {
                if let Some(old) = current
                    .iter()
                    .find(|o| o.type_ == c.type_ && o.status == c.status)
                {
                    c.last_transition_time = old.last_transition_time.clone();
                }
                c
            })
            .collect();
        status.conditions = Some(merged);
        status.phase = Some("Terminating".into());
        let name = namespace.metadata.name.clone().unwrap_or_default();
        match namespaces
            .replace_status(&name, &PostParams::default(), &namespace)
            .await
        {
            Ok(_) => Ok(true),
            // Someone else changed it; the next pass reports again.
            Err(error) => match Error::from(error) {
                e if matches!(e.status(), Some(404 | 409)) => Ok(false),
                e => Err(e),
            },
        }
    }
}

/// Deletes the objects of a resource that has no deletecollection, one by one.
async fn delete_each(api: &Api<DynamicObject>) -> Result<(), kube::Error> {
    for item in api.list(&ListParams::default()).await?.items {
        if let Some(name) = &item.metadata.name {
            match api.delete(name, &DeleteParams::background()).await {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(error) => return Err(error),
            }
        }
    }
    Ok(())
}

/// Upstream's namespace deletion conditions for what a pass found.
fn conditions(remaining: &Remaining) -> Vec<NamespaceCondition> {
    let now = Time(k8s_openapi::jiff::Timestamp::now());
    let condition =
        |type_: &str, failed: bool, reason_bad: &str, reason_ok: &str, message: String| {
            NamespaceCondition {
                type_: type_.to_string(),
                status: if failed { "True" } else { "False" }.to_string(),
                reason: Some(if failed { reason_bad } else { reason_ok }.to_string()),
                message: if failed { Some(message) } else { None },
                last_transition_time: Some(now.clone()),
            }
        };
    let objects = remaining
        .objects
        .iter()
        .map(|(resource, count)| format!("{resource} has {count} resource instances"))
        .collect::<Vec<_>>()
        .join(", ");
    let finalizers = remaining
        .finalizers
        .iter()
        .map(|(finalizer, count)| format!("{finalizer} in {count} resource instances"))
        .collect::<Vec<_>>()
        .join(", ");
    let failures = remaining.failures.join(", ");
    vec![
        condition(
            "NamespaceDeletionDiscoveryFailure",
            false,
            "DiscoveryFailed",
            "ResourcesDiscovered",
            String::new(),
        ),
        condition(
            "NamespaceDeletionGroupVersionParsingFailure",
            false,
            "GroupVersionParsingFailed",
            "ParsedGroupVersions",
            String::new(),
        ),
        condition(
            "NamespaceDeletionContentFailure",
            !remaining.failures.is_empty(),
            "ContentDeletionFailed",
            "ContentDeleted",
            format!(
                "Failed to delete all resource types, {} remaining: {failures}",
                remaining.failures.len()
            ),
        ),
        condition(
            "NamespaceContentRemaining",
            !remaining.objects.is_empty(),
            "SomeResourcesRemain",
            "ContentRemoved",
            format!("Some resources are remaining: {objects}"),
        ),
        condition(
            "NamespaceFinalizersRemaining",
            !remaining.finalizers.is_empty(),
            "SomeFinalizersRemain",
            "ContentHasNoFinalizers",
            format!("Some content in the namespace has finalizers remaining: {finalizers}"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_say_what_remains() {
        let remaining = Remaining {
            objects: vec![("configmaps".into(), 2)],
            finalizers: vec![("example.com/hold".into(), 2)],
            failures: Vec::new(),
        };
        let conditions = conditions(&remaining);
        let content = conditions
            .iter()
            .find(|c| c.type_ == "NamespaceContentRemaining")
            .expect("content condition");
        assert_eq!(content.status, "True");
        assert_eq!(
            content.message.as_deref(),
            Some("Some resources are remaining: configmaps has 2 resource instances")
        );
        let finalizers = conditions
            .iter()
            .find(|c| c.type_ == "NamespaceFinalizersRemaining")
            .expect("finalizer condition");
        assert_eq!(
            finalizers.message.as_deref(),
            Some("Some content in the namespace has finalizers remaining: example.com/hold in 2 resource instances")
        );
        assert!(Remaining::default().is_empty());
        assert!(!remaining.is_empty());
    }
}
