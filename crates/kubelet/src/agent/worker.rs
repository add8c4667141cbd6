//! One pod's worker: brings what the runtime runs in line with the pod
//! (sandbox, init containers in order, sidecars, containers, restarts with
//! back-off, liveness kills, graceful termination), and reports the pod's
//! status when it changes. Woken by pod updates, by the runtime relist
//! (`pleg`), by probe results and by its own timers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, ObjectReference, Pod};
use kube::api::{DeleteParams, Patch, PatchParams, Preconditions};
use kube::runtime::events::{Event, EventType};
use kube::Api;
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch, Notify};

use super::backoff::Backoff;
use super::glue;
use super::observe::{Attempt, Observed, State, StatusCache};
use super::spec;
use super::status::{self, Init, Memory};
use super::Shared;
use crate::cri::api as cri;
use crate::cri::CriError;
use crate::probes::{Kind, ProbeEvent, ProbeResult};

/// What the worker does next.
enum Next {
    /// Sync again after this long (or sooner when woken).
    After(Duration),
    /// The pod is gone; the worker ends.
    Done,
}

/// The worker's handle, kept by the pod dispatcher.
pub struct Handle {
    pub pod: watch::Sender<Option<Pod>>,
    pub wake: Arc<Notify>,
}

struct Worker {
    shared: Arc<Shared>,
    uid: String,
    cache: StatusCache,
    memory: HashMap<String, Memory>,
    restarts: Backoff,
    pulls: Backoff,
    volumes: Option<crate::volumes::PodVolumes>,
    /// Whether every volume is set up.
    volumes_ready: bool,
    /// Pod IP per sandbox ID.
    ips: HashMap<String, Option<String>>,
    /// Probe tasks per container ID.
    probes: HashMap<String, crate::probes::ContainerProbes>,
    probe_tx: mpsc::Sender<ProbeResult>,
    event_tx: mpsc::Sender<ProbeEvent>,
    /// Containers whose liveness probe failed (by container ID).
    unhealthy: HashMap<String, String>,
    last_status: Option<Value>,
    /// Events already published (reason + message), to publish each once per attempt.
    published: std::collections::HashSet<String>,
}

/// Starts the worker of pod `uid`.
pub fn spawn(shared: Arc<Shared>, uid: String, pod: Pod) -> Handle {
    let (tx, rx) = watch::channel(Some(pod));
    let wake = Arc::new(Notify::new());
    let notify = wake.clone();
    tokio::spawn(async move {
        let (probe_tx, probe_rx) = mpsc::channel(64);
        let (event_tx, event_rx) = mpsc::channel(64);
        let worker = Worker {
            shared,
            uid,
            cache: StatusCache::default(),
            memory: HashMap::new(),
            restarts: Backoff::default(),
            pulls: Backoff::default(),
            volumes: None,
            volumes_ready: false,
            ips: HashMap::new(),
            probes: HashMap::new(),
            probe_tx,
            event_tx,
            unhealthy: HashMap::new(),
            last_status: None,
            published: Default::default(),
        };
        worker.run(rx, notify, probe_rx, event_rx).await;
    });
    Handle { pod: tx, wake }
}

fn now_nanos() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    )
    .unwrap_or(i64::MAX)
}

fn now_time() -> String {
    crate::hollow::node::time(k8s_openapi::jiff::Timestamp::now())
}

fn reference(pod: &Pod, field: Option<String>) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Pod".into()),
        name: pod.metadata.name.clone(),
        namespace: pod.metadata.namespace.clone(),
        uid: pod.metadata.uid.clone(),
        resource_version: pod.metadata.resource_version.clone(),
        field_path: field,
    }
}

fn field_path(pod: &Pod, name: &str) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    if spec.containers.iter().any(|c| c.name == name) {
        return Some(format!("spec.containers{{{name}}}"));
    }
    spec.init_containers
        .as_ref()?
        .iter()
        .position(|c| c.name == name)
        .map(|_| format!("spec.initContainers{{{name}}}"))
}

fn grace_period(pod: &Pod) -> i64 {
    pod.metadata
        .deletion_grace_period_seconds
        .or_else(|| {
            pod.spec
                .as_ref()
                .and_then(|s| s.termination_grace_period_seconds)
        })
        .unwrap_or(30)
        .max(0)
}

impl Worker {
    async fn run(
        mut self,
        mut pod_rx: watch::Receiver<Option<Pod>>,
        wake: Arc<Notify>,
        mut probe_rx: mpsc::Receiver<ProbeResult>,
        mut event_rx: mpsc::Receiver<ProbeEvent>,
    ) {
        let mut current: Option<Pod> = None;
        loop {
            let pod = pod_rx.borrow_and_update().clone();
            if pod.is_some() {
                current.clone_from(&pod);
            }
            let next = match self.sync(pod).await {
                Ok(next) => next,
                Err(error) => {
                    tracing::warn!(pod = %self.uid, "syncing pod: {error}");
                    Next::After(Duration::from_secs(2))
                }
            };
            let Next::After(delay) = next else {
                break;
            };
            tokio::select! {
                changed = pod_rx.changed() => {
                    if changed.is_err() {
                        // The dispatcher is gone: the agent is stopping.
                        break;
                    }
                }
                () = wake.notified() => {}
                event = event_rx.recv() => {
                    if let (Some(event), Some(pod)) = (event, current.as_ref()) {
                        let field = field_path(pod, &event.container_name);
                        let published = Event {
                            type_: EventType::Warning,
                            reason: event.reason.to_string(),
                            note: Some(event.message),
                            action: "Probe".into(),
                            secondary: None,
                        };
                        let _ = self.shared.recorder.publish(&published, &reference(pod, field)).await;
                    }
                }
                verdict = probe_rx.recv() => {
                    if let Some(verdict) = verdict {
                        self.apply_probe(verdict);
                        while let Ok(more) = probe_rx.try_recv() {
                            self.apply_probe(more);
                        }
                    }
                }
                () = tokio::time::sleep(delay) => {}
            }
        }
        self.probes.clear();
    }

    fn apply_probe(&mut self, verdict: ProbeResult) {
        let memory = self
            .memory
            .entry(verdict.container_name.clone())
            .or_default();
        match verdict.kind {
            Kind::Readiness => memory.ready = verdict.success,
            Kind::Startup => memory.started = verdict.success,
            Kind::Liveness => {
                if verdict.success {
                    self.unhealthy.remove(&verdict.container_id);
                } else {
                    self.unhealthy
                        .insert(verdict.container_id.clone(), verdict.message.clone());
                }
            }
        }
    }

    async fn event(
        &mut self,
        pod: &Pod,
        container: Option<&str>,
        warning: bool,
        reason: &str,
        note: String,
    ) {
        let field = container.and_then(|c| field_path(pod, c));
        let event = Event {
            type_: if warning {
                EventType::Warning
            } else {
                EventType::Normal
            },
            reason: reason.to_string(),
            note: Some(note),
            action: reason.to_string(),
            secondary: None,
        };
        if let Err(error) = self
            .shared
            .recorder
            .publish(&event, &reference(pod, field))
            .await
        {
            tracing::debug!("publishing event {reason}: {error}");
        }
    }

    /// Publishes an event once for `key` (e.g. per container attempt).
    async fn event_once(
        &mut self,
        key: String,
        pod: &Pod,
        container: Option<&str>,
        warning: bool,
        reason: &str,
        note: String,
    ) {
        if self.published.insert(key) {
            self.event(pod, container, warning, reason, note).await;
        }
    }

    async fn sync(&mut self, pod: Option<Pod>) -> Result<Next, CriError> {
        let cri = self.shared.cri.clone();
        let observed = self.cache.observe(&cri, &self.uid).await?;
        let Some(pod) = pod else {
            // Gone from the API without a graceful deletion (force delete).
            self.terminate(None, &observed, 2).await;
            self.clean_up(&observed).await;
            return Ok(Next::Done);
        };
        if pod.metadata.deletion_timestamp.is_some() {
            let grace = grace_period(&pod);
            self.terminate(Some(&pod), &observed, grace).await;
            let observed = self
                .cache
                .observe(&cri, &self.uid)
                .await
                .unwrap_or(observed);
            self.post_status(&pod, &observed).await;
            let pods: Api<Pod> = Api::namespaced(self.shared.client.clone(), spec::namespace(&pod));
            let params = DeleteParams {
                grace_period_seconds: Some(0),
                preconditions: Some(Preconditions {
                    uid: pod.metadata.uid.clone(),
                    resource_version: None,
                }),
                ..Default::default()
            };
            match pods.delete(spec::name(&pod), &params).await {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.code == 404 || status.code == 409 => {}
                Err(error) => {
                    tracing::warn!(pod = spec::name(&pod), "deleting the pod: {error}");
                    return Ok(Next::After(Duration::from_secs(2)));
                }
            }
            self.clean_up(&observed).await;
            return Ok(Next::Done);
        }
        let phase = pod
            .status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .unwrap_or("");
        if phase == "Succeeded" || phase == "Failed" {
            // Terminal: nothing runs again; the sandbox goes.
            self.terminate(Some(&pod), &observed, grace_period(&pod))
                .await;
            return Ok(Next::After(Duration::from_secs(60)));
        }
        // Volumes before the sandbox, as upstream mounts them first.
        if !self.volumes_ready {
            match glue::setup_volumes(&self.shared, &pod, &mut self.volumes).await {
                Ok(()) => self.volumes_ready = true,
                Err(failures) => {
                    for message in failures {
                        self.event(&pod, None, true, "FailedMount", message).await;
                    }
                    self.post_status(&pod, &observed).await;
                    return Ok(Next::After(Duration::from_secs(5)));
                }
            }
        } else if let Some(volumes) = self.volumes.as_mut() {
            glue::refresh_volumes(&self.shared, &pod, volumes).await;
        }
        // The sandbox.
        let sandbox = match observed.sandbox() {
            Some(sandbox) if sandbox.ready => sandbox.clone(),
            existing => {
                let attempt = match existing {
                    Some(old) => {
                        self.event(
                            &pod,
                            None,
                            false,
                            "SandboxChanged",
                            "Pod sandbox changed, it will be killed and re-created.".into(),
                        )
                        .await;
                        self.terminate(Some(&pod), &observed, grace_period(&pod))
                            .await;
                        old.attempt + 1
                    }
                    None => 0,
                };
                match self.create_sandbox(&pod, attempt).await {
                    Ok(()) => {}
                    Err(message) => {
                        self.event(
                            &pod,
                            None,
                            true,
                            "FailedCreatePodSandBox",
                            format!("Failed to create pod sandbox: {message}"),
                        )
                        .await;
                        self.post_status(&pod, &observed).await;
                        return Ok(Next::After(Duration::from_secs(5)));
                    }
                }
                return Ok(Next::After(Duration::from_millis(0)));
            }
        };
        let pod_ip = self.pod_ip(&pod, &sandbox.id).await;
        // Liveness failures: kill, the restart below follows the policy.
        let unhealthy: Vec<(String, String)> = observed
            .all()
            .filter(|a| a.state == State::Running)
            .filter(|a| self.unhealthy.contains_key(&a.id))
            .map(|a| (a.id.clone(), a.name.clone()))
            .collect();
        for (id, name) in unhealthy {
            self.event(
                &pod,
                Some(&name),
                false,
                "Killing",
                format!("Container {name} failed liveness probe, will be restarted"),
            )
            .await;
            self.stop_container(&pod, &id, &name, grace_period(&pod))
                .await;
            self.unhealthy.remove(&id);
            self.probes.remove(&id);
        }
        let mut next = Duration::from_secs(10);
        let observed = self.cache.observe(&cri, &self.uid).await?;
        let policy = status::restart_policy(&pod).to_string();
        // Init containers, in order.
        let spec = pod.spec.clone().unwrap_or_default();
        let mut init_done = true;
        for container in spec.init_containers.iter().flatten() {
            let latest = observed.latest(&container.name).cloned();
            let sidecar = status::is_sidecar(container);
            match latest {
                Some(a) if a.state == State::Running => {
                    self.ensure_probes(&pod, container, &a, pod_ip.as_deref());
                    if sidecar {
                        continue;
                    }
                    init_done = false;
                    break;
                }
                Some(a) if a.state == State::Exited && a.exit_code == 0 && !sidecar => continue,
                Some(a) if a.state == State::Exited => {
                    let restart = sidecar || policy != "Never";
                    if !restart {
                        init_done = false;
                        break;
                    }
                    if let Some(wait) = self
                        .start_after_backoff(
                            &pod,
                            container,
                            Some(&a),
                            &sandbox.id,
                            pod_ip.as_deref(),
                        )
                        .await
                    {
                        next = next.min(wait);
                    }
                    if !sidecar {
                        init_done = false;
                        break;
                    }
                }
                _ => {
                    if let Some(wait) = self
                        .start_after_backoff(&pod, container, None, &sandbox.id, pod_ip.as_deref())
                        .await
                    {
                        next = next.min(wait);
                    }
                    if !sidecar {
                        init_done = false;
                        break;
                    }
                    next = next.min(Duration::from_millis(500));
                }
            }
        }
        if init_done && status::init_state(&pod, &observed) != Init::Failed {
            for container in &spec.containers {
                let latest = observed.latest(&container.name).cloned();
                match latest {
                    Some(a) if a.state == State::Running => {
                        self.memory
                            .entry(container.name.clone())
                            .or_default()
                            .waiting = None;
                        self.ensure_probes(&pod, container, &a, pod_ip.as_deref());
                        // A container that ran long enough forgets its back-off.
                        if now_nanos() - a.started_at
                            > super::backoff::RESET_AFTER.as_nanos() as i64
                        {
                            self.restarts.reset(&container.name);
                        }
                    }
                    Some(a) if a.state == State::Exited => {
                        let restart =
                            policy == "Always" || (policy == "OnFailure" && a.exit_code != 0);
                        if restart {
                            if let Some(wait) = self
                                .start_after_backoff(
                                    &pod,
                                    container,
                                    Some(&a),
                                    &sandbox.id,
                                    pod_ip.as_deref(),
                                )
                                .await
                            {
                                next = next.min(wait);
                            }
                        } else {
                            self.memory
                                .entry(container.name.clone())
                                .or_default()
                                .waiting = None;
                        }
                    }
                    _ => {
                        if let Some(wait) = self
                            .start_after_backoff(
                                &pod,
                                container,
                                None,
                                &sandbox.id,
                                pod_ip.as_deref(),
                            )
                            .await
                        {
                            next = next.min(wait);
                        }
                    }
                }
            }
        }
        let observed = self.cache.observe(&cri, &self.uid).await?;
        let phase = status::phase(&pod, &observed);
        if phase == "Succeeded" || phase == "Failed" {
            // Sidecars end with the pod; the sandbox is stopped.
            self.terminate(Some(&pod), &observed, grace_period(&pod))
                .await;
        }
        self.post_status(&pod, &observed).await;
        Ok(Next::After(next))
    }

    async fn pod_ip(&mut self, pod: &Pod, sandbox: &str) -> Option<String> {
        let host_network = pod
            .spec
            .as_ref()
            .and_then(|s| s.host_network)
            .unwrap_or(false);
        if host_network {
            return Some(self.shared.options.node_ip.to_string());
        }
        if let Some(ip) = self.ips.get(sandbox) {
            return ip.clone();
        }
        let status = self
            .shared
            .cri
            .runtime()
            .pod_sandbox_status(cri::PodSandboxStatusRequest {
                pod_sandbox_id: sandbox.to_string(),
                verbose: false,
            })
            .await
            .ok()?
            .into_inner()
            .status?;
        let ip = status.network.map(|n| n.ip).filter(|ip| !ip.is_empty());
        self.ips.insert(sandbox.to_string(), ip.clone());
        ip
    }

    async fn create_sandbox(&mut self, pod: &Pod, attempt: u32) -> Result<(), String> {
        let options = &self.shared.options;
        let config = spec::sandbox_config(
            pod,
            attempt,
            &options.log_dir(),
            &options.cgroup_root,
            glue::dns_config(&self.shared, pod),
        );
        let _ = std::fs::create_dir_all(&config.log_directory);
        let response = self
            .shared
            .cri
            .runtime()
            .run_pod_sandbox(cri::RunPodSandboxRequest {
                config: Some(config),
                runtime_handler: String::new(),
            })
            .await
            .map_err(|status| status.message().to_string())?;
        tracing::debug!(pod = spec::name(pod), sandbox = %response.into_inner().pod_sandbox_id, "sandbox running");
        Ok(())
    }

    /// Starts `container` unless its restart back-off holds it; returns how
    /// long until it may start when held.
    async fn start_after_backoff(
        &mut self,
        pod: &Pod,
        container: &Container,
        exited: Option<&Attempt>,
        sandbox: &str,
        pod_ip: Option<&str>,
    ) -> Option<Duration> {
        if let Some(exited) = exited {
            if let Some(delay) = self.restarts.delay(&container.name) {
                let until = exited.finished_at.saturating_add(delay.as_nanos() as i64);
                let now = now_nanos();
                if now < until {
                    let message = format!(
                        "back-off {}s restarting failed container={} pod={}_{}({})",
                        delay.as_secs(),
                        container.name,
                        spec::name(pod),
                        spec::namespace(pod),
                        spec::uid(pod)
                    );
                    self.event_once(
                        format!("backoff/{}/{}", container.name, exited.attempt),
                        pod,
                        Some(&container.name),
                        true,
                        "BackOff",
                        "Back-off restarting failed container".to_string()
                            + &format!(
                                " {} in pod {}_{}({})",
                                container.name,
                                spec::name(pod),
                                spec::namespace(pod),
                                spec::uid(pod)
                            ),
                    )
                    .await;
                    self.memory
                        .entry(container.name.clone())
                        .or_default()
                        .waiting = Some(("CrashLoopBackOff".into(), message));
                    return Some(Duration::from_nanos((until - now) as u64));
                }
            }
            self.restarts.next(&container.name, now_nanos());
        }
        let attempt = exited.map(|a| a.attempt + 1).unwrap_or(0);
        match self
            .start_container(pod, container, attempt, sandbox, pod_ip)
            .await
        {
            Ok(()) => {
                self.memory
                    .entry(container.name.clone())
                    .or_default()
                    .waiting = None;
                None
            }
            Err((reason, message, retry)) => {
                self.memory
                    .entry(container.name.clone())
                    .or_default()
                    .waiting = Some((reason, message));
                Some(retry)
            }
        }
    }

    /// Pulls if needed, creates and starts one container attempt, then runs
    /// its postStart hook. Errors are (waiting reason, message, retry after).
    async fn start_container(
        &mut self,
        pod: &Pod,
        container: &Container,
        attempt: u32,
        sandbox: &str,
        pod_ip: Option<&str>,
    ) -> Result<(), (String, String, Duration)> {
        let image = container.image.clone().unwrap_or_default();
        let image_ref = self.ensure_image(pod, container, &image).await?;
        let mut config = spec::container_config(pod, container, attempt, &image);
        let env = glue::container_env(&self.shared, pod, container, pod_ip)
            .await
            .map_err(|message| {
                (
                    "CreateContainerConfigError".to_string(),
                    message,
                    Duration::from_secs(5),
                )
            })?;
        let (command, args) = crate::env::command_and_args(container, &env);
        config.command = command;
        config.args = args;
        if let Some(volumes) = &self.volumes {
            config.mounts = glue::mounts(volumes, container, &env).map_err(|message| {
                (
                    "CreateContainerConfigError".to_string(),
                    message,
                    Duration::from_secs(5),
                )
            })?;
        }
        config.envs = crate::env::to_cri(&env);
        let options = &self.shared.options;
        let sandbox_config = spec::sandbox_config(
            pod,
            0,
            &options.log_dir(),
            &options.cgroup_root,
            glue::dns_config(&self.shared, pod),
        );
        let runtime = self.shared.cri.runtime();
        let created = runtime
            .clone()
            .create_container(cri::CreateContainerRequest {
                pod_sandbox_id: sandbox.to_string(),
                config: Some(config),
                sandbox_config: Some(sandbox_config),
            })
            .await;
        let id = match created {
            Ok(response) => response.into_inner().container_id,
            Err(status) => {
                let message = status.message().to_string();
                self.event(
                    pod,
                    Some(&container.name),
                    true,
                    "Failed",
                    format!("Error: {message}"),
                )
                .await;
                return Err((
                    "CreateContainerError".into(),
                    message,
                    Duration::from_secs(5),
                ));
            }
        };
        let _ = image_ref;
        self.event(
            pod,
            Some(&container.name),
            false,
            "Created",
            format!("Created container: {}", container.name),
        )
        .await;
        if let Err(status) = runtime
            .clone()
            .start_container(cri::StartContainerRequest {
                container_id: id.clone(),
            })
            .await
        {
            let message = status.message().to_string();
            self.event(
                pod,
                Some(&container.name),
                true,
                "Failed",
                format!("Error: {message}"),
            )
            .await;
            return Err(("RunContainerError".into(), message, Duration::from_secs(5)));
        }
        self.event(
            pod,
            Some(&container.name),
            false,
            "Started",
            format!("Started container {}", container.name),
        )
        .await;
        let memory = self.memory.entry(container.name.clone()).or_default();
        memory.ready = false;
        memory.started = false;
        if let Some(handler) = container
            .lifecycle
            .as_ref()
            .and_then(|l| l.post_start.as_ref())
        {
            if let Err(message) =
                glue::run_hook(&self.shared, handler, pod, &id, container, pod_ip).await
            {
                self.event(
                    pod,
                    Some(&container.name),
                    true,
                    "FailedPostStartHook",
                    message,
                )
                .await;
                self.stop_container(pod, &id, &container.name, grace_period(pod))
                    .await;
            }
        }
        Ok(())
    }

    /// Makes sure the image is present as the pull policy asks.
    async fn ensure_image(
        &mut self,
        pod: &Pod,
        container: &Container,
        image: &str,
    ) -> Result<String, (String, String, Duration)> {
        let policy = container.image_pull_policy.clone().unwrap_or_else(|| {
            if image.ends_with(":latest")
                || !image.rsplit('/').next().unwrap_or(image).contains(':')
            {
                "Always".into()
            } else {
                "IfNotPresent".into()
            }
        });
        let images = self.shared.cri.images();
        let present = images
            .clone()
            .image_status(cri::ImageStatusRequest {
                image: Some(cri::ImageSpec {
                    image: image.to_string(),
                    ..Default::default()
                }),
                verbose: false,
            })
            .await
            .ok()
            .and_then(|r| r.into_inner().image)
            .map(|i| i.id);
        match (policy.as_str(), present) {
            ("Never", None) => {
                let message =
                    format!("Container image \"{image}\" is not present with pull policy of Never");
                self.event_once(
                    format!("never/{image}"),
                    pod,
                    Some(&container.name),
                    true,
                    "ErrImageNeverPull",
                    message.clone(),
                )
                .await;
                return Err(("ErrImageNeverPull".into(), message, Duration::from_secs(10)));
            }
            ("Never" | "IfNotPresent", Some(id)) => {
                self.event_once(
                    format!("present/{}/{image}", container.name),
                    pod,
                    Some(&container.name),
                    false,
                    "Pulled",
                    format!("Container image \"{image}\" already present on machine"),
                )
                .await;
                return Ok(id);
            }
            _ => {}
        }
        let key = format!("{}/{image}", container.name);
        if let Some(delay) = self.pulls.remaining(&key, now_nanos()) {
            return Err((
                "ImagePullBackOff".into(),
                format!("Back-off pulling image \"{image}\""),
                delay,
            ));
        }
        self.event(
            pod,
            Some(&container.name),
            false,
            "Pulling",
            format!("Pulling image \"{image}\""),
        )
        .await;
        match images
            .clone()
            .pull_image(cri::PullImageRequest {
                image: Some(cri::ImageSpec {
                    image: image.to_string(),
                    ..Default::default()
                }),
                auth: None,
                sandbox_config: None,
            })
            .await
        {
            Ok(response) => {
                self.pulls.reset(&key);
                self.event(
                    pod,
                    Some(&container.name),
                    false,
                    "Pulled",
                    format!("Successfully pulled image \"{image}\""),
                )
                .await;
                Ok(response.into_inner().image_ref)
            }
            Err(status) => {
                self.pulls.next(&key, now_nanos());
                let message = format!("Failed to pull image \"{image}\": {}", status.message());
                self.event(pod, Some(&container.name), true, "Failed", message.clone())
                    .await;
                Err((
                    "ErrImagePull".into(),
                    message,
                    self.pulls.delay(&key).unwrap_or(super::backoff::INITIAL),
                ))
            }
        }
    }

    fn ensure_probes(
        &mut self,
        pod: &Pod,
        container: &Container,
        attempt: &Attempt,
        pod_ip: Option<&str>,
    ) {
        if self.probes.contains_key(&attempt.id) {
            return;
        }
        let memory = self.memory.entry(container.name.clone()).or_default();
        memory.ready = container.readiness_probe.is_none();
        memory.started = container.startup_probe.is_none();
        let probes = glue::spawn_probes(
            &self.shared,
            pod,
            container,
            &attempt.id,
            pod_ip,
            self.probe_tx.clone(),
            self.event_tx.clone(),
        );
        self.probes.insert(attempt.id.clone(), probes);
    }

    async fn stop_container(&mut self, pod: &Pod, id: &str, name: &str, grace: i64) {
        let container = pod
            .spec
            .as_ref()
            .and_then(|s| {
                s.containers
                    .iter()
                    .chain(s.init_containers.iter().flatten())
                    .find(|c| c.name == name)
            })
            .cloned();
        let started = std::time::Instant::now();
        if let Some(handler) = container
            .as_ref()
            .and_then(|c| c.lifecycle.as_ref())
            .and_then(|l| l.pre_stop.as_ref())
        {
            let Some(spec) = container.as_ref() else {
                return;
            };
            let hook = glue::run_hook(&self.shared, handler, pod, id, spec, None);
            match tokio::time::timeout(Duration::from_secs(grace.max(0) as u64), hook).await {
                Ok(Ok(())) => {}
                Ok(Err(message)) => {
                    self.event(pod, Some(name), true, "FailedPreStopHook", message)
                        .await
                }
                Err(_) => {}
            }
        }
        let left = (grace - started.elapsed().as_secs() as i64).max(0);
        self.probes.remove(id);
        let _ = self
            .shared
            .cri
            .runtime()
            .stop_container(cri::StopContainerRequest {
                container_id: id.to_string(),
                timeout: left,
            })
            .await;
    }

    /// Stops every running container (preStop hooks first, TERM then KILL
    /// after the grace period), then the sandbox.
    async fn terminate(&mut self, pod: Option<&Pod>, observed: &Observed, grace: i64) {
        let running: Vec<(String, String)> = observed
            .all()
            .filter(|a| a.state == State::Running || a.state == State::Created)
            .map(|a| (a.id.clone(), a.name.clone()))
            .collect();
        let mut stops = Vec::new();
        for (id, name) in running {
            if let Some(pod) = pod {
                self.event(
                    pod,
                    Some(&name),
                    false,
                    "Killing",
                    format!("Stopping container {name}"),
                )
                .await;
            }
            let shared = self.shared.clone();
            let pod = pod.cloned();
            stops.push(async move {
                let container = pod.as_ref().and_then(|p| p.spec.as_ref()).and_then(|s| {
                    s.containers
                        .iter()
                        .chain(s.init_containers.iter().flatten())
                        .find(|c| c.name == name)
                        .cloned()
                });
                let started = std::time::Instant::now();
                if let Some(container) = &container {
                    if let Some(handler) = container
                        .lifecycle
                        .as_ref()
                        .and_then(|l| l.pre_stop.as_ref())
                    {
                        if let Some(pod) = &pod {
                            let _ = tokio::time::timeout(
                                Duration::from_secs(grace as u64),
                                glue::run_hook(&shared, handler, pod, &id, container, None),
                            )
                            .await;
                        }
                    }
                }
                let left = (grace - started.elapsed().as_secs() as i64).max(0);
                let _ = shared
                    .cri
                    .runtime()
                    .stop_container(cri::StopContainerRequest {
                        container_id: id,
                        timeout: left,
                    })
                    .await;
            });
        }
        futures::future::join_all(stops).await;
        self.probes.clear();
        for sandbox in observed.sandboxes.iter().filter(|s| s.ready) {
            let _ = self
                .shared
                .cri
                .runtime()
                .stop_pod_sandbox(cri::StopPodSandboxRequest {
                    pod_sandbox_id: sandbox.id.clone(),
                })
                .await;
        }
    }

    /// Removes the pod's sandboxes (and with them its containers) and volumes.
    async fn clean_up(&mut self, observed: &Observed) {
        for sandbox in &observed.sandboxes {
            let runtime = self.shared.cri.runtime();
            let _ = runtime
                .clone()
                .stop_pod_sandbox(cri::StopPodSandboxRequest {
                    pod_sandbox_id: sandbox.id.clone(),
                })
                .await;
            let _ = runtime
                .clone()
                .remove_pod_sandbox(cri::RemovePodSandboxRequest {
                    pod_sandbox_id: sandbox.id.clone(),
                })
                .await;
        }
        self.volumes = None;
        glue::teardown_volumes(&self.shared, &self.uid).await;
        self.shared.forget_pod(&self.uid);
    }

    async fn post_status(&mut self, pod: &Pod, observed: &Observed) {
        let sandbox_ip = match observed.sandbox() {
            Some(s) => self.ips.get(&s.id).cloned().flatten(),
            None => None,
        };
        let host_network = pod
            .spec
            .as_ref()
            .and_then(|s| s.host_network)
            .unwrap_or(false);
        let node_ip = self.shared.options.node_ip.to_string();
        let pod_ip = if host_network {
            Some(node_ip.clone())
        } else {
            sandbox_ip
        };
        let now = now_time();
        let status = status::compute(
            pod,
            &status::Inputs {
                observed,
                memory: &self.memory,
                host_ip: &node_ip,
                pod_ip: pod_ip.as_deref(),
                runtime: &self.shared.runtime_name,
                now: &now,
            },
        );
        let mut seen = pod.clone();
        if let Ok(typed) = serde_json::from_value(status.clone()) {
            seen.status = Some(typed);
        }
        self.shared.remember_pod(&self.uid, seen);
        if self.last_status.as_ref() == Some(&status) {
            return;
        }
        // Compare with what the API holds, so a kubelet restart posts only changes.
        let pods: Api<Pod> = Api::namespaced(self.shared.client.clone(), spec::namespace(pod));
        let patch = json!({"metadata": {"uid": spec::uid(pod)}, "status": status});
        match pods
            .patch_status(
                spec::name(pod),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await
        {
            Ok(_) => self.last_status = Some(status),
            Err(error) => tracing::debug!(pod = spec::name(pod), "posting pod status: {error}"),
        }
    }
}
