//! The scheduler: binds each pod that names this scheduler and no node to the
//! best node, as upstream's kube-scheduler does.
//!
//! It is an ordinary API client. Watches of nodes and pods feed the [`cache`]
//! (nodes and what is placed on them, including pods assumed but not yet
//! bound) and the [`queue`] (active, backoff and unschedulable pods). One loop
//! pops a pod, runs the [`framework`]'s filter and score [`plugins`] against a
//! consistent view of the cache, assumes the pod on the chosen node and writes
//! the binding (`POST pods/NAME/binding`) in the background. A pod that fits
//! nowhere gets upstream's PodScheduled=False condition and FailedScheduling
//! event, and waits in the unschedulable pool until the cluster changes.
//!
//! Start at [`run`]; the plugins are pure functions over `k8s-openapi` values.

pub mod cache;
mod error;
pub mod framework;
pub mod plugins;
pub mod preemption;
pub mod profile;
pub mod queue;
pub mod resources;
mod scheduler;
#[cfg(test)]
mod test_util;

pub use error::Error;
pub use scheduler::run;

/// The scheduler name pods get by default (`spec.schedulerName`).
pub const DEFAULT_SCHEDULER_NAME: &str = "default-scheduler";

/// How the scheduler runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// One profile per scheduler name: pods whose `spec.schedulerName` names
    /// one are ours (upstream's default: one profile, `default-scheduler`).
    pub profiles: Vec<profile::Profile>,
    pub queue: queue::Config,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            profiles: vec![profile::Profile::default_named(DEFAULT_SCHEDULER_NAME)],
            queue: queue::Config::default(),
        }
    }
}
