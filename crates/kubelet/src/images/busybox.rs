//! The busybox image: the statically linked `/bin/busybox` of Debian's
//! `busybox-static` package with a link in `/bin` for every applet it
//! lists, so that `sh`, `sleep`, `wget`, `nc`, `httpd` and the rest are
//! there. Every test that runs a container uses it; users get it from
//! `rkube images busybox`.

use std::path::Path;
use std::process::Command;

use super::oci::{self, Entry, ImageConfig};
use super::ImageError;

/// Where Debian's `busybox-static` puts the binary.
pub const BUSYBOX: &str = "/bin/busybox";

/// The busybox image named `reference`, from [`BUSYBOX`].
pub fn busybox(reference: &str) -> Result<Vec<u8>, ImageError> {
    busybox_from(Path::new(BUSYBOX), reference)
}

/// The busybox image named `reference`, from the busybox binary at `binary`
/// (which must be statically linked: the image holds nothing else).
pub fn busybox_from(binary: &Path, reference: &str) -> Result<Vec<u8>, ImageError> {
    let missing = |reason: String| ImageError::Busybox {
        path: binary.to_path_buf(),
        reason,
    };
    let output = Command::new(binary)
        .arg("--list")
        .output()
        .map_err(|error| missing(error.to_string()))?;
    if !output.status.success() {
        return Err(missing(format!("`--list` failed: {}", output.status)));
    }
    let list = String::from_utf8_lossy(&output.stdout);
    let mut entries = vec![
        Entry::host_file("/bin/busybox", binary, 0o755),
        Entry::directory("/usr/bin", 0o755),
        Entry::directory("/sbin", 0o755),
        Entry::directory("/tmp", 0o1777),
        Entry::directory("/root", 0o700),
        Entry::bytes(
            "/etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
            0o644,
        ),
        Entry::bytes("/etc/group", "root:x:0:\nnogroup:x:65534:\n", 0o644),
    ];
    for applet in list.lines().map(str::trim) {
        // Applet names are plain words; anything else is not a link to make.
        if applet.is_empty() || applet == "busybox" || applet.contains('/') || applet == ".." {
            continue;
        }
        entries.push(Entry::symlink(format!("/bin/{applet}"), "busybox"));
    }
    let config = ImageConfig {
        env: vec!["PATH=/bin:/usr/bin:/sbin".to_string()],
        cmd: vec!["sh".to_string()],
        ..ImageConfig::default()
    };
    oci::write(reference, &entries, &config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::io::Read;

    #[test]
    fn holds_busybox_and_a_link_per_applet() {
        if !Path::new(BUSYBOX).exists() {
            eprintln!("skipped: {BUSYBOX} is absent (Debian package busybox-static)");
            return;
        }
        let tarball = busybox("busybox:test").unwrap();
        let mut outer = tar::Archive::new(&tarball[..]);
        let mut layer = None;
        for entry in outer.entries().unwrap() {
            let mut entry = entry.unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            // The layer is the only gzip blob.
            if bytes.starts_with(&[0x1f, 0x8b]) {
                layer = Some(bytes);
            }
        }
        let layer = layer.unwrap();
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&layer[..]));
        let mut links = BTreeSet::new();
        let mut busybox_size = 0;
        for entry in archive.entries().unwrap() {
            let entry = entry.unwrap();
            let path = entry.path().unwrap().display().to_string();
            if entry.header().entry_type() == tar::EntryType::Symlink {
                assert_eq!(
                    entry.link_name().unwrap().unwrap().to_str(),
                    Some("busybox")
                );
                links.insert(path);
            } else if path == "bin/busybox" {
                busybox_size = entry.header().size().unwrap();
            }
        }
        assert!(links.contains("bin/sh"));
        assert!(links.contains("bin/sleep"));
        assert_eq!(busybox_size, std::fs::metadata(BUSYBOX).unwrap().len());
    }

    #[test]
    fn a_missing_binary_says_which_package() {
        let error = busybox_from(Path::new("/nonexistent/busybox"), "b:1").unwrap_err();
        assert!(error.to_string().contains("busybox-static"), "{error}");
    }
}
