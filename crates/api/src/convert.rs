//! Conversion between versions of one resource that share storage.
//!
//! Covered: core/v1 Event <-> events.k8s.io/v1 Event (field renames as upstream),
//! and autoscaling/v2 <-> autoscaling/v1 HorizontalPodAutoscaler for the CPU
//! utilization target that v1 can express.

use serde_json::{json, Map, Value};

use crate::ResourceInfo;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot convert to {to}: {reason}")]
pub struct ConvertError {
    pub to: String,
    pub reason: String,
}

/// Converts `obj`, in any version served for `to`'s storage, into `to`'s version
/// (setting `apiVersion` and `kind`). Objects already in that version pass unchanged.
pub fn convert(obj: Value, to: &ResourceInfo) -> Result<Value, ConvertError> {
    let target = to.api_version();
    let from = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if from == target {
        return Ok(obj);
    }
    let Value::Object(mut map) = obj else {
        return Err(ConvertError {
            to: target,
            reason: "not an object".into(),
        });
    };
    match (from.as_str(), target.as_str()) {
        ("v1", "events.k8s.io/v1") => rename(&mut map, EVENT_RENAMES, false),
        ("events.k8s.io/v1", "v1") => rename(&mut map, EVENT_RENAMES, true),
        ("autoscaling/v2", "autoscaling/v1") => hpa_to_v1(&mut map),
        ("autoscaling/v1", "autoscaling/v2") => hpa_to_v2(&mut map),
        _ => {}
    }
    map.insert("apiVersion".into(), json!(target));
    map.insert("kind".into(), json!(to.kind));
    Ok(Value::Object(map))
}

/// core/v1 name -> events.k8s.io/v1 name.
const EVENT_RENAMES: &[(&str, &str)] = &[
    ("involvedObject", "regarding"),
    ("message", "note"),
    ("related", "related"),
    ("reportingComponent", "reportingController"),
    ("source", "deprecatedSource"),
    ("count", "deprecatedCount"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
];

fn rename(map: &mut Map<String, Value>, renames: &[(&str, &str)], reverse: bool) {
    for (core, events) in renames {
        let (from, to) = if reverse {
            (events, core)
        } else {
            (core, events)
        };
        if let Some(value) = map.remove(*from) {
            map.insert((*to).to_string(), value);
        }
    }
}

fn hpa_to_v1(map: &mut Map<String, Value>) {
    let Some(spec) = map.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let cpu = spec.remove("metrics").and_then(|metrics| {
        metrics.as_array()?.iter().find_map(|m| {
            let resource = m.get("resource")?;
            (resource.get("name")? == "cpu")
                .then(|| resource.pointer("/target/averageUtilization").cloned())
                .flatten()
        })
    });
    spec.remove("behavior");
    if let Some(cpu) = cpu {
        spec.insert("targetCPUUtilizationPercentage".into(), cpu);
    }
}

fn hpa_to_v2(map: &mut Map<String, Value>) {
    let Some(spec) = map.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(cpu) = spec.remove("targetCPUUtilizationPercentage") {
        spec.insert(
            "metrics".into(),
            json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu}}}]),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_and_hpas() {
        let events = crate::resource::lookup("events.k8s.io", "v1", "events").unwrap();
        let core = json!({"apiVersion": "v1", "kind": "Event", "message": "m", "involvedObject": {"name": "p"}});
        let converted = convert(core.clone(), events).unwrap();
        assert_eq!(
            (
                converted["note"].clone(),
                converted["regarding"]["name"].clone()
            ),
            (json!("m"), json!("p"))
        );
        let back = convert(
            converted,
            crate::resource::lookup("", "v1", "events").unwrap(),
        )
        .unwrap();
        assert_eq!(back, core);
        let v1 = crate::resource::lookup("autoscaling", "v1", "horizontalpodautoscalers").unwrap();
        let v2 = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "spec": {"metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}});
        assert_eq!(
            convert(v2, v1).unwrap()["spec"]["targetCPUUtilizationPercentage"],
            70
        );
    }
}
