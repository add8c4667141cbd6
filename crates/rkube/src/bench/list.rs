//! LIST: the time of a whole `GET /api/v1/namespaces/NS/pods`, body included,
//! served from the watch cache; every answer must hold every pod.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use serde::Deserialize;

use super::client::Client;

/// What a LIST answer must look like, and what the benchmark reads of it.
#[derive(Deserialize)]
struct PodList {
    kind: String,
    metadata: ListMeta,
    items: Vec<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct ListMeta {
    #[serde(rename = "resourceVersion")]
    resource_version: String,
}

/// The timed LISTs.
pub struct Lists {
    pub pods: usize,
    pub bytes: usize,
    /// One duration per run, in order.
    pub durations: Vec<Duration>,
}

/// LISTs the pods of `namespace` and checks it holds `expected` of them;
/// returns the list's resourceVersion and the body's size.
pub async fn checked_list(
    client: &Client,
    namespace: &str,
    expected: usize,
) -> Result<(String, usize)> {
    let path = format!("/api/v1/namespaces/{namespace}/pods");
    let body = client.get_ok(&path).await?;
    let list = parse(&body).with_context(|| format!("GET {path}"))?;
    ensure!(
        list.items.len() == expected,
        "GET {path}: {} pods, expected {expected}",
        list.items.len()
    );
    Ok((list.metadata.resource_version, body.len()))
}

fn parse(body: &[u8]) -> Result<PodList> {
    let list: PodList = serde_json::from_slice(body).context("not a list")?;
    ensure!(list.kind == "PodList", "kind {} is not PodList", list.kind);
    Ok(list)
}

/// One untimed LIST to warm up, then `runs` timed ones (each checked after its
/// time is taken).
pub async fn run(client: &Client, namespace: &str, pods: usize, runs: usize) -> Result<Lists> {
    let (_, bytes) = checked_list(client, namespace, pods).await?;
    let path = format!("/api/v1/namespaces/{namespace}/pods");
    let mut durations = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let body = client.get_ok(&path).await?;
        durations.push(started.elapsed());
        let list = parse(&body).with_context(|| format!("GET {path}"))?;
        ensure!(
            list.items.len() == pods,
            "GET {path}: {} pods, expected {pods}",
            list.items.len()
        );
    }
    Ok(Lists {
        pods,
        bytes,
        durations,
    })
}
