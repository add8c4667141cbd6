//! rkube's own sandbox (pause) image: `pause/pause.c`, compiled statically
//! by the crate's build script, as `/pause` in a one-layer image. The
//! kubelet imports it at start (`import::ensure_pause`) and names it as
//! containerd's `sandbox_image`, so pods run without any registry.

use super::oci::{self, Entry, ImageConfig};
use super::ImageError;

/// The reference the pause image is imported under.
pub const REFERENCE: &str = "rkube.local/pause:3.10";

/// The static pause executable built from `pause/pause.c`.
pub const BINARY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/pause"));

/// The OCI image-layout tarball of the pause image, named [`REFERENCE`].
pub fn tarball() -> Vec<u8> {
    match build() {
        Ok(tarball) => tarball,
        // Everything in it is fixed at compile time, and the unit test
        // below builds it: this cannot fail at run time.
        Err(error) => unreachable!("the pause image is fixed: {error}"),
    }
}

fn build() -> Result<Vec<u8>, ImageError> {
    let entries = [Entry::bytes("/pause", BINARY, 0o755)];
    let config = ImageConfig {
        entrypoint: vec!["/pause".to_string()],
        ..ImageConfig::default()
    };
    oci::write(REFERENCE, &entries, &config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_builds_and_the_binary_is_a_static_executable() {
        assert!(build().is_ok());
        assert!(BINARY.starts_with(b"\x7fELF"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pause");
        std::fs::write(&path, BINARY).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        // Another test's fork may briefly hold the file open for writing
        // (ETXTBSY): try again.
        let mut attempts = 0;
        let output = loop {
            match std::process::Command::new(&path).arg("-v").output() {
                Err(error) if error.raw_os_error() == Some(26) && attempts < 50 => {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                result => break result.unwrap(),
            }
        };
        assert!(output.status.success());
        assert!(String::from_utf8_lossy(&output.stdout).contains("rkube-pause"));
    }
}
