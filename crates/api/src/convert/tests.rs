//! Tests of version conversion.

use serde_json::{json, Value};

use super::*;
use crate::resource::lookup;

fn to(group: &str, version: &str, plural: &str, obj: Value) -> Value {
    let resource = lookup(group, version, plural).expect("resource");
    convert(obj, resource).expect("converts")
}

#[test]
fn hpa_round_trip() {
    let v2 = json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "h", "namespace": "default"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"},
            "minReplicas": 1, "maxReplicas": 5,
            "metrics": [
                {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}},
                {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "10"}}}
            ]},
        "status": {"currentReplicas": 2, "desiredReplicas": 3,
            "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 40}}}],
            "conditions": [{"type": "AbleToScale", "status": "True"}]}
    });
    let v1 = to("autoscaling", "v1", "horizontalpodautoscalers", v2.clone());
    assert_eq!(v1["apiVersion"], "autoscaling/v1");
    assert_eq!(
        v1["spec"],
        json!({"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"},
        "minReplicas": 1, "maxReplicas": 5, "targetCPUUtilizationPercentage": 50})
    );
    assert_eq!(
        v1["status"],
        json!({"currentReplicas": 2, "desiredReplicas": 3, "currentCPUUtilizationPercentage": 40})
    );
    let annotations = &v1["metadata"]["annotations"];
    assert_eq!(
        annotations["autoscaling.alpha.kubernetes.io/metrics"],
        r#"[{"pods":{"metricName":"qps","targetAverageValue":"10"},"type":"Pods"}]"#
    );
    let back = to("autoscaling", "v2", "horizontalpodautoscalers", v1);
    assert_eq!(back, v2);
}

#[test]
fn hpa_v1_cpu_target() {
    let v2 = to(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 3, "targetCPUUtilizationPercentage": 70}}),
    );
    assert_eq!(
        v2["spec"]["metrics"],
        json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}])
    );
    assert_eq!(v2["metadata"], json!({"name": "h"}));
}

#[test]
fn event_round_trip() {
    let core = json!({
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "e", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "p"}, "message": "started", "reason": "Started",
        "source": {"component": "kubelet"}, "count": 2, "firstTimestamp": "2024-01-01T00:00:00Z",
        "lastTimestamp": "2024-01-01T00:01:00Z", "reportingComponent": "kubelet", "type": "Normal"
    });
    let events = to("events.k8s.io", "v1", "events", core.clone());
    assert_eq!(
        events,
        json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e", "namespace": "default"},
            "regarding": {"kind": "Pod", "name": "p"}, "note": "started", "reason": "Started",
            "deprecatedSource": {"component": "kubelet"}, "deprecatedCount": 2,
            "deprecatedFirstTimestamp": "2024-01-01T00:00:00Z", "deprecatedLastTimestamp": "2024-01-01T00:01:00Z",
            "reportingController": "kubelet", "type": "Normal"})
    );
    assert_eq!(to("", "v1", "events", events), core);
}

#[test]
fn same_version_passes_and_others_fail() {
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}});
    assert_eq!(to("", "v1", "pods", pod.clone()), pod);
    let resource = lookup("", "v1", "pods").expect("pods");
    assert_eq!(
        convert(json!({"apiVersion": "v2", "kind": "Pod"}), resource),
        Err(ConvertError {
            to: "v1".into(),
            reason: "no conversion from v2".into()
        })
    );
}
