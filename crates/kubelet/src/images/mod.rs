//! Images: building OCI image tarballs (`oci`), the images rkube makes for
//! itself and its tests (`busybox`, `pause`), importing tarballs into the
//! runtime (`import`) and listing what it holds (`list`).
//!
//! No registry can be reached from the machines rkube runs on, so images
//! enter a node by import: the user's tarballs (`rkube images import`, or
//! `<data-dir>/images/` at start) and rkube's own sandbox image.

mod busybox;
pub mod import;
mod list;
pub mod oci;
pub mod pause;

pub use busybox::{busybox, busybox_from, BUSYBOX};
pub use import::{ensure_pause, import_bytes, import_dir, import_file, ImportError, Imported};
pub use list::{
    human_size, images, list, node_images, rows, table, ListedImage, NODE_STATUS_MAX_IMAGES,
};

use std::path::PathBuf;

/// Why an image could not be built, imported or listed.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("writing the image archive: {0}")]
    Archive(#[source] std::io::Error),
    #[error("writing {path} into the image: {source}")]
    Entry {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("encoding the image's JSON: {0}")]
    Json(#[source] serde_json::Error),
    #[error("invalid path inside the image: {0:?}")]
    InvalidPath(String),
    #[error("the path {0:?} appears twice in the image")]
    DuplicatePath(String),
    #[error("invalid image reference {0:?}")]
    InvalidReference(String),
    #[error(
        "{path} is missing or not runnable ({reason}); install the Debian package busybox-static"
    )]
    Busybox { path: PathBuf, reason: String },
}
