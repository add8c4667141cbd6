//! Importing image tarballs into the runtime, the only way images reach a
//! node without a registry.
//!
//! CRI has no import call, so this goes through containerd's own client
//! from the same Debian package: `ctr --address SOCKET --namespace k8s.io
//! images import FILE`. The `k8s.io` namespace is the one containerd's CRI
//! plugin serves, and `ctr` unpacks the image into the default snapshotter
//! (overlayfs, the one rkube's containerd gives CRI), so a pod can run the
//! image right after. Both OCI image layouts and docker-archive tarballs
//! (`docker save`) are understood by `ctr`; gzip-compressed ones are
//! decompressed here first, since containerd 1.6 reads plain tar only.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use super::pause;

/// The containerd namespace CRI keeps its images and containers in.
pub const NAMESPACE: &str = "k8s.io";

/// How long one `ctr images import` may take (large images, slow disks).
const IMPORT_TIMEOUT: Duration = Duration::from_secs(600);

/// Why a tarball could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(
        "`ctr` (containerd's client) is not installed; image import needs it: install the \
         Debian package containerd"
    )]
    CtrMissing,
    #[error(
        "the container runtime at {socket} is not containerd; importing images needs \
         containerd (other runtimes: load the image with the runtime's own tools)"
    )]
    NotContainerd { socket: PathBuf },
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("importing {path} into the runtime at {socket} failed: {message}")]
    Failed {
        path: PathBuf,
        socket: PathBuf,
        message: String,
    },
    #[error("importing {path} took more than {seconds} s")]
    Timeout { path: PathBuf, seconds: u64 },
}

/// The images one tarball of `<data-dir>/images/` brought in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    pub file: PathBuf,
    /// The references the runtime now knows them by.
    pub images: Vec<String>,
}

/// Imports the tarball at `path` (OCI image layout or docker-archive,
/// gzip-compressed or not) into the runtime listening on `socket`; returns
/// the references of the images it held.
pub async fn import_file(socket: &Path, path: &Path) -> Result<Vec<String>, ImportError> {
    if is_gzip(path)? {
        // Decompressed beside the source when possible (same disk), else
        // in the temporary directory.
        let parent = path.parent().filter(|dir| is_writable_dir(dir));
        let plain = decompress(path, parent.unwrap_or(&std::env::temp_dir()))?;
        return run_ctr(socket, plain.path(), path).await;
    }
    run_ctr(socket, path, path).await
}

/// Imports a tarball held in memory: it is written to a temporary file
/// under `<data_dir>/tmp` (named after `name`, for the logs), imported and
/// removed.
pub async fn import_bytes(
    socket: &Path,
    data_dir: &Path,
    name: &str,
    bytes: &[u8],
) -> Result<Vec<String>, ImportError> {
    let dir = data_dir.join("tmp");
    std::fs::create_dir_all(&dir).map_err(|source| ImportError::Io {
        what: "creating",
        path: dir.clone(),
        source,
    })?;
    let prefix: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let mut file = tempfile::Builder::new()
        .prefix(&format!("{prefix}-"))
        .suffix(".tar")
        .tempfile_in(&dir)
        .map_err(|source| ImportError::Io {
            what: "creating a temporary file in",
            path: dir.clone(),
            source,
        })?;
    file.write_all(bytes)
        .and_then(|()| file.flush())
        .map_err(|source| ImportError::Io {
            what: "writing",
            path: file.path().to_path_buf(),
            source,
        })?;
    import_file(socket, file.path()).await
}

/// Imports every `*.tar`, `*.tar.gz` and `*.tgz` file of `<data_dir>/images/`
/// (in name order), as the kubelet does at start. A file that fails is
/// logged and skipped; returns what was imported. A missing directory holds
/// nothing.
pub async fn import_dir(socket: &Path, data_dir: &Path) -> Vec<Imported> {
    let dir = data_dir.join("images");
    let mut files = match tarballs_in(&dir) {
        Ok(files) => files,
        Err(error) => {
            tracing::warn!(dir = %dir.display(), %error, "cannot read the image directory");
            return Vec::new();
        }
    };
    files.sort();
    let mut imported = Vec::new();
    for file in files {
        match import_file(socket, &file).await {
            Ok(images) => {
                tracing::info!(file = %file.display(), ?images, "imported images");
                imported.push(Imported { file, images });
            }
            Err(error) => {
                tracing::error!(file = %file.display(), %error, "image import failed");
            }
        }
    }
    imported
}

/// Imports rkube's pause image ([`pause::REFERENCE`]) so that sandboxes
/// start without a registry. Importing an image already there changes
/// nothing, so this runs at every start (and updates an older pause image).
pub async fn ensure_pause(socket: &Path, data_dir: &Path) -> Result<(), ImportError> {
    let images = import_bytes(socket, data_dir, "pause", &pause::tarball()).await?;
    tracing::debug!(?images, "pause image imported");
    Ok(())
}

/// The tarballs directly inside `dir` (none when it does not exist).
fn tarballs_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default();
        let is_tarball = [".tar", ".tar.gz", ".tgz"]
            .iter()
            .any(|suffix| name.ends_with(suffix));
        if is_tarball && !name.starts_with('.') && path.is_file() {
            files.push(path);
        }
    }
    Ok(files)
}

fn is_gzip(path: &Path) -> Result<bool, ImportError> {
    let mut magic = [0u8; 2];
    let mut file = std::fs::File::open(path).map_err(|source| ImportError::Io {
        what: "opening",
        path: path.to_path_buf(),
        source,
    })?;
    let read = file.read(&mut magic).map_err(|source| ImportError::Io {
        what: "reading",
        path: path.to_path_buf(),
        source,
    })?;
    Ok(read == 2 && magic == [0x1f, 0x8b])
}

fn is_writable_dir(dir: &Path) -> bool {
    std::fs::metadata(dir)
        .map(|metadata| metadata.is_dir() && !metadata.permissions().readonly())
        .unwrap_or(false)
}

/// The gzip file at `path`, decompressed into a temporary file in `dir`
/// (removed when dropped).
fn decompress(path: &Path, dir: &Path) -> Result<tempfile::NamedTempFile, ImportError> {
    let source = std::fs::File::open(path).map_err(|source| ImportError::Io {
        what: "opening",
        path: path.to_path_buf(),
        source,
    })?;
    let mut plain = tempfile::Builder::new()
        .prefix(".rkube-import-")
        .suffix(".tar")
        .tempfile_in(dir)
        .map_err(|source| ImportError::Io {
            what: "creating a temporary file in",
            path: dir.to_path_buf(),
            source,
        })?;
    let mut decoder = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(source));
    std::io::copy(&mut decoder, &mut plain).map_err(|source| ImportError::Io {
        what: "decompressing",
        path: path.to_path_buf(),
        source,
    })?;
    Ok(plain)
}

/// Runs `ctr images import` on `file` (`shown` is the path the user gave,
/// for messages) and returns the references it reports.
async fn run_ctr(socket: &Path, file: &Path, shown: &Path) -> Result<Vec<String>, ImportError> {
    let mut command = Command::new("ctr");
    command
        .arg("--address")
        .arg(socket)
        .args(["--namespace", NAMESPACE, "images", "import"])
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = match command.spawn() {
        Ok(child) => child,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(ImportError::CtrMissing)
        }
        Err(source) => {
            return Err(ImportError::Io {
                what: "running ctr to import",
                path: shown.to_path_buf(),
                source,
            })
        }
    };
    let output = match tokio::time::timeout(IMPORT_TIMEOUT, child.wait_with_output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(source)) => {
            return Err(ImportError::Io {
                what: "running ctr to import",
                path: shown.to_path_buf(),
                source,
            })
        }
        Err(_) => {
            return Err(ImportError::Timeout {
                path: shown.to_path_buf(),
                seconds: IMPORT_TIMEOUT.as_secs(),
            })
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(failure(socket, shown, &stderr, output.status));
    }
    Ok(imported_references(&stdout))
}

/// The typed error for a failed `ctr` run, from what it printed.
fn failure(
    socket: &Path,
    path: &Path,
    stderr: &str,
    status: std::process::ExitStatus,
) -> ImportError {
    // A CRI runtime other than containerd (CRI-O) answers gRPC but has none
    // of containerd's own services.
    if stderr.contains("unknown service containerd.services") {
        return ImportError::NotContainerd {
            socket: socket.to_path_buf(),
        };
    }
    let message = stderr
        .lines()
        .map(str::trim)
        .rfind(|line| !line.is_empty())
        .map(|line| line.trim_start_matches("ctr: ").to_string())
        .unwrap_or_else(|| format!("ctr exited with {status}"));
    ImportError::Failed {
        path: path.to_path_buf(),
        socket: socket.to_path_buf(),
        message,
    }
}

/// The references in `ctr images import`'s output: one
/// `unpacking NAME (sha256:...)...done` line per image.
fn imported_references(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|line| line.trim().strip_prefix("unpacking "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_come_from_ctr_output() {
        let stdout = "unpacking docker.io/library/busybox:latest (sha256:0123)...done\n\
                      unpacking rkube.local/pause:3.10 (sha256:4567)...done\n";
        assert_eq!(
            imported_references(stdout),
            ["docker.io/library/busybox:latest", "rkube.local/pause:3.10"]
        );
        assert!(imported_references("").is_empty());
    }

    #[test]
    fn failures_are_typed_by_what_ctr_said() {
        let status = std::process::Command::new("false").status().unwrap();
        let socket = Path::new("/run/crio/crio.sock");
        let file = Path::new("/tmp/x.tar");
        let stderr = "ctr: rpc error: code = Unimplemented desc = unknown service \
                      containerd.services.version.v1.Version\n";
        assert!(matches!(
            failure(socket, file, stderr, status),
            ImportError::NotContainerd { .. }
        ));
        let stderr = "ctr: failed to dial \"/x.sock\": connection refused\n";
        let error = failure(socket, file, stderr, status);
        assert!(
            error
                .to_string()
                .ends_with("failed to dial \"/x.sock\": connection refused"),
            "{error}"
        );
    }

    #[test]
    fn the_image_directory_lists_tarballs_only() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a.tar", "b.tar.gz", "c.tgz", "notes.txt", ".hidden.tar"] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        std::fs::create_dir(dir.path().join("d.tar")).unwrap();
        let mut files = tarballs_in(dir.path()).unwrap();
        files.sort();
        let names: Vec<_> = files
            .iter()
            .map(|path| path.file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(names, ["a.tar", "b.tar.gz", "c.tgz"]);
        assert!(tarballs_in(&dir.path().join("absent")).unwrap().is_empty());
    }

    #[test]
    fn gzip_tarballs_are_decompressed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("image.tar.gz");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(b"tar bytes").unwrap();
        std::fs::write(&path, encoder.finish().unwrap()).unwrap();
        assert!(is_gzip(&path).unwrap());
        let plain = decompress(&path, dir.path()).unwrap();
        assert_eq!(std::fs::read(plain.path()).unwrap(), b"tar bytes");
        assert!(!is_gzip(plain.path()).unwrap());
    }

    #[tokio::test]
    async fn a_missing_file_is_an_io_error() {
        let error = import_file(
            Path::new("/nonexistent.sock"),
            Path::new("/nonexistent.tar"),
        )
        .await
        .unwrap_err();
        assert!(matches!(error, ImportError::Io { .. }), "{error}");
    }
}
