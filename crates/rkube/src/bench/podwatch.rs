//! A watch on one namespace's pods that remembers, per pod, when it was first
//! seen bound to a node and when it was first seen Running, for the scheduler
//! and deployment benchmarks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use serde::Deserialize;

use super::client::Client;

/// What the watch saw of one pod.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    pub node: Option<String>,
    pub bound_at: Option<Instant>,
    pub running_at: Option<Instant>,
    /// When the pod was first seen with Ready=True (pods on a real kubelet).
    pub ready_at: Option<Instant>,
}

/// Pods by name, shared with the task that reads the watch.
#[derive(Clone, Default)]
pub struct Pods(Arc<Mutex<HashMap<String, Seen>>>);

impl Pods {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Seen>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// (pods bound, pods running).
    pub fn counts(&self) -> (usize, usize) {
        let pods = self.lock();
        let bound = pods.values().filter(|p| p.bound_at.is_some()).count();
        let running = pods.values().filter(|p| p.running_at.is_some()).count();
        (bound, running)
    }

    /// A copy of everything seen.
    pub fn snapshot(&self) -> HashMap<String, Seen> {
        self.lock().clone()
    }

    fn observe(&self, event: &WatchEvent, now: Instant) {
        let Some(name) = event.object.metadata.name.clone() else {
            return;
        };
        let mut pods = self.lock();
        let seen = pods.entry(name).or_default();
        if let Some(node) = event
            .object
            .spec
            .node_name
            .as_ref()
            .filter(|n| !n.is_empty())
        {
            if seen.bound_at.is_none() {
                seen.bound_at = Some(now);
                seen.node = Some(node.clone());
            }
        }
        if event.object.status.phase.as_deref() == Some("Running") && seen.running_at.is_none() {
            seen.running_at = Some(now);
        }
        let ready = event
            .object
            .status
            .conditions
            .iter()
            .any(|c| c.kind == "Ready" && c.status == "True");
        if ready && seen.ready_at.is_none() {
            seen.ready_at = Some(now);
        }
    }
}

#[derive(Deserialize)]
struct WatchEvent {
    #[serde(rename = "type")]
    _type: String,
    object: PodView,
}

#[derive(Deserialize)]
struct PodView {
    #[serde(default)]
    metadata: Meta,
    #[serde(default)]
    spec: Spec,
    #[serde(default)]
    status: Status,
}

#[derive(Default, Deserialize)]
struct Meta {
    name: Option<String>,
}

#[derive(Default, Deserialize)]
struct Spec {
    #[serde(rename = "nodeName")]
    node_name: Option<String>,
}

#[derive(Default, Deserialize)]
struct Status {
    phase: Option<String>,
    #[serde(default)]
    conditions: Vec<Condition>,
}

#[derive(Default, Deserialize)]
struct Condition {
    #[serde(rename = "type")]
    kind: String,
    status: String,
}

/// Starts watching the pods of `namespace` from `resource_version` (taking in
/// the pods that exist then as of their state) and returns what it sees; the
/// watch runs until the returned task is aborted or the stream ends.
pub async fn start(
    client: Arc<Client>,
    namespace: &str,
    resource_version: &str,
) -> Result<(Pods, tokio::task::JoinHandle<Result<()>>)> {
    let path = format!(
        "/api/v1/namespaces/{namespace}/pods?watch=true&resourceVersion={resource_version}&allowWatchBookmarks=false"
    );
    let response = client.send(Method::GET, &path, None).await?;
    if response.status() != StatusCode::OK {
        bail!("GET {path}: {}", response.status());
    }
    let pods = Pods::default();
    let seen = pods.clone();
    let task = tokio::spawn(async move {
        let mut body = response.into_body();
        let mut pending: Vec<u8> = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.context("reading the pod watch")?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            let now = Instant::now();
            pending.extend_from_slice(&data);
            while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let event: WatchEvent =
                    serde_json::from_slice(&line).context("a watch event that is not a pod")?;
                seen.observe(&event, now);
            }
        }
        Ok(())
    });
    Ok((pods, task))
}
