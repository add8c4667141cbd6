//! Restart back-off, as upstream's kubelet keeps it per container (and per
//! image for pulls): 10 s after the first failure, doubling to 5 min, and
//! forgotten once a container has run for 10 min.

use std::collections::HashMap;
use std::time::Duration;

pub const INITIAL: Duration = Duration::from_secs(10);
pub const MAX: Duration = Duration::from_secs(300);
/// A container that ran this long before exiting starts over at `INITIAL`.
pub const RESET_AFTER: Duration = Duration::from_secs(600);

/// Back-off delays by key, with the time (ns since the epoch) each started.
#[derive(Default, Debug)]
pub struct Backoff {
    entries: HashMap<String, (Duration, i64)>,
}

impl Backoff {
    /// Time left (if any) before `key` may be tried again, at `now` (ns).
    pub fn remaining(&self, key: &str, now: i64) -> Option<Duration> {
        let (delay, since) = self.entries.get(key)?;
        let until = since.saturating_add(i64::try_from(delay.as_nanos()).unwrap_or(i64::MAX));
        (now < until).then(|| Duration::from_nanos(u64::try_from(until - now).unwrap_or(0)))
    }

    /// The current delay of `key`.
    pub fn delay(&self, key: &str) -> Option<Duration> {
        self.entries.get(key).map(|(d, _)| *d)
    }

    /// Records a try at `since` (ns): the next one waits 10 s, or twice the
    /// last delay, at most 5 min.
    pub fn next(&mut self, key: &str, since: i64) {
        let delay = match self.entries.get(key) {
            Some((delay, _)) => (*delay * 2).min(MAX),
            None => INITIAL,
        };
        self.entries.insert(key.to_string(), (delay, since));
    }

    pub fn reset(&mut self, key: &str) {
        self.entries.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_five_minutes() {
        let mut backoff = Backoff::default();
        let s = 1_000_000_000i64;
        assert_eq!(backoff.remaining("c", 0), None);
        backoff.next("c", 0);
        assert_eq!(backoff.delay("c"), Some(Duration::from_secs(10)));
        assert_eq!(backoff.remaining("c", 4 * s), Some(Duration::from_secs(6)));
        assert_eq!(backoff.remaining("c", 10 * s), None);
        for _ in 0..10 {
            backoff.next("c", 0);
        }
        assert_eq!(backoff.delay("c"), Some(MAX));
        backoff.reset("c");
        assert_eq!(backoff.delay("c"), None);
    }
}
