//! The ownership bookkeeping of one write, as structured-merge-diff's
//! `merge.Updater`: an update takes the fields it changed from everyone else;
//! an apply merges a configuration, prunes what its applier no longer applies,
//! and fails on conflicts with the fields other managers own unless forced.

use serde_json::Value;

use super::fieldpath::{Path, Set};
use super::managed::{ManagedFields, Manager, Owned};
use super::schema::Type;
use super::typed::{self, Comparison};

/// A field another manager owns and a write would change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub manager: Manager,
    pub path: Path,
}

/// The schema, version and ignored fields of the writes to one object.
pub struct Updater<'s> {
    pub ty: Type<'s>,
    /// The version the request writes in (`apps/v1`).
    pub version: String,
    /// Fields nobody owns through this endpoint (`status` of the main
    /// resource, `spec` through `status`).
    pub ignored: Set,
}

impl Updater<'_> {
    /// Compares `old` with `new` and takes from every manager but `workflow`
    /// the fields the change modified, added (as conflicts) or removed; with
    /// `force` unset, conflicts fail instead.
    fn take_changed(
        &self,
        old: &Value,
        new: &Value,
        managers: &mut ManagedFields,
        workflow: &Manager,
        force: bool,
    ) -> Result<Comparison, Vec<Conflict>> {
        let mut comparison = typed::compare(self.ty, old, new);
        comparison.exclude(&self.ignored);
        let changed = comparison.modified.union(&comparison.added);
        let mut conflicts = Vec::new();
        let mut taken: Vec<(Manager, Set)> = Vec::new();
        for (manager, owned) in &managers.entries {
            if manager == workflow {
                continue;
            }
            let conflicting = owned.set.intersection(&changed);
            if !conflicting.is_empty() {
                conflicts.extend(conflicting.paths().into_iter().map(|path| Conflict {
                    manager: manager.clone(),
                    path,
                }));
                taken.push((manager.clone(), conflicting));
            }
        }
        if !force && !conflicts.is_empty() {
            return Err(conflicts);
        }
        for (manager, conflicting) in taken {
            if let Some(owned) = managers.entries.get_mut(&manager) {
                owned.set = owned.set.difference(&conflicting);
            }
        }
        if !comparison.removed.is_empty() {
            for (manager, owned) in managers.entries.iter_mut() {
                if manager != workflow {
                    owned.set = owned.set.difference(&comparison.removed);
                }
            }
        }
        managers.entries.retain(|_, owned| !owned.set.is_empty());
        Ok(comparison)
    }

    /// Records a non-apply write of `new` over `old` by `manager`: it owns
    /// what it added or modified and no longer what it removed; others lose
    /// what it changed.
    pub fn update(
        &self,
        old: &Value,
        new: &Value,
        managers: &mut ManagedFields,
        manager: &Manager,
    ) {
        let Ok(comparison) = self.take_changed(old, new, managers, manager, true) else {
            return;
        };
        let previous = managers.entries.remove(manager);
        let time = previous.as_ref().and_then(|p| p.time.clone());
        let set = previous
            .map(|p| p.set)
            .unwrap_or_default()
            .difference(&comparison.removed)
            .union(&comparison.modified)
            .union(&comparison.added)
            .recursive_difference(&self.ignored);
        if !set.is_empty() {
            managers.entries.insert(
                manager.clone(),
                Owned {
                    set,
                    api_version: self.version.clone(),
                    time,
                },
            );
        }
    }

    /// Applies `config` to `live` for `manager`. Returns the new object, or
    /// `None` when it equals `live`; `managers` then hold the applier's new
    /// set, with what others lost.
    pub fn apply(
        &self,
        live: &Value,
        config: &Value,
        managers: &mut ManagedFields,
        manager: &Manager,
        force: bool,
    ) -> Result<Option<Value>, Vec<Conflict>> {
        let merged = typed::merge(self.ty, live, config);
        let last = managers.entries.get(manager).cloned();
        let set = typed::to_field_set(self.ty, config).recursive_difference(&self.ignored);
        managers.entries.insert(
            manager.clone(),
            Owned {
                set,
                api_version: self.version.clone(),
                time: last.as_ref().and_then(|l| l.time.clone()),
            },
        );
        let new = match &last {
            Some(last) if !last.set.is_empty() => self.prune(&merged, managers, &last.set),
            _ => merged,
        };
        self.take_changed(live, &new, managers, manager, force)?;
        if typed_equal(live, &new) {
            return Ok(None);
        }
        Ok(Some(new))
    }

    /// Removes from `merged` what the applier owned after its last apply but
    /// no longer applies, unless another manager (or its new configuration)
    /// owns it, or it was not the applier's to begin with.
    fn prune(&self, merged: &Value, managers: &ManagedFields, last: &Set) -> Value {
        let named = |set: &Set| typed::ensure_named_fields_are_members(self.ty, set);
        let last = named(last);
        let pruned = typed::remove_items(self.ty, merged, &last);
        // Add back what anyone owns.
        let owned = managers
            .entries
            .values()
            .fold(Set::new(), |all, owned| all.union(&owned.set));
        let merged_set = named(&typed::to_field_set(self.ty, merged));
        let pruned_set = named(&typed::to_field_set(self.ty, &pruned));
        let unowned = merged_set.difference(&pruned_set.union(&named(&owned)));
        let pruned = typed::remove_items(self.ty, merged, &unowned);
        // Add back what the applier never owned.
        let pruned_set = named(&typed::to_field_set(self.ty, &pruned));
        let dropped = merged_set.difference(&pruned_set).intersection(&last);
        typed::remove_items(self.ty, merged, &dropped)
    }
}

fn typed_equal(a: &Value, b: &Value) -> bool {
    super::fieldpath::values_equal(a, b)
}
