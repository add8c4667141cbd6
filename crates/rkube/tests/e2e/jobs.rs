//! Jobs, CronJobs and the TTL-after-finished controller on hollow nodes,
//! driven with the real kubectl.

use std::time::Duration;

use crate::support::{wait_until, Cluster};

const WAIT: Duration = Duration::from_secs(60);

/// A Job whose pods exit with `exit_code` after `seconds`, with `spec` lines
/// (indented by two spaces) added to its spec.
fn job(namespace: &str, name: &str, spec: &str, exit_code: Option<i32>, seconds: u32) -> String {
    let annotations = match exit_code {
        Some(code) => format!(
            "      annotations:\n        rkube.io/hollow-exit-code: \"{code}\"\n        rkube.io/hollow-run-seconds: \"{seconds}\"\n"
        ),
        None => String::new(),
    };
    format!(
        "apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
  namespace: {namespace}
spec:
{spec}  template:
    metadata:
{annotations}      labels:
        app: {name}
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox
"
    )
}

fn start() -> Cluster {
    let cluster = Cluster::start_with(&["--hollow-nodes", "2"]);
    wait_until("2 nodes", WAIT, || {
        cluster
            .kubectl(&["get", "nodes", "--no-headers"])
            .stdout
            .lines()
            .count()
            == 2
    });
    cluster
}

fn events(cluster: &Cluster, namespace: &str, name: &str) -> String {
    cluster.ok(&[
        "get",
        "events",
        "-n",
        namespace,
        "--field-selector",
        &format!("involvedObject.name={name}"),
        "-o",
        "custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message",
        "--no-headers",
    ])
}

/// Seconds since the epoch of an RFC 3339 UTC time (`2026-01-02T03:04:05Z`).
fn epoch_seconds(text: &str) -> i64 {
    let number = |range: std::ops::Range<usize>| -> i64 {
        text.get(range)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an RFC 3339 UTC time: {text}"))
    };
    let (y, m, d) = (number(0..4), number(5..7), number(8..10));
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + number(11..13) * 3600 + number(14..16) * 60 + number(17..19)
}

#[test]
fn epoch_seconds_of_rfc3339() {
    assert_eq!(epoch_seconds("1970-01-01T00:00:00Z"), 0);
    assert_eq!(epoch_seconds("2026-01-01T10:01:00Z"), 1_767_261_660);
}

fn pod_names(cluster: &Cluster, namespace: &str, selector: &str) -> Vec<String> {
    cluster
        .ok(&["get", "pods", "-n", namespace, "-l", selector, "-o", "name"])
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn jobs_complete_with_completions_parallelism_indexes_and_ttl() {
    let c = start();
    c.namespace("work");

    // NonIndexed: 3 completions, 2 at a time.
    c.ok_stdin(
        &["create", "-f", "-"],
        &job(
            "work",
            "pi",
            "  completions: 3\n  parallelism: 2\n",
            Some(0),
            3,
        ),
    );
    wait_until("two pods at once", WAIT, || {
        c.jsonpath("work", "job", "pi", "{.status.active}") == "2"
    });
    c.ok(&[
        "wait",
        "--for=condition=complete",
        "job/pi",
        "-n",
        "work",
        "--timeout=60s",
    ]);
    let row = c.ok(&["get", "jobs", "pi", "-n", "work", "--no-headers"]);
    assert!(row.contains("3/3") && row.contains("Complete"), "{row}");
    assert_eq!(
        c.jsonpath(
            "work",
            "job",
            "pi",
            "{.status.succeeded} {.status.failed} {.status.ready} {.status.terminating}"
        ),
        "3  0 0"
    );
    let conditions = c.jsonpath(
        "work",
        "job",
        "pi",
        "{range .status.conditions[*]}{.type}={.status}/{.reason};{end}",
    );
    assert_eq!(
        conditions,
        "SuccessCriteriaMet=True/CompletionsReached;Complete=True/CompletionsReached;"
    );
    assert!(!c
        .jsonpath("work", "job", "pi", "{.status.completionTime}")
        .is_empty());
    assert!(!c
        .jsonpath("work", "job", "pi", "{.status.startTime}")
        .is_empty());
    // The pods: upstream's labels, the Job as controller, finalizer gone.
    let pods = pod_names(&c, "work", "batch.kubernetes.io/job-name=pi");
    assert_eq!(pods.len(), 3, "{pods:?}");
    let uid = c.jsonpath("work", "job", "pi", "{.metadata.uid}");
    let pod = pods[0].trim_start_matches("pod/");
    let meta = c.jsonpath(
        "work",
        "pod",
        pod,
        "{.metadata.labels.batch\\.kubernetes\\.io/controller-uid} {.metadata.labels.controller-uid} {.metadata.labels.job-name} {.metadata.ownerReferences[0].kind} {.metadata.ownerReferences[0].controller} {.metadata.ownerReferences[0].blockOwnerDeletion} [{.metadata.finalizers}]",
    );
    assert_eq!(meta, format!("{uid} {uid} pi Job true true []"));
    let seen = events(&c, "work", "pi");
    assert!(
        seen.contains("SuccessfulCreate") && seen.contains("Created pod: pi-"),
        "{seen}"
    );
    assert!(
        seen.contains("Completed") && seen.contains("Job completed"),
        "{seen}"
    );

    // Indexed: completedIndexes and per-index hostnames.
    c.ok_stdin(
        &["create", "-f", "-"],
        &job(
            "work",
            "indexed",
            "  completions: 3\n  parallelism: 3\n  completionMode: Indexed\n",
            Some(0),
            0,
        ),
    );
    c.ok(&[
        "wait",
        "--for=condition=complete",
        "job/indexed",
        "-n",
        "work",
        "--timeout=60s",
    ]);
    assert_eq!(
        c.jsonpath(
            "work",
            "job",
            "indexed",
            "{.status.completedIndexes} {.status.succeeded}"
        ),
        "0-2 3"
    );
    let hostnames = c.ok(&[
        "get",
        "pods",
        "-n",
        "work",
        "-l",
        "batch.kubernetes.io/job-name=indexed",
        "-o",
        "jsonpath={range .items[*]}{.spec.hostname}={.metadata.annotations.batch\\.kubernetes\\.io/job-completion-index}={.metadata.labels.batch\\.kubernetes\\.io/job-completion-index} {end}",
    ]);
    let mut hostnames: Vec<&str> = hostnames.split_whitespace().collect();
    hostnames.sort();
    assert_eq!(
        hostnames,
        ["indexed-0=0=0", "indexed-1=1=1", "indexed-2=2=2"]
    );

    // Suspended: no pods until resumed.
    c.ok_stdin(
        &["create", "-f", "-"],
        &job("work", "later", "  suspend: true\n", Some(0), 0),
    );
    wait_until("Suspended condition", WAIT, || {
        c.jsonpath(
            "work",
            "job",
            "later",
            "{.status.conditions[?(@.type==\"Suspended\")].status}",
        ) == "True"
    });
    assert!(pod_names(&c, "work", "batch.kubernetes.io/job-name=later").is_empty());
    assert!(c
        .jsonpath("work", "job", "later", "{.status.startTime}")
        .is_empty());
    c.ok(&[
        "patch",
        "job",
        "later",
        "-n",
        "work",
        "--type=merge",
        "-p",
        "{\"spec\":{\"suspend\":false}}",
    ]);
    c.ok(&[
        "wait",
        "--for=condition=complete",
        "job/later",
        "-n",
        "work",
        "--timeout=60s",
    ]);
    assert_eq!(
        c.jsonpath(
            "work",
            "job",
            "later",
            "{.status.conditions[?(@.type==\"Suspended\")].reason}"
        ),
        "JobResumed"
    );
    let seen = events(&c, "work", "later");
    assert!(
        seen.contains("Suspended") && seen.contains("Resumed"),
        "{seen}"
    );

    // Suspending a running Job deletes its pods.
    c.ok_stdin(
        &["create", "-f", "-"],
        &job("work", "busy", "  parallelism: 2\n", None, 0),
    );
    wait_until("busy runs 2 pods", WAIT, || {
        c.jsonpath("work", "job", "busy", "{.status.active}") == "2"
    });
    c.ok(&[
        "patch",
        "job",
        "busy",
        "-n",
        "work",
        "--type=merge",
        "-p",
        "{\"spec\":{\"suspend\":true}}",
    ]);
    wait_until("busy suspended without pods", WAIT, || {
        c.jsonpath(
            "work",
            "job",
            "busy",
            "{.status.active}|{.status.conditions[?(@.type==\"Suspended\")].status}",
        ) == "|True"
            && pod_names(&c, "work", "batch.kubernetes.io/job-name=busy").is_empty()
    });
    let seen = events(&c, "work", "busy");
    assert!(
        seen.contains("SuccessfulDelete") && seen.contains("Deleted pod: busy-"),
        "{seen}"
    );

    // ttlSecondsAfterFinished: the Job and its pods go.
    c.ok_stdin(
        &["create", "-f", "-"],
        &job(
            "work",
            "brief",
            "  ttlSecondsAfterFinished: 2\n",
            Some(0),
            0,
        ),
    );
    wait_until("brief deleted after its TTL", WAIT, || {
        let run = c.kubectl(&["get", "job", "brief", "-n", "work"]);
        !run.success && run.stderr.contains("NotFound")
    });
    wait_until("brief's pods deleted", WAIT, || {
        pod_names(&c, "work", "batch.kubernetes.io/job-name=brief").is_empty()
    });
}

#[test]
fn jobs_fail_on_backoff_limit_and_active_deadline() {
    let c = start();
    c.namespace("fail");

    // Two failures with backoffLimit 1 (the second after a 10 s backoff).
    c.ok_stdin(
        &["create", "-f", "-"],
        &job("fail", "broken", "  backoffLimit: 1\n", Some(3), 0),
    );
    // Pods running for ever, past a 3 s deadline.
    c.ok_stdin(
        &["create", "-f", "-"],
        &job(
            "fail",
            "slow",
            "  activeDeadlineSeconds: 3\n  parallelism: 2\n  completions: 2\n",
            None,
            0,
        ),
    );
    // A pod failure policy fails the Job at the first exit code 42.
    c.ok_stdin(
        &["create", "-f", "-"],
        &job(
            "fail",
            "fatal",
            "  backoffLimit: 6\n  podFailurePolicy:\n    rules:\n    - action: FailJob\n      onExitCodes:\n        operator: In\n        values: [42]\n",
            Some(42),
            0,
        ),
    );
    c.ok(&[
        "wait",
        "--for=condition=failed",
        "job/slow",
        "-n",
        "fail",
        "--timeout=60s",
    ]);
    assert_eq!(
        c.jsonpath(
            "fail",
            "job",
            "slow",
            "{.status.conditions[?(@.type==\"Failed\")].reason}|{.status.conditions[?(@.type==\"Failed\")].message}|{.status.conditions[?(@.type==\"FailureTarget\")].reason}"
        ),
        "DeadlineExceeded|Job was active longer than specified deadline|DeadlineExceeded"
    );
    assert_eq!(
        c.jsonpath("fail", "job", "slow", "{.status.failed} {.status.active}"),
        "2 "
    );
    wait_until("slow's pods deleted", WAIT, || {
        pod_names(&c, "fail", "batch.kubernetes.io/job-name=slow").is_empty()
    });
    let seen = events(&c, "fail", "slow");
    assert!(
        seen.contains("DeadlineExceeded") && seen.contains("SuccessfulDelete"),
        "{seen}"
    );

    // Indexes that fail for good with backoffLimitPerIndex.
    c.ok_stdin(
        &["create", "-f", "-"],
        &job(
            "fail",
            "perindex",
            "  completions: 3\n  parallelism: 3\n  completionMode: Indexed\n  backoffLimitPerIndex: 0\n",
            Some(1),
            0,
        ),
    );
    c.ok(&[
        "wait",
        "--for=condition=failed",
        "job/fatal",
        "-n",
        "fail",
        "--timeout=60s",
    ]);
    let fatal = c.jsonpath(
        "fail",
        "job",
        "fatal",
        "{.status.conditions[?(@.type==\"Failed\")].reason}|{.status.conditions[?(@.type==\"Failed\")].message}|{.status.failed}",
    );
    assert!(
        fatal.starts_with("PodFailurePolicy|Container main for pod fail/fatal-")
            && fatal.ends_with("failed with exit code 42 matching FailJob rule at index 0|1"),
        "{fatal}"
    );

    c.ok(&[
        "wait",
        "--for=condition=failed",
        "job/perindex",
        "-n",
        "fail",
        "--timeout=60s",
    ]);
    assert_eq!(
        c.jsonpath(
            "fail",
            "job",
            "perindex",
            "{.status.failedIndexes}|{.status.failed}|{.status.conditions[?(@.type==\"Failed\")].reason}|{.status.conditions[?(@.type==\"Failed\")].message}"
        ),
        "0-2|3|FailedIndexes|Job has failed indexes"
    );

    c.ok(&[
        "wait",
        "--for=condition=failed",
        "job/broken",
        "-n",
        "fail",
        "--timeout=60s",
    ]);
    assert_eq!(
        c.jsonpath(
            "fail",
            "job",
            "broken",
            "{.status.conditions[?(@.type==\"Failed\")].reason}|{.status.conditions[?(@.type==\"Failed\")].message}|{.status.failed}|{.status.succeeded}"
        ),
        "BackoffLimitExceeded|Job has reached the specified backoff limit|2|"
    );
    assert!(c
        .jsonpath("fail", "job", "broken", "{.status.completionTime}")
        .is_empty());
    let pods = pod_names(&c, "fail", "batch.kubernetes.io/job-name=broken");
    assert_eq!(pods.len(), 2, "{pods:?}");
    let row = c.ok(&["get", "jobs", "broken", "-n", "fail", "--no-headers"]);
    assert!(row.contains("0/1") && row.contains("Failed"), "{row}");
    let seen = events(&c, "fail", "broken");
    assert!(
        seen.contains("Warning")
            && seen.contains("BackoffLimitExceeded")
            && seen.contains("Job has reached the specified backoff limit"),
        "{seen}"
    );
}

#[test]
fn cronjobs_create_jobs_on_schedule() {
    let c = start();
    c.namespace("cron");
    let cronjob = |name: &str, extra: &str| {
        format!(
            "apiVersion: batch/v1
kind: CronJob
metadata:
  name: {name}
  namespace: cron
spec:
  schedule: \"*/1 * * * *\"
{extra}  jobTemplate:
    spec:
      template:
        metadata:
          annotations:
            rkube.io/hollow-exit-code: \"0\"
        spec:
          restartPolicy: Never
          containers:
          - name: main
            image: busybox
"
        )
    };
    c.ok_stdin(&["create", "-f", "-"], &cronjob("tick", ""));
    c.ok_stdin(
        &["create", "-f", "-"],
        &cronjob("held", "  suspend: true\n"),
    );
    c.ok_stdin(
        &["create", "-f", "-"],
        &cronjob("short", "  successfulJobsHistoryLimit: 0\n"),
    );
    c.ok_stdin(
        &["create", "-f", "-"],
        &cronjob("lost", "  timeZone: Mars/Olympus\n"),
    );

    // A Job by hand from the CronJob's template.
    c.ok(&[
        "create",
        "job",
        "manual",
        "--from=cronjob/tick",
        "-n",
        "cron",
    ]);
    c.ok(&[
        "wait",
        "--for=condition=complete",
        "job/manual",
        "-n",
        "cron",
        "--timeout=60s",
    ]);
    assert_eq!(
        c.jsonpath(
            "cron",
            "job",
            "manual",
            "{.metadata.annotations.cronjob\\.kubernetes\\.io/instantiate}"
        ),
        "manual"
    );

    // The scheduled one, within the next minute.
    wait_until("a scheduled job", Duration::from_secs(75), || {
        !c.jsonpath("cron", "cronjob", "tick", "{.status.lastScheduleTime}")
            .is_empty()
    });
    let last = c.jsonpath("cron", "cronjob", "tick", "{.status.lastScheduleTime}");
    let minutes = epoch_seconds(&last) / 60;
    let name = format!("tick-{minutes}");
    assert_eq!(
        c.jsonpath(
            "cron",
            "job",
            &name,
            "{.metadata.annotations.batch\\.kubernetes\\.io/cronjob-scheduled-timestamp} {.metadata.ownerReferences[0].kind}"
        ),
        format!("{last} CronJob")
    );
    c.ok(&[
        "wait",
        "--for=condition=complete",
        &format!("job/{name}"),
        "-n",
        "cron",
        "--timeout=60s",
    ]);
    wait_until("lastSuccessfulTime and no active job", WAIT, || {
        c.jsonpath(
            "cron",
            "cronjob",
            "tick",
            "{.status.active}|{.status.lastSuccessfulTime}",
        )
        .split_once('|')
        .is_some_and(|(active, done)| active.is_empty() && !done.is_empty())
    });
    let seen = events(&c, "cron", "tick");
    assert!(
        seen.contains("SuccessfulCreate")
            && seen.contains(&format!("Created job {name}"))
            && seen.contains("SawCompletedJob"),
        "{seen}"
    );
    // No history kept: the finished Job is deleted.
    wait_until("short's finished job deleted", WAIT, || {
        let seen = events(&c, "cron", "short");
        seen.contains("SawCompletedJob") && seen.contains("Deleted job short-")
    });
    wait_until("no job of short left", WAIT, || {
        !c.ok(&["get", "jobs", "-n", "cron", "-o", "name"])
            .contains("short-")
    });
    // Suspended: nothing; an unknown time zone: a warning and nothing.
    assert!(c
        .jsonpath("cron", "cronjob", "held", "{.status.lastScheduleTime}")
        .is_empty());
    assert!(c
        .jsonpath("cron", "cronjob", "lost", "{.status.lastScheduleTime}")
        .is_empty());
    let seen = events(&c, "cron", "lost");
    assert!(
        seen.contains("UnknownTimeZone") && seen.contains("unknown time zone Mars/Olympus"),
        "{seen}"
    );
    let jobs = c.ok(&["get", "jobs", "-n", "cron", "-o", "name"]);
    assert!(!jobs.contains("held-") && !jobs.contains("lost-"), "{jobs}");
}
