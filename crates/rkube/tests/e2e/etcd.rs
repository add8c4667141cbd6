//! The same kubectl scenario with the API server on a real etcd: one member, and
//! a three-member cluster.

use store::testing::etcd_server::{etcd_binary_or_skip, EtcdCluster};

use crate::support::{fixture, Cluster};

fn scenario(members: usize) {
    let Some(binary) = etcd_binary_or_skip() else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let etcd = runtime
        .block_on(EtcdCluster::start(&binary, members))
        .unwrap_or_else(|e| panic!("etcd did not start: {e}"));
    let endpoints = etcd.endpoints().join(",");
    let mut cluster = Cluster::start_with(&["--etcd-endpoints", &endpoints]);
    cluster.namespace("on-etcd");
    let file = fixture("workloads.yaml");
    cluster.ok(&["apply", "-n", "on-etcd", "-f", file.to_str().unwrap()]);
    assert_eq!(
        cluster
            .ok(&["get", "pods,cm", "-n", "on-etcd", "-l", "app=web", "-o", "name"])
            .lines()
            .count(),
        2
    );
    cluster.ok(&["label", "cm", "web-config", "-n", "on-etcd", "env=prod"]);
    let rv = cluster.jsonpath("on-etcd", "cm", "web-config", "{.metadata.resourceVersion}");
    cluster.ok(&[
        "patch",
        "cm",
        "web-config",
        "-n",
        "on-etcd",
        "--type=merge",
        "-p",
        r#"{"data":{"greeting":"bye"}}"#,
    ]);
    let (_, body) = cluster.http().get(&format!(
        "/api/v1/namespaces/on-etcd/configmaps?watch=1&resourceVersion={rv}&timeoutSeconds=1"
    ));
    assert!(
        body.contains("\"type\":\"MODIFIED\"") && body.contains("bye"),
        "{body}"
    );
    // The API server keeps no state of its own: a restart finds everything in etcd.
    cluster.restart();
    assert_eq!(
        cluster.jsonpath("on-etcd", "cm", "web-config", "{.data.greeting}"),
        "bye"
    );
    cluster.ok(&[
        "delete",
        "-n",
        "on-etcd",
        "-f",
        file.to_str().unwrap(),
        "--wait=true",
        "--timeout=30s",
    ]);
    assert_eq!(
        crate::support::without_root_ca(&cluster.ok(&[
            "get",
            "deploy,svc,cm,secret,pods",
            "-n",
            "on-etcd",
            "-o",
            "name"
        ])),
        ""
    );
    drop(cluster);
    drop(etcd);
}

#[test]
fn kubectl_on_one_etcd_member() {
    scenario(1);
}

#[test]
fn kubectl_on_three_etcd_members() {
    scenario(3);
}
