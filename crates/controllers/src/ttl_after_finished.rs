//! The TTL-after-finished controller: deletes a finished Job
//! `spec.ttlSecondsAfterFinished` seconds after it finished (its `Complete`
//! or `Failed` condition's transition time), with background propagation so
//! that the garbage collector deletes its pods, as upstream's
//! `pkg/controller/ttlafterfinished`.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, Preconditions, PropagationPolicy};
use kube::Api;

use crate::informer::{Informer, Informers, Notice};
use crate::job::finish_time;
use crate::queue::WorkQueue;
use crate::replicaset::{key_of, Key};
use crate::{Client, Error};

/// How soon a failed pass is retried.
const RETRY: Duration = Duration::from_secs(1);

/// Runs the controller until the process ends.
pub async fn run(client: Client, informers: Informers) -> Result<(), Error> {
    let _ = informers;
    let jobs: Informer<Job> = Informer::new();
    let queue: WorkQueue<Key> = WorkQueue::new();
    let mut notices = jobs.subscribe();
    let watch = jobs.clone().run(Api::all(client.clone()));
    let dispatch = {
        let queue = queue.clone();
        async move {
            while let Some(notice) = notices.recv().await {
                if let Notice::Applied { new, .. } = notice {
                    if needs_cleanup(&new) {
                        queue.add(key_of(&new.metadata));
                    }
                }
            }
        }
    };
    let worker = async {
        jobs.wait_synced().await;
        loop {
            let key = queue.next().await;
            let Some(job) = jobs.get(&key.0, &key.1) else {
                continue;
            };
            match process(&client, &job, Timestamp::now()).await {
                Ok(Some(after)) => queue.add_after(key, after),
                Ok(None) => {}
                Err(error) => {
                    tracing::debug!(namespace = %key.0, name = %key.1, %error, "ttl-after-finished controller: retrying");
                    queue.add_after(key, RETRY);
                }
            }
        }
    };
    tokio::select! {
        () = watch => Ok(()),
        () = dispatch => Ok(()),
        () = worker => Ok(()),
    }
}

/// A finished Job with a TTL, not yet being deleted.
fn needs_cleanup(job: &Job) -> bool {
    job.metadata.deletion_timestamp.is_none()
        && job
            .spec
            .as_ref()
            .is_some_and(|s| s.ttl_seconds_after_finished.is_some())
        && finish_time(job).is_some()
}

/// When the Job expires, if it has a TTL and finished.
pub fn expires_at(job: &Job) -> Option<Timestamp> {
    let ttl = job.spec.as_ref()?.ttl_seconds_after_finished?;
    let finished = finish_time(job)?;
    Timestamp::from_millisecond(
        finished
            .as_millisecond()
            .saturating_add(i64::from(ttl).saturating_mul(1000)),
    )
    .ok()
}

/// Deletes the Job if it expired; otherwise says when to look again.
async fn process(
    client: &Client,
    job: &Arc<Job>,
    now: Timestamp,
) -> Result<Option<Duration>, Error> {
    if !needs_cleanup(job) {
        return Ok(None);
    }
    let Some(expiry) = expires_at(job) else {
        return Ok(None);
    };
    let left = expiry.as_millisecond() - now.as_millisecond();
    if left > 0 {
        return Ok(Some(Duration::from_millis(left as u64)));
    }
    let namespace = job.metadata.namespace.clone().unwrap_or_default();
    let name = job.metadata.name.clone().unwrap_or_default();
    let api: Api<Job> = Api::namespaced(client.clone(), &namespace);
    // The cache may be stale (the TTL changed): check the Job as it is now.
    let Some(fresh) = api.get_opt(&name).await? else {
        return Ok(None);
    };
    if fresh.metadata.uid != job.metadata.uid || !needs_cleanup(&fresh) {
        return Ok(None);
    }
    if let Some(expiry) = expires_at(&fresh) {
        let left = expiry.as_millisecond() - Timestamp::now().as_millisecond();
        if left > 0 {
            return Ok(Some(Duration::from_millis(left as u64)));
        }
    }
    let params = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        preconditions: Some(Preconditions {
            uid: fresh.metadata.uid.clone(),
            resource_version: fresh.metadata.resource_version.clone(),
        }),
        ..DeleteParams::default()
    };
    match api.delete(&name, &params).await {
        Ok(_) => Ok(None),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(None),
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn job(ttl: Option<i32>, finished: Option<&str>) -> Job {
        serde_json::from_value(json!({
            "metadata": {"name": "j"},
            "spec": {"ttlSecondsAfterFinished": ttl, "template": {}},
            "status": {"conditions": finished.map(|at| vec![json!({
                "type": "Complete", "status": "True", "lastTransitionTime": at
            })])}
        }))
        .unwrap()
    }

    #[test]
    fn expiry_counts_from_the_finish() {
        let finished = job(Some(30), Some("2026-01-01T10:00:00Z"));
        assert!(needs_cleanup(&finished));
        assert_eq!(
            expires_at(&finished).map(|t| t.to_string()).as_deref(),
            Some("2026-01-01T10:00:30Z")
        );
        assert!(!needs_cleanup(&job(None, Some("2026-01-01T10:00:00Z"))));
        assert!(!needs_cleanup(&job(Some(30), None)));
        assert_eq!(expires_at(&job(Some(30), None)), None);
    }
}
