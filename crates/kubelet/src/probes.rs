//! Probes: liveness, readiness and startup checks (exec, httpGet, tcpSocket,
//! grpc), as upstream's kubelet prober runs them.
//!
//! [`run_once`] is one attempt of one probe against one container; the
//! submodules hold one action each (`exec`, `http`, `tcp`, `grpc`), with the
//! failure messages upstream's kubelet writes into `Unhealthy` events.
//! [`spawn`] and [`spawn_container`] start the periodic workers (`worker`)
//! that apply the timing and threshold fields and report changes of the
//! result to the agent.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, EnvVar, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::cri::Cri;

pub(crate) mod exec;
pub(crate) mod grpc;
pub(crate) mod http;
#[cfg(test)]
mod runtime_tests;
pub(crate) mod tcp;
mod worker;

pub use worker::{
    spawn, spawn_container, spawn_container_with_events, ContainerProbes, ProbeEvent, ProbeHandle,
    ProbeResult,
};

/// The version in the `User-Agent` of probes (`kube-probe/1.33`) and hooks
/// (`kube-lifecycle/1.33`): the Kubernetes API version rkube serves.
pub(crate) const KUBE_VERSION: &str = "1.33";

/// What a probe or hook runs against: one container of one pod.
#[derive(Clone, Debug)]
pub struct Target {
    /// The runtime the container runs in (exec probes and hooks).
    pub cri: Cri,
    /// The CRI id of the container.
    pub container_id: String,
    /// The pod's IP (its first one): the default host of httpGet, tcpSocket
    /// and grpc. For host-network pods, the node's IP.
    pub pod_ip: Option<String>,
    /// The container's spec: its named ports and static environment.
    pub container: Container,
    /// The pod's name, namespace and UID, for reports and hook messages.
    pub pod_name: String,
    pub pod_namespace: String,
    pub pod_uid: String,
}

impl Target {
    /// The pod as upstream's kubelet names it in messages:
    /// `name_namespace(uid)`.
    pub fn pod_display(&self) -> String {
        format!("{}_{}({})", self.pod_name, self.pod_namespace, self.pod_uid)
    }
}

/// Which probe of a container.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Liveness,
    Readiness,
    Startup,
}

impl Kind {
    /// As upstream writes it in events: `Liveness`, `Readiness`, `Startup`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Liveness => "Liveness",
            Kind::Readiness => "Readiness",
            Kind::Startup => "Startup",
        }
    }

    /// This probe of a container's spec.
    pub fn of(self, container: &Container) -> Option<&Probe> {
        match self {
            Kind::Liveness => container.liveness_probe.as_ref(),
            Kind::Readiness => container.readiness_probe.as_ref(),
            Kind::Startup => container.startup_probe.as_ref(),
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The result of one attempt, as upstream's `probe.Result` with its output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Counted as a success; upstream records a `ProbeWarning` event with
    /// the message (an HTTP redirect to another host that was not followed).
    Warning(String),
    /// The check ran and failed; the message is the probe's output
    /// (`HTTP probe failed with statuscode: 500`, the exec output, ...).
    Failure(String),
    /// The check could not run (no such named port, no pod IP, the runtime
    /// refused the exec): upstream throws such a result away.
    Unknown(String),
}

impl Outcome {
    /// Whether this attempt counts as a success (upstream counts warnings).
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Success | Outcome::Warning(_))
    }

    /// The event upstream's kubelet records for this attempt of a `kind`
    /// probe, as (reason, message), or `None` for a plain success:
    /// (`Unhealthy`, `Liveness probe failed: ...`), (`ProbeWarning`,
    /// `Readiness probe warning: ...`), (`Unhealthy`, `Startup probe errored
    /// and resulted in unknown state: ...`).
    pub fn event(&self, kind: Kind) -> Option<(&'static str, String)> {
        match self {
            Outcome::Success => None,
            Outcome::Warning(m) => Some(("ProbeWarning", format!("{kind} probe warning: {m}"))),
            Outcome::Failure(m) => Some(("Unhealthy", format!("{kind} probe failed: {m}"))),
            Outcome::Unknown(m) => Some((
                "Unhealthy",
                format!("{kind} probe errored and resulted in unknown state: {m}"),
            )),
        }
    }
}

/// The timing and threshold fields of a probe, with upstream's defaults
/// (the API server defaults them too; zeros are taken as the default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    pub initial_delay: Duration,
    pub period: Duration,
    pub timeout: Duration,
    pub success_threshold: u32,
    pub failure_threshold: u32,
}

impl Timing {
    pub fn of(probe: &Probe) -> Timing {
        let positive = |v: Option<i32>, default: u32| match v {
            Some(v) if v > 0 => v.unsigned_abs(),
            _ => default,
        };
        Timing {
            initial_delay: Duration::from_secs(u64::from(
                probe
                    .initial_delay_seconds
                    .unwrap_or(0)
                    .max(0)
                    .unsigned_abs(),
            )),
            period: Duration::from_secs(u64::from(positive(probe.period_seconds, 10))),
            timeout: Duration::from_secs(u64::from(positive(probe.timeout_seconds, 1))),
            success_threshold: positive(probe.success_threshold, 1),
            failure_threshold: positive(probe.failure_threshold, 3),
        }
    }
}

/// One attempt of `probe` against `target`, bounded by its
/// `timeoutSeconds` (default 1).
pub async fn run_once(target: &Target, probe: &Probe) -> Outcome {
    let timeout = Timing::of(probe).timeout;
    if let Some(action) = &probe.exec {
        let env = target.container.env.as_deref().unwrap_or_default();
        let command: Vec<String> = action
            .command
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|arg| expand_static(arg, env))
            .collect();
        exec::probe(&target.cri, &target.container_id, command, timeout).await
    } else if let Some(action) = &probe.http_get {
        match http::Request::for_action(
            action,
            &target.container,
            target.pod_ip.as_deref(),
            "probe",
        ) {
            Ok(request) => http::probe(&request, timeout).await,
            Err(message) => Outcome::Unknown(message),
        }
    } else if let Some(action) = &probe.tcp_socket {
        let port = match resolve_port(&action.port, &target.container) {
            Ok(port) => port,
            Err(message) => return Outcome::Unknown(message),
        };
        match host_or_pod_ip(action.host.as_deref(), target.pod_ip.as_deref()) {
            Ok(host) => tcp::probe(&host, port, timeout).await,
            Err(message) => Outcome::Unknown(message),
        }
    } else if let Some(action) = &probe.grpc {
        let Ok(port) = u16::try_from(action.port) else {
            return Outcome::Unknown(format!("invalid port number: {}", action.port));
        };
        match host_or_pod_ip(None, target.pod_ip.as_deref()) {
            Ok(host) => {
                let service = action.service.as_deref().unwrap_or_default();
                grpc::probe(&host, port, service, timeout).await
            }
            Err(message) => Outcome::Unknown(message),
        }
    } else {
        Outcome::Unknown(format!(
            "missing probe handler for {}:{}",
            target.pod_display(),
            target.container.name
        ))
    }
}

/// The host to reach: the action's own, else the pod's IP.
pub(crate) fn host_or_pod_ip(host: Option<&str>, pod_ip: Option<&str>) -> Result<String, String> {
    match (
        host.filter(|h| !h.is_empty()),
        pod_ip.filter(|ip| !ip.is_empty()),
    ) {
        (Some(host), _) | (None, Some(host)) => Ok(host.to_string()),
        (None, None) => Err("the pod has no IP address yet".to_string()),
    }
}

/// `host:port`, with brackets around IPv6 addresses (Go's JoinHostPort).
pub(crate) fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// A port given by number or by the name of one of the container's ports,
/// as upstream's `ResolveContainerPort`: a name that is no port's name is
/// tried as a number, and that error is the one reported.
pub fn resolve_port(port: &IntOrString, container: &Container) -> Result<u16, String> {
    let number = match port {
        IntOrString::Int(n) => i64::from(*n),
        IntOrString::String(name) => {
            let named = container
                .ports
                .iter()
                .flatten()
                .find(|p| p.name.as_deref() == Some(name.as_str()));
            match named {
                Some(p) => i64::from(p.container_port),
                None => name
                    .parse::<i64>()
                    .map_err(|_| format!("strconv.Atoi: parsing {name:?}: invalid syntax"))?,
            }
        }
    };
    match u16::try_from(number) {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!("invalid port number: {number}")),
    }
}

/// Expands `$(VAR)` in an exec probe's command from the container's
/// literal `env` values only, as upstream's `ExpandContainerCommandOnlyStatic`
/// (exec probes see no downward API or secret values): `$$` is a literal `$`,
/// references to unknown names stay as written, variables set from a source
/// expand to the empty string.
pub(crate) fn expand_static(input: &str, env: &[EnvVar]) -> String {
    let lookup = |name: &str| {
        env.iter()
            .rev()
            .find(|e| e.name == name)
            .map(|e| e.value.clone().unwrap_or_default())
    };
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match after.chars().next() {
            Some('$') => {
                out.push('$');
                rest = &after[1..];
            }
            Some('(') => match after.find(')') {
                Some(close) => {
                    let name = &after[1..close];
                    match lookup(name) {
                        Some(value) => out.push_str(&value),
                        None => {
                            out.push_str("$(");
                            out.push_str(name);
                            out.push(')');
                        }
                    }
                    rest = &after[close + 1..];
                }
                None => {
                    out.push_str("$(");
                    rest = &after[1..];
                }
            },
            Some(c) => {
                out.push('$');
                out.push(c);
                rest = &after[c.len_utf8()..];
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ContainerPort;

    fn container() -> Container {
        Container {
            name: "app".into(),
            ports: Some(vec![
                ContainerPort {
                    name: Some("http".into()),
                    container_port: 8080,
                    ..Default::default()
                },
                ContainerPort {
                    name: Some("metrics".into()),
                    container_port: 9090,
                    ..Default::default()
                },
            ]),
            ..Default::default()
        }
    }

    #[test]
    fn ports_resolve_by_number_and_by_name() {
        let c = container();
        assert_eq!(resolve_port(&IntOrString::Int(80), &c), Ok(80));
        assert_eq!(
            resolve_port(&IntOrString::String("http".into()), &c),
            Ok(8080)
        );
        assert_eq!(
            resolve_port(&IntOrString::String("metrics".into()), &c),
            Ok(9090)
        );
        assert_eq!(resolve_port(&IntOrString::String("81".into()), &c), Ok(81));
        assert_eq!(
            resolve_port(&IntOrString::String("grpc".into()), &c),
            Err("strconv.Atoi: parsing \"grpc\": invalid syntax".to_string())
        );
        assert_eq!(
            resolve_port(&IntOrString::Int(0), &c),
            Err("invalid port number: 0".to_string())
        );
        assert_eq!(
            resolve_port(&IntOrString::Int(70000), &c),
            Err("invalid port number: 70000".to_string())
        );
    }

    #[test]
    fn timing_defaults_are_upstreams() {
        let t = Timing::of(&Probe::default());
        assert_eq!(t.initial_delay, Duration::ZERO);
        assert_eq!(t.period, Duration::from_secs(10));
        assert_eq!(t.timeout, Duration::from_secs(1));
        assert_eq!((t.success_threshold, t.failure_threshold), (1, 3));
        let t = Timing::of(&Probe {
            initial_delay_seconds: Some(5),
            period_seconds: Some(2),
            timeout_seconds: Some(3),
            success_threshold: Some(2),
            failure_threshold: Some(1),
            ..Default::default()
        });
        assert_eq!(t.initial_delay, Duration::from_secs(5));
        assert_eq!(t.period, Duration::from_secs(2));
        assert_eq!(t.timeout, Duration::from_secs(3));
        assert_eq!((t.success_threshold, t.failure_threshold), (2, 1));
    }

    #[test]
    fn commands_expand_static_env_only() {
        let env = vec![
            EnvVar {
                name: "FILE".into(),
                value: Some("/tmp/healthy".into()),
                ..Default::default()
            },
            EnvVar {
                name: "SECRET".into(),
                value_from: Some(Default::default()),
                ..Default::default()
            },
        ];
        assert_eq!(expand_static("cat $(FILE)", &env), "cat /tmp/healthy");
        assert_eq!(expand_static("[$(SECRET)]", &env), "[]");
        assert_eq!(
            expand_static("$(NOPE) $$(FILE) $x $", &env),
            "$(NOPE) $(FILE) $x $"
        );
        assert_eq!(expand_static("a$(FILE", &env), "a$(FILE");
    }

    #[test]
    fn events_read_as_upstreams() {
        let failed = Outcome::Failure("HTTP probe failed with statuscode: 500".into());
        assert_eq!(
            failed.event(Kind::Liveness),
            Some((
                "Unhealthy",
                "Liveness probe failed: HTTP probe failed with statuscode: 500".to_string()
            ))
        );
        assert_eq!(Outcome::Success.event(Kind::Readiness), None);
        assert!(Outcome::Warning("x".into()).is_success());
        assert!(!Outcome::Unknown("x".into()).is_success());
    }

    #[test]
    fn hosts_default_to_the_pod_ip() {
        assert_eq!(
            host_or_pod_ip(None, Some("10.42.0.5")),
            Ok("10.42.0.5".into())
        );
        assert_eq!(
            host_or_pod_ip(Some(""), Some("10.42.0.5")),
            Ok("10.42.0.5".into())
        );
        assert_eq!(
            host_or_pod_ip(Some("example"), Some("10.42.0.5")),
            Ok("example".into())
        );
        assert!(host_or_pod_ip(None, None).is_err());
        assert_eq!(join_host_port("::1", 80), "[::1]:80");
        assert_eq!(join_host_port("10.0.0.1", 80), "10.0.0.1:80");
    }
}
