//! tmpfs mounts for memory-backed volumes, made and undone with the
//! `mount` and `umount` programs (the workspace forbids the unsafe code a
//! direct syscall would need), and the mount table (`/proc/self/mountinfo`)
//! to know what is mounted where.

use std::path::{Path, PathBuf};

use tokio::process::Command;

/// A mount or unmount that failed.
#[derive(Debug, thiserror::Error)]
#[error("{command}: {message}")]
pub struct MountError {
    pub command: String,
    pub message: String,
}

/// Mount points (decoded) of the mount table, in table order.
pub fn mount_points() -> std::io::Result<Vec<PathBuf>> {
    let table = std::fs::read_to_string("/proc/self/mountinfo")?;
    Ok(parse_mountinfo(&table))
}

/// The mount points of a mountinfo table: the fifth field of each line,
/// with its octal escapes (`\040` for a space) decoded.
fn parse_mountinfo(table: &str) -> Vec<PathBuf> {
    table
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|field| PathBuf::from(unescape(field)))
        .collect()
}

fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 4 <= bytes.len() {
            let digits = &bytes[i + 1..i + 4];
            if digits.iter().all(|b| (b'0'..=b'7').contains(b)) {
                let value = digits
                    .iter()
                    .fold(0u32, |acc, b| acc * 8 + u32::from(b - b'0'));
                if let Ok(value) = u8::try_from(value) {
                    out.push(value);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether something is mounted exactly at `path`.
pub fn is_mount_point(path: &Path) -> std::io::Result<bool> {
    Ok(mount_points()?.iter().any(|p| p == path))
}

/// The mount points at or under `dir`, deepest first (the order to unmount
/// them in).
pub fn mounts_under(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = mount_points()?
        .into_iter()
        .filter(|p| p.starts_with(dir))
        .collect();
    found.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    found.dedup();
    Ok(found)
}

async fn run(program: &str, args: &[&str]) -> Result<(), MountError> {
    let command = format!("{program} {}", args.join(" "));
    let output = Command::new(program)
        .args(args)
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| MountError {
            command: command.clone(),
            message: e.to_string(),
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(MountError {
            command,
            message: format!(
                "{} ({})",
                String::from_utf8_lossy(&output.stderr).trim(),
                output.status
            ),
        })
    }
}

/// Mounts a tmpfs at `dir` (which must exist), `size` bytes at most when
/// given (else the kernel's default, half the memory).
pub async fn mount_tmpfs(dir: &Path, size: Option<u64>) -> Result<(), MountError> {
    let target = dir.to_string_lossy();
    match size.filter(|s| *s > 0) {
        Some(size) => {
            let options = format!("size={size}");
            run("mount", &["-t", "tmpfs", "-o", &options, "tmpfs", &target]).await
        }
        None => run("mount", &["-t", "tmpfs", "tmpfs", &target]).await,
    }
}

/// Unmounts what is mounted at `dir`.
pub async fn unmount(dir: &Path) -> Result<(), MountError> {
    run("umount", &[&dir.to_string_lossy()]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mountinfo() {
        let table = "\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
98 22 0:45 / /var/lib/rkube/pods/u1/volumes/kubernetes.io~secret/my\\040secret rw - tmpfs tmpfs rw,size=1024k
";
        assert_eq!(
            parse_mountinfo(table),
            [
                PathBuf::from("/"),
                PathBuf::from("/var/lib/rkube/pods/u1/volumes/kubernetes.io~secret/my secret"),
            ]
        );
        assert_eq!(unescape("a\\134b"), "a\\b");
        assert_eq!(unescape("trailing\\04"), "trailing\\04");
    }
}
