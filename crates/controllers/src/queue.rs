//! A work queue that holds each key once, as client-go's workqueue: adding a key
//! already waiting is a no-op, and a failed key comes back after a delay.

use std::collections::{HashSet, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

pub struct WorkQueue<K> {
    state: Arc<Mutex<State<K>>>,
    notify: Arc<Notify>,
}

impl<K> Clone for WorkQueue<K> {
    fn clone(&self) -> Self {
        WorkQueue {
            state: self.state.clone(),
            notify: self.notify.clone(),
        }
    }
}

struct State<K> {
    order: VecDeque<K>,
    waiting: HashSet<K>,
}

impl<K: Clone + Eq + Hash + Send + 'static> WorkQueue<K> {
    pub fn new() -> Self {
        WorkQueue {
            state: Arc::new(Mutex::new(State {
                order: VecDeque::new(),
                waiting: HashSet::new(),
            })),
            notify: Arc::new(Notify::new()),
        }
    }

    /// Queues `key` unless it is already waiting.
    pub fn add(&self, key: K) {
        let added = match self.state.lock() {
            Ok(mut state) => {
                if state.waiting.insert(key.clone()) {
                    state.order.push_back(key);
                    true
                } else {
                    false
                }
            }
            Err(_) => false,
        };
        if added {
            self.notify.notify_one();
        }
    }

    /// Queues `key` after `delay`.
    pub fn add_after(&self, key: K, delay: Duration) {
        let queue = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            queue.add(key);
        });
    }

    /// The next key, waiting for one if the queue is empty.
    pub async fn next(&self) -> K {
        loop {
            let notified = self.notify.notified();
            if let Ok(mut state) = self.state.lock() {
                if let Some(key) = state.order.pop_front() {
                    state.waiting.remove(&key);
                    return key;
                }
            }
            notified.await;
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.state.lock().map(|s| s.order.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keys_wait_once_and_in_order() {
        let queue = WorkQueue::new();
        queue.add("a");
        queue.add("b");
        queue.add("a");
        assert_eq!(queue.len(), 2);
        assert_eq!(queue.next().await, "a");
        queue.add("a");
        assert_eq!(queue.next().await, "b");
        assert_eq!(queue.next().await, "a");
    }

    #[tokio::test]
    async fn next_waits_for_a_key() {
        let queue = WorkQueue::new();
        let waiter = {
            let queue = queue.clone();
            tokio::spawn(async move { queue.next().await })
        };
        queue.add_after(7, Duration::from_millis(10));
        let got = tokio::time::timeout(Duration::from_secs(5), waiter).await;
        assert!(matches!(got, Ok(Ok(7))));
    }
}
