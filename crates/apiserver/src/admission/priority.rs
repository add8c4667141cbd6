//! Priority (upstream `plugin/pkg/admission/priority`): a pod's
//! `priorityClassName` resolves to its `priority` and `preemptionPolicy`; with
//! no name, the `globalDefault` class applies (else priority 0); an unknown
//! class or a priority that contradicts the class is refused. At most one
//! class may be the global default. The system classes exist from the start,
//! as upstream's API server creates them.

use serde_json::{json, Value};

use super::{cached_list, forbidden, lookup};
use crate::codec;
use crate::error::Result;
use crate::handlers::Context;
use crate::server::State;

const GROUP: &str = "scheduling.k8s.io";
const PLURAL: &str = "priorityclasses";

/// Upstream's `SystemPriorityClasses`: name, value, description.
const SYSTEM_CLASSES: [(&str, i64, &str); 2] = [
    (
        "system-node-critical",
        2_000_001_000,
        "Used for system critical pods that must not be moved from their current node.",
    ),
    (
        "system-cluster-critical",
        2_000_000_000,
        "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
    ),
];

/// Creates the system priority classes that do not exist.
pub async fn ensure_system_classes(state: &State) -> std::result::Result<(), store::StoreError> {
    let Some(resource) = api::resource::lookup(GROUP, "v1", PLURAL) else {
        return Ok(());
    };
    for (name, value, description) in SYSTEM_CLASSES {
        let obj = json!({
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {
                "name": name,
                "uid": uuid::Uuid::new_v4().to_string(),
                "creationTimestamp": crate::handlers::now(),
            },
            "value": value,
            "globalDefault": false,
            "description": description,
            "preemptionPolicy": "PreemptLowerPriority",
        });
        let key = crate::handlers::key(resource, "", name);
        match state.store.create(&key, codec::encode_stored(&obj)).await {
            Ok(_) | Err(store::StoreError::AlreadyExists { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The global default class with the lowest value, as upstream picks one.
fn default_class(ctx: &Context) -> Option<Value> {
    cached_list(ctx, GROUP, PLURAL, "")
        .into_iter()
        .filter(|c| c.get("globalDefault").and_then(Value::as_bool) == Some(true))
        .min_by_key(|c| c.get("value").and_then(Value::as_i64).unwrap_or(0))
}

/// Resolves the pod's priority on create.
pub async fn admit_pod(ctx: &Context, pod: &mut Value) -> Result<()> {
    let class_name = pod
        .pointer("/spec/priorityClassName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let (name, priority, policy) = if class_name.is_empty() {
        match default_class(ctx) {
            Some(class) => (
                api::meta::name(&class).to_string(),
                class.get("value").and_then(Value::as_i64).unwrap_or(0),
                class
                    .get("preemptionPolicy")
                    .and_then(Value::as_str)
                    .map(String::from),
            ),
            None => (String::new(), 0, Some("PreemptLowerPriority".to_string())),
        }
    } else {
        let Some(class) = lookup(ctx, GROUP, PLURAL, "", &class_name).await? else {
            return Err(forbidden(
                ctx,
                pod,
                format!("no PriorityClass with name {class_name} was found"),
            ));
        };
        (
            class_name,
            class.get("value").and_then(Value::as_i64).unwrap_or(0),
            class
                .get("preemptionPolicy")
                .and_then(Value::as_str)
                .map(String::from),
        )
    };
    if let Some(given) = pod.pointer("/spec/priority").and_then(Value::as_i64) {
        if given != priority {
            return Err(forbidden(
                ctx,
                pod,
                format!("the integer value of priority ({given}) must not be provided in pod spec; priority admission controller computed {priority} from the given PriorityClass name"),
            ));
        }
    }
    if let Some(policy) = &policy {
        if let Some(given) = pod
            .pointer("/spec/preemptionPolicy")
            .and_then(Value::as_str)
        {
            if given != policy {
                return Err(forbidden(
                    ctx,
                    pod,
                    format!("the string value of PreemptionPolicy ({given}) must not be provided in pod spec; priority admission controller computed {policy} from the given PriorityClass name"),
                ));
            }
        }
    }
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    if !name.is_empty() {
        spec.insert("priorityClassName".into(), json!(name));
    }
    spec.insert("priority".into(), json!(priority));
    if let Some(policy) = policy {
        spec.insert("preemptionPolicy".into(), json!(policy));
    }
    Ok(())
}

/// A pod keeps the priority it was admitted with.
pub fn keep_on_update(new: &mut Value, old: &Value) {
    let Some(spec) = new.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    for field in ["priority", "preemptionPolicy"] {
        match old.pointer(&format!("/spec/{field}")) {
            Some(value) => {
                spec.insert(field.into(), value.clone());
            }
            None => {
                spec.remove(field);
            }
        }
    }
}

/// Only one class may be the global default.
pub fn admit_class(ctx: &Context, class: &Value, old: Option<&Value>) -> Result<()> {
    if class.get("globalDefault").and_then(Value::as_bool) != Some(true) {
        return Ok(());
    }
    let Some(existing) = default_class(ctx) else {
        return Ok(());
    };
    let existing_name = api::meta::name(&existing);
    if old.is_none() || existing_name != api::meta::name(class) {
        return Err(forbidden(
            ctx,
            class,
            format!("PriorityClass {existing_name} is already marked as default. Only one default can exist"),
        ));
    }
    Ok(())
}
