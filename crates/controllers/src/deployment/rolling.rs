//! The RollingUpdate strategy, as upstream's `rolling.go`: scale the new set
//! up as far as maxSurge allows, scale old sets down as far as maxUnavailable
//! allows (unhealthy replicas first), one step per sync.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};

use super::sync::{by_creation, Sets};
use super::{util, DeploymentController};
use crate::Error;

impl DeploymentController {
    pub(super) async fn rollout_rolling(
        &self,
        mut d: Deployment,
        sets: Vec<ReplicaSet>,
    ) -> Result<Option<Duration>, Error> {
        let mut sets = self.get_all_replica_sets(&mut d, sets, true).await?;
        if self.reconcile_new_replica_set(&d, &mut sets).await? {
            return self.sync_rollout_status(d, &sets).await;
        }
        if self.reconcile_old_replica_sets(&d, &mut sets).await? {
            return self.sync_rollout_status(d, &sets).await;
        }
        if super::progress::deployment_complete(&d, &d.status.clone().unwrap_or_default()) {
            self.cleanup(&d, &sets.old).await?;
        }
        self.sync_rollout_status(d, &sets).await
    }

    async fn reconcile_new_replica_set(
        &self,
        d: &Deployment,
        sets: &mut Sets,
    ) -> Result<bool, Error> {
        let Some(new) = sets.new.clone() else {
            return Ok(false);
        };
        let wanted = util::replicas(d);
        let current = util::spec_replicas(&new);
        let target = if current >= wanted {
            wanted
        } else {
            util::new_rs_new_replicas(d, &sets.all(), current)
        };
        if target == current {
            return Ok(false);
        }
        let (scaled, updated) = self.scale_replica_set(d, &new, target).await?;
        sets.new = Some(updated);
        Ok(scaled)
    }

    async fn reconcile_old_replica_sets(
        &self,
        d: &Deployment,
        sets: &mut Sets,
    ) -> Result<bool, Error> {
        let old_pods: i32 = sets.old.iter().map(util::spec_replicas).sum();
        if old_pods == 0 {
            return Ok(false);
        }
        let all_pods: i32 = sets.all().iter().map(|rs| util::spec_replicas(rs)).sum();
        let min_available = util::replicas(d) - util::max_unavailable(d);
        let new_unavailable = sets
            .new
            .as_ref()
            .map(|rs| util::spec_replicas(rs) - util::available(rs))
            .unwrap_or(0);
        let max_scaled_down = all_pods - min_available - new_unavailable;
        if max_scaled_down <= 0 {
            return Ok(false);
        }
        let cleaned = self
            .cleanup_unhealthy_replicas(d, sets, max_scaled_down)
            .await?;
        let scaled = self.scale_down_old_for_rolling_update(d, sets).await?;
        Ok(cleaned + scaled > 0)
    }

    /// Scales old sets down by their unavailable replicas, oldest first, at
    /// most `max_cleanup` in all.
    async fn cleanup_unhealthy_replicas(
        &self,
        d: &Deployment,
        sets: &mut Sets,
        max_cleanup: i32,
    ) -> Result<i32, Error> {
        by_creation(&mut sets.old);
        let mut total = 0;
        for i in 0..sets.old.len() {
            if total >= max_cleanup {
                break;
            }
            let rs = sets.old[i].clone();
            let replicas = util::spec_replicas(&rs);
            let available = util::available(&rs);
            if replicas == 0 || replicas <= available {
                continue;
            }
            let count = (max_cleanup - total).min(replicas - available);
            let (_, updated) = self.scale_replica_set(d, &rs, replicas - count).await?;
            sets.old[i] = updated;
            total += count;
        }
        Ok(total)
    }

    /// Scales old sets down, oldest first, while more than minAvailable pods
    /// are available.
    async fn scale_down_old_for_rolling_update(
        &self,
        d: &Deployment,
        sets: &mut Sets,
    ) -> Result<i32, Error> {
        let min_available = util::replicas(d) - util::max_unavailable(d);
        let available: i32 = sets.all().iter().map(|rs| util::available(rs)).sum();
        if available <= min_available {
            return Ok(0);
        }
        let budget = available - min_available;
        by_creation(&mut sets.old);
        let mut total = 0;
        for i in 0..sets.old.len() {
            if total >= budget {
                break;
            }
            let rs = sets.old[i].clone();
            let replicas = util::spec_replicas(&rs);
            if replicas == 0 {
                continue;
            }
            let count = replicas.min(budget - total);
            let (_, updated) = self.scale_replica_set(d, &rs, replicas - count).await?;
            sets.old[i] = updated;
            total += count;
        }
        Ok(total)
    }
}
