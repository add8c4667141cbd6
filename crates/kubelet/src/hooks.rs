//! Lifecycle hooks: a container's `postStart` and `preStop` handlers, run
//! as upstream's kubelet runs them.
//!
//! - exec: the command through CRI `ExecSync`, without a timeout; a
//!   non-zero exit fails the hook.
//! - httpGet: a GET (`User-Agent: kube-lifecycle/1.33`, certificates not
//!   verified, every redirect followed); only a failed request fails the
//!   hook, the status code is not looked at. An HTTPS hook answered in
//!   plain HTTP is retried over HTTP, as upstream does.
//! - sleep: waits `seconds`.
//! - tcpSocket: deprecated and not supported as a hook; upstream accepts it
//!   in the API and fails it at run time, and so does this.
//!
//! No hook has a deadline of its own: the agent bounds preStop by the
//! grace period (and stops waiting by dropping the future), as upstream.
//! [`HookError`]'s text is the message upstream puts in the
//! `FailedPreStopHook` event and, for postStart, in the container's
//! `PostStartHookError` waiting message (its `FailedPostStartHook` event says
//! only `PostStartHook failed`, to keep secrets out of events).

use std::time::Duration;

use k8s_openapi::api::core::v1::{LifecycleHandler, TCPSocketAction};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::probes::exec::{combined, exec_sync};
use crate::probes::http::{self, Redirects, Scheme, HTTP_RESPONSE_TO_HTTPS};
use crate::probes::Target;

/// A failed hook, worded as upstream's kubelet words it.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error(
        "Exec lifecycle hook ({command}) for Container {container:?} in Pod {pod:?} failed - error: {error}, message: {output:?}"
    )]
    Exec {
        /// Go's `%v` of the command: `[sh -c exit 3]`.
        command: String,
        container: String,
        pod: String,
        /// `command 'sh -c exit 3' exited with 3: ` or the runtime's error.
        error: String,
        /// Stdout then stderr.
        output: String,
    },
    #[error("HTTP lifecycle hook ({path}) for Container {container:?} in Pod {pod:?} failed - error: {error}")]
    Http {
        path: String,
        container: String,
        pod: String,
        error: String,
    },
    #[error("Cannot run handler: invalid handler: {0}")]
    Invalid(String),
}

/// Runs `handler` for `target`'s container. Returns when the hook is done.
pub async fn run(handler: &LifecycleHandler, target: &Target) -> Result<(), HookError> {
    if let Some(action) = &handler.exec {
        let command = action.command.clone().unwrap_or_default();
        let failed = |error: String, output: String| HookError::Exec {
            command: format!("[{}]", command.join(" ")),
            container: target.container.name.clone(),
            pod: target.pod_display(),
            error,
            output,
        };
        return match exec_sync(&target.cri, &target.container_id, &command, Duration::ZERO).await {
            Ok(output) if output.exit_code == 0 => Ok(()),
            Ok(output) => Err(failed(
                format!(
                    "command '{}' exited with {}: {}",
                    command.join(" "),
                    output.exit_code,
                    String::from_utf8_lossy(&output.stderr)
                ),
                combined(&output),
            )),
            Err(e) => Err(failed(e.to_string(), String::new())),
        };
    }
    if let Some(action) = &handler.http_get {
        return run_http(action, target)
            .await
            .map_err(|error| HookError::Http {
                path: action.path.clone().unwrap_or_default(),
                container: target.container.name.clone(),
                pod: target.pod_display(),
                error,
            });
    }
    if let Some(action) = &handler.sleep {
        let seconds = u64::try_from(action.seconds).unwrap_or(0);
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        return Ok(());
    }
    Err(HookError::Invalid(describe(handler)))
}

/// The httpGet hook; the error is the cause for the message.
async fn run_http(
    action: &k8s_openapi::api::core::v1::HTTPGetAction,
    target: &Target,
) -> Result<(), String> {
    if action.host.as_deref().unwrap_or_default().is_empty() && target.pod_ip.is_none() {
        return Err("failed to find networking container".to_string());
    }
    let request = http::Request::for_action(
        action,
        &target.container,
        target.pod_ip.as_deref(),
        "lifecycle",
    )?;
    match http::get(&request, Redirects::Any).await {
        Ok(_) => Ok(()),
        Err(error)
            if request.url.scheme == Scheme::Https && error.ends_with(HTTP_RESPONSE_TO_HTTPS) =>
        {
            let mut plain = request.clone();
            plain.url.scheme = Scheme::Http;
            plain
                .headers
                .retain(|(name, _)| name != ::http::header::AUTHORIZATION);
            match http::get(&plain, Redirects::Any).await {
                Ok(_) => {
                    tracing::warn!(
                        pod = %target.pod_display(),
                        container = %target.container.name,
                        "request to HTTPS lifecycle hook {} got HTTP response, retry with HTTP succeeded",
                        crate::probes::join_host_port(&plain.url.host, plain.url.port)
                    );
                    Ok(())
                }
                Err(_) => Err(error),
            }
        }
        Err(error) => Err(error),
    }
}

/// The handler as Go's `%v` prints it, for the invalid-handler message.
fn describe(handler: &LifecycleHandler) -> String {
    let tcp = handler
        .tcp_socket
        .as_ref()
        .map(describe_tcp)
        .unwrap_or_else(|| "nil".to_string());
    format!("&LifecycleHandler{{Exec:nil,HTTPGet:nil,TCPSocket:{tcp},Sleep:nil,}}")
}

fn describe_tcp(action: &TCPSocketAction) -> String {
    let port = match &action.port {
        IntOrString::Int(n) => format!("{{0 {n} }}"),
        IntOrString::String(s) => format!("{{1 0 {s}}}"),
    };
    format!(
        "&TCPSocketAction{{Port:{port},Host:{},}}",
        action.host.as_deref().unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{HTTPGetAction, SleepAction};

    /// The HTTP hook test needs a `Target`, whose `Cri` needs a runtime: a
    /// containerd of our own in a tempdir (no image is needed for this).
    async fn with_target<F, Fut>(body: F)
    where
        F: FnOnce(Target) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let dir = tempfile::tempdir().unwrap();
        let config = crate::containerd::Config {
            dir: dir.path().join("containerd"),
            sandbox_image: "rkube.local/pause:test".into(),
            cni_bin_dir: "/usr/lib/cni".into(),
            cni_conf_dir: dir.path().join("cni"),
            cgroup_driver: crate::containerd::CgroupDriver::detect(),
        };
        let (containerd, cri) = crate::containerd::Containerd::start(&config).await.unwrap();
        let target = Target {
            cri,
            container_id: "none".into(),
            pod_ip: Some("127.0.0.1".into()),
            container: Default::default(),
            pod_name: "web".into(),
            pod_namespace: "default".into(),
            pod_uid: "u1".into(),
        };
        body(target).await;
        containerd.stop().await;
    }

    #[tokio::test]
    async fn http_sleep_and_tcp_hooks_as_upstream() {
        with_target(|mut target| async move {
            target.container.name = "app".into();
            let (port, seen, _server) = crate::probes::http::tests::server(false).await;
            let get = |path: &str| LifecycleHandler {
                http_get: Some(HTTPGetAction {
                    port: IntOrString::Int(i32::from(port)),
                    path: Some(path.into()),
                    ..Default::default()
                }),
                ..Default::default()
            };
            // The status code does not matter; redirects are followed.
            run(&get("/ok"), &target).await.unwrap();
            run(&get("/fail"), &target).await.unwrap();
            run(&get("/moved"), &target).await.unwrap();
            {
                let seen = seen.0.lock().unwrap();
                assert_eq!(seen[0].1["user-agent"], "kube-lifecycle/1.33");
                assert_eq!(seen.last().unwrap().0, "/ok");
            }
            // An HTTPS hook on a plain HTTP server falls back to HTTP.
            let mut https = get("/ok");
            if let Some(action) = &mut https.http_get {
                action.scheme = Some("HTTPS".into());
            }
            run(&https, &target).await.unwrap();

            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let closed = listener.local_addr().unwrap().port();
            drop(listener);
            let mut refused = get("/stop");
            if let Some(action) = &mut refused.http_get {
                action.port = IntOrString::Int(i32::from(closed));
            }
            let error = run(&refused, &target).await.unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "HTTP lifecycle hook (/stop) for Container \"app\" in Pod \"web_default(u1)\" \
                     failed - error: Get \"http://127.0.0.1:{closed}/stop\": dial tcp \
                     127.0.0.1:{closed}: connect: connection refused"
                )
            );

            let sleep = LifecycleHandler {
                sleep: Some(SleepAction { seconds: 0 }),
                ..Default::default()
            };
            run(&sleep, &target).await.unwrap();

            let tcp = LifecycleHandler {
                tcp_socket: Some(TCPSocketAction {
                    port: IntOrString::Int(8080),
                    host: None,
                }),
                ..Default::default()
            };
            assert_eq!(
                run(&tcp, &target).await.unwrap_err().to_string(),
                "Cannot run handler: invalid handler: &LifecycleHandler{Exec:nil,HTTPGet:nil,\
                 TCPSocket:&TCPSocketAction{Port:{0 8080 },Host:,},Sleep:nil,}"
            );
        })
        .await;
    }
}
