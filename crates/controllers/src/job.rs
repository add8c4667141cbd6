//! The Job controller: runs pods of a Job to completion, as upstream's
//! `pkg/controller/job`.
//!
//! Pods are created with the `batch.kubernetes.io/job-tracking` finalizer.
//! A pod that finished (or is being deleted, which counts as a failure) is
//! first written into `status.uncountedTerminatedPods`, then its finalizer is
//! removed, and only once the finalizer is seen gone (or the pod is) does it
//! move from there to `status.succeeded`/`status.failed`: a pod is thereby
//! counted exactly once even if the controller restarts in between or the pod
//! is deleted right after it finished.
//!
//! A Job ends in two steps as upstream 1.33 does: first a `FailureTarget`
//! (backoff limit, active deadline) or `SuccessCriteriaMet` condition, with
//! the remaining pods deleted; then, once no pod is terminating and every pod
//! is counted, the `Failed` or `Complete` condition. Pods failed since the
//! last success delay the next creation exponentially (10 s doubling, at most
//! 10 min, upstream's `DefaultJobPodFailureBackOff`/`MaxJobPodFailureBackOff`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::batch::v1::{
    Job, JobCondition, JobStatus, PodFailurePolicy, SuccessPolicy, UncountedTerminatedPods,
};
use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, ObjectFieldSelector, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{OwnerReference, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::Api;
use serde_json::json;

use crate::events::{EventType, Occurrence, Recorder};
use crate::informer::{Informer, Informers, Notice, Written};
use crate::queue::WorkQueue;
use crate::replicaset::{
    controller_of, deletion_order, is_ready, key_of, object_reference_of, Expectations, Key,
};
use crate::{Client, Error};

/// The finalizer that keeps a finished pod until the Job has counted it.
pub const TRACKING_FINALIZER: &str = "batch.kubernetes.io/job-tracking";
/// The annotation and label with an Indexed Job's pod's index.
pub const COMPLETION_INDEX: &str = "batch.kubernetes.io/job-completion-index";
/// The first delay after a pod failure (upstream's `DefaultJobPodFailureBackOff`).
const POD_FAILURE_BACKOFF: Duration = Duration::from_secs(10);
/// The longest delay after pod failures (upstream's `MaxJobPodFailureBackOff`).
const MAX_POD_FAILURE_BACKOFF: Duration = Duration::from_secs(600);
/// At most this many uids in each list of `uncountedTerminatedPods`.
const MAX_UNCOUNTED: usize = 500;
/// At most this many pods created or deleted in one sync.
const MAX_CREATE_DELETE: usize = 500;
/// How soon a failed sync is retried.
const RETRY: Duration = Duration::from_secs(1);

const BACKOFF_REASON: &str = "BackoffLimitExceeded";
const BACKOFF_MESSAGE: &str = "Job has reached the specified backoff limit";
const DEADLINE_REASON: &str = "DeadlineExceeded";
const DEADLINE_MESSAGE: &str = "Job was active longer than specified deadline";
const POLICY_REASON: &str = "PodFailurePolicy";
const SUCCESS_POLICY_REASON: &str = "SuccessPolicy";
const MAX_FAILED_INDEXES_REASON: &str = "MaxFailedIndexesExceeded";
const MAX_FAILED_INDEXES_MESSAGE: &str =
    "Job has exceeded the specified maximal number of failed indexes";
const FAILED_INDEXES_REASON: &str = "FailedIndexes";
const FAILED_INDEXES_MESSAGE: &str = "Job has failed indexes";
/// The annotation with the number of earlier failures of a pod's index.
pub const INDEX_FAILURE_COUNT: &str = "batch.kubernetes.io/job-index-failure-count";
const COMPLETIONS_REASON: &str = "CompletionsReached";
const COMPLETIONS_MESSAGE: &str = "Reached expected number of succeeded pods";

/// Failures since the last success (upstream's `backoffRecord`).
#[derive(Clone, Copy, Debug)]
struct BackoffRecord {
    failures: u32,
    last_failure: Instant,
}

struct Controller {
    client: Client,
    jobs: Informer<Job>,
    pods: Informer<Pod>,
    queue: WorkQueue<Key>,
    expectations: Expectations,
    events: Recorder,
    /// Job uid → its backoff record.
    backoff: Mutex<HashMap<String, BackoffRecord>>,
    /// Pods whose tracking finalizer this controller removed, until the
    /// informer shows it gone.
    stripped: Mutex<HashSet<String>>,
    /// Jobs (by key) with pods whose Job is gone or is another one.
    orphaned: Mutex<HashSet<Key>>,
    /// The Jobs as this controller last wrote their status, by key, with the
    /// resourceVersion they replaced: until the cache moves past that
    /// version, the written Job is the current one (a sync on a stale status
    /// would miss pods already counted and released).
    written: Written<Job>,
    /// Whether the caches hold their first lists.
    synced: AtomicBool,
}

/// Runs the controller until the process ends.
pub async fn run(client: Client, informers: Informers) -> Result<(), Error> {
    let jobs: Informer<Job> = Informer::new();
    let controller = Arc::new(Controller {
        events: Recorder::new(client.clone(), "job-controller"),
        client: client.clone(),
        jobs: jobs.clone(),
        pods: informers.pods.clone(),
        queue: WorkQueue::new(),
        expectations: Expectations::default(),
        backoff: Mutex::new(HashMap::new()),
        stripped: Mutex::new(HashSet::new()),
        orphaned: Mutex::new(HashSet::new()),
        written: Written::default(),
        synced: AtomicBool::new(false),
    });
    let mut job_notices = jobs.subscribe();
    let mut pod_notices = informers.pods.subscribe();
    let watch = jobs.clone().run(Api::all(client));
    let worker = controller.clone().work();
    let dispatch = async {
        loop {
            tokio::select! {
                Some(notice) = job_notices.recv() => controller.job_notice(notice),
                Some(notice) = pod_notices.recv() => controller.pod_notice(notice),
                else => break,
            }
        }
    };
    tokio::select! {
        () = watch => Ok(()),
        () = worker => Ok(()),
        () = dispatch => Ok(()),
    }
}

impl Controller {
    fn job_notice(&self, notice: Notice<Job>) {
        match notice {
            Notice::Applied { new, .. } => self.queue.add(key_of(&new.metadata)),
            Notice::Deleted(job) => {
                let key = key_of(&job.metadata);
                self.expectations.forget(&key);
                if let (Ok(mut backoff), Some(uid)) = (self.backoff.lock(), &job.metadata.uid) {
                    backoff.remove(uid);
                }
                // Its pods may still carry the finalizer.
                self.queue.add(key);
            }
        }
    }

    fn pod_notice(&self, notice: Notice<Pod>) {
        let (pod, old, gone) = match &notice {
            Notice::Applied { old, new } => (new, old.as_ref(), false),
            Notice::Deleted(pod) => (pod, None, true),
        };
        let Some(owner) = controller_of(&pod.metadata, "Job") else {
            return;
        };
        let key = (
            pod.metadata.namespace.clone().unwrap_or_default(),
            owner.name.clone(),
        );
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        if gone {
            self.expectations.deletion_observed(&key, &uid);
            if let Ok(mut stripped) = self.stripped.lock() {
                stripped.remove(&uid);
            }
        } else {
            if old.is_none() {
                self.expectations.creation_observed(&key);
            }
            if pod.metadata.deletion_timestamp.is_some() {
                self.expectations.deletion_observed(&key, &uid);
            }
            if self.synced.load(Ordering::Relaxed) && self.is_orphan(pod, owner) {
                if let Ok(mut orphaned) = self.orphaned.lock() {
                    orphaned.insert(key.clone());
                }
            }
        }
        self.queue.add(key);
    }

    /// A pod with the finalizer whose Job is gone or is another Job.
    fn is_orphan(&self, pod: &Pod, owner: &OwnerReference) -> bool {
        has_finalizer(pod)
            && self
                .jobs
                .get(
                    pod.metadata.namespace.as_deref().unwrap_or_default(),
                    &owner.name,
                )
                .and_then(|job| job.metadata.uid.clone())
                .as_deref()
                != Some(owner.uid.as_str())
    }

    async fn work(self: Arc<Self>) {
        self.jobs.wait_synced().await;
        self.pods.wait_synced().await;
        self.synced.store(true, Ordering::Relaxed);
        // Pods left behind by Jobs deleted while this controller was away.
        for pod in self.pods.list() {
            if let Some(owner) = controller_of(&pod.metadata, "Job") {
                if self.is_orphan(&pod, owner) {
                    let key = (
                        pod.metadata.namespace.clone().unwrap_or_default(),
                        owner.name.clone(),
                    );
                    if let Ok(mut orphaned) = self.orphaned.lock() {
                        orphaned.insert(key.clone());
                    }
                    self.queue.add(key);
                }
            }
        }
        loop {
            let key = self.queue.next().await;
            match self.sync(&key).await {
                Ok(Some(after)) => self.queue.add_after(key, after),
                Ok(None) => {}
                Err(error) => {
                    tracing::debug!(namespace = %key.0, name = %key.1, %error, "job controller: retrying");
                    self.queue.add_after(key, RETRY);
                }
            }
        }
    }

    /// The cached Job, or the one this controller wrote if the cache has not
    /// caught up with it yet.
    fn current(&self, key: &Key, cached: Arc<Job>) -> Arc<Job> {
        self.written.current(key, cached)
    }

    /// Removes the tracking finalizer from pods of `key`'s name whose Job is
    /// gone or is another Job of the same name.
    async fn release_orphans(&self, key: &Key, uid: Option<&str>) -> Result<(), Error> {
        let orphans: Vec<Arc<Pod>> = self
            .pods
            .in_namespace(&key.0)
            .into_iter()
            .filter(|pod| {
                controller_of(&pod.metadata, "Job")
                    .is_some_and(|o| o.name == key.1 && Some(o.uid.as_str()) != uid)
                    && has_finalizer(pod)
            })
            .collect();
        for pod in orphans {
            self.strip_finalizer(&pod).await?;
        }
        Ok(())
    }

    /// Removes the tracking finalizer from a pod; true when it is gone.
    async fn strip_finalizer(&self, pod: &Pod) -> Result<bool, Error> {
        let Some(position) = pod
            .metadata
            .finalizers
            .iter()
            .flatten()
            .position(|f| f == TRACKING_FINALIZER)
        else {
            return Ok(true);
        };
        let api: Api<Pod> = Api::namespaced(
            self.client.clone(),
            pod.metadata.namespace.as_deref().unwrap_or_default(),
        );
        let path = format!("/metadata/finalizers/{position}");
        let ops = json!([
            {"op": "test", "path": "/metadata/uid", "value": pod.metadata.uid},
            {"op": "test", "path": path, "value": TRACKING_FINALIZER},
            {"op": "remove", "path": path},
        ]);
        let patch: json_patch::Patch = serde_json::from_value(ops)?;
        let name = pod.metadata.name.as_deref().unwrap_or_default();
        let done = match api
            .patch(name, &PatchParams::default(), &Patch::<()>::Json(patch))
            .await
        {
            Ok(_) => true,
            Err(kube::Error::Api(status)) if status.code == 404 => true,
            // The finalizers moved meanwhile: the next sync sees them again.
            Err(kube::Error::Api(status)) if [409, 422].contains(&status.code) => false,
            Err(error) => return Err(error.into()),
        };
        if done {
            if let (Ok(mut stripped), Some(uid)) = (self.stripped.lock(), &pod.metadata.uid) {
                stripped.insert(uid.clone());
            }
        }
        Ok(done)
    }

    /// Whether a pod still carries the finalizer as far as this controller knows.
    fn tracked(&self, pod: &Pod) -> bool {
        has_finalizer(pod)
            && !self
                .stripped
                .lock()
                .is_ok_and(|s| pod.metadata.uid.as_ref().is_some_and(|uid| s.contains(uid)))
    }

    async fn record(&self, job: &Job, type_: EventType, reason: &str, action: &str, note: String) {
        let reference = reference(job);
        let occurrence = Occurrence {
            type_,
            reason,
            action,
            note,
        };
        if let Err(error) = self.events.record(&reference, occurrence).await {
            tracing::debug!(%error, "job controller: recording an event failed");
        }
    }

    /// One pass over a Job; returns when to look again, if it must.
    async fn sync(&self, key: &Key) -> Result<Option<Duration>, Error> {
        let Some(cached) = self.jobs.get(&key.0, &key.1) else {
            self.expectations.forget(key);
            self.written.forget(key);
            self.release_orphans(key, None).await?;
            return Ok(None);
        };
        let job = self.current(key, cached);
        let uid = job.metadata.uid.clone().unwrap_or_default();
        let orphans = self
            .orphaned
            .lock()
            .is_ok_and(|mut orphaned| orphaned.remove(key));
        if orphans {
            self.release_orphans(key, Some(&uid)).await?;
        }
        // Another controller (spec.managedBy) runs this Job.
        let managed_by = job.spec.as_ref().and_then(|s| s.managed_by.as_deref());
        if managed_by.is_some_and(|m| m != "kubernetes.io/job-controller") {
            return Ok(None);
        }
        let pods: Vec<Arc<Pod>> = self
            .pods
            .controlled_by(&uid)
            .into_iter()
            .filter(|p| controller_of(&p.metadata, "Job").is_some())
            .collect();
        if let Ok(mut stripped) = self.stripped.lock() {
            for pod in &pods {
                if !has_finalizer(pod) {
                    if let Some(uid) = &pod.metadata.uid {
                        stripped.remove(uid);
                    }
                }
            }
        }
        // A finished or deleted Job keeps no pod back.
        if is_finished(&job) || job.metadata.deletion_timestamp.is_some() {
            for pod in pods.iter().filter(|p| self.tracked(p)) {
                self.strip_finalizer(pod).await?;
            }
            return Ok(None);
        }
        let now = Timestamp::now();
        let spec = job.spec.clone().unwrap_or_default();
        let old_status = job.status.clone().unwrap_or_default();
        let indexed = spec.completion_mode.as_deref() == Some("Indexed");
        let completions = spec.completions;
        let backoff_limit = spec.backoff_limit.unwrap_or(6);
        let suspended = spec.suspend == Some(true);
        // Pods deleted once the Job met its success criteria are no failures.
        let succeeding = finished_target(
            job.status
                .as_ref()
                .and_then(|s| s.conditions.as_deref())
                .unwrap_or_default(),
        )
        .is_some_and(|f| f.success);
        // Pods being deleted count as failed (and are replaced) only once
        // they failed, with podReplacementPolicy Failed or a pod failure policy.
        let only_failed = spec.pod_replacement_policy.as_deref() == Some("Failed")
            || spec.pod_failure_policy.is_some();

        // What was counted before, and what the uncounted lists can give up.
        let uncounted = old_status
            .uncounted_terminated_pods
            .clone()
            .unwrap_or_default();
        let mut uncounted_succeeded: BTreeSet<String> = uncounted
            .succeeded
            .unwrap_or_default()
            .into_iter()
            .collect();
        let mut uncounted_failed: BTreeSet<String> =
            uncounted.failed.unwrap_or_default().into_iter().collect();
        let by_uid: HashMap<&str, &Arc<Pod>> = pods
            .iter()
            .filter_map(|p| p.metadata.uid.as_deref().map(|u| (u, p)))
            .collect();
        let mut succeeded = old_status.succeeded.unwrap_or(0);
        let mut failed = old_status.failed.unwrap_or(0);
        let released = |uid: &String| by_uid.get(uid.as_str()).is_none_or(|p| !self.tracked(p));
        let moved_succeeded: Vec<String> = uncounted_succeeded
            .iter()
            .filter(|u| released(u))
            .cloned()
            .collect();
        let moved_failed: Vec<String> = uncounted_failed
            .iter()
            .filter(|u| released(u))
            .cloned()
            .collect();
        for uid in moved_succeeded {
            uncounted_succeeded.remove(&uid);
            succeeded += 1;
        }
        for uid in moved_failed {
            uncounted_failed.remove(&uid);
            failed += 1;
        }
        let mut succeeded_indexes = match (indexed, completions) {
            (true, Some(c)) => parse_intervals(old_status.completed_indexes.as_deref(), c),
            _ => BTreeSet::new(),
        };
        // backoffLimitPerIndex: indexes that failed for good.
        let per_index = match (indexed, spec.backoff_limit_per_index) {
            (true, Some(limit)) => Some(limit),
            _ => None,
        };
        let mut failed_indexes = match (per_index, completions) {
            (Some(_), Some(c)) => parse_intervals(old_status.failed_indexes.as_deref(), c),
            _ => BTreeSet::new(),
        };

        // Newly finished pods go into the uncounted lists.
        let mut to_strip: Vec<Arc<Pod>> = Vec::new();
        let mut new_failures = 0u32;
        let mut new_success = false;
        let valid_index = |pod: &Pod| match (indexed, completions) {
            (true, Some(c)) => completion_index(pod).filter(|ix| *ix < c),
            _ => None,
        };
        for pod in pods.iter().filter(|p| self.tracked(p)) {
            let uid = pod.metadata.uid.clone().unwrap_or_default();
            if uncounted_succeeded.contains(&uid) || uncounted_failed.contains(&uid) {
                to_strip.push(pod.clone());
                continue;
            }
            if uncounted_succeeded.len() >= MAX_UNCOUNTED || uncounted_failed.len() >= MAX_UNCOUNTED
            {
                break;
            }
            let deleting = pod.metadata.deletion_timestamp.is_some();
            match phase(pod) {
                "Succeeded" => {
                    if indexed {
                        if let Some(ix) = valid_index(pod) {
                            succeeded_indexes.insert(ix);
                        }
                    }
                    uncounted_succeeded.insert(uid);
                    new_success = true;
                    to_strip.push(pod.clone());
                }
                "Failed" => {
                    let action = policy_action(spec.pod_failure_policy.as_ref(), pod)
                        .map(|(action, _)| action);
                    let counts = action.as_deref() != Some("Ignore");
                    if counts && (!indexed || valid_index(pod).is_some()) {
                        uncounted_failed.insert(uid);
                        new_failures += 1;
                        if let (Some(limit), Some(ix)) = (per_index, valid_index(pod)) {
                            let exhausted = index_failure_count(pod) + 1 > limit
                                || action.as_deref() == Some("FailIndex");
                            if exhausted && !succeeded_indexes.contains(&ix) {
                                failed_indexes.insert(ix);
                            }
                        }
                    }
                    to_strip.push(pod.clone());
                }
                // Deleted before it finished: a failure, unless the Job's
                // suspension or success deleted it.
                _ if deleting && !only_failed => {
                    if !suspended && !succeeding && (!indexed || valid_index(pod).is_some()) {
                        uncounted_failed.insert(uid);
                        new_failures += 1;
                    }
                    to_strip.push(pod.clone());
                }
                _ => {}
            }
        }
        let backoff = self.update_backoff(&uid, new_success, new_failures);
        // Per index, the backoff runs from each index's own last failure.
        let backoff = if per_index.is_some() {
            Duration::ZERO
        } else {
            backoff
        };

        let mut active_pods: Vec<Arc<Pod>> =
            pods.iter().filter(|p| is_active(p)).cloned().collect();
        let succeeded_total = if indexed {
            succeeded_indexes.len() as i32
        } else {
            succeeded + uncounted_succeeded.len() as i32
        };
        let failed_total = failed + uncounted_failed.len() as i32;

        // The start of the Job, reset when it resumes.
        let conditions_before = old_status.conditions.clone().unwrap_or_default();
        let was_suspended = condition_true(&conditions_before, "Suspended");
        let mut start_time = old_status.start_time.clone();
        if !suspended && (start_time.is_none() || was_suspended) {
            start_time = Some(Time(now));
        }

        // Is the Job done, one way or the other?
        let mut finished = finished_target(&conditions_before);
        let mut requeue: Option<Duration> = None;
        let fail_job = spec.pod_failure_policy.as_ref().and_then(|policy| {
            pods.iter().filter(|p| phase(p) == "Failed").find_map(|p| {
                match policy_action(Some(policy), p) {
                    Some((action, message)) if action == "FailJob" => Some(message),
                    _ => None,
                }
            })
        });
        if finished.is_none() {
            if let Some(message) = fail_job {
                finished = Some(Finish::failure(POLICY_REASON, &message));
            } else if failed_total > backoff_limit || past_backoff_on_failure(&spec, &active_pods) {
                finished = Some(Finish::failure(BACKOFF_REASON, BACKOFF_MESSAGE));
            } else if per_index.is_some()
                && spec
                    .max_failed_indexes
                    .is_some_and(|max| failed_indexes.len() as i64 > i64::from(max))
            {
                finished = Some(Finish::failure(
                    MAX_FAILED_INDEXES_REASON,
                    MAX_FAILED_INDEXES_MESSAGE,
                ));
            } else if per_index.is_some()
                && !failed_indexes.is_empty()
                && (failed_indexes.len() + succeeded_indexes.len()) as i64
                    >= i64::from(completions.unwrap_or(0))
            {
                finished = Some(Finish::failure(
                    FAILED_INDEXES_REASON,
                    FAILED_INDEXES_MESSAGE,
                ));
            } else if let (Some(deadline), Some(start), false) =
                (spec.active_deadline_seconds, &start_time, suspended)
            {
                let left = deadline_left(start.0, deadline, now);
                if left.is_zero() {
                    finished = Some(Finish::failure(DEADLINE_REASON, DEADLINE_MESSAGE));
                } else {
                    requeue = Some(left);
                }
            }
        }
        if finished.is_none() && indexed {
            if let Some(message) = spec
                .success_policy
                .as_ref()
                .and_then(|p| success_policy_met(p, completions.unwrap_or(0), &succeeded_indexes))
            {
                finished = Some(Finish {
                    success: true,
                    reason: SUCCESS_POLICY_REASON.to_string(),
                    message,
                });
            }
        }
        if finished.is_none() {
            let complete = match completions {
                Some(c) => succeeded_total >= c,
                None => succeeded_total > 0 && active_pods.is_empty(),
            };
            if complete {
                finished = Some(Finish::success());
            }
        }
        // A failing Job counts every pod it still has as failed.
        if finished.as_ref().is_some_and(|f| !f.success) {
            for pod in pods.iter().filter(|p| self.tracked(p)) {
                let uid = pod.metadata.uid.clone().unwrap_or_default();
                if uncounted_succeeded.contains(&uid) || uncounted_failed.contains(&uid) {
                    continue;
                }
                if (!indexed || valid_index(pod).is_some())
                    && uncounted_failed.len() < MAX_UNCOUNTED
                {
                    uncounted_failed.insert(uid);
                }
                to_strip.push(pod.clone());
            }
        }

        // Act on the pods.
        let mut deleted = 0usize;
        let mut created = 0usize;
        if finished.is_some() || suspended {
            let victims = std::mem::take(&mut active_pods);
            deleted = self.delete_pods(&job, &victims, None).await;
        } else if self.expectations.satisfied(key) {
            let terminating_now = if only_failed {
                pods.iter()
                    .filter(|p| p.metadata.deletion_timestamp.is_some() && !is_terminal(p))
                    .count()
            } else {
                0
            };
            let index_state = Indexes {
                done: succeeded_indexes.union(&failed_indexes).copied().collect(),
                failures: if per_index.is_some() {
                    index_failures(&pods, spec.pod_failure_policy.as_ref())
                } else {
                    HashMap::new()
                },
                per_index: per_index.is_some(),
            };
            let (c, d, wait) = self
                .manage(
                    &job,
                    &active_pods,
                    terminating_now,
                    succeeded_total + failed_indexes.len() as i32,
                    &index_state,
                    backoff,
                )
                .await?;
            created = c;
            deleted = d;
            if let Some(wait) = wait {
                requeue = Some(requeue.map_or(wait, |r| r.min(wait)));
            }
        }

        // The status.
        let active = (active_pods.len() + created).saturating_sub(deleted) as i32;
        let active = if finished.is_some() || suspended {
            0
        } else {
            active
        };
        let ready = if finished.is_some() || suspended {
            0
        } else {
            active_pods.iter().filter(|p| is_ready(p)).count() as i32
        };
        let terminating = pods
            .iter()
            .filter(|p| p.metadata.deletion_timestamp.is_some() && !is_terminal(p))
            .count()
            + deleted;
        let mut conditions = conditions_before.clone();
        let mut events: Vec<(EventType, &str, String)> = Vec::new();
        if suspended && !was_suspended {
            set_condition(
                &mut conditions,
                "Suspended",
                "True",
                "JobSuspended",
                "Job suspended",
                now,
            );
            events.push((EventType::Normal, "Suspended", "Job suspended".into()));
        } else if !suspended && was_suspended {
            set_condition(
                &mut conditions,
                "Suspended",
                "False",
                "JobResumed",
                "Job resumed",
                now,
            );
            events.push((EventType::Normal, "Resumed", "Job resumed".into()));
        }
        let mut completion_time = old_status.completion_time.clone();
        if let Some(finish) = &finished {
            let target = if finish.success {
                "SuccessCriteriaMet"
            } else {
                "FailureTarget"
            };
            if !condition_true(&conditions, target) {
                set_condition(
                    &mut conditions,
                    target,
                    "True",
                    &finish.reason,
                    &finish.message,
                    now,
                );
            }
            let settled = terminating == 0
                && uncounted_succeeded.is_empty()
                && uncounted_failed.is_empty()
                && to_strip.is_empty();
            if settled {
                if finish.success {
                    set_condition(
                        &mut conditions,
                        "Complete",
                        "True",
                        &finish.reason,
                        &finish.message,
                        now,
                    );
                    completion_time = Some(Time(now));
                    events.push((EventType::Normal, "Completed", "Job completed".into()));
                } else {
                    set_condition(
                        &mut conditions,
                        "Failed",
                        "True",
                        &finish.reason,
                        &finish.message,
                        now,
                    );
                    events.push((
                        EventType::Warning,
                        finish.reason.as_str(),
                        finish.message.clone(),
                    ));
                }
            } else {
                // Look again once the pods are counted.
                requeue = Some(requeue.map_or(RETRY, |r| r.min(RETRY)));
            }
        }
        let completed_indexes = if indexed {
            Some(format_intervals(&succeeded_indexes))
        } else {
            old_status.completed_indexes.clone()
        };
        let status = JobStatus {
            active: Some(active).filter(|a| *a > 0),
            ready: Some(ready),
            terminating: Some(terminating as i32),
            succeeded: Some(if indexed {
                succeeded_indexes.len() as i32
            } else {
                succeeded
            })
            .filter(|s| *s > 0),
            failed: Some(failed).filter(|f| *f > 0),
            start_time,
            completion_time,
            completed_indexes: completed_indexes.filter(|c| !c.is_empty()),
            failed_indexes: if per_index.is_some() {
                Some(format_intervals(&failed_indexes))
            } else {
                old_status.failed_indexes.clone()
            },
            conditions: (!conditions.is_empty()).then_some(conditions),
            uncounted_terminated_pods: Some(UncountedTerminatedPods {
                succeeded: (!uncounted_succeeded.is_empty())
                    .then(|| uncounted_succeeded.iter().cloned().collect()),
                failed: (!uncounted_failed.is_empty())
                    .then(|| uncounted_failed.iter().cloned().collect()),
            }),
        };
        if job.status.as_ref() != Some(&status) {
            let api: Api<Job> = Api::namespaced(self.client.clone(), &key.0);
            let mut updated = (*job).clone();
            updated.status = Some(status);
            let stale = updated
                .metadata
                .resource_version
                .clone()
                .unwrap_or_default();
            let written = api
                .replace_status(&key.1, &PostParams::default(), &updated)
                .await?;
            self.written.wrote(key, stale, written);
        }
        for (type_, reason, note) in events {
            self.record(&job, type_, reason, "Sync", note).await;
        }
        // Only now that the status holds them may the pods go.
        for pod in &to_strip {
            self.strip_finalizer(pod).await?;
        }
        if !to_strip.is_empty() {
            requeue = Some(Duration::ZERO);
        }
        Ok(requeue)
    }

    /// The remaining backoff after this sync's new successes and failures.
    fn update_backoff(&self, uid: &str, success: bool, failures: u32) -> Duration {
        let Ok(mut records) = self.backoff.lock() else {
            return Duration::ZERO;
        };
        if success {
            records.remove(uid);
        }
        if failures > 0 {
            let record = records.entry(uid.to_string()).or_insert(BackoffRecord {
                failures: 0,
                last_failure: Instant::now(),
            });
            record.failures += failures;
            record.last_failure = Instant::now();
        }
        records.get(uid).map_or(Duration::ZERO, |r| {
            backoff_remaining(r.failures, r.last_failure.elapsed())
        })
    }

    /// Creates or deletes pods toward the wanted number of active pods;
    /// returns how many were created and deleted and when to look again.
    async fn manage(
        &self,
        job: &Job,
        active: &[Arc<Pod>],
        terminating: usize,
        succeeded: i32,
        index_state: &Indexes,
        backoff: Duration,
    ) -> Result<(usize, usize, Option<Duration>), Error> {
        let succeeded_indexes = &index_state.done;
        let key = &key_of(&job.metadata);
        let spec = job.spec.clone().unwrap_or_default();
        let parallelism = spec.parallelism.unwrap_or(1).max(0);
        let want = match spec.completions {
            Some(c) => parallelism.min((c - succeeded).max(0)),
            None if succeeded > 0 => active.len() as i32,
            None => parallelism,
        } as usize;
        let now = Timestamp::now();
        let indexed = spec.completion_mode.as_deref() == Some("Indexed");
        // Indexed: pods of an index out of range or already done, and
        // duplicates of an index, go first.
        let mut keep: Vec<Arc<Pod>> = Vec::new();
        let mut surplus: Vec<Arc<Pod>> = Vec::new();
        if indexed {
            let completions = spec.completions.unwrap_or(0);
            let mut by_index: BTreeMap<i32, Vec<Arc<Pod>>> = BTreeMap::new();
            for pod in active {
                match completion_index(pod) {
                    Some(ix) if ix < completions && !succeeded_indexes.contains(&ix) => {
                        by_index.entry(ix).or_default().push(pod.clone())
                    }
                    _ => surplus.push(pod.clone()),
                }
            }
            for (_, mut group) in by_index {
                group.sort_by(|a, b| deletion_order((0, b), (0, a), now));
                keep.push(group.remove(0));
                surplus.extend(group);
            }
        } else {
            keep = active.to_vec();
        }
        if keep.len() > want {
            let mut ranked = keep.clone();
            ranked.sort_by(|a, b| deletion_order((0, a), (0, b), now));
            surplus.extend(ranked.into_iter().take(keep.len() - want));
        }
        if !surplus.is_empty() {
            surplus.truncate(MAX_CREATE_DELETE);
            let deleted = self.delete_pods(job, &surplus, Some(key)).await;
            return Ok((0, deleted, None));
        }
        // Pods still terminating hold their place until they failed.
        if keep.len() + terminating >= want {
            return Ok((0, 0, None));
        }
        if !backoff.is_zero() {
            return Ok((0, 0, Some(backoff)));
        }
        let count = (want - keep.len() - terminating).min(MAX_CREATE_DELETE);
        let mut held: Option<Duration> = None;
        let indexes: Vec<Option<i32>> = if indexed {
            let taken: HashSet<i32> = keep.iter().filter_map(|p| completion_index(p)).collect();
            let since_now = |at: Timestamp| {
                Duration::from_millis((now.as_millisecond() - at.as_millisecond()).max(0) as u64)
            };
            (0..spec.completions.unwrap_or(0))
                .filter(|ix| !taken.contains(ix) && !succeeded_indexes.contains(ix))
                .filter(|ix| match index_state.failures.get(ix) {
                    Some((count, at)) => {
                        let left = backoff_remaining(*count as u32, since_now(*at));
                        if !left.is_zero() {
                            held = Some(held.map_or(left, |h| h.min(left)));
                        }
                        left.is_zero()
                    }
                    None => true,
                })
                .take(count)
                .map(Some)
                .collect()
        } else {
            vec![None; count]
        };
        self.expectations.expect_creations(key, indexes.len());
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &key.0);
        let params = PostParams::default();
        let mut created = 0;
        let mut sent = 0;
        let mut failed = false;
        let mut batch = 1usize;
        while sent < indexes.len() && !failed {
            let chunk = &indexes[sent..(sent + batch).min(indexes.len())];
            let results = futures::future::join_all(chunk.iter().map(|ix| {
                let mut pod = pod_for(job, *ix);
                if let (true, Some(ix)) = (index_state.per_index, ix) {
                    let count = index_state.failures.get(ix).map_or(0, |f| f.0);
                    pod.metadata
                        .annotations
                        .get_or_insert_with(BTreeMap::new)
                        .insert(INDEX_FAILURE_COUNT.to_string(), count.to_string());
                }
                let api = api.clone();
                let params = params.clone();
                async move { api.create(&params, &pod).await }
            }))
            .await;
            sent += chunk.len();
            for result in results {
                match result {
                    Ok(pod) => {
                        created += 1;
                        let name = pod.metadata.name.unwrap_or_default();
                        self.record(
                            job,
                            EventType::Normal,
                            "SuccessfulCreate",
                            "Create",
                            format!("Created pod: {name}"),
                        )
                        .await;
                    }
                    Err(error) => {
                        failed = true;
                        self.expectations.creation_observed(key);
                        let message = match &error {
                            kube::Error::Api(status) => status.message.clone(),
                            other => other.to_string(),
                        };
                        self.record(
                            job,
                            EventType::Warning,
                            "FailedCreate",
                            "Create",
                            format!("Error creating: {message}"),
                        )
                        .await;
                    }
                }
            }
            batch *= 2;
        }
        for _ in sent..indexes.len() {
            self.expectations.creation_observed(key);
        }
        let wait = if failed { Some(RETRY) } else { held };
        Ok((created, 0, wait))
    }

    /// Deletes pods (expecting the deletions when `key` is given); returns
    /// how many were deleted.
    async fn delete_pods(&self, job: &Job, victims: &[Arc<Pod>], key: Option<&Key>) -> usize {
        if victims.is_empty() {
            return 0;
        }
        let namespace = job.metadata.namespace.clone().unwrap_or_default();
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &namespace);
        if let Some(key) = key {
            let uids: Vec<String> = victims
                .iter()
                .map(|p| p.metadata.uid.clone().unwrap_or_default())
                .collect();
            self.expectations.expect_deletions(key, &uids);
        }
        let params = DeleteParams::background();
        let results = futures::future::join_all(
            victims
                .iter()
                .map(|pod| api.delete(pod.metadata.name.as_deref().unwrap_or_default(), &params)),
        )
        .await;
        let mut deleted = 0;
        for (pod, result) in victims.iter().zip(results) {
            let name = pod.metadata.name.clone().unwrap_or_default();
            match result {
                Ok(_) => {
                    deleted += 1;
                    self.record(
                        job,
                        EventType::Normal,
                        "SuccessfulDelete",
                        "Delete",
                        format!("Deleted pod: {name}"),
                    )
                    .await;
                }
                Err(error) => {
                    if let Some(key) = key {
                        self.expectations.deletion_observed(
                            key,
                            pod.metadata.uid.as_deref().unwrap_or_default(),
                        );
                    }
                    if let kube::Error::Api(status) = &error {
                        if status.code == 404 {
                            continue;
                        }
                    }
                    let message = match &error {
                        kube::Error::Api(status) => status.message.clone(),
                        other => other.to_string(),
                    };
                    self.record(
                        job,
                        EventType::Warning,
                        "FailedDelete",
                        "Delete",
                        format!("Error deleting: {message}"),
                    )
                    .await;
                }
            }
        }
        deleted
    }
}

/// How a Job is about to end.
#[derive(Clone, Debug, PartialEq)]
struct Finish {
    success: bool,
    reason: String,
    message: String,
}

impl Finish {
    fn failure(reason: &str, message: &str) -> Finish {
        Finish {
            success: false,
            reason: reason.to_string(),
            message: message.to_string(),
        }
    }

    fn success() -> Finish {
        Finish {
            success: true,
            reason: COMPLETIONS_REASON.to_string(),
            message: COMPLETIONS_MESSAGE.to_string(),
        }
    }
}

/// The `FailureTarget` or `SuccessCriteriaMet` condition the Job already has.
fn finished_target(conditions: &[JobCondition]) -> Option<Finish> {
    conditions
        .iter()
        .find(|c| {
            c.status == "True" && (c.type_ == "FailureTarget" || c.type_ == "SuccessCriteriaMet")
        })
        .map(|c| Finish {
            success: c.type_ == "SuccessCriteriaMet",
            reason: c.reason.clone().unwrap_or_default(),
            message: c.message.clone().unwrap_or_default(),
        })
}

fn condition_true(conditions: &[JobCondition], type_: &str) -> bool {
    conditions
        .iter()
        .any(|c| c.type_ == type_ && c.status == "True")
}

/// Whether the Job has its final `Complete` or `Failed` condition.
pub(crate) fn is_finished(job: &Job) -> bool {
    finish_time(job).is_some()
}

/// When the Job got its `Complete` or `Failed` condition, if it has one.
pub(crate) fn finish_time(job: &Job) -> Option<Timestamp> {
    job.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
        .map(|c| {
            c.last_transition_time
                .as_ref()
                .map_or_else(Timestamp::now, |t| t.0)
        })
}

/// Whether the Job finished successfully.
pub(crate) fn is_succeeded(job: &Job) -> bool {
    job.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| condition_true(c, "Complete"))
}

/// Sets a condition, keeping its transition time if its status is unchanged.
fn set_condition(
    conditions: &mut Vec<JobCondition>,
    type_: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: Timestamp,
) {
    let condition = JobCondition {
        type_: type_.to_string(),
        status: status.to_string(),
        reason: Some(reason.to_string()),
        message: Some(message.to_string()),
        last_probe_time: Some(Time(now)),
        last_transition_time: Some(Time(now)),
    };
    match conditions.iter_mut().find(|c| c.type_ == type_) {
        Some(existing) if existing.status == status => {
            existing.reason = condition.reason;
            existing.message = condition.message;
            existing.last_probe_time = condition.last_probe_time;
        }
        Some(existing) => *existing = condition,
        None => conditions.push(condition),
    }
}

fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Pending")
}

fn is_terminal(pod: &Pod) -> bool {
    matches!(phase(pod), "Succeeded" | "Failed")
}

/// Neither finished nor being deleted.
fn is_active(pod: &Pod) -> bool {
    !is_terminal(pod) && pod.metadata.deletion_timestamp.is_none()
}

fn has_finalizer(pod: &Pod) -> bool {
    pod.metadata
        .finalizers
        .iter()
        .flatten()
        .any(|f| f == TRACKING_FINALIZER)
}

/// The completion index a pod's annotation (or label) gives it.
fn completion_index(pod: &Pod) -> Option<i32> {
    let from = |map: &Option<BTreeMap<String, String>>| {
        map.as_ref()
            .and_then(|m| m.get(COMPLETION_INDEX))
            .and_then(|v| v.parse::<i32>().ok())
            .filter(|ix| *ix >= 0)
    };
    from(&pod.metadata.annotations).or_else(|| from(&pod.metadata.labels))
}

/// With `restartPolicy: OnFailure` failures are container restarts: the Job
/// fails once its active pods restarted `backoffLimit` times (upstream's
/// `pastBackoffLimitOnFailure`).
fn past_backoff_on_failure(
    spec: &k8s_openapi::api::batch::v1::JobSpec,
    active: &[Arc<Pod>],
) -> bool {
    let policy = spec
        .template
        .spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref());
    if policy != Some("OnFailure") {
        return false;
    }
    let restarts: i32 = active
        .iter()
        .filter_map(|p| p.status.as_ref())
        .flat_map(|s| {
            s.init_container_statuses
                .iter()
                .flatten()
                .chain(s.container_statuses.iter().flatten())
        })
        .map(|c| c.restart_count)
        .sum();
    let limit = spec.backoff_limit.unwrap_or(6);
    if limit == 0 {
        restarts > 0
    } else {
        restarts >= limit
    }
}

/// The action of the first rule of the pod failure policy that a failed pod
/// matches, with upstream's message about the match.
fn policy_action(policy: Option<&PodFailurePolicy>, pod: &Pod) -> Option<(String, String)> {
    let policy = policy?;
    let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
    let name = pod.metadata.name.as_deref().unwrap_or_default();
    let status = pod.status.as_ref();
    let containers: Vec<_> = status
        .map(|s| {
            s.init_container_statuses
                .iter()
                .flatten()
                .chain(s.container_statuses.iter().flatten())
                .collect()
        })
        .unwrap_or_default();
    for (index, rule) in policy.rules.iter().enumerate() {
        if let Some(codes) = &rule.on_exit_codes {
            let matched = containers.iter().find_map(|c| {
                let code = c.state.as_ref()?.terminated.as_ref()?.exit_code;
                let named = codes.container_name.as_ref().is_none_or(|n| *n == c.name);
                let listed = codes.values.contains(&code);
                let hit = match codes.operator.as_str() {
                    "In" => listed,
                    "NotIn" => !listed,
                    _ => false,
                };
                (named && code != 0 && hit).then_some((c.name.clone(), code))
            });
            if let Some((container, code)) = matched {
                let message = format!(
                    "Container {container} for pod {namespace}/{name} failed with exit code {code} matching {} rule at index {index}",
                    rule.action
                );
                return Some((rule.action.clone(), message));
            }
        }
        for pattern in rule.on_pod_conditions.iter().flatten() {
            let present = status
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|conditions| {
                    conditions
                        .iter()
                        .any(|c| c.type_ == pattern.type_ && c.status == pattern.status)
                });
            if present {
                let message = format!(
                    "Pod {namespace}/{name} has condition {} matching {} rule at index {index}",
                    pattern.type_, rule.action
                );
                return Some((rule.action.clone(), message));
            }
        }
    }
    None
}

/// The message of the first success policy rule the succeeded indexes meet
/// (upstream's `matchSuccessPolicy`).
fn success_policy_met(
    policy: &SuccessPolicy,
    completions: i32,
    succeeded: &BTreeSet<i32>,
) -> Option<String> {
    if succeeded.is_empty() {
        return None;
    }
    for (index, rule) in policy.rules.iter().enumerate() {
        let met = match (&rule.succeeded_indexes, rule.succeeded_count) {
            (Some(indexes), count) => {
                let required = parse_intervals(Some(indexes), completions);
                if required.is_empty() {
                    continue;
                }
                let done = required.intersection(succeeded).count();
                match count {
                    Some(count) => done >= count.max(0) as usize,
                    None => done == required.len(),
                }
            }
            (None, Some(count)) => succeeded.len() >= count.max(0) as usize,
            (None, None) => false,
        };
        if met {
            return Some(format!("Matched rules at index {index}"));
        }
    }
    None
}

/// What creating pods of an Indexed Job needs to know.
#[derive(Default)]
struct Indexes {
    /// Indexes succeeded or failed for good: no more pods.
    done: BTreeSet<i32>,
    /// backoffLimitPerIndex: each index's failures and when the last was.
    failures: HashMap<i32, (i32, Timestamp)>,
    per_index: bool,
}

/// The failures a pod's index had before it (its annotation).
fn index_failure_count(pod: &Pod) -> i32 {
    pod.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(INDEX_FAILURE_COUNT))
        .and_then(|v| v.parse::<i32>().ok())
        .unwrap_or(0)
        .max(0)
}

/// When a failed pod finished: its containers' latest finish, else now.
fn finished_at(pod: &Pod) -> Timestamp {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|c| c.state.as_ref()?.terminated.as_ref()?.finished_at.as_ref())
        .map(|t| t.0)
        .max()
        .unwrap_or_else(Timestamp::now)
}

/// Per index, the failures so far (the highest count among its failed pods)
/// and when the last of them failed; failures a pod failure policy ignores
/// do not count.
fn index_failures(
    pods: &[Arc<Pod>],
    policy: Option<&PodFailurePolicy>,
) -> HashMap<i32, (i32, Timestamp)> {
    let mut failures: HashMap<i32, (i32, Timestamp)> = HashMap::new();
    for pod in pods.iter().filter(|p| phase(p) == "Failed") {
        let Some(ix) = completion_index(pod) else {
            continue;
        };
        if policy_action(policy, pod).is_some_and(|(action, _)| action == "Ignore") {
            continue;
        }
        let entry = (index_failure_count(pod) + 1, finished_at(pod));
        failures
            .entry(ix)
            .and_modify(|known| {
                if entry > *known {
                    *known = entry;
                }
            })
            .or_insert(entry);
    }
    failures
}

/// What is left of `activeDeadlineSeconds` counted from `start`.
fn deadline_left(start: Timestamp, deadline_seconds: i64, now: Timestamp) -> Duration {
    let end = start
        .as_millisecond()
        .saturating_add(deadline_seconds.saturating_mul(1000));
    let left = end.saturating_sub(now.as_millisecond());
    Duration::from_millis(left.max(0) as u64)
}

/// The delay after `failures` pod failures since the last success: 10 s,
/// doubling, at most 10 min; none without failures.
fn backoff_delay(failures: u32) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    let exponent = (failures - 1).min(16);
    POD_FAILURE_BACKOFF
        .saturating_mul(1 << exponent)
        .min(MAX_POD_FAILURE_BACKOFF)
}

/// What is left of the backoff delay `elapsed` after the last failure.
fn backoff_remaining(failures: u32, elapsed: Duration) -> Duration {
    backoff_delay(failures).saturating_sub(elapsed)
}

/// Indexes as upstream writes `completedIndexes`: ordered intervals, `0-2,4`.
pub fn format_intervals(indexes: &BTreeSet<i32>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut run: Option<(i32, i32)> = None;
    for &ix in indexes {
        run = match run {
            Some((first, last)) if ix == last + 1 => Some((first, ix)),
            Some((first, last)) => {
                parts.push(interval(first, last));
                Some((ix, ix))
            }
            None => Some((ix, ix)),
        };
    }
    if let Some((first, last)) = run {
        parts.push(interval(first, last));
    }
    parts.join(",")
}

fn interval(first: i32, last: i32) -> String {
    if first == last {
        first.to_string()
    } else {
        format!("{first}-{last}")
    }
}

/// The indexes below `completions` in an interval string; malformed parts
/// are skipped, as upstream's `parseIndexesFromString`.
pub fn parse_intervals(text: Option<&str>, completions: i32) -> BTreeSet<i32> {
    let mut indexes = BTreeSet::new();
    for part in text.unwrap_or_default().split(',').map(str::trim) {
        let (first, last) = match part.split_once('-') {
            Some((a, b)) => (a.parse::<i32>(), b.parse::<i32>()),
            None => (part.parse::<i32>(), part.parse::<i32>()),
        };
        let (Ok(first), Ok(last)) = (first, last) else {
            continue;
        };
        for ix in first.max(0)..=last.min(completions - 1) {
            indexes.insert(ix);
        }
    }
    indexes
}

fn reference(job: &Job) -> ObjectReference {
    object_reference_of("Job", "batch/v1", &job.metadata)
}

/// The controller reference a Job puts on its pods.
fn owner_reference(job: &Job) -> OwnerReference {
    OwnerReference {
        api_version: "batch/v1".to_string(),
        kind: "Job".to_string(),
        name: job.metadata.name.clone().unwrap_or_default(),
        uid: job.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// A new pod for the Job, of completion index `index` for Indexed Jobs.
fn pod_for(job: &Job, index: Option<i32>) -> Pod {
    let template = job
        .spec
        .as_ref()
        .map(|s| s.template.clone())
        .unwrap_or_default();
    let meta = template.metadata.unwrap_or_default();
    let name = job.metadata.name.clone().unwrap_or_default();
    let mut labels = meta.labels.unwrap_or_default();
    let mut annotations = meta.annotations.unwrap_or_default();
    let mut finalizers = meta.finalizers.unwrap_or_default();
    if !finalizers.iter().any(|f| f == TRACKING_FINALIZER) {
        finalizers.push(TRACKING_FINALIZER.to_string());
    }
    let mut spec = template.spec.unwrap_or_default();
    let generate_name = match index {
        Some(ix) => {
            annotations.insert(COMPLETION_INDEX.to_string(), ix.to_string());
            labels.insert(COMPLETION_INDEX.to_string(), ix.to_string());
            if spec.hostname.is_none() {
                spec.hostname = Some(format!("{name}-{ix}"));
            }
            let env = EnvVar {
                name: "JOB_COMPLETION_INDEX".to_string(),
                value: None,
                value_from: Some(EnvVarSource {
                    field_ref: Some(ObjectFieldSelector {
                        api_version: None,
                        field_path: format!("metadata.annotations['{COMPLETION_INDEX}']"),
                    }),
                    ..EnvVarSource::default()
                }),
            };
            for container in spec
                .init_containers
                .iter_mut()
                .flatten()
                .chain(spec.containers.iter_mut())
            {
                let vars = container.env.get_or_insert_with(Vec::new);
                if !vars.iter().any(|v| v.name == env.name) {
                    vars.push(env.clone());
                }
            }
            format!("{name}-{ix}-")
        }
        None => format!("{name}-"),
    };
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(generate_name),
            namespace: job.metadata.namespace.clone(),
            labels: (!labels.is_empty()).then_some(labels),
            annotations: (!annotations.is_empty()).then_some(annotations),
            finalizers: Some(finalizers),
            owner_references: Some(vec![owner_reference(job)]),
            ..ObjectMeta::default()
        },
        spec: Some(spec),
        status: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(values: &[i32]) -> BTreeSet<i32> {
        values.iter().copied().collect()
    }

    #[test]
    fn intervals_are_written_as_upstream() {
        assert_eq!(format_intervals(&set(&[])), "");
        assert_eq!(format_intervals(&set(&[0, 1, 2, 4])), "0-2,4");
        assert_eq!(format_intervals(&set(&[3])), "3");
        assert_eq!(format_intervals(&set(&[1, 3, 4, 5, 7, 8])), "1,3-5,7-8");
    }

    #[test]
    fn intervals_are_read_back_within_completions() {
        assert_eq!(parse_intervals(Some("0-2,4"), 10), set(&[0, 1, 2, 4]));
        assert_eq!(parse_intervals(Some("0-2,4,9"), 5), set(&[0, 1, 2, 4]));
        assert_eq!(parse_intervals(Some("x,1,2-y"), 5), set(&[1]));
        assert_eq!(parse_intervals(None, 5), set(&[]));
        let round = set(&[0, 2, 3, 4, 8]);
        assert_eq!(parse_intervals(Some(&format_intervals(&round)), 9), round);
    }

    #[test]
    fn backoff_doubles_from_ten_seconds_up_to_ten_minutes() {
        assert_eq!(backoff_delay(0), Duration::ZERO);
        assert_eq!(backoff_delay(1), Duration::from_secs(10));
        assert_eq!(backoff_delay(2), Duration::from_secs(20));
        assert_eq!(backoff_delay(4), Duration::from_secs(80));
        assert_eq!(backoff_delay(7), Duration::from_secs(600));
        assert_eq!(backoff_delay(1000), Duration::from_secs(600));
        assert_eq!(
            backoff_remaining(2, Duration::from_secs(5)),
            Duration::from_secs(15)
        );
        assert_eq!(
            backoff_remaining(1, Duration::from_secs(11)),
            Duration::ZERO
        );
    }

    #[test]
    fn deadline_counts_from_the_start() {
        let start = Timestamp::from_second(1_000).unwrap();
        let now = Timestamp::from_second(1_004).unwrap();
        assert_eq!(deadline_left(start, 10, now), Duration::from_secs(6));
        assert_eq!(deadline_left(start, 4, now), Duration::ZERO);
        assert_eq!(deadline_left(start, 1, now), Duration::ZERO);
    }

    #[test]
    fn indexed_pods_carry_their_index() {
        let job: Job = serde_json::from_value(json!({
            "metadata": {"name": "pi", "namespace": "ns", "uid": "u1"},
            "spec": {"completionMode": "Indexed", "completions": 3, "template": {
                "metadata": {"labels": {"batch.kubernetes.io/job-name": "pi"}},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "i"}]}
            }}
        }))
        .unwrap();
        let pod = pod_for(&job, Some(2));
        assert_eq!(pod.metadata.generate_name.as_deref(), Some("pi-2-"));
        assert_eq!(completion_index(&pod), Some(2));
        let labels = pod.metadata.labels.clone().unwrap_or_default();
        assert_eq!(labels.get(COMPLETION_INDEX).map(String::as_str), Some("2"));
        let spec = pod.spec.clone().unwrap_or_default();
        assert_eq!(spec.hostname.as_deref(), Some("pi-2"));
        assert!(has_finalizer(&pod));
        let owner = &pod.metadata.owner_references.unwrap()[0];
        assert_eq!(
            (owner.controller, owner.block_owner_deletion),
            (Some(true), Some(true))
        );
        let plain = pod_for(&job, None);
        assert_eq!(plain.metadata.generate_name.as_deref(), Some("pi-"));
        assert_eq!(completion_index(&plain), None);
    }

    #[test]
    fn on_failure_restarts_count_against_the_backoff_limit() {
        let spec: k8s_openapi::api::batch::v1::JobSpec = serde_json::from_value(json!({
            "backoffLimit": 2,
            "template": {"spec": {"restartPolicy": "OnFailure", "containers": [{"name": "c"}]}}
        }))
        .unwrap();
        let pod = |restarts: i32| -> Arc<Pod> {
            Arc::new(
                serde_json::from_value(json!({"status": {"phase": "Running", "containerStatuses": [
                    {"name": "c", "image": "i", "imageID": "", "ready": true, "restartCount": restarts}
                ]}}))
                .unwrap(),
            )
        };
        assert!(!past_backoff_on_failure(&spec, &[pod(1)]));
        assert!(past_backoff_on_failure(&spec, &[pod(1), pod(1)]));
        let mut never = spec.clone();
        if let Some(s) = never.template.spec.as_mut() {
            s.restart_policy = Some("Never".into());
        }
        assert!(!past_backoff_on_failure(&never, &[pod(5)]));
    }

    #[test]
    fn pod_failure_policy_rules_match_in_order() {
        let policy: PodFailurePolicy = serde_json::from_value(json!({"rules": [
            {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
            {"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}},
            {"action": "Count", "onExitCodes": {"operator": "NotIn", "values": [1, 2]}}
        ]}))
        .unwrap();
        let failed = |code: i32, disrupted: bool| -> Pod {
            let conditions = if disrupted {
                json!([{"type": "DisruptionTarget", "status": "True"}])
            } else {
                json!([])
            };
            serde_json::from_value(json!({
                "metadata": {"name": "p", "namespace": "ns"},
                "status": {"phase": "Failed", "conditions": conditions, "containerStatuses": [{
                    "name": "main", "image": "i", "imageID": "", "ready": false, "restartCount": 0,
                    "state": {"terminated": {"exitCode": code}}
                }]}
            }))
            .unwrap()
        };
        let action = |pod: &Pod| policy_action(Some(&policy), pod).map(|(a, _)| a);
        assert_eq!(action(&failed(42, true)).as_deref(), Some("Ignore"));
        let (fail, message) = policy_action(Some(&policy), &failed(42, false)).unwrap();
        assert_eq!(fail, "FailJob");
        assert_eq!(
            message,
            "Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 1"
        );
        assert_eq!(action(&failed(7, false)).as_deref(), Some("Count"));
        assert_eq!(action(&failed(1, false)), None);
        assert_eq!(policy_action(None, &failed(42, false)), None);
    }

    #[test]
    fn success_policy_rules() {
        let policy: SuccessPolicy = serde_json::from_value(json!({"rules": [
            {"succeededIndexes": "0-2,7", "succeededCount": 2},
            {"succeededIndexes": "4-5"},
            {"succeededCount": 5}
        ]}))
        .unwrap();
        let met = |done: &[i32]| success_policy_met(&policy, 10, &set(done));
        assert_eq!(met(&[]), None);
        assert_eq!(met(&[0, 3]), None);
        assert_eq!(met(&[0, 7]).as_deref(), Some("Matched rules at index 0"));
        assert_eq!(met(&[4]), None);
        assert_eq!(met(&[4, 5]).as_deref(), Some("Matched rules at index 1"));
        assert_eq!(
            met(&[3, 4, 6, 8, 9]).as_deref(),
            Some("Matched rules at index 2")
        );
    }

    #[test]
    fn index_failures_take_the_latest_count() {
        let failed = |ix: i32, count: Option<i32>, at: &str| -> Arc<Pod> {
            let mut annotations = json!({COMPLETION_INDEX: ix.to_string()});
            if let Some(count) = count {
                annotations[INDEX_FAILURE_COUNT] = json!(count.to_string());
            }
            Arc::new(
                serde_json::from_value(json!({
                    "metadata": {"annotations": annotations},
                    "status": {"phase": "Failed", "containerStatuses": [{
                        "name": "c", "image": "i", "imageID": "", "ready": false, "restartCount": 0,
                        "state": {"terminated": {"exitCode": 1, "finishedAt": at}}
                    }]}
                }))
                .unwrap(),
            )
        };
        let pods = vec![
            failed(0, None, "2026-01-01T10:00:00Z"),
            failed(0, Some(1), "2026-01-01T10:00:30Z"),
            failed(2, Some(0), "2026-01-01T10:00:10Z"),
        ];
        let failures = index_failures(&pods, None);
        let at = |t: &str| t.parse::<Timestamp>().unwrap();
        assert_eq!(failures[&0], (2, at("2026-01-01T10:00:30Z")));
        assert_eq!(failures[&2], (1, at("2026-01-01T10:00:10Z")));
        assert!(!failures.contains_key(&1));
    }

    #[test]
    fn conditions_keep_their_transition_time() {
        let t1 = Timestamp::from_second(100).unwrap();
        let t2 = Timestamp::from_second(200).unwrap();
        let mut conditions = Vec::new();
        set_condition(
            &mut conditions,
            "Suspended",
            "True",
            "JobSuspended",
            "Job suspended",
            t1,
        );
        set_condition(
            &mut conditions,
            "Suspended",
            "True",
            "JobSuspended",
            "Job suspended",
            t2,
        );
        assert_eq!(conditions[0].last_transition_time, Some(Time(t1)));
        set_condition(
            &mut conditions,
            "Suspended",
            "False",
            "JobResumed",
            "Job resumed",
            t2,
        );
        assert_eq!(conditions.len(), 1);
        assert_eq!(conditions[0].last_transition_time, Some(Time(t2)));
        assert!(finished_target(&conditions).is_none());
        set_condition(
            &mut conditions,
            "FailureTarget",
            "True",
            BACKOFF_REASON,
            BACKOFF_MESSAGE,
            t2,
        );
        assert_eq!(
            finished_target(&conditions),
            Some(Finish::failure(BACKOFF_REASON, BACKOFF_MESSAGE))
        );
    }
}
