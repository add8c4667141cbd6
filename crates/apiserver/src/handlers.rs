//! Resource handlers: one function per verb, sharing the request context and the
//! key layout. Reads are served from the watch cache where upstream serves them
//! from its cacher; writes go to the store with compare-and-swap.

mod apply;
mod delete;
mod metadata;
mod pods;
pub mod proxy;
mod read;
mod scale;
mod table;
mod token;
mod transform;
mod watch;
mod write;

use std::sync::Arc;

use api::resource::{ResourceInfo, Subresource};
use http::{HeaderMap, Response};
use serde_json::Value;

use crate::auth::User;
use crate::cache::Cache;
use crate::error::{ApiError, Result};
use crate::http::{Body, Format};
use crate::request::{Query, RequestInfo, Verb};
use crate::server::State;

pub use write::now;

/// Everything a handler needs to know about one resource request.
pub struct Context {
    pub state: Arc<State>,
    pub info: RequestInfo,
    pub resource: &'static ResourceInfo,
    pub query: Query,
    pub headers: HeaderMap,
    pub format: Format,
    /// Who the request acts as.
    pub user: User,
}

impl Context {
    pub fn cache(&self) -> &Cache {
        &self.state.cache
    }

    /// Refuses a create (`old` is `None`) or update of a role or binding that
    /// grants more than the requester holds (`auth::escalation`).
    pub async fn confirm_no_escalation(&self, new: &Value, old: Option<&Value>) -> Result<()> {
        let resource = self.resource;
        crate::auth::escalation::confirm_fresh(
            &self.state,
            &self.user,
            resource.group,
            resource.plural,
            new,
            old,
        )
        .await
    }

    /// The resource as upstream names it in messages: "pods", "deployments.apps".
    pub fn qualified(&self) -> String {
        qualified(self.resource)
    }

    pub fn key(&self, name: &str) -> String {
        key(self.resource, &self.info.namespace, name)
    }

    pub fn not_found(&self, name: &str) -> ApiError {
        ApiError::NotFound {
            resource: self.qualified(),
            name: name.to_string(),
        }
    }

    /// True when `dryRun=All` was asked; 400 for other values.
    pub fn dry_run(&self) -> Result<bool> {
        match self.query.get("dryRun").map(String::as_str) {
            None | Some("") => Ok(false),
            Some("All") => Ok(true),
            Some(other) => Err(ApiError::bad_request(format!(
                "Invalid dry run value: {other}; supported values: All"
            ))),
        }
    }

    /// The object converted to the version it is stored in.
    pub fn to_storage(&self, obj: Value) -> Result<Value> {
        if self.resource.is_storage_version() {
            return Ok(obj);
        }
        api::convert::convert(obj, self.resource.storage()).map_err(ApiError::internal)
    }

    /// The object converted to the version of the request.
    pub fn output(&self, obj: Value) -> Result<Value> {
        if self.resource.is_storage_version() {
            return Ok(obj);
        }
        api::convert::convert(obj, self.resource).map_err(ApiError::internal)
    }
}

pub fn qualified(resource: &ResourceInfo) -> String {
    if resource.group.is_empty() {
        resource.plural.to_string()
    } else {
        format!("{}.{}", resource.plural, resource.group)
    }
}

/// The storage key prefix of a resource, narrowed to a namespace when one is given.
pub fn prefix(resource: &ResourceInfo, namespace: &str) -> String {
    let storage = resource.storage();
    let group = if storage.group.is_empty() {
        "core"
    } else {
        storage.group
    };
    if resource.namespaced && !namespace.is_empty() {
        format!("/registry/{group}/{}/{namespace}/", storage.plural)
    } else {
        format!("/registry/{group}/{}/", storage.plural)
    }
}

/// The storage key of one object.
pub fn key(resource: &ResourceInfo, namespace: &str, name: &str) -> String {
    format!("{}{name}", prefix(resource, namespace))
}

/// Serves one resource request.
pub async fn handle(
    state: Arc<State>,
    info: RequestInfo,
    query: Query,
    headers: HeaderMap,
    format: Format,
    user: User,
    body: hyper::body::Incoming,
) -> Result<Response<Body>> {
    let Some(resource) = api::resource::lookup(&info.group, &info.version, &info.resource) else {
        return Err(ApiError::NoRoute);
    };
    // A namespaced resource needs a namespace except to list or watch across all;
    // a cluster-scoped one has none.
    if resource.namespaced {
        if info.namespace.is_empty() && !matches!(info.verb, Verb::List | Verb::Watch) {
            return Err(ApiError::NoRoute);
        }
    } else if !info.namespace.is_empty() {
        return Err(ApiError::NoRoute);
    }
    let ctx = Context {
        state,
        info,
        resource,
        query,
        headers,
        format,
        user,
    };
    // Subresources that are operations rather than views of the object.
    let core_pods = resource.group.is_empty() && resource.plural == "pods";
    match (ctx.info.verb, ctx.info.subresource.as_str()) {
        (Verb::Create, "binding") if core_pods => return pods::bind(&ctx, body).await,
        (Verb::Create, "eviction") if core_pods => return pods::evict(&ctx, body).await,
        (Verb::Get, "log") if core_pods => return proxy::log(&ctx).await,
        (Verb::Create, "token")
            if resource.group.is_empty() && resource.plural == "serviceaccounts" =>
        {
            return token::create(&ctx, body).await
        }
        _ => {}
    }
    let subresource = match ctx.info.subresource.as_str() {
        "" => None,
        "status" if resource.has_subresource(Subresource::Status) => Some(Subresource::Status),
        "scale" if resource.has_subresource(Subresource::Scale) => Some(Subresource::Scale),
        "finalize" if resource.plural == "namespaces" && resource.group.is_empty() => None,
        _ => return Err(ApiError::NoRoute),
    };
    if !resource.verbs.contains(&ctx.info.verb.as_str()) && subresource.is_none() {
        return Err(ApiError::MethodNotAllowed);
    }
    let writes = matches!(
        ctx.info.verb,
        Verb::Create | Verb::Update | Verb::Patch | Verb::Delete | Verb::DeleteCollection
    );
    match transform::Transform::for_request(&ctx)? {
        Some(transform) if writes => {
            let response = serve(&ctx, subresource, body).await?;
            transform.apply(&ctx, response).await
        }
        _ => serve(&ctx, subresource, body).await,
    }
}

/// Serves a request for the object, a collection or a view subresource.
async fn serve(
    ctx: &Context,
    subresource: Option<Subresource>,
    body: hyper::body::Incoming,
) -> Result<Response<Body>> {
    match (ctx.info.verb, subresource) {
        (Verb::Get, Some(Subresource::Scale)) => scale::get(ctx).await,
        (Verb::Update, Some(Subresource::Scale)) => scale::update(ctx, body).await,
        (Verb::Patch, Some(Subresource::Scale)) => scale::patch(ctx, body).await,
        (Verb::Get, _) => read::get(ctx).await,
        (Verb::List, None) => read::list(ctx).await,
        (Verb::Watch, None) => watch::watch(ctx).await,
        // Objects are created by POST to the collection; a named path takes no
        // POST (the body is read first, so the client sees the answer).
        (Verb::Create, None) if ctx.info.name.is_empty() => write::create(ctx, body).await,
        (Verb::Create, None) => {
            let _ = crate::http::read_body(body).await;
            Err(ApiError::MethodNotAllowed)
        }
        (Verb::Update, sub) => write::update(ctx, body, sub).await,
        (Verb::Patch, sub) => write::patch(ctx, body, sub).await,
        (Verb::Delete, None) => delete::delete(ctx, body).await,
        (Verb::DeleteCollection, None) => delete::delete_collection(ctx, body).await,
        _ => Err(ApiError::MethodNotAllowed),
    }
}
