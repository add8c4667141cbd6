//! The etcd test harness: the launcher of [`crate::etcd_server`], and the rule
//! for tests when etcd is missing.
//!
//! Tests call [`etcd_binary_or_skip`] first: when etcd is missing it fails the
//! test with instructions, unless `RKUBE_SKIP_ETCD=1` asks to skip.

use std::path::PathBuf;

pub use crate::etcd_server::{etcd_binary, EtcdCluster, DEFAULT_ETCD_BINARY, ETCD_BINARY_ENV};

/// The environment variable that, set to 1, skips etcd tests when etcd is missing.
pub const SKIP_ENV: &str = "RKUBE_SKIP_ETCD";

/// The etcd binary; `None` (after printing a note) if it is missing and
/// `RKUBE_SKIP_ETCD=1`. Panics with installation instructions otherwise.
pub fn etcd_binary_or_skip() -> Option<PathBuf> {
    if let Some(binary) = etcd_binary() {
        return Some(binary);
    }
    if std::env::var(SKIP_ENV).is_ok_and(|value| value == "1") {
        eprintln!("note: etcd not found, skipping this etcd test ({SKIP_ENV}=1)");
        return None;
    }
    panic!(
        "etcd not found at {DEFAULT_ETCD_BINARY} (nor via {ETCD_BINARY_ENV} or PATH): \
         install the Debian package etcd-server (apt-get install etcd-server), \
         or set {SKIP_ENV}=1 to skip the etcd tests"
    );
}
