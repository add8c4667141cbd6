//! Writes a set of files into a volume directory so that a reader never sees
//! a half-updated set, as upstream's `AtomicWriter` does for configMap,
//! secret, downwardAPI and projected volumes:
//!
//! ```text
//! <dir>/..2026_01_02_15_04_05.123456789/   the files of one version
//! <dir>/..data -> ..2026_01_02_15_04_05.123456789
//! <dir>/key    -> ..data/key               what users see
//! <dir>/sub    -> ..data/sub               (first path element only)
//! ```
//!
//! An update writes a new timestamped directory, points `..data_tmp` at it
//! and renames that over `..data` (one atomic step), then removes the user
//! links of paths that are gone and the old directory. Names starting with
//! `..` are reserved for the writer.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The content and mode of one file of a volume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileProjection {
    pub data: Vec<u8>,
    pub mode: u32,
}

/// Relative path in the volume → file.
pub type Payload = BTreeMap<String, FileProjection>;

const DATA_DIR: &str = "..data";
const NEW_DATA_DIR: &str = "..data_tmp";
const MAX_FILE_NAME_LENGTH: usize = 255;
const MAX_PATH_LENGTH: usize = 4096;

/// A payload that cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("invalid path: {0}")]
    InvalidPath(String),
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> WriteError + 'a {
    move |source| WriteError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Checks a payload path as upstream does: relative, no `..` element, not
/// starting with `..`, at most 4096 bytes with elements of at most 255.
fn validate_path(path: &str) -> Result<(), WriteError> {
    if path.is_empty() {
        return Err(WriteError::InvalidPath("must not be empty: \"\"".into()));
    }
    if path.starts_with('/') {
        return Err(WriteError::InvalidPath(format!(
            "must be relative path: {path}"
        )));
    }
    if path.len() > MAX_PATH_LENGTH {
        return Err(WriteError::InvalidPath(format!(
            "must be less than or equal to {MAX_PATH_LENGTH} characters"
        )));
    }
    let items: Vec<&str> = path.split('/').collect();
    for item in &items {
        if *item == ".." {
            return Err(WriteError::InvalidPath(format!(
                "must not contain '..': {path}"
            )));
        }
        if item.len() > MAX_FILE_NAME_LENGTH {
            return Err(WriteError::InvalidPath(format!(
                "filenames must be less than or equal to {MAX_FILE_NAME_LENGTH} characters"
            )));
        }
    }
    if items[0].starts_with("..") && items[0].len() > 2 {
        return Err(WriteError::InvalidPath(format!(
            "must not start with '..': {path}"
        )));
    }
    Ok(())
}

/// `a//b/./c/` → `a/b/c` (no `..` is left after validation).
fn clean(path: &str) -> String {
    path.split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// Every file and directory under `dir`, relative to it.
fn walk(dir: &Path, prefix: &str, out: &mut BTreeSet<String>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if entry.file_type()?.is_dir() {
            walk(&entry.path(), &relative, out)?;
        }
        out.insert(relative);
    }
    Ok(())
}

/// Creates `<dir>/..YYYY_MM_DD_HH_MM_SS.<unique>` with mode 0755.
fn new_timestamp_dir(dir: &Path) -> Result<PathBuf, WriteError> {
    let now = chrono::Utc::now();
    let stamp = now.format("..%Y_%m_%d_%H_%M_%S.").to_string();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    for attempt in 0..100u32 {
        let unique = nanos
            .wrapping_add(std::process::id().wrapping_mul(7919))
            .wrapping_add(attempt.wrapping_mul(104_729));
        let path = dir.join(format!("{stamp}{unique}"));
        match fs::create_dir(&path) {
            Ok(()) => {
                fs::set_permissions(&path, fs::Permissions::from_mode(0o755))
                    .map_err(io_error("setting the mode of", &path))?;
                return Ok(path);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_error("creating", &path)(e)),
        }
    }
    Err(WriteError::Io {
        action: "creating a timestamped directory in",
        path: dir.to_path_buf(),
        source: io::Error::from(io::ErrorKind::AlreadyExists),
    })
}

/// Whether `payload` differs from what `old` holds (a file missing or with
/// other content). Modes are not compared, as upstream: they come from the
/// pod's spec, which cannot change, and fsGroup ownership alters them.
fn differs(payload: &Payload, old: &Path) -> Result<bool, WriteError> {
    for (path, file) in payload {
        let full = old.join(path);
        match fs::read(&full) {
            Ok(data) if data == file.data => {}
            Ok(_) => return Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(true),
            Err(e) => return Err(io_error("reading", &full)(e)),
        }
    }
    Ok(false)
}

fn write_files(payload: &Payload, dir: &Path) -> Result<(), WriteError> {
    for (path, file) in payload {
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent).map_err(io_error("creating", parent))?;
        }
        fs::write(&full, &file.data).map_err(io_error("writing", &full))?;
        // Set the mode whatever the umask.
        fs::set_permissions(&full, fs::Permissions::from_mode(file.mode & 0o7777))
            .map_err(io_error("setting the mode of", &full))?;
    }
    Ok(())
}

/// Projects `payload` into `target` (which must exist) atomically. Returns
/// whether anything changed on disk.
pub fn write(target: &Path, payload: &Payload) -> Result<bool, WriteError> {
    let mut clean_payload = Payload::new();
    for (path, file) in payload {
        validate_path(path)?;
        clean_payload.insert(clean(path), file.clone());
    }
    let payload = clean_payload;

    let data_dir = target.join(DATA_DIR);
    let old_ts = match fs::read_link(&data_dir) {
        Ok(link) => Some(link),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_error("reading", &data_dir)(e)),
    };

    let mut to_remove = BTreeSet::new();
    if let Some(old) = &old_ts {
        let old_path = target.join(old);
        match walk(&old_path, "", &mut to_remove) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("reading", &old_path)(e)),
        }
        // Keep every path of the payload and its parent directories.
        for path in payload.keys() {
            let mut sub = path.as_str();
            loop {
                to_remove.remove(sub);
                match sub.rsplit_once('/') {
                    Some((parent, _)) => sub = parent,
                    None => break,
                }
            }
        }
        if to_remove.is_empty() && !differs(&payload, &old_path)? {
            return Ok(false);
        }
    }

    let ts_dir = new_timestamp_dir(target)?;
    let ts_name = ts_dir
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    if let Err(e) = write_files(&payload, &ts_dir) {
        let _ = fs::remove_dir_all(&ts_dir);
        return Err(e);
    }

    let new_data_dir = target.join(NEW_DATA_DIR);
    let _ = fs::remove_file(&new_data_dir);
    if let Err(e) = symlink(&ts_name, &new_data_dir) {
        let _ = fs::remove_dir_all(&ts_dir);
        return Err(io_error("linking", &new_data_dir)(e));
    }
    if let Err(e) = fs::rename(&new_data_dir, &data_dir) {
        let _ = fs::remove_file(&new_data_dir);
        let _ = fs::remove_dir_all(&ts_dir);
        return Err(io_error("renaming", &new_data_dir)(e));
    }

    // User-visible links, one per first path element.
    for path in payload.keys() {
        let first = path.split('/').next().unwrap_or(path);
        let visible = target.join(first);
        if fs::symlink_metadata(&visible).is_err() {
            symlink(Path::new(DATA_DIR).join(first), &visible)
                .map_err(io_error("linking", &visible))?;
        }
    }
    for path in to_remove.iter().filter(|p| !p.contains('/')) {
        let visible = target.join(path);
        match fs::remove_file(&visible) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("removing", &visible)(e)),
        }
    }
    if let Some(old) = old_ts {
        let old_path = target.join(old);
        if old_path != ts_dir {
            match fs::remove_dir_all(&old_path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error("removing", &old_path)(e)),
            }
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(data: &str, mode: u32) -> FileProjection {
        FileProjection {
            data: data.as_bytes().to_vec(),
            mode,
        }
    }

    fn ts_dirs(dir: &Path) -> Vec<String> {
        let mut dirs: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("..") && n != DATA_DIR)
            .collect();
        dirs.sort();
        dirs
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn writes_links_and_updates_in_place() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let first = Payload::from([
            ("config.yaml".to_string(), file("a: 1\n", 0o644)),
            ("nested/deep/key".to_string(), file("secret", 0o400)),
            ("gone".to_string(), file("bye", 0o644)),
        ]);
        assert!(write(dir, &first).unwrap());
        assert_eq!(
            fs::read_to_string(dir.join("config.yaml")).unwrap(),
            "a: 1\n"
        );
        assert_eq!(
            fs::read_to_string(dir.join("nested/deep/key")).unwrap(),
            "secret"
        );
        assert_eq!(
            fs::read_link(dir.join("config.yaml")).unwrap(),
            Path::new("..data/config.yaml")
        );
        assert_eq!(
            fs::read_link(dir.join("nested")).unwrap(),
            Path::new("..data/nested")
        );
        assert_eq!(mode(&dir.join("config.yaml")), 0o644);
        assert_eq!(mode(&dir.join("nested/deep/key")), 0o400);
        let old = ts_dirs(dir);
        assert_eq!(old.len(), 1);
        assert!(old[0].starts_with(".."));
        assert_eq!(
            fs::read_link(dir.join(DATA_DIR)).unwrap(),
            Path::new(&old[0])
        );
        assert_eq!(mode(&dir.join(&old[0])), 0o755);

        // Same content: nothing is rewritten.
        assert!(!write(dir, &first).unwrap());
        assert_eq!(ts_dirs(dir), old);

        // An update replaces contents, drops removed paths and the old dir.
        let second = Payload::from([
            ("config.yaml".to_string(), file("a: 2\n", 0o600)),
            ("nested/deep/key".to_string(), file("secret", 0o400)),
            ("new".to_string(), file("hello", 0o644)),
        ]);
        assert!(write(dir, &second).unwrap());
        assert_eq!(
            fs::read_to_string(dir.join("config.yaml")).unwrap(),
            "a: 2\n"
        );
        assert_eq!(mode(&dir.join("config.yaml")), 0o600);
        assert_eq!(fs::read_to_string(dir.join("new")).unwrap(), "hello");
        assert!(fs::symlink_metadata(dir.join("gone")).is_err());
        let now = ts_dirs(dir);
        assert_eq!(now.len(), 1);
        assert_ne!(now, old);
        assert!(!dir.join(&old[0]).exists());
        assert!(fs::symlink_metadata(dir.join(NEW_DATA_DIR)).is_err());

        // An empty payload leaves an empty volume.
        assert!(write(dir, &Payload::new()).unwrap());
        let left: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with(".."))
            .collect();
        assert!(left.is_empty(), "left: {left:?}");
    }

    #[test]
    fn paths_are_validated() {
        let tmp = tempfile::tempdir().unwrap();
        for bad in [
            "",
            "/abs",
            "a/../b",
            "..data",
            "..hidden/x",
            &"x".repeat(256),
        ] {
            let payload = Payload::from([(bad.to_string(), file("x", 0o644))]);
            assert!(
                matches!(write(tmp.path(), &payload), Err(WriteError::InvalidPath(_))),
                "{bad:?}"
            );
        }
        // `..` alone is rejected as an element; `.x` and `a/./b` are fine.
        let ok = Payload::from([
            (".x".to_string(), file("x", 0o644)),
            ("a/./b".to_string(), file("y", 0o644)),
        ]);
        assert!(write(tmp.path(), &ok).unwrap());
        assert_eq!(fs::read_to_string(tmp.path().join("a/b")).unwrap(), "y");
    }
}
