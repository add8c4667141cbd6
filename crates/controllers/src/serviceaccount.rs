//! The service account controller: a `default` ServiceAccount in every
//! namespace, created when the namespace appears and again if it is deleted,
//! as upstream's `pkg/controller/serviceaccount` (ServiceAccountsController).

use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::api::{ObjectMeta, PostParams};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client};

use crate::queue::WorkQueue;
use crate::Error;

/// The account every namespace gets.
const NAME: &str = "default";
/// How soon a failed namespace is tried again.
const RETRY: Duration = Duration::from_secs(2);

/// Runs the controller until the watches end.
pub async fn run(client: Client) -> Result<(), Error> {
    let queue: WorkQueue<String> = WorkQueue::new();
    let (namespaces, writer) = reflector::store::<Namespace>();
    let worker = {
        let (queue, client, namespaces) = (queue.clone(), client.clone(), namespaces.clone());
        tokio::spawn(async move { work(client, queue, namespaces).await })
    };
    let namespace_events = watcher::watcher(
        Api::<Namespace>::all(client.clone()),
        watcher::Config::default(),
    )
    .default_backoff()
    .reflect(writer);
    let account_events = watcher::watcher(
        Api::<ServiceAccount>::all(client),
        watcher::Config::default().fields(&format!("metadata.name={NAME}")),
    )
    .default_backoff();
    let mut namespace_events = std::pin::pin!(namespace_events);
    let mut account_events = std::pin::pin!(account_events);
    loop {
        tokio::select! {
            Some(event) = namespace_events.next() => {
                if let Ok(watcher::Event::Apply(ns) | watcher::Event::InitApply(ns)) = event {
                    if let Some(name) = ns.metadata.name {
                        queue.add(name);
                    }
                }
            }
            Some(event) = account_events.next() => {
                if let Ok(watcher::Event::Delete(account)) = event {
                    if let Some(namespace) = account.metadata.namespace {
                        queue.add(namespace);
                    }
                }
            }
            else => break,
        }
    }
    worker.abort();
    Ok(())
}

async fn work(client: Client, queue: WorkQueue<String>, namespaces: Store<Namespace>) {
    let _ = namespaces.wait_until_ready().await;
    loop {
        let name = queue.next().await;
        let Some(namespace) = namespaces.get(&ObjectRef::new(&name)) else {
            continue;
        };
        // A terminating namespace gets nothing new (the API refuses it anyway).
        if namespace.metadata.deletion_timestamp.is_some() {
            continue;
        }
        if let Err(error) = ensure(&client, &name).await {
            tracing::debug!(namespace = %name, %error, "service account controller: retrying");
            queue.add_after(name, RETRY);
        }
    }
}

async fn ensure(client: &Client, namespace: &str) -> Result<(), Error> {
    let api: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
    if api.get_opt(NAME).await?.is_some() {
        return Ok(());
    }
    let account = ServiceAccount {
        metadata: ObjectMeta {
            name: Some(NAME.to_string()),
            namespace: Some(namespace.to_string()),
            ..ObjectMeta::default()
        },
        ..ServiceAccount::default()
    };
    match api.create(&PostParams::default(), &account).await {
        Ok(_) => Ok(()),
        // Created meanwhile, or the namespace began terminating.
        Err(kube::Error::Api(status)) if status.code == 409 || status.code == 403 => Ok(()),
        Err(error) => Err(error.into()),
    }
}
