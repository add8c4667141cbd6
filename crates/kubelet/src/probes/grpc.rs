//! The grpc action: `grpc.health.v1.Health/Check` on the pod's IP and the
//! probe's port, with the optional service name, in plain text (upstream
//! supports no TLS here). `SERVING` is a success. Messages are upstream's
//! (`service unhealthy (responded with "NOT_SERVING")`, `timeout: health rpc
//! did not complete within 1s`, ...).

use std::time::Duration;

use tokio::time::Instant;
use tonic::transport::Endpoint;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use super::{join_host_port, Outcome, KUBE_VERSION};

/// One grpc probe attempt within `timeout`.
pub(crate) async fn probe(host: &str, port: u16, service: &str, timeout: Duration) -> Outcome {
    let addr = join_host_port(host, port);
    let within = format!("{}s", timeout.as_secs());
    let deadline = Instant::now() + timeout;
    let endpoint = match Endpoint::from_shared(format!("http://{addr}")) {
        Ok(endpoint) => endpoint,
        Err(e) => {
            return Outcome::Failure(format!(
                "error: failed to connect service at {addr:?}: {}",
                chain(&e)
            ))
        }
    };
    let endpoint = endpoint
        .connect_timeout(timeout)
        .user_agent(format!("kube-probe/{KUBE_VERSION}"))
        .unwrap_or_else(|_| Endpoint::from_static("http://invalid"));
    let channel = match tokio::time::timeout_at(deadline, endpoint.connect()).await {
        Err(_) => {
            return Outcome::Failure(format!(
                "timeout: failed to connect service {addr:?} within {within}: context deadline exceeded"
            ))
        }
        Ok(Err(e)) => {
            return Outcome::Failure(format!(
                "error: failed to connect service at {addr:?}: {}",
                chain(&e)
            ))
        }
        Ok(Ok(channel)) => channel,
    };
    let mut client = HealthClient::new(channel);
    let request = HealthCheckRequest {
        service: service.to_string(),
    };
    let answer = match tokio::time::timeout_at(deadline, client.check(request)).await {
        Err(_) => {
            return Outcome::Failure(format!(
                "timeout: health rpc did not complete within {within}"
            ))
        }
        Ok(answer) => answer,
    };
    match answer {
        Ok(response) => {
            let status = response.into_inner().status();
            if status == ServingStatus::Serving {
                Outcome::Success
            } else {
                Outcome::Failure(format!(
                    "service unhealthy (responded with {:?})",
                    status.as_str_name()
                ))
            }
        }
        Err(status) => Outcome::Failure(match status.code() {
            tonic::Code::Unimplemented => format!(
                "error: this server does not implement the grpc health protocol \
                 (grpc.health.v1.Health): {}",
                status.message()
            ),
            tonic::Code::DeadlineExceeded => {
                format!("timeout: health rpc did not complete within {within}")
            }
            code => format!(
                "error: health rpc probe failed: rpc error: code = {code:?} desc = {}",
                status.message()
            ),
        }),
    }
}

/// An error with its causes, `: `-separated (tonic's transport error says
/// only "transport error" at the top).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;
    use tokio_stream::wrappers::TcpListenerStream;

    #[tokio::test]
    async fn serving_and_not_serving_as_upstream() {
        let (reporter, service) = tonic_health::server::health_reporter();
        reporter
            .set_service_status("ready", tonic_health::ServingStatus::Serving)
            .await;
        reporter
            .set_service_status("draining", tonic_health::ServingStatus::NotServing)
            .await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async {
                    let _ = stopped.await;
                }),
        );
        let timeout = Duration::from_secs(2);
        // The empty service is the server's overall health: SERVING.
        assert_eq!(
            probe("127.0.0.1", port, "", timeout).await,
            Outcome::Success
        );
        assert_eq!(
            probe("127.0.0.1", port, "ready", timeout).await,
            Outcome::Success
        );
        assert_eq!(
            probe("127.0.0.1", port, "draining", timeout).await,
            Outcome::Failure("service unhealthy (responded with \"NOT_SERVING\")".into())
        );
        let Outcome::Failure(unknown) = probe("127.0.0.1", port, "nope", timeout).await else {
            panic!("an unknown service is a failure");
        };
        assert!(
            unknown.starts_with("error: health rpc probe failed: rpc error: code = NotFound"),
            "{unknown}"
        );
        let _ = stop.send(());
        let _ = server.await;

        let Outcome::Failure(refused) = probe("127.0.0.1", port, "", timeout).await else {
            panic!("a closed port is a failure");
        };
        assert!(
            refused.starts_with(&format!(
                "error: failed to connect service at \"127.0.0.1:{port}\""
            )),
            "{refused}"
        );
    }
}
