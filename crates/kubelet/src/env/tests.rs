use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapEnvSource, ConfigMapKeySelector, Container, EnvFromSource, EnvVar,
    EnvVarSource, ObjectFieldSelector, Pod, PodSpec, ResourceFieldSelector, Secret,
    SecretEnvSource, SecretKeySelector, Service, ServicePort, ServiceSpec,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;

use super::*;

fn meta(ns: &str, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: Some(ns.into()),
        ..Default::default()
    }
}

fn pod(links: Option<bool>) -> Pod {
    Pod {
        metadata: ObjectMeta {
            uid: Some("uid-1".into()),
            ..meta("shop", "web")
        },
        spec: Some(PodSpec {
            node_name: Some("node-1".into()),
            enable_service_links: links,
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn value(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(value.into()),
        value_from: None,
    }
}

fn from(name: &str, source: EnvVarSource) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: None,
        value_from: Some(source),
    }
}

fn cm_key(name: &str, key: &str, optional: Option<bool>) -> EnvVarSource {
    EnvVarSource {
        config_map_key_ref: Some(ConfigMapKeySelector {
            name: name.into(),
            key: key.into(),
            optional,
        }),
        ..Default::default()
    }
}

fn secret_key(name: &str, key: &str, optional: Option<bool>) -> EnvVarSource {
    EnvVarSource {
        secret_key_ref: Some(SecretKeySelector {
            name: name.into(),
            key: key.into(),
            optional,
        }),
        ..Default::default()
    }
}

fn service(ns: &str, name: &str, ip: &str, port: i32) -> Service {
    Service {
        metadata: meta(ns, name),
        spec: Some(ServiceSpec {
            cluster_ip: Some(ip.into()),
            ports: Some(vec![ServicePort {
                port,
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn sources() -> Sources {
    let config = ConfigMap {
        metadata: meta("shop", "config"),
        data: Some(BTreeMap::from([
            ("MODE".to_string(), "prod".to_string()),
            ("LEVEL".to_string(), "3".to_string()),
            ("bad=key".to_string(), "x".to_string()),
        ])),
        ..Default::default()
    };
    let creds = Secret {
        metadata: meta("shop", "creds"),
        data: Some(BTreeMap::from([
            ("password".to_string(), ByteString(b"hunter2".to_vec())),
            ("MODE".to_string(), ByteString(b"from-secret".to_vec())),
        ])),
        ..Default::default()
    };
    Sources {
        config_maps: BTreeMap::from([
            ("config".to_string(), Some(config)),
            ("gone".to_string(), None),
        ]),
        secrets: BTreeMap::from([
            ("creds".to_string(), Some(creds)),
            ("gone".to_string(), None),
        ]),
        services: vec![
            service("default", "kubernetes", "10.43.0.1", 443),
            service("shop", "db", "10.43.0.20", 5432),
        ],
    }
}

fn node() -> NodeInfo {
    NodeInfo {
        host_ips: vec!["192.168.1.5".into()],
        allocatable: BTreeMap::from([
            ("cpu".to_string(), Quantity("4".into())),
            ("memory".to_string(), Quantity("16Gi".into())),
        ]),
    }
}

fn run(pod: &Pod, container: &Container) -> Result<Vec<(String, String)>, EnvError> {
    build(
        pod,
        container,
        &["10.42.0.9".to_string()],
        &node(),
        &sources(),
    )
}

fn as_map(vars: &[(String, String)]) -> BTreeMap<&str, &str> {
    vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[test]
fn values_expand_earlier_variables_and_services() {
    let container = Container {
        name: "app".into(),
        env: Some(vec![
            value("A", "a"),
            value("B", "$(A)-b"),
            value("C", "$(LATER)"),
            value("D", "$$(A)"),
            value("E", "$(DB_SERVICE_HOST):$(DB_SERVICE_PORT)"),
            value("LATER", "late"),
            value("EMPTY", ""),
        ]),
        ..Default::default()
    };
    let vars = run(&pod(None), &container).unwrap();
    let env = as_map(&vars);
    assert_eq!(env["A"], "a");
    assert_eq!(env["B"], "a-b");
    assert_eq!(env["C"], "$(LATER)");
    assert_eq!(env["D"], "$(A)");
    assert_eq!(env["E"], "10.43.0.20:5432");
    assert_eq!(env["EMPTY"], "");
    // Declared variables first, in order, then service variables by name.
    let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(&names[..7], ["A", "B", "C", "D", "E", "LATER", "EMPTY"]);
    assert!(names[7..].windows(2).all(|w| w[0] < w[1]));
    assert_eq!(env["KUBERNETES_SERVICE_HOST"], "10.43.0.1");
    assert_eq!(env["KUBERNETES_SERVICE_PORT"], "443");
}

#[test]
fn service_links_off_keeps_kubernetes_only() {
    let container = Container {
        name: "app".into(),
        ..Default::default()
    };
    let vars = run(&pod(Some(false)), &container).unwrap();
    let env = as_map(&vars);
    assert_eq!(env["KUBERNETES_SERVICE_HOST"], "10.43.0.1");
    assert!(!env.contains_key("DB_SERVICE_HOST"));
}

#[test]
fn env_from_precedence_and_prefix() {
    let container = Container {
        name: "app".into(),
        env_from: Some(vec![
            EnvFromSource {
                config_map_ref: Some(ConfigMapEnvSource {
                    name: "config".into(),
                    optional: None,
                }),
                ..Default::default()
            },
            // A later source wins over an earlier one.
            EnvFromSource {
                secret_ref: Some(SecretEnvSource {
                    name: "creds".into(),
                    optional: None,
                }),
                ..Default::default()
            },
            EnvFromSource {
                prefix: Some("CFG_".into()),
                config_map_ref: Some(ConfigMapEnvSource {
                    name: "config".into(),
                    optional: None,
                }),
                ..Default::default()
            },
            EnvFromSource {
                secret_ref: Some(SecretEnvSource {
                    name: "gone".into(),
                    optional: Some(true),
                }),
                ..Default::default()
            },
        ]),
        env: Some(vec![
            // Explicit env wins over envFrom.
            value("LEVEL", "9"),
            // envFrom wins over service variables.
            value("X", "$(MODE)"),
        ]),
        ..Default::default()
    };
    let vars = run(&pod(None), &container).unwrap();
    let env = as_map(&vars);
    assert_eq!(env["MODE"], "from-secret");
    assert_eq!(env["password"], "hunter2");
    assert_eq!(env["CFG_MODE"], "prod");
    assert_eq!(env["CFG_LEVEL"], "3");
    assert_eq!(env["LEVEL"], "9");
    assert_eq!(env["X"], "from-secret");
    assert!(!env.contains_key("bad=key"));
    assert!(!env.contains_key("CFG_bad=key"));
    assert_eq!(vars.iter().filter(|(k, _)| k == "LEVEL").count(), 1);

    // A variable set explicitly is not repeated by the service variables.
    let container = Container {
        name: "app".into(),
        env: Some(vec![value("DB_SERVICE_HOST", "mine")]),
        ..Default::default()
    };
    let vars = run(&pod(None), &container).unwrap();
    assert_eq!(
        vars.iter()
            .filter(|(k, _)| k == "DB_SERVICE_HOST")
            .collect::<Vec<_>>(),
        [&("DB_SERVICE_HOST".to_string(), "mine".to_string())]
    );
}

#[test]
fn key_refs_and_their_errors() {
    let with = |var: EnvVar| Container {
        name: "app".into(),
        env: Some(vec![var]),
        ..Default::default()
    };
    let vars = run(&pod(None), &with(from("M", cm_key("config", "MODE", None)))).unwrap();
    assert_eq!(as_map(&vars)["M"], "prod");
    let vars = run(
        &pod(None),
        &with(from("P", secret_key("creds", "password", None))),
    )
    .unwrap();
    assert_eq!(as_map(&vars)["P"], "hunter2");

    let err = |var: EnvVar| run(&pod(None), &with(var)).unwrap_err().to_string();
    assert_eq!(
        err(from("M", cm_key("gone", "k", None))),
        "configmap \"gone\" not found"
    );
    assert_eq!(
        err(from("M", cm_key("absent", "k", None))),
        "configmap \"absent\" not found"
    );
    assert_eq!(
        err(from("M", cm_key("config", "k", None))),
        "couldn't find key k in ConfigMap shop/config"
    );
    assert_eq!(
        err(from("S", secret_key("gone", "k", None))),
        "secret \"gone\" not found"
    );
    assert_eq!(
        err(from("S", secret_key("creds", "k", Some(false)))),
        "couldn't find key k in Secret shop/creds"
    );

    // Optional: a missing object or key skips the variable.
    for var in [
        from("M", cm_key("gone", "k", Some(true))),
        from("M", cm_key("config", "k", Some(true))),
        from("M", secret_key("gone", "k", Some(true))),
        from("M", secret_key("creds", "k", Some(true))),
    ] {
        let vars = run(&pod(None), &with(var)).unwrap();
        assert!(!as_map(&vars).contains_key("M"));
    }
}

#[test]
fn field_and_resource_refs() {
    let field = |path: &str| EnvVarSource {
        field_ref: Some(ObjectFieldSelector {
            api_version: Some("v1".into()),
            field_path: path.into(),
        }),
        ..Default::default()
    };
    let resource = |r: &str, divisor: &str| EnvVarSource {
        resource_field_ref: Some(ResourceFieldSelector {
            container_name: None,
            resource: r.into(),
            divisor: Some(Quantity(divisor.into())),
        }),
        ..Default::default()
    };
    let container = Container {
        name: "app".into(),
        env: Some(vec![
            from("POD_NAME", field("metadata.name")),
            from("POD_UID", field("metadata.uid")),
            from("NODE", field("spec.nodeName")),
            from("POD_IP", field("status.podIP")),
            from("HOST_IP", field("status.hostIP")),
            from("CPU", resource("limits.cpu", "1m")),
            from("MEM", resource("limits.memory", "1Mi")),
        ]),
        ..Default::default()
    };
    let vars = run(&pod(None), &container).unwrap();
    let env = as_map(&vars);
    assert_eq!(env["POD_NAME"], "web");
    assert_eq!(env["POD_UID"], "uid-1");
    assert_eq!(env["NODE"], "node-1");
    assert_eq!(env["POD_IP"], "10.42.0.9");
    assert_eq!(env["HOST_IP"], "192.168.1.5");
    assert_eq!(env["CPU"], "4000");
    assert_eq!(env["MEM"], "16384");

    let bad = Container {
        name: "app".into(),
        env: Some(vec![from("X", field("spec.containers"))]),
        ..Default::default()
    };
    assert_eq!(
        run(&pod(None), &bad).unwrap_err().to_string(),
        "field label not supported: spec.containers"
    );
}

#[test]
fn referenced_objects() {
    let container = Container {
        name: "app".into(),
        env_from: Some(vec![EnvFromSource {
            config_map_ref: Some(ConfigMapEnvSource {
                name: "a".into(),
                optional: None,
            }),
            ..Default::default()
        }]),
        env: Some(vec![
            from("X", cm_key("b", "k", None)),
            from("Y", secret_key("c", "k", None)),
        ]),
        ..Default::default()
    };
    let (cms, secrets) = referenced(&container);
    assert_eq!(cms.into_iter().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(secrets.into_iter().collect::<Vec<_>>(), ["c"]);
}

#[tokio::test]
async fn resolve_fetches_through_the_api() {
    use crate::volumes::tests::mock_api::MockApi;
    use serde_json::json;

    let api = MockApi::start().await;
    let client = Client::try_from(kube::Config::new(api.url.parse().unwrap())).unwrap();
    api.put(
        "/api/v1/namespaces/shop/configmaps/config",
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "config", "namespace": "shop"},
               "data": {"MODE": "prod"}}),
    );
    api.put(
        "/api/v1/namespaces/shop/services",
        json!({"apiVersion": "v1", "kind": "ServiceList", "metadata": {},
               "items": [{"metadata": {"name": "db", "namespace": "shop"},
                          "spec": {"clusterIP": "10.43.0.20", "ports": [{"port": 5432}]}}]}),
    );
    api.put(
        "/api/v1/namespaces/default/services/kubernetes",
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "kubernetes", "namespace": "default"},
               "spec": {"clusterIP": "10.43.0.1",
                        "ports": [{"name": "https", "port": 443, "protocol": "TCP"}]}}),
    );
    let container = Container {
        name: "app".into(),
        env: Some(vec![
            from("M", cm_key("config", "MODE", None)),
            from("S", secret_key("nothing", "k", Some(true))),
        ]),
        ..Default::default()
    };
    let vars = resolve(&client, &pod(None), &container, &[], &node())
        .await
        .unwrap();
    let env = as_map(&vars);
    assert_eq!(env["M"], "prod");
    assert!(!env.contains_key("S"));
    assert_eq!(env["DB_SERVICE_HOST"], "10.43.0.20");
    assert_eq!(env["KUBERNETES_SERVICE_HOST"], "10.43.0.1");
    assert_eq!(env["KUBERNETES_SERVICE_PORT_HTTPS"], "443");

    let missing = Container {
        name: "app".into(),
        env: Some(vec![from("S", secret_key("nothing", "k", None))]),
        ..Default::default()
    };
    let err = resolve(&client, &pod(None), &missing, &[], &node())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "secret \"nothing\" not found");
}

#[test]
fn command_and_args_expand_the_environment() {
    let container = Container {
        name: "app".into(),
        command: Some(vec!["sh".into(), "-c".into()]),
        args: Some(vec!["echo $(GREETING) $(MISSING) $$(GREETING) $HOME".into()]),
        ..Default::default()
    };
    let env = [("GREETING".to_string(), "hello".to_string())];
    let (command, args) = command_and_args(&container, &env);
    assert_eq!(command, ["sh", "-c"]);
    assert_eq!(args, ["echo hello $(MISSING) $(GREETING) $HOME"]);
    let cri = to_cri(&env);
    assert_eq!(
        (cri[0].key.as_str(), cri[0].value.as_str()),
        ("GREETING", "hello")
    );
}
