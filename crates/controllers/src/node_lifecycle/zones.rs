//! Zones and the rate of NoExecute tainting (upstream's zone states and
//! `RateLimitedTimedQueue`): the nodes of each zone are tainted at most at
//! the zone's rate, which drops when much of the zone is unhealthy, and all
//! tainting stops when every zone is fully disrupted (then the controller
//! assumes it is the one cut off, not the nodes).

use std::collections::{HashSet, VecDeque};
use std::time::Instant;

/// Upstream's defaults (kube-controller-manager flags).
pub const EVICTION_QPS: f64 = 0.1;
pub const SECONDARY_EVICTION_QPS: f64 = 0.01;
pub const LARGE_CLUSTER_SIZE_THRESHOLD: usize = 50;
pub const UNHEALTHY_ZONE_THRESHOLD: f64 = 0.55;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneState {
    /// Healthy enough: tainting at the normal rate.
    Normal,
    /// More than the threshold of the zone's nodes unhealthy (and more than two).
    PartialDisruption,
    /// No node of the zone ready.
    FullDisruption,
}

/// The zone key of a node: region and zone labels, as upstream's
/// `GetZoneKey` (empty when the node has neither).
pub fn zone_of(labels: Option<&std::collections::BTreeMap<String, String>>) -> String {
    let get = |keys: [&str; 2]| {
        keys.iter()
            .find_map(|k| labels.and_then(|l| l.get(*k)).cloned())
            .unwrap_or_default()
    };
    let region = get([
        "topology.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/region",
    ]);
    let zone = get([
        "topology.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/zone",
    ]);
    if region.is_empty() && zone.is_empty() {
        String::new()
    } else {
        format!("{region}:\u{0}:{zone}")
    }
}

/// The state of a zone with `ready` and `not_ready` nodes.
pub fn zone_state(ready: usize, not_ready: usize, threshold: f64) -> ZoneState {
    if ready == 0 && not_ready > 0 {
        ZoneState::FullDisruption
    } else if not_ready > 2 && (not_ready as f64) / ((ready + not_ready) as f64) >= threshold {
        ZoneState::PartialDisruption
    } else {
        ZoneState::Normal
    }
}

/// The tainting rate of a zone of `size` nodes in `state` (upstream's
/// `setLimiterInZone`: a partially disrupted small zone stops, a large one
/// slows down; a fully disrupted one goes on at the normal rate, unless every
/// zone is, which the caller handles).
pub fn zone_qps(state: ZoneState, size: usize) -> f64 {
    match state {
        ZoneState::Normal | ZoneState::FullDisruption => EVICTION_QPS,
        ZoneState::PartialDisruption if size > LARGE_CLUSTER_SIZE_THRESHOLD => {
            SECONDARY_EVICTION_QPS
        }
        ZoneState::PartialDisruption => 0.0,
    }
}

/// A token bucket of burst one that starts full, as client-go's
/// `NewTokenBucketRateLimiter(qps, 1)`; a rate of zero never admits.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    qps: f64,
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    pub fn new(qps: f64, now: Instant) -> Self {
        TokenBucket {
            qps,
            tokens: 1.0,
            at: now,
        }
    }

    pub fn qps(&self) -> f64 {
        self.qps
    }

    /// Takes a token if one is there.
    pub fn try_take(&mut self, now: Instant) -> bool {
        if self.qps <= 0.0 {
            return false;
        }
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.qps).min(1.0);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// One zone's nodes waiting to be tainted, in order, each once.
#[derive(Debug)]
pub struct ZoneQueue {
    pub limiter: TokenBucket,
    order: VecDeque<String>,
    queued: HashSet<String>,
}

impl ZoneQueue {
    pub fn new(qps: f64, now: Instant) -> Self {
        ZoneQueue {
            limiter: TokenBucket::new(qps, now),
            order: VecDeque::new(),
            queued: HashSet::new(),
        }
    }

    /// A new rate (a fresh, full bucket, as upstream's SwapLimiter).
    pub fn swap_limiter(&mut self, qps: f64, now: Instant) {
        if (self.limiter.qps() - qps).abs() > f64::EPSILON {
            self.limiter = TokenBucket::new(qps, now);
        }
    }

    pub fn add(&mut self, node: &str) {
        if self.queued.insert(node.to_string()) {
            self.order.push_back(node.to_string());
        }
    }

    pub fn remove(&mut self, node: &str) {
        if self.queued.remove(node) {
            self.order.retain(|n| n != node);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The nodes whose turn has come now, as many as the rate allows; a node
    /// handed out is out of the queue (put it back with `add` to retry).
    pub fn take_due(&mut self, now: Instant) -> Vec<String> {
        let mut due = Vec::new();
        while !self.order.is_empty() && self.limiter.try_take(now) {
            if let Some(node) = self.order.pop_front() {
                self.queued.remove(&node);
                due.push(node);
            }
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::time::Duration;

    #[test]
    fn zone_states_follow_upstream_thresholds() {
        assert_eq!(zone_state(3, 0, 0.55), ZoneState::Normal);
        assert_eq!(zone_state(0, 1, 0.55), ZoneState::FullDisruption);
        assert_eq!(zone_state(0, 0, 0.55), ZoneState::Normal);
        // Two unhealthy nodes never make a partial disruption.
        assert_eq!(zone_state(1, 2, 0.55), ZoneState::Normal);
        assert_eq!(zone_state(2, 3, 0.55), ZoneState::PartialDisruption);
        assert_eq!(zone_state(3, 3, 0.55), ZoneState::Normal);
        assert_eq!(zone_qps(ZoneState::Normal, 3), EVICTION_QPS);
        assert_eq!(zone_qps(ZoneState::PartialDisruption, 10), 0.0);
        assert_eq!(
            zone_qps(ZoneState::PartialDisruption, 51),
            SECONDARY_EVICTION_QPS
        );
        assert_eq!(zone_qps(ZoneState::FullDisruption, 3), EVICTION_QPS);
    }

    #[test]
    fn zone_keys() {
        assert_eq!(zone_of(None), "");
        let labels = BTreeMap::from([
            ("topology.kubernetes.io/region".to_string(), "r".to_string()),
            ("topology.kubernetes.io/zone".to_string(), "z".to_string()),
        ]);
        assert_eq!(zone_of(Some(&labels)), "r:\u{0}:z");
    }

    #[test]
    fn the_bucket_admits_one_then_one_per_ten_seconds() {
        let t0 = Instant::now();
        let mut queue = ZoneQueue::new(EVICTION_QPS, t0);
        queue.add("a");
        queue.add("b");
        queue.add("a");
        assert_eq!(queue.take_due(t0), vec!["a".to_string()]);
        assert!(queue.take_due(t0 + Duration::from_secs(5)).is_empty());
        assert_eq!(
            queue.take_due(t0 + Duration::from_secs(10)),
            vec!["b".to_string()]
        );
        assert!(queue.is_empty());
        // A stopped zone admits nothing.
        let mut stopped = ZoneQueue::new(0.0, t0);
        stopped.add("c");
        assert!(stopped.take_due(t0 + Duration::from_secs(1000)).is_empty());
        stopped.swap_limiter(EVICTION_QPS, t0);
        assert_eq!(stopped.take_due(t0), vec!["c".to_string()]);
        stopped.add("d");
        stopped.remove("d");
        assert!(stopped.is_empty());
    }
}
