//! The CNI configuration the kubelet writes, run for real without containerd:
//! in network namespaces of the test's own (a "host" and two "pods"), the
//! configurations of two nodes sharing that host are fed to the installed
//! plugins the way a runtime feeds them (CNI_* environment, each plugin's
//! configuration on stdin with the previous result chained through the
//! list), from inside the test's host namespace. Each pod gets an address of
//! its node's range on its node's bridge, the pods ping each other across the
//! two bridges and see each other's addresses (no NAT between pods), traffic
//! leaving the cluster is masqueraded, a hostPort reaches the second pod
//! through portmap, and DEL undoes it all. The namespaces (and with them every bridge, veth and
//! iptables rule the plugins made) are deleted at the end, even on failure.
//!
//! Needs root, `ip`, iptables, busybox and the plugins in /usr/lib/cni (Debian's
//! containernetworking-plugins); without them it says so and passes.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use kubelet::cni;
use serde_json::{json, Value};

const BIN_DIR: &str = "/usr/lib/cni";
/// Every command the test runs is bounded by coreutils' timeout.
const COMMAND_TIMEOUT: &str = "30";

/// Network namespaces, deleted when dropped.
struct Namespaces(Vec<String>);

impl Namespaces {
    fn create(names: &[String]) -> Namespaces {
        let mut created = Namespaces(Vec::new());
        for name in names {
            let out = command("ip", &["netns", "add", name]);
            assert!(out.status.success(), "ip netns add {name}: {}", text(&out));
            created.0.push(name.clone());
        }
        created
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for name in &self.0 {
            let _ = command("ip", &["netns", "del", name]);
        }
    }
}

/// A process in a namespace, killed when dropped.
struct Background(Child);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn command(program: &str, args: &[&str]) -> Output {
    Command::new("timeout")
        .arg(COMMAND_TIMEOUT)
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run a command")
}

/// Runs `args` inside network namespace `ns`.
fn in_ns(ns: &str, args: &[&str]) -> Output {
    let mut all = vec!["netns", "exec", ns];
    all.extend_from_slice(args);
    command("ip", &all)
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Why this machine cannot run the test, if it cannot.
fn missing_prerequisite() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("not root".into());
    }
    for plugin in cni::PLUGINS {
        if !Path::new(BIN_DIR).join(plugin).is_file() {
            return Some(format!("no {BIN_DIR}/{plugin}"));
        }
    }
    for program in ["ip", "busybox", "timeout", "iptables"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            return Some(format!("no {program}"));
        }
    }
    None
}

/// One pod's network as a runtime sets it up.
struct Attachment<'a> {
    host: &'a str,
    list: Value,
    container_id: String,
    netns: PathBuf,
    /// What the runtime offers for the plugins' capabilities.
    runtime_config: Value,
}

impl Attachment<'_> {
    /// One plugin's configuration: the list's name and version, the
    /// runtime configuration of the capabilities it declares, and the
    /// previous result.
    fn plugin_config(&self, plugin: &Value, prev: Option<&Value>) -> Value {
        let mut conf = plugin.clone();
        conf["name"] = self.list["name"].clone();
        conf["cniVersion"] = self.list["cniVersion"].clone();
        if let Some(capabilities) = plugin["capabilities"].as_object() {
            let mut runtime = serde_json::Map::new();
            for (capability, on) in capabilities {
                if on == true {
                    if let Some(value) = self.runtime_config.get(capability) {
                        runtime.insert(capability.clone(), value.clone());
                    }
                }
            }
            conf["runtimeConfig"] = Value::Object(runtime);
        }
        if let Some(prev) = prev {
            conf["prevResult"] = prev.clone();
        }
        conf
    }

    /// Runs one plugin in the host namespace; its stdout.
    fn exec(&self, command: &str, conf: &Value) -> Result<String, String> {
        let kind = conf["type"].as_str().unwrap_or_default().to_string();
        let mut child = Command::new("timeout")
            .args([COMMAND_TIMEOUT, "ip", "netns", "exec", self.host])
            .arg(Path::new(BIN_DIR).join(&kind))
            .env("CNI_COMMAND", command)
            .env("CNI_CONTAINERID", &self.container_id)
            .env("CNI_NETNS", &self.netns)
            .env("CNI_IFNAME", "eth0")
            .env("CNI_PATH", BIN_DIR)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{kind}: {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write;
            stdin
                .write_all(conf.to_string().as_bytes())
                .map_err(|e| format!("{kind}: stdin: {e}"))?;
        }
        let out = child
            .wait_with_output()
            .map_err(|e| format!("{kind}: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!("{command} {kind} failed: {}", text(&out)))
        }
    }

    /// ADD through the whole list; the last plugin's result.
    fn add(&self) -> Result<Value, String> {
        let mut result: Option<Value> = None;
        for plugin in self.list["plugins"].as_array().into_iter().flatten() {
            let conf = self.plugin_config(plugin, result.as_ref());
            let out = self.exec("ADD", &conf)?;
            result = Some(serde_json::from_str(&out).map_err(|e| format!("{out}: {e}"))?);
        }
        result.ok_or_else(|| "empty plugin list".into())
    }

    /// DEL through the list in reverse, each plugin given the ADD result;
    /// every plugin runs even when one fails.
    fn del(&self, result: &Value) -> Result<(), String> {
        let mut errors = Vec::new();
        for plugin in self.list["plugins"].as_array().into_iter().flatten().rev() {
            let conf = self.plugin_config(plugin, Some(result));
            if let Err(error) = self.exec("DEL", &conf) {
                errors.push(error);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("\n"))
        }
    }
}

/// The pod's IPv4 address from a CNI result.
fn address(result: &Value) -> Ipv4Addr {
    let cidr = result["ips"][0]["address"].as_str().unwrap_or_default();
    let ip = cidr.split('/').next().unwrap_or_default();
    ip.parse()
        .unwrap_or_else(|e| panic!("address {cidr:?}: {e}; result {result}"))
}

fn within(ip: Ipv4Addr, network: Ipv4Addr, prefix: u32) -> bool {
    let mask = u32::MAX << (32 - prefix);
    u32::from(ip) & mask == u32::from(network) & mask
}

/// A few tries of `args` in `ns` (the first packets may meet ARP or a
/// server still starting); the last output.
fn retry(ns: &str, args: &[&str]) -> Output {
    let mut out = in_ns(ns, args);
    for _ in 0..5 {
        if out.status.success() {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
        out = in_ns(ns, args);
    }
    out
}

#[test]
fn two_nodes_on_one_host_give_their_pods_addresses_that_reach_each_other() {
    if let Some(why) = missing_prerequisite() {
        eprintln!("skipping the CNI test: {why}");
        return;
    }
    let id = std::process::id();
    let host = format!("rkcni-{id}-host");
    let pod1 = format!("rkcni-{id}-pod1");
    let pod2 = format!("rkcni-{id}-pod2");
    let world = format!("rkcni-{id}-world");
    let _namespaces =
        Namespaces::create(&[host.clone(), pod1.clone(), pod2.clone(), world.clone()]);
    for ns in [&host, &pod1, &pod2] {
        let out = in_ns(ns, &["ip", "link", "set", "lo", "up"]);
        assert!(out.status.success(), "{}", text(&out));
    }
    // Forwarding in the test's host namespace, as prepare_host does in the
    // kubelet's (it is per namespace).
    let out = in_ns(
        &host,
        &["sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"],
    );
    assert!(out.status.success(), "{}", text(&out));
    // Forwarded traffic dropped unless accepted, as Docker leaves a host:
    // the firewall plugin must let the pods' traffic through.
    let out = in_ns(&host, &["iptables", "-P", "FORWARD", "DROP"]);
    assert!(out.status.success(), "{}", text(&out));

    let dir = tempfile::tempdir().expect("temp dir");
    let node = |name: &str, cidr: &str| cni::Config {
        conf_dir: dir.path().join(name).join("net.d"),
        bin_dir: PathBuf::from(BIN_DIR),
        data_dir: dir.path().join(name).join("kubelet"),
        node_name: name.to_string(),
        pod_cidr: cidr.to_string(),
        cluster_cidr: Some("10.42.0.0/16".to_string()),
    };
    let node_a = node("node-a", "10.42.0.0/24");
    let node_b = node("node-b", "10.42.1.0/24");
    let iptables = cni::Iptables::with_prefix(&["ip", "netns", "exec", &host]);
    for config in [&node_a, &node_b] {
        assert!(cni::write(config).expect("write the configuration"));
        assert!(cni::ensure_masquerade(config, &iptables).expect("masquerade rules"));
        // Idempotent.
        assert!(!cni::ensure_masquerade(config, &iptables).expect("masquerade rules"));
    }
    // A podCIDR that moved leaves no rule behind.
    let moved = cni::Config {
        pod_cidr: "10.42.9.0/24".into(),
        ..node_a.clone()
    };
    assert!(cni::ensure_masquerade(&moved, &iptables).expect("masquerade rules"));
    assert!(cni::ensure_masquerade(&node_a, &iptables).expect("masquerade rules"));
    let out = in_ns(&host, &["iptables", "-t", "nat", "-S", "POSTROUTING"]);
    assert!(!text(&out).contains("10.42.9.0/24"), "{}", text(&out));
    // "The world": a network outside the cluster, reachable from the host
    // only, with no route back to the pods: pods reach it only masqueraded.
    let world_dev = format!("rkw{id}");
    for args in [
        vec![
            "ip", "link", "add", &world_dev, "type", "veth", "peer", "name", "world0",
        ],
        vec!["ip", "link", "set", "world0", "netns", &world],
        vec!["ip", "addr", "add", "192.0.2.1/24", "dev", &world_dev],
        vec!["ip", "link", "set", &world_dev, "up"],
    ] {
        let out = in_ns(&host, &args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    }
    for args in [
        vec!["ip", "addr", "add", "192.0.2.2/24", "dev", "world0"],
        vec!["ip", "link", "set", "world0", "up"],
    ] {
        let out = in_ns(&world, &args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    }
    let read = |config: &cni::Config| -> Value {
        let path = config.conf_dir.join(cni::CONF_FILE);
        let text = std::fs::read_to_string(&path).expect("read the configuration");
        serde_json::from_str(&text).expect("configuration JSON")
    };
    let first = Attachment {
        host: &host,
        list: read(&node_a),
        container_id: format!("rkcni{id}pod1"),
        netns: PathBuf::from("/run/netns").join(&pod1),
        runtime_config: json!({"portMappings": []}),
    };
    let second = Attachment {
        host: &host,
        list: read(&node_b),
        container_id: format!("rkcni{id}pod2"),
        netns: PathBuf::from("/run/netns").join(&pod2),
        runtime_config: json!({"portMappings": [
            {"hostPort": 18080, "containerPort": 8080, "protocol": "tcp"}
        ]}),
    };
    let result1 = first.add().expect("ADD pod1");
    let result2 = match second.add() {
        Ok(result) => result,
        Err(error) => {
            let _ = first.del(&result1);
            panic!("ADD pod2: {error}");
        }
    };
    let checks = std::panic::catch_unwind(|| {
        check_pods(
            &host,
            &pod1,
            &pod2,
            &node_a,
            &node_b,
            &result1,
            &result2,
            dir.path(),
        )
    });
    let del1 = first.del(&result1);
    let del2 = second.del(&result2);
    if let Err(panic) = checks {
        std::panic::resume_unwind(panic);
    }
    del1.expect("DEL pod1");
    del2.expect("DEL pod2");
    // host-local gave the addresses back.
    for (config, result) in [(&node_a, &result1), (&node_b, &result2)] {
        let lease = cni::ipam_data_dir(config)
            .join(cni::NETWORK_NAME)
            .join(address(result).to_string());
        assert!(!lease.exists(), "{} left behind", lease.display());
    }
    let out = in_ns(&pod1, &["ip", "link", "show", "eth0"]);
    assert!(!out.status.success(), "eth0 left in pod1: {}", text(&out));
}

#[allow(clippy::too_many_arguments)]
fn check_pods(
    host: &str,
    pod1: &str,
    pod2: &str,
    node_a: &cni::Config,
    node_b: &cni::Config,
    result1: &Value,
    result2: &Value,
    dir: &Path,
) {
    let ip1 = address(result1);
    let ip2 = address(result2);
    assert!(within(ip1, Ipv4Addr::new(10, 42, 0, 0), 24), "{ip1}");
    assert!(within(ip2, Ipv4Addr::new(10, 42, 1, 0), 24), "{ip2}");
    // Each node's allocations in its own data directory.
    for (config, ip) in [(node_a, ip1), (node_b, ip2)] {
        let lease = cni::ipam_data_dir(config)
            .join(cni::NETWORK_NAME)
            .join(ip.to_string());
        assert!(lease.is_file(), "no {}", lease.display());
    }
    // The addresses are on the pods' eth0, behind two bridges of the host.
    for (pod, ip) in [(pod1, ip1), (pod2, ip2)] {
        let out = in_ns(pod, &["ip", "-4", "addr", "show", "eth0"]);
        assert!(text(&out).contains(&format!("{ip}/24")), "{}", text(&out));
    }
    for config in [node_a, node_b] {
        let bridge = cni::bridge_name(&config.node_name);
        let out = in_ns(host, &["ip", "link", "show", &bridge]);
        assert!(out.status.success(), "bridge {bridge}: {}", text(&out));
    }
    // Pod to pod across the bridges, both ways.
    let out = retry(pod1, &["busybox", "ping", "-c1", "-W2", &ip2.to_string()]);
    assert!(out.status.success(), "pod1 → {ip2}: {}", text(&out));
    let out = retry(pod2, &["busybox", "ping", "-c1", "-W2", &ip1.to_string()]);
    assert!(out.status.success(), "pod2 → {ip1}: {}", text(&out));
    // Traffic leaving the cluster is masqueraded (the world has no route
    // back to the pods).
    let out = retry(pod1, &["busybox", "ping", "-c1", "-W2", "192.0.2.2"]);
    assert!(out.status.success(), "pod1 → 192.0.2.2: {}", text(&out));
    // hostPort 18080 of the host leads to pod2's port 8080, where a CGI
    // script tells who is asking.
    let www = dir.join("www");
    std::fs::create_dir_all(www.join("cgi-bin")).expect("www dir");
    std::fs::write(www.join("index.html"), "hello from pod2\n").expect("index.html");
    let script = www.join("cgi-bin/peer");
    std::fs::write(
        &script,
        "#!/bin/sh\necho 'Content-Type: text/plain'\necho\necho \"peer=$REMOTE_ADDR\"\n",
    )
    .expect("CGI script");
    let out = command("chmod", &["755", &script.to_string_lossy()]);
    assert!(out.status.success(), "{}", text(&out));
    let www = www.to_string_lossy().into_owned();
    let server = Command::new("ip")
        .args([
            "netns", "exec", pod2, "busybox", "httpd", "-f", "-p", "8080", "-h", &www,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start httpd in pod2");
    let _server = Background(server);
    // The host's address on node-a's bridge (pod1's gateway), port 18080.
    let gateway = result1["ips"][0]["gateway"].as_str().unwrap_or("10.42.0.1");
    // (busybox's nc: its static wget crashes on some systems.)
    let request =
        format!("printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 {gateway} 18080");
    let mut out = in_ns(pod1, &["sh", "-c", &request]);
    for _ in 0..5 {
        if text(&out).contains("hello from pod2") {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
        out = in_ns(pod1, &["sh", "-c", &request]);
    }
    assert!(
        text(&out).contains("hello from pod2"),
        "{gateway}:18080: {}",
        text(&out)
    );
    // Pod to pod across nodes keeps the source address, directly and
    // through the hostPort.
    for target in [format!("{ip2} 8080"), format!("{gateway} 18080")] {
        let request =
            format!("printf 'GET /cgi-bin/peer HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 {target}");
        let out = in_ns(pod1, &["sh", "-c", &request]);
        assert!(
            // (busybox httpd listens on IPv6 and sees IPv4 peers mapped.)
            text(&out).contains(&format!("peer={ip1}\n"))
                || text(&out).contains(&format!("peer=[::ffff:{ip1}]\n")),
            "{target}: {}",
            text(&out)
        );
    }
}
