//! Shared informers, as client-go's `SharedInformerFactory`: one list+watch
//! per resource for all the controllers of the process, a cache of the objects
//! with indexes by namespace and by controller owner, and a stream of changes
//! for every controller that subscribes.
//!
//! Without it every controller would keep its own copy of every pod; with
//! tens of thousands of pods that is most of the controller manager's memory.

use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use std::sync::{Arc, Mutex, MutexGuard};

use futures::StreamExt;
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Resource};
use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, watch};

/// A change that an informer saw.
#[derive(Debug)]
pub enum Notice<K> {
    /// The object was added or modified (`old` is what the cache held before).
    Applied { old: Option<Arc<K>>, new: Arc<K> },
    /// The object is gone (the last state the cache held).
    Deleted(Arc<K>),
}

impl<K> Clone for Notice<K> {
    fn clone(&self) -> Self {
        match self {
            Notice::Applied { old, new } => Notice::Applied {
                old: old.clone(),
                new: new.clone(),
            },
            Notice::Deleted(object) => Notice::Deleted(object.clone()),
        }
    }
}

/// `namespace/name` of an object (namespace empty for cluster-scoped ones).
pub type ObjectKey = (String, String);

struct Cache<K> {
    objects: HashMap<ObjectKey, Arc<K>>,
    /// namespace → names.
    by_namespace: HashMap<String, HashSet<String>>,
    /// controller owner uid → keys of the objects it controls.
    by_controller: HashMap<String, HashSet<ObjectKey>>,
    subscribers: Vec<mpsc::UnboundedSender<Notice<K>>>,
}

/// One resource's shared cache; cheap to clone.
pub struct Informer<K> {
    cache: Arc<Mutex<Cache<K>>>,
    synced: watch::Receiver<bool>,
    synced_tx: Arc<watch::Sender<bool>>,
}

impl<K> Clone for Informer<K> {
    fn clone(&self) -> Self {
        Informer {
            cache: self.cache.clone(),
            synced: self.synced.clone(),
            synced_tx: self.synced_tx.clone(),
        }
    }
}

impl<K> Default for Informer<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K> Informer<K> {
    /// An empty informer; [`Informer::run`] fills it.
    pub fn new() -> Self {
        let (synced_tx, synced) = watch::channel(false);
        Informer {
            cache: Arc::new(Mutex::new(Cache {
                objects: HashMap::new(),
                by_namespace: HashMap::new(),
                by_controller: HashMap::new(),
                subscribers: Vec::new(),
            })),
            synced,
            synced_tx: Arc::new(synced_tx),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Cache<K>> {
        // A poisoned cache is still consistent: every update is applied whole.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every change from now on. Subscribe before [`Informer::wait_synced`] to
    /// see the initial list as `Applied` notices as well.
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<Notice<K>> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut cache = self.lock();
        for object in cache.objects.values() {
            let _ = tx.send(Notice::Applied {
                old: None,
                new: object.clone(),
            });
        }
        cache.subscribers.push(tx);
        rx
    }

    /// Waits until the first list is in the cache.
    pub async fn wait_synced(&self) {
        let mut synced = self.synced.clone();
        let _ = synced.wait_for(|synced| *synced).await;
    }

    /// The object `namespace/name` (namespace "" for cluster-scoped objects).
    pub fn get(&self, namespace: &str, name: &str) -> Option<Arc<K>> {
        self.lock()
            .objects
            .get(&(namespace.to_string(), name.to_string()))
            .cloned()
    }

    /// Every object.
    pub fn list(&self) -> Vec<Arc<K>> {
        self.lock().objects.values().cloned().collect()
    }

    /// The objects of one namespace.
    pub fn in_namespace(&self, namespace: &str) -> Vec<Arc<K>> {
        let cache = self.lock();
        let Some(names) = cache.by_namespace.get(namespace) else {
            return Vec::new();
        };
        names
            .iter()
            .filter_map(|name| {
                cache
                    .objects
                    .get(&(namespace.to_string(), name.clone()))
                    .cloned()
            })
            .collect()
    }

    /// The objects whose controller owner has this uid.
    pub fn controlled_by(&self, uid: &str) -> Vec<Arc<K>> {
        let cache = self.lock();
        let Some(keys) = cache.by_controller.get(uid) else {
            return Vec::new();
        };
        keys.iter()
            .filter_map(|key| cache.objects.get(key).cloned())
            .collect()
    }
}

impl<K> Informer<K>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    /// Lists and watches `api` into the cache until the watch stream ends
    /// (it retries with backoff, so in practice until the task is dropped).
    pub async fn run(self, api: Api<K>) {
        let stream = watcher::watcher(api, watcher::Config::default()).default_backoff();
        let mut stream = std::pin::pin!(stream);
        let mut relist: Option<HashMap<ObjectKey, Arc<K>>> = None;
        while let Some(event) = stream.next().await {
            match event {
                Ok(watcher::Event::Init) => relist = Some(HashMap::new()),
                Ok(watcher::Event::InitApply(object)) => {
                    let object = Arc::new(object);
                    match relist.as_mut() {
                        Some(buffer) => {
                            buffer.insert(key_of(object.meta()), object);
                        }
                        None => self.apply(object),
                    }
                }
                Ok(watcher::Event::InitDone) => {
                    if let Some(buffer) = relist.take() {
                        self.replace(buffer);
                    }
                    let _ = self.synced_tx.send(true);
                }
                Ok(watcher::Event::Apply(object)) => self.apply(Arc::new(object)),
                Ok(watcher::Event::Delete(object)) => self.delete(&key_of(object.meta())),
                Err(error) => {
                    tracing::debug!(%error, kind = std::any::type_name::<K>(), "informer: watch failed")
                }
            }
        }
    }

    fn apply(&self, object: Arc<K>) {
        let mut cache = self.lock();
        let key = key_of(object.meta());
        let old = cache.objects.insert(key.clone(), object.clone());
        if let Some(old) = &old {
            unindex(&mut cache, &key, old);
        }
        index(&mut cache, &key, &object);
        broadcast(&mut cache, Notice::Applied { old, new: object });
    }

    fn delete(&self, key: &ObjectKey) {
        let mut cache = self.lock();
        if let Some(old) = cache.objects.remove(key) {
            unindex(&mut cache, key, &old);
            broadcast(&mut cache, Notice::Deleted(old));
        }
    }

    /// After a (re)list: objects not listed are deleted, the others applied
    /// when their resourceVersion changed.
    fn replace(&self, listed: HashMap<ObjectKey, Arc<K>>) {
        let gone: Vec<ObjectKey> = {
            let cache = self.lock();
            cache
                .objects
                .keys()
                .filter(|key| !listed.contains_key(*key))
                .cloned()
                .collect()
        };
        for key in gone {
            self.delete(&key);
        }
        for (key, object) in listed {
            let unchanged = self.lock().objects.get(&key).is_some_and(|old| {
                old.meta().resource_version.is_some()
                    && old.meta().resource_version == object.meta().resource_version
            });
            if !unchanged {
                self.apply(object);
            }
        }
    }
}

fn key_of(meta: &kube::api::ObjectMeta) -> ObjectKey {
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

fn controller_uid(meta: &kube::api::ObjectMeta) -> Option<&str> {
    meta.owner_references
        .as_ref()?
        .iter()
        .find(|owner| owner.controller == Some(true))
        .map(|owner| owner.uid.as_str())
}

fn index<K: Resource>(cache: &mut Cache<K>, key: &ObjectKey, object: &K) {
    cache
        .by_namespace
        .entry(key.0.clone())
        .or_default()
        .insert(key.1.clone());
    if let Some(uid) = controller_uid(object.meta()) {
        cache
            .by_controller
            .entry(uid.to_string())
            .or_default()
            .insert(key.clone());
    }
}

fn unindex<K: Resource>(cache: &mut Cache<K>, key: &ObjectKey, object: &K) {
    if let Some(names) = cache.by_namespace.get_mut(&key.0) {
        names.remove(&key.1);
        if names.is_empty() {
            cache.by_namespace.remove(&key.0);
        }
    }
    if let Some(uid) = controller_uid(object.meta()) {
        if let Some(keys) = cache.by_controller.get_mut(uid) {
            keys.remove(key);
            if keys.is_empty() {
                cache.by_controller.remove(uid);
            }
        }
    }
}

fn broadcast<K>(cache: &mut Cache<K>, notice: Notice<K>) {
    cache
        .subscribers
        .retain(|subscriber| subscriber.send(notice.clone()).is_ok());
}

/// Objects a controller wrote, ahead of its cache: each with the
/// resourceVersion it replaced. Until the cache moves past that version, the
/// written object is the current one (a sync on the stale cached copy would
/// undo or repeat what was just written).
pub struct Written<K> {
    objects: Mutex<HashMap<ObjectKey, (String, Arc<K>)>>,
}

impl<K> Default for Written<K> {
    fn default() -> Self {
        Written {
            objects: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Resource> Written<K> {
    /// `written` replaced the object at resourceVersion `replaced`.
    pub fn wrote(&self, key: &ObjectKey, replaced: String, written: K) {
        if let Ok(mut objects) = self.objects.lock() {
            objects.insert(key.clone(), (replaced, Arc::new(written)));
        }
    }

    /// The object is gone.
    pub fn forget(&self, key: &ObjectKey) {
        if let Ok(mut objects) = self.objects.lock() {
            objects.remove(key);
        }
    }

    /// The cached object, or the one written over it if the cache still
    /// holds the version it replaced.
    pub fn current(&self, key: &ObjectKey, cached: Arc<K>) -> Arc<K> {
        let Ok(mut objects) = self.objects.lock() else {
            return cached;
        };
        match objects.get(key) {
            Some((replaced, written))
                if cached.meta().resource_version.as_deref() == Some(replaced.as_str()) =>
            {
                written.clone()
            }
            Some(_) => {
                objects.remove(key);
                cached
            }
            None => cached,
        }
    }
}

/// The informers the controllers share, started once per process.
#[derive(Clone, Default)]
pub struct Informers {
    pub pods: Informer<k8s_openapi::api::core::v1::Pod>,
    pub nodes: Informer<k8s_openapi::api::core::v1::Node>,
}

impl Informers {
    /// Runs every shared informer until the returned future is dropped.
    pub async fn run(self, client: kube::Client) {
        tokio::join!(
            self.pods.clone().run(Api::all(client.clone())),
            self.nodes.clone().run(Api::all(client)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Pod;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
    use kube::api::ObjectMeta;

    fn pod(namespace: &str, name: &str, owner: Option<&str>, rv: &str) -> Arc<Pod> {
        Arc::new(Pod {
            metadata: ObjectMeta {
                namespace: Some(namespace.into()),
                name: Some(name.into()),
                resource_version: Some(rv.into()),
                owner_references: owner.map(|uid| {
                    vec![OwnerReference {
                        uid: uid.into(),
                        controller: Some(true),
                        ..Default::default()
                    }]
                }),
                ..Default::default()
            },
            ..Default::default()
        })
    }

    #[test]
    fn indexes_follow_updates_and_deletes() {
        let informer: Informer<Pod> = Informer::new();
        let mut changes = informer.subscribe();
        informer.apply(pod("a", "p1", Some("rs1"), "1"));
        informer.apply(pod("a", "p2", Some("rs1"), "2"));
        informer.apply(pod("b", "p1", None, "3"));
        assert_eq!(informer.in_namespace("a").len(), 2);
        assert_eq!(informer.controlled_by("rs1").len(), 2);
        // p2 released by its owner.
        informer.apply(pod("a", "p2", None, "4"));
        assert_eq!(informer.controlled_by("rs1").len(), 1);
        informer.delete(&("a".into(), "p1".into()));
        assert!(informer.controlled_by("rs1").is_empty());
        assert_eq!(informer.in_namespace("a").len(), 1);
        let mut seen = 0;
        while let Ok(notice) = changes.try_recv() {
            seen += 1;
            if seen == 4 {
                assert!(matches!(notice, Notice::Applied { old: Some(_), .. }));
            }
        }
        assert_eq!(seen, 5);
    }

    #[test]
    fn relist_deletes_what_is_gone_and_skips_unchanged() {
        let informer: Informer<Pod> = Informer::new();
        informer.apply(pod("a", "keep", None, "1"));
        informer.apply(pod("a", "gone", None, "2"));
        let mut changes = informer.subscribe();
        while changes.try_recv().is_ok() {}
        let mut listed = HashMap::new();
        listed.insert(("a".into(), "keep".into()), pod("a", "keep", None, "1"));
        listed.insert(("a".into(), "new".into()), pod("a", "new", None, "5"));
        informer.replace(listed);
        let notices: Vec<_> = std::iter::from_fn(|| changes.try_recv().ok()).collect();
        assert_eq!(notices.len(), 2);
        assert!(
            matches!(&notices[0], Notice::Deleted(p) if p.metadata.name.as_deref() == Some("gone"))
        );
        assert!(informer.get("a", "new").is_some());
        assert!(informer.get("a", "gone").is_none());
    }
}
