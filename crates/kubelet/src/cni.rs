//! Pod networking through CNI: the configuration the kubelet writes for its
//! node's podCIDR into the directory containerd's CRI plugin reads (containerd
//! watches it and runs the plugins for every pod sandbox), and the host
//! settings pods need.
//!
//! The network list is the usual bridge setup of upstream's examples:
//! - `bridge`: one Linux bridge per node, named from the node name (several
//!   rkube nodes can share one host, and a bridge name has at most 15
//!   characters), the node's gateway (`isGateway`), masquerade of traffic
//!   leaving the pod range (`ipMasq`; with the cluster CIDR known, rules of
//!   [`ensure_masquerade`] instead, which spare pod-to-pod traffic) and
//!   `hairpinMode` (a pod reaching itself
//!   through a service or host port); addresses from `host-local` IPAM over the
//!   podCIDR, its allocations kept under the kubelet's data directory so that
//!   two nodes on one host keep theirs apart;
//! - `portmap` with the `portMappings` capability: CRI's port mappings, that is
//!   `hostPort`;
//! - `firewall`: accepts forwarded traffic to and from the pods, for hosts whose
//!   FORWARD policy is DROP (as Docker leaves it);
//! - `bandwidth` with the `bandwidth` capability: the
//!   `kubernetes.io/{ingress,egress}-bandwidth` pod annotations.
//!
//! Loopback needs no entry: containerd's CRI plugin sets up `lo` in every
//! sandbox itself with the `loopback` plugin of the same directory.
//!
//! The spec version is 1.0.0, the newest that Debian's plugins (1.1.x) and
//! containerd 1.6's libcni both speak.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde_json::json;
use sha2::{Digest, Sha256};

/// The file the kubelet owns in the configuration directory.
pub const CONF_FILE: &str = "10-rkube.conflist";
/// The network's name (host-local keeps its allocations under it).
pub const NETWORK_NAME: &str = "rkube";
/// The CNI spec version written.
pub const CNI_VERSION: &str = "1.0.0";
/// The plugins the configuration runs (and `loopback`, which containerd runs).
pub const PLUGINS: &[&str] = &[
    "bridge",
    "host-local",
    "portmap",
    "firewall",
    "bandwidth",
    "loopback",
];

/// Where and for what the configuration is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The CNI configuration directory containerd reads.
    pub conf_dir: PathBuf,
    /// Where the plugin binaries are (`/usr/lib/cni` from Debian's
    /// `containernetworking-plugins`).
    pub bin_dir: PathBuf,
    /// The kubelet's data directory: host-local keeps its allocations in
    /// `<data_dir>/cni/networks`.
    pub data_dir: PathBuf,
    /// The node's name (the bridge is named after it).
    pub node_name: String,
    /// The node's `spec.podCIDR`.
    pub pod_cidr: String,
    /// The pod range of the whole cluster (`--cluster-cidr`). With it, traffic
    /// from this node's pods to any pod keeps its source address (the
    /// Kubernetes network model: no NAT between pods) and only traffic
    /// leaving the cluster is masqueraded, by the rules [`ensure_masquerade`]
    /// installs. Without it the bridge plugin masquerades all that leaves the
    /// node's podCIDR (`ipMasq`), traffic to other nodes' pods included.
    pub cluster_cidr: Option<String>,
}

/// What went wrong writing the configuration or preparing the host.
#[derive(Debug, thiserror::Error)]
pub enum CniError {
    #[error("invalid podCIDR {0:?}")]
    PodCidr(String),
    #[error(
        "CNI plugin {plugin:?} not found in {dir} (install the containernetworking-plugins package)"
    )]
    MissingPlugin { plugin: String, dir: PathBuf },
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid cluster CIDR {0:?}")]
    ClusterCidr(String),
    #[error("{command}: {output}")]
    Iptables { command: String, output: String },
    #[error("enabling IP forwarding ({path}): {source}")]
    Forwarding {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The node's bridge: "rk" and 12 hex digits of the SHA-256 of the node
/// name (14 characters, within Linux's 15), the same on every start.
pub fn bridge_name(node: &str) -> String {
    let digest = Sha256::digest(node.as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("rk{hex}")
}

/// host-local's data directory for this node.
pub fn ipam_data_dir(config: &Config) -> PathBuf {
    config.data_dir.join("cni").join("networks")
}

/// The network list (JSON, with a final newline) for `config`.
pub fn render(config: &Config) -> String {
    let default_route = if config.pod_cidr.contains(':') {
        "::/0"
    } else {
        "0.0.0.0/0"
    };
    let list = json!({
        "cniVersion": CNI_VERSION,
        "name": NETWORK_NAME,
        "plugins": [
            {
                "type": "bridge",
                "bridge": bridge_name(&config.node_name),
                "isGateway": true,
                "ipMasq": config.cluster_cidr.is_none(),
                "hairpinMode": true,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": config.pod_cidr}]],
                    "routes": [{"dst": default_route}],
                    "dataDir": ipam_data_dir(config).to_string_lossy(),
                },
            },
            {
                "type": "portmap",
                "capabilities": {"portMappings": true},
            },
            {
                "type": "firewall",
            },
            {
                "type": "bandwidth",
                "capabilities": {"bandwidth": true},
            },
        ],
    });
    let mut text = serde_json::to_string_pretty(&list).unwrap_or_default();
    text.push('\n');
    text
}

/// Writes the configuration (a temporary file renamed over the old one, so
/// containerd never reads half a file) unless it is already there as it
/// should be. Returns whether it changed.
pub fn write(config: &Config) -> Result<bool, CniError> {
    check_pod_cidr(&config.pod_cidr)?;
    check_cluster_cidr(config)?;
    for plugin in PLUGINS {
        if !config.bin_dir.join(plugin).is_file() {
            return Err(CniError::MissingPlugin {
                plugin: plugin.to_string(),
                dir: config.bin_dir.clone(),
            });
        }
    }
    let text = render(config);
    let path = config.conf_dir.join(CONF_FILE);
    if std::fs::read_to_string(&path).is_ok_and(|old| old == text) {
        return Ok(false);
    }
    let failed = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CniError::Write { path, source }
    };
    std::fs::create_dir_all(&config.conf_dir).map_err(failed(&config.conf_dir))?;
    // Not a .conf/.conflist/.json name: libcni never loads it.
    let temporary = config.conf_dir.join(format!(".{CONF_FILE}.tmp"));
    let mut file = std::fs::File::create(&temporary).map_err(failed(&temporary))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(failed(&temporary))?;
    drop(file);
    std::fs::rename(&temporary, &path).map_err(failed(&path))?;
    tracing::info!(path = %path.display(), pod_cidr = %config.pod_cidr, bridge = %bridge_name(&config.node_name), "CNI configuration written");
    Ok(true)
}

/// A podCIDR the plugins accept: ADDRESS/PREFIX.
fn check_pod_cidr(cidr: &str) -> Result<(), CniError> {
    let bad = || CniError::PodCidr(cidr.to_string());
    let (ip, prefix) = cidr.split_once('/').ok_or_else(bad)?;
    let ip: IpAddr = ip.parse().map_err(|_| bad())?;
    let prefix: u8 = prefix.parse().map_err(|_| bad())?;
    let bits = if ip.is_ipv4() { 32 } else { 128 };
    // A pod range needs room for the gateway and at least one pod.
    if prefix > bits - 2 {
        return Err(bad());
    }
    Ok(())
}

/// A cluster CIDR of the pod CIDR's family, if there is one.
fn check_cluster_cidr(config: &Config) -> Result<(), CniError> {
    let Some(cidr) = &config.cluster_cidr else {
        return Ok(());
    };
    let bad = || CniError::ClusterCidr(cidr.to_string());
    let (ip, prefix) = cidr.split_once('/').ok_or_else(bad)?;
    let ip: IpAddr = ip.parse().map_err(|_| bad())?;
    let prefix: u8 = prefix.parse().map_err(|_| bad())?;
    let bits = if ip.is_ipv4() { 32 } else { 128 };
    if prefix > bits || ip.is_ipv4() == config.pod_cidr.contains(':') {
        return Err(bad());
    }
    Ok(())
}

/// How iptables is run: in the kubelet's own network namespace
/// ([`Iptables::host`]), or behind a command prefix such as
/// `ip netns exec NAME` (tests run it in a namespace of their own).
#[derive(Clone, Debug, Default)]
pub struct Iptables {
    prefix: Vec<String>,
}

impl Iptables {
    /// iptables of this process's network namespace.
    pub fn host() -> Iptables {
        Iptables::default()
    }

    /// iptables run behind `prefix` (e.g. `["ip", "netns", "exec", "ns1"]`).
    pub fn with_prefix(prefix: &[&str]) -> Iptables {
        Iptables {
            prefix: prefix.iter().map(ToString::to_string).collect(),
        }
    }

    /// Runs `program` (iptables or ip6tables) on the nat table; its stdout.
    fn nat(&self, program: &str, args: &[&str]) -> Result<String, CniError> {
        let mut all: Vec<&str> = self.prefix.iter().map(String::as_str).collect();
        all.extend([program, "-w", "5", "-t", "nat"]);
        all.extend_from_slice(args);
        let command = all.join(" ");
        let (first, rest) = all.split_first().ok_or_else(|| CniError::Iptables {
            command: command.clone(),
            output: "empty command".into(),
        })?;
        let out = std::process::Command::new(first)
            .args(rest)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| CniError::Iptables {
                command: command.clone(),
                output: e.to_string(),
            })?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(CniError::Iptables {
                command,
                output: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            })
        }
    }
}

/// The nat chain that masquerades the node's pods' traffic leaving the
/// cluster (at most 28 characters, named after the node like its bridge).
pub fn masquerade_chain(node: &str) -> String {
    format!("RKUBE-MASQ-{}", &bridge_name(node)[2..])
}

/// The chain's rules as `iptables -S` prints them.
fn masquerade_rules(chain: &str, cluster_cidr: &str, v6: bool) -> Vec<String> {
    let multicast = if v6 { "ff00::/8" } else { "224.0.0.0/4" };
    vec![
        format!("-N {chain}"),
        format!("-A {chain} -d {cluster_cidr} -j RETURN"),
        format!("-A {chain} -d {multicast} -j RETURN"),
        format!("-A {chain} -j MASQUERADE"),
    ]
}

/// With a cluster CIDR: makes traffic from the node's pods to addresses
/// outside the cluster (and not multicast) leave with the host's address,
/// as the bridge plugin's `ipMasq` would but sparing pod-to-pod traffic, as
/// flannel does for k3s. A chain of its own per node, entered from
/// POSTROUTING for the podCIDR; rules left by an earlier podCIDR are
/// removed. Returns whether anything changed; without a cluster CIDR it does
/// nothing.
pub fn ensure_masquerade(config: &Config, iptables: &Iptables) -> Result<bool, CniError> {
    let Some(cluster_cidr) = &config.cluster_cidr else {
        return Ok(false);
    };
    check_pod_cidr(&config.pod_cidr)?;
    check_cluster_cidr(config)?;
    let v6 = config.pod_cidr.contains(':');
    let program = if v6 { "ip6tables" } else { "iptables" };
    let chain = masquerade_chain(&config.node_name);
    let mut changed = false;
    let wanted = masquerade_rules(&chain, cluster_cidr, v6);
    let current: Vec<String> = match iptables.nat(program, &["-S", &chain]) {
        Ok(out) => out.lines().map(str::to_string).collect(),
        Err(_) => {
            iptables.nat(program, &["-N", &chain])?;
            changed = true;
            vec![format!("-N {chain}")]
        }
    };
    if current != wanted {
        iptables.nat(program, &["-F", &chain])?;
        for rule in &wanted[1..] {
            let args: Vec<&str> = rule.split_whitespace().collect();
            iptables.nat(program, &args)?;
        }
        changed = true;
    }
    let jump = format!("-A POSTROUTING -s {} -j {chain}", config.pod_cidr);
    let postrouting = iptables.nat(program, &["-S", "POSTROUTING"])?;
    let suffix = format!(" -j {chain}");
    let mut present = false;
    for line in postrouting.lines().filter(|l| l.ends_with(&suffix)) {
        if line == jump {
            present = true;
            continue;
        }
        // A jump for an earlier podCIDR.
        let mut args: Vec<&str> = line.split_whitespace().collect();
        if let Some(first) = args.first_mut() {
            *first = "-D";
        }
        iptables.nat(program, &args)?;
        changed = true;
    }
    if !present {
        let args: Vec<&str> = jump.split_whitespace().collect();
        iptables.nat(program, &args)?;
        changed = true;
    }
    if changed {
        tracing::info!(%chain, pod_cidr = %config.pod_cidr, %cluster_cidr, "masquerade of traffic leaving the cluster installed");
    }
    Ok(changed)
}

/// What the host needs for pods to reach each other and the world:
/// IPv4 forwarding (per network namespace: the kubelet's). The bridge
/// plugin's `isGateway` would also turn it on, but only at the first pod
/// and only as a side effect.
///
/// `br_netfilter` is deliberately not loaded: without a service proxy,
/// bridged traffic need not pass iptables; the proxy will load it when it
/// programs service addresses for pods on the same bridge. IPv6 forwarding
/// is left alone (turning it on stops the host from accepting router
/// advertisements).
pub fn prepare_host() -> Result<(), CniError> {
    enable(Path::new("/proc/sys/net/ipv4/ip_forward"))
}

/// Writes "1" to a sysctl file unless it already says so.
fn enable(path: &Path) -> Result<(), CniError> {
    if std::fs::read_to_string(path).is_ok_and(|v| v.trim() == "1") {
        return Ok(());
    }
    std::fs::write(path, "1\n").map_err(|source| CniError::Forwarding {
        path: path.to_path_buf(),
        source,
    })?;
    tracing::info!(path = %path.display(), "IP forwarding enabled");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn config(dir: &Path, node: &str, cidr: &str) -> Config {
        let bin_dir = dir.join("bin");
        std::fs::create_dir_all(&bin_dir).unwrap();
        for plugin in PLUGINS {
            std::fs::write(bin_dir.join(plugin), "").unwrap();
        }
        Config {
            conf_dir: dir.join("net.d"),
            bin_dir,
            data_dir: dir.join("kubelet"),
            node_name: node.into(),
            pod_cidr: cidr.into(),
            cluster_cidr: None,
        }
    }

    #[test]
    fn bridge_names_are_short_stable_and_distinct() {
        let a = bridge_name("node-a");
        assert_eq!(a, bridge_name("node-a"));
        assert_ne!(a, bridge_name("node-b"));
        assert!(a.starts_with("rk") && a.len() <= 15, "{a}");
        let long = bridge_name(&"x".repeat(253));
        assert_eq!(long.len(), 14);
        assert!(long[2..].chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn the_list_chains_bridge_portmap_firewall_bandwidth() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), "node-a", "10.42.3.0/24");
        let list: Value = serde_json::from_str(&render(&c)).unwrap();
        assert_eq!(list["cniVersion"], "1.0.0");
        assert_eq!(list["name"], "rkube");
        let types: Vec<&str> = list["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["type"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["bridge", "portmap", "firewall", "bandwidth"]);
        let bridge = &list["plugins"][0];
        assert_eq!(bridge["bridge"], bridge_name("node-a"));
        assert_eq!(bridge["isGateway"], true);
        assert_eq!(bridge["ipMasq"], true);
        assert_eq!(bridge["hairpinMode"], true);
        assert_eq!(bridge["ipam"]["type"], "host-local");
        assert_eq!(bridge["ipam"]["ranges"][0][0]["subnet"], "10.42.3.0/24");
        assert_eq!(bridge["ipam"]["routes"][0]["dst"], "0.0.0.0/0");
        assert_eq!(
            bridge["ipam"]["dataDir"],
            dir.path()
                .join("kubelet/cni/networks")
                .display()
                .to_string()
        );
        assert_eq!(
            list["plugins"][1]["capabilities"],
            json!({"portMappings": true})
        );
        let spared = Config {
            cluster_cidr: Some("10.42.0.0/16".into()),
            ..c.clone()
        };
        let list: Value = serde_json::from_str(&render(&spared)).unwrap();
        assert_eq!(list["plugins"][0]["ipMasq"], false);
        let v6 = Config {
            pod_cidr: "fd00:42::/64".into(),
            ..c
        };
        let list: Value = serde_json::from_str(&render(&v6)).unwrap();
        assert_eq!(list["plugins"][0]["ipam"]["routes"][0]["dst"], "::/0");
    }

    #[test]
    fn written_atomically_and_only_when_changed() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), "node-a", "10.42.3.0/24");
        assert!(write(&c).unwrap());
        let path = c.conf_dir.join(CONF_FILE);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), render(&c));
        assert!(!write(&c).unwrap());
        let moved = Config {
            pod_cidr: "10.42.4.0/24".into(),
            ..c.clone()
        };
        assert!(write(&moved).unwrap());
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .contains("10.42.4.0/24"));
        // Nothing but the list is left in the directory.
        let names: Vec<_> = std::fs::read_dir(&c.conf_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [CONF_FILE]);
    }

    #[test]
    fn bad_input_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), "node-a", "10.42.3.0");
        assert!(matches!(write(&c), Err(CniError::PodCidr(_))));
        let c = Config {
            pod_cidr: "10.42.3.0/32".into(),
            ..c
        };
        assert!(matches!(write(&c), Err(CniError::PodCidr(_))));
        let c = Config {
            pod_cidr: "10.42.3.0/24".into(),
            bin_dir: dir.path().join("nothing"),
            ..c
        };
        let err = write(&c).unwrap_err();
        assert!(
            err.to_string().contains("containernetworking-plugins"),
            "{err}"
        );
        assert!(!c.conf_dir.join(CONF_FILE).exists());
    }

    #[test]
    fn masquerade_chains_are_per_node_and_short() {
        let chain = masquerade_chain("node-a");
        assert_eq!(chain, format!("RKUBE-MASQ-{}", &bridge_name("node-a")[2..]));
        assert!(chain.len() <= 28);
        assert_eq!(
            masquerade_rules(&chain, "10.42.0.0/16", false)[1..],
            [
                format!("-A {chain} -d 10.42.0.0/16 -j RETURN"),
                format!("-A {chain} -d 224.0.0.0/4 -j RETURN"),
                format!("-A {chain} -j MASQUERADE"),
            ]
        );
        let dir = tempfile::tempdir().unwrap();
        let c = Config {
            cluster_cidr: Some("fd00::/48".into()),
            ..config(dir.path(), "node-a", "10.42.3.0/24")
        };
        assert!(matches!(write(&c), Err(CniError::ClusterCidr(_))));
        // Without a cluster CIDR there is nothing to install.
        let c = Config {
            cluster_cidr: None,
            ..c
        };
        assert!(!ensure_masquerade(&c, &Iptables::with_prefix(&["false"])).unwrap());
    }

    #[test]
    fn forwarding_is_written_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ip_forward");
        std::fs::write(&path, "0\n").unwrap();
        enable(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "1\n");
        enable(&path).unwrap();
        assert!(enable(&dir.path().join("missing/ip_forward")).is_err());
    }
}
