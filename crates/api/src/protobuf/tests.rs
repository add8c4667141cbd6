//! The decoder against objects encoded by prost from k8s-pb's types, built the
//! way kubectl's commands build them and filled the way gogo writes them (every
//! non-pointer scalar present, even when zero).

use std::collections::BTreeMap;

use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::batch::v1 as batch;
use k8s_pb::api::coordination::v1 as coordination;
use k8s_pb::api::core::v1 as core;
use k8s_pb::api::networking::v1 as networking;
use k8s_pb::api::policy::v1 as policy;
use k8s_pb::api::rbac::v1 as rbac;
use k8s_pb::api::scheduling::v1 as scheduling;
use k8s_pb::apimachinery::pkg::api::resource::Quantity;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::runtime::{RawExtension, TypeMeta, Unknown};
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use prost::Message as _;
use serde_json::{json, Value};

use super::{decode_envelope, ProtobufError};

/// The body a client sends for `object`.
fn envelope(api_version: &str, kind: &str, object: &impl prost::Message) -> Vec<u8> {
    envelope_raw(api_version, kind, object.encode_to_vec())
}

fn envelope_raw(api_version: &str, kind: &str, raw: Vec<u8>) -> Vec<u8> {
    let unknown = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some(api_version.into()),
            kind: Some(kind.into()),
        }),
        raw: Some(raw),
        content_encoding: Some(String::new()),
        content_type: Some(String::new()),
    };
    let mut body = b"k8s\0".to_vec();
    body.extend(unknown.encode_to_vec());
    body
}

#[track_caller]
fn check(api_version: &str, kind: &str, object: &impl prost::Message, expected: Value) {
    let decoded = decode_envelope(&envelope(api_version, kind, object)).unwrap();
    assert_eq!(decoded, expected, "\n{decoded:#}\n!=\n{expected:#}");
}

fn text(value: &str) -> Option<String> {
    Some(value.into())
}

fn map(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect()
}

/// Object metadata as gogo writes a fresh object's: every string present, the
/// zero creation time as an empty message.
fn metadata(name: &str, namespace: &str, labels: &[(&str, &str)]) -> Option<meta::ObjectMeta> {
    Some(meta::ObjectMeta {
        name: text(name),
        generate_name: text(""),
        namespace: text(namespace),
        self_link: text(""),
        uid: text(""),
        resource_version: text(""),
        generation: Some(0),
        creation_timestamp: Some(meta::Time::default()),
        labels: map(labels),
        ..Default::default()
    })
}

fn container(name: &str, image: &str) -> core::Container {
    core::Container {
        name: text(name),
        image: text(image),
        working_dir: text(""),
        resources: Some(core::ResourceRequirements::default()),
        termination_message_path: text(""),
        termination_message_policy: text(""),
        image_pull_policy: text(""),
        stdin: Some(false),
        stdin_once: Some(false),
        tty: Some(false),
        ..Default::default()
    }
}

fn pod_spec(containers: Vec<core::Container>) -> core::PodSpec {
    core::PodSpec {
        containers,
        restart_policy: text(""),
        dns_policy: text(""),
        service_account_name: text(""),
        service_account: text(""),
        node_name: text(""),
        host_network: Some(false),
        host_pid: Some(false),
        host_ipc: Some(false),
        hostname: text(""),
        subdomain: text(""),
        scheduler_name: text(""),
        priority_class_name: text(""),
        ..Default::default()
    }
}

fn template(labels: &[(&str, &str)], spec: core::PodSpec) -> Option<core::PodTemplateSpec> {
    Some(core::PodTemplateSpec {
        metadata: metadata("", "", labels),
        spec: Some(spec),
    })
}

#[test]
fn namespace() {
    let namespace = core::Namespace {
        metadata: metadata("typed", "", &[]),
        spec: Some(core::NamespaceSpec::default()),
        status: Some(core::NamespaceStatus {
            phase: text(""),
            ..Default::default()
        }),
    };
    check(
        "v1",
        "Namespace",
        &namespace,
        json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "typed"},
            "spec": {},
            "status": {},
        }),
    );
}

#[test]
fn configmap_with_binary_data() {
    let configmap = core::ConfigMap {
        metadata: metadata("c", "typed", &[]),
        immutable: None,
        data: map(&[("a", "b"), ("empty", "")]),
        binary_data: [("bin".to_string(), vec![0u8, 1, 2, 255])].into(),
    };
    check(
        "v1",
        "ConfigMap",
        &configmap,
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "typed"},
            "data": {"a": "b", "empty": ""},
            "binaryData": {"bin": "AAEC/w=="},
        }),
    );
}

#[test]
fn secret() {
    let secret = core::Secret {
        metadata: metadata("s", "typed", &[]),
        immutable: None,
        data: [("x".to_string(), b"y".to_vec())].into(),
        string_data: BTreeMap::new(),
        r#type: text(""),
    };
    check(
        "v1",
        "Secret",
        &secret,
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s", "namespace": "typed"},
            "data": {"x": "eQ=="},
        }),
    );
}

fn deployment(replicas: i32) -> apps::Deployment {
    apps::Deployment {
        metadata: metadata("d", "typed", &[("app", "d")]),
        spec: Some(apps::DeploymentSpec {
            replicas: Some(replicas),
            selector: Some(meta::LabelSelector {
                match_labels: map(&[("app", "d")]),
                match_expressions: Vec::new(),
            }),
            template: template(
                &[("app", "d")],
                pod_spec(vec![container("busybox", "busybox")]),
            ),
            strategy: Some(apps::DeploymentStrategy {
                r#type: text(""),
                rolling_update: None,
            }),
            min_ready_seconds: Some(0),
            revision_history_limit: None,
            paused: Some(false),
            progress_deadline_seconds: None,
        }),
        status: Some(apps::DeploymentStatus {
            observed_generation: Some(0),
            replicas: Some(0),
            updated_replicas: Some(0),
            ready_replicas: Some(0),
            available_replicas: Some(0),
            unavailable_replicas: Some(0),
            ..Default::default()
        }),
    }
}

fn deployment_json(replicas: i32) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "typed", "labels": {"app": "d"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "d"}},
            "template": {
                "metadata": {"labels": {"app": "d"}},
                "spec": {"containers": [{"name": "busybox", "image": "busybox", "resources": {}}]},
            },
            "strategy": {},
        },
        "status": {},
    })
}

#[test]
fn deployment_keeps_zero_replicas() {
    check("apps/v1", "Deployment", &deployment(0), deployment_json(0));
    check("apps/v1", "Deployment", &deployment(3), deployment_json(3));
}

#[test]
fn service_ports() {
    let port = |name: &str, port: i32, target: IntOrString| core::ServicePort {
        name: text(name),
        protocol: text("TCP"),
        app_protocol: None,
        port: Some(port),
        target_port: Some(target),
        node_port: Some(0),
    };
    let service = core::Service {
        metadata: metadata("s", "typed", &[("app", "s")]),
        spec: Some(core::ServiceSpec {
            ports: vec![
                port(
                    "80-8080",
                    80,
                    IntOrString {
                        r#type: Some(0),
                        int_val: Some(8080),
                        str_val: text(""),
                    },
                ),
                port(
                    "web",
                    443,
                    IntOrString {
                        r#type: Some(1),
                        int_val: Some(0),
                        str_val: text("https"),
                    },
                ),
            ],
            selector: map(&[("app", "s")]),
            cluster_ip: text(""),
            r#type: text("ClusterIP"),
            session_affinity: text(""),
            load_balancer_ip: text(""),
            external_name: text(""),
            external_traffic_policy: text(""),
            health_check_node_port: Some(0),
            publish_not_ready_addresses: Some(false),
            ..Default::default()
        }),
        status: Some(core::ServiceStatus {
            load_balancer: Some(core::LoadBalancerStatus::default()),
            conditions: Vec::new(),
        }),
    };
    check(
        "v1",
        "Service",
        &service,
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "s", "namespace": "typed", "labels": {"app": "s"}},
            "spec": {
                "ports": [
                    {"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080},
                    {"name": "web", "protocol": "TCP", "port": 443, "targetPort": "https"},
                ],
                "selector": {"app": "s"},
                "type": "ClusterIP",
            },
            "status": {"loadBalancer": {}},
        }),
    );
}

#[test]
fn priority_class_keeps_required_zero_value() {
    let class = scheduling::PriorityClass {
        metadata: metadata("p", "", &[]),
        value: Some(0),
        global_default: Some(false),
        description: text(""),
        preemption_policy: None,
    };
    check(
        "scheduling.k8s.io/v1",
        "PriorityClass",
        &class,
        json!({
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": "p"},
            "value": 0,
        }),
    );
}

#[test]
fn pod_with_pointer_zeros_quantities_and_inline_volume_source() {
    let mut app = container("app", "x");
    app.resources = Some(core::ResourceRequirements {
        limits: [(
            "cpu".to_string(),
            Quantity {
                string: text("100m"),
            },
        )]
        .into(),
        requests: [("memory".to_string(), Quantity { string: None })].into(),
        claims: Vec::new(),
    });
    app.ports = vec![core::ContainerPort {
        name: text(""),
        host_port: Some(0),
        container_port: Some(8080),
        protocol: text("TCP"),
        host_ip: text(""),
    }];
    app.volume_mounts = vec![core::VolumeMount {
        name: text("scratch"),
        read_only: Some(false),
        mount_path: text("/scratch"),
        sub_path: text(""),
        ..Default::default()
    }];
    let mut spec = pod_spec(vec![app]);
    spec.restart_policy = text("Never");
    spec.termination_grace_period_seconds = Some(0);
    spec.automount_service_account_token = Some(false);
    spec.security_context = Some(core::PodSecurityContext {
        run_as_user: Some(0),
        run_as_non_root: Some(false),
        ..Default::default()
    });
    spec.volumes = vec![core::Volume {
        name: text("scratch"),
        volume_source: Some(core::VolumeSource {
            empty_dir: Some(core::EmptyDirVolumeSource {
                medium: text(""),
                size_limit: None,
            }),
            ..Default::default()
        }),
    }];
    let pod = core::Pod {
        metadata: metadata("p", "typed", &[("run", "p")]),
        spec: Some(spec),
        status: Some(core::PodStatus::default()),
    };
    check(
        "v1",
        "Pod",
        &pod,
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "typed", "labels": {"run": "p"}},
            "spec": {
                "volumes": [{"name": "scratch", "emptyDir": {}}],
                "containers": [{
                    "name": "app",
                    "image": "x",
                    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                    "resources": {"limits": {"cpu": "100m"}, "requests": {"memory": "0"}},
                    "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}],
                }],
                "restartPolicy": "Never",
                "terminationGracePeriodSeconds": 0,
                "automountServiceAccountToken": false,
                "securityContext": {"runAsUser": 0, "runAsNonRoot": false},
            },
            "status": {},
        }),
    );
}

#[test]
fn cronjob() {
    let mut spec = pod_spec(vec![container("c", "busybox")]);
    spec.restart_policy = text("OnFailure");
    let cronjob = batch::CronJob {
        metadata: metadata("cj", "typed", &[]),
        spec: Some(batch::CronJobSpec {
            schedule: text("*/1 * * * *"),
            time_zone: None,
            starting_deadline_seconds: None,
            concurrency_policy: text(""),
            suspend: None,
            job_template: Some(batch::JobTemplateSpec {
                metadata: metadata("cj", "", &[]),
                spec: Some(batch::JobSpec {
                    template: template(&[], spec),
                    ..Default::default()
                }),
            }),
            successful_jobs_history_limit: None,
            failed_jobs_history_limit: None,
        }),
        status: Some(batch::CronJobStatus::default()),
    };
    check(
        "batch/v1",
        "CronJob",
        &cronjob,
        json!({
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "cj", "namespace": "typed"},
            "spec": {
                "schedule": "*/1 * * * *",
                "jobTemplate": {
                    "metadata": {"name": "cj"},
                    "spec": {
                        "template": {
                            "metadata": {},
                            "spec": {
                                "containers": [{"name": "c", "image": "busybox", "resources": {}}],
                                "restartPolicy": "OnFailure",
                            },
                        },
                    },
                },
            },
            "status": {},
        }),
    );
}

#[test]
fn ingress_with_inline_rule_value() {
    let ingress = networking::Ingress {
        metadata: metadata("ing", "typed", &[]),
        spec: Some(networking::IngressSpec {
            ingress_class_name: None,
            default_backend: None,
            tls: Vec::new(),
            rules: vec![networking::IngressRule {
                host: text("foo.com"),
                ingress_rule_value: Some(networking::IngressRuleValue {
                    http: Some(networking::HttpIngressRuleValue {
                        paths: vec![networking::HttpIngressPath {
                            path: text("/bar"),
                            path_type: text("Exact"),
                            backend: Some(networking::IngressBackend {
                                service: Some(networking::IngressServiceBackend {
                                    name: text("svc1"),
                                    port: Some(networking::ServiceBackendPort {
                                        name: text(""),
                                        number: Some(8080),
                                    }),
                                }),
                                resource: None,
                            }),
                        }],
                    }),
                }),
            }],
        }),
        status: Some(networking::IngressStatus {
            load_balancer: Some(networking::IngressLoadBalancerStatus::default()),
        }),
    };
    check(
        "networking.k8s.io/v1",
        "Ingress",
        &ingress,
        json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "ing", "namespace": "typed"},
            "spec": {"rules": [{
                "host": "foo.com",
                "http": {"paths": [{
                    "path": "/bar",
                    "pathType": "Exact",
                    "backend": {"service": {"name": "svc1", "port": {"number": 8080}}},
                }]},
            }]},
            "status": {"loadBalancer": {}},
        }),
    );
}

#[test]
fn role_keeps_empty_strings_in_lists() {
    let role = rbac::Role {
        metadata: metadata("r", "typed", &[]),
        rules: vec![rbac::PolicyRule {
            verbs: vec!["get".into(), "list".into()],
            api_groups: vec![String::new()],
            resources: vec!["pods".into()],
            resource_names: Vec::new(),
            non_resource_ur_ls: Vec::new(),
        }],
    };
    check(
        "rbac.authorization.k8s.io/v1",
        "Role",
        &role,
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "r", "namespace": "typed"},
            "rules": [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]}],
        }),
    );
}

#[test]
fn times_micro_times_raw_json_and_fields_v1() {
    let mut meta = metadata("l", "typed", &[]).unwrap();
    meta.creation_timestamp = Some(meta::Time {
        seconds: Some(1_700_000_000),
        nanos: Some(5),
    });
    meta.deletion_timestamp = Some(meta::Time {
        seconds: Some(-62_135_596_800),
        nanos: Some(0),
    });
    meta.managed_fields = vec![meta::ManagedFieldsEntry {
        manager: text("kubectl"),
        operation: text("Update"),
        api_version: text("coordination.k8s.io/v1"),
        time: None,
        fields_type: text("FieldsV1"),
        fields_v1: Some(meta::FieldsV1 {
            raw: Some(br#"{"f:spec":{}}"#.to_vec()),
        }),
        subresource: text(""),
    }];
    let lease = coordination::Lease {
        metadata: Some(meta),
        spec: Some(coordination::LeaseSpec {
            holder_identity: text("me"),
            lease_duration_seconds: Some(0),
            acquire_time: Some(meta::MicroTime {
                seconds: Some(1_700_000_000),
                nanos: Some(123_456_789),
            }),
            renew_time: Some(meta::MicroTime::default()),
            ..Default::default()
        }),
    };
    check(
        "coordination.k8s.io/v1",
        "Lease",
        &lease,
        json!({
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {
                "name": "l",
                "namespace": "typed",
                "creationTimestamp": "2023-11-14T22:13:20Z",
                "managedFields": [{
                    "manager": "kubectl",
                    "operation": "Update",
                    "apiVersion": "coordination.k8s.io/v1",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:spec": {}},
                }],
            },
            "spec": {
                "holderIdentity": "me",
                "leaseDurationSeconds": 0,
                "acquireTime": "2023-11-14T22:13:20.123456Z",
            },
        }),
    );

    let revision = apps::ControllerRevision {
        metadata: metadata("rev", "typed", &[]),
        data: Some(RawExtension {
            raw: Some(br#"{"spec":{"replicas":2}}"#.to_vec()),
        }),
        revision: Some(1),
    };
    check(
        "apps/v1",
        "ControllerRevision",
        &revision,
        json!({
            "apiVersion": "apps/v1",
            "kind": "ControllerRevision",
            "metadata": {"name": "rev", "namespace": "typed"},
            "data": {"spec": {"replicas": 2}},
            "revision": 1,
        }),
    );
}

#[test]
fn options_status_scale_and_eviction() {
    let options = meta::DeleteOptions {
        grace_period_seconds: Some(0),
        preconditions: Some(meta::Preconditions {
            uid: text("1234"),
            resource_version: None,
        }),
        orphan_dependents: None,
        propagation_policy: text("Foreground"),
        dry_run: vec!["All".into()],
        ignore_store_read_error_with_cluster_breaking_potential: None,
    };
    let expected_options = json!({
        "gracePeriodSeconds": 0,
        "preconditions": {"uid": "1234"},
        "propagationPolicy": "Foreground",
        "dryRun": ["All"],
    });
    // Upstream registers the option kinds in every group version.
    for api_version in ["v1", "apps/v1", "meta.k8s.io/v1"] {
        let mut expected = json!({"apiVersion": api_version, "kind": "DeleteOptions"});
        expected
            .as_object_mut()
            .unwrap()
            .extend(expected_options.as_object().unwrap().clone());
        check(api_version, "DeleteOptions", &options, expected);
    }
    let eviction = policy::Eviction {
        metadata: metadata("p", "typed", &[]),
        delete_options: Some(options),
    };
    check(
        "policy/v1",
        "Eviction",
        &eviction,
        json!({
            "apiVersion": "policy/v1",
            "kind": "Eviction",
            "metadata": {"name": "p", "namespace": "typed"},
            "deleteOptions": expected_options,
        }),
    );
    // ScaleSpec.replicas is not a pointer: Go's JSON leaves a zero out too.
    let scale = k8s_pb::api::autoscaling::v1::Scale {
        metadata: metadata("d", "typed", &[]),
        spec: Some(k8s_pb::api::autoscaling::v1::ScaleSpec { replicas: Some(0) }),
        status: None,
    };
    check(
        "autoscaling/v1",
        "Scale",
        &scale,
        json!({
            "apiVersion": "autoscaling/v1",
            "kind": "Scale",
            "metadata": {"name": "d", "namespace": "typed"},
            "spec": {},
        }),
    );
    let status = meta::Status {
        status: text("Failure"),
        message: text("gone"),
        reason: text("NotFound"),
        code: Some(404),
        ..Default::default()
    };
    check(
        "v1",
        "Status",
        &status,
        json!({
            "apiVersion": "v1",
            "kind": "Status",
            "status": "Failure",
            "message": "gone",
            "reason": "NotFound",
            "code": 404,
        }),
    );
}

/// Hand-made encodings of what prost cannot be asked to write.
mod wire {
    use super::*;

    fn varint(mut value: u64, out: &mut Vec<u8>) {
        while value >= 0x80 {
            out.push((value as u8) | 0x80);
            value >>= 7;
        }
        out.push(value as u8);
    }

    fn field(tag: u32, payload: &[u8], out: &mut Vec<u8>) {
        varint(u64::from(tag) << 3 | 2, out);
        varint(payload.len() as u64, out);
        out.extend_from_slice(payload);
    }

    #[test]
    fn unknown_fields_are_skipped() {
        let mut raw = core::Namespace {
            metadata: metadata("n", "", &[]),
            ..Default::default()
        }
        .encode_to_vec();
        // Field 99 as a varint, field 100 as bytes, field 101 as fixed32.
        raw.extend([0x98, 0x06, 0x07]);
        field(100, b"ignored", &mut raw);
        raw.extend([0xad, 0x06, 1, 2, 3, 4]);
        let decoded = decode_envelope(&envelope_raw("v1", "Namespace", raw)).unwrap();
        assert_eq!(
            decoded,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}})
        );
    }

    #[test]
    fn repeated_singular_messages_merge() {
        let first = apps::Deployment {
            spec: Some(apps::DeploymentSpec {
                replicas: Some(1),
                paused: Some(true),
                ..Default::default()
            }),
            ..Default::default()
        };
        let second = apps::Deployment {
            spec: Some(apps::DeploymentSpec {
                replicas: Some(2),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut raw = first.encode_to_vec();
        raw.extend(second.encode_to_vec());
        let decoded = decode_envelope(&envelope_raw("apps/v1", "Deployment", raw)).unwrap();
        assert_eq!(decoded["spec"], json!({"replicas": 2, "paused": true}));
    }

    #[test]
    fn packed_numbers_are_read() {
        // PodSecurityContext.supplementalGroups (4) packed; PodSpec.securityContext
        // (14); Pod.spec (2).
        let mut packed = Vec::new();
        for group in [1000u64, 0, 7] {
            varint(group, &mut packed);
        }
        let mut context = Vec::new();
        field(4, &packed, &mut context);
        let mut spec = Vec::new();
        field(14, &context, &mut spec);
        let mut raw = Vec::new();
        field(2, &spec, &mut raw);
        let decoded = decode_envelope(&envelope_raw("v1", "Pod", raw)).unwrap();
        assert_eq!(
            decoded["spec"],
            json!({"securityContext": {"supplementalGroups": [1000, 0, 7]}})
        );
    }

    #[test]
    fn errors_name_the_field() {
        // Deployment.spec (2) whose replicas (1) is length-delimited.
        let mut spec = Vec::new();
        field(1, b"xx", &mut spec);
        let mut raw = Vec::new();
        field(2, &spec, &mut raw);
        let error = decode_envelope(&envelope_raw("apps/v1", "Deployment", raw)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "decoding Deployment from protobuf: spec.replicas: wire type length-delimited, expected varint"
        );

        let mut pod = core::Pod {
            spec: Some(pod_spec(vec![container("a", "x"), container("b", "x")])),
            ..Default::default()
        };
        pod.spec.as_mut().unwrap().containers[1]
            .resources
            .as_mut()
            .unwrap()
            .limits
            .insert("cpu".into(), Quantity { string: None });
        let mut raw = pod.encode_to_vec();
        // Truncate: the last container's quantity loses its final byte.
        raw.pop();
        let error = decode_envelope(&envelope_raw("v1", "Pod", raw)).unwrap_err();
        assert!(matches!(error, ProtobufError::Field { .. }), "{error}");
    }

    #[test]
    fn envelope_errors() {
        let cases: [(&[u8], &str); 4] = [
            (b"", "empty data"),
            (b"{\"kind\":\"Pod\"}", "expected prefix"),
            (b"k8s\0", "empty body"),
            (b"k8s\0\x0a\x05", "unexpected end of data"),
        ];
        for (body, message) in cases {
            let error = decode_envelope(body).unwrap_err().to_string();
            assert!(error.contains(message), "{error}");
        }
        let error = decode_envelope(&envelope_raw("v1", "Nope", Vec::new())).unwrap_err();
        assert_eq!(
            error.to_string(),
            "no kind \"Nope\" is registered for version \"v1\" in protobuf"
        );
        let error = decode_envelope(&envelope_raw("apps/v1", "", Vec::new())).unwrap_err();
        assert!(matches!(error, ProtobufError::MissingKind), "{error}");
        let error = decode_envelope(&envelope_raw("", "Pod", Vec::new())).unwrap_err();
        assert!(matches!(error, ProtobufError::MissingVersion), "{error}");
    }
}

/// Truncated, corrupted and random bodies give errors, never panics.
#[test]
fn garbage_never_panics() {
    let body = envelope("apps/v1", "Deployment", &deployment(2));
    for end in 0..body.len() {
        let _ = decode_envelope(&body[..end]);
    }
    // Deterministic xorshift, so a failure can be replayed.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..2_000 {
        let mut corrupted = body.clone();
        for _ in 0..=(next() % 4) {
            let index = (next() as usize) % corrupted.len();
            corrupted[index] = next() as u8;
        }
        let _ = decode_envelope(&corrupted);
    }
    for _ in 0..2_000 {
        let length = (next() % 64) as usize;
        let mut random = b"k8s\0".to_vec();
        random.extend((0..length).map(|_| next() as u8));
        let _ = decode_envelope(&random);
    }
    // JSON nested beyond serde_json's recursion limit in a RawExtension.
    let revision = apps::ControllerRevision {
        metadata: metadata("rev", "typed", &[]),
        data: Some(RawExtension {
            raw: Some("[".repeat(100_000).into_bytes()),
        }),
        revision: Some(1),
    };
    let error = decode_envelope(&envelope("apps/v1", "ControllerRevision", &revision)).unwrap_err();
    assert!(
        error.to_string().contains("data: raw JSON is invalid"),
        "{error}"
    );
}
