//! Recording events about objects, as client-go's events recorder does: an
//! `events.k8s.io/v1` Event per new occurrence, and for an occurrence seen
//! again (same object, type, reason and note) within a few minutes an updated
//! `series` (count, last observed time) instead of a new event.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::{Event, EventSeries};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::json;

use crate::Error;

/// How long a repeated occurrence updates the same event (client-go: 6 min).
const SERIES_WINDOW: Duration = Duration::from_secs(6 * 60);
/// How often expired occurrences are dropped: pruning on every event made
/// recording quadratic in the events of the window (one per scheduled pod).
const PRUNE_EVERY: Duration = Duration::from_secs(10);
/// The most occurrences remembered, as client-go's LRU of 4096; beyond it the
/// memory starts again (a repeat then makes a new event instead of a series).
const MAX_SEEN: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// What one event says.
pub struct Occurrence<'a> {
    pub type_: EventType,
    pub reason: &'a str,
    /// What the controller did or failed to do (`Delete`, `Scale`, ...).
    pub action: &'a str,
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    object: (String, String, String, String),
    type_: EventType,
    reason: String,
    note: String,
}

struct Seen {
    name: String,
    count: i32,
    at: Instant,
}

pub struct Recorder {
    client: Client,
    controller: String,
    instance: String,
    seen: Mutex<SeenOccurrences>,
}

/// Recent occurrences, pruned now and then.
struct SeenOccurrences {
    by_key: HashMap<Key, Seen>,
    pruned_at: Instant,
}

impl SeenOccurrences {
    fn new() -> Self {
        SeenOccurrences {
            by_key: HashMap::new(),
            pruned_at: Instant::now(),
        }
    }

    /// Counts a repeat of `key`: where its event is and how often it happened.
    fn repeat(&mut self, key: &Key) -> Option<(String, i32)> {
        if self.pruned_at.elapsed() >= PRUNE_EVERY || self.by_key.len() >= MAX_SEEN {
            self.by_key.retain(|_, s| s.at.elapsed() < SERIES_WINDOW);
            if self.by_key.len() >= MAX_SEEN {
                self.by_key.clear();
            }
            self.pruned_at = Instant::now();
        }
        let seen = self.by_key.get_mut(key)?;
        if seen.at.elapsed() >= SERIES_WINDOW {
            return None;
        }
        seen.count += 1;
        seen.at = Instant::now();
        Some((seen.name.clone(), seen.count))
    }
}

fn now() -> MicroTime {
    MicroTime(k8s_openapi::jiff::Timestamp::now())
}

impl Recorder {
    /// A recorder for `controller` (`reportingController`, e.g.
    /// `rkube.io/namespace-controller`).
    pub fn new(client: Client, controller: &str) -> Self {
        let instance = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_default();
        Recorder {
            client,
            controller: controller.to_string(),
            instance: format!("{controller}-{instance}"),
            seen: Mutex::new(SeenOccurrences::new()),
        }
    }

    /// Records `occurrence` about `regarding`. Events about cluster-scoped
    /// objects go to the `default` namespace, as upstream's recorder puts them.
    pub async fn record(
        &self,
        regarding: &ObjectReference,
        occurrence: Occurrence<'_>,
    ) -> Result<(), Error> {
        let namespace = regarding
            .namespace
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".to_string());
        let key = Key {
            object: (
                regarding.api_version.clone().unwrap_or_default(),
                regarding.kind.clone().unwrap_or_default(),
                namespace.clone(),
                regarding.name.clone().unwrap_or_default(),
            ),
            type_: occurrence.type_,
            reason: occurrence.reason.to_string(),
            note: occurrence.note.clone(),
        };
        let api: Api<Event> = Api::namespaced(self.client.clone(), &namespace);
        let repeat = self.seen.lock().ok().and_then(|mut seen| seen.repeat(&key));
        if let Some((name, count)) = repeat {
            let patch = json!({"series": {"count": count, "lastObservedTime": now()}});
            match api
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(_) => return Ok(()),
                // The event expired or was deleted: record a new one.
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(error) => return Err(error.into()),
            }
        }
        let object_name = regarding.name.clone().unwrap_or_default();
        let stamp = k8s_openapi::jiff::Timestamp::now().as_nanosecond();
        let event = Event {
            metadata: ObjectMeta {
                name: Some(format!("{object_name}.{stamp:x}")),
                namespace: Some(namespace.clone()),
                ..ObjectMeta::default()
            },
            event_time: Some(now()),
            action: Some(occurrence.action.to_string()),
            reason: Some(occurrence.reason.to_string()),
            note: Some(occurrence.note),
            type_: Some(occurrence.type_.as_str().to_string()),
            regarding: Some(regarding.clone()),
            reporting_controller: Some(self.controller.clone()),
            reporting_instance: Some(self.instance.clone()),
            series: None::<EventSeries>,
            ..Event::default()
        };
        let created = api.create(&PostParams::default(), &event).await?;
        if let (Ok(mut seen), Some(name)) = (self.seen.lock(), created.metadata.name) {
            seen.by_key.insert(
                key,
                Seen {
                    name,
                    count: 1,
                    at: Instant::now(),
                },
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(note: &str) -> Key {
        Key {
            object: ("v1".into(), "Pod".into(), "default".into(), "p".into()),
            type_: EventType::Normal,
            reason: "Scheduled".into(),
            note: note.into(),
        }
    }

    fn seen(name: &str, at: Instant) -> Seen {
        Seen {
            name: name.into(),
            count: 1,
            at,
        }
    }

    #[test]
    fn repeats_within_the_window_count_up() {
        let mut occurrences = SeenOccurrences::new();
        assert_eq!(occurrences.repeat(&key("a")), None);
        occurrences
            .by_key
            .insert(key("a"), seen("p.1", Instant::now()));
        assert_eq!(occurrences.repeat(&key("a")), Some(("p.1".into(), 2)));
        assert_eq!(occurrences.repeat(&key("a")), Some(("p.1".into(), 3)));
        assert_eq!(occurrences.repeat(&key("b")), None);
    }

    #[test]
    fn memory_is_bounded() {
        let mut occurrences = SeenOccurrences::new();
        for i in 0..MAX_SEEN {
            occurrences
                .by_key
                .insert(key(&i.to_string()), seen("p", Instant::now()));
        }
        // Full of recent occurrences: forgotten all at once, as an LRU would
        // forget them one by one.
        assert_eq!(occurrences.repeat(&key("0")), None);
        assert!(occurrences.by_key.is_empty());
    }
}
