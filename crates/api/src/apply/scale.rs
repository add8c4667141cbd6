//! Managed fields through the scale subresource, as upstream's
//! `ScaleHandler`: a write to `/scale` is tracked on the `autoscaling/v1`
//! Scale, whose only owned field is `.spec.replicas`. Before the write, the
//! parent's entries that own its replicas field become Scale entries
//! ([`to_scale`]); after it, the Scale's entries are mapped back onto the
//! parent's ([`to_parent`]): a parent manager that lost the replicas field
//! through the Scale loses it on the parent, and a Scale manager that owns it
//! owns the parent's replicas field (in the parent's version, keeping the
//! `scale` subresource in its identity).

use super::fieldpath::{field, Path, Set};
use super::managed::{ManagedFields, Manager, Owned};
use crate::resource::ResourceInfo;

/// The version of the Scale kind.
pub const SCALE_VERSION: &str = "autoscaling/v1";

/// The Scale kind as what an apply to `/scale` is typed and tracked as (it
/// is no resource of its own: nothing is stored under it).
pub static SCALE: ResourceInfo = ResourceInfo {
    group: "autoscaling",
    version: "v1",
    kind: "Scale",
    plural: "scale",
    singular: "scale",
    namespaced: true,
    short_names: &[],
    categories: &[],
    verbs: &["get", "patch", "update"],
    subresources: &[],
    storage_group: "autoscaling",
    storage_version: "v1",
    storage_plural: "scale",
};

/// Where a parent keeps its replicas in the version of a managed fields
/// entry: `None` for a version the parent is not served in (such entries are
/// dropped), `Some(None)` for a version without a scale subresource.
pub type ReplicasPath<'a> = &'a dyn Fn(&str) -> Option<Option<Path>>;

/// `.spec.replicas` of a Scale.
fn replicas_in_scale() -> Path {
    vec![field("spec"), field("replicas")]
}

/// A JSON pointer (`/spec/replicas`) as a field path.
pub fn path_of_pointer(pointer: &str) -> Path {
    pointer
        .split('/')
        .filter(|part| !part.is_empty())
        .map(field)
        .collect()
}

/// Who is the same manager on both sides: the Scale's entries are written
/// in the Scale's version, so an updater's version is not compared.
fn same(a: &Manager, b: &Manager) -> bool {
    a.name == b.name && a.operation == b.operation && a.subresource == b.subresource
}

/// The managed fields of the Scale view of a parent: the parent's managers
/// that own its replicas field, owning `.spec.replicas`.
pub fn to_scale(parent: &ManagedFields, replicas: ReplicasPath<'_>) -> ManagedFields {
    let mut out = ManagedFields::default();
    for (manager, owned) in &parent.entries {
        let Some(Some(path)) = replicas(&owned.api_version) else {
            continue;
        };
        if owned.set.has(&path) {
            out.entries.insert(
                manager.clone(),
                Owned {
                    set: Set::of(&[&replicas_in_scale()]),
                    api_version: SCALE_VERSION.to_string(),
                    time: owned.time.clone(),
                },
            );
        }
    }
    out
}

/// The parent's managed fields after a write through its Scale whose
/// managed fields are now `scale`; `version` is the parent's version of the
/// request, whose replicas path Scale owners get.
pub fn to_parent(
    parent: &ManagedFields,
    scale: &ManagedFields,
    replicas: ReplicasPath<'_>,
    version: &str,
) -> ManagedFields {
    let mut out = ManagedFields::default();
    let mut scale_left: Vec<(&Manager, &Owned)> = scale.entries.iter().collect();
    for (manager, owned) in &parent.entries {
        let Some(path) = replicas(&owned.api_version) else {
            continue;
        };
        let path = match path {
            Some(path) if owned.set.has(&path) => path,
            _ => {
                out.entries.insert(manager.clone(), owned.clone());
                continue;
            }
        };
        match scale_left.iter().position(|(m, _)| same(m, manager)) {
            // Still an owner through the Scale: kept as it is.
            Some(index) => {
                scale_left.remove(index);
                out.entries.insert(manager.clone(), owned.clone());
            }
            // The write through the Scale took the replicas field from it.
            None => {
                let set = owned.set.difference(&Set::of(&[&path]));
                if !set.is_empty() {
                    out.entries.insert(
                        manager.clone(),
                        Owned {
                            set,
                            ..owned.clone()
                        },
                    );
                }
            }
        }
    }
    let Some(Some(parent_path)) = replicas(version) else {
        return out;
    };
    for (manager, owned) in scale_left {
        if !owned.set.has(&replicas_in_scale()) {
            continue;
        }
        let mut manager = manager.clone();
        if manager.api_version.is_some() {
            manager.api_version = Some(version.to_string());
        }
        out.entries.insert(
            manager,
            Owned {
                set: Set::of(&[&parent_path]),
                api_version: version.to_string(),
                time: owned.time.clone(),
            },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(paths: &[&[&str]], version: &str) -> Owned {
        let mut set = Set::new();
        for path in paths {
            let path: Path = path.iter().map(|p| field(p)).collect();
            set.insert(&path);
        }
        Owned {
            set,
            api_version: version.to_string(),
            time: Some("2024-01-01T00:00:00Z".into()),
        }
    }

    fn deployments(version: &str) -> Option<Option<Path>> {
        (version == "apps/v1").then(|| Some(path_of_pointer("/spec/replicas")))
    }

    #[test]
    fn replicas_move_between_the_parent_and_its_scale() {
        let mut parent = ManagedFields::default();
        let creator = Manager::applier("kubectl", "");
        let labeler = Manager::updater("labeler", "apps/v1", "");
        parent.entries.insert(
            creator.clone(),
            owned(&[&["spec", "replicas"], &["spec", "paused"]], "apps/v1"),
        );
        parent.entries.insert(
            labeler.clone(),
            owned(&[&["metadata", "labels"]], "apps/v1"),
        );
        parent.entries.insert(
            Manager::updater("old", "apps/v1beta1", ""),
            owned(&[&["spec", "replicas"]], "apps/v1beta1"),
        );

        let scale = to_scale(&parent, &deployments);
        assert_eq!(scale.entries.len(), 1);
        assert_eq!(
            scale.entries[&creator],
            owned(&[&["spec", "replicas"]], SCALE_VERSION)
        );

        // Someone else applies replicas through the Scale, forcing.
        let scaler = Manager::applier("scaler", "scale");
        let mut after = ManagedFields::default();
        after.entries.insert(
            scaler.clone(),
            owned(&[&["spec", "replicas"]], SCALE_VERSION),
        );
        let parent = to_parent(&parent, &after, &deployments, "apps/v1");
        assert_eq!(parent.entries.len(), 3, "{parent:?}");
        assert_eq!(
            parent.entries[&creator],
            owned(&[&["spec", "paused"]], "apps/v1")
        );
        assert_eq!(
            parent.entries[&labeler],
            owned(&[&["metadata", "labels"]], "apps/v1")
        );
        assert_eq!(
            parent.entries[&scaler],
            owned(&[&["spec", "replicas"]], "apps/v1")
        );

        // An owner the Scale write left alone keeps its entry.
        let parent = to_parent(
            &parent,
            &to_scale(&parent, &deployments),
            &deployments,
            "apps/v1",
        );
        assert_eq!(
            parent.entries[&scaler],
            owned(&[&["spec", "replicas"]], "apps/v1")
        );
    }
}
