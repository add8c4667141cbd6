//! What the node reports about the machine it runs on: CPUs, memory, disk,
//! kernel, OS image, machine and boot IDs. Read from /proc, /sys and /etc;
//! where a value cannot be read the node reports a conservative default.

use std::path::Path;

/// The machine's facts, read once at start (capacity does not change under
/// a running kubelet).
#[derive(Clone, Debug)]
pub struct Machine {
    pub cpus: u32,
    pub memory_bytes: u64,
    pub ephemeral_storage_bytes: u64,
    pub kernel_version: String,
    pub os_image: String,
    pub machine_id: String,
    pub boot_id: String,
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

/// `MemTotal` in bytes from /proc/meminfo text.
pub fn mem_total(meminfo: &str) -> Option<u64> {
    field_kib(meminfo, "MemTotal:")
}

/// `MemAvailable` in bytes from /proc/meminfo text.
pub fn mem_available(meminfo: &str) -> Option<u64> {
    field_kib(meminfo, "MemAvailable:")
}

fn field_kib(meminfo: &str, name: &str) -> Option<u64> {
    meminfo
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse::<u64>().ok())
        .map(|kib| kib * 1024)
}

/// `PRETTY_NAME` from /etc/os-release text.
pub fn pretty_name(os_release: &str) -> Option<String> {
    os_release
        .lines()
        .find_map(|line| line.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string())
}

/// Total and available bytes of the filesystem holding `path`, from `df`
/// (statvfs needs unsafe code, which the workspace forbids).
pub fn filesystem(path: &Path) -> Option<(u64, u64)> {
    let output = std::process::Command::new("df")
        .args(["-P", "-B1"])
        .arg(path)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().nth(1)?;
    let mut fields = line.split_whitespace().skip(1);
    let total = fields.next()?.parse().ok()?;
    let _used: u64 = fields.next()?.parse().ok()?;
    let available = fields.next()?.parse().ok()?;
    Some((total, available))
}

impl Machine {
    /// Reads this machine; `data_dir` is where pods' writable layers and
    /// volumes live (its filesystem is the node's ephemeral storage).
    pub fn read(data_dir: &Path) -> Machine {
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1);
        let memory_bytes = read("/proc/meminfo")
            .as_deref()
            .and_then(mem_total)
            .unwrap_or(1 << 30);
        let ephemeral_storage_bytes = filesystem(data_dir).map(|(total, _)| total).unwrap_or(0);
        let machine_id = read("/etc/machine-id")
            .or_else(|| read("/var/lib/dbus/machine-id"))
            .unwrap_or_default();
        Machine {
            cpus,
            memory_bytes,
            ephemeral_storage_bytes,
            kernel_version: read("/proc/sys/kernel/osrelease").unwrap_or_default(),
            os_image: read("/etc/os-release")
                .as_deref()
                .and_then(pretty_name)
                .unwrap_or_else(|| "Linux".to_string()),
            machine_id,
            boot_id: read("/proc/sys/kernel/random/boot_id").unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_and_os_release() {
        let meminfo = "MemTotal:       24576000 kB\nMemFree:  100 kB\nMemAvailable:   20000000 kB\n";
        assert_eq!(mem_total(meminfo), Some(24_576_000 * 1024));
        assert_eq!(mem_available(meminfo), Some(20_000_000 * 1024));
        assert_eq!(mem_total("nothing"), None);
        let os = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assert_eq!(pretty_name(os).as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
    }

    #[test]
    fn this_machine() {
        let machine = Machine::read(Path::new("/"));
        assert!(machine.cpus >= 1);
        assert!(machine.memory_bytes > 0);
        assert!(machine.ephemeral_storage_bytes > 0);
    }
}
