//! Writing OCI image-layout tarballs: the one format rkube builds its own
//! images in (the pause image, the busybox image tests run, `rkube images
//! build`), because no registry can be reached and images enter a node by
//! import.
//!
//! An image here is one gzip layer made from a list of [`Entry`] values plus
//! an [`ImageConfig`]. The tarball holds `oci-layout`, `index.json` and
//! `blobs/sha256/<digest>` for the layer, the config and the manifest, as the
//! OCI image-layout specification describes. The index names the manifest
//! with both `org.opencontainers.image.ref.name` and
//! `io.containerd.image.name` set to the full reference, so that
//! `ctr images import` tags the image with exactly that reference (and CRI
//! then finds it under the name a pod spec uses).
//!
//! The output is deterministic: entries are sorted by path, every time stamp
//! is 0 and every owner is root, so the same input gives the same digests.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::ImageError;

/// Media types of the OCI image specification.
pub mod media_type {
    pub const INDEX: &str = "application/vnd.oci.image.index.v1+json";
    pub const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    pub const CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    pub const LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
}

/// The annotation containerd's importer reads the image name from first.
pub const ANNOTATION_CONTAINERD_NAME: &str = "io.containerd.image.name";
/// The OCI annotation naming a manifest in an index.
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Where the contents of a regular file come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Contents {
    /// Read from this file on the host when the image is written.
    Host(PathBuf),
    /// These bytes.
    Bytes(Vec<u8>),
}

/// What an entry of the layer is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    File(Contents),
    Directory,
    /// A symbolic link to this target (absolute or relative).
    Symlink(String),
}

/// One path of the image's file system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The path inside the image (`/bin/sh` or `bin/sh`).
    pub path: String,
    pub kind: EntryKind,
    /// Permission bits (`0o755`); ignored for symbolic links.
    pub mode: u32,
}

impl Entry {
    /// A regular file with these contents.
    pub fn bytes(path: impl Into<String>, contents: impl Into<Vec<u8>>, mode: u32) -> Entry {
        Entry {
            path: path.into(),
            kind: EntryKind::File(Contents::Bytes(contents.into())),
            mode,
        }
    }

    /// A regular file copied from `host` on the machine writing the image.
    pub fn host_file(path: impl Into<String>, host: impl Into<PathBuf>, mode: u32) -> Entry {
        Entry {
            path: path.into(),
            kind: EntryKind::File(Contents::Host(host.into())),
            mode,
        }
    }

    /// A directory.
    pub fn directory(path: impl Into<String>, mode: u32) -> Entry {
        Entry {
            path: path.into(),
            kind: EntryKind::Directory,
            mode,
        }
    }

    /// A symbolic link.
    pub fn symlink(path: impl Into<String>, target: impl Into<String>) -> Entry {
        Entry {
            path: path.into(),
            kind: EntryKind::Symlink(target.into()),
            mode: 0o777,
        }
    }
}

/// The runtime part of an image configuration (the OCI config's `config`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageConfig {
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    /// `NAME=value` pairs.
    pub env: Vec<String>,
    pub working_dir: Option<String>,
    /// `80/tcp`, `53/udp`.
    pub exposed_ports: Vec<String>,
    /// `uid[:gid]` or a name; root when absent.
    pub user: Option<String>,
    pub labels: BTreeMap<String, String>,
}

/// A blob of the layout: its digest (`sha256:<hex>`) and size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Descriptor {
    pub media_type: &'static str,
    pub digest: String,
    pub size: u64,
}

/// An image written by [`build`]: the tarball and what it holds.
#[derive(Clone, Debug)]
pub struct Built {
    /// The OCI image-layout tarball (not compressed; its layer is).
    pub tarball: Vec<u8>,
    pub manifest: Descriptor,
    pub config: Descriptor,
    pub layer: Descriptor,
    /// The digest of the uncompressed layer (the config's `rootfs.diff_ids`).
    pub diff_id: String,
}

/// Writes the OCI image-layout tarball of an image named `reference` whose
/// one layer holds `entries` (missing parent directories are added with
/// mode 0755).
pub fn write(
    reference: &str,
    entries: &[Entry],
    config: &ImageConfig,
) -> Result<Vec<u8>, ImageError> {
    Ok(build(reference, entries, config)?.tarball)
}

/// As [`write`], also returning the descriptors of the blobs.
pub fn build(
    reference: &str,
    entries: &[Entry],
    config: &ImageConfig,
) -> Result<Built, ImageError> {
    let reference = normalize_reference(reference)?;
    let layer_tar = layer(entries)?;
    let diff_id = digest(&layer_tar);
    let layer_gz = gzip(&layer_tar)?;
    let layer = Descriptor {
        media_type: media_type::LAYER_GZIP,
        digest: digest(&layer_gz),
        size: layer_gz.len() as u64,
    };
    let config_json = to_json(&config_document(config, &diff_id))?;
    let config_descriptor = Descriptor {
        media_type: media_type::CONFIG,
        digest: digest(&config_json),
        size: config_json.len() as u64,
    };
    let manifest_json = to_json(&json!({
        "schemaVersion": 2,
        "mediaType": media_type::MANIFEST,
        "config": descriptor_json(&config_descriptor),
        "layers": [descriptor_json(&layer)],
    }))?;
    let manifest = Descriptor {
        media_type: media_type::MANIFEST,
        digest: digest(&manifest_json),
        size: manifest_json.len() as u64,
    };
    let mut manifest_entry = descriptor_json(&manifest);
    manifest_entry["annotations"] = json!({
        ANNOTATION_CONTAINERD_NAME: reference,
        ANNOTATION_REF_NAME: reference,
    });
    manifest_entry["platform"] = json!({ "architecture": architecture(), "os": "linux" });
    let index_json = to_json(&json!({
        "schemaVersion": 2,
        "mediaType": media_type::INDEX,
        "manifests": [manifest_entry],
    }))?;
    let layout_json = to_json(&json!({ "imageLayoutVersion": "1.0.0" }))?;

    let mut blobs: Vec<(String, &[u8])> = vec![
        (blob_path(&layer.digest), &layer_gz),
        (blob_path(&config_descriptor.digest), &config_json),
        (blob_path(&manifest.digest), &manifest_json),
    ];
    blobs.sort();
    let mut archive = tar::Builder::new(Vec::new());
    for dir in ["blobs/", "blobs/sha256/"] {
        append(&mut archive, &directory_header(0o755), dir, &[][..])?;
    }
    for (path, bytes) in blobs {
        append(&mut archive, &file_header(0o644, bytes.len()), &path, bytes)?;
    }
    append(
        &mut archive,
        &file_header(0o644, index_json.len()),
        "index.json",
        &index_json[..],
    )?;
    append(
        &mut archive,
        &file_header(0o644, layout_json.len()),
        "oci-layout",
        &layout_json[..],
    )?;
    let tarball = archive.into_inner().map_err(ImageError::Archive)?;
    Ok(Built {
        tarball,
        manifest,
        config: config_descriptor,
        layer,
        diff_id,
    })
}

/// The entries of a directory tree on the host, for `rkube images build
/// --rootfs DIR`: files (by host path), directories and symbolic links with
/// their permission bits. Other kinds (devices, sockets, fifos) are skipped.
pub fn entries_from_dir(root: &Path) -> Result<Vec<Entry>, ImageError> {
    let mut entries = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let dir = root.join(&relative);
        let read = std::fs::read_dir(&dir).map_err(|source| ImageError::Io {
            what: "reading the directory",
            path: dir.clone(),
            source,
        })?;
        for item in read {
            let item = item.map_err(|source| ImageError::Io {
                what: "reading the directory",
                path: dir.clone(),
                source,
            })?;
            let host = item.path();
            let metadata = std::fs::symlink_metadata(&host).map_err(|source| ImageError::Io {
                what: "reading",
                path: host.clone(),
                source,
            })?;
            let inside = relative.join(item.file_name());
            let Some(path) = inside.to_str().map(str::to_string) else {
                return Err(ImageError::InvalidPath(inside.display().to_string()));
            };
            let mode = std::os::unix::fs::PermissionsExt::mode(&metadata.permissions()) & 0o7777;
            let file_type = metadata.file_type();
            if file_type.is_symlink() {
                let target = std::fs::read_link(&host).map_err(|source| ImageError::Io {
                    what: "reading the link",
                    path: host.clone(),
                    source,
                })?;
                let Some(target) = target.to_str().map(str::to_string) else {
                    return Err(ImageError::InvalidPath(target.display().to_string()));
                };
                entries.push(Entry::symlink(path, target));
            } else if file_type.is_dir() {
                entries.push(Entry::directory(path, mode));
                pending.push(inside);
            } else if file_type.is_file() {
                entries.push(Entry::host_file(path, host, mode));
            } else {
                tracing::debug!(path = %host.display(), "skipping a special file");
            }
        }
    }
    Ok(entries)
}

/// `sha256:<hex>` of these bytes.
pub fn digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut text = String::with_capacity(7 + 64);
    text.push_str("sha256:");
    for byte in hash {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// The fully qualified form of an image reference, as CRI and containerd
/// name images: `busybox` → `docker.io/library/busybox:latest`,
/// `rkube.local/pause:3.10` unchanged (the distribution reference rules).
pub fn normalize_reference(reference: &str) -> Result<String, ImageError> {
    let invalid = || ImageError::InvalidReference(reference.to_string());
    if reference.is_empty() || reference.chars().any(char::is_whitespace) {
        return Err(invalid());
    }
    let (name, digest) = match reference.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (reference, None),
    };
    // A tag is what follows the last ':' when no '/' follows it (a ':' before
    // a '/' is a registry port).
    let (name, tag) = match name.rfind(':') {
        Some(at) if !name[at..].contains('/') => (&name[..at], Some(&name[at + 1..])),
        _ => (name, None),
    };
    // Repository names are lower case (the domain aside, which DNS folds).
    let path_part = name.split_once('/').map_or(name, |(_, rest)| rest);
    if name.is_empty()
        || tag == Some("")
        || name.ends_with('/')
        || name.starts_with('/')
        || path_part.chars().any(char::is_uppercase)
    {
        return Err(invalid());
    }
    let first = name.split('/').next().unwrap_or_default();
    let has_domain =
        name.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let mut full = if has_domain {
        name.to_string()
    } else if name.contains('/') {
        format!("docker.io/{name}")
    } else {
        format!("docker.io/library/{name}")
    };
    if full.starts_with("docker.io/") && full.split('/').count() == 2 {
        full = full.replacen("docker.io/", "docker.io/library/", 1);
    }
    match (tag, digest) {
        (Some(tag), _) => {
            full.push(':');
            full.push_str(tag);
        }
        (None, None) => full.push_str(":latest"),
        (None, Some(_)) => {}
    }
    if let Some(digest) = digest {
        full.push('@');
        full.push_str(digest);
    }
    Ok(full)
}

/// The OCI architecture name of this machine (`amd64`, `arm64`).
pub fn architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

fn blob_path(digest: &str) -> String {
    format!("blobs/{}", digest.replacen(':', "/", 1))
}

fn descriptor_json(descriptor: &Descriptor) -> Value {
    json!({
        "mediaType": descriptor.media_type,
        "digest": descriptor.digest,
        "size": descriptor.size,
    })
}

fn config_document(config: &ImageConfig, diff_id: &str) -> Value {
    let mut runtime = serde_json::Map::new();
    if let Some(user) = &config.user {
        runtime.insert("User".into(), json!(user));
    }
    if !config.exposed_ports.is_empty() {
        let ports: serde_json::Map<String, Value> = config
            .exposed_ports
            .iter()
            .map(|port| (port.clone(), json!({})))
            .collect();
        runtime.insert("ExposedPorts".into(), Value::Object(ports));
    }
    if !config.env.is_empty() {
        runtime.insert("Env".into(), json!(config.env));
    }
    if !config.entrypoint.is_empty() {
        runtime.insert("Entrypoint".into(), json!(config.entrypoint));
    }
    if !config.cmd.is_empty() {
        runtime.insert("Cmd".into(), json!(config.cmd));
    }
    if let Some(dir) = &config.working_dir {
        runtime.insert("WorkingDir".into(), json!(dir));
    }
    if !config.labels.is_empty() {
        runtime.insert("Labels".into(), json!(config.labels));
    }
    json!({
        "created": "1970-01-01T00:00:00Z",
        "architecture": architecture(),
        "os": "linux",
        "config": runtime,
        "rootfs": { "type": "layers", "diff_ids": [diff_id] },
        "history": [{ "created": "1970-01-01T00:00:00Z", "created_by": "rkube images" }],
    })
}

fn to_json(value: &Value) -> Result<Vec<u8>, ImageError> {
    serde_json::to_vec(value).map_err(ImageError::Json)
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>, ImageError> {
    // flate2 writes mtime 0 and no file name: the same bytes every time.
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).map_err(ImageError::Archive)?;
    encoder.finish().map_err(ImageError::Archive)
}

/// The path of an entry inside the layer, without a leading `/`, checked to
/// stay inside the image.
fn clean_path(path: &str) -> Result<String, ImageError> {
    let mut parts = Vec::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => match part.to_str() {
                Some(part) => parts.push(part),
                None => return Err(ImageError::InvalidPath(path.to_string())),
            },
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => {
                return Err(ImageError::InvalidPath(path.to_string()))
            }
        }
    }
    if parts.is_empty() {
        return Err(ImageError::InvalidPath(path.to_string()));
    }
    Ok(parts.join("/"))
}

/// The uncompressed layer: entries sorted by path (so parents come before
/// their children), with the missing parent directories added.
fn layer(entries: &[Entry]) -> Result<Vec<u8>, ImageError> {
    let mut by_path: BTreeMap<String, &Entry> = BTreeMap::new();
    for entry in entries {
        let path = clean_path(&entry.path)?;
        if by_path.insert(path.clone(), entry).is_some() {
            return Err(ImageError::DuplicatePath(path));
        }
    }
    let implied = Entry::directory("", 0o755);
    let mut parents = Vec::new();
    for path in by_path.keys() {
        let mut at = path.as_str();
        while let Some((parent, _)) = at.rsplit_once('/') {
            if !by_path.contains_key(parent) {
                parents.push(parent.to_string());
            }
            at = parent;
        }
    }
    for parent in parents {
        by_path.entry(parent).or_insert(&implied);
    }
    let mut archive = tar::Builder::new(Vec::new());
    for (path, entry) in &by_path {
        match &entry.kind {
            EntryKind::Directory => {
                append(
                    &mut archive,
                    &directory_header(entry.mode),
                    &format!("{path}/"),
                    &[][..],
                )?;
            }
            EntryKind::Symlink(target) => {
                let mut header = base_header(tar::EntryType::Symlink, 0o777);
                header.set_size(0);
                archive
                    .append_link(&mut header, path, target)
                    .map_err(|source| ImageError::Entry {
                        path: path.clone(),
                        source,
                    })?;
            }
            EntryKind::File(Contents::Bytes(bytes)) => {
                append(
                    &mut archive,
                    &file_header(entry.mode, bytes.len()),
                    path,
                    &bytes[..],
                )?;
            }
            EntryKind::File(Contents::Host(host)) => {
                let bytes = std::fs::read(host).map_err(|source| ImageError::Io {
                    what: "reading",
                    path: host.clone(),
                    source,
                })?;
                append(
                    &mut archive,
                    &file_header(entry.mode, bytes.len()),
                    path,
                    &bytes[..],
                )?;
            }
        }
    }
    archive.into_inner().map_err(ImageError::Archive)
}

fn base_header(kind: tar::EntryType, mode: u32) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode & 0o7777);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header
}

fn directory_header(mode: u32) -> tar::Header {
    let mut header = base_header(tar::EntryType::Directory, mode);
    header.set_size(0);
    header
}

fn file_header(mode: u32, size: usize) -> tar::Header {
    let mut header = base_header(tar::EntryType::Regular, mode);
    header.set_size(size as u64);
    header
}

fn append(
    archive: &mut tar::Builder<Vec<u8>>,
    header: &tar::Header,
    path: &str,
    data: &[u8],
) -> Result<(), ImageError> {
    let mut header = header.clone();
    archive
        .append_data(&mut header, path, data)
        .map_err(|source| ImageError::Entry {
            path: path.to_string(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// The files of a tarball by path.
    fn files(tarball: &[u8]) -> BTreeMap<String, Vec<u8>> {
        let mut archive = tar::Archive::new(tarball);
        let mut files = BTreeMap::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().display().to_string();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            files.insert(path, bytes);
        }
        files
    }

    fn json_of(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).unwrap()
    }

    fn sample() -> Built {
        let entries = vec![
            Entry::bytes("/bin/tool", b"#!/bin/sh\necho hi\n".to_vec(), 0o755),
            Entry::symlink("/bin/alias", "tool"),
            Entry::directory("/etc", 0o700),
            Entry::bytes("usr/share/doc/readme", b"hello".to_vec(), 0o644),
        ];
        let config = ImageConfig {
            entrypoint: vec!["/bin/tool".into()],
            cmd: vec!["--flag".into()],
            env: vec!["PATH=/bin".into()],
            working_dir: Some("/etc".into()),
            exposed_ports: vec!["80/tcp".into()],
            ..ImageConfig::default()
        };
        build("example.com/team/tool:1.0", &entries, &config).unwrap()
    }

    #[test]
    fn blobs_match_their_digests_and_sizes() {
        let built = sample();
        let files = files(&built.tarball);
        for descriptor in [&built.manifest, &built.config, &built.layer] {
            let blob = &files[&blob_path(&descriptor.digest)];
            assert_eq!(digest(blob), descriptor.digest);
            assert_eq!(blob.len() as u64, descriptor.size);
        }
        let mut layer = Vec::new();
        flate2::read::GzDecoder::new(&files[&blob_path(&built.layer.digest)][..])
            .read_to_end(&mut layer)
            .unwrap();
        assert_eq!(digest(&layer), built.diff_id);
        assert_eq!(
            json_of(&files["oci-layout"]),
            json!({"imageLayoutVersion": "1.0.0"})
        );
    }

    #[test]
    fn index_names_the_manifest_with_the_full_reference() {
        let built = sample();
        let files = files(&built.tarball);
        let index = json_of(&files["index.json"]);
        assert_eq!(index["schemaVersion"], 2);
        let manifests = index["manifests"].as_array().unwrap();
        assert_eq!(manifests.len(), 1);
        let entry = &manifests[0];
        assert_eq!(entry["digest"], built.manifest.digest);
        assert_eq!(entry["size"], built.manifest.size);
        assert_eq!(entry["mediaType"], media_type::MANIFEST);
        assert_eq!(
            entry["annotations"][ANNOTATION_CONTAINERD_NAME],
            "example.com/team/tool:1.0"
        );
        assert_eq!(
            entry["annotations"][ANNOTATION_REF_NAME],
            "example.com/team/tool:1.0"
        );
        let manifest = json_of(&files[&blob_path(&built.manifest.digest)]);
        assert_eq!(manifest["config"]["digest"], built.config.digest);
        assert_eq!(manifest["layers"][0]["digest"], built.layer.digest);
        assert_eq!(manifest["layers"][0]["mediaType"], media_type::LAYER_GZIP);
    }

    #[test]
    fn config_carries_the_runtime_settings_and_diff_id() {
        let built = sample();
        let files = files(&built.tarball);
        let config = json_of(&files[&blob_path(&built.config.digest)]);
        assert_eq!(config["os"], "linux");
        assert_eq!(config["rootfs"]["diff_ids"][0], built.diff_id);
        assert_eq!(config["config"]["Entrypoint"], json!(["/bin/tool"]));
        assert_eq!(config["config"]["Cmd"], json!(["--flag"]));
        assert_eq!(config["config"]["Env"], json!(["PATH=/bin"]));
        assert_eq!(config["config"]["WorkingDir"], "/etc");
        assert_eq!(config["config"]["ExposedPorts"], json!({"80/tcp": {}}));
    }

    #[test]
    fn layer_is_sorted_with_parents_and_root_owned() {
        let built = sample();
        let files = files(&built.tarball);
        let gz = &files[&blob_path(&built.layer.digest)];
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&gz[..]));
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let entry = entry.unwrap();
            let header = entry.header();
            assert_eq!(header.mtime().unwrap(), 0);
            assert_eq!(header.uid().unwrap(), 0);
            let path = entry.path().unwrap().display().to_string();
            let kind = header.entry_type();
            let mode = header.mode().unwrap();
            let link = entry
                .link_name()
                .unwrap()
                .map(|link| link.display().to_string());
            seen.push((path, kind, mode, link));
        }
        let paths: Vec<&str> = seen.iter().map(|(path, ..)| path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "bin/",
                "bin/alias",
                "bin/tool",
                "etc/",
                "usr/",
                "usr/share/",
                "usr/share/doc/",
                "usr/share/doc/readme"
            ]
        );
        assert_eq!(seen[1].1, tar::EntryType::Symlink);
        assert_eq!(seen[1].3.as_deref(), Some("tool"));
        assert_eq!(seen[2].2, 0o755);
        assert_eq!(seen[3].2, 0o700);
        assert_eq!(seen[4].2, 0o755);
    }

    #[test]
    fn output_is_deterministic() {
        assert_eq!(sample().tarball, sample().tarball);
    }

    #[test]
    fn bad_paths_are_refused() {
        let config = ImageConfig::default();
        for path in ["../etc/passwd", "/", "a/../../b"] {
            let entries = vec![Entry::bytes(path, Vec::new(), 0o644)];
            assert!(matches!(
                write("x:1", &entries, &config),
                Err(ImageError::InvalidPath(_))
            ));
        }
        let twice = vec![
            Entry::bytes("/a", Vec::new(), 0o644),
            Entry::bytes("a", Vec::new(), 0o644),
        ];
        assert!(matches!(
            write("x:1", &twice, &config),
            Err(ImageError::DuplicatePath(_))
        ));
    }

    #[test]
    fn references_are_normalized_as_containerd_names_them() {
        for (given, full) in [
            ("busybox", "docker.io/library/busybox:latest"),
            ("busybox:1.36", "docker.io/library/busybox:1.36"),
            ("team/app", "docker.io/team/app:latest"),
            ("docker.io/busybox:1", "docker.io/library/busybox:1"),
            ("rkube.local/pause:3.10", "rkube.local/pause:3.10"),
            ("localhost:5000/app", "localhost:5000/app:latest"),
            ("localhost/app:2", "localhost/app:2"),
            ("app@sha256:abc", "docker.io/library/app@sha256:abc"),
        ] {
            assert_eq!(normalize_reference(given).unwrap(), full, "{given}");
        }
        for bad in ["", "a b", "app:", "/app", "App"] {
            assert!(normalize_reference(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_directory_tree_becomes_entries() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        std::fs::write(dir.path().join("bin/app"), b"x").unwrap();
        std::os::unix::fs::symlink("app", dir.path().join("bin/link")).unwrap();
        let mut entries = entries_from_dir(dir.path()).unwrap();
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        let paths: Vec<&str> = entries.iter().map(|entry| entry.path.as_str()).collect();
        assert_eq!(paths, ["bin", "bin/app", "bin/link"]);
        assert_eq!(entries[2].kind, EntryKind::Symlink("app".into()));
        assert!(write("x:1", &entries, &ImageConfig::default()).is_ok());
    }
}
