//! What images the runtime holds, through CRI `ListImages`: the rows of
//! `rkube images ls` (as `crictl images` shows them) and the node status's
//! `images` list (as upstream's kubelet reports it).

use k8s_openapi::api::core::v1::ContainerImage;

use crate::cri::{api, Cri, CriError};

/// Upstream's `--node-status-max-images` default: the node reports the 50
/// largest images.
pub const NODE_STATUS_MAX_IMAGES: usize = 50;
/// Upstream reports at most 5 names per image in the node status.
const MAX_NAMES_PER_IMAGE: usize = 5;

/// One row of `rkube images ls`: an image under one of its names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedImage {
    /// `docker.io/library/busybox`, or `<none>`.
    pub repository: String,
    /// `latest`, or `<none>`.
    pub tag: String,
    /// `sha256:<hex>`: the digest of the image's config.
    pub id: String,
    /// Bytes the image takes on disk, as the runtime counts them.
    pub size: u64,
}

/// Every image the runtime holds.
pub async fn images(cri: &Cri) -> Result<Vec<api::Image>, CriError> {
    Ok(cri
        .images()
        .list_images(api::ListImagesRequest { filter: None })
        .await?
        .into_inner()
        .images)
}

/// The rows of `rkube images ls`: one per image and tag (an image with no
/// tag shows its repository from its digest reference, tag `<none>`),
/// sorted by repository then tag.
pub async fn list(cri: &Cri) -> Result<Vec<ListedImage>, CriError> {
    Ok(rows(&images(cri).await?))
}

/// The rows of `rkube images ls` for these images.
pub fn rows(images: &[api::Image]) -> Vec<ListedImage> {
    let mut rows = Vec::new();
    for image in images {
        let row = |repository: &str, tag: &str| ListedImage {
            repository: repository.to_string(),
            tag: tag.to_string(),
            id: image.id.clone(),
            size: image.size,
        };
        if image.repo_tags.is_empty() {
            let repository = image
                .repo_digests
                .first()
                .and_then(|reference| reference.split_once('@'))
                .map_or("<none>", |(repository, _)| repository);
            rows.push(row(repository, "<none>"));
        }
        for reference in &image.repo_tags {
            let (repository, tag) = split_tag(reference);
            rows.push(row(repository, tag));
        }
    }
    rows.sort_by(|a, b| (&a.repository, &a.tag).cmp(&(&b.repository, &b.tag)));
    rows
}

/// `rkube images ls`'s table: IMAGE, TAG, IMAGE ID (12 hex digits) and
/// SIZE (decimal units, as `crictl images`), columns padded to line up.
pub fn table(rows: &[ListedImage]) -> String {
    let mut lines = vec![[
        "IMAGE".to_string(),
        "TAG".to_string(),
        "IMAGE ID".to_string(),
        "SIZE".to_string(),
    ]];
    for row in rows {
        lines.push([
            row.repository.clone(),
            row.tag.clone(),
            short_id(&row.id),
            human_size(row.size),
        ]);
    }
    let mut widths = [0; 4];
    for line in &lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for line in &lines {
        let mut out = String::new();
        for (column, cell) in line.iter().enumerate() {
            if column + 1 == line.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<width$}   ", width = widths[column]));
            }
        }
        text.push_str(out.trim_end());
        text.push('\n');
    }
    text
}

/// The node status's `images`: the largest images first, at most
/// [`NODE_STATUS_MAX_IMAGES`], each named by its digest references then its
/// tags (at most 5 names), as upstream's kubelet reports them.
pub fn node_images(images: &[api::Image]) -> Vec<ContainerImage> {
    let mut sorted: Vec<&api::Image> = images.iter().collect();
    sorted.sort_by_key(|image| std::cmp::Reverse(image.size));
    sorted
        .into_iter()
        .filter_map(|image| {
            let names: Vec<String> = image
                .repo_digests
                .iter()
                .chain(&image.repo_tags)
                .take(MAX_NAMES_PER_IMAGE)
                .cloned()
                .collect();
            if names.is_empty() {
                return None;
            }
            Some(ContainerImage {
                names: Some(names),
                size_bytes: i64::try_from(image.size).ok(),
            })
        })
        .take(NODE_STATUS_MAX_IMAGES)
        .collect()
}

/// `docker.io/library/busybox:1.36` → (`docker.io/library/busybox`,
/// `1.36`); the last `:` not followed by `/` starts the tag.
fn split_tag(reference: &str) -> (&str, &str) {
    match reference.rfind(':') {
        Some(at) if !reference[at..].contains('/') => (&reference[..at], &reference[at + 1..]),
        _ => (reference, "<none>"),
    }
}

/// The first 12 hex digits of an image ID.
fn short_id(id: &str) -> String {
    let hex = id.split_once(':').map_or(id, |(_, hex)| hex);
    hex.chars().take(12).collect()
}

/// A size in decimal units with three significant digits, as Docker's
/// `units.HumanSizeWithPrecision(size, 3)` prints it (`4.27MB`, `315kB`).
pub fn human_size(size: u64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut value = size as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    // Three significant digits, then Go's %g trims trailing zeros.
    let decimals = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    let mut number = format!("{value:.decimals$}");
    if number.contains('.') {
        number = number
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string();
    }
    format!("{number}{}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(id: &str, tags: &[&str], digests: &[&str], size: u64) -> api::Image {
        api::Image {
            id: id.to_string(),
            repo_tags: tags.iter().map(|tag| tag.to_string()).collect(),
            repo_digests: digests.iter().map(|digest| digest.to_string()).collect(),
            size,
            ..Default::default()
        }
    }

    #[test]
    fn sizes_read_as_crictl_prints_them() {
        for (size, text) in [
            (0, "0B"),
            (999, "999B"),
            (1000, "1kB"),
            (315_200, "315kB"),
            (4_266_700, "4.27MB"),
            (4_200_000, "4.2MB"),
            (12_345_678, "12.3MB"),
            (2_000_000_000, "2GB"),
        ] {
            assert_eq!(human_size(size), text, "{size}");
        }
    }

    #[test]
    fn rows_split_tags_and_show_untagged_images() {
        let images = [
            image(
                "sha256:aaaa",
                &["localhost:5000/app:2", "docker.io/library/busybox:latest"],
                &[],
                10,
            ),
            image("sha256:bbbb", &[], &["docker.io/library/old@sha256:cc"], 20),
        ];
        let rows = rows(&images);
        let shown: Vec<(&str, &str)> = rows
            .iter()
            .map(|row| (row.repository.as_str(), row.tag.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("docker.io/library/busybox", "latest"),
                ("docker.io/library/old", "<none>"),
                ("localhost:5000/app", "2"),
            ]
        );
    }

    #[test]
    fn the_table_lines_up_like_crictl() {
        let rows = [ListedImage {
            repository: "rkube.local/pause".into(),
            tag: "3.10".into(),
            id: "sha256:0123456789abcdef0123".into(),
            size: 315_200,
        }];
        assert_eq!(
            table(&rows),
            "IMAGE               TAG    IMAGE ID       SIZE\n\
             rkube.local/pause   3.10   0123456789ab   315kB\n"
        );
    }

    #[test]
    fn node_images_are_largest_first_with_digests_then_tags() {
        let images = [
            image("sha256:1", &["small:1"], &[], 1),
            image("sha256:2", &["big:1", "big:2"], &["big@sha256:9"], 100),
            image("sha256:3", &[], &[], 50),
        ];
        let listed = node_images(&images);
        assert_eq!(listed.len(), 2);
        assert_eq!(
            listed[0].names.as_deref(),
            Some(&["big@sha256:9".to_string(), "big:1".into(), "big:2".into()][..])
        );
        assert_eq!(listed[0].size_bytes, Some(100));
        assert_eq!(
            listed[1].names.as_deref(),
            Some(&["small:1".to_string()][..])
        );
    }
}
