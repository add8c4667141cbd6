//! Container logs, as upstream's kubelet serves `/containerLogs/{ns}/{pod}/{container}`:
//! the CRI log file of the container (`ContainerStatus.log_path`), one line
//! per write, `<RFC3339Nano time> <stdout|stderr> <P|F> <text>`, where `P`
//! marks a partial line continued by the next one.
//!
//! The query parameters are upstream's `PodLogOptions`: `follow`, `previous`,
//! `tailLines` (the last N lines of the file), `sinceSeconds` / `sinceTime`
//! (lines written before are skipped), `timestamps` (each line starts with
//! its time) and `limitBytes` (the output stops after that many bytes).
//! With `follow` the file is read as it grows until the container has exited
//! and nothing more was written, or the client goes away.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio::io::{AsyncBufReadExt, AsyncSeekExt, BufReader};
use tokio::sync::mpsc;

use crate::cri::{api, Cri};

/// How often a followed file is checked for new lines.
const FOLLOW_POLL: Duration = Duration::from_millis(100);
/// How often, while a followed file does not grow, the container is asked
/// whether it still runs.
const STATE_CHECK: Duration = Duration::from_secs(1);
/// Output is sent in chunks of at most this many bytes.
const CHUNK: usize = 32 * 1024;

/// What the query asks for (upstream's `v1.PodLogOptions`, as the kubelet reads it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogOptions {
    pub follow: bool,
    pub previous: bool,
    pub timestamps: bool,
    /// Only the last this many lines of the file.
    pub tail_lines: Option<u64>,
    /// Lines written before this time are skipped.
    pub since: Option<DateTime<Utc>>,
    /// The output stops after this many bytes.
    pub limit_bytes: Option<u64>,
}

/// A query the kubelet refuses, with the status and text upstream answers.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OptionsError {
    /// 400: a parameter is not of its type.
    #[error("{{\"message\": \"Unable to decode query.\"}}")]
    Decode,
    /// 422: the options are not valid together (`ValidatePodLogOptions`).
    #[error("{{\"message\": \"Invalid request.\"}}")]
    Invalid,
}

/// Go's `strconv.ParseBool`, which the query decoder uses.
fn parse_bool(value: &str) -> Result<bool, OptionsError> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" | "" => Ok(false),
        _ => Err(OptionsError::Decode),
    }
}

fn parse_int(value: &str) -> Result<i64, OptionsError> {
    value.parse().map_err(|_| OptionsError::Decode)
}

impl LogOptions {
    /// Reads the options from the query, as of `now` (for `sinceSeconds`).
    pub fn from_query(
        query: &HashMap<String, String>,
        now: DateTime<Utc>,
    ) -> Result<LogOptions, OptionsError> {
        let flag = |key: &str| query.get(key).map_or(Ok(false), |v| parse_bool(v));
        // `tail` is the old name of `tailLines`; `tail=all` means every line.
        let tail = match (query.get("tailLines"), query.get("tail")) {
            (_, Some(all)) if all == "all" => None,
            (_, Some(tail)) if !tail.is_empty() => Some(parse_int(tail)?),
            (Some(tail), _) => Some(parse_int(tail)?),
            _ => None,
        };
        let since_seconds = query
            .get("sinceSeconds")
            .map(|v| parse_int(v))
            .transpose()?;
        let since_time = query
            .get("sinceTime")
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| OptionsError::Decode)
            })
            .transpose()?;
        let limit = query.get("limitBytes").map(|v| parse_int(v)).transpose()?;
        if tail.is_some_and(|t| t < 0)
            || limit.is_some_and(|l| l < 1)
            || since_seconds.is_some_and(|s| s < 1)
            || (since_seconds.is_some() && since_time.is_some())
        {
            return Err(OptionsError::Invalid);
        }
        let since = match (since_seconds, since_time) {
            (Some(seconds), _) => Some(now - chrono::Duration::seconds(seconds)),
            (None, time) => time,
        };
        Ok(LogOptions {
            follow: flag("follow")?,
            previous: flag("previous")?,
            timestamps: flag("timestamps")?,
            tail_lines: tail.map(|t| t as u64),
            since,
            limit_bytes: limit.map(|l| l as u64),
        })
    }
}

/// Which output a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One parsed line of a CRI log file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine<'a> {
    pub time: DateTime<Utc>,
    pub stream: Stream,
    /// A `P` line: the text continues in the next line.
    pub partial: bool,
    pub content: &'a [u8],
}

/// Why a line of a log file could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("timestamp is not found")]
    NoTimestamp,
    #[error("unexpected timestamp format")]
    Timestamp,
    #[error("stream type is not found")]
    NoStream,
    #[error("unexpected stream type")]
    Stream,
    #[error("log tag is not found")]
    NoTag,
}

fn split_space(text: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = text.iter().position(|b| *b == b' ')?;
    Some((&text[..at], &text[at + 1..]))
}

/// Parses one line of a CRI log file (without its newline).
pub fn parse_line(line: &[u8]) -> Result<LogLine<'_>, ParseError> {
    let (time, rest) = split_space(line).ok_or(ParseError::NoTimestamp)?;
    let time = std::str::from_utf8(time)
        .ok()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .ok_or(ParseError::Timestamp)?
        .with_timezone(&Utc);
    let (stream, rest) = split_space(rest).ok_or(ParseError::NoStream)?;
    let stream = match stream {
        b"stdout" => Stream::Stdout,
        b"stderr" => Stream::Stderr,
        _ => return Err(ParseError::Stream),
    };
    // The tag field may hold several tags separated by ':'; the first is P or F.
    let (tag, content) = match split_space(rest) {
        Some(split) => split,
        None if !rest.is_empty() => (rest, &rest[rest.len()..]),
        None => return Err(ParseError::NoTag),
    };
    let partial = tag.split(|b| *b == b':').next() == Some(b"P");
    Ok(LogLine {
        time,
        stream,
        partial,
        content,
    })
}

/// Go's `time.RFC3339Nano` in UTC: fractional seconds without trailing zeros.
pub fn format_time(time: &DateTime<Utc>) -> String {
    let base = time.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = time.timestamp_subsec_nanos();
    if nanos == 0 {
        return format!("{base}Z");
    }
    let fraction = format!("{nanos:09}");
    format!("{base}.{}Z", fraction.trim_end_matches('0'))
}

/// Turns parsed lines into the bytes sent to the client, applying `since`,
/// `timestamps` and `limitBytes`.
#[derive(Debug)]
pub struct LogWriter {
    timestamps: bool,
    since: Option<DateTime<Utc>>,
    remaining: Option<u64>,
    /// The last line written ended its line (the next one gets a timestamp).
    at_line_start: bool,
}

impl LogWriter {
    pub fn new(options: &LogOptions) -> LogWriter {
        LogWriter {
            timestamps: options.timestamps,
            since: options.since,
            remaining: options.limit_bytes,
            at_line_start: true,
        }
    }

    /// Whether `limitBytes` has been reached.
    pub fn done(&self) -> bool {
        self.remaining == Some(0)
    }

    /// Appends the output of one line to `out`.
    pub fn write(&mut self, line: &LogLine<'_>, out: &mut Vec<u8>) {
        if self.done() || self.since.is_some_and(|since| line.time < since) {
            return;
        }
        let mut text = Vec::with_capacity(line.content.len() + 40);
        if self.timestamps && self.at_line_start {
            text.extend_from_slice(format_time(&line.time).as_bytes());
            text.push(b' ');
        }
        text.extend_from_slice(line.content);
        if !line.partial {
            text.push(b'\n');
        }
        self.at_line_start = !line.partial;
        if let Some(remaining) = &mut self.remaining {
            let take = (*remaining).min(text.len() as u64) as usize;
            text.truncate(take);
            *remaining -= take as u64;
        }
        out.extend_from_slice(&text);
    }

    /// Parses and writes one raw line of the file (with or without its
    /// newline); lines that do not parse are skipped, as upstream does.
    pub fn write_raw(&mut self, raw: &[u8], out: &mut Vec<u8>) {
        let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
        match parse_line(raw) {
            Ok(line) => self.write(&line, out),
            Err(error) => tracing::debug!(%error, "skipping a log line that does not parse"),
        }
    }
}

/// The offset where the last `lines` lines of the file start (a final
/// newline does not start an empty line), as upstream's tail search.
pub fn tail_start(file: &mut std::fs::File, lines: u64) -> std::io::Result<u64> {
    const BLOCK: u64 = 4096;
    let size = file.seek(SeekFrom::End(0))?;
    if lines == 0 {
        return Ok(size);
    }
    let mut end = size;
    let mut found = 0u64;
    let mut skip_last = true;
    let mut block = vec![0u8; BLOCK as usize];
    while end > 0 {
        let start = end.saturating_sub(BLOCK);
        let len = (end - start) as usize;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut block[..len])?;
        for i in (0..len).rev() {
            if block[i] != b'\n' {
                skip_last = false;
                continue;
            }
            if skip_last {
                skip_last = false;
                continue;
            }
            found += 1;
            if found == lines {
                return Ok(start + i as u64 + 1);
            }
        }
        end = start;
    }
    Ok(0)
}

/// Whether the container still runs (false when it is gone).
async fn running(cri: &Cri, id: &str) -> bool {
    let status = cri
        .runtime()
        .container_status(api::ContainerStatusRequest {
            container_id: id.to_string(),
            verbose: false,
        })
        .await;
    match status {
        Ok(response) => response
            .into_inner()
            .status
            .is_some_and(|s| s.state == api::ContainerState::ContainerRunning as i32),
        Err(_) => false,
    }
}

fn inode_of(path: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| m.ino())
}

/// An open log file positioned where output starts.
pub struct LogFile {
    path: PathBuf,
    file: tokio::fs::File,
    inode: Option<u64>,
}

impl LogFile {
    /// Opens the file and seeks to where `tail_lines` asks output to start.
    pub async fn open(path: &Path, options: &LogOptions) -> std::io::Result<LogFile> {
        let mut std_file = std::fs::File::open(path)?;
        let inode = {
            use std::os::unix::fs::MetadataExt;
            std_file.metadata().ok().map(|m| m.ino())
        };
        let tail = options.tail_lines;
        let (std_file, start) = tokio::task::spawn_blocking(move || {
            let start = match tail {
                Some(lines) => tail_start(&mut std_file, lines)?,
                None => 0,
            };
            Ok::<_, std::io::Error>((std_file, start))
        })
        .await
        .map_err(std::io::Error::other)??;
        let mut file = tokio::fs::File::from_std(std_file);
        file.seek(SeekFrom::Start(start)).await?;
        Ok(LogFile {
            path: path.to_path_buf(),
            file,
            inode,
        })
    }
}

/// Sends the log's output to `tx` until the end (or, following, until the
/// container has exited and the file stopped growing), `limitBytes` is
/// reached or the receiver is dropped.
pub async fn stream(
    cri: Cri,
    container_id: String,
    log: LogFile,
    options: LogOptions,
    tx: mpsc::Sender<Bytes>,
) {
    let LogFile {
        path,
        file,
        mut inode,
    } = log;
    let mut reader = BufReader::new(file);
    let mut writer = LogWriter::new(&options);
    let mut line = Vec::new();
    let mut out = Vec::new();
    let mut last_check = tokio::time::Instant::now();
    let mut exited = false;
    loop {
        let read = match reader.read_until(b'\n', &mut line).await {
            Ok(read) => read,
            Err(error) => {
                tracing::debug!(path = %path.display(), %error, "reading a log file");
                break;
            }
        };
        if read > 0 && line.ends_with(b"\n") {
            writer.write_raw(&line, &mut out);
            line.clear();
            if writer.done() {
                break;
            }
            if out.len() >= CHUNK
                && tx
                    .send(Bytes::from(std::mem::take(&mut out)))
                    .await
                    .is_err()
            {
                return;
            }
            continue;
        }
        // End of what is written so far.
        if !out.is_empty()
            && tx
                .send(Bytes::from(std::mem::take(&mut out)))
                .await
                .is_err()
        {
            return;
        }
        if !options.follow || exited {
            break;
        }
        // A rotated file: go on with the new one from its start.
        let current = inode_of(&path);
        if current.is_some() && current != inode {
            if let Ok(file) = tokio::fs::File::open(&path).await {
                reader = BufReader::new(file);
                inode = current;
                continue;
            }
        }
        if last_check.elapsed() >= STATE_CHECK {
            last_check = tokio::time::Instant::now();
            if !running(&cri, &container_id).await {
                // Read once more whatever was written before it exited.
                exited = true;
                continue;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(FOLLOW_POLL) => {}
            _ = tx.closed() => return,
        }
    }
    // A last line without its newline (the file was cut short).
    if !line.is_empty() && !writer.done() {
        writer.write_raw(&line, &mut out);
    }
    if !out.is_empty() {
        let _ = tx.send(Bytes::from(out)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const SAMPLE: &str = "\
2024-05-01T10:00:00.100000000Z stdout F one
2024-05-01T10:00:01.000000000Z stderr F two
2024-05-01T10:00:02.5Z stdout P thr
2024-05-01T10:00:02.600000000Z stdout F ee
not a log line
2024-05-01T10:00:03.000000001Z stdout F four
";

    fn render(options: &LogOptions, text: &str) -> String {
        let mut writer = LogWriter::new(options);
        let mut out = Vec::new();
        for raw in text.split_inclusive('\n') {
            writer.write_raw(raw.as_bytes(), &mut out);
        }
        String::from_utf8(out).unwrap()
    }

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_lines() {
        let line = parse_line(b"2024-05-01T10:00:02.5Z stdout P thr").unwrap();
        assert_eq!(line.stream, Stream::Stdout);
        assert!(line.partial);
        assert_eq!(line.content, b"thr");
        let line = parse_line(b"2024-05-01T10:00:02+02:00 stderr F:x a b").unwrap();
        assert_eq!(line.stream, Stream::Stderr);
        assert!(!line.partial);
        assert_eq!(line.content, b"a b");
        assert_eq!(format_time(&line.time), "2024-05-01T08:00:02Z");
        let empty = parse_line(b"2024-05-01T10:00:02Z stdout F").unwrap();
        assert_eq!(empty.content, b"");
        assert_eq!(parse_line(b"nonsense"), Err(ParseError::NoTimestamp));
        assert_eq!(
            parse_line(b"2024-05-01T10:00:02Z stdin F x"),
            Err(ParseError::Stream)
        );
    }

    #[test]
    fn joins_partial_lines_and_skips_garbage() {
        assert_eq!(
            render(&LogOptions::default(), SAMPLE),
            "one\ntwo\nthree\nfour\n"
        );
    }

    #[test]
    fn timestamps_once_per_joined_line() {
        let options = LogOptions {
            timestamps: true,
            ..Default::default()
        };
        assert_eq!(
            render(&options, SAMPLE),
            "2024-05-01T10:00:00.1Z one\n2024-05-01T10:00:01Z two\n\
             2024-05-01T10:00:02.5Z three\n2024-05-01T10:00:03.000000001Z four\n"
        );
    }

    #[test]
    fn since_skips_older_lines() {
        let options = LogOptions {
            since: Some("2024-05-01T10:00:01Z".parse().unwrap()),
            ..Default::default()
        };
        assert_eq!(render(&options, SAMPLE), "two\nthree\nfour\n");
    }

    #[test]
    fn limit_bytes_cuts_the_output() {
        let options = LogOptions {
            limit_bytes: Some(6),
            ..Default::default()
        };
        assert_eq!(render(&options, SAMPLE), "one\ntw");
    }

    #[test]
    fn tail_finds_the_last_lines() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(SAMPLE.as_bytes()).unwrap();
        let start = tail_start(&mut file, 2).unwrap() as usize;
        assert_eq!(
            &SAMPLE[start..],
            "not a log line\n2024-05-01T10:00:03.000000001Z stdout F four\n"
        );
        assert_eq!(tail_start(&mut file, 0).unwrap() as usize, SAMPLE.len());
        assert_eq!(tail_start(&mut file, 100).unwrap(), 0);
        // Lines longer than a block.
        let long = format!("{}\n{}\n", "a".repeat(5000), "b".repeat(9000));
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(long.as_bytes()).unwrap();
        assert_eq!(tail_start(&mut file, 1).unwrap(), 5001);
    }

    #[test]
    fn options_from_the_query() {
        let now: DateTime<Utc> = "2024-05-01T10:00:00Z".parse().unwrap();
        let options = LogOptions::from_query(
            &query(&[
                ("follow", "true"),
                ("tailLines", "5"),
                ("sinceSeconds", "60"),
                ("limitBytes", "10"),
                ("timestamps", "1"),
            ]),
            now,
        )
        .unwrap();
        assert!(options.follow && options.timestamps && !options.previous);
        assert_eq!(options.tail_lines, Some(5));
        assert_eq!(options.limit_bytes, Some(10));
        assert_eq!(options.since, Some("2024-05-01T09:59:00Z".parse().unwrap()));
        let options =
            LogOptions::from_query(&query(&[("sinceTime", "2024-05-01T09:00:00Z")]), now).unwrap();
        assert_eq!(options.since, Some("2024-05-01T09:00:00Z".parse().unwrap()));
        assert_eq!(
            LogOptions::from_query(&query(&[("tail", "all"), ("tailLines", "3")]), now)
                .unwrap()
                .tail_lines,
            None
        );
        assert_eq!(
            LogOptions::from_query(&query(&[("tailLines", "-1")]), now),
            Err(OptionsError::Invalid)
        );
        assert_eq!(
            LogOptions::from_query(
                &query(&[("sinceSeconds", "1"), ("sinceTime", "2024-05-01T09:00:00Z")]),
                now
            ),
            Err(OptionsError::Invalid)
        );
        assert_eq!(
            LogOptions::from_query(&query(&[("follow", "yes")]), now),
            Err(OptionsError::Decode)
        );
    }
}
