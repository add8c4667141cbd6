//! What the runtime holds for one pod, read through CRI: its sandboxes and
//! every attempt of every container, newest first. Exited containers never
//! change again, so their full statuses are cached by container ID.

use std::collections::HashMap;

use crate::cri::api as cri;
use crate::cri::{labels, Cri, CriError};

/// A container attempt as the worker needs it.
#[derive(Clone, Debug, Default)]
pub struct Attempt {
    pub id: String,
    pub name: String,
    pub attempt: u32,
    pub state: State,
    pub created_at: i64,
    /// Nanoseconds since the epoch; 0 when not yet started / finished.
    pub started_at: i64,
    pub finished_at: i64,
    pub exit_code: i32,
    /// The runtime's reason (`OOMKilled`, `Completed`, `Error`).
    pub reason: String,
    pub message: String,
    pub image_ref: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum State {
    #[default]
    Created,
    Running,
    Exited,
    Unknown,
}

impl State {
    fn from_cri(state: i32) -> State {
        match cri::ContainerState::try_from(state) {
            Ok(cri::ContainerState::ContainerRunning) => State::Running,
            Ok(cri::ContainerState::ContainerExited) => State::Exited,
            Ok(cri::ContainerState::ContainerCreated) => State::Created,
            _ => State::Unknown,
        }
    }
}

/// The pod's newest sandbox.
#[derive(Clone, Debug)]
pub struct Sandbox {
    pub id: String,
    pub attempt: u32,
    pub ready: bool,
}

/// A pod as the runtime holds it.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// Every sandbox of the pod, newest first.
    pub sandboxes: Vec<Sandbox>,
    /// Per container name, its attempts, newest first.
    pub containers: HashMap<String, Vec<Attempt>>,
}

impl Observed {
    pub fn sandbox(&self) -> Option<&Sandbox> {
        self.sandboxes.first()
    }

    pub fn latest(&self, name: &str) -> Option<&Attempt> {
        self.containers.get(name).and_then(|a| a.first())
    }

    pub fn previous(&self, name: &str) -> Option<&Attempt> {
        self.containers.get(name).and_then(|a| a.get(1))
    }

    pub fn all(&self) -> impl Iterator<Item = &Attempt> {
        self.containers.values().flatten()
    }
}

/// Full statuses of containers, by ID; finished ones never change.
#[derive(Default)]
pub struct StatusCache {
    statuses: HashMap<String, Attempt>,
}

impl StatusCache {
    /// Reads the pod `uid` from the runtime.
    pub async fn observe(&mut self, cri: &Cri, uid: &str) -> Result<Observed, CriError> {
        let selector: HashMap<String, String> =
            [(labels::POD_UID.to_string(), uid.to_string())].into();
        let mut sandboxes: Vec<(i64, Sandbox)> = cri
            .runtime()
            .list_pod_sandbox(cri::ListPodSandboxRequest {
                filter: Some(cri::PodSandboxFilter {
                    label_selector: selector.clone(),
                    ..Default::default()
                }),
            })
            .await?
            .into_inner()
            .items
            .into_iter()
            .map(|s| {
                (
                    s.created_at,
                    Sandbox {
                        attempt: s.metadata.as_ref().map(|m| m.attempt).unwrap_or(0),
                        ready: s.state == cri::PodSandboxState::SandboxReady as i32,
                        id: s.id,
                    },
                )
            })
            .collect();
        sandboxes.sort_by_key(|(created, _)| std::cmp::Reverse(*created));
        let listed = cri
            .runtime()
            .list_containers(cri::ListContainersRequest {
                filter: Some(cri::ContainerFilter {
                    label_selector: selector,
                    ..Default::default()
                }),
            })
            .await?
            .into_inner()
            .containers;
        let mut containers: HashMap<String, Vec<Attempt>> = HashMap::new();
        let live: std::collections::HashSet<String> = listed.iter().map(|c| c.id.clone()).collect();
        self.statuses.retain(|id, _| live.contains(id));
        for container in listed {
            let state = State::from_cri(container.state);
            let cached = self
                .statuses
                .get(&container.id)
                .filter(|a| a.state == state || a.state == State::Exited)
                .cloned();
            let attempt = match cached {
                Some(attempt) => attempt,
                None => {
                    let attempt = match status(cri, &container).await {
                        Ok(attempt) => attempt,
                        Err(error) if error.is_not_found() => continue,
                        Err(error) => return Err(error),
                    };
                    if matches!(attempt.state, State::Exited | State::Running) {
                        self.statuses.insert(container.id.clone(), attempt.clone());
                    }
                    attempt
                }
            };
            containers
                .entry(attempt.name.clone())
                .or_default()
                .push(attempt);
        }
        for attempts in containers.values_mut() {
            attempts.sort_by_key(|a| std::cmp::Reverse((a.attempt, a.created_at)));
        }
        Ok(Observed {
            sandboxes: sandboxes.into_iter().map(|(_, s)| s).collect(),
            containers,
        })
    }
}

async fn status(cri: &Cri, container: &cri::Container) -> Result<Attempt, CriError> {
    let status = cri
        .runtime()
        .container_status(cri::ContainerStatusRequest {
            container_id: container.id.clone(),
            verbose: false,
        })
        .await?
        .into_inner()
        .status
        .unwrap_or_default();
    let metadata = container.metadata.clone().unwrap_or_default();
    Ok(Attempt {
        id: container.id.clone(),
        name: metadata.name,
        attempt: metadata.attempt,
        state: State::from_cri(status.state),
        created_at: status.created_at,
        started_at: status.started_at,
        finished_at: status.finished_at,
        exit_code: status.exit_code,
        reason: status.reason,
        message: status.message,
        image_ref: status.image_ref,
    })
}
