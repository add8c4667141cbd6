//! `rkube images`: how images reach a node without a registry. `build` and
//! `busybox` write OCI image tarballs, `import` loads tarballs into the
//! node's containerd (the one `rkube server` runs under its data directory,
//! or the runtime given by `--container-runtime-endpoint`), `ls` lists what
//! the runtime holds, as `crictl images` does. The work is done by
//! `kubelet::images`; this module reads the flags and prints.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use kubelet::images::{self, oci};

#[derive(Debug, Args)]
pub struct ImagesArgs {
    #[command(subcommand)]
    pub command: ImagesCommand,
}

#[derive(Debug, Subcommand)]
pub enum ImagesCommand {
    /// Import image tarballs (OCI image layout or docker-archive, gzip or
    /// not) into the node's container runtime.
    Import {
        #[command(flatten)]
        runtime: RuntimeArgs,
        /// The tarballs.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List the images the container runtime holds.
    #[command(alias = "list")]
    Ls {
        #[command(flatten)]
        runtime: RuntimeArgs,
        /// Print only the image IDs.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Write an OCI image tarball of a directory tree (one layer, owned by
    /// root, time stamps 0).
    Build(BuildArgs),
    /// Write an OCI image tarball of the busybox-static binary with a link
    /// for every applet (PATH=/bin:/usr/bin:/sbin, command `sh`).
    Busybox {
        /// The image's reference (`busybox:1.36`, `example.com/tools/busybox:1`).
        #[arg(short, long)]
        tag: String,
        /// The tarball to write (`-` for standard output).
        #[arg(short, long)]
        output: PathBuf,
        /// The statically linked busybox binary to put in the image.
        #[arg(long, default_value = images::BUSYBOX)]
        busybox: PathBuf,
    },
}

/// Which container runtime to talk to.
#[derive(Debug, Args)]
pub struct RuntimeArgs {
    /// The data directory of `rkube server`, whose containerd listens at
    /// DATA_DIR/agent/containerd/containerd.sock [default: /var/lib/rkube as root,
    /// ~/.rkube otherwise].
    #[arg(long, env = "RKUBE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The runtime's socket (`/run/containerd/containerd.sock` or
    /// `unix:///...`), instead of rkube's own containerd.
    #[arg(long)]
    pub container_runtime_endpoint: Option<String>,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The directory whose contents become the image's file system.
    #[arg(long)]
    pub rootfs: PathBuf,
    /// The image's reference (`app:1`, `example.com/team/app:2`).
    #[arg(short, long)]
    pub tag: String,
    /// The entrypoint: words split at spaces, or a JSON array
    /// (`["/app", "--flag"]`).
    #[arg(long, allow_hyphen_values = true)]
    pub entrypoint: Option<String>,
    /// The default command (arguments of the entrypoint): words split at
    /// spaces, or a JSON array.
    #[arg(long, allow_hyphen_values = true)]
    pub cmd: Option<String>,
    /// Environment variables, NAME=value (repeatable).
    #[arg(long)]
    pub env: Vec<String>,
    /// The working directory.
    #[arg(long)]
    pub workdir: Option<String>,
    /// The user (`uid[:gid]`).
    #[arg(long)]
    pub user: Option<String>,
    /// Exposed ports, `80/tcp` or `53/udp` (repeatable).
    #[arg(long)]
    pub expose: Vec<String>,
    /// The tarball to write (`-` for standard output).
    #[arg(short, long)]
    pub output: PathBuf,
}

/// Runs `rkube images ...`.
pub async fn run(args: ImagesArgs) -> Result<()> {
    match args.command {
        ImagesCommand::Import { runtime, files } => import(&runtime, &files).await,
        ImagesCommand::Ls { runtime, quiet } => list(&runtime, quiet).await,
        ImagesCommand::Build(args) => build(&args),
        ImagesCommand::Busybox {
            tag,
            output,
            busybox,
        } => {
            let tarball = images::busybox_from(&busybox, &tag)?;
            write_output(&output, &tarball)
        }
    }
}

impl RuntimeArgs {
    /// The runtime's socket: the endpoint given, else rkube's containerd.
    fn socket(&self) -> PathBuf {
        match &self.container_runtime_endpoint {
            Some(endpoint) => PathBuf::from(endpoint.strip_prefix("unix://").unwrap_or(endpoint)),
            None => self
                .data_dir
                .clone()
                .unwrap_or_else(crate::run::default_data_dir)
                .join("agent")
                .join("containerd")
                .join("containerd.sock"),
        }
    }

    /// The socket, checked to exist, with advice when it does not.
    fn existing_socket(&self) -> Result<PathBuf> {
        let socket = self.socket();
        if !socket.exists() {
            bail!(
                "no container runtime at {}: start `rkube server` (with the same --data-dir), \
                 or name a running runtime with --container-runtime-endpoint",
                socket.display()
            );
        }
        Ok(socket)
    }
}

async fn import(runtime: &RuntimeArgs, files: &[PathBuf]) -> Result<()> {
    let socket = runtime.existing_socket()?;
    let mut failed = 0;
    let mut stdout = std::io::stdout().lock();
    for file in files {
        match images::import_file(&socket, file).await {
            Ok(references) => {
                for reference in references {
                    writeln!(stdout, "{reference}").context("writing to standard output")?;
                }
            }
            // A runtime that cannot import at all fails every file alike.
            Err(
                error @ (images::ImportError::CtrMissing
                | images::ImportError::NotContainerd { .. }),
            ) => return Err(error.into()),
            Err(error) => {
                eprintln!("rkube: {error}");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} tarballs could not be imported", files.len());
    }
    Ok(())
}

async fn list(runtime: &RuntimeArgs, quiet: bool) -> Result<()> {
    let socket = runtime.existing_socket()?;
    let cri = kubelet::cri::Cri::connect(&socket).await?;
    let rows = images::list(&cri)
        .await
        .with_context(|| format!("listing the images of {}", socket.display()))?;
    let text = if quiet {
        let mut ids: Vec<&str> = rows.iter().map(|row| row.id.as_str()).collect();
        ids.dedup();
        ids.iter().map(|id| format!("{id}\n")).collect()
    } else {
        images::table(&rows)
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("writing to standard output")
}

fn build(args: &BuildArgs) -> Result<()> {
    if !args.rootfs.is_dir() {
        bail!("--rootfs {} is not a directory", args.rootfs.display());
    }
    let entries = oci::entries_from_dir(&args.rootfs)?;
    let config = oci::ImageConfig {
        entrypoint: words(args.entrypoint.as_deref()).context("--entrypoint")?,
        cmd: words(args.cmd.as_deref()).context("--cmd")?,
        env: args.env.clone(),
        working_dir: args.workdir.clone(),
        exposed_ports: args.expose.clone(),
        user: args.user.clone(),
        ..oci::ImageConfig::default()
    };
    for variable in &config.env {
        if !variable.contains('=') {
            bail!("--env {variable:?} is not NAME=value");
        }
    }
    let tarball = oci::write(&args.tag, &entries, &config)?;
    write_output(&args.output, &tarball)
}

/// The words of `--entrypoint` or `--cmd`: a JSON array of strings, or
/// the text split at white space.
fn words(text: Option<&str>) -> Result<Vec<String>> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    if text.trim_start().starts_with('[') {
        return serde_json::from_str(text).context("not a JSON array of strings");
    }
    Ok(text.split_whitespace().map(str::to_string).collect())
}

/// Writes the tarball to `path` (through a temporary file renamed into
/// place, so a reader never sees half an image), or to standard output for `-`.
fn write_output(path: &Path, tarball: &[u8]) -> Result<()> {
    if path == Path::new("-") {
        return std::io::stdout()
            .lock()
            .write_all(tarball)
            .context("writing to standard output");
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a file in {}", dir.display()))?;
    file.write_all(tarball)
        .with_context(|| format!("writing {}", path.display()))?;
    file.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_split_or_read_as_json() {
        assert_eq!(words(None).unwrap(), Vec::<String>::new());
        assert_eq!(words(Some("sleep 10")).unwrap(), ["sleep", "10"]);
        assert_eq!(
            words(Some(r#"["sh", "-c", "echo a b"]"#)).unwrap(),
            ["sh", "-c", "echo a b"]
        );
        assert!(words(Some("[1, 2]")).is_err());
    }

    #[test]
    fn the_socket_comes_from_the_endpoint_or_the_data_dir() {
        let runtime = RuntimeArgs {
            data_dir: Some(PathBuf::from("/data")),
            container_runtime_endpoint: None,
        };
        assert_eq!(
            runtime.socket(),
            PathBuf::from("/data/agent/containerd/containerd.sock")
        );
        let runtime = RuntimeArgs {
            data_dir: Some(PathBuf::from("/data")),
            container_runtime_endpoint: Some("unix:///run/containerd/containerd.sock".into()),
        };
        assert_eq!(
            runtime.socket(),
            PathBuf::from("/run/containerd/containerd.sock")
        );
    }
}
