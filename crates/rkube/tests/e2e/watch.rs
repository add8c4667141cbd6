//! Watches and pagination: kubectl get -w, replay from a resourceVersion,
//! initial events with a bookmark, continue tokens.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{reason, wait_until, Cluster};

#[test]
fn kubectl_get_watch_streams_changes() {
    let cluster = Cluster::start();
    cluster.namespace("w");
    cluster.configmap("w", "a", &[("k", "1")]);
    let mut child = cluster
        .kubectl_command(&[
            "get",
            "cm",
            "-n",
            "w",
            "-w",
            "-o",
            "jsonpath={.metadata.name}={.data.k}{\"\\n\"}",
            "--request-timeout=60s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // The controller manager publishes kube-root-ca.crt in the namespace too.
    let next = || loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("a watch line");
        if !line.starts_with("kube-root-ca.crt") {
            return line;
        }
    };
    assert_eq!(next(), "a=1");
    cluster.ok(&[
        "patch",
        "cm",
        "a",
        "-n",
        "w",
        "--type=merge",
        "-p",
        r#"{"data":{"k":"2"}}"#,
    ]);
    assert_eq!(next(), "a=2");
    cluster.configmap("w", "b", &[("k", "9")]);
    assert_eq!(next(), "b=9");
    let _ = child.kill();
    let _ = child.wait();
}

fn lines(body: &str) -> Vec<serde_json::Value> {
    body.lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn watch_replays_from_a_resource_version() {
    let cluster = Cluster::start();
    cluster.configmap("default", "one", &[("k", "1")]);
    let rv = cluster.ok(&[
        "get",
        "cm",
        "one",
        "-o",
        "jsonpath={.metadata.resourceVersion}",
    ]);
    cluster.configmap("default", "two", &[]);
    cluster.ok(&[
        "patch",
        "cm",
        "one",
        "--type=merge",
        "-p",
        r#"{"data":{"k":"2"}}"#,
    ]);
    cluster.ok(&["delete", "cm", "two"]);
    let (code, body) = cluster.http().get(&format!(
        "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv}&timeoutSeconds=1"
    ));
    assert_eq!(code, 200);
    let events = lines(&body);
    let seen: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_string(),
                e["object"]["metadata"]["name"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("ADDED".into(), "two".into()),
            ("MODIFIED".into(), "one".into()),
            ("DELETED".into(), "two".into())
        ]
    );
    let revisions: Vec<i64> = events
        .iter()
        .map(|e| {
            e["object"]["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(revisions.windows(2).all(|w| w[0] < w[1]), "{revisions:?}");

    // A label-selected watch sees an object leave the selection as DELETED.
    cluster.ok(&["label", "cm", "one", "sel=yes"]);
    let rv = cluster.ok(&[
        "get",
        "cm",
        "one",
        "-o",
        "jsonpath={.metadata.resourceVersion}",
    ]);
    cluster.ok(&["label", "cm", "one", "sel-"]);
    let (_, body) = cluster.http().get(&format!("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv}&timeoutSeconds=1&labelSelector=sel%3Dyes"));
    let events = lines(&body);
    assert_eq!(events.len(), 1, "{body}");
    assert_eq!(events[0]["type"], "DELETED");

    // Initial events, then a bookmark that marks their end.
    let (_, body) = cluster.http().get("/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1");
    let events = lines(&body);
    assert_eq!(events[0]["type"], "ADDED");
    let last = events.last().unwrap();
    assert_eq!(last["type"], "BOOKMARK", "{body}");
    assert_eq!(
        last["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
}

#[test]
fn pagination_is_consistent_and_expires_after_compaction() {
    let cluster = Cluster::start_with(&["--compaction-interval-seconds", "1"]);
    for i in 0..7 {
        cluster.configmap("default", &format!("cm-{i}"), &[]);
    }
    let first = cluster.raw("/api/v1/namespaces/default/configmaps?limit=3");
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    let token = first["metadata"]["continue"].as_str().unwrap().to_string();
    // Writes after the first page do not show in the following pages.
    cluster.configmap("default", "cm-late", &[]);
    let second = cluster.raw(&format!(
        "/api/v1/namespaces/default/configmaps?limit=3&continue={token}"
    ));
    let third = cluster.raw(&format!(
        "/api/v1/namespaces/default/configmaps?limit=3&continue={}",
        second["metadata"]["continue"].as_str().unwrap()
    ));
    let names: Vec<&str> = [&first, &second, &third]
        .iter()
        .flat_map(|page| page["items"].as_array().unwrap().iter())
        .map(|item| item["metadata"]["name"].as_str().unwrap())
        // Published in every namespace by the controller manager; it sorts last.
        .filter(|name| *name != "kube-root-ca.crt")
        .collect();
    assert_eq!(
        names,
        ["cm-0", "cm-1", "cm-2", "cm-3", "cm-4", "cm-5", "cm-6"]
    );
    assert!(third["metadata"]["continue"].is_null());
    // kubectl pages through too.
    assert_eq!(
        crate::support::without_root_ca(&cluster.ok(&[
            "get",
            "cm",
            "--chunk-size=2",
            "-o",
            "name"
        ]))
        .lines()
        .count(),
        8
    );
    // Once compaction passes the token's revision, it has expired.
    wait_until(
        "the continue token to expire",
        Duration::from_secs(20),
        || {
            cluster.configmap("default", &format!("tick-{}", rand_suffix()), &[]);
            let (code, _) = cluster.http().get(&format!(
                "/api/v1/namespaces/default/configmaps?limit=3&continue={token}"
            ));
            code == 410
        },
    );
    let (code, body) = cluster.http().get(&format!(
        "/api/v1/namespaces/default/configmaps?limit=3&continue={token}"
    ));
    assert_eq!((code, reason(&body).as_str()), (410, "Expired"), "{body}");
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}
