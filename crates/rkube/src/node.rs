//! The kubelet `rkube server` runs for its own machine: the container
//! runtime (a running CRI endpoint, or rkube's own containerd), the images
//! every node needs, then the kubelet itself, reaching the API server
//! through a kubeconfig like any client.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use kubelet::containerd::{self, on_path, Containerd};
use kubelet::cri::Cri;

use crate::cli::KubeletArgs;

/// A running node: the kubelet's tasks and, if rkube started it, containerd.
pub struct Node {
    agent: kubelet::agent::Agent,
    server: kubelet::server::Server,
    containerd: Option<Containerd>,
}

impl Node {
    /// Stops the kubelet and rkube's containerd; the pods' containers keep
    /// running (their shims outlive containerd) and are found again at the
    /// next start.
    pub async fn stop(self) {
        drop(self.agent);
        drop(self.server);
        if let Some(containerd) = self.containerd {
            containerd.stop().await;
        }
    }
}

/// The host's name, the default Node name (lower-cased, as upstream).
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_lowercase())
        .unwrap_or_else(|_| "localhost".into())
}

/// The address of the interface that holds the default route, read from
/// /proc/net/route and `ip -4 -o addr` (no unsafe interface enumeration).
fn default_ip() -> Option<IpAddr> {
    let routes = std::fs::read_to_string("/proc/net/route").ok()?;
    let interface = routes
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[1] == "00000000")
        .map(|f| f[0].to_string())?;
    let output = std::process::Command::new("ip")
        .args(["-4", "-o", "addr", "show", "dev", &interface])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace()
        .skip_while(|w| *w != "inet")
        .nth(1)
        .and_then(|cidr| cidr.split('/').next())
        .and_then(|ip| ip.parse().ok())
}

/// The CNI plugins' directory: Debian's, or the upstream default.
fn cni_bin_dir() -> PathBuf {
    ["/usr/lib/cni", "/opt/cni/bin"]
        .iter()
        .map(PathBuf::from)
        .find(|dir| dir.join("bridge").exists())
        .unwrap_or_else(|| PathBuf::from("/usr/lib/cni"))
}

/// The project's script that installs containerd, runc, the CNI plugins and
/// iptables from Debian's packages.
const NODE_PACKAGES: &str = include_str!("../../../scripts/node-packages.sh");

/// Installs what the node lacks to run pods, when rkube may (root, with
/// apt-get), so that `rkube server` alone gives a working node on a fresh
/// machine; otherwise containerd's start says what to install.
fn install_missing_packages() -> Result<()> {
    let missing = !on_path("containerd")
        || !on_path("runc")
        || !on_path("iptables") && !Path::new("/usr/sbin/iptables").exists()
        || !cni_bin_dir().join("bridge").exists();
    if !missing || !on_path("apt-get") {
        return Ok(());
    }
    let root = std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false);
    if !root {
        return Ok(());
    }
    eprintln!("rkube: this machine lacks what a node needs to run pods; installing it");
    let status = std::process::Command::new("sh")
        .args(["-c", NODE_PACKAGES])
        .status()
        .context("running the node package installation")?;
    anyhow::ensure!(
        status.success(),
        "installing containerd, runc and the CNI plugins failed ({status})"
    );
    Ok(())
}

/// Starts the runtime (unless given one) and the kubelet.
pub async fn start(
    args: &KubeletArgs,
    data_dir: &Path,
    kubeconfig: &Path,
    cluster_cidr: Option<String>,
) -> Result<Node> {
    let dir = data_dir.join("agent");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let (containerd, cri) = match &args.container_runtime_endpoint {
        Some(socket) => {
            let cri = Cri::connect(socket)
                .await
                .with_context(|| format!("connecting to the runtime at {}", socket.display()))?;
            (None, cri)
        }
        None => {
            install_missing_packages()?;
            let config = containerd::Config {
                dir: dir.join("containerd"),
                sandbox_image: kubelet::images::pause::REFERENCE.to_string(),
                cni_bin_dir: cni_bin_dir(),
                cni_conf_dir: dir.join("cni").join("net.d"),
                cgroup_driver: containerd::CgroupDriver::detect(),
            };
            let (containerd, cri) = Containerd::start(&config)
                .await
                .context("starting containerd")?;
            (Some(containerd), cri)
        }
    };
    let socket = cri.socket().to_path_buf();
    kubelet::images::ensure_pause(&socket, &dir)
        .await
        .context("importing the pause image")?;
    // Every tarball in <data-dir>/images/ (`rkube images import` while running).
    kubelet::images::import_dir(&socket, data_dir).await;
    let connection = kubelet::Connection {
        kubeconfig: Some(kubeconfig.to_path_buf()),
        ..Default::default()
    };
    let client = connection.client().await.context("kubelet client")?;
    let node_name = args.node_name.clone().unwrap_or_else(hostname);
    let node_ip = args
        .node_ip
        .or_else(default_ip)
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    kubelet::cni::prepare_host().context("preparing the host for pod networking")?;
    let cni = kubelet::cni::Config {
        conf_dir: dir.join("cni").join("net.d"),
        bin_dir: cni_bin_dir(),
        data_dir: dir.clone(),
        node_name: node_name.clone(),
        pod_cidr: String::new(),
        cluster_cidr,
    };
    let options = kubelet::agent::Options {
        node_name,
        node_ip,
        data_dir: dir,
        cgroup_root: format!("/rkube/{}", node_name_for_cgroup(&args.node_name)),
        max_pods: args.max_pods,
        cni,
    };
    let mut agent = kubelet::agent::Agent::start(client, cri.clone(), options)
        .await
        .context("starting the kubelet")?;
    // The kubelet's HTTPS endpoint (logs, exec, attach, port-forward, stats),
    // its certificate signed by the cluster CA when this machine holds it.
    let shared = agent.shared();
    let tls = data_dir.join("tls");
    let ca_cert = std::fs::read_to_string(tls.join("ca.crt"))
        .with_context(|| format!("reading {}", tls.join("ca.crt").display()))?;
    let ca_key = std::fs::read_to_string(tls.join("ca.key")).ok();
    let serving = kubelet::server::serving_certificate(
        &shared.node_name(),
        &[node_ip],
        ca_key.as_deref().map(|key| (ca_cert.as_str(), key)),
    )
    .context("the kubelet's serving certificate")?;
    let pods = shared.clone();
    let server = kubelet::server::Server::start(kubelet::server::Config {
        address: std::net::SocketAddr::new(node_ip, args.kubelet_port),
        node_name: shared.node_name(),
        serving,
        client_ca_pem: ca_cert,
        cri,
        pods: std::sync::Arc::new(move || pods.pods()),
    })
    .await
    .context("starting the kubelet server")?;
    shared.set_kubelet_port(server.port());
    agent.run().await.context("registering the node")?;
    Ok(Node {
        agent,
        server,
        containerd,
    })
}

/// The cgroup directory of this node's pods under /rkube: the node name, so
/// that several nodes on one host keep apart.
fn node_name_for_cgroup(name: &Option<String>) -> String {
    name.clone().unwrap_or_else(hostname)
}
