//! ControllerRevisions, as upstream's `pkg/controller/history`: immutable
//! snapshots of a workload's pod template, named `<owner>-<hash>`, numbered
//! by `revision`, owned by the workload (a controller reference) and labelled
//! with its selector's labels and `controller-revision-hash`, so that kubectl
//! can list them for `rollout history` and patch one back for `rollout undo`.
//!
//! The data of a revision is what kubectl applies as a strategic merge patch
//! to roll back: `{"spec":{"template":{...,"$patch":"replace"}}}`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use kube::api::{DeleteParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::{json, Value};

use crate::informer::Informer;
use crate::Error;

/// The label that carries a revision's hash, on revisions and on pods.
pub const HASH_LABEL: &str = "controller-revision-hash";
/// Revisions kept beyond the live ones unless the workload says otherwise.
pub const DEFAULT_HISTORY_LIMIT: i32 = 10;

/// The alphabet of upstream's `rand.SafeEncodeString`.
pub(crate) const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// A JSON value without nulls and empty objects or lists, so that values that
/// Go's semantic equality deems equal compare (and hash) equal.
pub fn normalized(value: &Value) -> Value {
    fn prune(value: &Value) -> Option<Value> {
        match value {
            Value::Null => None,
            Value::Object(map) => {
                let map: serde_json::Map<String, Value> = map
                    .iter()
                    .filter_map(|(k, v)| prune(v).map(|v| (k.clone(), v)))
                    .collect();
                (!map.is_empty()).then_some(Value::Object(map))
            }
            Value::Array(items) => {
                let items: Vec<Value> = items
                    .iter()
                    .map(|v| prune(v).unwrap_or(Value::Object(Default::default())))
                    .collect();
                (!items.is_empty()).then_some(Value::Array(items))
            }
            other => Some(other.clone()),
        }
    }
    prune(value).unwrap_or(Value::Null)
}

/// JSON text with object keys sorted.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The hash of a revision's data and the owner's collision count (a count
/// of 0 is no count), as upstream's `HashControllerRevision` encodes it.
pub fn hash(data: &Value, collision_count: Option<i32>) -> String {
    fnv_hash(data, collision_count.filter(|c| *c != 0))
}

/// FNV-32a of the canonical JSON of `value` (normalized) and of the
/// collision count when given, printed in decimal, each digit mapped through
/// the safe alphabet: upstream's `ComputeHash` and `HashControllerRevision`.
pub(crate) fn fnv_hash(value: &Value, collision_count: Option<i32>) -> String {
    let mut text = String::new();
    canonical(&normalized(value), &mut text);
    let mut hash: u32 = 0x811c_9dc5;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u32::from(*byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    };
    feed(text.as_bytes());
    if let Some(count) = collision_count {
        feed(&(count as u32).to_le_bytes());
    }
    hash.to_string()
        .bytes()
        .map(|b| SAFE_ALPHABET[usize::from(b) % SAFE_ALPHABET.len()] as char)
        .collect()
}

/// `<prefix>-<hash>`, the prefix cut so that the name stays a valid one.
pub fn revision_name(prefix: &str, hash: &str) -> String {
    let prefix: String = prefix.chars().take(223).collect();
    format!("{prefix}-{hash}")
}

/// The data of a revision of a workload with this pod template.
pub fn template_patch(template: &PodTemplateSpec) -> Result<Value, Error> {
    let mut template = serde_json::to_value(template)?;
    if let Value::Object(map) = &mut template {
        map.insert("$patch".to_string(), json!("replace"));
    }
    Ok(json!({"spec": {"template": template}}))
}

/// The pod template a revision records.
pub fn template_of(revision: &ControllerRevision) -> Option<PodTemplateSpec> {
    let mut template = revision
        .data
        .as_ref()?
        .0
        .get("spec")?
        .get("template")?
        .clone();
    if let Value::Object(map) = &mut template {
        map.remove("$patch");
    }
    serde_json::from_value(template).ok()
}

/// Whether two revisions hold the same data.
pub fn equal_data(revision: &ControllerRevision, data: &Value) -> bool {
    revision
        .data
        .as_ref()
        .is_some_and(|d| normalized(&d.0) == normalized(data))
}

/// One more than the highest revision number (1 for none).
pub fn next_revision(revisions: &[Arc<ControllerRevision>]) -> i64 {
    revisions.iter().map(|r| r.revision).max().unwrap_or(0) + 1
}

/// The revisions to delete to keep `limit` of those no live thing uses: the
/// oldest unused first.
pub fn to_prune(
    revisions: &[Arc<ControllerRevision>],
    live: &BTreeSet<String>,
    limit: i32,
) -> Vec<Arc<ControllerRevision>> {
    let mut unused: Vec<&Arc<ControllerRevision>> = revisions
        .iter()
        .filter(|r| !live.contains(r.metadata.name.as_deref().unwrap_or_default()))
        .collect();
    unused.sort_by_key(|r| r.revision);
    let excess = unused.len().saturating_sub(limit.max(0) as usize);
    unused.into_iter().take(excess).cloned().collect()
}

/// Reads and writes the revisions of one kind of owner.
#[derive(Clone)]
pub struct History {
    client: Client,
    pub informer: Informer<ControllerRevision>,
}

impl History {
    /// Starts following every ControllerRevision.
    pub fn start(client: Client) -> History {
        let informer = Informer::new();
        tokio::spawn(informer.clone().run(Api::all(client.clone())));
        History { client, informer }
    }

    /// The revisions controlled by `owner_uid`, oldest revision first.
    pub fn owned(&self, owner_uid: &str) -> Vec<Arc<ControllerRevision>> {
        let mut revisions = self.informer.controlled_by(owner_uid);
        revisions.sort_by(|a, b| {
            a.revision
                .cmp(&b.revision)
                .then(a.metadata.name.cmp(&b.metadata.name))
        });
        revisions
    }

    /// Creates the revision `<prefix>-<hash>`; on a name taken by other data
    /// bumps `collision_count` and tries again, as upstream's
    /// `CreateControllerRevision`. An existing identical revision of the same
    /// owner is returned as is.
    #[allow(clippy::too_many_arguments)]
    pub async fn create(
        &self,
        namespace: &str,
        prefix: &str,
        owner: &OwnerReference,
        labels: BTreeMap<String, String>,
        data: &Value,
        revision: i64,
        collision_count: &mut i32,
    ) -> Result<ControllerRevision, Error> {
        let api: Api<ControllerRevision> = Api::namespaced(self.client.clone(), namespace);
        loop {
            let hash = hash(data, Some(*collision_count));
            let name = revision_name(prefix, &hash);
            let mut labels = labels.clone();
            labels.insert(HASH_LABEL.to_string(), hash);
            let object = ControllerRevision {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(namespace.to_string()),
                    labels: Some(labels),
                    owner_references: Some(vec![owner.clone()]),
                    ..ObjectMeta::default()
                },
                data: Some(RawExtension(data.clone())),
                revision,
            };
            match api.create(&PostParams::default(), &object).await {
                Ok(created) => return Ok(created),
                Err(kube::Error::Api(status)) if status.code == 409 => {
                    let existing = api.get(&name).await?;
                    let same_owner = existing
                        .metadata
                        .owner_references
                        .iter()
                        .flatten()
                        .any(|r| r.uid == owner.uid);
                    if same_owner && equal_data(&existing, data) {
                        return Ok(existing);
                    }
                    *collision_count += 1;
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// Gives an existing revision a new number (it became current again).
    pub async fn renumber(
        &self,
        revision: &ControllerRevision,
        number: i64,
    ) -> Result<ControllerRevision, Error> {
        let api: Api<ControllerRevision> = Api::namespaced(
            self.client.clone(),
            revision.metadata.namespace.as_deref().unwrap_or_default(),
        );
        let patch = json!({"revision": number});
        Ok(api
            .patch(
                revision.metadata.name.as_deref().unwrap_or_default(),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await?)
    }

    pub async fn delete(&self, revision: &ControllerRevision) -> Result<(), Error> {
        let api: Api<ControllerRevision> = Api::namespaced(
            self.client.clone(),
            revision.metadata.namespace.as_deref().unwrap_or_default(),
        );
        match api
            .delete(
                revision.metadata.name.as_deref().unwrap_or_default(),
                &DeleteParams::default(),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// The revision for `data` among `owned`, creating or renumbering it so
    /// that it is the newest; also returns whether it was already the newest.
    #[allow(clippy::too_many_arguments)]
    pub async fn ensure(
        &self,
        namespace: &str,
        prefix: &str,
        owner: &OwnerReference,
        labels: BTreeMap<String, String>,
        data: &Value,
        owned: &[Arc<ControllerRevision>],
        collision_count: &mut i32,
    ) -> Result<ControllerRevision, Error> {
        let next = next_revision(owned);
        let equal: Vec<&Arc<ControllerRevision>> =
            owned.iter().filter(|r| equal_data(r, data)).collect();
        if let Some(latest) = equal.iter().max_by_key(|r| r.revision) {
            if latest.revision == next - 1 {
                return Ok((***latest).clone());
            }
            return self.renumber(latest, next).await;
        }
        self.create(
            namespace,
            prefix,
            owner,
            labels,
            data,
            next,
            collision_count,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revision(name: &str, number: i64) -> Arc<ControllerRevision> {
        Arc::new(ControllerRevision {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                ..ObjectMeta::default()
            },
            data: None,
            revision: number,
        })
    }

    #[test]
    fn hash_ignores_key_order_and_empties_but_not_collisions() {
        let a = json!({"spec": {"template": {"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"x": {}}}}});
        let b = json!({"spec": {"template": {"metadata": {"labels": {"b": "2", "a": "1"}}}}});
        assert_eq!(hash(&a, None), hash(&b, None));
        assert_eq!(hash(&a, None), hash(&a, Some(0)));
        assert_ne!(hash(&a, None), hash(&a, Some(1)));
        let c = json!({"spec": {"template": {"metadata": {"labels": {"a": "1"}}}}});
        assert_ne!(hash(&a, None), hash(&c, None));
        assert!(hash(&a, None)
            .bytes()
            .all(|byte| SAFE_ALPHABET.contains(&byte)));
    }

    #[test]
    fn template_round_trips_through_the_patch() {
        let template: PodTemplateSpec = serde_json::from_value(json!({
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}
        }))
        .unwrap();
        let data = template_patch(&template).unwrap();
        assert_eq!(data["spec"]["template"]["$patch"], "replace");
        let rev = ControllerRevision {
            data: Some(RawExtension(data.clone())),
            ..ControllerRevision::default()
        };
        assert_eq!(template_of(&rev), Some(template));
        assert!(equal_data(&rev, &data));
    }

    #[test]
    fn numbering_and_pruning() {
        let revs = vec![revision("a", 1), revision("b", 2), revision("c", 5)];
        assert_eq!(next_revision(&revs), 6);
        assert_eq!(next_revision(&[]), 1);
        let live: BTreeSet<String> = ["c".to_string()].into();
        let pruned = to_prune(&revs, &live, 1);
        assert_eq!(pruned.len(), 1);
        assert_eq!(pruned[0].metadata.name.as_deref(), Some("a"));
        assert!(to_prune(&revs, &live, 10).is_empty());
        assert_eq!(revision_name("web", "abc"), "web-abc");
    }
}
