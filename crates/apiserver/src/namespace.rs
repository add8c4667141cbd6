//! Namespace termination: once a namespace is marked for deletion, everything in
//! it is deleted, then the namespace itself.
//!
//! Upstream runs this in the controller manager's namespace controller through the
//! API; it lives here until the controllers crate exists, and uses the store only
//! through the same keys the handlers use. Objects with finalizers are marked for
//! deletion and waited for, as upstream does.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::codec;
use crate::handlers::{key, prefix};
use crate::server::State;

/// How often a namespace still holding objects with finalizers is checked again.
const RETRY: Duration = Duration::from_secs(2);

/// Starts emptying and then removing the namespace `name`.
pub fn finalize_in_background(state: Arc<State>, name: String) {
    tokio::spawn(async move {
        loop {
            match finalize(&state, &name).await {
                Ok(true) => return,
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(namespace = %name, %error, "namespace finalization failed; retrying")
                }
            }
            tokio::time::sleep(RETRY).await;
        }
    });
}

/// One pass: deletes what can be deleted. True once the namespace is gone.
async fn finalize(state: &State, name: &str) -> Result<bool, store::StoreError> {
    let mut seen = HashSet::new();
    let mut remaining = 0usize;
    for resource in api::resource::builtin().iter().filter(|r| r.namespaced) {
        let prefix = prefix(resource, name);
        if !seen.insert(prefix.clone()) {
            continue;
        }
        let (_, kvs) = crate::cache::list_all(state.store.as_ref(), &prefix).await?;
        for kv in kvs {
            let Ok(mut obj) = serde_json::from_slice::<Value>(&kv.value) else {
                continue;
            };
            let has_finalizers = obj
                .pointer("/metadata/finalizers")
                .and_then(Value::as_array)
                .is_some_and(|f| !f.is_empty());
            if !has_finalizers {
                match state.store.delete(&kv.key, Some(kv.mod_revision)).await {
                    Ok(_) | Err(store::StoreError::NotFound { .. }) => {}
                    Err(store::StoreError::Conflict { .. }) => remaining += 1,
                    Err(e) => return Err(e),
                }
                continue;
            }
            remaining += 1;
            if obj.pointer("/metadata/deletionTimestamp").is_none() {
                let meta = api::meta::metadata_mut(&mut obj);
                meta.insert("deletionTimestamp".into(), json!(crate::handlers::now()));
                meta.insert("deletionGracePeriodSeconds".into(), json!(0));
                let _ = state
                    .store
                    .update(&kv.key, codec::encode_stored(&obj), kv.mod_revision)
                    .await;
            }
        }
    }
    if remaining > 0 {
        return Ok(false);
    }
    let Some(namespaces) = api::resource::lookup("", "v1", "namespaces") else {
        return Ok(true);
    };
    match state.store.delete(&key(namespaces, "", name), None).await {
        Ok(_) | Err(store::StoreError::NotFound { .. }) => Ok(true),
        Err(e) => Err(e),
    }
}

/// Resumes the termination of namespaces that were being deleted when the server stopped.
pub async fn resume(state: &Arc<State>) -> Result<(), store::StoreError> {
    let Some(namespaces) = api::resource::lookup("", "v1", "namespaces") else {
        return Ok(());
    };
    let (_, kvs) = crate::cache::list_all(state.store.as_ref(), &prefix(namespaces, "")).await?;
    for kv in kvs {
        let Ok(obj) = serde_json::from_slice::<Value>(&kv.value) else {
            continue;
        };
        if obj.pointer("/metadata/deletionTimestamp").is_some() {
            finalize_in_background(state.clone(), api::meta::name(&obj).to_string());
        }
    }
    Ok(())
}
