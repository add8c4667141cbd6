//! ServiceAccount (upstream `plugin/pkg/admission/serviceaccount`): a pod
//! runs as `default` unless it names a service account; the account must
//! exist; unless the pod or the account turns automounting off, every
//! container and init container mounts the account's API credentials, read
//! only, at `/var/run/secrets/kubernetes.io/serviceaccount` from a projected
//! volume `kube-api-access-<5 random>` (a bound token expiring after 3607 s,
//! the cluster CA from `kube-root-ca.crt`, the namespace from the downward API).

use std::time::Duration;

use serde_json::{json, Value};

use super::{forbidden, lookup};
use crate::error::Result;
use crate::handlers::Context;

const DEFAULT_ACCOUNT: &str = "default";
const VOLUME_PREFIX: &str = "kube-api-access-";
const MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// Upstream's token lifetime for the projected volume: an hour and 7 seconds
/// (the 7 tell it apart from tokens requested otherwise).
const TOKEN_EXPIRATION_SECONDS: i64 = 3607;
/// How long a pod waits for its namespace's `default` account, which the
/// service account controller creates just after the namespace.
const DEFAULT_ACCOUNT_WAIT: Duration = Duration::from_secs(3);

pub async fn admit(ctx: &Context, pod: &mut Value) -> Result<()> {
    // Mirror pods of static pods are the kubelet's; they mount nothing.
    if pod
        .pointer("/metadata/annotations/kubernetes.io~1config.mirror")
        .is_some()
    {
        return Ok(());
    }
    let namespace = ctx.info.namespace.clone();
    let name = match pod
        .pointer("/spec/serviceAccountName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    {
        Some(name) => name.to_string(),
        None => {
            if let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) {
                spec.insert("serviceAccountName".into(), json!(DEFAULT_ACCOUNT));
            }
            DEFAULT_ACCOUNT.to_string()
        }
    };
    let mut account = lookup(ctx, "", "serviceaccounts", &namespace, &name).await?;
    if account.is_none() && name == DEFAULT_ACCOUNT {
        let deadline = tokio::time::Instant::now() + DEFAULT_ACCOUNT_WAIT;
        while account.is_none() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
            account = lookup(ctx, "", "serviceaccounts", &namespace, &name).await?;
        }
    }
    let Some(account) = account else {
        return Err(forbidden(
            ctx,
            pod,
            format!(
                "error looking up service account {namespace}/{name}: serviceaccount \"{name}\" not found"
            ),
        ));
    };
    // The deprecated field follows the name, as upstream's defaulting keeps them equal.
    if let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) {
        if spec
            .get("serviceAccount")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            spec.insert("serviceAccount".into(), json!(name));
        }
    }
    if should_automount(&account, pod) {
        mount_token(pod, &random_suffix());
    }
    // Image pull secrets come from the account when the pod has none.
    let pull_secrets = account.get("imagePullSecrets").and_then(Value::as_array);
    if let (Some(secrets), Some(spec)) = (
        pull_secrets.filter(|s| !s.is_empty()),
        pod.get_mut("spec").and_then(Value::as_object_mut),
    ) {
        if spec
            .get("imagePullSecrets")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
        {
            spec.insert("imagePullSecrets".into(), Value::Array(secrets.clone()));
        }
    }
    Ok(())
}

/// The pod's `automountServiceAccountToken` wins over the account's; both
/// default to true.
fn should_automount(account: &Value, pod: &Value) -> bool {
    if let Some(pod_says) = pod
        .pointer("/spec/automountServiceAccountToken")
        .and_then(Value::as_bool)
    {
        return pod_says;
    }
    account
        .get("automountServiceAccountToken")
        .and_then(Value::as_bool)
        .unwrap_or(true)
}

/// Five characters from upstream's name-generation alphabet.
fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    uuid::Uuid::new_v4().as_bytes()[..5]
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// Upstream's `mountServiceAccountToken`: containers without a mount at the
/// token path get one; the volume is added when some container needs it.
fn mount_token(pod: &mut Value, suffix: &str) {
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let existing_volume = spec
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .find(|name| name.starts_with(VOLUME_PREFIX))
        .map(String::from);
    let volume_name = existing_volume
        .clone()
        .unwrap_or_else(|| format!("{VOLUME_PREFIX}{suffix}"));
    let mount = json!({"name": volume_name, "readOnly": true, "mountPath": MOUNT_PATH});
    let mut needs_volume = false;
    for key in ["initContainers", "containers"] {
        for container in spec
            .get_mut(key)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            let Some(container) = container.as_object_mut() else {
                continue;
            };
            let mounts = container
                .entry("volumeMounts")
                .or_insert_with(|| Value::Array(Vec::new()));
            if !mounts.is_array() {
                *mounts = Value::Array(Vec::new());
            }
            let Some(mounts) = mounts.as_array_mut() else {
                continue;
            };
            let taken = mounts
                .iter()
                .any(|m| m.get("mountPath").and_then(Value::as_str) == Some(MOUNT_PATH));
            if !taken {
                mounts.push(mount.clone());
                needs_volume = true;
            }
        }
    }
    if existing_volume.is_none() && needs_volume {
        let volume = json!({
            "name": volume_name,
            "projected": {
                "sources": [
                    {"serviceAccountToken": {"expirationSeconds": TOKEN_EXPIRATION_SECONDS, "path": "token"}},
                    {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                    {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
                ],
                "defaultMode": 420,
            },
        });
        let volumes = spec
            .entry("volumes")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(volumes) = volumes.as_array_mut() {
            volumes.push(volume);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_the_projected_volume_everywhere() {
        let mut pod = json!({"spec": {
        "initContainers": [{"name": "init"}],
        "containers": [
            {"name": "a"},
            {"name": "b", "volumeMounts": [{"name": "own", "mountPath": MOUNT_PATH}]}
        ]}});
        mount_token(&mut pod, "abcde");
        let mount =
            json!({"name": "kube-api-access-abcde", "readOnly": true, "mountPath": MOUNT_PATH});
        assert_eq!(
            pod["spec"]["initContainers"][0]["volumeMounts"],
            json!([mount])
        );
        assert_eq!(pod["spec"]["containers"][0]["volumeMounts"], json!([mount]));
        assert_eq!(
            pod["spec"]["containers"][1]["volumeMounts"],
            json!([{"name": "own", "mountPath": MOUNT_PATH}])
        );
        let volume = &pod["spec"]["volumes"][0];
        assert_eq!(volume["name"], json!("kube-api-access-abcde"));
        assert_eq!(
            volume["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"],
            json!(3607)
        );
        assert_eq!(
            volume["projected"]["sources"][1]["configMap"]["name"],
            json!("kube-root-ca.crt")
        );
        assert_eq!(volume["projected"]["defaultMode"], json!(420));
    }

    #[test]
    fn automount_follows_pod_then_account() {
        let account = json!({"automountServiceAccountToken": false});
        assert!(!should_automount(&account, &json!({"spec": {}})));
        assert!(should_automount(
            &account,
            &json!({"spec": {"automountServiceAccountToken": true}})
        ));
        assert!(should_automount(&json!({}), &json!({"spec": {}})));
        assert_eq!(random_suffix().len(), 5);
    }
}
