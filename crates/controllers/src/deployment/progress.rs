//! The Progressing condition, as upstream's `progress.go`: True while the
//! rollout advances (ReplicaSetUpdated, NewReplicaSetCreated), True with
//! NewReplicaSetAvailable once complete, False with ProgressDeadlineExceeded
//! when nothing advanced for `progressDeadlineSeconds`.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentStatus};
use k8s_openapi::jiff::Timestamp;

use super::sync::{
    calculate_status, condition, new_condition, remove_condition, set_condition, Sets,
};
use super::{util, DeploymentController};
use crate::Error;

/// All replicas updated and available, none old, generation observed
/// (upstream's `DeploymentComplete`).
pub(super) fn deployment_complete(d: &Deployment, status: &DeploymentStatus) -> bool {
    let wanted = util::replicas(d);
    status.updated_replicas.unwrap_or(0) == wanted
        && status.replicas.unwrap_or(0) == wanted
        && status.available_replicas.unwrap_or(0) == wanted
        && status.observed_generation >= d.metadata.generation
}

/// The new status shows the rollout moving (upstream's `DeploymentProgressing`).
fn deployment_progressing(d: &Deployment, new: &DeploymentStatus) -> bool {
    let old = d.status.clone().unwrap_or_default();
    let old_replicas =
        |s: &DeploymentStatus| s.replicas.unwrap_or(0) - s.updated_replicas.unwrap_or(0);
    new.updated_replicas.unwrap_or(0) > old.updated_replicas.unwrap_or(0)
        || old_replicas(new) < old_replicas(&old)
        || new.ready_replicas.unwrap_or(0) > old.ready_replicas.unwrap_or(0)
        || new.available_replicas.unwrap_or(0) > old.available_replicas.unwrap_or(0)
}

fn deadline(d: &Deployment) -> i64 {
    i64::from(
        d.spec
            .as_ref()
            .and_then(|s| s.progress_deadline_seconds)
            .unwrap_or(600),
    )
}

/// Nothing advanced within the deadline (upstream's `DeploymentTimedOut`).
fn timed_out(d: &Deployment, status: &DeploymentStatus, now: Timestamp) -> bool {
    if !util::has_progress_deadline(d) {
        return false;
    }
    let Some(current) = condition(status, "Progressing") else {
        return false;
    };
    match current.reason.as_deref() {
        Some("NewReplicaSetAvailable") => return false,
        Some("ProgressDeadlineExceeded") => return true,
        _ => {}
    }
    let Some(from) = current.last_update_time.as_ref() else {
        return false;
    };
    from.0.as_second() + deadline(d) < now.as_second()
}

impl DeploymentController {
    /// Writes the status with the Progressing condition brought up to date;
    /// returns when the deadline check is due (upstream's `syncRolloutStatus`
    /// and `requeueStuckDeployment`).
    pub(super) async fn sync_rollout_status(
        &self,
        d: Deployment,
        sets: &Sets,
    ) -> Result<Option<Duration>, Error> {
        let mut status = calculate_status(&d, sets);
        let now = Timestamp::now();
        let new_name = sets
            .new
            .as_ref()
            .and_then(|rs| rs.metadata.name.clone())
            .unwrap_or_default();
        let paused = d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
        if !util::has_progress_deadline(&d) {
            remove_condition(&mut status, "Progressing");
        } else if !paused {
            let current = condition(&status, "Progressing").cloned();
            if deployment_complete(&d, &status) {
                if current.as_ref().and_then(|c| c.reason.as_deref())
                    != Some("NewReplicaSetAvailable")
                {
                    let message = format!("ReplicaSet \"{new_name}\" has successfully progressed.");
                    let condition =
                        new_condition("Progressing", "True", "NewReplicaSetAvailable", message);
                    set_condition(&mut status, condition);
                }
            } else if sets.created {
                let message = format!("Created new replica set \"{new_name}\"");
                set_condition(
                    &mut status,
                    new_condition("Progressing", "True", "NewReplicaSetCreated", message),
                );
            } else if deployment_progressing(&d, &status) {
                let message = format!("ReplicaSet \"{new_name}\" is progressing.");
                let mut condition =
                    new_condition("Progressing", "True", "ReplicaSetUpdated", message);
                if let Some(current) = current.as_ref().filter(|c| c.status == "True") {
                    condition.last_transition_time = current.last_transition_time.clone();
                }
                remove_condition(&mut status, "Progressing");
                set_condition(&mut status, condition);
            } else if current.is_none() && sets.new.is_some() {
                let message = format!("Found new replica set \"{new_name}\"");
                set_condition(
                    &mut status,
                    new_condition("Progressing", "True", "FoundNewReplicaSet", message),
                );
            } else if timed_out(&d, &status, now) {
                let message = format!("ReplicaSet \"{new_name}\" has timed out progressing.");
                set_condition(
                    &mut status,
                    new_condition("Progressing", "False", "ProgressDeadlineExceeded", message),
                );
            }
        }
        // The new set's failure to create pods shows on the deployment too.
        let failure = sets.new.as_ref().and_then(|rs| {
            rs.status
                .as_ref()?
                .conditions
                .as_ref()?
                .iter()
                .find(|c| c.type_ == "ReplicaFailure")
                .cloned()
        });
        match failure {
            Some(failure) => set_condition(
                &mut status,
                new_condition(
                    "ReplicaFailure",
                    &failure.status,
                    failure.reason.as_deref().unwrap_or_default(),
                    failure.message.unwrap_or_default(),
                ),
            ),
            None => remove_condition(&mut status, "ReplicaFailure"),
        }
        let complete = deployment_complete(&d, &status);
        let requeue = if util::has_progress_deadline(&d) && !complete && !paused {
            condition(&status, "Progressing")
                .filter(|c| c.reason.as_deref() != Some("ProgressDeadlineExceeded"))
                .and_then(|c| c.last_update_time.as_ref())
                .map(|at| {
                    let left = at.0.as_second() + deadline(&d) - now.as_second();
                    Duration::from_secs(left.max(0) as u64 + 1)
                })
        } else {
            None
        };
        self.write_status(&d, status).await?;
        Ok(requeue)
    }
}
