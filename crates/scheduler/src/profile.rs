//! Scheduling profiles: which plugins a scheduler name runs and with which
//! score weights, read from a `KubeSchedulerConfiguration` file
//! (`kubescheduler.config.k8s.io/v1`: `profiles[].schedulerName` and
//! `profiles[].plugins.{filter,score}.{enabled,disabled}`, `*` disabling all
//! defaults), as upstream's `--config`.

use std::collections::BTreeMap;

use crate::framework::Framework;
use crate::plugins::default_framework;

/// One profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub scheduler_name: String,
    /// Filter plugins switched off (`*` for all).
    pub disabled_filters: Vec<String>,
    /// Score plugins switched off (`*` for all but those enabled again).
    pub disabled_scores: Vec<String>,
    /// Score plugins enabled with a weight (overriding the default weight).
    pub score_weights: BTreeMap<String, i64>,
}

impl Profile {
    /// Upstream's default profile under `name`.
    pub fn default_named(name: &str) -> Profile {
        Profile {
            scheduler_name: name.to_string(),
            disabled_filters: Vec::new(),
            disabled_scores: Vec::new(),
            score_weights: BTreeMap::new(),
        }
    }

    /// The default plugins, minus the disabled ones, with the weights set.
    pub fn framework(&self) -> Framework {
        let mut framework = default_framework();
        let off = |list: &[String], name: &str| list.iter().any(|d| d == "*" || d == name);
        framework
            .filters
            .retain(|p| !off(&self.disabled_filters, p.name()));
        framework.scorers.retain(|(p, _)| {
            !off(&self.disabled_scores, p.name()) || self.score_weights.contains_key(p.name())
        });
        for (plugin, weight) in &mut framework.scorers {
            if let Some(set) = self.score_weights.get(plugin.name()) {
                *weight = *set;
            }
        }
        framework
    }
}

/// Why a configuration file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("parsing the scheduler configuration: {0}")]
    Parse(#[from] serde_yaml::Error),
    #[error("scheduler configuration: {0}")]
    Invalid(String),
}

fn names(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect()
}

/// Reads the profiles of a `KubeSchedulerConfiguration` (YAML or JSON); no
/// profile gives upstream's default one.
pub fn profiles_from_config(text: &str) -> Result<Vec<Profile>, ConfigError> {
    let value: serde_json::Value = serde_yaml::from_str(text)?;
    if value["kind"] != "KubeSchedulerConfiguration" {
        return Err(ConfigError::Invalid(
            "kind must be KubeSchedulerConfiguration".to_string(),
        ));
    }
    let mut profiles = Vec::new();
    for entry in value["profiles"].as_array().into_iter().flatten() {
        let name = entry["schedulerName"]
            .as_str()
            .unwrap_or(crate::DEFAULT_SCHEDULER_NAME);
        let mut profile = Profile::default_named(name);
        let plugins = &entry["plugins"];
        profile.disabled_filters = names(&plugins["filter"]["disabled"]);
        profile.disabled_scores = names(&plugins["score"]["disabled"]);
        for enabled in plugins["score"]["enabled"].as_array().into_iter().flatten() {
            if let Some(plugin) = enabled["name"].as_str() {
                let weight = enabled["weight"].as_i64().unwrap_or(1);
                profile.score_weights.insert(plugin.to_string(), weight);
            }
        }
        if profiles
            .iter()
            .any(|p: &Profile| p.scheduler_name == profile.scheduler_name)
        {
            return Err(ConfigError::Invalid(format!(
                "duplicate profile {}",
                profile.scheduler_name
            )));
        }
        profiles.push(profile);
    }
    if profiles.is_empty() {
        profiles.push(Profile::default_named(crate::DEFAULT_SCHEDULER_NAME));
    }
    Ok(profiles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_disable_and_reweigh_plugins() {
        let profiles = profiles_from_config(
            "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n\
             - schedulerName: default-scheduler\n\
             - schedulerName: packer\n  plugins:\n    filter:\n      disabled: [{name: TaintToleration}]\n\
             \x20   score:\n      disabled: [{name: '*'}]\n      enabled: [{name: NodeResourcesFit, weight: 5}]\n",
        )
        .unwrap();
        assert_eq!(profiles.len(), 2);
        let default = profiles[0].framework();
        assert_eq!(default.filters.len(), default_framework().filters.len());
        let packer = profiles[1].framework();
        assert!(packer.filters.iter().all(|p| p.name() != "TaintToleration"));
        let scores: Vec<(&str, i64)> = packer.scorers.iter().map(|(p, w)| (p.name(), *w)).collect();
        assert_eq!(scores, [("NodeResourcesFit", 5)]);
        assert!(profiles_from_config("kind: Pod").is_err());
    }
}
