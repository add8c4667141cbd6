//! The pod's `fsGroup` applied to a volume, as upstream's
//! `SetVolumeOwnership`: every file and directory gets the group, and the
//! group's read (read-only volumes) or read-write bits; directories also
//! get the setgid bit and group execute, so that new files inherit the
//! group. `fsGroupChangePolicy: OnRootMismatch` skips volumes whose root
//! already has the group and bits.

use std::fs;
use std::io;
use std::os::unix::fs::{lchown, MetadataExt, PermissionsExt};
use std::path::Path;

const RW_MASK: u32 = 0o660;
const RO_MASK: u32 = 0o440;
const EXECUTE_MASK: u32 = 0o110;
const SETGID: u32 = 0o2000;

fn mask(read_only: bool, dir: bool) -> u32 {
    let mut mask = if read_only { RO_MASK } else { RW_MASK };
    if dir {
        mask |= SETGID | EXECUTE_MASK;
    }
    mask
}

/// Whether the volume root lacks the group or its bits.
fn root_mismatch(dir: &Path, gid: u32, read_only: bool) -> io::Result<bool> {
    let meta = fs::metadata(dir)?;
    let mask = mask(read_only, true);
    Ok(meta.gid() != gid || meta.permissions().mode() & mask != mask)
}

fn apply(path: &Path, gid: u32, read_only: bool) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    lchown(path, None, Some(gid))?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    let dir = meta.is_dir();
    let mode = meta.permissions().mode() & 0o7777;
    let wanted = mode | mask(read_only, dir);
    if wanted != mode {
        fs::set_permissions(path, fs::Permissions::from_mode(wanted))?;
    }
    if dir {
        for entry in fs::read_dir(path)? {
            apply(&entry?.path(), gid, read_only)?;
        }
    }
    Ok(())
}

/// Applies `fs_group` to the volume at `dir`; nothing when the pod sets
/// none.
pub fn set(
    dir: &Path,
    fs_group: Option<i64>,
    change_policy: Option<&str>,
    read_only: bool,
) -> io::Result<()> {
    let Some(gid) = fs_group.and_then(|g| u32::try_from(g).ok()) else {
        return Ok(());
    };
    if change_policy == Some("OnRootMismatch") && !root_mismatch(dir, gid, read_only)? {
        return Ok(());
    }
    apply(dir, gid, read_only)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn group_and_bits() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("vol");
        fs::create_dir(&root).unwrap();
        fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(root.join("f"), "x").unwrap();
        fs::set_permissions(root.join("f"), fs::Permissions::from_mode(0o600)).unwrap();
        symlink("f", root.join("link")).unwrap();

        set(&root, None, None, false).unwrap();
        assert_eq!(mode(&root.join("f")), 0o600);

        set(&root, Some(1234), None, true).unwrap();
        assert_eq!(mode(&root.join("f")), 0o640);
        assert_eq!(mode(&root), 0o2755);
        assert_eq!(fs::metadata(root.join("f")).unwrap().gid(), 1234);
        assert_eq!(fs::symlink_metadata(root.join("link")).unwrap().gid(), 1234);

        set(&root, Some(1234), None, false).unwrap();
        assert_eq!(mode(&root.join("f")), 0o660);
        assert_eq!(mode(&root), 0o2775);

        // OnRootMismatch: a root that matches means nothing is walked.
        fs::set_permissions(root.join("f"), fs::Permissions::from_mode(0o600)).unwrap();
        set(&root, Some(1234), Some("OnRootMismatch"), false).unwrap();
        assert_eq!(mode(&root.join("f")), 0o600);
    }
}
