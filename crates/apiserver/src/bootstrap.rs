//! Objects every cluster starts with: the system namespaces and the `kubernetes`
//! service that points at the API server.

use serde_json::{json, Value};

use crate::codec;
use crate::handlers::key;
use crate::server::State;

/// Creates what is missing; leaves what exists alone.
pub async fn ensure(state: &State) -> Result<(), store::StoreError> {
    let now = crate::handlers::now();
    for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        let obj = json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": name,
                "uid": uuid::Uuid::new_v4().to_string(),
                "creationTimestamp": now,
                "labels": {"kubernetes.io/metadata.name": name},
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        });
        create_if_absent(state, "namespaces", "", name, obj).await?;
    }
    let ip = state.config.admission.kubernetes_service_ip().to_string();
    let service = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "uid": uuid::Uuid::new_v4().to_string(),
            "creationTimestamp": now,
            "labels": {"component": "apiserver", "provider": "kubernetes"},
        },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": ip,
            "clusterIPs": [ip],
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "internalTrafficPolicy": "Cluster",
            "sessionAffinity": "None",
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": state.config.secure_port}],
        },
        "status": {"loadBalancer": {}},
    });
    create_if_absent(state, "services", "default", "kubernetes", service).await
}

async fn create_if_absent(
    state: &State,
    plural: &str,
    namespace: &str,
    name: &str,
    obj: Value,
) -> Result<(), store::StoreError> {
    let Some(resource) = api::resource::lookup("", "v1", plural) else {
        return Ok(());
    };
    match state
        .store
        .create(&key(resource, namespace, name), codec::encode_stored(&obj))
        .await
    {
        Ok(_) | Err(store::StoreError::AlreadyExists { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}
