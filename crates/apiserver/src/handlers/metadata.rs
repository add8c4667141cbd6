//! Metadata-only responses: GET, LIST and WATCH answered with
//! `meta.k8s.io/v1` PartialObjectMetadata(List) when the client asks for it
//! (`Accept: application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1`),
//! as upstream's `transformResponseObject` does for metadata informers
//! (client-go's metadata client, kube-rs `metadata_watcher`, the garbage
//! collector). The objects keep only their `metadata`.

use serde_json::{json, Value};

const API_VERSION: &str = "meta.k8s.io/v1";

/// The PartialObjectMetadata of `object`.
pub fn partial(object: &Value) -> Value {
    json!({
        "apiVersion": API_VERSION,
        "kind": "PartialObjectMetadata",
        "metadata": object.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

/// The PartialObjectMetadataList of `items` with the list's `metadata`.
pub fn list<'a>(items: impl Iterator<Item = &'a Value>, metadata: Value) -> Value {
    json!({
        "apiVersion": API_VERSION,
        "kind": "PartialObjectMetadataList",
        "metadata": metadata,
        "items": items.map(partial).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_metadata() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "uid": "u"}, "spec": {"containers": []}});
        assert_eq!(
            partial(&pod),
            json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata",
                "metadata": {"name": "p", "uid": "u"}})
        );
        let listed = list([&pod].into_iter(), json!({"resourceVersion": "5"}));
        assert_eq!(listed["kind"], "PartialObjectMetadataList");
        assert_eq!(listed["metadata"]["resourceVersion"], "5");
        assert_eq!(listed["items"][0]["kind"], "PartialObjectMetadata");
    }
}
