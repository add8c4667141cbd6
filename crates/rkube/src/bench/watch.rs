//! Watch fan-out: many watchers of one namespace's pods, then a burst of pod
//! creates that every watcher must receive, each event exactly once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use tokio::task::JoinSet;

use super::client::Client;
use super::creates::{create_pods, pod_name, Creates};
use super::server::{CpuTimes, ServerProcess};

/// HTTP/2 streams per watch connection (the server allows 200, as upstream's
/// default; Go's transport opens another connection when one is full).
pub const STREAMS_PER_CONNECTION: usize = 100;
/// How long watchers may take, from their start to their last event.
const DEADLINE: Duration = Duration::from_secs(300);
/// The name prefix of the pods of the burst.
const PREFIX: &str = "bw";

/// How the fan-out went.
pub struct Fanout {
    pub watchers: usize,
    pub connections: usize,
    /// The burst of creates itself.
    pub burst: Creates,
    /// For each watcher, from the start of the burst to its last event.
    pub delivered: Vec<Duration>,
    /// From the start of the burst to the last event of the last watcher.
    pub cpu: CpuTimes,
    /// MODIFIED events of the burst's pods (the scheduler's, in `rkube server`)
    /// the watchers received before their last ADDED one, all together.
    pub modified: usize,
}

/// Opens `watchers` watches on the pods of the empty `namespace` from its
/// current resourceVersion, waits until all are established, creates `writes`
/// pods with `clients` concurrent clients, and waits for every watcher to get
/// every event.
pub async fn run(
    writer: &Arc<Client>,
    server: &ServerProcess,
    namespace: &str,
    watchers: usize,
    writes: usize,
    clients: usize,
) -> Result<Fanout> {
    let (resource_version, _) = super::list::checked_list(writer, namespace, 0).await?;
    let connections = watchers.div_ceil(STREAMS_PER_CONNECTION).max(1);
    let watch_client =
        Arc::new(Client::connect(server.port, &server.tls_dir(), connections).await?);
    let path = format!(
        "/api/v1/namespaces/{namespace}/pods?watch=true&resourceVersion={resource_version}"
    );
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(watchers.max(1));
    let mut tasks = JoinSet::new();
    for watcher in 0..watchers {
        let (client, path, ready) = (watch_client.clone(), path.clone(), ready_tx.clone());
        tasks.spawn(async move {
            tokio::time::timeout_at(deadline, watch(&client, &path, writes, ready))
                .await
                .unwrap_or_else(|_| Err(anyhow::anyhow!("not done within {DEADLINE:?}")))
                .with_context(|| format!("watcher {watcher}"))
        });
    }
    drop(ready_tx);
    // Every watch is subscribed once the server has answered its head.
    for _ in 0..watchers {
        tokio::select! {
            ready = ready_rx.recv() => if ready.is_none() {
                bail!("the watchers ended before the burst");
            },
            Some(ended) = tasks.join_next() => {
                ended.context("a watcher panicked")??;
                bail!("a watcher ended before the burst");
            }
        }
    }
    let cpu_before = CpuTimes::now(server.pid())?;
    let burst_started = Instant::now();
    let burst = create_pods(writer, namespace, PREFIX, writes, clients).await?;
    let mut delivered = Vec::with_capacity(watchers);
    let mut modified = 0;
    while let Some(ended) = tasks.join_next().await {
        let (last_event, modified_events) = ended.context("a watcher panicked")??;
        delivered.push(last_event.saturating_duration_since(burst_started));
        modified += modified_events;
    }
    let cpu = CpuTimes::now(server.pid())?.since(cpu_before);
    ensure!(
        delivered.len() == watchers,
        "{} of {watchers} watchers finished",
        delivered.len()
    );
    Ok(Fanout {
        watchers,
        connections,
        burst,
        delivered,
        cpu,
        modified,
    })
}

/// One watcher: returns when it has received the ADDED events of all `writes`
/// pods, with the time of the last one and the number of MODIFIED events.
async fn watch(
    client: &Client,
    path: &str,
    writes: usize,
    ready: tokio::sync::mpsc::Sender<()>,
) -> Result<(Instant, usize)> {
    let response = client.send(Method::GET, path, None).await?;
    if response.status() != StatusCode::OK {
        let status = response.status();
        let body = response.into_body().collect().await.map(|b| b.to_bytes());
        bail!("GET {path}: {status} {:?}", body.unwrap_or_default());
    }
    let _ = ready.send(()).await;
    let mut body = response.into_body();
    let mut tally = Tally::new(PREFIX, writes);
    loop {
        let Some(frame) = body.frame().await else {
            bail!(
                "the stream ended after {} of {writes} events",
                tally.received
            );
        };
        let frame = frame.context("reading the watch stream")?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let now = Instant::now();
        tally.feed(&data)?;
        if tally.received == writes {
            return Ok((now, tally.modified));
        }
    }
}

/// The events of one watch stream, checked as they come: each line must be an
/// ADDED event of a pod of the burst not seen before.
struct Tally {
    prefix: String,
    seen: Vec<bool>,
    /// ADDED events: one per pod of the burst.
    received: usize,
    /// MODIFIED events of pods already ADDED.
    modified: usize,
    /// The start of a line split across chunks.
    partial: Vec<u8>,
}

impl Tally {
    fn new(prefix: &str, writes: usize) -> Tally {
        Tally {
            prefix: prefix.to_string(),
            seen: vec![false; writes],
            received: 0,
            modified: 0,
            partial: Vec::new(),
        }
    }

    /// Takes a chunk of the stream. JSON on one line holds no raw newline, so
    /// the newlines split the events.
    fn feed(&mut self, chunk: &[u8]) -> Result<()> {
        // The server sends one event per HTTP/2 DATA frame: the fast path.
        let newlines = chunk.iter().filter(|&&b| b == b'\n').count();
        if newlines == 1 && self.partial.is_empty() && chunk.last() == Some(&b'\n') {
            return self.line(&chunk[..chunk.len() - 1]);
        }
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            if self.partial.is_empty() {
                self.line(&rest[..end])?;
            } else {
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(&rest[..end]);
                self.line(&line)?;
            }
            rest = &rest[end + 1..];
        }
        self.partial.extend_from_slice(rest);
        Ok(())
    }

    fn line(&mut self, line: &[u8]) -> Result<()> {
        let shown = || String::from_utf8_lossy(&line[..line.len().min(300)]).into_owned();
        let (added, name) = event_pod(line)
            .with_context(|| format!("not an ADDED or MODIFIED pod: {}", shown()))?;
        let index = name
            .strip_prefix(&self.prefix)
            .and_then(|rest| rest.strip_prefix('-'))
            .and_then(|digits| digits.parse::<usize>().ok())
            .filter(|&index| index < self.seen.len() && pod_name(&self.prefix, index) == name)
            .with_context(|| format!("pod {name} is not one of the burst"))?;
        if !added {
            // In `rkube server` the scheduler updates the pods it cannot place;
            // such changes are fine, after the pod's ADDED event.
            ensure!(self.seen[index], "pod {name} MODIFIED before it was ADDED");
            self.modified += 1;
            return Ok(());
        }
        if std::mem::replace(&mut self.seen[index], true) {
            bail!("pod {name} was ADDED twice");
        }
        if self.received == 0 {
            // The first event in full, to be sure the quick reading is right.
            let event: serde_json::Value =
                serde_json::from_slice(line).with_context(|| format!("not JSON: {}", shown()))?;
            ensure!(
                event["object"]["kind"] == "Pod" && event["object"]["metadata"]["name"] == name,
                "unexpected event: {}",
                shown()
            );
        }
        self.received += 1;
        Ok(())
    }
}

/// Whether the event is ADDED (else MODIFIED), and the pod's name, in
/// `{"type":"ADDED","object":{..."metadata":{..."name":"N"...`, read without
/// parsing the whole line. The server writes object keys in sorted order, so the
/// first `"name":"` in `metadata` is the pod's (a benchmark pod has no labels or
/// annotations that sort before it, and the keys of managed fields are escaped).
fn event_pod(line: &[u8]) -> Option<(bool, &str)> {
    let (added, object) = match line.strip_prefix(br#"{"type":"ADDED","object":{"#) {
        Some(object) => (true, object),
        None => (
            false,
            line.strip_prefix(br#"{"type":"MODIFIED","object":{"#)?,
        ),
    };
    let metadata = find(object, br#""metadata":{"#)?;
    let after = &object[metadata..];
    let name = find(after, br#""name":""#)?;
    let value = &after[name + br#""name":""#.len()..];
    let end = value.iter().position(|&b| b == b'"')?;
    Some((added, std::str::from_utf8(&value[..end]).ok()?))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str) -> String {
        format!(
            r#"{{"type":"ADDED","object":{{"apiVersion":"v1","kind":"Pod","metadata":{{"creationTimestamp":"2026-01-01T00:00:00Z","name":"{name}","namespace":"w","resourceVersion":"7"}},"spec":{{"containers":[{{"image":"x","name":"main"}}]}}}}}}"#
        )
    }

    #[test]
    fn pod_of_an_event_line() {
        let added = event("bw-000003");
        assert_eq!(event_pod(added.as_bytes()), Some((true, "bw-000003")));
        let modified = added.replace("ADDED", "MODIFIED");
        assert_eq!(event_pod(modified.as_bytes()), Some((false, "bw-000003")));
        let deleted = added.replace("ADDED", "DELETED");
        assert_eq!(event_pod(deleted.as_bytes()), None);
        assert_eq!(event_pod(br#"{"type":"ERROR","object":{}}"#), None);
    }

    #[test]
    fn events_split_and_joined_across_chunks() {
        let stream: String = (0..3).map(|i| event(&pod_name("bw", i)) + "\n").collect();
        for cut in [1, 40, stream.len() / 2, stream.len() - 1] {
            let mut tally = Tally::new("bw", 3);
            tally.feed(&stream.as_bytes()[..cut]).unwrap();
            tally.feed(&stream.as_bytes()[cut..]).unwrap();
            assert_eq!(tally.received, 3, "cut at {cut}");
            assert!(tally.partial.is_empty());
        }
    }

    #[test]
    fn duplicate_or_foreign_events_fail() {
        let mut tally = Tally::new("bw", 2);
        let modified = event("bw-000001").replace("ADDED", "MODIFIED") + "\n";
        assert!(
            tally.feed(modified.as_bytes()).is_err(),
            "MODIFIED before ADDED"
        );
        let line = event("bw-000001") + "\n";
        tally.feed(line.as_bytes()).unwrap();
        tally.feed(modified.as_bytes()).unwrap();
        assert_eq!((tally.received, tally.modified), (1, 1));
        assert!(tally.feed(line.as_bytes()).is_err());
        let mut tally = Tally::new("bw", 2);
        assert!(tally.feed((event("bw-000002") + "\n").as_bytes()).is_err());
        assert!(tally.feed((event("other") + "\n").as_bytes()).is_err());
    }
}
