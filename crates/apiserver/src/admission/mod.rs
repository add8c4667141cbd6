//! Admission: what the server adds or refuses between validation and storage,
//! in upstream's plugin order.
//!
//! - NamespaceLifecycle: objects go only into namespaces that exist and are not
//!   being terminated.
//! - LimitRanger ([`limit_ranger`]): LimitRange defaults for containers, and
//!   their min / max / ratio.
//! - ServiceAccount ([`service_account`]): the pod's service account exists;
//!   its API token is mounted as the projected `kube-api-access-*` volume.
//! - Priority ([`priority`]): `priorityClassName` resolves to `priority` and
//!   `preemptionPolicy`; the system classes exist from the start.
//! - DefaultTolerationSeconds ([`tolerations`]): pods tolerate not-ready and
//!   unreachable nodes for 300 s.
//! - Service allocation: a Service gets a cluster IP from the service CIDR and
//!   node ports from the node-port range (the api strategy keeps them across updates).
//! - ResourceQuota ([`resource_quota`], last): creations that would exceed a
//!   quota are refused; the others are charged to the quota's `status.used`
//!   with compare-and-swap before the object is stored.

use std::collections::HashSet;
use std::net::Ipv4Addr;

use serde_json::{json, Value};

use crate::codec;
use crate::error::{ApiError, Result};
use crate::handlers::Context;

mod limit_ranger;
pub mod priority;
mod resource_quota;
mod service_account;
mod tolerations;

/// The service CIDR and node-port range.
#[derive(Clone, Debug)]
pub struct Config {
    pub service_cidr: (Ipv4Addr, u8),
    pub node_ports: (u16, u16),
}

impl Default for Config {
    /// k3s's service CIDR 10.43.0.0/16 and upstream's node-port range 30000-32767.
    fn default() -> Self {
        Config {
            service_cidr: (Ipv4Addr::new(10, 43, 0, 0), 16),
            node_ports: (30000, 32767),
        }
    }
}

impl Config {
    /// The first address of the service CIDR: the `kubernetes` service's IP.
    pub fn kubernetes_service_ip(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.service_cidr.0) + 1)
    }
}

fn is_core(ctx: &Context, plural: &str) -> bool {
    ctx.resource.group.is_empty() && ctx.resource.plural == plural
}

pub async fn admit_create(ctx: &Context, obj: &mut Value) -> Result<()> {
    if ctx.resource.namespaced {
        namespace_lifecycle(ctx, obj).await?;
    }
    let pod = is_core(ctx, "pods");
    if pod {
        limit_ranger::admit(ctx, obj)?;
        service_account::admit(ctx, obj).await?;
        priority::admit_pod(ctx, obj).await?;
        tolerations::admit(obj);
        refresh_qos_class(obj);
    }
    if is_core(ctx, "persistentvolumeclaims") {
        limit_ranger::admit_claim(ctx, obj)?;
    }
    if is_priority_class(ctx) {
        priority::admit_class(ctx, obj, None)?;
    }
    if is_core(ctx, "services") {
        allocate_service(ctx, obj, None)?;
    }
    if ctx.resource.namespaced {
        resource_quota::admit(ctx, obj).await?;
    }
    Ok(())
}

pub async fn admit_update(ctx: &Context, new: &mut Value, old: &Value) -> Result<()> {
    if is_core(ctx, "pods") {
        priority::keep_on_update(new, old);
    }
    if is_priority_class(ctx) {
        priority::admit_class(ctx, new, Some(old))?;
    }
    if is_core(ctx, "services") {
        allocate_service(ctx, new, Some(old))?;
    }
    if ctx.resource.namespaced && ctx.info.subresource.is_empty() {
        resource_quota::admit_update(ctx, new, old).await?;
    }
    Ok(())
}

fn is_priority_class(ctx: &Context) -> bool {
    ctx.resource.group == "scheduling.k8s.io" && ctx.resource.plural == "priorityclasses"
}

/// `pods "x" is forbidden: <reason>` (upstream's `admission.NewForbidden`).
fn forbidden(ctx: &Context, obj: &Value, reason: impl std::fmt::Display) -> ApiError {
    ApiError::Forbidden {
        message: format!(
            "{} \"{}\" is forbidden: {reason}",
            ctx.qualified(),
            api::meta::name(obj)
        ),
    }
}

/// The pod's QoS class again, after admission changed its resources (upstream
/// computes it after mutating admission).
fn refresh_qos_class(obj: &mut Value) {
    let qos = api::strategy::pod_qos_class(obj);
    if let Some(status) = obj.get_mut("status").and_then(Value::as_object_mut) {
        status.insert("qosClass".into(), qos.into());
    }
}

/// One object of a built-in resource: from the cache, else from the store (the
/// cache may not have seen an object created a moment ago).
async fn lookup(
    ctx: &Context,
    group: &str,
    plural: &str,
    namespace: &str,
    name: &str,
) -> Result<Option<Value>> {
    let Some(resource) = api::resource::lookup(group, "v1", plural) else {
        return Ok(None);
    };
    let key = crate::handlers::key(resource, namespace, name);
    if let Some(object) = ctx.cache().get(&key).0 {
        return Ok(Some(object.value.clone()));
    }
    Ok(match ctx.state.store.get(&key, 0).await?.kv {
        Some(kv) => codec::decode_stored(&kv.value, kv.mod_revision).ok(),
        None => None,
    })
}

/// The cached objects of a built-in resource (in one namespace, or all for "").
fn cached_list(ctx: &Context, group: &str, plural: &str, namespace: &str) -> Vec<Value> {
    let Some(resource) = api::resource::lookup(group, "v1", plural) else {
        return Vec::new();
    };
    let prefix = crate::handlers::prefix(resource, namespace);
    let (objects, _, _) = ctx.cache().list(&prefix, None, 0, |_| true);
    objects.iter().map(|o| o.value.clone()).collect()
}

async fn namespace_lifecycle(ctx: &Context, obj: &Value) -> Result<()> {
    let namespace = &ctx.info.namespace;
    let Some(ns_resource) = api::resource::lookup("", "v1", "namespaces") else {
        return Ok(());
    };
    let key = crate::handlers::key(ns_resource, "", namespace);
    let found = match ctx.cache().get(&key).0 {
        Some(object) => Some(object.value.clone()),
        // The cache may not have seen a namespace created a moment ago.
        None => match ctx.state.store.get(&key, 0).await?.kv {
            Some(kv) => serde_json::from_slice::<Value>(&kv.value).ok(),
            None => None,
        },
    };
    let Some(ns) = found else {
        return Err(ApiError::NotFound {
            resource: "namespaces".into(),
            name: namespace.clone(),
        });
    };
    if ns.pointer("/metadata/deletionTimestamp").is_some()
        || ns.pointer("/status/phase").and_then(Value::as_str) == Some("Terminating")
    {
        return Err(ApiError::Forbidden {
            message: format!(
                "{} \"{}\" is forbidden: unable to create new content in namespace {namespace} because it is being terminated",
                ctx.qualified(),
                api::meta::name(obj)
            ),
        });
    }
    Ok(())
}

/// Cluster IPs and node ports in use by other services, from the cache.
fn used(ctx: &Context, except: &str) -> (HashSet<String>, HashSet<u64>) {
    let prefix = crate::handlers::prefix(ctx.resource, "");
    let (services, _, _) = ctx.cache().list(&prefix, None, 0, |_| true);
    let mut ips = HashSet::new();
    let mut ports = HashSet::new();
    for svc in services {
        let v = &svc.value;
        if v.pointer("/metadata/uid").and_then(Value::as_str) == Some(except) {
            continue;
        }
        if let Some(ip) = v.pointer("/spec/clusterIP").and_then(Value::as_str) {
            ips.insert(ip.to_string());
        }
        for port in v
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(p) = port.get("nodePort").and_then(Value::as_u64) {
                ports.insert(p);
            }
        }
    }
    (ips, ports)
}

fn invalid(ctx: &Context, obj: &Value, field: &str, value: Value, detail: String) -> ApiError {
    ApiError::Invalid {
        kind: ctx.resource.kind.into(),
        group: String::new(),
        name: api::meta::name(obj).into(),
        errors: vec![api::FieldError {
            error_type: api::ErrorType::Invalid,
            field: field.into(),
            bad_value: Some(value),
            detail,
        }],
    }
}

/// Gives a Service the cluster IP and node ports it still lacks; on an update
/// (`old` is set) the IP it already holds is not a conflict.
fn allocate_service(ctx: &Context, obj: &mut Value, old: Option<&Value>) -> Result<()> {
    let config = &ctx.state.config.admission;
    let service_type = obj
        .pointer("/spec/type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP")
        .to_string();
    let uid = api::meta::metadata_mut(obj)
        .get("uid")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let (used_ips, used_ports) = used(ctx, &uid);
    let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    if service_type == "ExternalName" {
        return Ok(());
    }
    let requested = spec
        .get("clusterIP")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let (base, bits) = config.service_cidr;
    let size = 1u32 << (32 - u32::from(bits));
    let base = u32::from(base);
    let ip = if requested.is_empty() {
        // Skip the network address and the kubernetes service's address.
        let start = (uuid::Uuid::new_v4().as_u128() as u32) % size.saturating_sub(3).max(1);
        (0..size.saturating_sub(3))
            .map(|i| {
                Ipv4Addr::from(base + 2 + (start + i) % size.saturating_sub(3).max(1)).to_string()
            })
            .find(|ip| !used_ips.contains(ip))
            .ok_or_else(|| ApiError::internal("failed to allocate a serviceIP: range is full"))?
    } else if requested == "None" {
        requested
    } else {
        let parsed: Ipv4Addr = requested.parse().map_err(|_| {
            invalid(
                ctx,
                &Value::Null,
                "spec.clusterIPs[0]",
                json!(requested),
                "must be a valid IP address".into(),
            )
        })?;
        let offset = u32::from(parsed).wrapping_sub(base);
        if offset >= size {
            return Err(invalid(
                ctx,
                &Value::Null,
                "spec.clusterIPs",
                json!([requested]),
                format!("failed to allocate IP {requested}: provided IP is not in the valid range. The range of valid IPs is {}/{bits}", Ipv4Addr::from(base)),
            ));
        }
        if old.is_none() && used_ips.contains(&requested) {
            return Err(invalid(
                ctx,
                &Value::Null,
                "spec.clusterIPs",
                json!([requested]),
                format!("failed to allocate IP {requested}: provided IP is already allocated"),
            ));
        }
        requested
    };
    spec.insert("clusterIP".into(), json!(ip));
    spec.insert("clusterIPs".into(), json!([ip]));
    if ip != "None" {
        spec.entry("ipFamilies").or_insert(json!(["IPv4"]));
        spec.entry("ipFamilyPolicy").or_insert(json!("SingleStack"));
    }
    if matches!(service_type.as_str(), "NodePort" | "LoadBalancer") {
        let (low, high) = config.node_ports;
        let mut taken = used_ports;
        if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
            for port in ports.iter_mut() {
                if port.get("nodePort").and_then(Value::as_u64).is_some() {
                    continue;
                }
                let span = u64::from(high - low) + 1;
                let start = (uuid::Uuid::new_v4().as_u128() as u64) % span;
                let node_port = (0..span)
                    .map(|i| u64::from(low) + (start + i) % span)
                    .find(|p| !taken.contains(p))
                    .ok_or_else(|| {
                        ApiError::internal("failed to allocate a nodePort: range is full")
                    })?;
                taken.insert(node_port);
                port["nodePort"] = json!(node_port);
            }
        }
    }
    Ok(())
}
