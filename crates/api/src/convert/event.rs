//! core/v1 Event <-> events.k8s.io/v1 Event, as upstream's
//! `pkg/apis/events/v1/conversion.go`: `regarding` is `involvedObject`, `note` is
//! `message`, `reportingController` is `reportingComponent`, and the
//! `deprecated*` fields are core's `source`, `count`, `firstTimestamp` and
//! `lastTimestamp`.

use serde_json::{Map, Value};

use super::move_field;

/// (events.k8s.io/v1 field, core/v1 field) pairs that differ in name.
const RENAMED: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("reportingController", "reportingComponent"),
    ("deprecatedSource", "source"),
    ("deprecatedCount", "count"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
];

pub(super) fn core_to_events(mut core: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (events_field, core_field) in RENAMED {
        move_field(&mut core, core_field, &mut out, events_field);
    }
    // The rest (metadata, eventTime, series, reportingInstance, action, reason,
    // related, type) has the same name in both.
    for (key, value) in core {
        out.entry(key).or_insert(value);
    }
    out
}

pub(super) fn events_to_core(mut events: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (events_field, core_field) in RENAMED {
        move_field(&mut events, events_field, &mut out, core_field);
    }
    for (key, value) in events {
        out.entry(key).or_insert(value);
    }
    out
}
