//! hostPath volumes: the node's own path, checked against the volume's
//! `type` as upstream's hostPath plugin checks it (and created for the
//! `...OrCreate` types), with upstream's messages.

use std::fs::{self, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// What is at a path, following symlinks (`GetFileType`).
#[derive(Debug, PartialEq, Eq)]
enum FileType {
    Directory,
    File,
    Socket,
    CharDevice,
    BlockDevice,
    Other,
}

fn file_type(path: &Path) -> Result<FileType, String> {
    let meta =
        fs::metadata(path).map_err(|e| format!("stat {}: {}", path.display(), go_error(&e)))?;
    let t = meta.file_type();
    Ok(if t.is_dir() {
        FileType::Directory
    } else if t.is_file() {
        FileType::File
    } else if t.is_socket() {
        FileType::Socket
    } else if t.is_char_device() {
        FileType::CharDevice
    } else if t.is_block_device() {
        FileType::BlockDevice
    } else {
        FileType::Other
    })
}

/// An I/O error as Go prints the underlying errno.
fn go_error(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

fn is(path: &Path, want: FileType, what: &str) -> Result<(), String> {
    if file_type(path)? == want {
        Ok(())
    } else {
        Err(format!(
            "hostPath type check failed: {} is not {what}",
            path.display()
        ))
    }
}

/// Checks (and for `DirectoryOrCreate`/`FileOrCreate` creates) the path of
/// a hostPath volume of the given type; `""` or no type checks nothing.
pub fn check(path: &Path, kind: Option<&str>) -> Result<(), String> {
    let exists = path.exists();
    let shown = path.display();
    match kind.unwrap_or("") {
        "" => Ok(()),
        "DirectoryOrCreate" => {
            if !exists {
                return fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o755)
                    .create(path)
                    .map_err(|e| format!("mkdir {shown}: {}", go_error(&e)));
            }
            is(path, FileType::Directory, "a directory")
        }
        "Directory" => {
            if !exists {
                return Err(format!(
                    "hostPath type check failed: {shown} is not a directory"
                ));
            }
            is(path, FileType::Directory, "a directory")
        }
        "FileOrCreate" => {
            if !exists {
                // The parent directory is not created, as upstream.
                return OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .mode(0o644)
                    .open(path)
                    .map(drop)
                    .map_err(|e| format!("open {shown}: {}", go_error(&e)));
            }
            is(path, FileType::File, "a file")
        }
        "File" => {
            if !exists {
                return Err(format!(
                    "hostPath type check failed: {shown} does not exist"
                ));
            }
            is(path, FileType::File, "a file")
        }
        "Socket" => is(path, FileType::Socket, "a socket file"),
        "CharDevice" => is(path, FileType::CharDevice, "a character device"),
        "BlockDevice" => is(path, FileType::BlockDevice, "a block device"),
        other => Err(format!("{other} is an invalid volume type")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::net::UnixListener;

    #[test]
    fn types_as_upstream() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("dir");
        let file = tmp.path().join("file");
        let missing = tmp.path().join("missing");
        let socket = tmp.path().join("sock");
        fs::create_dir(&dir).unwrap();
        fs::write(&file, "x").unwrap();
        let _listener = UnixListener::bind(&socket).unwrap();

        assert_eq!(check(&missing, None), Ok(()));
        assert_eq!(check(&missing, Some("")), Ok(()));
        assert_eq!(check(&dir, Some("Directory")), Ok(()));
        assert_eq!(
            check(&file, Some("Directory")),
            Err(format!(
                "hostPath type check failed: {} is not a directory",
                file.display()
            ))
        );
        assert_eq!(
            check(&missing, Some("Directory")),
            Err(format!(
                "hostPath type check failed: {} is not a directory",
                missing.display()
            ))
        );
        assert_eq!(check(&file, Some("File")), Ok(()));
        assert_eq!(
            check(&dir, Some("File")),
            Err(format!(
                "hostPath type check failed: {} is not a file",
                dir.display()
            ))
        );
        assert_eq!(
            check(&missing, Some("File")),
            Err(format!(
                "hostPath type check failed: {} does not exist",
                missing.display()
            ))
        );
        assert_eq!(check(&socket, Some("Socket")), Ok(()));
        assert_eq!(
            check(&file, Some("Socket")),
            Err(format!(
                "hostPath type check failed: {} is not a socket file",
                file.display()
            ))
        );
        assert_eq!(check(Path::new("/dev/null"), Some("CharDevice")), Ok(()));
        assert_eq!(
            check(&file, Some("CharDevice")),
            Err(format!(
                "hostPath type check failed: {} is not a character device",
                file.display()
            ))
        );
        assert_eq!(
            check(&file, Some("BlockDevice")),
            Err(format!(
                "hostPath type check failed: {} is not a block device",
                file.display()
            ))
        );
        assert_eq!(
            check(&missing, Some("Socket")),
            Err(format!(
                "stat {}: no such file or directory",
                missing.display()
            ))
        );
        assert_eq!(
            check(&file, Some("Weird")),
            Err("Weird is an invalid volume type".to_string())
        );

        // The ...OrCreate types create what is missing, and check what is not.
        let made = tmp.path().join("a/b/c");
        assert_eq!(check(&made, Some("DirectoryOrCreate")), Ok(()));
        assert!(made.is_dir());
        assert_eq!(
            fs::metadata(&made).unwrap().permissions().mode() & 0o777,
            0o755
        );
        assert_eq!(
            check(&file, Some("DirectoryOrCreate")),
            Err(format!(
                "hostPath type check failed: {} is not a directory",
                file.display()
            ))
        );
        let new_file = tmp.path().join("new-file");
        assert_eq!(check(&new_file, Some("FileOrCreate")), Ok(()));
        assert!(new_file.is_file());
        assert_eq!(check(&file, Some("FileOrCreate")), Ok(()));
        assert_eq!(fs::read_to_string(&file).unwrap(), "x");
        assert_eq!(
            check(&dir, Some("FileOrCreate")),
            Err(format!(
                "hostPath type check failed: {} is not a file",
                dir.display()
            ))
        );
        // No parent is created for FileOrCreate.
        assert!(check(&tmp.path().join("no/parent"), Some("FileOrCreate")).is_err());
    }
}
