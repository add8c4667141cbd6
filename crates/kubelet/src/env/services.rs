//! The service variables every container gets, as upstream's kubelet makes
//! them (`getServiceEnvVarMap`, `envvars.FromServices`): for each Service of
//! the pod's namespace with a cluster IP (unless the pod turned
//! `enableServiceLinks` off), and always for the `kubernetes` Service of the
//! `default` namespace, `NAME_SERVICE_HOST`, `NAME_SERVICE_PORT`,
//! `NAME_SERVICE_PORT_<PORT NAME>` and the Docker-link variables
//! `NAME_PORT`, `NAME_PORT_<port>_<PROTO>{,_PROTO,_PORT,_ADDR}`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Service;

/// The Services of `default` that every pod sees.
const MASTER_SERVICES: &[&str] = &["kubernetes"];

/// Whether a Service has a cluster IP (not headless, not ExternalName).
fn has_cluster_ip(service: &Service) -> bool {
    let ip = service
        .spec
        .as_ref()
        .and_then(|s| s.cluster_ip.as_deref())
        .unwrap_or("");
    !ip.is_empty() && ip != "None"
}

/// The service variables of a pod in `namespace`, from `services` (any
/// namespaces; those of other namespaces but `default`'s master services are
/// ignored).
pub fn variables(
    services: &[Service],
    namespace: &str,
    enable_service_links: bool,
) -> BTreeMap<String, String> {
    let mut chosen: BTreeMap<&str, &Service> = BTreeMap::new();
    for service in services.iter().filter(|s| has_cluster_ip(s)) {
        let name = service.metadata.name.as_deref().unwrap_or("");
        let ns = service.metadata.namespace.as_deref().unwrap_or("");
        if ns == "default" && MASTER_SERVICES.contains(&name) {
            // The pod's own namespace's Service of that name wins.
            chosen.entry(name).or_insert(service);
        } else if ns == namespace && enable_service_links {
            chosen.insert(name, service);
        }
    }
    chosen.values().flat_map(|s| from_service(s)).collect()
}

/// `my-svc` → `MY_SVC`.
fn variable_name(name: &str) -> String {
    name.replace('-', "_").to_uppercase()
}

/// The variables of one Service, in upstream's order.
pub fn from_service(service: &Service) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if !has_cluster_ip(service) {
        return out;
    }
    let Some(spec) = service.spec.as_ref() else {
        return out;
    };
    let ip = spec.cluster_ip.clone().unwrap_or_default();
    let prefix = variable_name(service.metadata.name.as_deref().unwrap_or(""));
    out.push((format!("{prefix}_SERVICE_HOST"), ip.clone()));
    let ports = spec.ports.as_deref().unwrap_or(&[]);
    let Some(first) = ports.first() else {
        return out;
    };
    let port_var = format!("{prefix}_SERVICE_PORT");
    out.push((port_var.clone(), first.port.to_string()));
    for port in ports {
        if let Some(name) = port.name.as_deref().filter(|n| !n.is_empty()) {
            out.push((
                format!("{port_var}_{}", variable_name(name)),
                port.port.to_string(),
            ));
        }
    }
    // Docker-link variables.
    for (i, port) in ports.iter().enumerate() {
        let protocol = port.protocol.as_deref().unwrap_or("TCP");
        let protocol = if protocol.is_empty() { "TCP" } else { protocol };
        let lower = protocol.to_lowercase();
        let host_port = if ip.contains(':') {
            format!("[{ip}]:{}", port.port)
        } else {
            format!("{ip}:{}", port.port)
        };
        let url = format!("{lower}://{host_port}");
        if i == 0 {
            out.push((format!("{prefix}_PORT"), url.clone()));
        }
        let port_prefix = format!("{prefix}_PORT_{}_{}", port.port, protocol.to_uppercase());
        out.push((format!("{port_prefix}_PROTO"), lower));
        out.push((format!("{port_prefix}_PORT"), port.port.to_string()));
        out.push((format!("{port_prefix}_ADDR"), ip.clone()));
        out.push((port_prefix, url));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{ServicePort, ServiceSpec};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn service(
        ns: &str,
        name: &str,
        ip: &str,
        ports: &[(Option<&str>, i32, Option<&str>)],
    ) -> Service {
        Service {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some(ns.into()),
                ..Default::default()
            },
            spec: Some(ServiceSpec {
                cluster_ip: Some(ip.into()),
                ports: Some(
                    ports
                        .iter()
                        .map(|(name, port, proto)| ServicePort {
                            name: name.map(Into::into),
                            port: *port,
                            protocol: proto.map(Into::into),
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn two_named_ports_as_upstream() {
        let services = [service(
            "shop",
            "my-web",
            "10.43.0.12",
            &[
                (Some("http"), 80, Some("TCP")),
                (Some("dns-udp"), 53, Some("UDP")),
            ],
        )];
        assert_eq!(
            variables(&services, "shop", true),
            map(&[
                ("MY_WEB_SERVICE_HOST", "10.43.0.12"),
                ("MY_WEB_SERVICE_PORT", "80"),
                ("MY_WEB_SERVICE_PORT_HTTP", "80"),
                ("MY_WEB_SERVICE_PORT_DNS_UDP", "53"),
                ("MY_WEB_PORT", "tcp://10.43.0.12:80"),
                ("MY_WEB_PORT_80_TCP", "tcp://10.43.0.12:80"),
                ("MY_WEB_PORT_80_TCP_PROTO", "tcp"),
                ("MY_WEB_PORT_80_TCP_PORT", "80"),
                ("MY_WEB_PORT_80_TCP_ADDR", "10.43.0.12"),
                ("MY_WEB_PORT_53_UDP", "udp://10.43.0.12:53"),
                ("MY_WEB_PORT_53_UDP_PROTO", "udp"),
                ("MY_WEB_PORT_53_UDP_PORT", "53"),
                ("MY_WEB_PORT_53_UDP_ADDR", "10.43.0.12"),
            ])
        );
    }

    #[test]
    fn master_service_always_and_namespace_filtering() {
        let services = [
            service(
                "default",
                "kubernetes",
                "10.43.0.1",
                &[(Some("https"), 443, None)],
            ),
            service("other", "db", "10.43.0.30", &[(None, 5432, None)]),
            service("shop", "headless", "None", &[(None, 80, None)]),
            service("shop", "external", "", &[]),
            service("shop", "cache", "fd00::5", &[(None, 6379, None)]),
        ];
        let kubernetes = map(&[
            ("KUBERNETES_SERVICE_HOST", "10.43.0.1"),
            ("KUBERNETES_SERVICE_PORT", "443"),
            ("KUBERNETES_SERVICE_PORT_HTTPS", "443"),
            ("KUBERNETES_PORT", "tcp://10.43.0.1:443"),
            ("KUBERNETES_PORT_443_TCP", "tcp://10.43.0.1:443"),
            ("KUBERNETES_PORT_443_TCP_PROTO", "tcp"),
            ("KUBERNETES_PORT_443_TCP_PORT", "443"),
            ("KUBERNETES_PORT_443_TCP_ADDR", "10.43.0.1"),
        ]);
        assert_eq!(variables(&services, "shop", false), kubernetes);
        let mut with_links = kubernetes.clone();
        with_links.extend(map(&[
            ("CACHE_SERVICE_HOST", "fd00::5"),
            ("CACHE_SERVICE_PORT", "6379"),
            ("CACHE_PORT", "tcp://[fd00::5]:6379"),
            ("CACHE_PORT_6379_TCP", "tcp://[fd00::5]:6379"),
            ("CACHE_PORT_6379_TCP_PROTO", "tcp"),
            ("CACHE_PORT_6379_TCP_PORT", "6379"),
            ("CACHE_PORT_6379_TCP_ADDR", "fd00::5"),
        ]));
        assert_eq!(variables(&services, "shop", true), with_links);
        // A namespace's own `kubernetes` Service shadows default's.
        let mut shadowed = services.to_vec();
        shadowed.push(service(
            "shop",
            "kubernetes",
            "10.43.0.99",
            &[(None, 8443, None)],
        ));
        let vars = variables(&shadowed, "shop", true);
        assert_eq!(vars["KUBERNETES_SERVICE_HOST"], "10.43.0.99");
    }
}
