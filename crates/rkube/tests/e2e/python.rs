//! The official Python client (PyPI `kubernetes`) against rkube: watch,
//! pagination and conflicts, driven by tests/fixtures/python/client.py.

use std::process::Command;
use std::time::Duration;

use crate::support::{fixture, run, Cluster};

/// Set to 1 to skip the Python client test where the package is missing.
const SKIP_ENV: &str = "RKUBE_SKIP_PYTHON";

fn python_client_available() -> bool {
    let probe = run(
        Command::new("python3").args(["-c", "import kubernetes"]),
        None,
        Duration::from_secs(60),
    );
    if probe.success {
        return true;
    }
    if std::env::var(SKIP_ENV).is_ok_and(|v| v == "1") {
        eprintln!("note: the Python package kubernetes is missing; skipping ({SKIP_ENV}=1)");
        return false;
    }
    panic!(
        "the Python package `kubernetes` is missing: `pip install kubernetes` (.ci/run does), \
         or set {SKIP_ENV}=1 to skip this test"
    );
}

#[test]
fn official_python_client() {
    if !python_client_available() {
        return;
    }
    let cluster = Cluster::start();
    let mut command = Command::new("python3");
    command
        .arg(fixture("python/client.py"))
        .env("KUBECONFIG", cluster.kubeconfig());
    let out = run(&mut command, None, Duration::from_secs(120));
    assert!(
        out.success && out.stdout.contains("all checks passed"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
}
