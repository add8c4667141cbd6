//! CustomResourceDefinitions at run time: the resources of every stored CRD are
//! served (registered with `api::resource::custom`) as soon as the watch cache
//! sees the definition, and a deleted definition takes its objects with it.
//!
//! Upstream's apiextensions-apiserver does the same inside kube-apiserver (its
//! CRD handler and its finalizer controller, which deletes through the custom
//! resources' own storage); so does this module, with the store keys the
//! handlers use.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use crate::cache::WatchEventType;
use crate::codec;
use crate::server::State;

/// The finalizer that holds a deleted CRD until its objects are gone.
pub const CLEANUP_FINALIZER: &str = "customresourcecleanup.apiextensions.k8s.io";
/// How soon a failed cleanup is tried again.
const RETRY: Duration = Duration::from_secs(2);

fn definitions() -> Option<&'static api::ResourceInfo> {
    api::resource::lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
}

/// Registers the stored definitions, then follows their changes until the
/// cache stops.
pub async fn run(state: Arc<State>) {
    let Some(resource) = definitions() else {
        return;
    };
    let prefix = crate::handlers::prefix(resource, "");
    loop {
        let subscription = match state.cache.subscribe(&prefix, None) {
            Ok(subscription) => subscription,
            Err(_) => {
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        for event in &subscription.initial {
            observe(&state, &event.object.value);
        }
        let mut live = subscription.live;
        loop {
            match live.recv().await {
                Ok(event) if event.key.starts_with(&prefix) => match event.event_type {
                    WatchEventType::Deleted => {
                        if let Some(name) = event
                            .object
                            .value
                            .pointer("/metadata/name")
                            .and_then(Value::as_str)
                        {
                            api::resource::custom::unregister(name);
                        }
                    }
                    _ => observe(&state, &event.object.value),
                },
                Ok(_) => {}
                // Missed events: start again from the current content.
                Err(RecvError::Lagged(_)) => break,
                Err(RecvError::Closed) => return,
            }
        }
    }
}

/// After a write through the handlers: a definition is served at once, before
/// the watch cache passes it on, so that a client may use it right away.
pub fn written(ctx: &crate::handlers::Context, obj: &Value) {
    if ctx.resource.group == "apiextensions.k8s.io"
        && ctx.resource.kind == "CustomResourceDefinition"
    {
        observe(&ctx.state, obj);
    }
}

/// Serves a definition, and starts removing the objects of a deleted one.
pub fn observe(state: &Arc<State>, crd: &Value) {
    if let Err(error) = api::resource::custom::register(crd) {
        tracing::warn!(%error, "custom resource definition not served");
    }
    let deleting = crd.pointer("/metadata/deletionTimestamp").is_some();
    let holds = crd
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|f| f.iter().any(|f| f.as_str() == Some(CLEANUP_FINALIZER)));
    if deleting && holds {
        let name = api::meta::name(crd).to_string();
        if !cleaning().insert(name.clone()) {
            return;
        }
        let state = state.clone();
        tokio::spawn(async move {
            while let Err(error) = clean_up(&state, &name).await {
                tracing::warn!(crd = %name, %error, "custom resource cleanup failed; retrying");
                tokio::time::sleep(RETRY).await;
            }
            cleaning().remove(&name);
        });
    }
}

/// The definitions whose objects are being removed right now.
fn cleaning() -> std::sync::MutexGuard<'static, HashSet<String>> {
    static CLEANING: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    CLEANING
        .get_or_init(|| Mutex::new(HashSet::new()))
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Serves the definitions the watch cache holds (at start, before requests).
pub fn register_stored(state: &Arc<State>) {
    let Some(resource) = definitions() else {
        return;
    };
    let prefix = crate::handlers::prefix(resource, "");
    let (stored, _, _) = state.cache.list(&prefix, None, 0, |_| true);
    for crd in stored {
        observe(state, &crd.value);
    }
}

/// Deletes every object of the definition `name`, then releases it.
async fn clean_up(state: &State, name: &str) -> Result<(), store::StoreError> {
    let Some(resource) = definitions() else {
        return Ok(());
    };
    let key = crate::handlers::key(resource, "", name);
    let Some(kv) = state.store.get(&key, 0).await?.kv else {
        return Ok(());
    };
    let Ok(crd) = codec::decode_stored(&kv.value, kv.mod_revision) else {
        return Ok(());
    };
    let group = crd
        .pointer("/spec/group")
        .and_then(Value::as_str)
        .unwrap_or("");
    let plural = crd
        .pointer("/spec/names/plural")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !group.is_empty() && !plural.is_empty() {
        let objects = format!("/registry/{group}/{plural}/");
        let (_, kvs) = crate::cache::list_all(state.store.as_ref(), &objects).await?;
        for object in kvs {
            match state.store.delete(&object.key, None).await {
                Ok(_) | Err(store::StoreError::NotFound { .. }) => {}
                Err(error) => return Err(error),
            }
        }
    }
    // Release the definition: without finalizers left it goes.
    let mut released = crd;
    let finalizers: Vec<Value> = released
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|f| {
            f.iter()
                .filter(|f| f.as_str() != Some(CLEANUP_FINALIZER))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let result = if finalizers.is_empty() {
        state
            .store
            .delete(&key, Some(kv.mod_revision))
            .await
            .map(|_| ())
    } else {
        released["metadata"]["finalizers"] = json!(finalizers);
        state
            .store
            .update(&key, codec::encode_stored(&released), kv.mod_revision)
            .await
            .map(|_| ())
    };
    match result {
        Ok(()) | Err(store::StoreError::NotFound { .. }) => Ok(()),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_definitions_resource_is_served() {
        assert!(super::definitions().is_some());
    }
}
