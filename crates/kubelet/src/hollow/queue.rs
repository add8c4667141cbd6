//! A work queue of keys, as client-go's workqueue: a key waits at most once,
//! a key being processed is not handed out again until `done` (an add in the
//! meantime queues it once more afterwards), and a key can be queued after a
//! delay. One timer task serves every delayed key, however many there are.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

#[derive(Default)]
pub struct WorkQueue {
    state: Mutex<State>,
    ready: Notify,
    timers_changed: Notify,
}

#[derive(Default)]
struct State {
    order: VecDeque<String>,
    waiting: HashSet<String>,
    processing: HashSet<String>,
    dirty: HashSet<String>,
    timers: BinaryHeap<Reverse<(Instant, String)>>,
}

impl WorkQueue {
    /// Queues `key` unless it is already waiting.
    pub fn add(&self, key: String) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if state.processing.contains(&key) {
            state.dirty.insert(key);
            return;
        }
        if state.waiting.insert(key.clone()) {
            state.order.push_back(key);
            drop(state);
            self.ready.notify_one();
        }
    }

    /// Queues `key` after `delay`.
    pub fn add_after(&self, key: String, delay: Duration) {
        if let Ok(mut state) = self.state.lock() {
            state.timers.push(Reverse((Instant::now() + delay, key)));
        }
        self.timers_changed.notify_one();
    }

    /// The next key, waiting for one; call `done` with it when finished.
    pub async fn next(&self) -> String {
        loop {
            let notified = self.ready.notified();
            if let Ok(mut state) = self.state.lock() {
                if let Some(key) = state.order.pop_front() {
                    state.waiting.remove(&key);
                    state.processing.insert(key.clone());
                    return key;
                }
            }
            notified.await;
        }
    }

    /// Marks `key` processed; queues it again if it was added meanwhile.
    pub fn done(&self, key: &str) {
        let again = match self.state.lock() {
            Ok(mut state) => {
                state.processing.remove(key);
                state.dirty.remove(key)
            }
            Err(_) => false,
        };
        if again {
            self.add(key.to_string());
        }
    }

    /// Moves delayed keys to the queue when they are due. Runs forever.
    pub async fn run_timers(&self) {
        loop {
            let changed = self.timers_changed.notified();
            let mut due = Vec::new();
            let next = match self.state.lock() {
                Ok(mut state) => {
                    let now = Instant::now();
                    while state
                        .timers
                        .peek()
                        .is_some_and(|Reverse((at, _))| *at <= now)
                    {
                        if let Some(Reverse((_, key))) = state.timers.pop() {
                            due.push(key);
                        }
                    }
                    state.timers.peek().map(|Reverse((at, _))| *at)
                }
                Err(_) => return,
            };
            for key in due {
                self.add(key);
            }
            match next {
                Some(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = changed => {}
                    }
                }
                None => changed.await,
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.state.lock().map(|s| s.order.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn a_key_is_processed_by_one_worker_at_a_time() {
        let queue = WorkQueue::default();
        queue.add("a".into());
        queue.add("b".into());
        queue.add("a".into());
        assert_eq!(queue.len(), 2);
        assert_eq!(queue.next().await, "a");
        // Added while processing: not handed out until done.
        queue.add("a".into());
        assert_eq!(queue.len(), 1);
        assert_eq!(queue.next().await, "b");
        queue.done("b");
        queue.done("a");
        assert_eq!(queue.next().await, "a");
    }

    #[tokio::test]
    async fn delayed_keys_come_when_due() {
        let queue = Arc::new(WorkQueue::default());
        let timers = {
            let queue = queue.clone();
            tokio::spawn(async move { queue.run_timers().await })
        };
        queue.add_after("late".into(), Duration::from_millis(300));
        queue.add_after("early".into(), Duration::from_millis(100));
        assert_eq!(queue.len(), 0);
        let next = tokio::time::timeout(Duration::from_secs(5), queue.next()).await;
        assert_eq!(next.ok().as_deref(), Some("early"));
        let next = tokio::time::timeout(Duration::from_secs(5), queue.next()).await;
        assert_eq!(next.ok().as_deref(), Some("late"));
        timers.abort();
    }
}
