//! The HTTP layer as clients meet it: HTTP/2, gzip of large responses when
//! asked, and 406 for media types the server does not produce.

use std::process::Command;
use std::time::Duration;

use crate::support::{reason, run, Cluster};

/// `curl` with the admin certificate; returns the response headers and body.
fn curl(cluster: &Cluster, args: &[&str], path: &str) -> (String, String) {
    let tls = cluster.dir.path().join("tls");
    let headers = cluster.dir.path().join("headers.txt");
    let body = cluster.dir.path().join("body.txt");
    let mut command = Command::new("curl");
    command
        .args(["-s", "--max-time", "30", "-D"])
        .arg(&headers)
        .arg("-o")
        .arg(&body)
        .arg("--cacert")
        .arg(tls.join("ca.crt"))
        .arg("--cert")
        .arg(tls.join("admin.crt"))
        .arg("--key")
        .arg(tls.join("admin.key"))
        .args(args)
        .arg(format!("https://127.0.0.1:{}{path}", cluster.port));
    let out = run(&mut command, None, Duration::from_secs(40));
    assert!(out.success, "{}", out.stderr);
    let headers = std::fs::read_to_string(headers).unwrap_or_default();
    let body = std::fs::read_to_string(body).unwrap_or_default();
    (headers.to_ascii_lowercase(), body)
}

#[test]
fn large_responses_are_gzipped_when_asked_over_http2() {
    let cluster = Cluster::start();
    let big = "x".repeat(200 * 1024);
    cluster.ok_stdin(
        &["apply", "-n", "default", "-f", "-"],
        &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  k: {big}\n"),
    );
    let path = "/api/v1/namespaces/default/configmaps/big";
    let (headers, body) = curl(&cluster, &["--http2", "--compressed"], path);
    assert!(headers.starts_with("http/2 200"), "{headers}");
    assert!(headers.contains("content-encoding: gzip"), "{headers}");
    assert!(body.contains(&big), "the body decompresses to the object");
    // Without Accept-Encoding the body is plain; small bodies are never gzipped.
    let (headers, _) = curl(&cluster, &[], path);
    assert!(!headers.contains("content-encoding"), "{headers}");
    let (headers, _) = curl(
        &cluster,
        &["--compressed"],
        "/api/v1/namespaces/default/configmaps/kube-root-ca.crt",
    );
    assert!(!headers.contains("content-encoding"), "{headers}");
    // kubectl reads gzipped responses transparently.
    assert_eq!(
        cluster.jsonpath("default", "cm", "big", "{.data.k}").len(),
        big.len()
    );
}

#[test]
fn unsupported_media_types_get_406() {
    let cluster = Cluster::start();
    let (headers, body) = curl(
        &cluster,
        &["-H", "Accept: application/xml"],
        "/api/v1/namespaces",
    );
    assert!(
        headers.starts_with("http/2 406") || headers.starts_with("http/1.1 406"),
        "{headers}"
    );
    assert_eq!(reason(&body), "NotAcceptable", "{body}");
}
