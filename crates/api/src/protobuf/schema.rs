//! The protobuf schema of the built-in kinds: generated, do not edit.
//!
//! Made by `crates/api/tools/gen_protobuf_schema.py` (see its header for how to
//! run it) from k8s-pb 0.9.0, k8s-openapi 0.29.0 (v1_33) and the Go types of kubernetes/api and
//! kubernetes/apimachinery v0.35.0.

use super::{Field, Kind::*, Label::*, Message, Special};

const P: u8 = super::POINTER;
const R: u8 = super::REQUIRED;
const I: u8 = super::INLINE;

const fn f(tag: u32, json: &'static str, kind: super::Kind, label: super::Label, flags: u8) -> Field {
    Field { tag, json, kind, label, flags }
}

/// Every message, sorted by full name; `Kind::Message` holds an index in here.
pub(super) static MESSAGES: &[Message] = &[
    // 0
    Message { name: "k8s.io.api.apps.v1.ControllerRevision", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "data", Message(463), Single, 0),
        f(3, "revision", Int64, Single, R),
    ] },
    // 1
    Message { name: "k8s.io.api.apps.v1.ControllerRevisionList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(0), Repeated, R),
    ] },
    // 2
    Message { name: "k8s.io.api.apps.v1.DaemonSet", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(5), Single, 0),
        f(3, "status", Message(6), Single, 0),
    ] },
    // 3
    Message { name: "k8s.io.api.apps.v1.DaemonSetCondition", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "status", Str, Single, R),
        f(3, "lastTransitionTime", Message(457), Single, 0),
        f(4, "reason", Str, Single, 0),
        f(5, "message", Str, Single, 0),
    ] },
    // 4
    Message { name: "k8s.io.api.apps.v1.DaemonSetList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(2), Repeated, R),
    ] },
    // 5
    Message { name: "k8s.io.api.apps.v1.DaemonSetSpec", special: Special::None, fields: &[
        f(1, "selector", Message(438), Single, P|R),
        f(2, "template", Message(256), Single, R),
        f(3, "updateStrategy", Message(7), Single, 0),
        f(4, "minReadySeconds", Int32, Single, 0),
        f(6, "revisionHistoryLimit", Int32, Single, P),
    ] },
    // 6
    Message { name: "k8s.io.api.apps.v1.DaemonSetStatus", special: Special::None, fields: &[
        f(1, "currentNumberScheduled", Int32, Single, R),
        f(2, "numberMisscheduled", Int32, Single, R),
        f(3, "desiredNumberScheduled", Int32, Single, R),
        f(4, "numberReady", Int32, Single, R),
        f(5, "observedGeneration", Int64, Single, 0),
        f(6, "updatedNumberScheduled", Int32, Single, 0),
        f(7, "numberAvailable", Int32, Single, 0),
        f(8, "numberUnavailable", Int32, Single, 0),
        f(9, "collisionCount", Int32, Single, P),
        f(10, "conditions", Message(3), Repeated, 0),
    ] },
    // 7
    Message { name: "k8s.io.api.apps.v1.DaemonSetUpdateStrategy", special: Special::None, fields: &[
        f(1, "type", Str, Single, 0),
        f(2, "rollingUpdate", Message(19), Single, P),
    ] },
    // 8
    Message { name: "k8s.io.api.apps.v1.Deployment", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(11), Single, 0),
        f(3, "status", Message(12), Single, 0),
    ] },
    // 9
    Message { name: "k8s.io.api.apps.v1.DeploymentCondition", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "status", Str, Single, R),
        f(4, "reason", Str, Single, 0),
        f(5, "message", Str, Single, 0),
        f(6, "lastUpdateTime", Message(457), Single, 0),
        f(7, "lastTransitionTime", Message(457), Single, 0),
    ] },
    // 10
    Message { name: "k8s.io.api.apps.v1.DeploymentList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(8), Repeated, R),
    ] },
    // 11
    Message { name: "k8s.io.api.apps.v1.DeploymentSpec", special: Special::None, fields: &[
        f(1, "replicas", Int32, Single, P),
        f(2, "selector", Message(438), Single, P|R),
        f(3, "template", Message(256), Single, R),
        f(4, "strategy", Message(13), Single, 0),
        f(5, "minReadySeconds", Int32, Single, 0),
        f(6, "revisionHistoryLimit", Int32, Single, P),
        f(7, "paused", Bool, Single, 0),
        f(9, "progressDeadlineSeconds", Int32, Single, P),
    ] },
    // 12
    Message { name: "k8s.io.api.apps.v1.DeploymentStatus", special: Special::None, fields: &[
        f(1, "observedGeneration", Int64, Single, 0),
        f(2, "replicas", Int32, Single, 0),
        f(3, "updatedReplicas", Int32, Single, 0),
        f(4, "availableReplicas", Int32, Single, 0),
        f(5, "unavailableReplicas", Int32, Single, 0),
        f(6, "conditions", Message(9), Repeated, 0),
        f(7, "readyReplicas", Int32, Single, 0),
        f(8, "collisionCount", Int32, Single, P),
        f(9, "terminatingReplicas", Int32, Single, P),
    ] },
    // 13
    Message { name: "k8s.io.api.apps.v1.DeploymentStrategy", special: Special::None, fields: &[
        f(1, "type", Str, Single, 0),
        f(2, "rollingUpdate", Message(20), Single, P),
    ] },
    // 14
    Message { name: "k8s.io.api.apps.v1.ReplicaSet", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(17), Single, 0),
        f(3, "status", Message(18), Single, 0),
    ] },
    // 15
    Message { name: "k8s.io.api.apps.v1.ReplicaSetCondition", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "status", Str, Single, R),
        f(3, "lastTransitionTime", Message(457), Single, 0),
        f(4, "reason", Str, Single, 0),
        f(5, "message", Str, Single, 0),
    ] },
    // 16
    Message { name: "k8s.io.api.apps.v1.ReplicaSetList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(14), Repeated, R),
    ] },
    // 17
    Message { name: "k8s.io.api.apps.v1.ReplicaSetSpec", special: Special::None, fields: &[
        f(1, "replicas", Int32, Single, P),
        f(2, "selector", Message(438), Single, P|R),
        f(3, "template", Message(256), Single, 0),
        f(4, "minReadySeconds", Int32, Single, 0),
    ] },
    // 18
    Message { name: "k8s.io.api.apps.v1.ReplicaSetStatus", special: Special::None, fields: &[
        f(1, "replicas", Int32, Single, R),
        f(2, "fullyLabeledReplicas", Int32, Single, 0),
        f(3, "observedGeneration", Int64, Single, 0),
        f(4, "readyReplicas", Int32, Single, 0),
        f(5, "availableReplicas", Int32, Single, 0),
        f(6, "conditions", Message(15), Repeated, 0),
        f(7, "terminatingReplicas", Int32, Single, P),
    ] },
    // 19
    Message { name: "k8s.io.api.apps.v1.RollingUpdateDaemonSet", special: Special::None, fields: &[
        f(1, "maxUnavailable", Message(464), Single, P),
        f(2, "maxSurge", Message(464), Single, P),
    ] },
    // 20
    Message { name: "k8s.io.api.apps.v1.RollingUpdateDeployment", special: Special::None, fields: &[
        f(1, "maxUnavailable", Message(464), Single, P),
        f(2, "maxSurge", Message(464), Single, P),
    ] },
    // 21
    Message { name: "k8s.io.api.apps.v1.RollingUpdateStatefulSetStrategy", special: Special::None, fields: &[
        f(1, "partition", Int32, Single, P),
        f(2, "maxUnavailable", Message(464), Single, P),
    ] },
    // 22
    Message { name: "k8s.io.api.apps.v1.StatefulSet", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(27), Single, 0),
        f(3, "status", Message(28), Single, 0),
    ] },
    // 23
    Message { name: "k8s.io.api.apps.v1.StatefulSetCondition", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "status", Str, Single, R),
        f(3, "lastTransitionTime", Message(457), Single, 0),
        f(4, "reason", Str, Single, 0),
        f(5, "message", Str, Single, 0),
    ] },
    // 24
    Message { name: "k8s.io.api.apps.v1.StatefulSetList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(22), Repeated, R),
    ] },
    // 25
    Message { name: "k8s.io.api.apps.v1.StatefulSetOrdinals", special: Special::None, fields: &[
        f(1, "start", Int32, Single, R),
    ] },
    // 26
    Message { name: "k8s.io.api.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicy", special: Special::None, fields: &[
        f(1, "whenDeleted", Str, Single, 0),
        f(2, "whenScaled", Str, Single, 0),
    ] },
    // 27
    Message { name: "k8s.io.api.apps.v1.StatefulSetSpec", special: Special::None, fields: &[
        f(1, "replicas", Int32, Single, P),
        f(2, "selector", Message(438), Single, P|R),
        f(3, "template", Message(256), Single, R),
        f(4, "volumeClaimTemplates", Message(216), Repeated, 0),
        f(5, "serviceName", Str, Single, R),
        f(6, "podManagementPolicy", Str, Single, 0),
        f(7, "updateStrategy", Message(29), Single, 0),
        f(8, "revisionHistoryLimit", Int32, Single, P),
        f(9, "minReadySeconds", Int32, Single, 0),
        f(10, "persistentVolumeClaimRetentionPolicy", Message(26), Single, P),
        f(11, "ordinals", Message(25), Single, P),
    ] },
    // 28
    Message { name: "k8s.io.api.apps.v1.StatefulSetStatus", special: Special::None, fields: &[
        f(1, "observedGeneration", Int64, Single, 0),
        f(2, "replicas", Int32, Single, R),
        f(3, "readyReplicas", Int32, Single, 0),
        f(4, "currentReplicas", Int32, Single, 0),
        f(5, "updatedReplicas", Int32, Single, 0),
        f(6, "currentRevision", Str, Single, 0),
        f(7, "updateRevision", Str, Single, 0),
        f(9, "collisionCount", Int32, Single, P),
        f(10, "conditions", Message(23), Repeated, 0),
        f(11, "availableReplicas", Int32, Single, R),
    ] },
    // 29
    Message { name: "k8s.io.api.apps.v1.StatefulSetUpdateStrategy", special: Special::None, fields: &[
        f(1, "type", Str, Single, 0),
        f(2, "rollingUpdate", Message(21), Single, P),
    ] },
    // 30
    Message { name: "k8s.io.api.autoscaling.v1.ContainerResourceMetricSource", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "targetAverageUtilization", Int32, Single, P),
        f(3, "targetAverageValue", Message(418), Single, P),
        f(5, "container", Str, Single, R),
    ] },
    // 31
    Message { name: "k8s.io.api.autoscaling.v1.ContainerResourceMetricStatus", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "currentAverageUtilization", Int32, Single, P),
        f(3, "currentAverageValue", Message(418), Single, R),
        f(4, "container", Str, Single, R),
    ] },
    // 32
    Message { name: "k8s.io.api.autoscaling.v1.CrossVersionObjectReference", special: Special::None, fields: &[
        f(1, "kind", Str, Single, R),
        f(2, "name", Str, Single, R),
        f(3, "apiVersion", Str, Single, 0),
    ] },
    // 33
    Message { name: "k8s.io.api.autoscaling.v1.ExternalMetricSource", special: Special::None, fields: &[
        f(1, "metricName", Str, Single, R),
        f(2, "metricSelector", Message(438), Single, P),
        f(3, "targetValue", Message(418), Single, P),
        f(4, "targetAverageValue", Message(418), Single, P),
    ] },
    // 34
    Message { name: "k8s.io.api.autoscaling.v1.ExternalMetricStatus", special: Special::None, fields: &[
        f(1, "metricName", Str, Single, R),
        f(2, "metricSelector", Message(438), Single, P),
        f(3, "currentValue", Message(418), Single, R),
        f(4, "currentAverageValue", Message(418), Single, P),
    ] },
    // 35
    Message { name: "k8s.io.api.autoscaling.v1.HorizontalPodAutoscaler", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(38), Single, 0),
        f(3, "status", Message(39), Single, 0),
    ] },
    // 36
    Message { name: "k8s.io.api.autoscaling.v1.HorizontalPodAutoscalerCondition", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "status", Str, Single, R),
        f(3, "lastTransitionTime", Message(457), Single, 0),
        f(4, "reason", Str, Single, 0),
        f(5, "message", Str, Single, 0),
    ] },
    // 37
    Message { name: "k8s.io.api.autoscaling.v1.HorizontalPodAutoscalerList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(35), Repeated, R),
    ] },
    // 38
    Message { name: "k8s.io.api.autoscaling.v1.HorizontalPodAutoscalerSpec", special: Special::None, fields: &[
        f(1, "scaleTargetRef", Message(32), Single, R),
        f(2, "minReplicas", Int32, Single, P),
        f(3, "maxReplicas", Int32, Single, R),
        f(4, "targetCPUUtilizationPercentage", Int32, Single, P),
    ] },
    // 39
    Message { name: "k8s.io.api.autoscaling.v1.HorizontalPodAutoscalerStatus", special: Special::None, fields: &[
        f(1, "observedGeneration", Int64, Single, P),
        f(2, "lastScaleTime", Message(457), Single, P),
        f(3, "currentReplicas", Int32, Single, R),
        f(4, "desiredReplicas", Int32, Single, R),
        f(5, "currentCPUUtilizationPercentage", Int32, Single, P),
    ] },
    // 40
    Message { name: "k8s.io.api.autoscaling.v1.MetricSpec", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "object", Message(42), Single, P),
        f(3, "pods", Message(44), Single, P),
        f(4, "resource", Message(46), Single, P),
        f(5, "external", Message(33), Single, P),
        f(7, "containerResource", Message(30), Single, P),
    ] },
    // 41
    Message { name: "k8s.io.api.autoscaling.v1.MetricStatus", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "object", Message(43), Single, P),
        f(3, "pods", Message(45), Single, P),
        f(4, "resource", Message(47), Single, P),
        f(5, "external", Message(34), Single, P),
        f(7, "containerResource", Message(31), Single, P),
    ] },
    // 42
    Message { name: "k8s.io.api.autoscaling.v1.ObjectMetricSource", special: Special::None, fields: &[
        f(1, "target", Message(32), Single, R),
        f(2, "metricName", Str, Single, R),
        f(3, "targetValue", Message(418), Single, R),
        f(4, "selector", Message(438), Single, P),
        f(5, "averageValue", Message(418), Single, P),
    ] },
    // 43
    Message { name: "k8s.io.api.autoscaling.v1.ObjectMetricStatus", special: Special::None, fields: &[
        f(1, "target", Message(32), Single, R),
        f(2, "metricName", Str, Single, R),
        f(3, "currentValue", Message(418), Single, R),
        f(4, "selector", Message(438), Single, P),
        f(5, "averageValue", Message(418), Single, P),
    ] },
    // 44
    Message { name: "k8s.io.api.autoscaling.v1.PodsMetricSource", special: Special::None, fields: &[
        f(1, "metricName", Str, Single, R),
        f(2, "targetAverageValue", Message(418), Single, R),
        f(3, "selector", Message(438), Single, P),
    ] },
    // 45
    Message { name: "k8s.io.api.autoscaling.v1.PodsMetricStatus", special: Special::None, fields: &[
        f(1, "metricName", Str, Single, R),
        f(2, "currentAverageValue", Message(418), Single, R),
        f(3, "selector", Message(438), Single, P),
    ] },
    // 46
    Message { name: "k8s.io.api.autoscaling.v1.ResourceMetricSource", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "targetAverageUtilization", Int32, Single, P),
        f(3, "targetAverageValue", Message(418), Single, P),
    ] },
    // 47
    Message { name: "k8s.io.api.autoscaling.v1.ResourceMetricStatus", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "currentAverageUtilization", Int32, Single, P),
        f(3, "currentAverageValue", Message(418), Single, R),
    ] },
    // 48
    Message { name: "k8s.io.api.autoscaling.v1.Scale", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(49), Single, 0),
        f(3, "status", Message(50), Single, 0),
    ] },
    // 49
    Message { name: "k8s.io.api.autoscaling.v1.ScaleSpec", special: Special::None, fields: &[
        f(1, "replicas", Int32, Single, 0),
    ] },
    // 50
    Message { name: "k8s.io.api.autoscaling.v1.ScaleStatus", special: Special::None, fields: &[
        f(1, "replicas", Int32, Single, R),
        f(2, "selector", Str, Single, 0),
    ] },
    // 51
    Message { name: "k8s.io.api.autoscaling.v2.ContainerResourceMetricSource", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "target", Message(67), Single, R),
        f(3, "container", Str, Single, R),
    ] },
    // 52
    Message { name: "k8s.io.api.autoscaling.v2.ContainerResourceMetricStatus", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "current", Message(68), Single, R),
        f(3, "container", Str, Single, R),
    ] },
    // 53
    Message { name: "k8s.io.api.autoscaling.v2.CrossVersionObjectReference", special: Special::None, fields: &[
        f(1, "kind", Str, Single, R),
        f(2, "name", Str, Single, R),
        f(3, "apiVersion", Str, Single, 0),
    ] },
    // 54
    Message { name: "k8s.io.api.autoscaling.v2.ExternalMetricSource", special: Special::None, fields: &[
        f(1, "metric", Message(64), Single, R),
        f(2, "target", Message(67), Single, R),
    ] },
    // 55
    Message { name: "k8s.io.api.autoscaling.v2.ExternalMetricStatus", special: Special::None, fields: &[
        f(1, "metric", Message(64), Single, R),
        f(2, "current", Message(68), Single, R),
    ] },
    // 56
    Message { name: "k8s.io.api.autoscaling.v2.HorizontalPodAutoscaler", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(60), Single, 0),
        f(3, "status", Message(61), Single, 0),
    ] },
    // 57
    Message { name: "k8s.io.api.autoscaling.v2.HorizontalPodAutoscalerBehavior", special: Special::None, fields: &[
        f(1, "scaleUp", Message(63), Single, P),
        f(2, "scaleDown", Message(63), Single, P),
    ] },
    // 58
    Message { name: "k8s.io.api.autoscaling.v2.HorizontalPodAutoscalerCondition", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "status", Str, Single, R),
        f(3, "lastTransitionTime", Message(457), Single, 0),
        f(4, "reason", Str, Single, 0),
        f(5, "message", Str, Single, 0),
    ] },
    // 59
    Message { name: "k8s.io.api.autoscaling.v2.HorizontalPodAutoscalerList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(56), Repeated, R),
    ] },
    // 60
    Message { name: "k8s.io.api.autoscaling.v2.HorizontalPodAutoscalerSpec", special: Special::None, fields: &[
        f(1, "scaleTargetRef", Message(53), Single, R),
        f(2, "minReplicas", Int32, Single, P),
        f(3, "maxReplicas", Int32, Single, R),
        f(4, "metrics", Message(65), Repeated, 0),
        f(5, "behavior", Message(57), Single, P),
    ] },
    // 61
    Message { name: "k8s.io.api.autoscaling.v2.HorizontalPodAutoscalerStatus", special: Special::None, fields: &[
        f(1, "observedGeneration", Int64, Single, P),
        f(2, "lastScaleTime", Message(457), Single, P),
        f(3, "currentReplicas", Int32, Single, 0),
        f(4, "desiredReplicas", Int32, Single, R),
        f(5, "currentMetrics", Message(66), Repeated, R),
        f(6, "conditions", Message(58), Repeated, 0),
    ] },
    // 62
    Message { name: "k8s.io.api.autoscaling.v2.HpaScalingPolicy", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "value", Int32, Single, R),
        f(3, "periodSeconds", Int32, Single, R),
    ] },
    // 63
    Message { name: "k8s.io.api.autoscaling.v2.HpaScalingRules", special: Special::None, fields: &[
        f(1, "selectPolicy", Str, Single, P),
        f(2, "policies", Message(62), Repeated, 0),
        f(3, "stabilizationWindowSeconds", Int32, Single, P),
        f(4, "tolerance", Message(418), Single, P),
    ] },
    // 64
    Message { name: "k8s.io.api.autoscaling.v2.MetricIdentifier", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "selector", Message(438), Single, P),
    ] },
    // 65
    Message { name: "k8s.io.api.autoscaling.v2.MetricSpec", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "object", Message(69), Single, P),
        f(3, "pods", Message(71), Single, P),
        f(4, "resource", Message(73), Single, P),
        f(5, "external", Message(54), Single, P),
        f(7, "containerResource", Message(51), Single, P),
    ] },
    // 66
    Message { name: "k8s.io.api.autoscaling.v2.MetricStatus", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "object", Message(70), Single, P),
        f(3, "pods", Message(72), Single, P),
        f(4, "resource", Message(74), Single, P),
        f(5, "external", Message(55), Single, P),
        f(7, "containerResource", Message(52), Single, P),
    ] },
    // 67
    Message { name: "k8s.io.api.autoscaling.v2.MetricTarget", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "value", Message(418), Single, P),
        f(3, "averageValue", Message(418), Single, P),
        f(4, "averageUtilization", Int32, Single, P),
    ] },
    // 68
    Message { name: "k8s.io.api.autoscaling.v2.MetricValueStatus", special: Special::None, fields: &[
        f(1, "value", Message(418), Single, P),
        f(2, "averageValue", Message(418), Single, P),
        f(3, "averageUtilization", Int32, Single, P),
    ] },
    // 69
    Message { name: "k8s.io.api.autoscaling.v2.ObjectMetricSource", special: Special::None, fields: &[
        f(1, "describedObject", Message(53), Single, R),
        f(2, "target", Message(67), Single, R),
        f(3, "metric", Message(64), Single, R),
    ] },
    // 70
    Message { name: "k8s.io.api.autoscaling.v2.ObjectMetricStatus", special: Special::None, fields: &[
        f(1, "metric", Message(64), Single, R),
        f(2, "current", Message(68), Single, R),
        f(3, "describedObject", Message(53), Single, R),
    ] },
    // 71
    Message { name: "k8s.io.api.autoscaling.v2.PodsMetricSource", special: Special::None, fields: &[
        f(1, "metric", Message(64), Single, R),
        f(2, "target", Message(67), Single, R),
    ] },
    // 72
    Message { name: "k8s.io.api.autoscaling.v2.PodsMetricStatus", special: Special::None, fields: &[
        f(1, "metric", Message(64), Single, R),
        f(2, "current", Message(68), Single, R),
    ] },
    // 73
    Message { name: "k8s.io.api.autoscaling.v2.ResourceMetricSource", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "target", Message(67), Single, R),
    ] },
    // 74
    Message { name: "k8s.io.api.autoscaling.v2.ResourceMetricStatus", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "current", Message(68), Single, R),
    ] },
    // 75
    Message { name: "k8s.io.api.batch.v1.CronJob", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(77), Single, 0),
        f(3, "status", Message(78), Single, 0),
    ] },
    // 76
    Message { name: "k8s.io.api.batch.v1.CronJobList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(75), Repeated, R),
    ] },
    // 77
    Message { name: "k8s.io.api.batch.v1.CronJobSpec", special: Special::None, fields: &[
        f(1, "schedule", Str, Single, R),
        f(2, "startingDeadlineSeconds", Int64, Single, P),
        f(3, "concurrencyPolicy", Str, Single, 0),
        f(4, "suspend", Bool, Single, P),
        f(5, "jobTemplate", Message(84), Single, R),
        f(6, "successfulJobsHistoryLimit", Int32, Single, P),
        f(7, "failedJobsHistoryLimit", Int32, Single, P),
        f(8, "timeZone", Str, Single, P),
    ] },
    // 78
    Message { name: "k8s.io.api.batch.v1.CronJobStatus", special: Special::None, fields: &[
        f(1, "active", Message(214), Repeated, 0),
        f(4, "lastScheduleTime", Message(457), Single, P),
        f(5, "lastSuccessfulTime", Message(457), Single, P),
    ] },
    // 79
    Message { name: "k8s.io.api.batch.v1.Job", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(82), Single, 0),
        f(3, "status", Message(83), Single, 0),
    ] },
    // 80
    Message { name: "k8s.io.api.batch.v1.JobCondition", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "status", Str, Single, R),
        f(3, "lastProbeTime", Message(457), Single, 0),
        f(4, "lastTransitionTime", Message(457), Single, 0),
        f(5, "reason", Str, Single, 0),
        f(6, "message", Str, Single, 0),
    ] },
    // 81
    Message { name: "k8s.io.api.batch.v1.JobList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(79), Repeated, R),
    ] },
    // 82
    Message { name: "k8s.io.api.batch.v1.JobSpec", special: Special::None, fields: &[
        f(1, "parallelism", Int32, Single, P),
        f(2, "completions", Int32, Single, P),
        f(3, "activeDeadlineSeconds", Int64, Single, P),
        f(4, "selector", Message(438), Single, P),
        f(5, "manualSelector", Bool, Single, P),
        f(6, "template", Message(256), Single, R),
        f(7, "backoffLimit", Int32, Single, P),
        f(8, "ttlSecondsAfterFinished", Int32, Single, P),
        f(9, "completionMode", Str, Single, P),
        f(10, "suspend", Bool, Single, P),
        f(11, "podFailurePolicy", Message(85), Single, P),
        f(12, "backoffLimitPerIndex", Int32, Single, P),
        f(13, "maxFailedIndexes", Int32, Single, P),
        f(14, "podReplacementPolicy", Str, Single, P),
        f(15, "managedBy", Str, Single, P),
        f(16, "successPolicy", Message(89), Single, P),
    ] },
    // 83
    Message { name: "k8s.io.api.batch.v1.JobStatus", special: Special::None, fields: &[
        f(1, "conditions", Message(80), Repeated, 0),
        f(2, "startTime", Message(457), Single, P),
        f(3, "completionTime", Message(457), Single, P),
        f(4, "active", Int32, Single, 0),
        f(5, "succeeded", Int32, Single, 0),
        f(6, "failed", Int32, Single, 0),
        f(7, "completedIndexes", Str, Single, 0),
        f(8, "uncountedTerminatedPods", Message(91), Single, P),
        f(9, "ready", Int32, Single, P),
        f(10, "failedIndexes", Str, Single, P),
        f(11, "terminating", Int32, Single, P),
    ] },
    // 84
    Message { name: "k8s.io.api.batch.v1.JobTemplateSpec", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(82), Single, 0),
    ] },
    // 85
    Message { name: "k8s.io.api.batch.v1.PodFailurePolicy", special: Special::None, fields: &[
        f(1, "rules", Message(88), Repeated, R),
    ] },
    // 86
    Message { name: "k8s.io.api.batch.v1.PodFailurePolicyOnExitCodesRequirement", special: Special::None, fields: &[
        f(1, "containerName", Str, Single, P),
        f(2, "operator", Str, Single, R),
        f(3, "values", Int32, Repeated, R),
    ] },
    // 87
    Message { name: "k8s.io.api.batch.v1.PodFailurePolicyOnPodConditionsPattern", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "status", Str, Single, R),
    ] },
    // 88
    Message { name: "k8s.io.api.batch.v1.PodFailurePolicyRule", special: Special::None, fields: &[
        f(1, "action", Str, Single, R),
        f(2, "onExitCodes", Message(86), Single, P),
        f(3, "onPodConditions", Message(87), Repeated, 0),
    ] },
    // 89
    Message { name: "k8s.io.api.batch.v1.SuccessPolicy", special: Special::None, fields: &[
        f(1, "rules", Message(90), Repeated, R),
    ] },
    // 90
    Message { name: "k8s.io.api.batch.v1.SuccessPolicyRule", special: Special::None, fields: &[
        f(1, "succeededIndexes", Str, Single, P),
        f(2, "succeededCount", Int32, Single, P),
    ] },
    // 91
    Message { name: "k8s.io.api.batch.v1.UncountedTerminatedPods", special: Special::None, fields: &[
        f(1, "succeeded", Str, Repeated, 0),
        f(2, "failed", Str, Repeated, 0),
    ] },
    // 92
    Message { name: "k8s.io.api.coordination.v1.Lease", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(94), Single, 0),
    ] },
    // 93
    Message { name: "k8s.io.api.coordination.v1.LeaseList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(92), Repeated, R),
    ] },
    // 94
    Message { name: "k8s.io.api.coordination.v1.LeaseSpec", special: Special::None, fields: &[
        f(1, "holderIdentity", Str, Single, P),
        f(2, "leaseDurationSeconds", Int32, Single, P),
        f(3, "acquireTime", Message(444), Single, P),
        f(4, "renewTime", Message(444), Single, P),
        f(5, "leaseTransitions", Int32, Single, P),
        f(6, "strategy", Str, Single, P),
        f(7, "preferredHolder", Str, Single, P),
    ] },
    // 95
    Message { name: "k8s.io.api.core.v1.Affinity", special: Special::None, fields: &[
        f(1, "nodeAffinity", Message(196), Single, P),
        f(2, "podAffinity", Message(229), Single, P),
        f(3, "podAntiAffinity", Message(231), Single, P),
    ] },
    // 96
    Message { name: "k8s.io.api.core.v1.AppArmorProfile", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "localhostProfile", Str, Single, P),
    ] },
    // 97
    Message { name: "k8s.io.api.core.v1.AttachedVolume", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "devicePath", Str, Single, R),
    ] },
    // 98
    Message { name: "k8s.io.api.core.v1.AvoidPods", special: Special::None, fields: &[
        f(1, "preferAvoidPods", Message(260), Repeated, 0),
    ] },
    // 99
    Message { name: "k8s.io.api.core.v1.AwsElasticBlockStoreVolumeSource", special: Special::None, fields: &[
        f(1, "volumeID", Str, Single, R),
        f(2, "fsType", Str, Single, 0),
        f(3, "partition", Int32, Single, 0),
        f(4, "readOnly", Bool, Single, 0),
    ] },
    // 100
    Message { name: "k8s.io.api.core.v1.AzureDiskVolumeSource", special: Special::None, fields: &[
        f(1, "diskName", Str, Single, R),
        f(2, "diskURI", Str, Single, R),
        f(3, "cachingMode", Str, Single, P),
        f(4, "fsType", Str, Single, P),
        f(5, "readOnly", Bool, Single, P),
        f(6, "kind", Str, Single, P),
    ] },
    // 101
    Message { name: "k8s.io.api.core.v1.AzureFilePersistentVolumeSource", special: Special::None, fields: &[
        f(1, "secretName", Str, Single, R),
        f(2, "shareName", Str, Single, R),
        f(3, "readOnly", Bool, Single, 0),
        f(4, "secretNamespace", Str, Single, P|R),
    ] },
    // 102
    Message { name: "k8s.io.api.core.v1.AzureFileVolumeSource", special: Special::None, fields: &[
        f(1, "secretName", Str, Single, R),
        f(2, "shareName", Str, Single, R),
        f(3, "readOnly", Bool, Single, 0),
    ] },
    // 103
    Message { name: "k8s.io.api.core.v1.Binding", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "target", Message(214), Single, R),
    ] },
    // 104
    Message { name: "k8s.io.api.core.v1.CSIPersistentVolumeSource", special: Special::None, fields: &[
        f(1, "driver", Str, Single, R),
        f(2, "volumeHandle", Str, Single, R),
        f(3, "readOnly", Bool, Single, 0),
        f(4, "fsType", Str, Single, 0),
        f(5, "volumeAttributes", Str, Map, 0),
        f(6, "controllerPublishSecretRef", Message(294), Single, P),
        f(7, "nodeStageSecretRef", Message(294), Single, P),
        f(8, "nodePublishSecretRef", Message(294), Single, P),
        f(9, "controllerExpandSecretRef", Message(294), Single, P),
        f(10, "nodeExpandSecretRef", Message(294), Single, P),
    ] },
    // 105
    Message { name: "k8s.io.api.core.v1.CSIVolumeSource", special: Special::None, fields: &[
        f(1, "driver", Str, Single, R),
        f(2, "readOnly", Bool, Single, P),
        f(3, "fsType", Str, Single, P),
        f(4, "volumeAttributes", Str, Map, 0),
        f(5, "nodePublishSecretRef", Message(185), Single, P),
    ] },
    // 106
    Message { name: "k8s.io.api.core.v1.Capabilities", special: Special::None, fields: &[
        f(1, "add", Str, Repeated, 0),
        f(2, "drop", Str, Repeated, 0),
    ] },
    // 107
    Message { name: "k8s.io.api.core.v1.CephFsPersistentVolumeSource", special: Special::None, fields: &[
        f(1, "monitors", Str, Repeated, R),
        f(2, "path", Str, Single, 0),
        f(3, "user", Str, Single, 0),
        f(4, "secretFile", Str, Single, 0),
        f(5, "secretRef", Message(294), Single, P),
        f(6, "readOnly", Bool, Single, 0),
    ] },
    // 108
    Message { name: "k8s.io.api.core.v1.CephFsVolumeSource", special: Special::None, fields: &[
        f(1, "monitors", Str, Repeated, R),
        f(2, "path", Str, Single, 0),
        f(3, "user", Str, Single, 0),
        f(4, "secretFile", Str, Single, 0),
        f(5, "secretRef", Message(185), Single, P),
        f(6, "readOnly", Bool, Single, 0),
    ] },
    // 109
    Message { name: "k8s.io.api.core.v1.CinderPersistentVolumeSource", special: Special::None, fields: &[
        f(1, "volumeID", Str, Single, R),
        f(2, "fsType", Str, Single, 0),
        f(3, "readOnly", Bool, Single, 0),
        f(4, "secretRef", Message(294), Single, P),
    ] },
    // 110
    Message { name: "k8s.io.api.core.v1.CinderVolumeSource", special: Special::None, fields: &[
        f(1, "volumeID", Str, Single, R),
        f(2, "fsType", Str, Single, 0),
        f(3, "readOnly", Bool, Single, 0),
        f(4, "secretRef", Message(185), Single, P),
    ] },
    // 111
    Message { name: "k8s.io.api.core.v1.ClientIpConfig", special: Special::None, fields: &[
        f(1, "timeoutSeconds", Int32, Single, P),
    ] },
    // 112
    Message { name: "k8s.io.api.core.v1.ClusterTrustBundleProjection", special: Special::None, fields: &[
        f(1, "name", Str, Single, P),
        f(2, "signerName", Str, Single, P),
        f(3, "labelSelector", Message(438), Single, P),
        f(4, "path", Str, Single, R),
        f(5, "optional", Bool, Single, P),
    ] },
    // 113
    Message { name: "k8s.io.api.core.v1.ComponentCondition", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "status", Str, Single, R),
        f(3, "message", Str, Single, 0),
        f(4, "error", Str, Single, 0),
    ] },
    // 114
    Message { name: "k8s.io.api.core.v1.ComponentStatus", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "conditions", Message(113), Repeated, 0),
    ] },
    // 115
    Message { name: "k8s.io.api.core.v1.ComponentStatusList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(114), Repeated, R),
    ] },
    // 116
    Message { name: "k8s.io.api.core.v1.ConfigMap", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "data", Str, Map, 0),
        f(3, "binaryData", Bytes, Map, 0),
        f(4, "immutable", Bool, Single, P),
    ] },
    // 117
    Message { name: "k8s.io.api.core.v1.ConfigMapEnvSource", special: Special::None, fields: &[
        f(1, "", Message(185), Single, I),
        f(2, "optional", Bool, Single, P),
    ] },
    // 118
    Message { name: "k8s.io.api.core.v1.ConfigMapKeySelector", special: Special::None, fields: &[
        f(1, "", Message(185), Single, I),
        f(2, "key", Str, Single, R),
        f(3, "optional", Bool, Single, P),
    ] },
    // 119
    Message { name: "k8s.io.api.core.v1.ConfigMapList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(116), Repeated, R),
    ] },
    // 120
    Message { name: "k8s.io.api.core.v1.ConfigMapNodeConfigSource", special: Special::None, fields: &[
        f(1, "namespace", Str, Single, R),
        f(2, "name", Str, Single, R),
        f(3, "uid", Str, Single, 0),
        f(4, "resourceVersion", Str, Single, 0),
        f(5, "kubeletConfigKey", Str, Single, R),
    ] },
    // 121
    Message { name: "k8s.io.api.core.v1.ConfigMapProjection", special: Special::None, fields: &[
        f(1, "", Message(185), Single, I),
        f(2, "items", Message(175), Repeated, 0),
        f(4, "optional", Bool, Single, P),
    ] },
    // 122
    Message { name: "k8s.io.api.core.v1.ConfigMapVolumeSource", special: Special::None, fields: &[
        f(1, "", Message(185), Single, I),
        f(2, "items", Message(175), Repeated, 0),
        f(3, "defaultMode", Int32, Single, P),
        f(4, "optional", Bool, Single, P),
    ] },
    // 123
    Message { name: "k8s.io.api.core.v1.Container", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "image", Str, Single, 0),
        f(3, "command", Str, Repeated, 0),
        f(4, "args", Str, Repeated, 0),
        f(5, "workingDir", Str, Single, 0),
        f(6, "ports", Message(126), Repeated, 0),
        f(7, "env", Message(147), Repeated, 0),
        f(8, "resources", Message(281), Single, 0),
        f(9, "volumeMounts", Message(322), Repeated, 0),
        f(10, "livenessProbe", Message(262), Single, P),
        f(11, "readinessProbe", Message(262), Single, P),
        f(12, "lifecycle", Message(176), Single, P),
        f(13, "terminationMessagePath", Str, Single, 0),
        f(14, "imagePullPolicy", Str, Single, 0),
        f(15, "securityContext", Message(296), Single, P),
        f(16, "stdin", Bool, Single, 0),
        f(17, "stdinOnce", Bool, Single, 0),
        f(18, "tty", Bool, Single, 0),
        f(19, "envFrom", Message(146), Repeated, 0),
        f(20, "terminationMessagePolicy", Str, Single, 0),
        f(21, "volumeDevices", Message(321), Repeated, 0),
        f(22, "startupProbe", Message(262), Single, P),
        f(23, "resizePolicy", Message(127), Repeated, 0),
        f(24, "restartPolicy", Str, Single, P),
        f(25, "restartPolicyRules", Message(128), Repeated, 0),
    ] },
    // 124
    Message { name: "k8s.io.api.core.v1.ContainerExtendedResourceRequest", special: Special::None, fields: &[
        f(1, "containerName", Str, Single, R),
        f(2, "resourceName", Str, Single, R),
        f(3, "requestName", Str, Single, R),
    ] },
    // 125
    Message { name: "k8s.io.api.core.v1.ContainerImage", special: Special::None, fields: &[
        f(1, "names", Str, Repeated, R),
        f(2, "sizeBytes", Int64, Single, 0),
    ] },
    // 126
    Message { name: "k8s.io.api.core.v1.ContainerPort", special: Special::None, fields: &[
        f(1, "name", Str, Single, 0),
        f(2, "hostPort", Int32, Single, 0),
        f(3, "containerPort", Int32, Single, R),
        f(4, "protocol", Str, Single, 0),
        f(5, "hostIP", Str, Single, 0),
    ] },
    // 127
    Message { name: "k8s.io.api.core.v1.ContainerResizePolicy", special: Special::None, fields: &[
        f(1, "resourceName", Str, Single, R),
        f(2, "restartPolicy", Str, Single, R),
    ] },
    // 128
    Message { name: "k8s.io.api.core.v1.ContainerRestartRule", special: Special::None, fields: &[
        f(1, "action", Str, Single, 0),
        f(2, "exitCodes", Message(129), Single, P),
    ] },
    // 129
    Message { name: "k8s.io.api.core.v1.ContainerRestartRuleOnExitCodes", special: Special::None, fields: &[
        f(1, "operator", Str, Single, 0),
        f(2, "values", Int32, Repeated, 0),
    ] },
    // 130
    Message { name: "k8s.io.api.core.v1.ContainerState", special: Special::None, fields: &[
        f(1, "waiting", Message(133), Single, P),
        f(2, "running", Message(131), Single, P),
        f(3, "terminated", Message(132), Single, P),
    ] },
    // 131
    Message { name: "k8s.io.api.core.v1.ContainerStateRunning", special: Special::None, fields: &[
        f(1, "startedAt", Message(457), Single, 0),
    ] },
    // 132
    Message { name: "k8s.io.api.core.v1.ContainerStateTerminated", special: Special::None, fields: &[
        f(1, "exitCode", Int32, Single, R),
        f(2, "signal", Int32, Single, 0),
        f(3, "reason", Str, Single, 0),
        f(4, "message", Str, Single, 0),
        f(5, "startedAt", Message(457), Single, 0),
        f(6, "finishedAt", Message(457), Single, 0),
        f(7, "containerID", Str, Single, 0),
    ] },
    // 133
    Message { name: "k8s.io.api.core.v1.ContainerStateWaiting", special: Special::None, fields: &[
        f(1, "reason", Str, Single, 0),
        f(2, "message", Str, Single, 0),
    ] },
    // 134
    Message { name: "k8s.io.api.core.v1.ContainerStatus", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "state", Message(130), Single, 0),
        f(3, "lastState", Message(130), Single, 0),
        f(4, "ready", Bool, Single, R),
        f(5, "restartCount", Int32, Single, R),
        f(6, "image", Str, Single, R),
        f(7, "imageID", Str, Single, R),
        f(8, "containerID", Str, Single, 0),
        f(9, "started", Bool, Single, P),
        f(10, "allocatedResources", Message(418), Map, 0),
        f(11, "resources", Message(281), Single, P),
        f(12, "volumeMounts", Message(323), Repeated, 0),
        f(13, "user", Message(135), Single, P),
        f(14, "allocatedResourcesStatus", Message(282), Repeated, 0),
        f(15, "stopSignal", Str, Single, P),
    ] },
    // 135
    Message { name: "k8s.io.api.core.v1.ContainerUser", special: Special::None, fields: &[
        f(1, "linux", Message(182), Single, P),
    ] },
    // 136
    Message { name: "k8s.io.api.core.v1.DaemonEndpoint", special: Special::None, fields: &[
        f(1, "Port", Int32, Single, R),
    ] },
    // 137
    Message { name: "k8s.io.api.core.v1.DownwardAPIProjection", special: Special::None, fields: &[
        f(1, "items", Message(138), Repeated, 0),
    ] },
    // 138
    Message { name: "k8s.io.api.core.v1.DownwardAPIVolumeFile", special: Special::None, fields: &[
        f(1, "path", Str, Single, R),
        f(2, "fieldRef", Message(213), Single, P),
        f(3, "resourceFieldRef", Message(275), Single, P),
        f(4, "mode", Int32, Single, P),
    ] },
    // 139
    Message { name: "k8s.io.api.core.v1.DownwardAPIVolumeSource", special: Special::None, fields: &[
        f(1, "items", Message(138), Repeated, 0),
        f(2, "defaultMode", Int32, Single, P),
    ] },
    // 140
    Message { name: "k8s.io.api.core.v1.EmptyDirVolumeSource", special: Special::None, fields: &[
        f(1, "medium", Str, Single, 0),
        f(2, "sizeLimit", Message(418), Single, P),
    ] },
    // 141
    Message { name: "k8s.io.api.core.v1.EndpointAddress", special: Special::None, fields: &[
        f(1, "ip", Str, Single, R),
        f(2, "targetRef", Message(214), Single, P),
        f(3, "hostname", Str, Single, 0),
        f(4, "nodeName", Str, Single, P),
    ] },
    // 142
    Message { name: "k8s.io.api.core.v1.EndpointPort", special: Special::None, fields: &[
        f(1, "name", Str, Single, 0),
        f(2, "port", Int32, Single, R),
        f(3, "protocol", Str, Single, 0),
        f(4, "appProtocol", Str, Single, P),
    ] },
    // 143
    Message { name: "k8s.io.api.core.v1.EndpointSubset", special: Special::None, fields: &[
        f(1, "addresses", Message(141), Repeated, 0),
        f(2, "notReadyAddresses", Message(141), Repeated, 0),
        f(3, "ports", Message(142), Repeated, 0),
    ] },
    // 144
    Message { name: "k8s.io.api.core.v1.Endpoints", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "subsets", Message(143), Repeated, 0),
    ] },
    // 145
    Message { name: "k8s.io.api.core.v1.EndpointsList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(144), Repeated, R),
    ] },
    // 146
    Message { name: "k8s.io.api.core.v1.EnvFromSource", special: Special::None, fields: &[
        f(1, "prefix", Str, Single, 0),
        f(2, "configMapRef", Message(117), Single, P),
        f(3, "secretRef", Message(290), Single, P),
    ] },
    // 147
    Message { name: "k8s.io.api.core.v1.EnvVar", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "value", Str, Single, 0),
        f(3, "valueFrom", Message(148), Single, P),
    ] },
    // 148
    Message { name: "k8s.io.api.core.v1.EnvVarSource", special: Special::None, fields: &[
        f(1, "fieldRef", Message(213), Single, P),
        f(2, "resourceFieldRef", Message(275), Single, P),
        f(3, "configMapKeyRef", Message(118), Single, P),
        f(4, "secretKeyRef", Message(291), Single, P),
        f(5, "fileKeyRef", Message(158), Single, P),
    ] },
    // 149
    Message { name: "k8s.io.api.core.v1.EphemeralContainer", special: Special::None, fields: &[
        f(1, "", Message(150), Single, I),
        f(2, "targetContainerName", Str, Single, 0),
    ] },
    // 150
    Message { name: "k8s.io.api.core.v1.EphemeralContainerCommon", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "image", Str, Single, 0),
        f(3, "command", Str, Repeated, 0),
        f(4, "args", Str, Repeated, 0),
        f(5, "workingDir", Str, Single, 0),
        f(6, "ports", Message(126), Repeated, 0),
        f(7, "env", Message(147), Repeated, 0),
        f(8, "resources", Message(281), Single, 0),
        f(9, "volumeMounts", Message(322), Repeated, 0),
        f(10, "livenessProbe", Message(262), Single, P),
        f(11, "readinessProbe", Message(262), Single, P),
        f(12, "lifecycle", Message(176), Single, P),
        f(13, "terminationMessagePath", Str, Single, 0),
        f(14, "imagePullPolicy", Str, Single, 0),
        f(15, "securityContext", Message(296), Single, P),
        f(16, "stdin", Bool, Single, 0),
        f(17, "stdinOnce", Bool, Single, 0),
        f(18, "tty", Bool, Single, 0),
        f(19, "envFrom", Message(146), Repeated, 0),
        f(20, "terminationMessagePolicy", Str, Single, 0),
        f(21, "volumeDevices", Message(321), Repeated, 0),
        f(22, "startupProbe", Message(262), Single, P),
        f(23, "resizePolicy", Message(127), Repeated, 0),
        f(24, "restartPolicy", Str, Single, P),
        f(25, "restartPolicyRules", Message(128), Repeated, 0),
    ] },
    // 151
    Message { name: "k8s.io.api.core.v1.EphemeralVolumeSource", special: Special::None, fields: &[
        f(1, "volumeClaimTemplate", Message(221), Single, P),
    ] },
    // 152
    Message { name: "k8s.io.api.core.v1.Event", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, R),
        f(2, "involvedObject", Message(214), Single, R),
        f(3, "reason", Str, Single, 0),
        f(4, "message", Str, Single, 0),
        f(5, "source", Message(155), Single, 0),
        f(6, "firstTimestamp", Message(457), Single, 0),
        f(7, "lastTimestamp", Message(457), Single, 0),
        f(8, "count", Int32, Single, 0),
        f(9, "type", Str, Single, 0),
        f(10, "eventTime", Message(444), Single, 0),
        f(11, "series", Message(154), Single, P),
        f(12, "action", Str, Single, 0),
        f(13, "related", Message(214), Single, P),
        f(14, "reportingComponent", Str, Single, R),
        f(15, "reportingInstance", Str, Single, R),
    ] },
    // 153
    Message { name: "k8s.io.api.core.v1.EventList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(152), Repeated, R),
    ] },
    // 154
    Message { name: "k8s.io.api.core.v1.EventSeries", special: Special::None, fields: &[
        f(1, "count", Int32, Single, 0),
        f(2, "lastObservedTime", Message(444), Single, 0),
    ] },
    // 155
    Message { name: "k8s.io.api.core.v1.EventSource", special: Special::None, fields: &[
        f(1, "component", Str, Single, 0),
        f(2, "host", Str, Single, 0),
    ] },
    // 156
    Message { name: "k8s.io.api.core.v1.ExecAction", special: Special::None, fields: &[
        f(1, "command", Str, Repeated, 0),
    ] },
    // 157
    Message { name: "k8s.io.api.core.v1.FcVolumeSource", special: Special::None, fields: &[
        f(1, "targetWWNs", Str, Repeated, 0),
        f(2, "lun", Int32, Single, P),
        f(3, "fsType", Str, Single, 0),
        f(4, "readOnly", Bool, Single, 0),
        f(5, "wwids", Str, Repeated, 0),
    ] },
    // 158
    Message { name: "k8s.io.api.core.v1.FileKeySelector", special: Special::None, fields: &[
        f(1, "volumeName", Str, Single, R),
        f(2, "path", Str, Single, R),
        f(3, "key", Str, Single, R),
        f(4, "optional", Bool, Single, P),
    ] },
    // 159
    Message { name: "k8s.io.api.core.v1.FlexPersistentVolumeSource", special: Special::None, fields: &[
        f(1, "driver", Str, Single, R),
        f(2, "fsType", Str, Single, 0),
        f(3, "secretRef", Message(294), Single, P),
        f(4, "readOnly", Bool, Single, 0),
        f(5, "options", Str, Map, 0),
    ] },
    // 160
    Message { name: "k8s.io.api.core.v1.FlexVolumeSource", special: Special::None, fields: &[
        f(1, "driver", Str, Single, R),
        f(2, "fsType", Str, Single, 0),
        f(3, "secretRef", Message(185), Single, P),
        f(4, "readOnly", Bool, Single, 0),
        f(5, "options", Str, Map, 0),
    ] },
    // 161
    Message { name: "k8s.io.api.core.v1.FlockerVolumeSource", special: Special::None, fields: &[
        f(1, "datasetName", Str, Single, 0),
        f(2, "datasetUUID", Str, Single, 0),
    ] },
    // 162
    Message { name: "k8s.io.api.core.v1.GcePersistentDiskVolumeSource", special: Special::None, fields: &[
        f(1, "pdName", Str, Single, R),
        f(2, "fsType", Str, Single, 0),
        f(3, "partition", Int32, Single, 0),
        f(4, "readOnly", Bool, Single, 0),
    ] },
    // 163
    Message { name: "k8s.io.api.core.v1.GitRepoVolumeSource", special: Special::None, fields: &[
        f(1, "repository", Str, Single, R),
        f(2, "revision", Str, Single, 0),
        f(3, "directory", Str, Single, 0),
    ] },
    // 164
    Message { name: "k8s.io.api.core.v1.GlusterfsPersistentVolumeSource", special: Special::None, fields: &[
        f(1, "endpoints", Str, Single, R),
        f(2, "path", Str, Single, R),
        f(3, "readOnly", Bool, Single, 0),
        f(4, "endpointsNamespace", Str, Single, P),
    ] },
    // 165
    Message { name: "k8s.io.api.core.v1.GlusterfsVolumeSource", special: Special::None, fields: &[
        f(1, "endpoints", Str, Single, R),
        f(2, "path", Str, Single, R),
        f(3, "readOnly", Bool, Single, 0),
    ] },
    // 166
    Message { name: "k8s.io.api.core.v1.GrpcAction", special: Special::None, fields: &[
        f(1, "port", Int32, Single, R),
        f(2, "service", Str, Single, P|R),
    ] },
    // 167
    Message { name: "k8s.io.api.core.v1.HostAlias", special: Special::None, fields: &[
        f(1, "ip", Str, Single, R),
        f(2, "hostnames", Str, Repeated, 0),
    ] },
    // 168
    Message { name: "k8s.io.api.core.v1.HostIp", special: Special::None, fields: &[
        f(1, "ip", Str, Single, R),
    ] },
    // 169
    Message { name: "k8s.io.api.core.v1.HostPathVolumeSource", special: Special::None, fields: &[
        f(1, "path", Str, Single, R),
        f(2, "type", Str, Single, P),
    ] },
    // 170
    Message { name: "k8s.io.api.core.v1.HttpGetAction", special: Special::None, fields: &[
        f(1, "path", Str, Single, 0),
        f(2, "port", Message(464), Single, R),
        f(3, "host", Str, Single, 0),
        f(4, "scheme", Str, Single, 0),
        f(5, "httpHeaders", Message(171), Repeated, 0),
    ] },
    // 171
    Message { name: "k8s.io.api.core.v1.HttpHeader", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "value", Str, Single, R),
    ] },
    // 172
    Message { name: "k8s.io.api.core.v1.ImageVolumeSource", special: Special::None, fields: &[
        f(1, "reference", Str, Single, 0),
        f(2, "pullPolicy", Str, Single, 0),
    ] },
    // 173
    Message { name: "k8s.io.api.core.v1.IscsiPersistentVolumeSource", special: Special::None, fields: &[
        f(1, "targetPortal", Str, Single, R),
        f(2, "iqn", Str, Single, R),
        f(3, "lun", Int32, Single, R),
        f(4, "iscsiInterface", Str, Single, 0),
        f(5, "fsType", Str, Single, 0),
        f(6, "readOnly", Bool, Single, 0),
        f(7, "portals", Str, Repeated, 0),
        f(8, "chapAuthDiscovery", Bool, Single, 0),
        f(10, "secretRef", Message(294), Single, P),
        f(11, "chapAuthSession", Bool, Single, 0),
        f(12, "initiatorName", Str, Single, P),
    ] },
    // 174
    Message { name: "k8s.io.api.core.v1.IscsiVolumeSource", special: Special::None, fields: &[
        f(1, "targetPortal", Str, Single, R),
        f(2, "iqn", Str, Single, R),
        f(3, "lun", Int32, Single, R),
        f(4, "iscsiInterface", Str, Single, 0),
        f(5, "fsType", Str, Single, 0),
        f(6, "readOnly", Bool, Single, 0),
        f(7, "portals", Str, Repeated, 0),
        f(8, "chapAuthDiscovery", Bool, Single, 0),
        f(10, "secretRef", Message(185), Single, P),
        f(11, "chapAuthSession", Bool, Single, 0),
        f(12, "initiatorName", Str, Single, P),
    ] },
    // 175
    Message { name: "k8s.io.api.core.v1.KeyToPath", special: Special::None, fields: &[
        f(1, "key", Str, Single, R),
        f(2, "path", Str, Single, R),
        f(3, "mode", Int32, Single, P),
    ] },
    // 176
    Message { name: "k8s.io.api.core.v1.Lifecycle", special: Special::None, fields: &[
        f(1, "postStart", Message(177), Single, P),
        f(2, "preStop", Message(177), Single, P),
        f(3, "stopSignal", Str, Single, P),
    ] },
    // 177
    Message { name: "k8s.io.api.core.v1.LifecycleHandler", special: Special::None, fields: &[
        f(1, "exec", Message(156), Single, P),
        f(2, "httpGet", Message(170), Single, P),
        f(3, "tcpSocket", Message(313), Single, P),
        f(4, "sleep", Message(308), Single, P),
    ] },
    // 178
    Message { name: "k8s.io.api.core.v1.LimitRange", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(181), Single, 0),
    ] },
    // 179
    Message { name: "k8s.io.api.core.v1.LimitRangeItem", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "max", Message(418), Map, 0),
        f(3, "min", Message(418), Map, 0),
        f(4, "default", Message(418), Map, 0),
        f(5, "defaultRequest", Message(418), Map, 0),
        f(6, "maxLimitRequestRatio", Message(418), Map, 0),
    ] },
    // 180
    Message { name: "k8s.io.api.core.v1.LimitRangeList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(178), Repeated, R),
    ] },
    // 181
    Message { name: "k8s.io.api.core.v1.LimitRangeSpec", special: Special::None, fields: &[
        f(1, "limits", Message(179), Repeated, R),
    ] },
    // 182
    Message { name: "k8s.io.api.core.v1.LinuxContainerUser", special: Special::None, fields: &[
        f(1, "uid", Int64, Single, R),
        f(2, "gid", Int64, Single, R),
        f(3, "supplementalGroups", Int64, Repeated, 0),
    ] },
    // 183
    Message { name: "k8s.io.api.core.v1.LoadBalancerIngress", special: Special::None, fields: &[
        f(1, "ip", Str, Single, 0),
        f(2, "hostname", Str, Single, 0),
        f(3, "ipMode", Str, Single, P),
        f(4, "ports", Message(257), Repeated, 0),
    ] },
    // 184
    Message { name: "k8s.io.api.core.v1.LoadBalancerStatus", special: Special::None, fields: &[
        f(1, "ingress", Message(183), Repeated, 0),
    ] },
    // 185
    Message { name: "k8s.io.api.core.v1.LocalObjectReference", special: Special::None, fields: &[
        f(1, "name", Str, Single, 0),
    ] },
    // 186
    Message { name: "k8s.io.api.core.v1.LocalVolumeSource", special: Special::None, fields: &[
        f(1, "path", Str, Single, R),
        f(2, "fsType", Str, Single, P),
    ] },
    // 187
    Message { name: "k8s.io.api.core.v1.ModifyVolumeStatus", special: Special::None, fields: &[
        f(1, "targetVolumeAttributesClassName", Str, Single, 0),
        f(2, "status", Str, Single, R),
    ] },
    // 188
    Message { name: "k8s.io.api.core.v1.Namespace", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(191), Single, 0),
        f(3, "status", Message(192), Single, 0),
    ] },
    // 189
    Message { name: "k8s.io.api.core.v1.NamespaceCondition", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "status", Str, Single, R),
        f(4, "lastTransitionTime", Message(457), Single, 0),
        f(5, "reason", Str, Single, 0),
        f(6, "message", Str, Single, 0),
    ] },
    // 190
    Message { name: "k8s.io.api.core.v1.NamespaceList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(188), Repeated, R),
    ] },
    // 191
    Message { name: "k8s.io.api.core.v1.NamespaceSpec", special: Special::None, fields: &[
        f(1, "finalizers", Str, Repeated, 0),
    ] },
    // 192
    Message { name: "k8s.io.api.core.v1.NamespaceStatus", special: Special::None, fields: &[
        f(1, "phase", Str, Single, 0),
        f(2, "conditions", Message(189), Repeated, 0),
    ] },
    // 193
    Message { name: "k8s.io.api.core.v1.NfsVolumeSource", special: Special::None, fields: &[
        f(1, "server", Str, Single, R),
        f(2, "path", Str, Single, R),
        f(3, "readOnly", Bool, Single, 0),
    ] },
    // 194
    Message { name: "k8s.io.api.core.v1.Node", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(209), Single, 0),
        f(3, "status", Message(210), Single, 0),
    ] },
    // 195
    Message { name: "k8s.io.api.core.v1.NodeAddress", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "address", Str, Single, R),
    ] },
    // 196
    Message { name: "k8s.io.api.core.v1.NodeAffinity", special: Special::None, fields: &[
        f(1, "requiredDuringSchedulingIgnoredDuringExecution", Message(206), Single, P),
        f(2, "preferredDuringSchedulingIgnoredDuringExecution", Message(261), Repeated, 0),
    ] },
    // 197
    Message { name: "k8s.io.api.core.v1.NodeCondition", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "status", Str, Single, R),
        f(3, "lastHeartbeatTime", Message(457), Single, 0),
        f(4, "lastTransitionTime", Message(457), Single, 0),
        f(5, "reason", Str, Single, 0),
        f(6, "message", Str, Single, 0),
    ] },
    // 198
    Message { name: "k8s.io.api.core.v1.NodeConfigSource", special: Special::None, fields: &[
        f(2, "configMap", Message(120), Single, P),
    ] },
    // 199
    Message { name: "k8s.io.api.core.v1.NodeConfigStatus", special: Special::None, fields: &[
        f(1, "assigned", Message(198), Single, P),
        f(2, "active", Message(198), Single, P),
        f(3, "lastKnownGood", Message(198), Single, P),
        f(4, "error", Str, Single, 0),
    ] },
    // 200
    Message { name: "k8s.io.api.core.v1.NodeDaemonEndpoints", special: Special::None, fields: &[
        f(1, "kubeletEndpoint", Message(136), Single, 0),
    ] },
    // 201
    Message { name: "k8s.io.api.core.v1.NodeFeatures", special: Special::None, fields: &[
        f(1, "supplementalGroupsPolicy", Bool, Single, P),
    ] },
    // 202
    Message { name: "k8s.io.api.core.v1.NodeList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(194), Repeated, R),
    ] },
    // 203
    Message { name: "k8s.io.api.core.v1.NodeProxyOptions", special: Special::None, fields: &[
        f(1, "path", Str, Single, 0),
    ] },
    // 204
    Message { name: "k8s.io.api.core.v1.NodeRuntimeHandler", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "features", Message(205), Single, P),
    ] },
    // 205
    Message { name: "k8s.io.api.core.v1.NodeRuntimeHandlerFeatures", special: Special::None, fields: &[
        f(1, "recursiveReadOnlyMounts", Bool, Single, P),
        f(2, "userNamespaces", Bool, Single, P),
    ] },
    // 206
    Message { name: "k8s.io.api.core.v1.NodeSelector", special: Special::None, fields: &[
        f(1, "nodeSelectorTerms", Message(208), Repeated, R),
    ] },
    // 207
    Message { name: "k8s.io.api.core.v1.NodeSelectorRequirement", special: Special::None, fields: &[
        f(1, "key", Str, Single, R),
        f(2, "operator", Str, Single, R),
        f(3, "values", Str, Repeated, 0),
    ] },
    // 208
    Message { name: "k8s.io.api.core.v1.NodeSelectorTerm", special: Special::None, fields: &[
        f(1, "matchExpressions", Message(207), Repeated, 0),
        f(2, "matchFields", Message(207), Repeated, 0),
    ] },
    // 209
    Message { name: "k8s.io.api.core.v1.NodeSpec", special: Special::None, fields: &[
        f(1, "podCIDR", Str, Single, 0),
        f(2, "externalID", Str, Single, 0),
        f(3, "providerID", Str, Single, 0),
        f(4, "unschedulable", Bool, Single, 0),
        f(5, "taints", Message(312), Repeated, 0),
        f(6, "configSource", Message(198), Single, P),
        f(7, "podCIDRs", Str, Repeated, 0),
    ] },
    // 210
    Message { name: "k8s.io.api.core.v1.NodeStatus", special: Special::None, fields: &[
        f(1, "capacity", Message(418), Map, 0),
        f(2, "allocatable", Message(418), Map, 0),
        f(3, "phase", Str, Single, 0),
        f(4, "conditions", Message(197), Repeated, 0),
        f(5, "addresses", Message(195), Repeated, 0),
        f(6, "daemonEndpoints", Message(200), Single, 0),
        f(7, "nodeInfo", Message(212), Single, 0),
        f(8, "images", Message(125), Repeated, 0),
        f(9, "volumesInUse", Str, Repeated, 0),
        f(10, "volumesAttached", Message(97), Repeated, 0),
        f(11, "config", Message(199), Single, P),
        f(12, "runtimeHandlers", Message(204), Repeated, 0),
        f(13, "features", Message(201), Single, P),
        f(14, "declaredFeatures", Str, Repeated, 0),
    ] },
    // 211
    Message { name: "k8s.io.api.core.v1.NodeSwapStatus", special: Special::None, fields: &[
        f(1, "capacity", Int64, Single, P),
    ] },
    // 212
    Message { name: "k8s.io.api.core.v1.NodeSystemInfo", special: Special::None, fields: &[
        f(1, "machineID", Str, Single, R),
        f(2, "systemUUID", Str, Single, R),
        f(3, "bootID", Str, Single, R),
        f(4, "kernelVersion", Str, Single, R),
        f(5, "osImage", Str, Single, R),
        f(6, "containerRuntimeVersion", Str, Single, R),
        f(7, "kubeletVersion", Str, Single, R),
        f(8, "kubeProxyVersion", Str, Single, R),
        f(9, "operatingSystem", Str, Single, R),
        f(10, "architecture", Str, Single, R),
        f(11, "swap", Message(211), Single, P),
    ] },
    // 213
    Message { name: "k8s.io.api.core.v1.ObjectFieldSelector", special: Special::None, fields: &[
        f(1, "apiVersion", Str, Single, 0),
        f(2, "fieldPath", Str, Single, R),
    ] },
    // 214
    Message { name: "k8s.io.api.core.v1.ObjectReference", special: Special::None, fields: &[
        f(1, "kind", Str, Single, 0),
        f(2, "namespace", Str, Single, 0),
        f(3, "name", Str, Single, 0),
        f(4, "uid", Str, Single, 0),
        f(5, "apiVersion", Str, Single, 0),
        f(6, "resourceVersion", Str, Single, 0),
        f(7, "fieldPath", Str, Single, 0),
    ] },
    // 215
    Message { name: "k8s.io.api.core.v1.PersistentVolume", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(225), Single, 0),
        f(3, "status", Message(226), Single, 0),
    ] },
    // 216
    Message { name: "k8s.io.api.core.v1.PersistentVolumeClaim", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(219), Single, 0),
        f(3, "status", Message(220), Single, 0),
    ] },
    // 217
    Message { name: "k8s.io.api.core.v1.PersistentVolumeClaimCondition", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "status", Str, Single, R),
        f(3, "lastProbeTime", Message(457), Single, 0),
        f(4, "lastTransitionTime", Message(457), Single, 0),
        f(5, "reason", Str, Single, 0),
        f(6, "message", Str, Single, 0),
    ] },
    // 218
    Message { name: "k8s.io.api.core.v1.PersistentVolumeClaimList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(216), Repeated, R),
    ] },
    // 219
    Message { name: "k8s.io.api.core.v1.PersistentVolumeClaimSpec", special: Special::None, fields: &[
        f(1, "accessModes", Str, Repeated, 0),
        f(2, "resources", Message(326), Single, 0),
        f(3, "volumeName", Str, Single, 0),
        f(4, "selector", Message(438), Single, P),
        f(5, "storageClassName", Str, Single, P),
        f(6, "volumeMode", Str, Single, P),
        f(7, "dataSource", Message(318), Single, P),
        f(8, "dataSourceRef", Message(319), Single, P),
        f(9, "volumeAttributesClassName", Str, Single, P),
    ] },
    // 220
    Message { name: "k8s.io.api.core.v1.PersistentVolumeClaimStatus", special: Special::None, fields: &[
        f(1, "phase", Str, Single, 0),
        f(2, "accessModes", Str, Repeated, 0),
        f(3, "capacity", Message(418), Map, 0),
        f(4, "conditions", Message(217), Repeated, 0),
        f(5, "allocatedResources", Message(418), Map, 0),
        f(7, "allocatedResourceStatuses", Str, Map, 0),
        f(8, "currentVolumeAttributesClassName", Str, Single, P),
        f(9, "modifyVolumeStatus", Message(187), Single, P),
    ] },
    // 221
    Message { name: "k8s.io.api.core.v1.PersistentVolumeClaimTemplate", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(219), Single, R),
    ] },
    // 222
    Message { name: "k8s.io.api.core.v1.PersistentVolumeClaimVolumeSource", special: Special::None, fields: &[
        f(1, "claimName", Str, Single, R),
        f(2, "readOnly", Bool, Single, 0),
    ] },
    // 223
    Message { name: "k8s.io.api.core.v1.PersistentVolumeList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(215), Repeated, R),
    ] },
    // 224
    Message { name: "k8s.io.api.core.v1.PersistentVolumeSource", special: Special::None, fields: &[
        f(1, "gcePersistentDisk", Message(162), Single, P),
        f(2, "awsElasticBlockStore", Message(99), Single, P),
        f(3, "hostPath", Message(169), Single, P),
        f(4, "glusterfs", Message(164), Single, P),
        f(5, "nfs", Message(193), Single, P),
        f(6, "rbd", Message(267), Single, P),
        f(7, "iscsi", Message(173), Single, P),
        f(8, "cinder", Message(109), Single, P),
        f(9, "cephfs", Message(107), Single, P),
        f(10, "fc", Message(157), Single, P),
        f(11, "flocker", Message(161), Single, P),
        f(12, "flexVolume", Message(159), Single, P),
        f(13, "azureFile", Message(101), Single, P),
        f(14, "vsphereVolume", Message(328), Single, P),
        f(15, "quobyte", Message(265), Single, P),
        f(16, "azureDisk", Message(100), Single, P),
        f(17, "photonPersistentDisk", Message(227), Single, P),
        f(18, "portworxVolume", Message(258), Single, P),
        f(19, "scaleIO", Message(283), Single, P),
        f(20, "local", Message(186), Single, P),
        f(21, "storageos", Message(309), Single, P),
        f(22, "csi", Message(104), Single, P),
    ] },
    // 225
    Message { name: "k8s.io.api.core.v1.PersistentVolumeSpec", special: Special::None, fields: &[
        f(1, "capacity", Message(418), Map, 0),
        f(2, "", Message(224), Single, I),
        f(3, "accessModes", Str, Repeated, 0),
        f(4, "claimRef", Message(214), Single, P),
        f(5, "persistentVolumeReclaimPolicy", Str, Single, 0),
        f(6, "storageClassName", Str, Single, 0),
        f(7, "mountOptions", Str, Repeated, 0),
        f(8, "volumeMode", Str, Single, P),
        f(9, "nodeAffinity", Message(324), Single, P),
        f(10, "volumeAttributesClassName", Str, Single, P),
    ] },
    // 226
    Message { name: "k8s.io.api.core.v1.PersistentVolumeStatus", special: Special::None, fields: &[
        f(1, "phase", Str, Single, 0),
        f(2, "message", Str, Single, 0),
        f(3, "reason", Str, Single, 0),
        f(4, "lastPhaseTransitionTime", Message(457), Single, P),
    ] },
    // 227
    Message { name: "k8s.io.api.core.v1.PhotonPersistentDiskVolumeSource", special: Special::None, fields: &[
        f(1, "pdID", Str, Single, R),
        f(2, "fsType", Str, Single, 0),
    ] },
    // 228
    Message { name: "k8s.io.api.core.v1.Pod", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(251), Single, 0),
        f(3, "status", Message(252), Single, 0),
    ] },
    // 229
    Message { name: "k8s.io.api.core.v1.PodAffinity", special: Special::None, fields: &[
        f(1, "requiredDuringSchedulingIgnoredDuringExecution", Message(230), Repeated, 0),
        f(2, "preferredDuringSchedulingIgnoredDuringExecution", Message(329), Repeated, 0),
    ] },
    // 230
    Message { name: "k8s.io.api.core.v1.PodAffinityTerm", special: Special::None, fields: &[
        f(1, "labelSelector", Message(438), Single, P),
        f(2, "namespaces", Str, Repeated, 0),
        f(3, "topologyKey", Str, Single, R),
        f(4, "namespaceSelector", Message(438), Single, P),
        f(5, "matchLabelKeys", Str, Repeated, 0),
        f(6, "mismatchLabelKeys", Str, Repeated, 0),
    ] },
    // 231
    Message { name: "k8s.io.api.core.v1.PodAntiAffinity", special: Special::None, fields: &[
        f(1, "requiredDuringSchedulingIgnoredDuringExecution", Message(230), Repeated, 0),
        f(2, "preferredDuringSchedulingIgnoredDuringExecution", Message(329), Repeated, 0),
    ] },
    // 232
    Message { name: "k8s.io.api.core.v1.PodAttachOptions", special: Special::None, fields: &[
        f(1, "stdin", Bool, Single, 0),
        f(2, "stdout", Bool, Single, 0),
        f(3, "stderr", Bool, Single, 0),
        f(4, "tty", Bool, Single, 0),
        f(5, "container", Str, Single, 0),
    ] },
    // 233
    Message { name: "k8s.io.api.core.v1.PodCertificateProjection", special: Special::None, fields: &[
        f(1, "signerName", Str, Single, 0),
        f(2, "keyType", Str, Single, 0),
        f(3, "maxExpirationSeconds", Int32, Single, P),
        f(4, "credentialBundlePath", Str, Single, 0),
        f(5, "keyPath", Str, Single, 0),
        f(6, "certificateChainPath", Str, Single, 0),
        f(7, "userAnnotations", Str, Map, 0),
    ] },
    // 234
    Message { name: "k8s.io.api.core.v1.PodCondition", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "status", Str, Single, R),
        f(3, "lastProbeTime", Message(457), Single, 0),
        f(4, "lastTransitionTime", Message(457), Single, 0),
        f(5, "reason", Str, Single, 0),
        f(6, "message", Str, Single, 0),
        f(7, "observedGeneration", Int64, Single, 0),
    ] },
    // 235
    Message { name: "k8s.io.api.core.v1.PodDnsConfig", special: Special::None, fields: &[
        f(1, "nameservers", Str, Repeated, 0),
        f(2, "searches", Str, Repeated, 0),
        f(3, "options", Message(236), Repeated, 0),
    ] },
    // 236
    Message { name: "k8s.io.api.core.v1.PodDnsConfigOption", special: Special::None, fields: &[
        f(1, "name", Str, Single, 0),
        f(2, "value", Str, Single, P),
    ] },
    // 237
    Message { name: "k8s.io.api.core.v1.PodExecOptions", special: Special::None, fields: &[
        f(1, "stdin", Bool, Single, 0),
        f(2, "stdout", Bool, Single, 0),
        f(3, "stderr", Bool, Single, 0),
        f(4, "tty", Bool, Single, 0),
        f(5, "container", Str, Single, 0),
        f(6, "command", Str, Repeated, R),
    ] },
    // 238
    Message { name: "k8s.io.api.core.v1.PodExtendedResourceClaimStatus", special: Special::None, fields: &[
        f(1, "requestMappings", Message(124), Repeated, R),
        f(2, "resourceClaimName", Str, Single, R),
    ] },
    // 239
    Message { name: "k8s.io.api.core.v1.PodIp", special: Special::None, fields: &[
        f(1, "ip", Str, Single, R),
    ] },
    // 240
    Message { name: "k8s.io.api.core.v1.PodList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(228), Repeated, R),
    ] },
    // 241
    Message { name: "k8s.io.api.core.v1.PodLogOptions", special: Special::None, fields: &[
        f(1, "container", Str, Single, 0),
        f(2, "follow", Bool, Single, 0),
        f(3, "previous", Bool, Single, 0),
        f(4, "sinceSeconds", Int64, Single, P),
        f(5, "sinceTime", Message(457), Single, P),
        f(6, "timestamps", Bool, Single, 0),
        f(7, "tailLines", Int64, Single, P),
        f(8, "limitBytes", Int64, Single, P),
        f(9, "insecureSkipTLSVerifyBackend", Bool, Single, 0),
        f(10, "stream", Str, Single, P),
    ] },
    // 242
    Message { name: "k8s.io.api.core.v1.PodOs", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
    ] },
    // 243
    Message { name: "k8s.io.api.core.v1.PodPortForwardOptions", special: Special::None, fields: &[
        f(1, "ports", Int32, Repeated, 0),
    ] },
    // 244
    Message { name: "k8s.io.api.core.v1.PodProxyOptions", special: Special::None, fields: &[
        f(1, "path", Str, Single, 0),
    ] },
    // 245
    Message { name: "k8s.io.api.core.v1.PodReadinessGate", special: Special::None, fields: &[
        f(1, "conditionType", Str, Single, R),
    ] },
    // 246
    Message { name: "k8s.io.api.core.v1.PodResourceClaim", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(3, "resourceClaimName", Str, Single, P),
        f(4, "resourceClaimTemplateName", Str, Single, P),
    ] },
    // 247
    Message { name: "k8s.io.api.core.v1.PodResourceClaimStatus", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "resourceClaimName", Str, Single, P),
    ] },
    // 248
    Message { name: "k8s.io.api.core.v1.PodSchedulingGate", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
    ] },
    // 249
    Message { name: "k8s.io.api.core.v1.PodSecurityContext", special: Special::None, fields: &[
        f(1, "seLinuxOptions", Message(287), Single, P),
        f(2, "runAsUser", Int64, Single, P),
        f(3, "runAsNonRoot", Bool, Single, P),
        f(4, "supplementalGroups", Int64, Repeated, 0),
        f(5, "fsGroup", Int64, Single, P),
        f(6, "runAsGroup", Int64, Single, P),
        f(7, "sysctls", Message(311), Repeated, 0),
        f(8, "windowsOptions", Message(330), Single, P),
        f(9, "fsGroupChangePolicy", Str, Single, P),
        f(10, "seccompProfile", Message(288), Single, P),
        f(11, "appArmorProfile", Message(96), Single, P),
        f(12, "supplementalGroupsPolicy", Str, Single, P),
        f(13, "seLinuxChangePolicy", Str, Single, P),
    ] },
    // 250
    Message { name: "k8s.io.api.core.v1.PodSignature", special: Special::None, fields: &[
        f(1, "podController", Message(446), Single, P),
    ] },
    // 251
    Message { name: "k8s.io.api.core.v1.PodSpec", special: Special::None, fields: &[
        f(1, "volumes", Message(320), Repeated, 0),
        f(2, "containers", Message(123), Repeated, R),
        f(3, "restartPolicy", Str, Single, 0),
        f(4, "terminationGracePeriodSeconds", Int64, Single, P),
        f(5, "activeDeadlineSeconds", Int64, Single, P),
        f(6, "dnsPolicy", Str, Single, 0),
        f(7, "nodeSelector", Str, Map, 0),
        f(8, "serviceAccountName", Str, Single, 0),
        f(9, "serviceAccount", Str, Single, 0),
        f(10, "nodeName", Str, Single, 0),
        f(11, "hostNetwork", Bool, Single, 0),
        f(12, "hostPID", Bool, Single, 0),
        f(13, "hostIPC", Bool, Single, 0),
        f(14, "securityContext", Message(249), Single, P),
        f(15, "imagePullSecrets", Message(185), Repeated, 0),
        f(16, "hostname", Str, Single, 0),
        f(17, "subdomain", Str, Single, 0),
        f(18, "affinity", Message(95), Single, P),
        f(19, "schedulerName", Str, Single, 0),
        f(20, "initContainers", Message(123), Repeated, 0),
        f(21, "automountServiceAccountToken", Bool, Single, P),
        f(22, "tolerations", Message(314), Repeated, 0),
        f(23, "hostAliases", Message(167), Repeated, 0),
        f(24, "priorityClassName", Str, Single, 0),
        f(25, "priority", Int32, Single, P),
        f(26, "dnsConfig", Message(235), Single, P),
        f(27, "shareProcessNamespace", Bool, Single, P),
        f(28, "readinessGates", Message(245), Repeated, 0),
        f(29, "runtimeClassName", Str, Single, P),
        f(30, "enableServiceLinks", Bool, Single, P),
        f(31, "preemptionPolicy", Str, Single, P),
        f(32, "overhead", Message(418), Map, 0),
        f(33, "topologySpreadConstraints", Message(317), Repeated, 0),
        f(34, "ephemeralContainers", Message(149), Repeated, 0),
        f(35, "setHostnameAsFQDN", Bool, Single, P),
        f(36, "os", Message(242), Single, P),
        f(37, "hostUsers", Bool, Single, P),
        f(38, "schedulingGates", Message(248), Repeated, 0),
        f(39, "resourceClaims", Message(246), Repeated, 0),
        f(40, "resources", Message(281), Single, P),
        f(41, "hostnameOverride", Str, Single, P),
        f(42, "workloadRef", Message(331), Single, P),
    ] },
    // 252
    Message { name: "k8s.io.api.core.v1.PodStatus", special: Special::None, fields: &[
        f(1, "phase", Str, Single, 0),
        f(2, "conditions", Message(234), Repeated, 0),
        f(3, "message", Str, Single, 0),
        f(4, "reason", Str, Single, 0),
        f(5, "hostIP", Str, Single, 0),
        f(6, "podIP", Str, Single, 0),
        f(7, "startTime", Message(457), Single, P),
        f(8, "containerStatuses", Message(134), Repeated, 0),
        f(9, "qosClass", Str, Single, 0),
        f(10, "initContainerStatuses", Message(134), Repeated, 0),
        f(11, "nominatedNodeName", Str, Single, 0),
        f(12, "podIPs", Message(239), Repeated, 0),
        f(13, "ephemeralContainerStatuses", Message(134), Repeated, 0),
        f(14, "resize", Str, Single, 0),
        f(15, "resourceClaimStatuses", Message(247), Repeated, 0),
        f(16, "hostIPs", Message(168), Repeated, 0),
        f(17, "observedGeneration", Int64, Single, 0),
        f(18, "extendedResourceClaimStatus", Message(238), Single, P),
        f(19, "allocatedResources", Message(418), Map, 0),
        f(20, "resources", Message(281), Single, P),
    ] },
    // 253
    Message { name: "k8s.io.api.core.v1.PodStatusResult", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "status", Message(252), Single, 0),
    ] },
    // 254
    Message { name: "k8s.io.api.core.v1.PodTemplate", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "template", Message(256), Single, 0),
    ] },
    // 255
    Message { name: "k8s.io.api.core.v1.PodTemplateList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(254), Repeated, R),
    ] },
    // 256
    Message { name: "k8s.io.api.core.v1.PodTemplateSpec", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(251), Single, 0),
    ] },
    // 257
    Message { name: "k8s.io.api.core.v1.PortStatus", special: Special::None, fields: &[
        f(1, "port", Int32, Single, R),
        f(2, "protocol", Str, Single, R),
        f(3, "error", Str, Single, P),
    ] },
    // 258
    Message { name: "k8s.io.api.core.v1.PortworxVolumeSource", special: Special::None, fields: &[
        f(1, "volumeID", Str, Single, R),
        f(2, "fsType", Str, Single, 0),
        f(3, "readOnly", Bool, Single, 0),
    ] },
    // 259
    Message { name: "k8s.io.api.core.v1.Preconditions", special: Special::None, fields: &[
        f(1, "uid", Str, Single, P),
    ] },
    // 260
    Message { name: "k8s.io.api.core.v1.PreferAvoidPodsEntry", special: Special::None, fields: &[
        f(1, "podSignature", Message(250), Single, R),
        f(2, "evictionTime", Message(457), Single, 0),
        f(3, "reason", Str, Single, 0),
        f(4, "message", Str, Single, 0),
    ] },
    // 261
    Message { name: "k8s.io.api.core.v1.PreferredSchedulingTerm", special: Special::None, fields: &[
        f(1, "weight", Int32, Single, R),
        f(2, "preference", Message(208), Single, R),
    ] },
    // 262
    Message { name: "k8s.io.api.core.v1.Probe", special: Special::None, fields: &[
        f(1, "", Message(263), Single, I),
        f(2, "initialDelaySeconds", Int32, Single, 0),
        f(3, "timeoutSeconds", Int32, Single, 0),
        f(4, "periodSeconds", Int32, Single, 0),
        f(5, "successThreshold", Int32, Single, 0),
        f(6, "failureThreshold", Int32, Single, 0),
        f(7, "terminationGracePeriodSeconds", Int64, Single, P),
    ] },
    // 263
    Message { name: "k8s.io.api.core.v1.ProbeHandler", special: Special::None, fields: &[
        f(1, "exec", Message(156), Single, P),
        f(2, "httpGet", Message(170), Single, P),
        f(3, "tcpSocket", Message(313), Single, P),
        f(4, "grpc", Message(166), Single, P),
    ] },
    // 264
    Message { name: "k8s.io.api.core.v1.ProjectedVolumeSource", special: Special::None, fields: &[
        f(1, "sources", Message(325), Repeated, R),
        f(2, "defaultMode", Int32, Single, P),
    ] },
    // 265
    Message { name: "k8s.io.api.core.v1.QuobyteVolumeSource", special: Special::None, fields: &[
        f(1, "registry", Str, Single, R),
        f(2, "volume", Str, Single, R),
        f(3, "readOnly", Bool, Single, 0),
        f(4, "user", Str, Single, 0),
        f(5, "group", Str, Single, 0),
        f(6, "tenant", Str, Single, 0),
    ] },
    // 266
    Message { name: "k8s.io.api.core.v1.RangeAllocation", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "range", Str, Single, R),
        f(3, "data", Bytes, Single, R),
    ] },
    // 267
    Message { name: "k8s.io.api.core.v1.RbdPersistentVolumeSource", special: Special::None, fields: &[
        f(1, "monitors", Str, Repeated, R),
        f(2, "image", Str, Single, R),
        f(3, "fsType", Str, Single, 0),
        f(4, "pool", Str, Single, 0),
        f(5, "user", Str, Single, 0),
        f(6, "keyring", Str, Single, 0),
        f(7, "secretRef", Message(294), Single, P),
        f(8, "readOnly", Bool, Single, 0),
    ] },
    // 268
    Message { name: "k8s.io.api.core.v1.RbdVolumeSource", special: Special::None, fields: &[
        f(1, "monitors", Str, Repeated, R),
        f(2, "image", Str, Single, R),
        f(3, "fsType", Str, Single, 0),
        f(4, "pool", Str, Single, 0),
        f(5, "user", Str, Single, 0),
        f(6, "keyring", Str, Single, 0),
        f(7, "secretRef", Message(185), Single, P),
        f(8, "readOnly", Bool, Single, 0),
    ] },
    // 269
    Message { name: "k8s.io.api.core.v1.ReplicationController", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(272), Single, 0),
        f(3, "status", Message(273), Single, 0),
    ] },
    // 270
    Message { name: "k8s.io.api.core.v1.ReplicationControllerCondition", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "status", Str, Single, R),
        f(3, "lastTransitionTime", Message(457), Single, 0),
        f(4, "reason", Str, Single, 0),
        f(5, "message", Str, Single, 0),
    ] },
    // 271
    Message { name: "k8s.io.api.core.v1.ReplicationControllerList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(269), Repeated, R),
    ] },
    // 272
    Message { name: "k8s.io.api.core.v1.ReplicationControllerSpec", special: Special::None, fields: &[
        f(1, "replicas", Int32, Single, P),
        f(2, "selector", Str, Map, 0),
        f(3, "template", Message(256), Single, P),
        f(4, "minReadySeconds", Int32, Single, 0),
    ] },
    // 273
    Message { name: "k8s.io.api.core.v1.ReplicationControllerStatus", special: Special::None, fields: &[
        f(1, "replicas", Int32, Single, R),
        f(2, "fullyLabeledReplicas", Int32, Single, 0),
        f(3, "observedGeneration", Int64, Single, 0),
        f(4, "readyReplicas", Int32, Single, 0),
        f(5, "availableReplicas", Int32, Single, 0),
        f(6, "conditions", Message(270), Repeated, 0),
    ] },
    // 274
    Message { name: "k8s.io.api.core.v1.ResourceClaim", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "request", Str, Single, 0),
    ] },
    // 275
    Message { name: "k8s.io.api.core.v1.ResourceFieldSelector", special: Special::None, fields: &[
        f(1, "containerName", Str, Single, 0),
        f(2, "resource", Str, Single, R),
        f(3, "divisor", Message(418), Single, 0),
    ] },
    // 276
    Message { name: "k8s.io.api.core.v1.ResourceHealth", special: Special::None, fields: &[
        f(1, "resourceID", Str, Single, R),
        f(2, "health", Str, Single, 0),
    ] },
    // 277
    Message { name: "k8s.io.api.core.v1.ResourceQuota", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(279), Single, 0),
        f(3, "status", Message(280), Single, 0),
    ] },
    // 278
    Message { name: "k8s.io.api.core.v1.ResourceQuotaList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(277), Repeated, R),
    ] },
    // 279
    Message { name: "k8s.io.api.core.v1.ResourceQuotaSpec", special: Special::None, fields: &[
        f(1, "hard", Message(418), Map, 0),
        f(2, "scopes", Str, Repeated, 0),
        f(3, "scopeSelector", Message(285), Single, P),
    ] },
    // 280
    Message { name: "k8s.io.api.core.v1.ResourceQuotaStatus", special: Special::None, fields: &[
        f(1, "hard", Message(418), Map, 0),
        f(2, "used", Message(418), Map, 0),
    ] },
    // 281
    Message { name: "k8s.io.api.core.v1.ResourceRequirements", special: Special::None, fields: &[
        f(1, "limits", Message(418), Map, 0),
        f(2, "requests", Message(418), Map, 0),
        f(3, "claims", Message(274), Repeated, 0),
    ] },
    // 282
    Message { name: "k8s.io.api.core.v1.ResourceStatus", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "resources", Message(276), Repeated, 0),
    ] },
    // 283
    Message { name: "k8s.io.api.core.v1.ScaleIoPersistentVolumeSource", special: Special::None, fields: &[
        f(1, "gateway", Str, Single, R),
        f(2, "system", Str, Single, R),
        f(3, "secretRef", Message(294), Single, P|R),
        f(4, "sslEnabled", Bool, Single, 0),
        f(5, "protectionDomain", Str, Single, 0),
        f(6, "storagePool", Str, Single, 0),
        f(7, "storageMode", Str, Single, 0),
        f(8, "volumeName", Str, Single, 0),
        f(9, "fsType", Str, Single, 0),
        f(10, "readOnly", Bool, Single, 0),
    ] },
    // 284
    Message { name: "k8s.io.api.core.v1.ScaleIoVolumeSource", special: Special::None, fields: &[
        f(1, "gateway", Str, Single, R),
        f(2, "system", Str, Single, R),
        f(3, "secretRef", Message(185), Single, P|R),
        f(4, "sslEnabled", Bool, Single, 0),
        f(5, "protectionDomain", Str, Single, 0),
        f(6, "storagePool", Str, Single, 0),
        f(7, "storageMode", Str, Single, 0),
        f(8, "volumeName", Str, Single, 0),
        f(9, "fsType", Str, Single, 0),
        f(10, "readOnly", Bool, Single, 0),
    ] },
    // 285
    Message { name: "k8s.io.api.core.v1.ScopeSelector", special: Special::None, fields: &[
        f(1, "matchExpressions", Message(286), Repeated, 0),
    ] },
    // 286
    Message { name: "k8s.io.api.core.v1.ScopedResourceSelectorRequirement", special: Special::None, fields: &[
        f(1, "scopeName", Str, Single, R),
        f(2, "operator", Str, Single, R),
        f(3, "values", Str, Repeated, 0),
    ] },
    // 287
    Message { name: "k8s.io.api.core.v1.SeLinuxOptions", special: Special::None, fields: &[
        f(1, "user", Str, Single, 0),
        f(2, "role", Str, Single, 0),
        f(3, "type", Str, Single, 0),
        f(4, "level", Str, Single, 0),
    ] },
    // 288
    Message { name: "k8s.io.api.core.v1.SeccompProfile", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "localhostProfile", Str, Single, P),
    ] },
    // 289
    Message { name: "k8s.io.api.core.v1.Secret", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "data", Bytes, Map, 0),
        f(3, "type", Str, Single, 0),
        f(4, "stringData", Str, Map, 0),
        f(5, "immutable", Bool, Single, P),
    ] },
    // 290
    Message { name: "k8s.io.api.core.v1.SecretEnvSource", special: Special::None, fields: &[
        f(1, "", Message(185), Single, I),
        f(2, "optional", Bool, Single, P),
    ] },
    // 291
    Message { name: "k8s.io.api.core.v1.SecretKeySelector", special: Special::None, fields: &[
        f(1, "", Message(185), Single, I),
        f(2, "key", Str, Single, R),
        f(3, "optional", Bool, Single, P),
    ] },
    // 292
    Message { name: "k8s.io.api.core.v1.SecretList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(289), Repeated, R),
    ] },
    // 293
    Message { name: "k8s.io.api.core.v1.SecretProjection", special: Special::None, fields: &[
        f(1, "", Message(185), Single, I),
        f(2, "items", Message(175), Repeated, 0),
        f(4, "optional", Bool, Single, P),
    ] },
    // 294
    Message { name: "k8s.io.api.core.v1.SecretReference", special: Special::None, fields: &[
        f(1, "name", Str, Single, 0),
        f(2, "namespace", Str, Single, 0),
    ] },
    // 295
    Message { name: "k8s.io.api.core.v1.SecretVolumeSource", special: Special::None, fields: &[
        f(1, "secretName", Str, Single, 0),
        f(2, "items", Message(175), Repeated, 0),
        f(3, "defaultMode", Int32, Single, P),
        f(4, "optional", Bool, Single, P),
    ] },
    // 296
    Message { name: "k8s.io.api.core.v1.SecurityContext", special: Special::None, fields: &[
        f(1, "capabilities", Message(106), Single, P),
        f(2, "privileged", Bool, Single, P),
        f(3, "seLinuxOptions", Message(287), Single, P),
        f(4, "runAsUser", Int64, Single, P),
        f(5, "runAsNonRoot", Bool, Single, P),
        f(6, "readOnlyRootFilesystem", Bool, Single, P),
        f(7, "allowPrivilegeEscalation", Bool, Single, P),
        f(8, "runAsGroup", Int64, Single, P),
        f(9, "procMount", Str, Single, P),
        f(10, "windowsOptions", Message(330), Single, P),
        f(11, "seccompProfile", Message(288), Single, P),
        f(12, "appArmorProfile", Message(96), Single, P),
    ] },
    // 297
    Message { name: "k8s.io.api.core.v1.SerializedReference", special: Special::None, fields: &[
        f(1, "reference", Message(214), Single, 0),
    ] },
    // 298
    Message { name: "k8s.io.api.core.v1.Service", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(305), Single, 0),
        f(3, "status", Message(306), Single, 0),
    ] },
    // 299
    Message { name: "k8s.io.api.core.v1.ServiceAccount", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "secrets", Message(214), Repeated, 0),
        f(3, "imagePullSecrets", Message(185), Repeated, 0),
        f(4, "automountServiceAccountToken", Bool, Single, P),
    ] },
    // 300
    Message { name: "k8s.io.api.core.v1.ServiceAccountList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(299), Repeated, R),
    ] },
    // 301
    Message { name: "k8s.io.api.core.v1.ServiceAccountTokenProjection", special: Special::None, fields: &[
        f(1, "audience", Str, Single, 0),
        f(2, "expirationSeconds", Int64, Single, P),
        f(3, "path", Str, Single, R),
    ] },
    // 302
    Message { name: "k8s.io.api.core.v1.ServiceList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(298), Repeated, R),
    ] },
    // 303
    Message { name: "k8s.io.api.core.v1.ServicePort", special: Special::None, fields: &[
        f(1, "name", Str, Single, 0),
        f(2, "protocol", Str, Single, 0),
        f(3, "port", Int32, Single, R),
        f(4, "targetPort", Message(464), Single, 0),
        f(5, "nodePort", Int32, Single, 0),
        f(6, "appProtocol", Str, Single, P),
    ] },
    // 304
    Message { name: "k8s.io.api.core.v1.ServiceProxyOptions", special: Special::None, fields: &[
        f(1, "path", Str, Single, 0),
    ] },
    // 305
    Message { name: "k8s.io.api.core.v1.ServiceSpec", special: Special::None, fields: &[
        f(1, "ports", Message(303), Repeated, 0),
        f(2, "selector", Str, Map, 0),
        f(3, "clusterIP", Str, Single, 0),
        f(4, "type", Str, Single, 0),
        f(5, "externalIPs", Str, Repeated, 0),
        f(7, "sessionAffinity", Str, Single, 0),
        f(8, "loadBalancerIP", Str, Single, 0),
        f(9, "loadBalancerSourceRanges", Str, Repeated, 0),
        f(10, "externalName", Str, Single, 0),
        f(11, "externalTrafficPolicy", Str, Single, 0),
        f(12, "healthCheckNodePort", Int32, Single, 0),
        f(13, "publishNotReadyAddresses", Bool, Single, 0),
        f(14, "sessionAffinityConfig", Message(307), Single, P),
        f(17, "ipFamilyPolicy", Str, Single, P),
        f(18, "clusterIPs", Str, Repeated, 0),
        f(19, "ipFamilies", Str, Repeated, 0),
        f(20, "allocateLoadBalancerNodePorts", Bool, Single, P),
        f(21, "loadBalancerClass", Str, Single, P),
        f(22, "internalTrafficPolicy", Str, Single, P),
        f(23, "trafficDistribution", Str, Single, P),
    ] },
    // 306
    Message { name: "k8s.io.api.core.v1.ServiceStatus", special: Special::None, fields: &[
        f(1, "loadBalancer", Message(184), Single, 0),
        f(2, "conditions", Message(425), Repeated, 0),
    ] },
    // 307
    Message { name: "k8s.io.api.core.v1.SessionAffinityConfig", special: Special::None, fields: &[
        f(1, "clientIP", Message(111), Single, P),
    ] },
    // 308
    Message { name: "k8s.io.api.core.v1.SleepAction", special: Special::None, fields: &[
        f(1, "seconds", Int64, Single, R),
    ] },
    // 309
    Message { name: "k8s.io.api.core.v1.StorageOsPersistentVolumeSource", special: Special::None, fields: &[
        f(1, "volumeName", Str, Single, 0),
        f(2, "volumeNamespace", Str, Single, 0),
        f(3, "fsType", Str, Single, 0),
        f(4, "readOnly", Bool, Single, 0),
        f(5, "secretRef", Message(214), Single, P),
    ] },
    // 310
    Message { name: "k8s.io.api.core.v1.StorageOsVolumeSource", special: Special::None, fields: &[
        f(1, "volumeName", Str, Single, 0),
        f(2, "volumeNamespace", Str, Single, 0),
        f(3, "fsType", Str, Single, 0),
        f(4, "readOnly", Bool, Single, 0),
        f(5, "secretRef", Message(185), Single, P),
    ] },
    // 311
    Message { name: "k8s.io.api.core.v1.Sysctl", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "value", Str, Single, R),
    ] },
    // 312
    Message { name: "k8s.io.api.core.v1.Taint", special: Special::None, fields: &[
        f(1, "key", Str, Single, R),
        f(2, "value", Str, Single, 0),
        f(3, "effect", Str, Single, R),
        f(4, "timeAdded", Message(457), Single, P),
    ] },
    // 313
    Message { name: "k8s.io.api.core.v1.TcpSocketAction", special: Special::None, fields: &[
        f(1, "port", Message(464), Single, R),
        f(2, "host", Str, Single, 0),
    ] },
    // 314
    Message { name: "k8s.io.api.core.v1.Toleration", special: Special::None, fields: &[
        f(1, "key", Str, Single, 0),
        f(2, "operator", Str, Single, 0),
        f(3, "value", Str, Single, 0),
        f(4, "effect", Str, Single, 0),
        f(5, "tolerationSeconds", Int64, Single, P),
    ] },
    // 315
    Message { name: "k8s.io.api.core.v1.TopologySelectorLabelRequirement", special: Special::None, fields: &[
        f(1, "key", Str, Single, R),
        f(2, "values", Str, Repeated, R),
    ] },
    // 316
    Message { name: "k8s.io.api.core.v1.TopologySelectorTerm", special: Special::None, fields: &[
        f(1, "matchLabelExpressions", Message(315), Repeated, 0),
    ] },
    // 317
    Message { name: "k8s.io.api.core.v1.TopologySpreadConstraint", special: Special::None, fields: &[
        f(1, "maxSkew", Int32, Single, R),
        f(2, "topologyKey", Str, Single, R),
        f(3, "whenUnsatisfiable", Str, Single, R),
        f(4, "labelSelector", Message(438), Single, P),
        f(5, "minDomains", Int32, Single, P),
        f(6, "nodeAffinityPolicy", Str, Single, P),
        f(7, "nodeTaintsPolicy", Str, Single, P),
        f(8, "matchLabelKeys", Str, Repeated, 0),
    ] },
    // 318
    Message { name: "k8s.io.api.core.v1.TypedLocalObjectReference", special: Special::None, fields: &[
        f(1, "apiGroup", Str, Single, P|R),
        f(2, "kind", Str, Single, R),
        f(3, "name", Str, Single, R),
    ] },
    // 319
    Message { name: "k8s.io.api.core.v1.TypedObjectReference", special: Special::None, fields: &[
        f(1, "apiGroup", Str, Single, P|R),
        f(2, "kind", Str, Single, R),
        f(3, "name", Str, Single, R),
        f(4, "namespace", Str, Single, P),
    ] },
    // 320
    Message { name: "k8s.io.api.core.v1.Volume", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "", Message(327), Single, I),
    ] },
    // 321
    Message { name: "k8s.io.api.core.v1.VolumeDevice", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "devicePath", Str, Single, R),
    ] },
    // 322
    Message { name: "k8s.io.api.core.v1.VolumeMount", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "readOnly", Bool, Single, 0),
        f(3, "mountPath", Str, Single, R),
        f(4, "subPath", Str, Single, 0),
        f(5, "mountPropagation", Str, Single, P),
        f(6, "subPathExpr", Str, Single, 0),
        f(7, "recursiveReadOnly", Str, Single, P),
    ] },
    // 323
    Message { name: "k8s.io.api.core.v1.VolumeMountStatus", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "mountPath", Str, Single, R),
        f(3, "readOnly", Bool, Single, 0),
        f(4, "recursiveReadOnly", Str, Single, P),
    ] },
    // 324
    Message { name: "k8s.io.api.core.v1.VolumeNodeAffinity", special: Special::None, fields: &[
        f(1, "required", Message(206), Single, P),
    ] },
    // 325
    Message { name: "k8s.io.api.core.v1.VolumeProjection", special: Special::None, fields: &[
        f(1, "secret", Message(293), Single, P),
        f(2, "downwardAPI", Message(137), Single, P),
        f(3, "configMap", Message(121), Single, P),
        f(4, "serviceAccountToken", Message(301), Single, P),
        f(5, "clusterTrustBundle", Message(112), Single, P),
        f(6, "podCertificate", Message(233), Single, P),
    ] },
    // 326
    Message { name: "k8s.io.api.core.v1.VolumeResourceRequirements", special: Special::None, fields: &[
        f(1, "limits", Message(418), Map, 0),
        f(2, "requests", Message(418), Map, 0),
    ] },
    // 327
    Message { name: "k8s.io.api.core.v1.VolumeSource", special: Special::None, fields: &[
        f(1, "hostPath", Message(169), Single, P),
        f(2, "emptyDir", Message(140), Single, P),
        f(3, "gcePersistentDisk", Message(162), Single, P),
        f(4, "awsElasticBlockStore", Message(99), Single, P),
        f(5, "gitRepo", Message(163), Single, P),
        f(6, "secret", Message(295), Single, P),
        f(7, "nfs", Message(193), Single, P),
        f(8, "iscsi", Message(174), Single, P),
        f(9, "glusterfs", Message(165), Single, P),
        f(10, "persistentVolumeClaim", Message(222), Single, P),
        f(11, "rbd", Message(268), Single, P),
        f(12, "flexVolume", Message(160), Single, P),
        f(13, "cinder", Message(110), Single, P),
        f(14, "cephfs", Message(108), Single, P),
        f(15, "flocker", Message(161), Single, P),
        f(16, "downwardAPI", Message(139), Single, P),
        f(17, "fc", Message(157), Single, P),
        f(18, "azureFile", Message(102), Single, P),
        f(19, "configMap", Message(122), Single, P),
        f(20, "vsphereVolume", Message(328), Single, P),
        f(21, "quobyte", Message(265), Single, P),
        f(22, "azureDisk", Message(100), Single, P),
        f(23, "photonPersistentDisk", Message(227), Single, P),
        f(24, "portworxVolume", Message(258), Single, P),
        f(25, "scaleIO", Message(284), Single, P),
        f(26, "projected", Message(264), Single, P),
        f(27, "storageos", Message(310), Single, P),
        f(28, "csi", Message(105), Single, P),
        f(29, "ephemeral", Message(151), Single, P),
        f(30, "image", Message(172), Single, P),
    ] },
    // 328
    Message { name: "k8s.io.api.core.v1.VsphereVirtualDiskVolumeSource", special: Special::None, fields: &[
        f(1, "volumePath", Str, Single, R),
        f(2, "fsType", Str, Single, 0),
        f(3, "storagePolicyName", Str, Single, 0),
        f(4, "storagePolicyID", Str, Single, 0),
    ] },
    // 329
    Message { name: "k8s.io.api.core.v1.WeightedPodAffinityTerm", special: Special::None, fields: &[
        f(1, "weight", Int32, Single, R),
        f(2, "podAffinityTerm", Message(230), Single, R),
    ] },
    // 330
    Message { name: "k8s.io.api.core.v1.WindowsSecurityContextOptions", special: Special::None, fields: &[
        f(1, "gmsaCredentialSpecName", Str, Single, P),
        f(2, "gmsaCredentialSpec", Str, Single, P),
        f(3, "runAsUserName", Str, Single, P),
        f(4, "hostProcess", Bool, Single, P),
    ] },
    // 331
    Message { name: "k8s.io.api.core.v1.WorkloadReference", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "podGroup", Str, Single, R),
        f(3, "podGroupReplicaKey", Str, Single, 0),
    ] },
    // 332
    Message { name: "k8s.io.api.discovery.v1.Endpoint", special: Special::None, fields: &[
        f(1, "addresses", Str, Repeated, R),
        f(2, "conditions", Message(333), Single, 0),
        f(3, "hostname", Str, Single, P),
        f(4, "targetRef", Message(214), Single, P),
        f(5, "deprecatedTopology", Str, Map, 0),
        f(6, "nodeName", Str, Single, P),
        f(7, "zone", Str, Single, P),
        f(8, "hints", Message(334), Single, P),
    ] },
    // 333
    Message { name: "k8s.io.api.discovery.v1.EndpointConditions", special: Special::None, fields: &[
        f(1, "ready", Bool, Single, P),
        f(2, "serving", Bool, Single, P),
        f(3, "terminating", Bool, Single, P),
    ] },
    // 334
    Message { name: "k8s.io.api.discovery.v1.EndpointHints", special: Special::None, fields: &[
        f(1, "forZones", Message(339), Repeated, 0),
        f(2, "forNodes", Message(338), Repeated, 0),
    ] },
    // 335
    Message { name: "k8s.io.api.discovery.v1.EndpointPort", special: Special::None, fields: &[
        f(1, "name", Str, Single, P),
        f(2, "protocol", Str, Single, P),
        f(3, "port", Int32, Single, P),
        f(4, "appProtocol", Str, Single, P),
    ] },
    // 336
    Message { name: "k8s.io.api.discovery.v1.EndpointSlice", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "endpoints", Message(332), Repeated, R),
        f(3, "ports", Message(335), Repeated, R),
        f(4, "addressType", Str, Single, R),
    ] },
    // 337
    Message { name: "k8s.io.api.discovery.v1.EndpointSliceList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(336), Repeated, R),
    ] },
    // 338
    Message { name: "k8s.io.api.discovery.v1.ForNode", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
    ] },
    // 339
    Message { name: "k8s.io.api.discovery.v1.ForZone", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
    ] },
    // 340
    Message { name: "k8s.io.api.events.v1.Event", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, R),
        f(2, "eventTime", Message(444), Single, R),
        f(3, "series", Message(342), Single, P),
        f(4, "reportingController", Str, Single, 0),
        f(5, "reportingInstance", Str, Single, 0),
        f(6, "action", Str, Single, 0),
        f(7, "reason", Str, Single, 0),
        f(8, "regarding", Message(214), Single, 0),
        f(9, "related", Message(214), Single, P),
        f(10, "note", Str, Single, 0),
        f(11, "type", Str, Single, 0),
        f(12, "deprecatedSource", Message(155), Single, 0),
        f(13, "deprecatedFirstTimestamp", Message(457), Single, 0),
        f(14, "deprecatedLastTimestamp", Message(457), Single, 0),
        f(15, "deprecatedCount", Int32, Single, 0),
    ] },
    // 341
    Message { name: "k8s.io.api.events.v1.EventList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(340), Repeated, R),
    ] },
    // 342
    Message { name: "k8s.io.api.events.v1.EventSeries", special: Special::None, fields: &[
        f(1, "count", Int32, Single, R),
        f(2, "lastObservedTime", Message(444), Single, R),
    ] },
    // 343
    Message { name: "k8s.io.api.networking.v1.HttpIngressPath", special: Special::None, fields: &[
        f(1, "path", Str, Single, 0),
        f(2, "backend", Message(349), Single, R),
        f(3, "pathType", Str, Single, P|R),
    ] },
    // 344
    Message { name: "k8s.io.api.networking.v1.HttpIngressRuleValue", special: Special::None, fields: &[
        f(1, "paths", Message(343), Repeated, R),
    ] },
    // 345
    Message { name: "k8s.io.api.networking.v1.IPAddress", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(347), Single, 0),
    ] },
    // 346
    Message { name: "k8s.io.api.networking.v1.IPAddressList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(345), Repeated, R),
    ] },
    // 347
    Message { name: "k8s.io.api.networking.v1.IPAddressSpec", special: Special::None, fields: &[
        f(1, "parentRef", Message(372), Single, P),
    ] },
    // 348
    Message { name: "k8s.io.api.networking.v1.Ingress", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(361), Single, 0),
        f(3, "status", Message(362), Single, 0),
    ] },
    // 349
    Message { name: "k8s.io.api.networking.v1.IngressBackend", special: Special::None, fields: &[
        f(3, "resource", Message(318), Single, P),
        f(4, "service", Message(360), Single, P),
    ] },
    // 350
    Message { name: "k8s.io.api.networking.v1.IngressClass", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(353), Single, 0),
    ] },
    // 351
    Message { name: "k8s.io.api.networking.v1.IngressClassList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(350), Repeated, R),
    ] },
    // 352
    Message { name: "k8s.io.api.networking.v1.IngressClassParametersReference", special: Special::None, fields: &[
        f(1, "apiGroup", Str, Single, P),
        f(2, "kind", Str, Single, R),
        f(3, "name", Str, Single, R),
        f(4, "scope", Str, Single, P|R),
        f(5, "namespace", Str, Single, P),
    ] },
    // 353
    Message { name: "k8s.io.api.networking.v1.IngressClassSpec", special: Special::None, fields: &[
        f(1, "controller", Str, Single, 0),
        f(2, "parameters", Message(352), Single, P),
    ] },
    // 354
    Message { name: "k8s.io.api.networking.v1.IngressList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(348), Repeated, R),
    ] },
    // 355
    Message { name: "k8s.io.api.networking.v1.IngressLoadBalancerIngress", special: Special::None, fields: &[
        f(1, "ip", Str, Single, 0),
        f(2, "hostname", Str, Single, 0),
        f(4, "ports", Message(357), Repeated, 0),
    ] },
    // 356
    Message { name: "k8s.io.api.networking.v1.IngressLoadBalancerStatus", special: Special::None, fields: &[
        f(1, "ingress", Message(355), Repeated, 0),
    ] },
    // 357
    Message { name: "k8s.io.api.networking.v1.IngressPortStatus", special: Special::None, fields: &[
        f(1, "port", Int32, Single, R),
        f(2, "protocol", Str, Single, R),
        f(3, "error", Str, Single, P),
    ] },
    // 358
    Message { name: "k8s.io.api.networking.v1.IngressRule", special: Special::None, fields: &[
        f(1, "host", Str, Single, 0),
        f(2, "", Message(359), Single, I),
    ] },
    // 359
    Message { name: "k8s.io.api.networking.v1.IngressRuleValue", special: Special::None, fields: &[
        f(1, "http", Message(344), Single, P),
    ] },
    // 360
    Message { name: "k8s.io.api.networking.v1.IngressServiceBackend", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "port", Message(373), Single, 0),
    ] },
    // 361
    Message { name: "k8s.io.api.networking.v1.IngressSpec", special: Special::None, fields: &[
        f(1, "defaultBackend", Message(349), Single, P),
        f(2, "tls", Message(363), Repeated, 0),
        f(3, "rules", Message(358), Repeated, 0),
        f(4, "ingressClassName", Str, Single, P),
    ] },
    // 362
    Message { name: "k8s.io.api.networking.v1.IngressStatus", special: Special::None, fields: &[
        f(1, "loadBalancer", Message(356), Single, 0),
    ] },
    // 363
    Message { name: "k8s.io.api.networking.v1.IngressTls", special: Special::None, fields: &[
        f(1, "hosts", Str, Repeated, 0),
        f(2, "secretName", Str, Single, 0),
    ] },
    // 364
    Message { name: "k8s.io.api.networking.v1.IpBlock", special: Special::None, fields: &[
        f(1, "cidr", Str, Single, R),
        f(2, "except", Str, Repeated, 0),
    ] },
    // 365
    Message { name: "k8s.io.api.networking.v1.NetworkPolicy", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(371), Single, 0),
    ] },
    // 366
    Message { name: "k8s.io.api.networking.v1.NetworkPolicyEgressRule", special: Special::None, fields: &[
        f(1, "ports", Message(370), Repeated, 0),
        f(2, "to", Message(369), Repeated, 0),
    ] },
    // 367
    Message { name: "k8s.io.api.networking.v1.NetworkPolicyIngressRule", special: Special::None, fields: &[
        f(1, "ports", Message(370), Repeated, 0),
        f(2, "from", Message(369), Repeated, 0),
    ] },
    // 368
    Message { name: "k8s.io.api.networking.v1.NetworkPolicyList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(365), Repeated, R),
    ] },
    // 369
    Message { name: "k8s.io.api.networking.v1.NetworkPolicyPeer", special: Special::None, fields: &[
        f(1, "podSelector", Message(438), Single, P),
        f(2, "namespaceSelector", Message(438), Single, P),
        f(3, "ipBlock", Message(364), Single, P),
    ] },
    // 370
    Message { name: "k8s.io.api.networking.v1.NetworkPolicyPort", special: Special::None, fields: &[
        f(1, "protocol", Str, Single, P),
        f(2, "port", Message(464), Single, P),
        f(3, "endPort", Int32, Single, P),
    ] },
    // 371
    Message { name: "k8s.io.api.networking.v1.NetworkPolicySpec", special: Special::None, fields: &[
        f(1, "podSelector", Message(438), Single, R),
        f(2, "ingress", Message(367), Repeated, 0),
        f(3, "egress", Message(366), Repeated, 0),
        f(4, "policyTypes", Str, Repeated, 0),
    ] },
    // 372
    Message { name: "k8s.io.api.networking.v1.ParentReference", special: Special::None, fields: &[
        f(1, "group", Str, Single, 0),
        f(2, "resource", Str, Single, 0),
        f(3, "namespace", Str, Single, 0),
        f(4, "name", Str, Single, 0),
    ] },
    // 373
    Message { name: "k8s.io.api.networking.v1.ServiceBackendPort", special: Special::None, fields: &[
        f(1, "name", Str, Single, 0),
        f(2, "number", Int32, Single, 0),
    ] },
    // 374
    Message { name: "k8s.io.api.networking.v1.ServiceCIDR", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(376), Single, 0),
        f(3, "status", Message(377), Single, 0),
    ] },
    // 375
    Message { name: "k8s.io.api.networking.v1.ServiceCIDRList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(374), Repeated, R),
    ] },
    // 376
    Message { name: "k8s.io.api.networking.v1.ServiceCIDRSpec", special: Special::None, fields: &[
        f(1, "cidrs", Str, Repeated, 0),
    ] },
    // 377
    Message { name: "k8s.io.api.networking.v1.ServiceCIDRStatus", special: Special::None, fields: &[
        f(1, "conditions", Message(425), Repeated, 0),
    ] },
    // 378
    Message { name: "k8s.io.api.policy.v1.Eviction", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "deleteOptions", Message(427), Single, P),
    ] },
    // 379
    Message { name: "k8s.io.api.policy.v1.PodDisruptionBudget", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(381), Single, 0),
        f(3, "status", Message(382), Single, 0),
    ] },
    // 380
    Message { name: "k8s.io.api.policy.v1.PodDisruptionBudgetList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(379), Repeated, R),
    ] },
    // 381
    Message { name: "k8s.io.api.policy.v1.PodDisruptionBudgetSpec", special: Special::None, fields: &[
        f(1, "minAvailable", Message(464), Single, P),
        f(2, "selector", Message(438), Single, P),
        f(3, "maxUnavailable", Message(464), Single, P),
        f(4, "unhealthyPodEvictionPolicy", Str, Single, P),
    ] },
    // 382
    Message { name: "k8s.io.api.policy.v1.PodDisruptionBudgetStatus", special: Special::None, fields: &[
        f(1, "observedGeneration", Int64, Single, 0),
        f(2, "disruptedPods", Message(457), Map, 0),
        f(3, "disruptionsAllowed", Int32, Single, R),
        f(4, "currentHealthy", Int32, Single, R),
        f(5, "desiredHealthy", Int32, Single, R),
        f(6, "expectedPods", Int32, Single, R),
        f(7, "conditions", Message(425), Repeated, 0),
    ] },
    // 383
    Message { name: "k8s.io.api.rbac.v1.AggregationRule", special: Special::None, fields: &[
        f(1, "clusterRoleSelectors", Message(438), Repeated, 0),
    ] },
    // 384
    Message { name: "k8s.io.api.rbac.v1.ClusterRole", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "rules", Message(388), Repeated, R),
        f(3, "aggregationRule", Message(383), Single, P),
    ] },
    // 385
    Message { name: "k8s.io.api.rbac.v1.ClusterRoleBinding", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "subjects", Message(394), Repeated, 0),
        f(3, "roleRef", Message(393), Single, R),
    ] },
    // 386
    Message { name: "k8s.io.api.rbac.v1.ClusterRoleBindingList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(385), Repeated, R),
    ] },
    // 387
    Message { name: "k8s.io.api.rbac.v1.ClusterRoleList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(384), Repeated, R),
    ] },
    // 388
    Message { name: "k8s.io.api.rbac.v1.PolicyRule", special: Special::None, fields: &[
        f(1, "verbs", Str, Repeated, R),
        f(2, "apiGroups", Str, Repeated, 0),
        f(3, "resources", Str, Repeated, 0),
        f(4, "resourceNames", Str, Repeated, 0),
        f(5, "nonResourceURLs", Str, Repeated, 0),
    ] },
    // 389
    Message { name: "k8s.io.api.rbac.v1.Role", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "rules", Message(388), Repeated, R),
    ] },
    // 390
    Message { name: "k8s.io.api.rbac.v1.RoleBinding", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "subjects", Message(394), Repeated, 0),
        f(3, "roleRef", Message(393), Single, R),
    ] },
    // 391
    Message { name: "k8s.io.api.rbac.v1.RoleBindingList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(390), Repeated, R),
    ] },
    // 392
    Message { name: "k8s.io.api.rbac.v1.RoleList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(389), Repeated, R),
    ] },
    // 393
    Message { name: "k8s.io.api.rbac.v1.RoleRef", special: Special::None, fields: &[
        f(1, "apiGroup", Str, Single, R),
        f(2, "kind", Str, Single, R),
        f(3, "name", Str, Single, R),
    ] },
    // 394
    Message { name: "k8s.io.api.rbac.v1.Subject", special: Special::None, fields: &[
        f(1, "kind", Str, Single, R),
        f(2, "apiGroup", Str, Single, 0),
        f(3, "name", Str, Single, R),
        f(4, "namespace", Str, Single, 0),
    ] },
    // 395
    Message { name: "k8s.io.api.scheduling.v1.PriorityClass", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "value", Int32, Single, R),
        f(3, "globalDefault", Bool, Single, 0),
        f(4, "description", Str, Single, 0),
        f(5, "preemptionPolicy", Str, Single, P),
    ] },
    // 396
    Message { name: "k8s.io.api.scheduling.v1.PriorityClassList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(395), Repeated, R),
    ] },
    // 397
    Message { name: "k8s.io.api.storage.v1.CSIDriver", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(399), Single, R),
    ] },
    // 398
    Message { name: "k8s.io.api.storage.v1.CSIDriverList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(397), Repeated, R),
    ] },
    // 399
    Message { name: "k8s.io.api.storage.v1.CSIDriverSpec", special: Special::None, fields: &[
        f(1, "attachRequired", Bool, Single, P),
        f(2, "podInfoOnMount", Bool, Single, P),
        f(3, "volumeLifecycleModes", Str, Repeated, 0),
        f(4, "storageCapacity", Bool, Single, P),
        f(5, "fsGroupPolicy", Str, Single, P),
        f(6, "tokenRequests", Message(408), Repeated, 0),
        f(7, "requiresRepublish", Bool, Single, P),
        f(8, "seLinuxMount", Bool, Single, P),
        f(9, "nodeAllocatableUpdatePeriodSeconds", Int64, Single, P),
        f(10, "serviceAccountTokenInSecrets", Bool, Single, P),
    ] },
    // 400
    Message { name: "k8s.io.api.storage.v1.CSINode", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(403), Single, R),
    ] },
    // 401
    Message { name: "k8s.io.api.storage.v1.CSINodeDriver", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "nodeID", Str, Single, R),
        f(3, "topologyKeys", Str, Repeated, R),
        f(4, "allocatable", Message(417), Single, P),
    ] },
    // 402
    Message { name: "k8s.io.api.storage.v1.CSINodeList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(400), Repeated, R),
    ] },
    // 403
    Message { name: "k8s.io.api.storage.v1.CSINodeSpec", special: Special::None, fields: &[
        f(1, "drivers", Message(401), Repeated, R),
    ] },
    // 404
    Message { name: "k8s.io.api.storage.v1.CSIStorageCapacity", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "nodeTopology", Message(438), Single, P),
        f(3, "storageClassName", Str, Single, R),
        f(4, "capacity", Message(418), Single, P),
        f(5, "maximumVolumeSize", Message(418), Single, P),
    ] },
    // 405
    Message { name: "k8s.io.api.storage.v1.CSIStorageCapacityList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(404), Repeated, R),
    ] },
    // 406
    Message { name: "k8s.io.api.storage.v1.StorageClass", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "provisioner", Str, Single, R),
        f(3, "parameters", Str, Map, 0),
        f(4, "reclaimPolicy", Str, Single, P),
        f(5, "mountOptions", Str, Repeated, 0),
        f(6, "allowVolumeExpansion", Bool, Single, P),
        f(7, "volumeBindingMode", Str, Single, P),
        f(8, "allowedTopologies", Message(316), Repeated, 0),
    ] },
    // 407
    Message { name: "k8s.io.api.storage.v1.StorageClassList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(406), Repeated, R),
    ] },
    // 408
    Message { name: "k8s.io.api.storage.v1.TokenRequest", special: Special::None, fields: &[
        f(1, "audience", Str, Single, R),
        f(2, "expirationSeconds", Int64, Single, P),
    ] },
    // 409
    Message { name: "k8s.io.api.storage.v1.VolumeAttachment", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "spec", Message(412), Single, R),
        f(3, "status", Message(413), Single, 0),
    ] },
    // 410
    Message { name: "k8s.io.api.storage.v1.VolumeAttachmentList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(409), Repeated, R),
    ] },
    // 411
    Message { name: "k8s.io.api.storage.v1.VolumeAttachmentSource", special: Special::None, fields: &[
        f(1, "persistentVolumeName", Str, Single, P),
        f(2, "inlineVolumeSpec", Message(225), Single, P),
    ] },
    // 412
    Message { name: "k8s.io.api.storage.v1.VolumeAttachmentSpec", special: Special::None, fields: &[
        f(1, "attacher", Str, Single, R),
        f(2, "source", Message(411), Single, R),
        f(3, "nodeName", Str, Single, R),
    ] },
    // 413
    Message { name: "k8s.io.api.storage.v1.VolumeAttachmentStatus", special: Special::None, fields: &[
        f(1, "attached", Bool, Single, R),
        f(2, "attachmentMetadata", Str, Map, 0),
        f(3, "attachError", Message(416), Single, P),
        f(4, "detachError", Message(416), Single, P),
    ] },
    // 414
    Message { name: "k8s.io.api.storage.v1.VolumeAttributesClass", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
        f(2, "driverName", Str, Single, R),
        f(3, "parameters", Str, Map, 0),
    ] },
    // 415
    Message { name: "k8s.io.api.storage.v1.VolumeAttributesClassList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(414), Repeated, R),
    ] },
    // 416
    Message { name: "k8s.io.api.storage.v1.VolumeError", special: Special::None, fields: &[
        f(1, "time", Message(457), Single, 0),
        f(2, "message", Str, Single, 0),
        f(3, "errorCode", Int32, Single, P),
    ] },
    // 417
    Message { name: "k8s.io.api.storage.v1.VolumeNodeResources", special: Special::None, fields: &[
        f(1, "count", Int32, Single, P),
    ] },
    // 418
    Message { name: "k8s.io.apimachinery.pkg.api.resource.Quantity", special: Special::Quantity, fields: &[
        f(1, "string", Str, Single, 0),
    ] },
    // 419
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.APIGroup", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "versions", Message(435), Repeated, R),
        f(3, "preferredVersion", Message(435), Single, 0),
        f(4, "serverAddressByClientCIDRs", Message(452), Repeated, 0),
    ] },
    // 420
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.APIGroupList", special: Special::None, fields: &[
        f(1, "groups", Message(419), Repeated, R),
    ] },
    // 421
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.APIResource", special: Special::None, fields: &[
        f(1, "name", Str, Single, R),
        f(2, "namespaced", Bool, Single, R),
        f(3, "kind", Str, Single, R),
        f(4, "verbs", Message(461), Single, R),
        f(5, "shortNames", Str, Repeated, 0),
        f(6, "singularName", Str, Single, R),
        f(7, "categories", Str, Repeated, 0),
        f(8, "group", Str, Single, 0),
        f(9, "version", Str, Single, 0),
        f(10, "storageVersionHash", Str, Single, 0),
    ] },
    // 422
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.APIResourceList", special: Special::None, fields: &[
        f(1, "groupVersion", Str, Single, R),
        f(2, "resources", Message(421), Repeated, R),
    ] },
    // 423
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.APIVersions", special: Special::None, fields: &[
        f(1, "versions", Str, Repeated, R),
        f(2, "serverAddressByClientCIDRs", Message(452), Repeated, R),
    ] },
    // 424
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.ApplyOptions", special: Special::None, fields: &[
        f(1, "dryRun", Str, Repeated, 0),
        f(2, "force", Bool, Single, R),
        f(3, "fieldManager", Str, Single, R),
    ] },
    // 425
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.Condition", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "status", Str, Single, R),
        f(3, "observedGeneration", Int64, Single, 0),
        f(4, "lastTransitionTime", Message(457), Single, R),
        f(5, "reason", Str, Single, R),
        f(6, "message", Str, Single, R),
    ] },
    // 426
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.CreateOptions", special: Special::None, fields: &[
        f(1, "dryRun", Str, Repeated, 0),
        f(3, "fieldManager", Str, Single, 0),
        f(4, "fieldValidation", Str, Single, 0),
    ] },
    // 427
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions", special: Special::None, fields: &[
        f(1, "gracePeriodSeconds", Int64, Single, P),
        f(2, "preconditions", Message(450), Single, P),
        f(3, "orphanDependents", Bool, Single, P),
        f(4, "propagationPolicy", Str, Single, P),
        f(5, "dryRun", Str, Repeated, 0),
        f(6, "ignoreStoreReadErrorWithClusterBreakingPotential", Bool, Single, P),
    ] },
    // 428
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.Duration", special: Special::Duration, fields: &[
        f(1, "duration", Int64, Single, 0),
    ] },
    // 429
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement", special: Special::None, fields: &[
        f(1, "key", Str, Single, R),
        f(2, "operator", Str, Single, R),
        f(3, "values", Str, Repeated, 0),
    ] },
    // 430
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1", special: Special::RawJson, fields: &[
        f(1, "raw", Bytes, Single, 0),
    ] },
    // 431
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.GetOptions", special: Special::None, fields: &[
        f(1, "resourceVersion", Str, Single, 0),
    ] },
    // 432
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.GroupKind", special: Special::None, fields: &[
        f(1, "group", Str, Single, R),
        f(2, "kind", Str, Single, R),
    ] },
    // 433
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.GroupResource", special: Special::None, fields: &[
        f(1, "group", Str, Single, R),
        f(2, "resource", Str, Single, R),
    ] },
    // 434
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.GroupVersion", special: Special::GroupVersion, fields: &[
        f(1, "group", Str, Single, 0),
        f(2, "version", Str, Single, 0),
    ] },
    // 435
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.GroupVersionForDiscovery", special: Special::None, fields: &[
        f(1, "groupVersion", Str, Single, R),
        f(2, "version", Str, Single, R),
    ] },
    // 436
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.GroupVersionKind", special: Special::None, fields: &[
        f(1, "group", Str, Single, R),
        f(2, "version", Str, Single, R),
        f(3, "kind", Str, Single, R),
    ] },
    // 437
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.GroupVersionResource", special: Special::None, fields: &[
        f(1, "group", Str, Single, R),
        f(2, "version", Str, Single, R),
        f(3, "resource", Str, Single, R),
    ] },
    // 438
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector", special: Special::None, fields: &[
        f(1, "matchLabels", Str, Map, 0),
        f(2, "matchExpressions", Message(439), Repeated, 0),
    ] },
    // 439
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement", special: Special::None, fields: &[
        f(1, "key", Str, Single, R),
        f(2, "operator", Str, Single, R),
        f(3, "values", Str, Repeated, 0),
    ] },
    // 440
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.List", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(463), Repeated, R),
    ] },
    // 441
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta", special: Special::None, fields: &[
        f(1, "selfLink", Str, Single, 0),
        f(2, "resourceVersion", Str, Single, 0),
        f(3, "continue", Str, Single, 0),
        f(4, "remainingItemCount", Int64, Single, P),
    ] },
    // 442
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.ListOptions", special: Special::None, fields: &[
        f(1, "labelSelector", Str, Single, 0),
        f(2, "fieldSelector", Str, Single, 0),
        f(3, "watch", Bool, Single, 0),
        f(4, "resourceVersion", Str, Single, 0),
        f(5, "timeoutSeconds", Int64, Single, P),
        f(7, "limit", Int64, Single, 0),
        f(8, "continue", Str, Single, 0),
        f(9, "allowWatchBookmarks", Bool, Single, 0),
        f(10, "resourceVersionMatch", Str, Single, 0),
        f(11, "sendInitialEvents", Bool, Single, P),
    ] },
    // 443
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry", special: Special::None, fields: &[
        f(1, "manager", Str, Single, 0),
        f(2, "operation", Str, Single, 0),
        f(3, "apiVersion", Str, Single, 0),
        f(4, "time", Message(457), Single, P),
        f(6, "fieldsType", Str, Single, 0),
        f(7, "fieldsV1", Message(430), Single, P),
        f(8, "subresource", Str, Single, 0),
    ] },
    // 444
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime", special: Special::MicroTime, fields: &[
        f(1, "seconds", Int64, Single, 0),
        f(2, "nanos", Int32, Single, 0),
    ] },
    // 445
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", special: Special::None, fields: &[
        f(1, "name", Str, Single, 0),
        f(2, "generateName", Str, Single, 0),
        f(3, "namespace", Str, Single, 0),
        f(4, "selfLink", Str, Single, 0),
        f(5, "uid", Str, Single, 0),
        f(6, "resourceVersion", Str, Single, 0),
        f(7, "generation", Int64, Single, 0),
        f(8, "creationTimestamp", Message(457), Single, 0),
        f(9, "deletionTimestamp", Message(457), Single, P),
        f(10, "deletionGracePeriodSeconds", Int64, Single, P),
        f(11, "labels", Str, Map, 0),
        f(12, "annotations", Str, Map, 0),
        f(13, "ownerReferences", Message(446), Repeated, 0),
        f(14, "finalizers", Str, Repeated, 0),
        f(17, "managedFields", Message(443), Repeated, 0),
    ] },
    // 446
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.OwnerReference", special: Special::None, fields: &[
        f(1, "kind", Str, Single, R),
        f(3, "name", Str, Single, R),
        f(4, "uid", Str, Single, R),
        f(5, "apiVersion", Str, Single, R),
        f(6, "controller", Bool, Single, P),
        f(7, "blockOwnerDeletion", Bool, Single, P),
    ] },
    // 447
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.PartialObjectMetadata", special: Special::None, fields: &[
        f(1, "metadata", Message(445), Single, 0),
    ] },
    // 448
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.PartialObjectMetadataList", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "items", Message(447), Repeated, R),
    ] },
    // 449
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.PatchOptions", special: Special::None, fields: &[
        f(1, "dryRun", Str, Repeated, 0),
        f(2, "force", Bool, Single, P),
        f(3, "fieldManager", Str, Single, 0),
        f(4, "fieldValidation", Str, Single, 0),
    ] },
    // 450
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.Preconditions", special: Special::None, fields: &[
        f(1, "uid", Str, Single, P),
        f(2, "resourceVersion", Str, Single, P),
    ] },
    // 451
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.RootPaths", special: Special::None, fields: &[
        f(1, "paths", Str, Repeated, R),
    ] },
    // 452
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.ServerAddressByClientCIDR", special: Special::None, fields: &[
        f(1, "clientCIDR", Str, Single, R),
        f(2, "serverAddress", Str, Single, R),
    ] },
    // 453
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.Status", special: Special::None, fields: &[
        f(1, "metadata", Message(441), Single, 0),
        f(2, "status", Str, Single, 0),
        f(3, "message", Str, Single, 0),
        f(4, "reason", Str, Single, 0),
        f(5, "details", Message(455), Single, P),
        f(6, "code", Int32, Single, 0),
    ] },
    // 454
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.StatusCause", special: Special::None, fields: &[
        f(1, "reason", Str, Single, 0),
        f(2, "message", Str, Single, 0),
        f(3, "field", Str, Single, 0),
    ] },
    // 455
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.StatusDetails", special: Special::None, fields: &[
        f(1, "name", Str, Single, 0),
        f(2, "group", Str, Single, 0),
        f(3, "kind", Str, Single, 0),
        f(4, "causes", Message(454), Repeated, 0),
        f(5, "retryAfterSeconds", Int32, Single, 0),
        f(6, "uid", Str, Single, 0),
    ] },
    // 456
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.TableOptions", special: Special::None, fields: &[
        f(1, "includeObject", Str, Single, 0),
    ] },
    // 457
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.Time", special: Special::Time, fields: &[
        f(1, "seconds", Int64, Single, 0),
        f(2, "nanos", Int32, Single, 0),
    ] },
    // 458
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.Timestamp", special: Special::None, fields: &[
        f(1, "seconds", Int64, Single, R),
        f(2, "nanos", Int32, Single, R),
    ] },
    // 459
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.TypeMeta", special: Special::None, fields: &[
        f(1, "kind", Str, Single, 0),
        f(2, "apiVersion", Str, Single, 0),
    ] },
    // 460
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.UpdateOptions", special: Special::None, fields: &[
        f(1, "dryRun", Str, Repeated, 0),
        f(2, "fieldManager", Str, Single, 0),
        f(3, "fieldValidation", Str, Single, 0),
    ] },
    // 461
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.Verbs", special: Special::StringList, fields: &[
        f(1, "items", Str, Repeated, 0),
    ] },
    // 462
    Message { name: "k8s.io.apimachinery.pkg.apis.meta.v1.WatchEvent", special: Special::None, fields: &[
        f(1, "type", Str, Single, R),
        f(2, "object", Message(463), Single, R),
    ] },
    // 463
    Message { name: "k8s.io.apimachinery.pkg.runtime.RawExtension", special: Special::RawJson, fields: &[
        f(1, "raw", Bytes, Single, 0),
    ] },
    // 464
    Message { name: "k8s.io.apimachinery.pkg.util.intstr.IntOrString", special: Special::IntOrString, fields: &[
        f(1, "type", Int64, Single, 0),
        f(2, "int_val", Int32, Single, 0),
        f(3, "str_val", Str, Single, 0),
    ] },
];

/// apiVersion, kind and message of every object a request body may hold;
/// apiVersion `*` matches any.
pub(super) static KINDS: &[(&str, &str, u16)] = &[
    ("*", "CreateOptions", 426),
    ("*", "DeleteOptions", 427),
    ("*", "PatchOptions", 449),
    ("*", "Status", 453),
    ("*", "UpdateOptions", 460),
    ("apps/v1", "ControllerRevision", 0),
    ("apps/v1", "DaemonSet", 2),
    ("apps/v1", "Deployment", 8),
    ("apps/v1", "ReplicaSet", 14),
    ("apps/v1", "StatefulSet", 22),
    ("autoscaling/v1", "HorizontalPodAutoscaler", 35),
    ("autoscaling/v1", "Scale", 48),
    ("autoscaling/v2", "HorizontalPodAutoscaler", 56),
    ("batch/v1", "CronJob", 75),
    ("batch/v1", "Job", 79),
    ("coordination.k8s.io/v1", "Lease", 92),
    ("discovery.k8s.io/v1", "EndpointSlice", 336),
    ("events.k8s.io/v1", "Event", 340),
    ("networking.k8s.io/v1", "IPAddress", 345),
    ("networking.k8s.io/v1", "Ingress", 348),
    ("networking.k8s.io/v1", "IngressClass", 350),
    ("networking.k8s.io/v1", "NetworkPolicy", 365),
    ("networking.k8s.io/v1", "ServiceCIDR", 374),
    ("policy/v1", "Eviction", 378),
    ("policy/v1", "PodDisruptionBudget", 379),
    ("rbac.authorization.k8s.io/v1", "ClusterRole", 384),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", 385),
    ("rbac.authorization.k8s.io/v1", "Role", 389),
    ("rbac.authorization.k8s.io/v1", "RoleBinding", 390),
    ("scheduling.k8s.io/v1", "PriorityClass", 395),
    ("storage.k8s.io/v1", "CSIDriver", 397),
    ("storage.k8s.io/v1", "CSINode", 400),
    ("storage.k8s.io/v1", "CSIStorageCapacity", 404),
    ("storage.k8s.io/v1", "StorageClass", 406),
    ("storage.k8s.io/v1", "VolumeAttachment", 409),
    ("storage.k8s.io/v1", "VolumeAttributesClass", 414),
    ("v1", "Binding", 103),
    ("v1", "ComponentStatus", 114),
    ("v1", "ConfigMap", 116),
    ("v1", "Endpoints", 144),
    ("v1", "Event", 152),
    ("v1", "LimitRange", 178),
    ("v1", "Namespace", 188),
    ("v1", "Node", 194),
    ("v1", "NodeProxyOptions", 203),
    ("v1", "PersistentVolume", 215),
    ("v1", "PersistentVolumeClaim", 216),
    ("v1", "Pod", 228),
    ("v1", "PodAttachOptions", 232),
    ("v1", "PodExecOptions", 237),
    ("v1", "PodLogOptions", 241),
    ("v1", "PodPortForwardOptions", 243),
    ("v1", "PodProxyOptions", 244),
    ("v1", "PodStatusResult", 253),
    ("v1", "PodTemplate", 254),
    ("v1", "RangeAllocation", 266),
    ("v1", "ReplicationController", 269),
    ("v1", "ResourceQuota", 277),
    ("v1", "Secret", 289),
    ("v1", "SerializedReference", 297),
    ("v1", "Service", 298),
    ("v1", "ServiceAccount", 299),
    ("v1", "ServiceProxyOptions", 304),
];
