//! Durability: objects and certificates survive restarts, and a SIGKILL at any
//! moment loses no acknowledged write.

use std::time::{Duration, Instant};

use crate::support::Cluster;

#[test]
fn restart_keeps_objects_and_credentials() {
    let mut cluster = Cluster::start();
    cluster.namespace("keep");
    cluster.configmap("keep", "c", &[("a", "b")]);
    let rv = cluster.jsonpath("keep", "cm", "c", "{.metadata.resourceVersion}");
    let kubeconfig = std::fs::read_to_string(cluster.kubeconfig()).unwrap();
    cluster.restart();
    assert_eq!(
        std::fs::read_to_string(cluster.kubeconfig()).unwrap(),
        kubeconfig
    );
    assert_eq!(cluster.jsonpath("keep", "cm", "c", "{.data.a}"), "b");
    // Revisions keep growing after a restart.
    cluster.ok(&["label", "cm", "c", "-n", "keep", "x=y"]);
    let after: i64 = cluster
        .ok(&[
            "get",
            "cm",
            "c",
            "-n",
            "keep",
            "-o",
            "jsonpath={.metadata.resourceVersion}",
        ])
        .parse()
        .unwrap();
    assert!(after > rv.parse::<i64>().unwrap());
    // A watch from before the restart is too old for the new cache: 410 as an ERROR event.
    let (code, body) = cluster
        .http()
        .get("/api/v1/namespaces/keep/configmaps?watch=1&resourceVersion=1&timeoutSeconds=1");
    assert_eq!(code, 200);
    assert!(
        body.contains("\"type\":\"ERROR\"")
            && body.contains("\"code\":410")
            && body.contains("too old resource version"),
        "{body}"
    );
}

#[test]
fn sigkill_loses_no_acknowledged_write() {
    let mut cluster = Cluster::start();
    // Writers create configmaps as fast as they can; each success is acknowledged.
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let stop_at = Instant::now() + Duration::from_secs(3);
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let acknowledged = acknowledged.clone();
            let http_dir = cluster.dir.path().to_path_buf();
            let port = cluster.port;
            std::thread::spawn(move || {
                let mut i = 0;
                while Instant::now() < stop_at + Duration::from_secs(2) {
                    let name = format!("w{w}-{i}");
                    i += 1;
                    let body = format!(
                        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"{name}"}}}}"#
                    );
                    let tls = http_dir.join("tls");
                    let out = std::process::Command::new("curl")
                        .args([
                            "-s",
                            "-o",
                            "/dev/null",
                            "-w",
                            "%{http_code}",
                            "--max-time",
                            "5",
                            "-X",
                            "POST",
                            "-H",
                            "Content-Type: application/json",
                        ])
                        .arg("--cacert")
                        .arg(tls.join("ca.crt"))
                        .arg("--cert")
                        .arg(tls.join("admin.crt"))
                        .arg("--key")
                        .arg(tls.join("admin.key"))
                        .args([
                            "--data",
                            &body,
                            &format!(
                                "https://127.0.0.1:{port}/api/v1/namespaces/default/configmaps"
                            ),
                        ])
                        .output();
                    match out {
                        Ok(out) if out.stdout == b"201" => acknowledged.lock().unwrap().push(name),
                        _ => {}
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(stop_at - Instant::now());
    cluster.kill();
    for writer in writers {
        writer.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 10,
        "too few writes to test: {}",
        acknowledged.len()
    );
    cluster.restart();
    let stored = cluster.ok(&["get", "cm", "-n", "default", "-o", "name"]);
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|n| !stored.contains(&format!("configmap/{n}\n")))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes lost: {missing:?}",
        missing.len(),
        acknowledged.len()
    );
}
