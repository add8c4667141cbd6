//! The tcpSocket action: a TCP connection opened within the timeout and
//! closed at once. Failures read as Go's dialer writes them
//! (`dial tcp 10.42.0.5:8080: connect: connection refused`), which is what
//! upstream's events carry.

use std::io;
use std::time::Duration;

use tokio::net::TcpStream;

use super::{join_host_port, Outcome};

/// Connects to `host:port` within `timeout`, with Go's messages on failure.
pub(crate) async fn dial(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, String> {
    let addr = join_host_port(host, port);
    match tokio::time::timeout(timeout, TcpStream::connect((host, port))).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => Err(dial_error(&addr, host, &e)),
        Err(_) => Err(format!("dial tcp {addr}: i/o timeout")),
    }
}

/// Connects without a deadline (lifecycle hooks have none).
pub(crate) async fn dial_unbounded(host: &str, port: u16) -> Result<TcpStream, String> {
    let addr = join_host_port(host, port);
    TcpStream::connect((host, port))
        .await
        .map_err(|e| dial_error(&addr, host, &e))
}

/// One tcpSocket probe attempt.
pub(crate) async fn probe(host: &str, port: u16, timeout: Duration) -> Outcome {
    match dial(host, port, timeout).await {
        Ok(stream) => {
            drop(stream);
            Outcome::Success
        }
        Err(message) => Outcome::Failure(message),
    }
}

/// A connection error as Go's `net.Dialer` words it.
fn dial_error(addr: &str, host: &str, e: &io::Error) -> String {
    let cause = match e.kind() {
        io::ErrorKind::ConnectionRefused => "connect: connection refused".to_string(),
        io::ErrorKind::TimedOut => "i/o timeout".to_string(),
        io::ErrorKind::HostUnreachable => "connect: no route to host".to_string(),
        io::ErrorKind::NetworkUnreachable => "connect: network is unreachable".to_string(),
        io::ErrorKind::AddrNotAvailable => "connect: cannot assign requested address".to_string(),
        _ if e.raw_os_error().is_none() => {
            // Name resolution failed (tokio's lookup error has no errno).
            return format!("dial tcp: lookup {host}: no such host");
        }
        _ => {
            let text = e.to_string();
            let text = text.split(" (os error").next().unwrap_or_default();
            format!("connect: {}", text.to_lowercase())
        }
    };
    format!("dial tcp {addr}: {cause}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[tokio::test]
    async fn a_listening_port_succeeds_and_a_closed_one_fails_as_go_says() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        assert_eq!(
            probe("127.0.0.1", port, Duration::from_secs(1)).await,
            Outcome::Success
        );
        drop(listener);
        assert_eq!(
            probe("127.0.0.1", port, Duration::from_secs(1)).await,
            Outcome::Failure(format!(
                "dial tcp 127.0.0.1:{port}: connect: connection refused"
            ))
        );
    }
}
