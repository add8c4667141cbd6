//! The upstream type of every built-in resource, from `k8s-openapi`.
//!
//! Code that needs the Rust type of a resource implements [`TypeVisitor`] and calls
//! [`visit_type`], which picks the type from the resource's group, version and kind.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::ResourceInfo;

/// Something done with the upstream type of a resource.
pub(crate) trait TypeVisitor {
    type Output;

    fn visit<T>(self) -> Self::Output
    where
        T: k8s_openapi::Resource + DeserializeOwned + Serialize;
}

/// Calls `visitor` with the `k8s-openapi` type of `resource`, or returns `None`
/// for a resource that is not built in.
pub(crate) fn visit_type<V: TypeVisitor>(resource: &ResourceInfo, visitor: V) -> Option<V::Output> {
    use k8s_openapi::api::{
        apps, authentication, authorization, autoscaling, batch, coordination, core, discovery,
        events, networking, policy, rbac, scheduling, storage,
    };
    let output = match (resource.group, resource.version, resource.kind) {
        ("", "v1", "ConfigMap") => visitor.visit::<core::v1::ConfigMap>(),
        ("", "v1", "Endpoints") => visitor.visit::<core::v1::Endpoints>(),
        ("", "v1", "Event") => visitor.visit::<core::v1::Event>(),
        ("", "v1", "LimitRange") => visitor.visit::<core::v1::LimitRange>(),
        ("", "v1", "Namespace") => visitor.visit::<core::v1::Namespace>(),
        ("", "v1", "Node") => visitor.visit::<core::v1::Node>(),
        ("", "v1", "PersistentVolumeClaim") => visitor.visit::<core::v1::PersistentVolumeClaim>(),
        ("", "v1", "PersistentVolume") => visitor.visit::<core::v1::PersistentVolume>(),
        ("", "v1", "Pod") => visitor.visit::<core::v1::Pod>(),
        ("", "v1", "PodTemplate") => visitor.visit::<core::v1::PodTemplate>(),
        ("", "v1", "ReplicationController") => visitor.visit::<core::v1::ReplicationController>(),
        ("", "v1", "ResourceQuota") => visitor.visit::<core::v1::ResourceQuota>(),
        ("", "v1", "Secret") => visitor.visit::<core::v1::Secret>(),
        ("", "v1", "ServiceAccount") => visitor.visit::<core::v1::ServiceAccount>(),
        ("", "v1", "Service") => visitor.visit::<core::v1::Service>(),
        ("apps", "v1", "ControllerRevision") => visitor.visit::<apps::v1::ControllerRevision>(),
        ("apps", "v1", "DaemonSet") => visitor.visit::<apps::v1::DaemonSet>(),
        ("apps", "v1", "Deployment") => visitor.visit::<apps::v1::Deployment>(),
        ("apps", "v1", "ReplicaSet") => visitor.visit::<apps::v1::ReplicaSet>(),
        ("apps", "v1", "StatefulSet") => visitor.visit::<apps::v1::StatefulSet>(),
        ("events.k8s.io", "v1", "Event") => visitor.visit::<events::v1::Event>(),
        ("autoscaling", "v2", "HorizontalPodAutoscaler") => {
            visitor.visit::<autoscaling::v2::HorizontalPodAutoscaler>()
        }
        ("autoscaling", "v1", "HorizontalPodAutoscaler") => {
            visitor.visit::<autoscaling::v1::HorizontalPodAutoscaler>()
        }
        ("batch", "v1", "CronJob") => visitor.visit::<batch::v1::CronJob>(),
        ("batch", "v1", "Job") => visitor.visit::<batch::v1::Job>(),
        ("networking.k8s.io", "v1", "IngressClass") => {
            visitor.visit::<networking::v1::IngressClass>()
        }
        ("networking.k8s.io", "v1", "Ingress") => visitor.visit::<networking::v1::Ingress>(),
        ("networking.k8s.io", "v1", "NetworkPolicy") => {
            visitor.visit::<networking::v1::NetworkPolicy>()
        }
        ("policy", "v1", "PodDisruptionBudget") => {
            visitor.visit::<policy::v1::PodDisruptionBudget>()
        }
        ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding") => {
            visitor.visit::<rbac::v1::ClusterRoleBinding>()
        }
        ("rbac.authorization.k8s.io", "v1", "ClusterRole") => {
            visitor.visit::<rbac::v1::ClusterRole>()
        }
        ("rbac.authorization.k8s.io", "v1", "RoleBinding") => {
            visitor.visit::<rbac::v1::RoleBinding>()
        }
        ("rbac.authorization.k8s.io", "v1", "Role") => visitor.visit::<rbac::v1::Role>(),
        ("storage.k8s.io", "v1", "StorageClass") => visitor.visit::<storage::v1::StorageClass>(),
        ("scheduling.k8s.io", "v1", "PriorityClass") => {
            visitor.visit::<scheduling::v1::PriorityClass>()
        }
        ("coordination.k8s.io", "v1", "Lease") => visitor.visit::<coordination::v1::Lease>(),
        ("authentication.k8s.io", "v1", "SelfSubjectReview") => {
            visitor.visit::<authentication::v1::SelfSubjectReview>()
        }
        ("authentication.k8s.io", "v1", "TokenReview") => {
            visitor.visit::<authentication::v1::TokenReview>()
        }
        ("authorization.k8s.io", "v1", "LocalSubjectAccessReview") => {
            visitor.visit::<authorization::v1::LocalSubjectAccessReview>()
        }
        ("authorization.k8s.io", "v1", "SelfSubjectAccessReview") => {
            visitor.visit::<authorization::v1::SelfSubjectAccessReview>()
        }
        ("authorization.k8s.io", "v1", "SelfSubjectRulesReview") => {
            visitor.visit::<authorization::v1::SelfSubjectRulesReview>()
        }
        ("authorization.k8s.io", "v1", "SubjectAccessReview") => {
            visitor.visit::<authorization::v1::SubjectAccessReview>()
        }
        ("discovery.k8s.io", "v1", "EndpointSlice") => {
            visitor.visit::<discovery::v1::EndpointSlice>()
        }
        ("apiextensions.k8s.io", "v1", "CustomResourceDefinition") => {
            visitor.visit::<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition>()
        }
        _ => return None,
    };
    Some(output)
}

/// True if `resource` is one of the built-in resources with an upstream type.
pub(crate) fn is_builtin(resource: &ResourceInfo) -> bool {
    struct Known;
    impl TypeVisitor for Known {
        type Output = ();
        fn visit<T>(self)
        where
            T: k8s_openapi::Resource + DeserializeOwned + Serialize,
        {
        }
    }
    visit_type(resource, Known).is_some()
}
