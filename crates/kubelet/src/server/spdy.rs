//! SPDY/3.1 framing, as much of it as the kubelet needs to be a SPDY
//! client of the container runtime's streaming server.
//!
//! kubectl's WebSocket remote-command protocol (v5) is translated by the
//! kubelet into the SPDY one (v4) towards containerd (see
//! `remotecommand`), because SPDY streams can be half-closed: that is how
//! the end of a client's stdin reaches the process (`kubectl cp` into a pod
//! and `kubectl exec -i` with piped input need it; containerd's WebSocket
//! server, v4 at most, has no way to say it).
//!
//! Only what that client needs is here: encoding SYN_STREAM (with a
//! zlib-compressed header block), DATA, PING, RST_STREAM and GOAWAY, and
//! decoding every frame type. The header blocks the runtime sends (its
//! SYN_REPLYs) are skipped unread: the remote-command protocol puts nothing
//! in them the kubelet needs, so no decompressor (and no SPDY dictionary)
//! is kept. Our own header blocks are one zlib stream for the whole
//! connection, flushed (sync flush) at the end of each block, as the SPDY
//! specification asks; the receiver's zlib reader accepts a stream written
//! without the SPDY dictionary since its header says none is used.
//!
//! There is no flow control: the Go implementation on the other side
//! (spdystream) neither sends nor honours WINDOW_UPDATE frames.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use flate2::{Compress, Compression, FlushCompress};
use tokio::io::{AsyncRead, AsyncReadExt};

/// The SPDY version spoken.
const VERSION: u16 = 3;

/// The largest payload one DATA frame carries when we write (the format's
/// limit is 2^24 - 1; smaller frames keep streams interleaved).
pub const MAX_DATA: usize = 32 * 1024;

mod kind {
    pub const SYN_STREAM: u16 = 1;
    pub const SYN_REPLY: u16 = 2;
    pub const RST_STREAM: u16 = 3;
    pub const SETTINGS: u16 = 4;
    pub const PING: u16 = 6;
    pub const GOAWAY: u16 = 7;
    pub const HEADERS: u16 = 8;
    pub const WINDOW_UPDATE: u16 = 9;
}

/// The FIN flag of DATA, SYN_STREAM, SYN_REPLY and HEADERS frames.
const FLAG_FIN: u8 = 0x01;

/// RST_STREAM status codes used here.
pub mod rst {
    pub const CANCEL: u32 = 5;
}

/// A decoded frame. Header blocks are not decoded (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    Data { stream: u32, fin: bool, data: Bytes },
    SynStream { stream: u32, fin: bool },
    SynReply { stream: u32, fin: bool },
    RstStream { stream: u32, status: u32 },
    Settings,
    Ping { id: u32 },
    GoAway { last_good_stream: u32, status: u32 },
    Headers { stream: u32, fin: bool },
    WindowUpdate { stream: u32, delta: u32 },
    /// A control frame of a type SPDY/3.1 does not define (to be ignored).
    Unknown { kind: u16 },
}

/// A malformed frame or a failed read.
#[derive(Debug, thiserror::Error)]
pub enum SpdyError {
    #[error("reading a SPDY frame: {0}")]
    Io(#[from] std::io::Error),
    #[error("SPDY frame of version {0} (only 3 is spoken)")]
    Version(u16),
    #[error("SPDY {kind} frame of {length} bytes is too short")]
    Short { kind: &'static str, length: usize },
    #[error("compressing a SPDY header block: {0}")]
    Compress(#[from] flate2::CompressError),
}

/// Reads the next frame; `None` at a clean end of the connection (no
/// partial frame).
pub async fn read_frame<R: AsyncRead + Unpin>(reader: &mut R) -> Result<Option<Frame>, SpdyError> {
    let mut head = [0u8; 8];
    let mut filled = 0;
    while filled < head.len() {
        let n = reader.read(&mut head[filled..]).await?;
        if n == 0 {
            if filled == 0 {
                return Ok(None);
            }
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
        }
        filled += n;
    }
    let length = (usize::from(head[5]) << 16) | (usize::from(head[6]) << 8) | usize::from(head[7]);
    // At most 16 MiB: the length has 24 bits.
    let mut payload = vec![0u8; length];
    reader.read_exact(&mut payload).await?;
    decode(head, Bytes::from(payload)).map(Some)
}

/// Decodes a frame from its 8-byte head and its payload.
pub fn decode(head: [u8; 8], mut payload: Bytes) -> Result<Frame, SpdyError> {
    let flags = head[4];
    let fin = flags & FLAG_FIN != 0;
    if head[0] & 0x80 == 0 {
        let stream = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) & 0x7fff_ffff;
        return Ok(Frame::Data {
            stream,
            fin,
            data: payload,
        });
    }
    let version = u16::from_be_bytes([head[0], head[1]]) & 0x7fff;
    if version != VERSION {
        return Err(SpdyError::Version(version));
    }
    let kind = u16::from_be_bytes([head[2], head[3]]);
    let need = |name: &'static str, n: usize, payload: &Bytes| {
        if payload.len() < n {
            Err(SpdyError::Short {
                kind: name,
                length: payload.len(),
            })
        } else {
            Ok(())
        }
    };
    let frame = match kind {
        kind::SYN_STREAM => {
            need("SYN_STREAM", 10, &payload)?;
            Frame::SynStream {
                stream: payload.get_u32() & 0x7fff_ffff,
                fin,
            }
        }
        kind::SYN_REPLY => {
            need("SYN_REPLY", 4, &payload)?;
            Frame::SynReply {
                stream: payload.get_u32() & 0x7fff_ffff,
                fin,
            }
        }
        kind::RST_STREAM => {
            need("RST_STREAM", 8, &payload)?;
            Frame::RstStream {
                stream: payload.get_u32() & 0x7fff_ffff,
                status: payload.get_u32(),
            }
        }
        kind::SETTINGS => Frame::Settings,
        kind::PING => {
            need("PING", 4, &payload)?;
            Frame::Ping {
                id: payload.get_u32(),
            }
        }
        kind::GOAWAY => {
            need("GOAWAY", 4, &payload)?;
            let last_good_stream = payload.get_u32() & 0x7fff_ffff;
            // SPDY/2 peers send no status; SPDY/3 ones do.
            let status = if payload.remaining() >= 4 {
                payload.get_u32()
            } else {
                0
            };
            Frame::GoAway {
                last_good_stream,
                status,
            }
        }
        kind::HEADERS => {
            need("HEADERS", 4, &payload)?;
            Frame::Headers {
                stream: payload.get_u32() & 0x7fff_ffff,
                fin,
            }
        }
        kind::WINDOW_UPDATE => {
            need("WINDOW_UPDATE", 8, &payload)?;
            Frame::WindowUpdate {
                stream: payload.get_u32() & 0x7fff_ffff,
                delta: payload.get_u32() & 0x7fff_ffff,
            }
        }
        other => Frame::Unknown { kind: other },
    };
    Ok(frame)
}

fn control(kind: u16, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::with_capacity(8 + payload.len());
    out.put_u16(0x8000 | VERSION);
    out.put_u16(kind);
    out.put_u32((u32::from(flags) << 24) | (payload.len() as u32 & 0x00ff_ffff));
    out.put_slice(payload);
    out.to_vec()
}

/// A DATA frame (payloads longer than [`MAX_DATA`] must be split by the
/// caller; see [`data_frames`]).
pub fn data(stream: u32, payload: &[u8], fin: bool) -> Vec<u8> {
    let mut out = BytesMut::with_capacity(8 + payload.len());
    out.put_u32(stream & 0x7fff_ffff);
    let flags = if fin { FLAG_FIN } else { 0 };
    out.put_u32((u32::from(flags) << 24) | (payload.len() as u32 & 0x00ff_ffff));
    out.put_slice(payload);
    out.to_vec()
}

/// `payload` as DATA frames of at most [`MAX_DATA`] bytes, concatenated.
pub fn data_frames(stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8 * (payload.len() / MAX_DATA + 1));
    for chunk in payload.chunks(MAX_DATA) {
        out.extend_from_slice(&data(stream, chunk, false));
    }
    out
}

/// A PING frame (also the answer to one: the same id).
pub fn ping(id: u32) -> Vec<u8> {
    control(kind::PING, 0, &id.to_be_bytes())
}

/// A RST_STREAM frame.
pub fn rst_stream(stream: u32, status: u32) -> Vec<u8> {
    let mut payload = [0u8; 8];
    payload[..4].copy_from_slice(&(stream & 0x7fff_ffff).to_be_bytes());
    payload[4..].copy_from_slice(&status.to_be_bytes());
    control(kind::RST_STREAM, 0, &payload)
}

/// A GOAWAY frame (status OK).
pub fn goaway(last_good_stream: u32) -> Vec<u8> {
    let mut payload = [0u8; 8];
    payload[..4].copy_from_slice(&(last_good_stream & 0x7fff_ffff).to_be_bytes());
    control(kind::GOAWAY, 0, &payload)
}

/// The writer's side of header compression: one zlib stream for the whole
/// connection, so one `Encoder` per connection, used for every SYN_STREAM
/// in order.
pub struct Encoder {
    zlib: Compress,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder::new()
    }
}

impl Encoder {
    pub fn new() -> Encoder {
        Encoder {
            zlib: Compress::new(Compression::default(), true),
        }
    }

    /// A SYN_STREAM frame opening `stream` (priority 0, no associated
    /// stream) with these headers. Names must be lower case, as SPDY/3
    /// requires (the peer rejects others).
    pub fn syn_stream(
        &mut self,
        stream: u32,
        headers: &[(&str, &str)],
        fin: bool,
    ) -> Result<Vec<u8>, SpdyError> {
        let block = self.header_block(headers)?;
        let mut payload = BytesMut::with_capacity(10 + block.len());
        payload.put_u32(stream & 0x7fff_ffff);
        payload.put_u32(0);
        payload.put_u8(0); // priority 0 (highest), unused bits
        payload.put_u8(0); // credential slot
        payload.put_slice(&block);
        Ok(control(
            kind::SYN_STREAM,
            if fin { FLAG_FIN } else { 0 },
            &payload,
        ))
    }

    /// Compresses the name/value block: a 32-bit count, then each name and
    /// value with a 32-bit length.
    fn header_block(&mut self, headers: &[(&str, &str)]) -> Result<Vec<u8>, SpdyError> {
        let plain = plain_header_block(headers);
        let mut out = Vec::with_capacity(plain.len() + 64);
        let start = self.zlib.total_in();
        loop {
            let consumed = (self.zlib.total_in() - start) as usize;
            if out.capacity() - out.len() < 64 {
                out.reserve(256);
            }
            self.zlib
                .compress_vec(&plain[consumed..], &mut out, FlushCompress::Sync)?;
            let consumed = (self.zlib.total_in() - start) as usize;
            // The flush is complete once all input is taken and the output
            // did not fill the space it was given.
            if consumed == plain.len() && out.len() < out.capacity() {
                return Ok(out);
            }
        }
    }
}

/// The uncompressed name/value header block.
fn plain_header_block(headers: &[(&str, &str)]) -> Vec<u8> {
    let mut plain = BytesMut::new();
    plain.put_u32(headers.len() as u32);
    for (name, value) in headers {
        plain.put_u32(name.len() as u32);
        plain.put_slice(name.as_bytes());
        plain.put_u32(value.len() as u32);
        plain.put_slice(value.as_bytes());
    }
    plain.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Decompress, FlushDecompress};

    fn split(frame: &[u8]) -> ([u8; 8], Bytes) {
        let mut head = [0u8; 8];
        head.copy_from_slice(&frame[..8]);
        (head, Bytes::copy_from_slice(&frame[8..]))
    }

    #[test]
    fn data_frames_round_trip() {
        let frame = data(5, b"hello", true);
        assert_eq!(&frame[..8], &[0, 0, 0, 5, 1, 0, 0, 5]);
        let (head, payload) = split(&frame);
        assert_eq!(
            decode(head, payload).unwrap(),
            Frame::Data {
                stream: 5,
                fin: true,
                data: Bytes::from_static(b"hello")
            }
        );
    }

    #[test]
    fn long_data_is_split() {
        let payload = vec![7u8; MAX_DATA * 2 + 3];
        let frames = data_frames(3, &payload);
        assert_eq!(frames.len(), payload.len() + 3 * 8);
        let (head, _) = split(&frames);
        assert_eq!(head[5..], [0x00, 0x80, 0x00]);
    }

    #[test]
    fn control_frames_round_trip() {
        for (bytes, frame) in [
            (ping(7), Frame::Ping { id: 7 }),
            (
                rst_stream(3, rst::CANCEL),
                Frame::RstStream {
                    stream: 3,
                    status: rst::CANCEL,
                },
            ),
            (
                goaway(9),
                Frame::GoAway {
                    last_good_stream: 9,
                    status: 0,
                },
            ),
        ] {
            assert_eq!(&bytes[..2], &[0x80, 0x03]);
            let (head, payload) = split(&bytes);
            assert_eq!(decode(head, payload).unwrap(), frame);
        }
    }

    #[test]
    fn version_is_checked() {
        let mut frame = ping(1);
        frame[1] = 2;
        let (head, payload) = split(&frame);
        assert!(matches!(decode(head, payload), Err(SpdyError::Version(2))));
    }

    #[test]
    fn short_frames_are_errors() {
        let frame = control(kind::RST_STREAM, 0, &[0, 0, 0, 1]);
        let (head, payload) = split(&frame);
        assert!(matches!(
            decode(head, payload),
            Err(SpdyError::Short { .. })
        ));
    }

    #[test]
    fn syn_stream_headers_are_one_zlib_stream() {
        let mut encoder = Encoder::new();
        let first = encoder
            .syn_stream(1, &[("streamtype", "error")], false)
            .unwrap();
        let second = encoder
            .syn_stream(3, &[("streamtype", "stdin"), ("port", "80")], true)
            .unwrap();
        let (head, payload) = split(&second);
        assert_eq!(
            decode(head, payload).unwrap(),
            Frame::SynStream {
                stream: 3,
                fin: true
            }
        );
        // A zlib reader that goes through both blocks in order finds the
        // plain blocks, each complete at its frame's end (sync flush).
        let mut zlib = Decompress::new(true);
        for (frame, headers) in [
            (&first, vec![("streamtype", "error")]),
            (&second, vec![("streamtype", "stdin"), ("port", "80")]),
        ] {
            let block = &frame[8 + 10..];
            let mut out = Vec::with_capacity(1024);
            zlib.decompress_vec(block, &mut out, FlushDecompress::Sync)
                .unwrap();
            assert_eq!(out, plain_header_block(&headers));
        }
    }

    #[tokio::test]
    async fn frames_are_read_from_a_stream() {
        let mut bytes = data(1, b"abc", false);
        bytes.extend(ping(2));
        let mut reader = &bytes[..];
        assert_eq!(
            read_frame(&mut reader).await.unwrap(),
            Some(Frame::Data {
                stream: 1,
                fin: false,
                data: Bytes::from_static(b"abc")
            })
        );
        assert_eq!(
            read_frame(&mut reader).await.unwrap(),
            Some(Frame::Ping { id: 2 })
        );
        assert_eq!(read_frame(&mut reader).await.unwrap(), None);
        let truncated = &data(1, b"abc", false)[..5];
        let mut reader = truncated;
        assert!(read_frame(&mut reader).await.is_err());
    }
}
