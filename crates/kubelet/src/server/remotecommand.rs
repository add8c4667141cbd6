//! Kubernetes' remote-command protocol (exec and attach): the request's
//! options, and the translation of a client's WebSocket session
//! (`v5.channel.k8s.io`, which kubectl 1.30 and later try first, or
//! `v4.channel.k8s.io`) into a SPDY session (`v4.channel.k8s.io`) with the
//! runtime's streaming server.
//!
//! Why SPDY towards the runtime: containerd's streaming server speaks
//! WebSocket only up to v4, where a client cannot say that its stdin has
//! ended, so `kubectl cp` into a pod (tar reading stdin) and
//! `echo x | kubectl exec -i` would never finish. SPDY streams half-close,
//! and the v5 close signal maps onto exactly that (upstream's API server
//! translates the same way towards kubelets).
//!
//! The WebSocket channels: 0 stdin, 1 stdout, 2 stderr, 3 error (a
//! `metav1.Status` written once at the end: `Success`, or `Failure` with
//! reason `NonZeroExitCode` and an `ExitCode` cause), 4 resize (JSON
//! `{"Width":..,"Height":..}`), and in v5 only 255 close (its payload names
//! the channel the client has finished writing: 0, stdin). The runtime
//! writes the error channel's `Status` itself (v4 over SPDY has the same
//! format), so it is passed through unchanged. When the runtime's session
//! ends the client gets a normal close frame, which client-go reads as the
//! end of every stream.

use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use http::{Method, Request, Response};
use hyper::body::Incoming;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::spdy::{self, Frame};
use super::upgrade::{self, StreamError, STREAM_PROTOCOL_VERSION};
use super::websocket::{self, channel_message, normal_close, split_channel, CLOSE_WAIT};
use super::Body;

/// The protocol version names.
pub const V5: &str = "v5.channel.k8s.io";
pub const V4: &str = "v4.channel.k8s.io";

/// The WebSocket channels of the remote-command protocol.
pub mod channel {
    pub const STDIN: u8 = 0;
    pub const STDOUT: u8 = 1;
    pub const STDERR: u8 = 2;
    pub const ERROR: u8 = 3;
    pub const RESIZE: u8 = 4;
    /// v5: "this channel is finished"; the payload's first byte names it.
    pub const CLOSE: u8 = 255;
}

/// The WebSocket subprotocol version a client and the kubelet agreed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    V4,
    V5,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::V4 => V4,
            Protocol::V5 => V5,
        }
    }

    /// The first of the client's offers the kubelet speaks.
    pub fn choose(offered: &[String]) -> Option<Protocol> {
        offered.iter().find_map(|p| match p.as_str() {
            V5 => Some(Protocol::V5),
            V4 => Some(Protocol::V4),
            _ => None,
        })
    }
}

/// What an exec or attach request asks for, from its query. kubectl sends
/// `stdin=true&stdout=true&...&command=sh&command=-c&command=...`; the
/// names upstream's API server rewrites them to for kubelets (`input=1`,
/// `output=1`, `error=1`) are understood too.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
    pub command: Vec<String>,
}

impl Options {
    /// Reads the query; as upstream, a terminal has no separate stderr, and
    /// at least one of stdin, stdout and stderr must be asked for.
    pub fn from_query(query: Option<&str>) -> Result<Options, StreamError> {
        let mut options = Options::default();
        let truthy = |v: &str| v == "1" || v.eq_ignore_ascii_case("true");
        for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match name.as_ref() {
                "stdin" | "input" => options.stdin = truthy(&value),
                "stdout" | "output" => options.stdout = truthy(&value),
                "stderr" | "error" => options.stderr = truthy(&value),
                "tty" => options.tty = truthy(&value),
                "command" => options.command.push(value.into_owned()),
                _ => {}
            }
        }
        if options.tty {
            options.stderr = false;
        }
        if !options.stdin && !options.stdout && !options.stderr {
            return Err(StreamError::BadRequest(
                "you must specify at least 1 of stdin, stdout, stderr".into(),
            ));
        }
        Ok(options)
    }
}

/// The SPDY streams of one session, numbered as client-go numbers them
/// (odd ids from 1, the error stream first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Streams {
    error: u32,
    stdin: Option<u32>,
    stdout: Option<u32>,
    stderr: Option<u32>,
    resize: Option<u32>,
}

impl Streams {
    fn new(options: &Options) -> Streams {
        let mut next = 1;
        let mut take = |wanted: bool| {
            wanted.then(|| {
                let id = next;
                next += 2;
                id
            })
        };
        let error = take(true).unwrap_or(1);
        Streams {
            error,
            stdin: take(options.stdin),
            stdout: take(options.stdout),
            stderr: take(options.stderr && !options.tty),
            resize: take(options.tty),
        }
    }

    /// Each stream with its `streamType` header value.
    fn all(&self) -> Vec<(u32, &'static str)> {
        let mut all = vec![(self.error, "error")];
        for (id, kind) in [
            (self.stdin, "stdin"),
            (self.stdout, "stdout"),
            (self.stderr, "stderr"),
            (self.resize, "resize"),
        ] {
            if let Some(id) = id {
                all.push((id, kind));
            }
        }
        all
    }

    /// The WebSocket channel of what the runtime sends on `stream`.
    fn channel(&self, stream: u32) -> Option<u8> {
        if stream == self.error {
            Some(channel::ERROR)
        } else if Some(stream) == self.stdout {
            Some(channel::STDOUT)
        } else if Some(stream) == self.stderr {
            Some(channel::STDERR)
        } else {
            None
        }
    }
}

/// Answers a client's WebSocket upgrade (already known to offer
/// `protocol`) for the runtime's streaming URL `url`: opens the SPDY
/// session with the runtime first, so that a refusal reaches the client as
/// a non-101 answer (and kubectl falls back to SPDY), then accepts the
/// WebSocket and translates between the two until either ends.
pub async fn translate(
    request: Request<Incoming>,
    url: &str,
    options: Options,
    protocol: Protocol,
) -> Result<Response<Body>, StreamError> {
    let answer = websocket::accept(request.headers(), protocol.name())?;
    let dialed = upgrade::dial(url, Method::POST, upgrade::spdy_request_headers(&[V4])).await?;
    let agreed = dialed
        .headers
        .get(STREAM_PROTOCOL_VERSION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if agreed != V4 {
        return Err(StreamError::Refused {
            status: http::StatusCode::INTERNAL_SERVER_ERROR,
            message: format!(
                "the container runtime's streaming server chose protocol {agreed:?}, not {V4}"
            ),
        });
    }
    let client = hyper::upgrade::on(request);
    tokio::spawn(async move {
        match client.await {
            Ok(upgraded) => {
                let socket = websocket::server(upgraded).await;
                run(socket, dialed.io, &options, protocol).await;
            }
            Err(err) => tracing::debug!(error = %err, "client connection was not upgraded"),
        }
    });
    Ok(upgrade::switching_protocols(answer))
}

/// Translates one session: opens the SPDY streams the options call for,
/// then carries client channels to runtime streams and back. Returns when
/// both sides are done (or [`CLOSE_WAIT`] after the first).
pub async fn run<S, R>(
    socket: WebSocketStream<S>,
    runtime: R,
    options: &Options,
    protocol: Protocol,
) where
    S: AsyncRead + AsyncWrite + Unpin,
    R: AsyncRead + AsyncWrite,
{
    let streams = Streams::new(options);
    let (reader, writer) = tokio::io::split(runtime);
    let writer = Arc::new(Mutex::new(writer));
    let (mut sink, mut messages) = socket.split();

    let mut encoder = spdy::Encoder::new();
    let mut opening = Vec::new();
    for (id, kind) in streams.all() {
        match encoder.syn_stream(id, &[("streamtype", kind)], false) {
            Ok(frame) => opening.extend(frame),
            Err(err) => {
                tracing::warn!(error = %err, "encoding a SPDY stream");
                return;
            }
        }
    }
    {
        let mut writer = writer.lock().await;
        if writer.write_all(&opening).await.is_err() || writer.flush().await.is_err() {
            let _ = sink.send(normal_close()).await;
            return;
        }
    }

    // Runtime to client.
    let down = async {
        let mut reader = BufReader::new(reader);
        loop {
            match spdy::read_frame(&mut reader).await {
                Ok(Some(Frame::Data { stream, data, .. })) => {
                    if let Some(channel) = streams.channel(stream) {
                        if !data.is_empty()
                            && sink.send(channel_message(channel, &data)).await.is_err()
                        {
                            return;
                        }
                    }
                }
                // The runtime's pings carry even ids; ours would be odd
                // (and are never sent). The answer is skipped while stdin
                // is being written: waiting for it could deadlock against
                // a process that writes as much as it reads (an unanswered
                // ping only holds up the runtime's next one).
                Ok(Some(Frame::Ping { id })) if id % 2 == 0 => {
                    if let Ok(mut writer) = writer.try_lock() {
                        let _ = writer.write_all(&spdy::ping(id)).await;
                        let _ = writer.flush().await;
                    }
                }
                Ok(Some(Frame::GoAway { .. })) | Ok(None) => break,
                Ok(Some(_)) => {}
                Err(err) => {
                    tracing::debug!(error = %err, "reading the runtime's SPDY session");
                    break;
                }
            }
        }
        let _ = sink.send(normal_close()).await;
    };

    // Client to runtime.
    let up = async {
        let mut stdin_open = streams.stdin.is_some();
        while let Some(message) = messages.next().await {
            let payload = match message {
                Ok(Message::Binary(payload)) => payload,
                Ok(Message::Close(_)) | Err(_) => break,
                Ok(_) => continue,
            };
            let Some((channel, data)) = split_channel(&payload) else {
                continue;
            };
            let frames = match (channel, streams.stdin, streams.resize) {
                (channel::STDIN, Some(id), _) if stdin_open => spdy::data_frames(id, data),
                (channel::RESIZE, _, Some(id)) => spdy::data_frames(id, data),
                (channel::CLOSE, Some(id), _)
                    if protocol == Protocol::V5
                        && stdin_open
                        && data.first() == Some(&channel::STDIN) =>
                {
                    stdin_open = false;
                    spdy::data(id, &[], true)
                }
                _ => continue,
            };
            if frames.is_empty() {
                continue;
            }
            let mut writer = writer.lock().await;
            if writer.write_all(&frames).await.is_err() || writer.flush().await.is_err() {
                break;
            }
        }
    };

    tokio::pin!(down, up);
    tokio::select! {
        // The runtime is done: wait for the client's answer to our close.
        () = &mut down => { let _ = tokio::time::timeout(CLOSE_WAIT, &mut up).await; }
        // The client left: dropping the runtime's connection ends the
        // session there too (the process's stdin reaches its end).
        () = &mut up => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use tokio::io::AsyncReadExt;
    use tokio_tungstenite::tungstenite::protocol::Role;

    #[test]
    fn options_read_kubectl_queries() {
        let options = Options::from_query(Some(
            "command=sh&command=-c&command=echo+%22a+b%22&container=c&stdin=true&stdout=true&stderr=true",
        ))
        .unwrap();
        assert_eq!(
            options,
            Options {
                stdin: true,
                stdout: true,
                stderr: true,
                tty: false,
                command: vec!["sh".into(), "-c".into(), "echo \"a b\"".into()],
            }
        );
    }

    #[test]
    fn options_read_upstream_kubelet_names() {
        let options =
            Options::from_query(Some("command=ls&input=1&output=1&error=1&tty=1")).unwrap();
        assert!(options.stdin && options.stdout && options.tty);
        assert!(!options.stderr, "a terminal has no separate stderr");
    }

    #[test]
    fn options_need_a_stream() {
        assert!(Options::from_query(Some("command=ls&tty=true")).is_err());
        assert!(Options::from_query(None).is_err());
    }

    #[test]
    fn protocols_are_chosen_in_the_client_order() {
        let offer = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(Protocol::choose(&offer(&[V5])), Some(Protocol::V5));
        assert_eq!(
            Protocol::choose(&offer(&["base64.channel.k8s.io", V4, V5])),
            Some(Protocol::V4)
        );
        assert_eq!(Protocol::choose(&offer(&["channel.k8s.io"])), None);
    }

    #[test]
    fn streams_are_numbered_as_client_go_does() {
        let streams = Streams::new(&Options {
            stdin: true,
            stdout: true,
            stderr: true,
            tty: false,
            command: vec![],
        });
        assert_eq!(
            streams.all(),
            vec![(1, "error"), (3, "stdin"), (5, "stdout"), (7, "stderr")]
        );
        assert_eq!(streams.channel(5), Some(channel::STDOUT));
        assert_eq!(streams.channel(7), Some(channel::STDERR));
        assert_eq!(streams.channel(1), Some(channel::ERROR));
        assert_eq!(streams.channel(3), None);
        let tty = Streams::new(&Options {
            stdin: true,
            stdout: true,
            stderr: true,
            tty: true,
            command: vec![],
        });
        assert_eq!(
            tty.all(),
            vec![(1, "error"), (3, "stdin"), (5, "stdout"), (7, "resize")]
        );
    }

    /// Reads every frame the translator wrote to the fake runtime until a
    /// DATA frame with FIN on `until`.
    async fn frames_until_fin<R: AsyncRead + Unpin>(reader: &mut R, until: u32) -> Vec<Frame> {
        let mut frames = Vec::new();
        loop {
            let frame = spdy::read_frame(reader).await.unwrap().unwrap();
            let done = matches!(frame, Frame::Data { stream, fin: true, .. } if stream == until);
            frames.push(frame);
            if done {
                return frames;
            }
        }
    }

    #[tokio::test]
    async fn a_v5_session_is_translated_to_spdy() {
        let (client_io, server_io) = tokio::io::duplex(64 * 1024);
        let (runtime_io, mut runtime) = tokio::io::duplex(64 * 1024);
        let options = Options::from_query(Some("command=cat&stdin=1&stdout=1&stderr=1")).unwrap();
        let session = tokio::spawn(async move {
            let socket = WebSocketStream::from_raw_socket(server_io, Role::Server, None).await;
            run(socket, runtime_io, &options, Protocol::V5).await;
        });
        let mut client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;

        client
            .send(channel_message(channel::STDIN, b"hello"))
            .await
            .unwrap();
        client
            .send(channel_message(channel::CLOSE, &[channel::STDIN]))
            .await
            .unwrap();
        let frames = frames_until_fin(&mut runtime, 3).await;
        let opened: Vec<u32> = frames
            .iter()
            .filter_map(|f| match f {
                Frame::SynStream { stream, .. } => Some(*stream),
                _ => None,
            })
            .collect();
        assert_eq!(opened, vec![1, 3, 5, 7]);
        assert!(frames.contains(&Frame::Data {
            stream: 3,
            fin: false,
            data: Bytes::from_static(b"hello")
        }));

        // The runtime answers on stdout, stderr and the error stream, then
        // ends the session.
        let status = br#"{"metadata":{},"status":"Success"}"#;
        let mut answer = spdy::data(5, b"hello", false);
        answer.extend(spdy::ping(2));
        answer.extend(spdy::data(7, b"warn", false));
        answer.extend(spdy::data(1, status, false));
        answer.extend(spdy::goaway(0));
        runtime.write_all(&answer).await.unwrap();

        let mut received = Vec::new();
        loop {
            match client.next().await.unwrap().unwrap() {
                Message::Binary(b) => received.push(b.to_vec()),
                Message::Close(frame) => {
                    assert_eq!(Message::Close(frame), normal_close());
                    break;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(
            received,
            vec![
                b"\x01hello".to_vec(),
                b"\x02warn".to_vec(),
                [&[channel::ERROR][..], status].concat()
            ]
        );
        // The runtime's ping was answered.
        assert_eq!(
            spdy::read_frame(&mut runtime).await.unwrap(),
            Some(Frame::Ping { id: 2 })
        );
        drop(client);
        tokio::time::timeout(CLOSE_WAIT * 2, session)
            .await
            .unwrap()
            .unwrap();
    }

    #[tokio::test]
    async fn v4_clients_cannot_close_stdin() {
        let (client_io, server_io) = tokio::io::duplex(64 * 1024);
        let (runtime_io, mut runtime) = tokio::io::duplex(64 * 1024);
        let options = Options::from_query(Some("stdin=1&stdout=1&tty=1")).unwrap();
        let session = tokio::spawn(async move {
            let socket = WebSocketStream::from_raw_socket(server_io, Role::Server, None).await;
            run(socket, runtime_io, &options, Protocol::V4).await;
        });
        let mut client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
        client
            .send(channel_message(channel::CLOSE, &[channel::STDIN]))
            .await
            .unwrap();
        client
            .send(channel_message(
                channel::RESIZE,
                br#"{"Width":80,"Height":24}"#,
            ))
            .await
            .unwrap();
        client.close(None).await.unwrap();
        tokio::time::timeout(CLOSE_WAIT * 2, session)
            .await
            .unwrap()
            .unwrap();
        let mut written = Vec::new();
        runtime.read_to_end(&mut written).await.unwrap();
        let mut reader = &written[..];
        let mut frames = Vec::new();
        while let Some(frame) = spdy::read_frame(&mut reader).await.unwrap() {
            frames.push(frame);
        }
        // error, stdin, stdout, resize; the resize message on stream 7; no FIN.
        assert_eq!(frames.len(), 5);
        assert_eq!(
            frames[4],
            Frame::Data {
                stream: 7,
                fin: false,
                data: Bytes::from_static(br#"{"Width":80,"Height":24}"#)
            }
        );
    }
}
