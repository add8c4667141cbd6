//! The built-in resources: group/version/kind, plural and scope, and how they are served.
//!
//! The table itself is in `resource/table.rs`; it mirrors what upstream's discovery
//! (`kubectl api-resources -o wide`) reports for the same resources.

pub mod custom;
mod table;

/// A subresource served under `/{resource}/{name}/{subresource}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subresource {
    Status,
    Scale,
}

/// One resource as served at one group/version.
#[derive(Debug, PartialEq, Eq)]
pub struct ResourceInfo {
    /// API group; "" for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    /// Lower-case plural, the path segment ("pods").
    pub plural: &'static str,
    /// Lower-case singular ("pod").
    pub singular: &'static str,
    pub namespaced: bool,
    /// Short names as upstream ("po", "deploy", ...).
    pub short_names: &'static [&'static str],
    /// Categories as upstream (["all"] for pods, services, deployments, ...).
    pub categories: &'static [&'static str],
    /// Verbs as upstream discovery lists them.
    pub verbs: &'static [&'static str],
    pub subresources: &'static [Subresource],
    /// The group/version in which objects of this resource are stored. Versions of
    /// one resource that share storage (autoscaling/v1 and v2 horizontalpodautoscalers,
    /// core/v1 and events.k8s.io/v1 events) share one key space.
    pub storage_group: &'static str,
    pub storage_version: &'static str,
    /// The resource name of the storage ("events" for both event versions).
    pub storage_plural: &'static str,
}

impl ResourceInfo {
    /// "v1" for the core group, "group/version" otherwise.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The kind of the list ("PodList").
    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    /// True if objects of this resource are stored in this version.
    pub fn is_storage_version(&self) -> bool {
        self.group == self.storage_group && self.version == self.storage_version
    }

    /// The resource that holds the stored form of this one.
    pub fn storage(&self) -> &'static ResourceInfo {
        let found = builtin().iter().find(|r| {
            r.group == self.storage_group
                && r.version == self.storage_version
                && r.plural == self.storage_plural
        });
        match found {
            Some(storage) => storage,
            None => table::foreign_storage(self),
        }
    }

    pub fn has_subresource(&self, subresource: Subresource) -> bool {
        self.subresources.contains(&subresource)
    }
}

/// Every built-in resource, groups in upstream discovery order, and within a group
/// the preferred version first.
pub fn builtin() -> &'static [ResourceInfo] {
    table::BUILTIN
}

/// Every served resource: the built-in ones, then the custom ones.
pub fn all() -> Vec<&'static ResourceInfo> {
    let mut all: Vec<&'static ResourceInfo> = builtin().iter().collect();
    all.extend(custom::all());
    all
}

/// The resource served at `group`/`version` under `plural`.
pub fn lookup(group: &str, version: &str, plural: &str) -> Option<&'static ResourceInfo> {
    let matches =
        |r: &&ResourceInfo| r.group == group && r.version == version && r.plural == plural;
    builtin()
        .iter()
        .find(matches)
        .or_else(|| custom::all().into_iter().find(matches))
}

/// The resource of objects with this `apiVersion` and `kind`.
pub fn lookup_kind(api_version: &str, kind: &str) -> Option<&'static ResourceInfo> {
    let matches = |r: &&ResourceInfo| r.kind == kind && r.api_version() == api_version;
    builtin()
        .iter()
        .find(matches)
        .or_else(|| custom::all().into_iter().find(matches))
}

/// The served versions of the resources of one group, preferred first.
pub fn resources_in_group(group: &str) -> Vec<&'static ResourceInfo> {
    all().into_iter().filter(|r| r.group == group).collect()
}

/// A group with its served versions, preferred first, in upstream discovery order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupVersions {
    pub group: &'static str,
    pub versions: Vec<&'static str>,
}

/// Every served group ("" for core first), with its versions, preferred first.
pub fn groups() -> Vec<GroupVersions> {
    let mut groups: Vec<GroupVersions> = Vec::new();
    for resource in all() {
        match groups.iter_mut().find(|g| g.group == resource.group) {
            Some(group) => {
                if !group.versions.contains(&resource.version) {
                    group.versions.push(resource.version);
                }
            }
            None => groups.push(GroupVersions {
                group: resource.group,
                versions: vec![resource.version],
            }),
        }
    }
    // A group only CRDs define lists its versions by upstream's priority.
    for group in &mut groups {
        if !builtin().iter().any(|r| r.group == group.group) {
            group
                .versions
                .sort_by(|a, b| custom::compare_versions(a, b));
        }
    }
    groups
}

/// The resources served at one group/version, in discovery order.
pub fn resources_of<'a>(
    group: &'a str,
    version: &'a str,
) -> impl Iterator<Item = &'static ResourceInfo> + 'a {
    all()
        .into_iter()
        .filter(move |r| r.group == group && r.version == version)
}

/// The resource a short name stands for (`po`, `deploy`), if any.
pub fn lookup_short_name(short_name: &str) -> Option<&'static ResourceInfo> {
    all()
        .into_iter()
        .find(|r| r.short_names.contains(&short_name))
}

#[cfg(test)]
mod tests;
