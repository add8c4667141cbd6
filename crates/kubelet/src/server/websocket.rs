//! WebSocket (RFC 6455) on the kubelet's side: accepting a client's upgrade
//! with the subprotocol chosen, the channel framing of Kubernetes'
//! `*.channel.k8s.io` protocols (the first byte of each binary message
//! names the channel), and the tunnel kubectl's port-forward uses (SPDY
//! carried in binary messages).
//!
//! The frames themselves are tokio-tungstenite's; the handshake answer is
//! written here because hyper, not tungstenite, owns the HTTP exchange.

use std::time::Duration;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use http::header::{
    CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL,
    SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::{HeaderMap, HeaderValue};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::upgrade::StreamError;

/// The client's connection, upgraded to WebSocket.
pub type ServerSocket = WebSocketStream<TokioIo<Upgraded>>;

/// How long the kubelet waits, after one side of a stream has ended, for
/// the other to finish (the client's answer to our close frame, or the
/// runtime's end after the client left).
pub const CLOSE_WAIT: Duration = Duration::from_secs(10);

/// The subprotocol kubectl (1.31 and later) offers for port-forward: SPDY
/// tunnelled through WebSocket binary messages.
pub const SPDY_TUNNEL_PORT_FORWARD: &str = "SPDY/3.1+portforward.k8s.io";

/// The headers of the 101 answer accepting the WebSocket upgrade these
/// request headers ask for, with `protocol` as the chosen subprotocol.
pub fn accept(request: &HeaderMap, protocol: &str) -> Result<HeaderMap, StreamError> {
    let version = request
        .get(SEC_WEBSOCKET_VERSION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if version.trim() != "13" {
        return Err(StreamError::BadRequest(format!(
            "unsupported WebSocket version {version:?} (13 is spoken)"
        )));
    }
    let key = request
        .get(SEC_WEBSOCKET_KEY)
        .ok_or_else(|| StreamError::BadRequest("the WebSocket upgrade has no Sec-WebSocket-Key".into()))?;
    let accept = HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
        .map_err(|e| StreamError::BadRequest(e.to_string()))?;
    let protocol =
        HeaderValue::from_str(protocol).map_err(|e| StreamError::BadRequest(e.to_string()))?;
    let mut headers = HeaderMap::new();
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(SEC_WEBSOCKET_ACCEPT, accept);
    headers.insert(SEC_WEBSOCKET_PROTOCOL, protocol);
    Ok(headers)
}

/// The client's upgraded connection as a WebSocket (server role).
pub async fn server(upgraded: Upgraded) -> ServerSocket {
    WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await
}

/// A binary message carrying `data` on `channel`.
pub fn channel_message(channel: u8, data: &[u8]) -> Message {
    let mut payload = Vec::with_capacity(1 + data.len());
    payload.push(channel);
    payload.extend_from_slice(data);
    Message::Binary(Bytes::from(payload))
}

/// The channel and the data of a binary message; `None` for an empty one.
pub fn split_channel(payload: &[u8]) -> Option<(u8, &[u8])> {
    let (&channel, data) = payload.split_first()?;
    Some((channel, data))
}

/// A close frame with status 1000 (normal closure): client-go reads it as
/// the end of every stream, so that the error channel's `Status` is read in
/// full.
pub fn normal_close() -> Message {
    Message::Close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    }))
}

/// Carries a byte stream through the WebSocket: every binary message from
/// the client is written to `io`, everything read from `io` goes to the
/// client as a binary message. This is the port-forward tunnel: the bytes
/// are a SPDY session between kubectl and the runtime's streaming server.
/// Returns when both directions have ended (or [`CLOSE_WAIT`] after one
/// has).
pub async fn tunnel<S, IO>(socket: WebSocketStream<S>, io: IO)
where
    S: AsyncRead + AsyncWrite + Unpin,
    IO: AsyncRead + AsyncWrite,
{
    let (mut sink, mut messages) = socket.split();
    let (mut reader, mut writer) = tokio::io::split(io);
    let down = async {
        let mut buffer = vec![0u8; 32 * 1024];
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) => break,
                Ok(n) => {
                    let message = Message::Binary(Bytes::copy_from_slice(&buffer[..n]));
                    if sink.send(message).await.is_err() {
                        return;
                    }
                }
                Err(err) => {
                    tracing::debug!(error = %err, "reading the runtime's side of a tunnel");
                    break;
                }
            }
        }
        let _ = sink.send(normal_close()).await;
    };
    let up = async {
        while let Some(message) = messages.next().await {
            match message {
                Ok(Message::Binary(data)) => {
                    if writer.write_all(&data).await.is_err() {
                        break;
                    }
                }
                Ok(Message::Close(_)) | Err(_) => break,
                Ok(_) => {}
            }
        }
        let _ = writer.shutdown().await;
    };
    tokio::pin!(down, up);
    tokio::select! {
        () = &mut down => { let _ = tokio::time::timeout(CLOSE_WAIT, &mut up).await; }
        () = &mut up => { let _ = tokio::time::timeout(CLOSE_WAIT, &mut down).await; }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_answers_the_key() {
        let mut request = HeaderMap::new();
        // The example of RFC 6455, section 1.3.
        request.insert(
            SEC_WEBSOCKET_KEY,
            HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="),
        );
        request.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        let answer = accept(&request, "v5.channel.k8s.io").unwrap();
        assert_eq!(
            answer[SEC_WEBSOCKET_ACCEPT],
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert_eq!(answer[SEC_WEBSOCKET_PROTOCOL], "v5.channel.k8s.io");
        assert_eq!(answer[UPGRADE], "websocket");
    }

    #[test]
    fn accept_needs_a_key_and_version_13() {
        let mut request = HeaderMap::new();
        request.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        assert!(accept(&request, "x").is_err());
        request.insert(SEC_WEBSOCKET_KEY, HeaderValue::from_static("a2V5"));
        request.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("8"));
        assert!(accept(&request, "x").is_err());
    }

    #[test]
    fn channels_frame_the_first_byte() {
        let message = channel_message(2, b"err");
        let Message::Binary(payload) = message else {
            panic!("not binary");
        };
        assert_eq!(&payload[..], b"\x02err");
        assert_eq!(split_channel(&payload), Some((2, &b"err"[..])));
        assert_eq!(split_channel(&[255, 0]), Some((255, &[0u8][..])));
        assert_eq!(split_channel(&[]), None);
    }

    #[tokio::test]
    async fn tunnel_carries_bytes_both_ways() {
        let (client_io, server_io) = tokio::io::duplex(1024);
        let (runtime_io, mut runtime_far) = tokio::io::duplex(1024);
        let server = WebSocketStream::from_raw_socket(server_io, Role::Server, None).await;
        let task = tokio::spawn(tunnel(server, runtime_io));
        let mut client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;

        client
            .send(Message::Binary(Bytes::from_static(b"ping")))
            .await
            .unwrap();
        let mut buffer = [0u8; 4];
        runtime_far.read_exact(&mut buffer).await.unwrap();
        assert_eq!(&buffer, b"ping");

        runtime_far.write_all(b"pong").await.unwrap();
        let reply = client.next().await.unwrap().unwrap();
        assert_eq!(reply, Message::Binary(Bytes::from_static(b"pong")));

        // The runtime ends: the client gets a normal close.
        drop(runtime_far);
        let close = client.next().await.unwrap().unwrap();
        assert_eq!(close, normal_close());
        drop(client);
        tokio::time::timeout(Duration::from_secs(20), task)
            .await
            .unwrap()
            .unwrap();
    }
}
