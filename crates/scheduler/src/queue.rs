//! The scheduling queue, as upstream's `internal/queue.PriorityQueue`: an
//! active queue ordered by priority (highest first) then by when the pod
//! entered the queue (upstream's PrioritySort), a backoff queue where failed
//! pods wait 1 s doubling up to 10 s, and a pool of unschedulable pods that
//! go back when the cluster changes in a way that may help (a node added or
//! changed, a pod deleted) or after `unschedulable_timeout`.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::cache::pod_key;

/// The queue's timings.
#[derive(Clone, Debug)]
pub struct Config {
    /// First backoff after a failed attempt (upstream `podInitialBackoffSeconds`: 1).
    pub initial_backoff: Duration,
    /// Longest backoff (upstream `podMaxBackoffSeconds`: 10).
    pub max_backoff: Duration,
    /// How long a pod stays unschedulable without a relevant event before it
    /// is retried anyway (60 s, upstream's flush interval before 1.26 moved it
    /// to 5 min).
    pub unschedulable_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
            unschedulable_timeout: Duration::from_secs(60),
        }
    }
}

/// A pod handed out for one scheduling attempt.
#[derive(Clone, Debug)]
pub struct QueuedPod {
    pub pod: Arc<Pod>,
    pub key: String,
    /// Attempts so far, this one included.
    pub attempts: u32,
    /// The scheduling cycle of this attempt.
    pub cycle: u64,
}

type ActiveKey = (Reverse<i32>, u64, String);

#[derive(Debug)]
enum Place {
    Active(ActiveKey),
    Backoff(Instant),
    Unschedulable(Instant),
    InFlight,
}

#[derive(Debug)]
struct Entry {
    pod: Arc<Pod>,
    attempts: u32,
    place: Place,
    last_failure: Option<Instant>,
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<String, Entry>,
    active: BTreeSet<ActiveKey>,
    seq: u64,
    cycle: u64,
    /// The cycle of the latest move request: a pod whose attempt started
    /// before it fails into backoff, not the unschedulable pool, since the
    /// event may have been what it needed.
    move_cycle: u64,
}

pub struct SchedulingQueue {
    config: Config,
    state: Mutex<State>,
    notify: Notify,
}

fn priority(pod: &Pod) -> i32 {
    pod.spec.as_ref().and_then(|s| s.priority).unwrap_or(0)
}

/// Whether an update may change the scheduling outcome: anything but status
/// and bookkeeping metadata (upstream `isPodUpdated`).
fn scheduling_relevant(old: &Pod, new: &Pod) -> bool {
    old.spec != new.spec
        || old.metadata.labels != new.metadata.labels
        || old.metadata.annotations != new.metadata.annotations
}

impl State {
    fn push_active(&mut self, key: &str) {
        self.seq += 1;
        let seq = self.seq;
        if let Some(entry) = self.entries.get_mut(key) {
            let order = (Reverse(priority(&entry.pod)), seq, key.to_string());
            self.active.insert(order.clone());
            entry.place = Place::Active(order);
        }
    }

    fn take_out(&mut self, key: &str) {
        if let Some(Entry {
            place: Place::Active(order),
            ..
        }) = self.entries.get(key)
        {
            let order = order.clone();
            self.active.remove(&order);
        }
    }
}

impl SchedulingQueue {
    pub fn new(config: Config) -> SchedulingQueue {
        SchedulingQueue {
            config,
            state: Mutex::new(State::default()),
            notify: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn backoff_for(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(16);
        (self.config.initial_backoff * 2u32.pow(doublings)).min(self.config.max_backoff)
    }

    /// A pod waiting to be scheduled, new or updated.
    pub fn add(&self, pod: Arc<Pod>) {
        let key = pod_key(&pod);
        let mut state = self.lock();
        let now = Instant::now();
        let move_to = match state.entries.get_mut(&key) {
            None => {
                state.entries.insert(
                    key.clone(),
                    Entry {
                        pod,
                        attempts: 0,
                        place: Place::InFlight,
                        last_failure: None,
                    },
                );
                Some(None)
            }
            Some(entry) => {
                let relevant = scheduling_relevant(&entry.pod, &pod);
                let uid_changed = entry.pod.metadata.uid != pod.metadata.uid;
                entry.pod = pod;
                if uid_changed {
                    entry.attempts = 0;
                }
                match entry.place {
                    Place::Unschedulable(_) if relevant || uid_changed => {
                        Some(Some(self.backoff_until(entry)).filter(|until| *until > now))
                    }
                    _ => None,
                }
            }
        };
        match move_to {
            Some(None) => {
                state.push_active(&key);
                drop(state);
                self.notify.notify_one();
            }
            Some(Some(until)) => {
                if let Some(entry) = state.entries.get_mut(&key) {
                    entry.place = Place::Backoff(until);
                }
            }
            None => {}
        }
    }

    fn backoff_until(&self, entry: &Entry) -> Instant {
        entry.last_failure.unwrap_or_else(Instant::now) + self.backoff_for(entry.attempts)
    }

    /// Forgets a pod (deleted, bound, or no longer ours).
    pub fn delete(&self, key: &str) {
        let mut state = self.lock();
        state.take_out(key);
        state.entries.remove(key);
    }

    /// The next pod to schedule, waiting for one.
    pub async fn pop(&self) -> QueuedPod {
        loop {
            let notified = self.notify.notified();
            if let Some(popped) = self.try_pop() {
                return popped;
            }
            notified.await;
        }
    }

    fn try_pop(&self) -> Option<QueuedPod> {
        let mut state = self.lock();
        let order = state.active.pop_first()?;
        state.cycle += 1;
        let cycle = state.cycle;
        let entry = state.entries.get_mut(&order.2)?;
        entry.attempts += 1;
        entry.place = Place::InFlight;
        Some(QueuedPod {
            pod: entry.pod.clone(),
            key: order.2,
            attempts: entry.attempts,
            cycle,
        })
    }

    /// The attempt `popped` failed; `unschedulable` when no node fitted (as
    /// opposed to an error such as a failed binding, which always backs off).
    pub fn failed(&self, popped: &QueuedPod, unschedulable: bool) {
        let mut state = self.lock();
        let now = Instant::now();
        let move_cycle = state.move_cycle;
        let Some(entry) = state.entries.get_mut(&popped.key) else {
            return;
        };
        if !matches!(entry.place, Place::InFlight) {
            return;
        }
        entry.last_failure = Some(now);
        entry.place = if unschedulable && move_cycle < popped.cycle {
            Place::Unschedulable(now)
        } else {
            Place::Backoff(now + self.backoff_for(entry.attempts))
        };
    }

    /// The attempt bound `popped`.
    pub fn done(&self, key: &str) {
        self.delete(key);
    }

    /// Moves every unschedulable pod back (to backoff while its backoff runs):
    /// the cluster changed in a way that may let it fit.
    pub fn move_all(&self) {
        let mut state = self.lock();
        let now = Instant::now();
        state.move_cycle = state.cycle;
        let keys: Vec<String> = state
            .entries
            .iter()
            .filter(|(_, e)| matches!(e.place, Place::Unschedulable(_)))
            .map(|(k, _)| k.clone())
            .collect();
        self.move_keys(&mut state, keys, now);
    }

    fn move_keys(&self, state: &mut State, keys: Vec<String>, now: Instant) {
        let mut woke = false;
        for key in keys {
            let Some(entry) = state.entries.get_mut(&key) else {
                continue;
            };
            let until = self.backoff_until(entry);
            if until > now {
                entry.place = Place::Backoff(until);
            } else {
                state.push_active(&key);
                woke = true;
            }
        }
        if woke {
            self.notify.notify_one();
        }
    }

    /// Moves pods whose backoff ended to the active queue, and pods
    /// unschedulable for longer than the timeout back (upstream's
    /// `flushBackoffQCompleted` and `flushUnschedulablePodsLeftover`).
    pub fn flush(&self) {
        let mut state = self.lock();
        let now = Instant::now();
        let mut ready = Vec::new();
        let mut leftover = Vec::new();
        for (key, entry) in &state.entries {
            match entry.place {
                Place::Backoff(until) if until <= now => ready.push(key.clone()),
                Place::Unschedulable(since)
                    if now.duration_since(since) >= self.config.unschedulable_timeout =>
                {
                    leftover.push(key.clone())
                }
                _ => {}
            }
        }
        // Backoff queue order: earliest deadline first.
        ready.sort_by_key(|k| match state.entries.get(k).map(|e| &e.place) {
            Some(Place::Backoff(until)) => Some(*until),
            _ => None,
        });
        let woke = !ready.is_empty();
        for key in ready {
            state.push_active(&key);
        }
        self.move_keys(&mut state, leftover, now);
        if woke {
            self.notify.notify_one();
        }
    }

    /// How many pods wait in each part: (active, backoff, unschedulable).
    pub fn lengths(&self) -> (usize, usize, usize) {
        let state = self.lock();
        let mut counts = (state.active.len(), 0, 0);
        for entry in state.entries.values() {
            match entry.place {
                Place::Backoff(_) => counts.1 += 1,
                Place::Unschedulable(_) => counts.2 += 1,
                _ => {}
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::pod;

    fn with_priority(name: &str, priority: i32) -> Arc<Pod> {
        let mut p = pod(name, "0", "0");
        p.spec.as_mut().unwrap().priority = Some(priority);
        Arc::new(p)
    }

    fn names(queue: &SchedulingQueue) -> Vec<String> {
        std::iter::from_fn(|| queue.try_pop().map(|p| p.key)).collect()
    }

    #[test]
    fn active_queue_orders_by_priority_then_arrival() {
        let queue = SchedulingQueue::new(Config::default());
        queue.add(with_priority("low-1", 0));
        queue.add(with_priority("high", 1000));
        queue.add(with_priority("low-2", 0));
        queue.add(with_priority("mid", 10));
        // An update does not reorder.
        queue.add(with_priority("low-1", 0));
        assert_eq!(
            names(&queue),
            [
                "default/high",
                "default/mid",
                "default/low-1",
                "default/low-2"
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn failures_back_off_doubling_to_the_maximum() {
        let queue = SchedulingQueue::new(Config::default());
        queue.add(with_priority("p", 0));
        let mut waits = Vec::new();
        for _ in 0..6 {
            let popped = queue.pop().await;
            let start = Instant::now();
            queue.failed(&popped, false);
            loop {
                queue.flush();
                if queue.lengths().0 == 1 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            waits.push(start.elapsed().as_secs());
        }
        assert_eq!(waits, [1, 2, 4, 8, 10, 10]);
    }

    #[tokio::test(start_paused = true)]
    async fn unschedulable_pods_return_on_events_or_timeout() {
        let queue = SchedulingQueue::new(Config::default());
        queue.add(with_priority("p", 0));
        let popped = queue.pop().await;
        queue.failed(&popped, true);
        assert_eq!(queue.lengths(), (0, 0, 1));
        // A status-only update does not move it.
        let mut updated = (*popped.pod).clone();
        updated.status = Some(Default::default());
        queue.add(Arc::new(updated));
        assert_eq!(queue.lengths(), (0, 0, 1));
        // A node event moves it: still backing off, then active.
        queue.move_all();
        assert_eq!(queue.lengths(), (0, 1, 0));
        tokio::time::advance(Duration::from_secs(1)).await;
        queue.flush();
        assert_eq!(queue.lengths(), (1, 0, 0));
        // Unschedulable again, with no event: back after the timeout.
        let popped = queue.pop().await;
        queue.failed(&popped, true);
        tokio::time::advance(Duration::from_secs(59)).await;
        queue.flush();
        assert_eq!(queue.lengths(), (0, 0, 1));
        tokio::time::advance(Duration::from_secs(1)).await;
        queue.flush();
        assert_eq!(queue.lengths(), (1, 0, 0));
    }

    #[tokio::test]
    async fn a_move_during_an_attempt_sends_the_pod_to_backoff() {
        let queue = SchedulingQueue::new(Config::default());
        queue.add(with_priority("p", 0));
        let popped = queue.pop().await;
        queue.move_all();
        queue.failed(&popped, true);
        assert_eq!(queue.lengths(), (0, 1, 0));
    }
}
