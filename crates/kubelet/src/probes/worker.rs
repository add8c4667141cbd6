//! The probe workers: one task per (container, probe kind), as upstream's
//! prober manager keeps one worker per container and kind.
//!
//! A worker waits `initialDelaySeconds` from its start (the agent spawns
//! it when the container has started), then tries every `periodSeconds`,
//! each attempt bounded by `timeoutSeconds`. `successThreshold` consecutive
//! successes or `failureThreshold` consecutive failures make a result; only
//! a result that differs from the previous one is sent to the agent.
//! Before any result, readiness counts as failed and liveness as
//! succeeded, as upstream's initial values, so neither is sent at first;
//! startup has no initial value.
//!
//! As upstream, an attempt that could not run (`Outcome::Unknown`) is
//! thrown away, a failed liveness result or any startup result puts the
//! worker on hold (it ends: the container is restarted, and the agent
//! starts new workers for the new container), and liveness and readiness
//! do not run until the container's startup probe has succeeded — which
//! [`spawn_container`] arranges; [`spawn`] starts one worker ungated.
//!
//! Upstream also records an event for every attempt that fails, warns or
//! errs, result change or not (a readiness probe failing from the start
//! changes no result, yet `kubectl describe` shows its `Unhealthy` events);
//! [`spawn_container_with_events`] sends those as [`ProbeEvent`]s.

use std::future::Future;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Probe;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use super::{run_once, Kind, Outcome, Target, Timing};

/// A change of a probe's result, for the agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeResult {
    pub pod_uid: String,
    pub container_name: String,
    pub container_id: String,
    pub kind: Kind,
    pub success: bool,
    /// For a failure, the event upstream records (`Liveness probe failed:
    /// HTTP probe failed with statuscode: 500`); for a success after a
    /// warning, `Readiness probe warning: ...`; otherwise empty.
    pub message: String,
}

/// An attempt upstream records an event for: a failure or an error
/// (`Unhealthy`) or a warning (`ProbeWarning`), on the container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeEvent {
    pub pod_uid: String,
    pub container_name: String,
    pub container_id: String,
    pub kind: Kind,
    /// `Unhealthy` or `ProbeWarning`; the event's type is Warning.
    pub reason: &'static str,
    /// `Liveness probe failed: ...`, `Readiness probe errored and resulted
    /// in unknown state: ...`, `Readiness probe warning: ...`.
    pub message: String,
}

/// A running worker; dropping it (or [`ProbeHandle::stop`]) ends it.
#[derive(Debug)]
pub struct ProbeHandle {
    kind: Kind,
    task: JoinHandle<()>,
}

impl ProbeHandle {
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Ends the worker now.
    pub fn stop(self) {
        // Drop aborts.
    }

    /// Whether the worker has ended by itself (on hold after a liveness
    /// failure or a startup result).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

impl Drop for ProbeHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The workers of one container's probes; dropping it ends them all.
#[derive(Debug, Default)]
pub struct ContainerProbes {
    handles: Vec<ProbeHandle>,
}

impl ContainerProbes {
    /// Whether the container has no probe at all.
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// Ends every worker now.
    pub fn stop(self) {}
}

/// Starts a worker for the `kind` probe of `target`, with no startup
/// gating: for liveness or readiness of a container with a startup probe,
/// start it only after the startup result succeeded (or use
/// [`spawn_container`]).
pub fn spawn(
    kind: Kind,
    probe: Probe,
    target: Target,
    tx: mpsc::Sender<ProbeResult>,
) -> ProbeHandle {
    start(kind, probe, Arc::new(target), None, None, tx, None)
}

/// Starts the workers of every probe in `target.container`'s spec, with
/// liveness and readiness held until the startup probe (if any) succeeds.
/// Call it once the container has started.
pub fn spawn_container(target: Target, tx: mpsc::Sender<ProbeResult>) -> ContainerProbes {
    spawn_all(target, tx, None)
}

/// [`spawn_container`], also sending an event for every attempt upstream
/// records one for. Events never hold the probes back: when `events` is
/// full, they are dropped (with a log line).
pub fn spawn_container_with_events(
    target: Target,
    tx: mpsc::Sender<ProbeResult>,
    events: mpsc::Sender<ProbeEvent>,
) -> ContainerProbes {
    spawn_all(target, tx, Some(events))
}

fn spawn_all(
    target: Target,
    tx: mpsc::Sender<ProbeResult>,
    events: Option<mpsc::Sender<ProbeEvent>>,
) -> ContainerProbes {
    let target = Arc::new(target);
    let mut handles = Vec::new();
    let mut gate = None;
    if let Some(probe) = target.container.startup_probe.clone() {
        let (opened, waiting) = watch::channel(false);
        gate = Some(waiting);
        handles.push(start(
            Kind::Startup,
            probe,
            target.clone(),
            None,
            Some(opened),
            tx.clone(),
            events.clone(),
        ));
    }
    for kind in [Kind::Liveness, Kind::Readiness] {
        if let Some(probe) = kind.of(&target.container).cloned() {
            handles.push(start(
                kind,
                probe,
                target.clone(),
                gate.clone(),
                None,
                tx.clone(),
                events.clone(),
            ));
        }
    }
    ContainerProbes { handles }
}

fn start(
    kind: Kind,
    probe: Probe,
    target: Arc<Target>,
    gate: Option<watch::Receiver<bool>>,
    opens: Option<watch::Sender<bool>>,
    tx: mpsc::Sender<ProbeResult>,
    events: Option<mpsc::Sender<ProbeEvent>>,
) -> ProbeHandle {
    let timing = Timing::of(&probe);
    let probe = Arc::new(probe);
    let report = Report {
        pod_uid: target.pod_uid.clone(),
        container_name: target.container.name.clone(),
        container_id: target.container_id.clone(),
        tx,
        events,
    };
    let attempt = move || {
        let target = target.clone();
        let probe = probe.clone();
        async move { run_once(&target, &probe).await }
    };
    ProbeHandle {
        kind,
        task: tokio::spawn(work(kind, timing, attempt, gate, opens, report)),
    }
}

/// Where a worker's results go.
struct Report {
    pod_uid: String,
    container_name: String,
    container_id: String,
    tx: mpsc::Sender<ProbeResult>,
    events: Option<mpsc::Sender<ProbeEvent>>,
}

impl Report {
    /// Sends the event of one attempt, if it has one and anyone listens.
    fn event(&self, kind: Kind, outcome: &Outcome) {
        let (Some(events), Some((reason, message))) = (&self.events, outcome.event(kind)) else {
            return;
        };
        let event = ProbeEvent {
            pod_uid: self.pod_uid.clone(),
            container_name: self.container_name.clone(),
            container_id: self.container_id.clone(),
            kind,
            reason,
            message,
        };
        if events.try_send(event).is_err() {
            tracing::debug!(pod_uid = %self.pod_uid, "probe event dropped");
        }
    }
}

/// The worker's loop; `attempt` runs one probe attempt (a stand-in in the
/// unit tests). `gate` holds it until true; `opens` is set true when this
/// (startup) worker succeeds.
async fn work<A, F>(
    kind: Kind,
    timing: Timing,
    mut attempt: A,
    gate: Option<watch::Receiver<bool>>,
    opens: Option<watch::Sender<bool>>,
    report: Report,
) where
    A: FnMut() -> F,
    F: Future<Output = Outcome>,
{
    let started = Instant::now();
    if let Some(mut gate) = gate {
        // The startup worker gone without success: the container is being
        // restarted, and this worker with it.
        if gate.wait_for(|open| *open).await.is_err() {
            return;
        }
    }
    let first = (started + timing.initial_delay).max(Instant::now());
    let mut ticks = tokio::time::interval_at(first, timing.period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // Upstream's initial results: readiness failed, liveness succeeded.
    let mut current = match kind {
        Kind::Readiness => Some(false),
        Kind::Liveness => Some(true),
        Kind::Startup => None,
    };
    let mut last = None;
    let mut run = 0u32;
    loop {
        ticks.tick().await;
        let outcome = attempt().await;
        report.event(kind, &outcome);
        let success = match &outcome {
            Outcome::Unknown(message) => {
                tracing::debug!(
                    pod_uid = %report.pod_uid,
                    container = %report.container_name,
                    "{kind} probe errored and resulted in unknown state: {message}"
                );
                continue;
            }
            outcome => outcome.is_success(),
        };
        if last == Some(success) {
            run = run.saturating_add(1);
        } else {
            last = Some(success);
            run = 1;
        }
        let threshold = if success {
            timing.success_threshold
        } else {
            timing.failure_threshold
        };
        if run < threshold {
            continue;
        }
        if current != Some(success) {
            current = Some(success);
            let message = outcome.event(kind).map(|(_, m)| m).unwrap_or_default();
            let result = ProbeResult {
                pod_uid: report.pod_uid.clone(),
                container_name: report.container_name.clone(),
                container_id: report.container_id.clone(),
                kind,
                success,
                message,
            };
            if report.tx.send(result).await.is_err() {
                return;
            }
        }
        if kind == Kind::Startup {
            if success {
                if let Some(opens) = &opens {
                    opens.send_replace(true);
                }
            }
            return;
        }
        if kind == Kind::Liveness && !success {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::sync::Mutex;
    use std::time::Duration;

    /// A stand-in probe: plays `outcomes` in order (then repeats the last)
    /// and records the virtual time of each attempt since `origin`.
    #[derive(Clone)]
    struct Fake {
        outcomes: Arc<Mutex<VecDeque<Outcome>>>,
        times: Arc<Mutex<Vec<u64>>>,
        origin: Instant,
    }

    impl Fake {
        fn new(outcomes: &[Outcome]) -> Fake {
            Fake {
                outcomes: Arc::new(Mutex::new(outcomes.iter().cloned().collect())),
                times: Arc::default(),
                origin: Instant::now(),
            }
        }

        fn attempt(&self) -> impl FnMut() -> std::future::Ready<Outcome> {
            let fake = self.clone();
            move || {
                fake.times
                    .lock()
                    .unwrap()
                    .push(fake.origin.elapsed().as_secs());
                let mut outcomes = fake.outcomes.lock().unwrap();
                let outcome = if outcomes.len() > 1 {
                    outcomes.pop_front()
                } else {
                    outcomes.front().cloned()
                };
                std::future::ready(outcome.unwrap_or(Outcome::Success))
            }
        }

        fn times(&self) -> Vec<u64> {
            self.times.lock().unwrap().clone()
        }
    }

    fn timing(delay: u64, period: u64, success: u32, failure: u32) -> Timing {
        Timing {
            initial_delay: Duration::from_secs(delay),
            period: Duration::from_secs(period),
            timeout: Duration::from_secs(1),
            success_threshold: success,
            failure_threshold: failure,
        }
    }

    fn report(tx: mpsc::Sender<ProbeResult>) -> Report {
        Report {
            pod_uid: "uid".into(),
            container_name: "app".into(),
            container_id: "cid".into(),
            tx,
            events: None,
        }
    }

    fn drain(rx: &mut mpsc::Receiver<ProbeResult>) -> Vec<(Kind, bool, String)> {
        let mut out = Vec::new();
        while let Ok(r) = rx.try_recv() {
            out.push((r.kind, r.success, r.message));
        }
        out
    }

    const S: Outcome = Outcome::Success;
    fn f() -> Outcome {
        Outcome::Failure("HTTP probe failed with statuscode: 500".into())
    }

    #[tokio::test(start_paused = true)]
    async fn readiness_waits_the_delay_then_counts_thresholds() {
        let fake = Fake::new(&[S, S, f(), f(), S, f(), f(), S]);
        let (tx, mut rx) = mpsc::channel(16);
        let task = tokio::spawn(work(
            Kind::Readiness,
            timing(5, 10, 2, 2),
            fake.attempt(),
            None,
            None,
            report(tx),
        ));
        tokio::time::sleep(Duration::from_secs(76)).await;
        task.abort();
        assert_eq!(fake.times(), vec![5, 15, 25, 35, 45, 55, 65, 75]);
        assert_eq!(
            drain(&mut rx),
            vec![
                // Two successes (t=15): ready.
                (Kind::Readiness, true, String::new()),
                // Two failures (t=35): not ready.
                (
                    Kind::Readiness,
                    false,
                    "Readiness probe failed: HTTP probe failed with statuscode: 500".into()
                ),
                // One success, two failures (t=65): still not ready, no
                // report; one success (t=75) is below the threshold.
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn liveness_reports_only_the_failure_then_holds() {
        let fake = Fake::new(&[S, f(), f(), S, f(), f(), f(), S]);
        let (tx, mut rx) = mpsc::channel(16);
        let task = tokio::spawn(work(
            Kind::Liveness,
            timing(0, 3, 1, 3),
            fake.attempt(),
            None,
            None,
            report(tx),
        ));
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(task.is_finished(), "on hold after the failure");
        assert_eq!(fake.times(), vec![0, 3, 6, 9, 12, 15, 18]);
        assert_eq!(
            drain(&mut rx),
            vec![(
                Kind::Liveness,
                false,
                "Liveness probe failed: HTTP probe failed with statuscode: 500".into()
            )]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn unknown_attempts_are_thrown_away() {
        let unknown = Outcome::Unknown("strconv.Atoi: parsing \"web\": invalid syntax".into());
        let fake = Fake::new(&[f(), unknown.clone(), unknown, f(), S]);
        let (tx, mut rx) = mpsc::channel(16);
        let task = tokio::spawn(work(
            Kind::Liveness,
            timing(0, 1, 1, 2),
            fake.attempt(),
            None,
            None,
            report(tx),
        ));
        tokio::time::sleep(Duration::from_secs(10)).await;
        task.abort();
        // The two failures around the unknowns are consecutive.
        assert_eq!(fake.times(), vec![0, 1, 2, 3]);
        assert_eq!(drain(&mut rx).len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn startup_gates_liveness_and_readiness() {
        let startup = Fake::new(&[f(), f(), S]);
        let liveness = Fake::new(&[S]);
        let readiness = Fake::new(&[S]);
        let (tx, mut rx) = mpsc::channel(16);
        let (opens, gate) = watch::channel(false);
        let tasks = [
            tokio::spawn(work(
                Kind::Startup,
                timing(0, 2, 1, 10),
                startup.attempt(),
                None,
                Some(opens),
                report(tx.clone()),
            )),
            tokio::spawn(work(
                Kind::Liveness,
                timing(1, 10, 1, 3),
                liveness.attempt(),
                Some(gate.clone()),
                None,
                report(tx.clone()),
            )),
            tokio::spawn(work(
                Kind::Readiness,
                timing(0, 10, 1, 3),
                readiness.attempt(),
                Some(gate),
                None,
                report(tx),
            )),
        ];
        tokio::time::sleep(Duration::from_secs(25)).await;
        for task in &tasks {
            task.abort();
        }
        assert_eq!(startup.times(), vec![0, 2, 4]);
        // Both start when startup succeeds (t=4), their delays having
        // passed, then keep their period.
        assert_eq!(liveness.times(), vec![4, 14, 24]);
        assert_eq!(readiness.times(), vec![4, 14, 24]);
        let mut results = drain(&mut rx);
        results.sort_by_key(|(kind, _, _)| *kind == Kind::Readiness);
        assert_eq!(
            results,
            vec![
                (Kind::Startup, true, String::new()),
                (Kind::Readiness, true, String::new()),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_startup_ends_the_gated_workers() {
        let startup = Fake::new(&[f()]);
        let liveness = Fake::new(&[S]);
        let (tx, mut rx) = mpsc::channel(16);
        let (opens, gate) = watch::channel(false);
        let startup_task = tokio::spawn(work(
            Kind::Startup,
            timing(0, 1, 1, 3),
            startup.attempt(),
            None,
            Some(opens),
            report(tx.clone()),
        ));
        let liveness_task = tokio::spawn(work(
            Kind::Liveness,
            timing(0, 1, 1, 3),
            liveness.attempt(),
            Some(gate),
            None,
            report(tx),
        ));
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(startup_task.is_finished() && liveness_task.is_finished());
        assert!(liveness.times().is_empty());
        let results = drain(&mut rx);
        assert_eq!(results.len(), 1);
        assert_eq!((results[0].0, results[0].1), (Kind::Startup, false));
    }

    #[tokio::test(start_paused = true)]
    async fn a_redirect_warning_counts_as_success() {
        let fake = Fake::new(&[Outcome::Warning(
            "Probe terminated redirects, Response body: x".into(),
        )]);
        let (tx, mut rx) = mpsc::channel(16);
        let task = tokio::spawn(work(
            Kind::Readiness,
            timing(0, 10, 1, 3),
            fake.attempt(),
            None,
            None,
            report(tx),
        ));
        tokio::time::sleep(Duration::from_secs(1)).await;
        task.abort();
        assert_eq!(
            drain(&mut rx),
            vec![(
                Kind::Readiness,
                true,
                "Readiness probe warning: Probe terminated redirects, Response body: x".into()
            )]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn every_failed_attempt_is_an_event_even_without_a_change() {
        let unknown = Outcome::Unknown("strconv.Atoi: parsing \"web\": invalid syntax".into());
        let fake = Fake::new(&[f(), unknown, f(), S]);
        let (tx, mut rx) = mpsc::channel(16);
        let (etx, mut erx) = mpsc::channel(16);
        let mut report = report(tx);
        report.events = Some(etx);
        let task = tokio::spawn(work(
            Kind::Readiness,
            timing(0, 1, 1, 3),
            fake.attempt(),
            None,
            None,
            report,
        ));
        tokio::time::sleep(Duration::from_millis(3500)).await;
        task.abort();
        let mut events = Vec::new();
        while let Ok(e) = erx.try_recv() {
            events.push((e.reason, e.message));
        }
        assert_eq!(
            events,
            vec![
                (
                    "Unhealthy",
                    "Readiness probe failed: HTTP probe failed with statuscode: 500".to_string()
                ),
                (
                    "Unhealthy",
                    "Readiness probe errored and resulted in unknown state: strconv.Atoi: \
                     parsing \"web\": invalid syntax"
                        .to_string()
                ),
                (
                    "Unhealthy",
                    "Readiness probe failed: HTTP probe failed with statuscode: 500".to_string()
                ),
            ]
        );
        // Readiness starts failed: only the success at t=3 is a change.
        assert_eq!(drain(&mut rx), vec![(Kind::Readiness, true, String::new())]);
    }
}
