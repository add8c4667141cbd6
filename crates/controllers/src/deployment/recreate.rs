//! The Recreate strategy, as upstream's `recreate.go`: all old pods go before
//! any new pod is created.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};

use super::{util, DeploymentController};
use crate::Error;

impl DeploymentController {
    pub(super) async fn rollout_recreate(
        &self,
        mut d: Deployment,
        sets: Vec<ReplicaSet>,
    ) -> Result<Option<Duration>, Error> {
        let all = sets.clone();
        let mut sets = self.get_all_replica_sets(&mut d, sets, false).await?;
        let mut scaled_down = false;
        for i in 0..sets.old.len() {
            let rs = sets.old[i].clone();
            if util::spec_replicas(&rs) == 0 {
                continue;
            }
            let (scaled, updated) = self.scale_replica_set(&d, &rs, 0).await?;
            sets.old[i] = updated;
            scaled_down |= scaled;
        }
        if scaled_down {
            return self.sync_rollout_status(d, &sets).await;
        }
        // Old pods still running (a set's status counts its active pods).
        if sets.old.iter().any(|rs| util::status_replicas(rs) > 0) {
            return self.sync_rollout_status(d, &sets).await;
        }
        if sets.new.is_none() {
            sets = self.get_all_replica_sets(&mut d, all, true).await?;
        }
        if let Some(new) = sets.new.clone() {
            let (_, updated) = self.scale_replica_set(&d, &new, util::replicas(&d)).await?;
            sets.new = Some(updated);
        }
        if super::progress::deployment_complete(&d, &d.status.clone().unwrap_or_default()) {
            self.cleanup(&d, &sets.old).await?;
        }
        self.sync_rollout_status(d, &sets).await
    }
}
