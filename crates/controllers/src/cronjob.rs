//! The CronJob controller: creates a Job at every scheduled time, as
//! upstream's `pkg/controller/cronjob` (the v2 controller).
//!
//! Each sync of a CronJob reconciles `status.active` with the Jobs it owns
//! (finished ones leave it, with `SawCompletedJob`; vanished ones with
//! `MissingJob`), finds the most recent unmet start time of its schedule in
//! its time zone, honours `startingDeadlineSeconds`, suspension and the
//! concurrency policy, creates the Job `<cronjob>-<minutes since epoch>`,
//! deletes finished Jobs beyond the history limits, and comes back just
//! after the next start time.

mod schedule;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, CronJobStatus, Job};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{OwnerReference, Time};
use k8s_openapi::jiff::tz::TimeZone;
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, ObjectMeta, PostParams};
use kube::Api;

use crate::events::{EventType, Occurrence, Recorder};
use crate::informer::{Informer, Informers, Notice, Written};
use crate::job::{is_finished, is_succeeded};
use crate::queue::WorkQueue;
use crate::replicaset::{controller_of, key_of, object_reference_of, Key};
use crate::{Client, Error};

pub use schedule::{load_zone, most_recent, next_wait, parse, rfc3339_in, Missed, Schedule};

/// The annotation with a Job's scheduled time (RFC 3339, in the CronJob's zone).
pub const SCHEDULED_TIMESTAMP: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";
/// How soon a failed sync is retried.
const RETRY: Duration = Duration::from_secs(1);

struct Controller {
    client: Client,
    cronjobs: Informer<CronJob>,
    /// The CronJobs as this controller last wrote them, by key, with the
    /// resourceVersion they replaced: until the cache moves past that
    /// version, the written object is the current one.
    written: Written<CronJob>,
    jobs: Informer<Job>,
    queue: WorkQueue<Key>,
    events: Recorder,
}

/// Runs the controller until the process ends.
pub async fn run(client: Client, informers: Informers) -> Result<(), Error> {
    let _ = informers;
    let cronjobs: Informer<CronJob> = Informer::new();
    let jobs: Informer<Job> = Informer::new();
    let controller = Arc::new(Controller {
        events: Recorder::new(client.clone(), "cronjob-controller"),
        client: client.clone(),
        cronjobs: cronjobs.clone(),
        written: Written::default(),
        jobs: jobs.clone(),
        queue: WorkQueue::new(),
    });
    let mut cronjob_notices = cronjobs.subscribe();
    let mut job_notices = jobs.subscribe();
    let watches = futures::future::join(
        cronjobs.clone().run(Api::all(client.clone())),
        jobs.clone().run(Api::all(client)),
    );
    let worker = controller.clone().work();
    let dispatch = async {
        loop {
            tokio::select! {
                Some(notice) = cronjob_notices.recv() => {
                    if let Notice::Applied { new, .. } = notice {
                        controller.queue.add(key_of(&new.metadata));
                    }
                }
                Some(notice) = job_notices.recv() => {
                    let job = match &notice {
                        Notice::Applied { new, .. } => new,
                        Notice::Deleted(job) => job,
                    };
                    if let Some(owner) = controller_of(&job.metadata, "CronJob") {
                        let namespace = job.metadata.namespace.clone().unwrap_or_default();
                        controller.queue.add((namespace, owner.name.clone()));
                    }
                }
                else => break,
            }
        }
    };
    tokio::select! {
        _ = watches => Ok(()),
        () = worker => Ok(()),
        () = dispatch => Ok(()),
    }
}

impl Controller {
    async fn work(self: Arc<Self>) {
        self.cronjobs.wait_synced().await;
        self.jobs.wait_synced().await;
        loop {
            let key = self.queue.next().await;
            match self.sync(&key).await {
                Ok(Some(after)) => self.queue.add_after(key, after),
                Ok(None) => {}
                Err(error) => {
                    tracing::debug!(namespace = %key.0, name = %key.1, %error, "cronjob controller: retrying");
                    self.queue.add_after(key, RETRY);
                }
            }
        }
    }

    /// The cached CronJob, or the one this controller wrote if the cache has
    /// not caught up with it yet.
    fn current(&self, key: &Key, cached: Arc<CronJob>) -> Arc<CronJob> {
        self.written.current(key, cached)
    }

    async fn record(
        &self,
        cronjob: &CronJob,
        type_: EventType,
        reason: &str,
        action: &str,
        note: String,
    ) {
        let reference = object_reference_of("CronJob", "batch/v1", &cronjob.metadata);
        let occurrence = Occurrence {
            type_,
            reason,
            action,
            note,
        };
        if let Err(error) = self.events.record(&reference, occurrence).await {
            tracing::debug!(%error, "cronjob controller: recording an event failed");
        }
    }

    async fn sync(&self, key: &Key) -> Result<Option<Duration>, Error> {
        let Some(cached) = self.cronjobs.get(&key.0, &key.1) else {
            self.written.forget(key);
            return Ok(None);
        };
        let cronjob = self.current(key, cached);
        let uid = cronjob.metadata.uid.clone().unwrap_or_default();
        let jobs: Vec<Arc<Job>> = self
            .jobs
            .in_namespace(&key.0)
            .into_iter()
            .filter(|j| controller_of(&j.metadata, "CronJob").is_some_and(|o| o.uid == uid))
            .collect();
        let old_status = cronjob.status.clone().unwrap_or_default();
        let mut status = old_status.clone();
        let job_api: Api<Job> = Api::namespaced(self.client.clone(), &key.0);

        // Reconcile the active list with the Jobs.
        let mut active: Vec<ObjectReference> = status.active.clone().unwrap_or_default();
        for job in &jobs {
            let job_uid = job.metadata.uid.clone().unwrap_or_default();
            let listed = active
                .iter()
                .any(|r| r.uid.as_deref() == Some(job_uid.as_str()));
            let name = job.metadata.name.clone().unwrap_or_default();
            if listed && is_finished(job) {
                active.retain(|r| r.uid.as_deref() != Some(job_uid.as_str()));
                let condition = if is_succeeded(job) {
                    "Complete"
                } else {
                    "Failed"
                };
                self.record(
                    &cronjob,
                    EventType::Normal,
                    "SawCompletedJob",
                    "Sync",
                    format!("Saw completed job: {name}, condition: {condition}"),
                )
                .await;
            } else if !listed && !is_finished(job) {
                self.record(
                    &cronjob,
                    EventType::Warning,
                    "UnexpectedJob",
                    "Sync",
                    format!("Saw a job that the controller did not create or forgot: {name}"),
                )
                .await;
            }
            if is_succeeded(job) {
                if let Some(done) = job.status.as_ref().and_then(|s| s.completion_time.clone()) {
                    if status
                        .last_successful_time
                        .as_ref()
                        .is_none_or(|t| t.0 < done.0)
                    {
                        status.last_successful_time = Some(done);
                    }
                }
            }
        }
        let mut still_active = Vec::new();
        for reference in active {
            let known = jobs
                .iter()
                .any(|j| j.metadata.uid.as_deref() == reference.uid.as_deref());
            if known {
                still_active.push(reference);
                continue;
            }
            // Not in the cache: ask the API server before forgetting it.
            let name = reference.name.clone().unwrap_or_default();
            match job_api.get_opt(&name).await? {
                Some(job) if job.metadata.uid == reference.uid => still_active.push(reference),
                _ => {
                    self.record(
                        &cronjob,
                        EventType::Normal,
                        "MissingJob",
                        "Sync",
                        format!("Active job went missing: {name}"),
                    )
                    .await;
                }
            }
        }
        status.active = Some(still_active);

        let (requeue, created) = self.schedule(&cronjob, &mut status, &job_api).await?;
        let normalize = |s: &CronJobStatus| {
            let mut s = s.clone();
            if s.active.as_ref().is_some_and(Vec::is_empty) {
                s.active = None;
            }
            s
        };
        let status = normalize(&status);
        if normalize(&old_status) != status {
            let api: Api<CronJob> = Api::namespaced(self.client.clone(), &key.0);
            let mut updated = (*cronjob).clone();
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
        if created.is_none() {
            self.cleanup(&cronjob, &jobs, &job_api).await;
        }
        Ok(requeue)
    }

    /// Creates the Job of the most recent unmet start time, if it is due;
    /// returns when to look again and the Job created.
    async fn schedule(
        &self,
        cronjob: &CronJob,
        status: &mut CronJobStatus,
        job_api: &Api<Job>,
    ) -> Result<(Option<Duration>, Option<String>), Error> {
        if cronjob.metadata.deletion_timestamp.is_some() {
            return Ok((None, None));
        }
        let spec = cronjob.spec.clone().unwrap_or_default();
        let zone = match load_zone(spec.time_zone.as_deref()) {
            Ok(zone) => zone,
            Err(error) => {
                let name = spec.time_zone.clone().unwrap_or_default();
                self.record(
                    cronjob,
                    EventType::Warning,
                    "UnknownTimeZone",
                    "Sync",
                    format!("invalid timeZone: {name:?}: {error}"),
                )
                .await;
                return Ok((None, None));
            }
        };
        if spec.suspend == Some(true) {
            return Ok((None, None));
        }
        let schedule = match parse(&spec.schedule) {
            Ok(schedule) => schedule,
            Err(error) => {
                self.record(
                    cronjob,
                    EventType::Warning,
                    "UnparseableSchedule",
                    "Sync",
                    format!("unparseable schedule: {:?} : {error}", spec.schedule),
                )
                .await;
                return Ok((None, None));
            }
        };
        let now = Timestamp::now();
        let name = cronjob.metadata.name.clone().unwrap_or_default();
        let created_at = cronjob.metadata.creation_timestamp.as_ref().map(|t| t.0);
        let plan = plan(&name, &spec, status, created_at, &schedule, &zone, now);
        for (type_, reason, note) in plan.events {
            self.record(cronjob, type_, reason, "Sync", note).await;
        }
        let wait = plan.wait;
        let Some(scheduled) = plan.create else {
            return Ok((wait, None));
        };
        let name = job_name(&name, scheduled);
        if plan.replace {
            let mut kept = Vec::new();
            for reference in status.active.clone().unwrap_or_default() {
                let job_name = reference.name.clone().unwrap_or_default();
                match job_api.delete(&job_name, &DeleteParams::background()).await {
                    Ok(_) => {
                        self.record(
                            cronjob,
                            EventType::Normal,
                            "SuccessfulDelete",
                            "Delete",
                            format!("Deleted job {job_name}"),
                        )
                        .await;
                    }
                    Err(kube::Error::Api(s)) if s.code == 404 => {}
                    Err(error) => {
                        kept.push(reference);
                        self.record(
                            cronjob,
                            EventType::Warning,
                            "FailedDelete",
                            "Delete",
                            format!("Deleted job: {error}"),
                        )
                        .await;
                    }
                }
            }
            status.active = Some(kept);
        }
        let job = job_from_template(cronjob, scheduled, &zone);
        let created = match job_api.create(&PostParams::default(), &job).await {
            Ok(created) => created,
            Err(kube::Error::Api(s)) if s.code == 409 => {
                // Created by another actor (or by an earlier pass): it
                // accounts for this start time.
                return Ok((wait, None));
            }
            Err(error) => {
                let message = match &error {
                    kube::Error::Api(s) => s.message.clone(),
                    other => other.to_string(),
                };
                self.record(
                    cronjob,
                    EventType::Warning,
                    "FailedCreate",
                    "Create",
                    format!("Error creating job: {message}"),
                )
                .await;
                return Err(error.into());
            }
        };
        self.record(
            cronjob,
            EventType::Normal,
            "SuccessfulCreate",
            "Create",
            format!("Created job {name}"),
        )
        .await;
        let mut active = status.active.clone().unwrap_or_default();
        active.push(object_reference_of("Job", "batch/v1", &created.metadata));
        status.active = Some(active);
        status.last_schedule_time = Some(Time(scheduled));
        let wait =
            schedule.next(scheduled, &zone).map(|next| {
                Duration::from_millis(
                    (next.as_millisecond() + 100 - now.as_millisecond()).max(0) as u64
                )
            });
        Ok((wait, Some(name)))
    }

    /// Deletes the oldest finished Jobs beyond the history limits.
    async fn cleanup(&self, cronjob: &CronJob, jobs: &[Arc<Job>], job_api: &Api<Job>) {
        let spec = cronjob.spec.clone().unwrap_or_default();
        if spec.successful_jobs_history_limit.is_none() && spec.failed_jobs_history_limit.is_none()
        {
            return;
        }
        for (succeeded, limit) in [
            (true, spec.successful_jobs_history_limit),
            (false, spec.failed_jobs_history_limit),
        ] {
            let Some(limit) = limit else { continue };
            let mut finished: Vec<&Arc<Job>> = jobs
                .iter()
                .filter(|j| is_finished(j) && is_succeeded(j) == succeeded)
                .filter(|j| j.metadata.deletion_timestamp.is_none())
                .collect();
            let limit = limit.max(0) as usize;
            if finished.len() <= limit {
                continue;
            }
            finished.sort_by_key(|j| start_order(j));
            let excess = finished.len() - limit;
            for job in finished.into_iter().take(excess) {
                let name = job.metadata.name.clone().unwrap_or_default();
                match job_api.delete(&name, &DeleteParams::background()).await {
                    Ok(_) => {
                        self.record(
                            cronjob,
                            EventType::Normal,
                            "SuccessfulDelete",
                            "Delete",
                            format!("Deleted job {name}"),
                        )
                        .await;
                    }
                    Err(error) => {
                        tracing::debug!(%error, job = %name, "cronjob controller: deleting a finished job failed");
                    }
                }
            }
        }
    }
}

/// What one sync does about the schedule: events to record, the start time
/// to create a Job for (replacing the active ones first), when to look again.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    events: Vec<(EventType, &'static str, String)>,
    create: Option<Timestamp>,
    replace: bool,
    wait: Option<Duration>,
}

/// Upstream's `syncCronJob` decisions after the active list is reconciled,
/// for a CronJob neither suspended nor with a bad schedule or time zone.
fn plan(
    name: &str,
    spec: &CronJobSpec,
    status: &CronJobStatus,
    created_at: Option<Timestamp>,
    schedule: &Schedule,
    zone: &TimeZone,
    now: Timestamp,
) -> Plan {
    let earliest = status
        .last_schedule_time
        .as_ref()
        .map(|t| t.0)
        .or(created_at)
        .unwrap_or(now);
    let mut plan = Plan {
        wait: next_wait(schedule, zone, earliest, now),
        ..Plan::default()
    };
    let scheduled = match most_recent(
        schedule,
        zone,
        earliest,
        now,
        spec.starting_deadline_seconds,
    ) {
        Ok((_, recent, missed)) => {
            if recent.is_some() && missed == Missed::Many {
                plan.events.push((
                    EventType::Warning,
                    "TooManyMissedTimes",
                    "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew".to_string(),
                ));
            }
            recent
        }
        Err(error) => {
            plan.events.push((
                EventType::Warning,
                "InvalidSchedule",
                format!("invalid schedule: {} : {error}", spec.schedule),
            ));
            None
        }
    };
    let Some(scheduled) = scheduled else {
        return plan;
    };
    if let Some(deadline) = spec.starting_deadline_seconds {
        if scheduled.as_second().saturating_add(deadline) < now.as_second() {
            let at = scheduled.strftime("%a, %d %b %Y %H:%M:%S %z");
            plan.events.push((
                EventType::Warning,
                "MissSchedule",
                format!("Missed scheduled time to start a job: {at}"),
            ));
            return plan;
        }
    }
    let job = job_name(name, scheduled);
    let active = status.active.clone().unwrap_or_default();
    let already = active
        .iter()
        .any(|r| r.name.as_deref() == Some(job.as_str()))
        || status
            .last_schedule_time
            .as_ref()
            .is_some_and(|t| t.0 == scheduled);
    if already {
        return plan;
    }
    match spec.concurrency_policy.as_deref() {
        Some("Forbid") if !active.is_empty() => {
            plan.events.push((
                EventType::Normal,
                "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy is Forbid".to_string(),
            ));
            return plan;
        }
        Some("Replace") => plan.replace = !active.is_empty(),
        _ => {}
    }
    plan.create = Some(scheduled);
    plan
}

/// Oldest first by start time (Jobs never started last), then by name.
fn start_order(job: &Job) -> (bool, i64, String) {
    let start = job.status.as_ref().and_then(|s| s.start_time.as_ref());
    (
        start.is_none(),
        start.map_or(0, |t| t.0.as_second()),
        job.metadata.name.clone().unwrap_or_default(),
    )
}

/// `<cronjob>-<scheduled time in minutes since the epoch>`.
pub fn job_name(cronjob: &str, scheduled: Timestamp) -> String {
    format!("{cronjob}-{}", scheduled.as_second().div_euclid(60))
}

/// The Job a CronJob creates for one start time.
fn job_from_template(
    cronjob: &CronJob,
    scheduled: Timestamp,
    zone: &k8s_openapi::jiff::tz::TimeZone,
) -> Job {
    let spec = cronjob.spec.clone().unwrap_or_default();
    let template = spec.job_template;
    let meta = template.metadata.unwrap_or_default();
    let mut annotations: BTreeMap<String, String> = meta.annotations.unwrap_or_default();
    annotations.insert(SCHEDULED_TIMESTAMP.to_string(), rfc3339_in(scheduled, zone));
    let name = cronjob.metadata.name.clone().unwrap_or_default();
    Job {
        metadata: ObjectMeta {
            name: Some(job_name(&name, scheduled)),
            namespace: cronjob.metadata.namespace.clone(),
            labels: meta.labels,
            annotations: Some(annotations),
            owner_references: Some(vec![OwnerReference {
                api_version: "batch/v1".to_string(),
                kind: "CronJob".to_string(),
                name,
                uid: cronjob.metadata.uid.clone().unwrap_or_default(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            ..ObjectMeta::default()
        },
        spec: template.spec,
        status: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::jiff::tz::TimeZone;
    use serde_json::json;

    #[test]
    fn jobs_are_named_by_minutes_since_the_epoch() {
        let at: Timestamp = "2026-01-01T10:01:00Z".parse().unwrap();
        assert_eq!(
            job_name("hello", at),
            format!("hello-{}", at.as_second() / 60)
        );
        assert_eq!(job_name("hello", Timestamp::UNIX_EPOCH), "hello-0");
    }

    #[test]
    fn jobs_come_from_the_template_with_the_scheduled_time() {
        let cronjob: CronJob = serde_json::from_value(json!({
            "metadata": {"name": "hello", "namespace": "ns", "uid": "u1"},
            "spec": {"schedule": "*/1 * * * *", "jobTemplate": {
                "metadata": {"labels": {"app": "x"}, "annotations": {"a": "b"}},
                "spec": {"template": {"spec": {"containers": [{"name": "c"}], "restartPolicy": "Never"}}}
            }}
        }))
        .unwrap();
        let at: Timestamp = "2026-01-01T10:01:00Z".parse().unwrap();
        let job = job_from_template(&cronjob, at, &TimeZone::UTC);
        let annotations = job.metadata.annotations.clone().unwrap();
        assert_eq!(annotations[SCHEDULED_TIMESTAMP], "2026-01-01T10:01:00Z");
        assert_eq!(annotations["a"], "b");
        assert_eq!(job.metadata.labels.unwrap()["app"], "x");
        let owner = &job.metadata.owner_references.unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.controller),
            ("CronJob", Some(true))
        );
        assert!(job.spec.is_some());
    }

    fn spec(policy: &str, deadline: Option<i64>) -> CronJobSpec {
        serde_json::from_value(json!({
            "schedule": "*/1 * * * *",
            "concurrencyPolicy": policy,
            "startingDeadlineSeconds": deadline,
            "jobTemplate": {}
        }))
        .unwrap()
    }

    fn status(last: Option<&str>, active: &[&str]) -> CronJobStatus {
        serde_json::from_value(json!({
            "lastScheduleTime": last,
            "active": active.iter().map(|n| json!({"name": n, "uid": n})).collect::<Vec<_>>(),
        }))
        .unwrap()
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn decide(spec: &CronJobSpec, status: &CronJobStatus, now: &str) -> Plan {
        let schedule = parse(&spec.schedule).unwrap();
        let created = Some(at("2026-01-01T09:59:30Z"));
        plan(
            "tick",
            spec,
            status,
            created,
            &schedule,
            &TimeZone::UTC,
            at(now),
        )
    }

    fn reasons(plan: &Plan) -> Vec<&str> {
        plan.events.iter().map(|e| e.1).collect()
    }

    #[test]
    fn due_start_times_create_a_job() {
        let plan = decide(
            &spec("Allow", None),
            &status(None, &[]),
            "2026-01-01T10:00:10Z",
        );
        assert_eq!(plan.create, Some(at("2026-01-01T10:00:00Z")));
        assert!(!plan.replace && plan.events.is_empty());
        // Not yet due: come back just after the next minute.
        let plan = decide(
            &spec("Allow", None),
            &status(None, &[]),
            "2026-01-01T09:59:40Z",
        );
        assert_eq!(plan.create, None);
        assert_eq!(plan.wait, Some(Duration::from_millis(20_100)));
        // Already created for that time.
        let done = status(Some("2026-01-01T10:00:00Z"), &["tick-29454360"]);
        let plan = decide(&spec("Allow", None), &done, "2026-01-01T10:00:20Z");
        assert_eq!(plan.create, None);
        // Allow runs the next one beside the active one.
        let plan = decide(&spec("Allow", None), &done, "2026-01-01T10:01:01Z");
        assert_eq!(plan.create, Some(at("2026-01-01T10:01:00Z")));
    }

    #[test]
    fn concurrency_policies() {
        let busy = status(Some("2026-01-01T10:00:00Z"), &["tick-29454360"]);
        let plan = decide(&spec("Forbid", None), &busy, "2026-01-01T10:01:01Z");
        assert_eq!(
            (plan.create, reasons(&plan)),
            (None, vec!["JobAlreadyActive"])
        );
        let plan = decide(&spec("Replace", None), &busy, "2026-01-01T10:01:01Z");
        assert_eq!(plan.create, Some(at("2026-01-01T10:01:00Z")));
        assert!(plan.replace);
        let idle = status(Some("2026-01-01T10:00:00Z"), &[]);
        let plan = decide(&spec("Forbid", None), &idle, "2026-01-01T10:01:01Z");
        assert_eq!(plan.create, Some(at("2026-01-01T10:01:00Z")));
    }

    #[test]
    fn missed_start_times_and_deadlines() {
        // A day of missed minutes: warn, and run the latest.
        let plan = decide(
            &spec("Allow", None),
            &status(None, &[]),
            "2026-01-02T10:00:10Z",
        );
        assert_eq!(reasons(&plan), ["TooManyMissedTimes"]);
        assert_eq!(plan.create, Some(at("2026-01-02T10:00:00Z")));
        // With a deadline only the recent ones count: no warning.
        let plan = decide(
            &spec("Allow", Some(30)),
            &status(None, &[]),
            "2026-01-02T10:00:10Z",
        );
        assert!(plan.events.is_empty());
        assert_eq!(plan.create, Some(at("2026-01-02T10:00:00Z")));
        // The last start time is past its deadline: nothing to do.
        let plan = decide(
            &spec("Allow", Some(5)),
            &status(None, &[]),
            "2026-01-02T10:00:10Z",
        );
        assert_eq!(plan.create, None);
    }

    #[test]
    fn history_goes_oldest_first() {
        let job = |name: &str, start: Option<i64>| -> Job {
            serde_json::from_value(json!({
                "metadata": {"name": name},
                "status": start.map(|s| json!({"startTime": Timestamp::from_second(s).unwrap().to_string()})).unwrap_or(json!({}))
            }))
            .unwrap()
        };
        let mut jobs = [
            job("c", None),
            job("b", Some(20)),
            job("a", Some(10)),
            job("d", Some(10)),
        ];
        jobs.sort_by_key(start_order);
        let names: Vec<_> = jobs
            .iter()
            .map(|j| j.metadata.name.clone().unwrap())
            .collect();
        assert_eq!(names, ["a", "d", "b", "c"]);
    }
}
