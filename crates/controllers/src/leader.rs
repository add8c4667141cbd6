//! Leader election through `coordination.k8s.io/v1` Leases, as client-go's
//! `tools/leaderelection`: candidates race to write their identity into one
//! Lease with optimistic concurrency (the write carries the resourceVersion
//! that was read); the holder renews it every retry period, and the others
//! take it over once they have seen the same record unchanged for the lease
//! duration, measured on their own clock (so clock skew between machines does
//! not matter). A leader that cannot renew within the renew deadline stops
//! acting; one that shuts down cleanly releases the lease (client-go's
//! `ReleaseOnCancel`) so that another candidate takes over at once.
//!
//! [`run`] campaigns, then runs the work only while it leads and tells why it
//! stopped. What to do when leadership is lost is the caller's decision; the
//! rkube commands (`controller-manager`, `scheduler`, and `server` for its
//! in-process ones) exit with an error, as upstream's components and k3s do:
//! the work's future is dropped, but tasks it spawned may live on, so only
//! the end of the process guarantees that a deposed leader acts no more.

use std::future::Future;
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::PostParams;
use kube::{Api, Client};

use crate::events::{EventType, Occurrence, Recorder};
use crate::Error;

/// How one candidate campaigns (client-go's `LeaderElectionConfig`).
#[derive(Clone, Debug)]
pub struct Config {
    /// The Lease's namespace (upstream components: `kube-system`).
    pub namespace: String,
    /// The Lease's name (`kube-controller-manager`, `kube-scheduler`).
    pub name: String,
    /// This candidate: `<hostname>_<uuid>` (see [`identity`]).
    pub identity: String,
    /// How long others wait, after seeing the record last change, before
    /// taking over (upstream: 15 s).
    pub lease_duration: Duration,
    /// How long the leader keeps trying to renew before it gives up (10 s).
    pub renew_deadline: Duration,
    /// How often candidates try to acquire and the leader renews (2 s).
    pub retry_period: Duration,
}

impl Config {
    /// Upstream's timings for the Lease `kube-system/<name>`, with a fresh identity.
    pub fn new(name: &str) -> Self {
        Config {
            namespace: "kube-system".to_string(),
            name: name.to_string(),
            identity: identity(),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

/// Why [`run`] returned.
#[derive(Debug)]
pub enum Outcome<T> {
    /// The work ended by itself while this candidate led (the lease is released).
    Finished(T),
    /// Leadership was lost (not renewed within the renew deadline, or another
    /// candidate holds the lease); the work was stopped.
    Lost,
    /// `shutdown` completed (the lease is released if it was held).
    Shutdown,
}

/// `<hostname>_<random uuid>`, as upstream components name themselves.
pub fn identity() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    let host = if host.is_empty() {
        "localhost".to_string()
    } else {
        host
    };
    format!("{host}_{}", uuid_v4())
}

/// A random (version 4) UUID from the kernel's random source, or failing
/// that from the clock and process id.
fn uuid_v4() -> String {
    let mut bytes = [0u8; 16];
    let random = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
    if random.is_err() {
        let seed =
            Timestamp::now().as_nanosecond() as u128 ^ (u128::from(std::process::id()) << 64);
        bytes = seed.to_le_bytes();
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// What a candidate may do with the lease it just read.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    /// Write our identity (acquire, take over, or renew).
    Write,
    /// Someone else holds a lease that has not expired.
    Wait,
}

/// The record part of a LeaseSpec that decides expiry (client-go compares the
/// whole record to notice a change).
fn record_of(
    spec: Option<&LeaseSpec>,
) -> (Option<String>, Option<i32>, Option<String>, Option<i32>) {
    let spec = spec.cloned().unwrap_or_default();
    (
        spec.holder_identity,
        spec.lease_duration_seconds,
        spec.renew_time.map(|t| t.0.to_string()),
        spec.lease_transitions,
    )
}

/// Decides from the lease as read: free (no holder), ours, or expired — its
/// record unchanged for its leaseDurationSeconds since `observed_at` (when we
/// first saw this record) — means we write; otherwise we wait.
pub fn decide(
    spec: Option<&LeaseSpec>,
    identity: &str,
    observed_at: Instant,
    now: Instant,
) -> Decision {
    let Some(spec) = spec else {
        return Decision::Write;
    };
    let holder = spec.holder_identity.as_deref().unwrap_or("");
    if holder.is_empty() || holder == identity {
        return Decision::Write;
    }
    let duration = Duration::from_secs(spec.lease_duration_seconds.unwrap_or(0).max(0) as u64);
    if observed_at + duration > now {
        Decision::Wait
    } else {
        Decision::Write
    }
}

/// The spec we write over `old` (None: the lease does not exist yet): a
/// holder keeps its acquireTime and the transition count; a new holder takes
/// the lease with the count incremented.
pub fn next_spec(
    old: Option<&LeaseSpec>,
    identity: &str,
    lease_duration: Duration,
    now: Timestamp,
) -> LeaseSpec {
    let seconds = i32::try_from(lease_duration.as_secs().max(1)).unwrap_or(i32::MAX);
    let (acquire_time, transitions) = match old {
        None => (MicroTime(now), 0),
        Some(old) if old.holder_identity.as_deref() == Some(identity) => (
            old.acquire_time.clone().unwrap_or(MicroTime(now)),
            old.lease_transitions.unwrap_or(0),
        ),
        Some(old) => (
            MicroTime(now),
            old.lease_transitions.unwrap_or(0).saturating_add(1),
        ),
    };
    LeaseSpec {
        holder_identity: Some(identity.to_string()),
        lease_duration_seconds: Some(seconds),
        acquire_time: Some(acquire_time),
        renew_time: Some(MicroTime(now)),
        lease_transitions: Some(transitions),
        ..old.cloned().unwrap_or_default()
    }
}

/// The spec that releases `old`: no holder, a one-second duration, the
/// transition count kept (client-go's release).
pub fn released_spec(old: &LeaseSpec, now: Timestamp) -> LeaseSpec {
    LeaseSpec {
        holder_identity: Some(String::new()),
        lease_duration_seconds: Some(1),
        acquire_time: Some(MicroTime(now)),
        renew_time: Some(MicroTime(now)),
        lease_transitions: old.lease_transitions,
        ..old.clone()
    }
}

/// One candidate's view of the lease.
struct Elector {
    api: Api<Lease>,
    config: Config,
    /// The record last read and when it was first seen (our clock).
    observed: Option<(LeaseRecord, Instant)>,
    /// The lease as last read or written (its resourceVersion guards the next write).
    lease: Option<Lease>,
}

type LeaseRecord = (Option<String>, Option<i32>, Option<String>, Option<i32>);

impl Elector {
    /// client-go's tryAcquireOrRenew: Ok(true) when we hold the lease now.
    async fn try_acquire_or_renew(&mut self) -> Result<bool, Error> {
        let now = Instant::now();
        let wall = Timestamp::now();
        let current = match self.api.get_opt(&self.config.name).await? {
            None => {
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(self.config.name.clone()),
                        namespace: Some(self.config.namespace.clone()),
                        ..ObjectMeta::default()
                    },
                    spec: Some(next_spec(
                        None,
                        &self.config.identity,
                        self.config.lease_duration,
                        wall,
                    )),
                };
                return match self.api.create(&PostParams::default(), &lease).await {
                    Ok(created) => {
                        self.remember(created, now);
                        Ok(true)
                    }
                    // Another candidate created it first.
                    Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
                    Err(error) => Err(error.into()),
                };
            }
            Some(lease) => lease,
        };
        let record = record_of(current.spec.as_ref());
        let observed_at = match &self.observed {
            Some((seen, at)) if *seen == record => *at,
            _ => now,
        };
        self.observed = Some((record, observed_at));
        self.lease = Some(current.clone());
        if decide(
            current.spec.as_ref(),
            &self.config.identity,
            observed_at,
            now,
        ) == Decision::Wait
        {
            return Ok(false);
        }
        let mut update = current.clone();
        update.spec = Some(next_spec(
            current.spec.as_ref(),
            &self.config.identity,
            self.config.lease_duration,
            wall,
        ));
        // The resourceVersion read makes this a compare-and-swap: 409 if
        // someone wrote in between.
        match self
            .api
            .replace(&self.config.name, &PostParams::default(), &update)
            .await
        {
            Ok(written) => {
                self.remember(written, now);
                Ok(true)
            }
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    fn remember(&mut self, lease: Lease, now: Instant) {
        self.observed = Some((record_of(lease.spec.as_ref()), now));
        self.lease = Some(lease);
    }

    /// Whether the lease as last read names us.
    fn holds(&self) -> bool {
        self.lease
            .as_ref()
            .and_then(|l| l.spec.as_ref())
            .and_then(|s| s.holder_identity.as_deref())
            == Some(self.config.identity.as_str())
    }

    /// Gives the lease up if we still hold it.
    async fn release(&mut self) {
        let Some(lease) = self.lease.clone() else {
            return;
        };
        if !self.holds() {
            return;
        }
        let mut update = lease.clone();
        update.spec = Some(released_spec(
            &lease.spec.clone().unwrap_or_default(),
            Timestamp::now(),
        ));
        let params = PostParams::default();
        let write = self.api.replace(&self.config.name, &params, &update);
        match tokio::time::timeout(self.config.renew_deadline, write).await {
            Ok(Ok(_)) => {
                tracing::info!(lease = %self.config.name, "leader election: lease released")
            }
            Ok(Err(error)) => {
                tracing::warn!(lease = %self.config.name, %error, "leader election: release failed")
            }
            Err(_) => {
                tracing::warn!(lease = %self.config.name, "leader election: release timed out")
            }
        }
    }

    /// One attempt, bounded by the renew deadline; errors count as failures.
    async fn attempt(&mut self) -> bool {
        let deadline = self.config.renew_deadline;
        match tokio::time::timeout(deadline, self.try_acquire_or_renew()).await {
            Ok(Ok(held)) => held,
            Ok(Err(error)) => {
                tracing::debug!(lease = %self.config.name, %error, "leader election: attempt failed");
                false
            }
            Err(_) => false,
        }
    }

    /// Whether another candidate holds the lease as last read.
    fn other_holds(&self) -> bool {
        self.lease
            .as_ref()
            .and_then(|l| l.spec.as_ref())
            .and_then(|s| s.holder_identity.as_deref())
            .is_some_and(|h| !h.is_empty() && h != self.config.identity)
    }

    /// Renews every retry period until a renewal fails for longer than the
    /// renew deadline or another candidate shows up as holder.
    async fn keep_renewing(&mut self) {
        let mut last_renewed = Instant::now();
        loop {
            tokio::time::sleep(self.config.retry_period).await;
            if self.attempt().await {
                last_renewed = Instant::now();
                continue;
            }
            if self.other_holds() {
                tracing::warn!(lease = %self.config.name, "leader election: another candidate holds the lease");
                return;
            }
            if last_renewed.elapsed() >= self.config.renew_deadline {
                tracing::error!(lease = %self.config.name, "leader election: failed to renew the lease within the renew deadline");
                return;
            }
        }
    }
}

/// A retry period with up to 20% jitter (client-go's JitterFactor 1.2).
fn jittered(period: Duration) -> Duration {
    let nanos = Timestamp::now().subsec_nanosecond().unsigned_abs();
    period + period.mul_f64(f64::from(nanos % 1000) / 5000.0)
}

/// Campaigns for the lease of `config`, then runs `work` while leading.
/// Records `<identity> became leader` (and `stopped leading`) events on the
/// Lease, reason `LeaderElection`.
pub async fn run<W, Fut>(
    client: Client,
    config: Config,
    shutdown: impl Future<Output = ()>,
    work: W,
) -> Result<Outcome<Fut::Output>, Error>
where
    W: FnOnce() -> Fut,
    Fut: Future,
{
    let mut elector = Elector {
        api: Api::namespaced(client.clone(), &config.namespace),
        config: config.clone(),
        observed: None,
        lease: None,
    };
    let recorder = Recorder::new(client, "rkube.io/leader-election");
    let mut shutdown = std::pin::pin!(shutdown);
    tracing::info!(lease = %format!("{}/{}", config.namespace, config.name), identity = %config.identity, "leader election: attempting to acquire the lease");
    // Campaign.
    loop {
        let acquired = tokio::select! {
            acquired = elector.attempt() => acquired,
            () = &mut shutdown => return Ok(Outcome::Shutdown),
        };
        if acquired {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(jittered(config.retry_period)) => {}
            () = &mut shutdown => return Ok(Outcome::Shutdown),
        }
    }
    tracing::info!(lease = %config.name, identity = %config.identity, "leader election: acquired the lease");
    record(
        &recorder,
        &elector,
        format!("{} became leader", config.identity),
    )
    .await;
    // Lead: the work runs as long as the renewals succeed.
    let outcome = {
        let mut work = Box::pin(work());
        let renewing = elector.keep_renewing();
        tokio::select! {
            output = &mut work => Outcome::Finished(output),
            () = renewing => Outcome::Lost,
            () = &mut shutdown => Outcome::Shutdown,
        }
    };
    match outcome {
        Outcome::Lost => {
            record(
                &recorder,
                &elector,
                format!("{} stopped leading", config.identity),
            )
            .await;
        }
        Outcome::Finished(_) | Outcome::Shutdown => elector.release().await,
    }
    Ok(outcome)
}

async fn record(recorder: &Recorder, elector: &Elector, note: String) {
    let lease = elector.lease.as_ref();
    let regarding = ObjectReference {
        api_version: Some("coordination.k8s.io/v1".to_string()),
        kind: Some("Lease".to_string()),
        namespace: Some(elector.config.namespace.clone()),
        name: Some(elector.config.name.clone()),
        uid: lease.and_then(|l| l.metadata.uid.clone()),
        resource_version: lease.and_then(|l| l.metadata.resource_version.clone()),
        ..ObjectReference::default()
    };
    let occurrence = Occurrence {
        type_: EventType::Normal,
        reason: "LeaderElection",
        action: "Leader",
        note,
    };
    let recorded = tokio::time::timeout(
        elector.config.renew_deadline,
        recorder.record(&regarding, occurrence),
    )
    .await;
    if !matches!(recorded, Ok(Ok(()))) {
        tracing::debug!(lease = %elector.config.name, "leader election: event not recorded");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(holder: &str, seconds: i32, transitions: i32) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some(holder.to_string()),
            lease_duration_seconds: Some(seconds),
            lease_transitions: Some(transitions),
            acquire_time: Some(MicroTime(Timestamp::UNIX_EPOCH)),
            renew_time: Some(MicroTime(Timestamp::UNIX_EPOCH)),
            ..LeaseSpec::default()
        }
    }

    #[test]
    fn a_missing_free_or_own_lease_is_taken() {
        let now = Instant::now();
        assert_eq!(decide(None, "me", now, now), Decision::Write);
        assert_eq!(
            decide(Some(&spec("", 15, 3)), "me", now, now),
            Decision::Write
        );
        assert_eq!(
            decide(Some(&spec("me", 15, 3)), "me", now, now),
            Decision::Write
        );
    }

    #[test]
    fn another_holder_is_waited_for_until_its_record_is_stale() {
        let seen = Instant::now();
        let lease = spec("other", 15, 3);
        assert_eq!(
            decide(Some(&lease), "me", seen, seen + Duration::from_secs(14)),
            Decision::Wait
        );
        assert_eq!(
            decide(Some(&lease), "me", seen, seen + Duration::from_secs(15)),
            Decision::Write
        );
        // The duration is the record's, not ours.
        let short = spec("other", 2, 0);
        assert_eq!(
            decide(Some(&short), "me", seen, seen + Duration::from_secs(3)),
            Decision::Write
        );
    }

    #[test]
    fn transitions_count_changes_of_holder() {
        let now: Timestamp = "2026-01-01T00:00:10Z".parse().expect("time");
        let created = next_spec(None, "me", Duration::from_secs(15), now);
        assert_eq!(created.lease_transitions, Some(0));
        assert_eq!(created.holder_identity.as_deref(), Some("me"));
        assert_eq!(created.lease_duration_seconds, Some(15));
        let renewed = next_spec(Some(&spec("me", 15, 4)), "me", Duration::from_secs(15), now);
        assert_eq!(renewed.lease_transitions, Some(4));
        assert_eq!(renewed.acquire_time, Some(MicroTime(Timestamp::UNIX_EPOCH)));
        assert_eq!(renewed.renew_time, Some(MicroTime(now)));
        let taken = next_spec(
            Some(&spec("other", 15, 4)),
            "me",
            Duration::from_secs(15),
            now,
        );
        assert_eq!(taken.lease_transitions, Some(5));
        assert_eq!(taken.acquire_time, Some(MicroTime(now)));
        let released = released_spec(&spec("me", 15, 4), now);
        assert_eq!(released.holder_identity.as_deref(), Some(""));
        assert_eq!(released.lease_duration_seconds, Some(1));
        assert_eq!(released.lease_transitions, Some(4));
        // The next holder after a release is a transition too.
        let after = next_spec(Some(&released), "you", Duration::from_secs(15), now);
        assert_eq!(after.lease_transitions, Some(5));
    }

    #[test]
    fn identities_are_host_and_uuid() {
        let a = identity();
        let b = identity();
        assert_ne!(a, b);
        let (_, uuid) = a.rsplit_once('_').expect("host_uuid");
        assert_eq!(uuid.len(), 36);
        assert_eq!(uuid.as_bytes()[14], b'4');
    }
}
