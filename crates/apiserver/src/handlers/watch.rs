//! WATCH: a stream of `{"type": ..., "object": ...}` lines from the watch cache,
//! filtered by namespace and selectors, with bookmarks when asked; objects are
//! one-row Tables when the client asked for Tables.

use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use serde_json::{json, Value};
use store::Revision;
use tokio::sync::{broadcast, mpsc};

use super::read::{read_at, ReadAt, Selectors};
use super::Context;
use crate::cache::{CacheEvent, WatchEventType};
use crate::error::{ApiError, Result};
use crate::http::Body;

/// How often an idle watch asked for bookmarks gets one (upstream: about a minute).
const BOOKMARK_INTERVAL: Duration = Duration::from_secs(30);
/// Upstream's default watch timeout is between 30 and 60 minutes.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);

/// What the watch stream task needs, detached from the request.
struct Watcher {
    prefix: String,
    resource: &'static api::ResourceInfo,
    selectors: Selectors,
    bookmarks: bool,
    kind: &'static str,
    api_version: String,
    /// Events with revisions up to this were already sent.
    sent: Revision,
    ctx_output: bool,
    /// Set when the client asked for Tables: each event's object becomes a
    /// one-row Table.
    table: Option<super::table::Printer>,
    /// Set when the client asked for PartialObjectMetadata.
    metadata_only: bool,
}

impl Watcher {
    /// The line for one event, or `None` if this watcher does not see it.
    fn line(&self, event: &CacheEvent) -> Option<Bytes> {
        if event.revision <= self.sent || !event.key.starts_with(&self.prefix) {
            return None;
        }
        let event_type = if self.selectors.is_empty() {
            event.event_type
        } else {
            let now = self.matches(&event.object.value);
            let before = event.prev.as_ref().is_some_and(|p| self.matches(&p.value));
            match (event.event_type, before, now) {
                (WatchEventType::Deleted, true, _) => WatchEventType::Deleted,
                (WatchEventType::Deleted, false, _) => return None,
                (_, true, true) => WatchEventType::Modified,
                (_, false, true) => WatchEventType::Added,
                (_, true, false) => WatchEventType::Deleted,
                (_, false, false) => return None,
            }
        };
        if let Some(printer) = &self.table {
            let converted;
            let object = if self.ctx_output {
                converted =
                    api::convert::convert(event.object.value.clone(), self.resource).ok()?;
                &converted
            } else {
                &event.object.value
            };
            let table = serde_json::to_vec(&printer.object_table(object)).ok()?;
            return Some(encode_line(event_type, &table));
        }
        if self.metadata_only {
            let partial = super::metadata::partial(&event.object.value);
            return Some(encode_line(event_type, &serde_json::to_vec(&partial).ok()?));
        }
        if self.ctx_output {
            let object = api::convert::convert(event.object.value.clone(), self.resource).ok()?;
            return Some(encode_line(event_type, &serde_json::to_vec(&object).ok()?));
        }
        if event_type == event.event_type {
            return Some(
                event
                    .line(|| encode_line(event.event_type, event.object.json()))
                    .clone(),
            );
        }
        Some(encode_line(event_type, event.object.json()))
    }

    fn matches(&self, obj: &Value) -> bool {
        self.selectors.labels.matches(api::meta::labels(obj))
            && self
                .selectors
                .fields
                .matches(|field| api::strategy::field_label(self.resource, obj, field).ok())
    }

    fn bookmark(&self, revision: Revision, initial_events_end: bool) -> Bytes {
        let mut metadata = json!({"resourceVersion": revision.to_string()});
        if initial_events_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let object =
            json!({"kind": self.kind, "apiVersion": self.api_version, "metadata": metadata});
        encode_line_value("BOOKMARK", &object)
    }
}

fn encode_line(event_type: WatchEventType, object_json: &[u8]) -> Bytes {
    let mut line = Vec::with_capacity(object_json.len() + 32);
    line.extend_from_slice(b"{\"type\":\"");
    line.extend_from_slice(event_type.as_str().as_bytes());
    line.extend_from_slice(b"\",\"object\":");
    line.extend_from_slice(object_json);
    line.extend_from_slice(b"}\n");
    Bytes::from(line)
}

fn encode_line_value(event_type: &str, object: &Value) -> Bytes {
    let mut line =
        serde_json::to_vec(&json!({"type": event_type, "object": object})).unwrap_or_default();
    line.push(b'\n');
    Bytes::from(line)
}

pub async fn watch(ctx: &Context) -> Result<Response<Body>> {
    let selectors = Selectors::parse(ctx)?;
    let bookmarks = matches!(
        ctx.query.get("allowWatchBookmarks").map(String::as_str),
        Some("true" | "1")
    );
    let send_initial = matches!(
        ctx.query.get("sendInitialEvents").map(String::as_str),
        Some("true" | "1")
    );
    let timeout = match ctx.query.get("timeoutSeconds") {
        Some(t) => Duration::from_secs(
            t.parse::<u64>()
                .map_err(|_| ApiError::bad_request(format!("invalid timeoutSeconds: {t}")))?,
        ),
        None => DEFAULT_TIMEOUT,
    };
    let prefix = super::prefix(ctx.resource, &ctx.info.namespace);
    let prefix = if ctx.info.name.is_empty() {
        prefix
    } else {
        // A watch of one object (`/watch/.../name` or `fieldSelector=metadata.name=`).
        format!("{prefix}{}", ctx.info.name)
    };
    let at = read_at(ctx)?;
    let after = match at {
        _ if send_initial => None,
        ReadAt::Latest | ReadAt::Any => None,
        ReadAt::NotOlderThan(rv) => Some(rv),
    };
    if at == ReadAt::Latest || send_initial {
        super::read::cache_fresh(ctx, at).await?;
    }
    let watcher = Watcher {
        prefix,
        resource: ctx.resource,
        selectors,
        bookmarks,
        kind: ctx.resource.kind,
        api_version: ctx.resource.api_version(),
        sent: 0,
        ctx_output: !ctx.resource.is_storage_version(),
        table: super::table::Printer::for_request(ctx)?,
        metadata_only: ctx.format == crate::http::Format::PartialObjectMetadata,
    };
    let (sender, receiver) = mpsc::channel::<Bytes>(64);
    match ctx.cache().subscribe(&watcher.prefix, after) {
        Ok(subscription) => {
            tokio::spawn(stream(watcher, subscription, sender, timeout, send_initial));
        }
        Err(too_old) => {
            // Upstream answers with a 200 stream holding one ERROR event.
            let status = ApiError::Expired {
                message: format!(
                    "too old resource version: {} ({})",
                    too_old.requested, too_old.oldest
                ),
            }
            .status();
            let _ = sender.try_send(encode_line_value("ERROR", &status));
        }
    }
    use futures::StreamExt;
    let frames = tokio_stream::wrappers::ReceiverStream::new(receiver)
        .map(|line| Ok::<_, std::io::Error>(Frame::data(line)));
    let mut response = Response::new(BodyExt::boxed(StreamBody::new(frames)));
    *response.status_mut() = StatusCode::OK;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

/// Sends the initial events, then live ones, until the client goes away, the
/// timeout passes, or the watcher falls too far behind (the client then watches
/// again from the last resourceVersion it saw).
async fn stream(
    mut watcher: Watcher,
    subscription: crate::cache::Subscription,
    sender: mpsc::Sender<Bytes>,
    timeout: Duration,
    send_initial: bool,
) {
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    for event in &subscription.initial {
        if let Some(line) = watcher.line(event) {
            if sender.send(line).await.is_err() {
                return;
            }
        }
    }
    // The live receiver was subscribed under the same lock that fixed the
    // initial events: it holds exactly the events after the subscription's revision.
    watcher.sent = subscription.revision;
    if send_initial {
        let _ = sender
            .send(watcher.bookmark(subscription.revision, true))
            .await;
    }
    let mut live = subscription.live;
    let mut bookmark = tokio::time::interval(BOOKMARK_INTERVAL);
    bookmark.tick().await;
    loop {
        tokio::select! {
            received = live.recv() => match received {
                Ok(event) => {
                    if let Some(line) = watcher.line(&event) {
                        if sender.send(line).await.is_err() {
                            return;
                        }
                    }
                    watcher.sent = watcher.sent.max(event.revision);
                }
                Err(broadcast::error::RecvError::Lagged(_)) | Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = bookmark.tick(), if watcher.bookmarks => {
                if watcher.sent > 0 && sender.send(watcher.bookmark(watcher.sent, false)).await.is_err() {
                    return;
                }
            }
            _ = sender.closed() => return,
            _ = &mut deadline => return,
        }
    }
}
