//! A container's environment, as upstream's kubelet makes it
//! (`makeEnvironmentVariables`): `envFrom` ConfigMaps and Secrets first (with
//! their prefix, later sources winning), then `env` in order (literal values
//! with `$(VAR)` expansion of the variables defined so far and of the
//! service variables; `configMapKeyRef`, `secretKeyRef`, `fieldRef`,
//! `resourceFieldRef`), then the service variables no other source set.
//!
//! The core, [`build`], is pure: the pod, the container and the objects it
//! draws from in, the variables out. [`fetch`] gets those objects through
//! the API (the kubelet is an ordinary client) and [`resolve`] does both.
//! Errors carry upstream's messages: they become the message of the
//! container's `CreateContainerConfigError` waiting state.

pub mod expansion;
pub mod fieldpath;
pub mod resource;
pub mod services;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use k8s_openapi::api::core::v1::{ConfigMap, Container, Pod, Secret, Service};
use kube::api::{Api, ListParams};
use kube::Client;

pub use fieldpath::Addresses;
pub use resource::Allocatable;

/// What the kubelet knows of its node that a pod's environment and volumes
/// may show: its IPs (`status.hostIP(s)`) and allocatable resources (the
/// limits of a container that sets none, for `resourceFieldRef`).
#[derive(Clone, Debug, Default)]
pub struct NodeInfo {
    pub host_ips: Vec<String>,
    pub allocatable: Allocatable,
}

/// Why a container's environment could not be made.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// A ConfigMap or Secret that is not optional does not exist; `kind` is
    /// upstream's singular resource (`configmap`, `secret`).
    #[error("{kind} \"{name}\" not found")]
    NotFound { kind: &'static str, name: String },
    #[error("couldn't find key {key} in ConfigMap {namespace}/{name}")]
    ConfigMapKey {
        key: String,
        namespace: String,
        name: String,
    },
    #[error("couldn't find key {key} in Secret {namespace}/{name}")]
    SecretKey {
        key: String,
        namespace: String,
        name: String,
    },
    /// A `fieldRef` or `resourceFieldRef` that cannot be resolved.
    #[error("{0}")]
    Field(String),
    #[error("failed to list services when setting up env vars")]
    Services(#[source] kube::Error),
    /// Reading a ConfigMap or Secret failed for another reason than absence:
    /// the API server's message, as upstream shows it.
    #[error("{}", api_message(.0))]
    Api(#[from] kube::Error),
}

fn api_message(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}

/// The objects a container's environment draws from, fetched beforehand.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// ConfigMaps of the pod's namespace by name; `None`: it does not exist.
    pub config_maps: BTreeMap<String, Option<ConfigMap>>,
    /// Secrets of the pod's namespace by name; `None`: it does not exist.
    pub secrets: BTreeMap<String, Option<Secret>>,
    /// The Services of the pod's namespace and `default/kubernetes` (others
    /// are ignored).
    pub services: Vec<Service>,
}

/// The ConfigMaps and Secrets a container's environment names.
pub fn referenced(container: &Container) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut config_maps = BTreeSet::new();
    let mut secrets = BTreeSet::new();
    for from in container.env_from.iter().flatten() {
        if let Some(r) = &from.config_map_ref {
            config_maps.insert(r.name.clone());
        }
        if let Some(r) = &from.secret_ref {
            secrets.insert(r.name.clone());
        }
    }
    for var in container.env.iter().flatten() {
        let Some(from) = &var.value_from else {
            continue;
        };
        if let Some(r) = &from.config_map_key_ref {
            config_maps.insert(r.name.clone());
        }
        if let Some(r) = &from.secret_key_ref {
            secrets.insert(r.name.clone());
        }
    }
    (config_maps, secrets)
}

/// Gets, through the API, what [`build`] needs for `container` of `pod`.
pub async fn fetch(client: &Client, pod: &Pod, container: &Container) -> Result<Sources, EnvError> {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
    let (config_map_names, secret_names) = referenced(container);
    let mut sources = Sources::default();
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    for name in config_map_names {
        // An empty name would list; validation forbids one anyway.
        let found = if name.is_empty() {
            None
        } else {
            config_maps.get_opt(&name).await?
        };
        sources.config_maps.insert(name, found);
    }
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    for name in secret_names {
        let found = if name.is_empty() {
            None
        } else {
            secrets.get_opt(&name).await?
        };
        sources.secrets.insert(name, found);
    }
    if enable_service_links(pod) {
        let services: Api<Service> = Api::namespaced(client.clone(), namespace);
        let list = services
            .list(&ListParams::default())
            .await
            .map_err(EnvError::Services)?;
        sources.services.extend(list.items);
    }
    if namespace != "default" || !enable_service_links(pod) {
        let defaults: Api<Service> = Api::namespaced(client.clone(), "default");
        let master = defaults
            .get_opt("kubernetes")
            .await
            .map_err(EnvError::Services)?;
        sources.services.extend(master);
    }
    Ok(sources)
}

/// The environment of `container` of `pod`: fetches what it draws from,
/// then [`build`]s it.
pub async fn resolve(
    client: &Client,
    pod: &Pod,
    container: &Container,
    pod_ips: &[String],
    node: &NodeInfo,
) -> Result<Vec<(String, String)>, EnvError> {
    let sources = fetch(client, pod, container).await?;
    build(pod, container, pod_ips, node, &sources)
}

fn enable_service_links(pod: &Pod) -> bool {
    pod.spec
        .as_ref()
        .and_then(|s| s.enable_service_links)
        .unwrap_or(true)
}

/// Variables in the order they were first set; a later set replaces the
/// value in place.
#[derive(Default)]
struct Ordered {
    vars: Vec<(String, String)>,
    index: HashMap<String, usize>,
}

impl Ordered {
    fn set(&mut self, name: String, value: String) {
        match self.index.get(&name) {
            Some(&i) => self.vars[i].1 = value,
            None => {
                self.index.insert(name.clone(), self.vars.len());
                self.vars.push((name, value));
            }
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.index.get(name).map(|&i| self.vars[i].1.as_str())
    }
}

/// The environment of `container` of `pod` from fetched `sources`: the
/// variables in the order first set (envFrom, then env), followed by the
/// service variables not otherwise set, sorted by name.
pub fn build(
    pod: &Pod,
    container: &Container,
    pod_ips: &[String],
    node: &NodeInfo,
    sources: &Sources,
) -> Result<Vec<(String, String)>, EnvError> {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
    let service_env = services::variables(&sources.services, namespace, enable_service_links(pod));
    let mut env = Ordered::default();

    let config_map = |name: &str, optional: bool| -> Result<Option<&ConfigMap>, EnvError> {
        match sources.config_maps.get(name).and_then(Option::as_ref) {
            Some(cm) => Ok(Some(cm)),
            None if optional => Ok(None),
            None => Err(EnvError::NotFound {
                kind: "configmap",
                name: name.to_string(),
            }),
        }
    };
    let secret = |name: &str, optional: bool| -> Result<Option<&Secret>, EnvError> {
        match sources.secrets.get(name).and_then(Option::as_ref) {
            Some(s) => Ok(Some(s)),
            None if optional => Ok(None),
            None => Err(EnvError::NotFound {
                kind: "secret",
                name: name.to_string(),
            }),
        }
    };

    for from in container.env_from.iter().flatten() {
        let prefix = from.prefix.as_deref().unwrap_or("");
        let (kind, name, pairs): (&str, &str, Vec<(&String, String)>) =
            if let Some(r) = &from.config_map_ref {
                let Some(cm) = config_map(&r.name, r.optional.unwrap_or(false))? else {
                    continue;
                };
                let pairs = cm
                    .data
                    .iter()
                    .flatten()
                    .map(|(k, v)| (k, v.clone()))
                    .collect();
                ("configMap", &r.name, pairs)
            } else if let Some(r) = &from.secret_ref {
                let Some(s) = secret(&r.name, r.optional.unwrap_or(false))? else {
                    continue;
                };
                let pairs = s
                    .data
                    .iter()
                    .flatten()
                    .map(|(k, v)| (k, String::from_utf8_lossy(&v.0).into_owned()))
                    .collect();
                ("secret", &r.name, pairs)
            } else {
                continue;
            };
        let mut invalid = Vec::new();
        for (key, value) in pairs {
            let key = format!("{prefix}{key}");
            if key.is_empty() || !api::validation::is_env_var_name(&key).is_empty() {
                invalid.push(key);
                continue;
            }
            env.set(key, value);
        }
        if !invalid.is_empty() {
            invalid.sort();
            tracing::warn!(
                "Keys [{}] from the EnvFrom {kind} {namespace}/{name} were skipped since they are considered invalid environment variable names.",
                invalid.join(", ")
            );
        }
    }

    let addresses = Addresses {
        pod_ips,
        host_ips: &node.host_ips,
    };
    for var in container.env.iter().flatten() {
        let literal = var.value.as_deref().unwrap_or("");
        let value = if !literal.is_empty() {
            expansion::expand(literal, |name| {
                env.get(name)
                    .or_else(|| service_env.get(name).map(String::as_str))
                    .map(str::to_string)
            })
        } else if let Some(from) = &var.value_from {
            if let Some(field) = &from.field_ref {
                fieldpath::env_value(field, pod, addresses).map_err(EnvError::Field)?
            } else if let Some(field) = &from.resource_field_ref {
                resource::value(field, pod, Some(container), &node.allocatable)
                    .map_err(EnvError::Field)?
            } else if let Some(r) = &from.config_map_key_ref {
                let optional = r.optional.unwrap_or(false);
                let Some(cm) = config_map(&r.name, optional)? else {
                    continue;
                };
                match cm.data.as_ref().and_then(|d| d.get(&r.key)) {
                    Some(v) => v.clone(),
                    None if optional => continue,
                    None => {
                        return Err(EnvError::ConfigMapKey {
                            key: r.key.clone(),
                            namespace: namespace.to_string(),
                            name: r.name.clone(),
                        })
                    }
                }
            } else if let Some(r) = &from.secret_key_ref {
                let optional = r.optional.unwrap_or(false);
                let Some(s) = secret(&r.name, optional)? else {
                    continue;
                };
                match s.data.as_ref().and_then(|d| d.get(&r.key)) {
                    Some(v) => String::from_utf8_lossy(&v.0).into_owned(),
                    None if optional => continue,
                    None => {
                        return Err(EnvError::SecretKey {
                            key: r.key.clone(),
                            namespace: namespace.to_string(),
                            name: r.name.clone(),
                        })
                    }
                }
            } else {
                String::new()
            }
        } else {
            String::new()
        };
        env.set(var.name.clone(), value);
    }

    let mut vars = env.vars;
    for (name, value) in service_env {
        if !env.index.contains_key(&name) {
            vars.push((name, value));
        }
    }
    Ok(vars)
}

/// The container's command and args with `$(VAR)` references to its
/// environment expanded (`ExpandContainerCommandAndArgs`); unknown names
/// and `$$` behave as in env values.
pub fn command_and_args(
    container: &Container,
    env: &[(String, String)],
) -> (Vec<String>, Vec<String>) {
    let vars: HashMap<&str, &str> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let expand = |items: &Option<Vec<String>>| -> Vec<String> {
        items
            .iter()
            .flatten()
            .map(|item| expansion::expand(item, |name| vars.get(name).map(|v| v.to_string())))
            .collect()
    };
    (expand(&container.command), expand(&container.args))
}

/// The environment as CRI key-value pairs.
pub fn to_cri(env: &[(String, String)]) -> Vec<crate::cri::api::KeyValue> {
    env.iter()
        .map(|(key, value)| crate::cri::api::KeyValue {
            key: key.clone(),
            value: value.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
