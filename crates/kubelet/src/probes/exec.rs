//! The exec action: a command run in the container through CRI `ExecSync`.
//! Exit code 0 is a success; otherwise the combined output (stdout then
//! stderr, at most 10 KiB, as upstream's prober keeps) is the message.

use std::time::Duration;

use super::Outcome;
use crate::cri::{api, Cri};

/// Upstream keeps at most this much of an exec probe's output.
const MAX_OUTPUT: usize = 10 * 1024;

/// How much longer than the command's own timeout the kubelet waits for the
/// runtime to answer before giving up on it.
const RUNTIME_GRACE: Duration = Duration::from_secs(5);

/// What one `ExecSync` returned.
#[derive(Debug)]
pub(crate) struct ExecOutput {
    pub exit_code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Why an `ExecSync` gave no exit code.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExecError {
    /// The command ran past its timeout.
    #[error("command timed out: {command:?} timed out after {seconds}s")]
    TimedOut { command: String, seconds: u64 },
    /// The runtime refused or failed the call (no such container, not
    /// running, ...), written as Go's gRPC errors read.
    #[error("rpc error: code = {code:?} desc = {message}")]
    Runtime { code: tonic::Code, message: String },
}

/// Runs `command` in the container; `timeout` zero means none (hooks).
pub(crate) async fn exec_sync(
    cri: &Cri,
    container_id: &str,
    command: &[String],
    timeout: Duration,
) -> Result<ExecOutput, ExecError> {
    let request = api::ExecSyncRequest {
        container_id: container_id.to_string(),
        cmd: command.to_vec(),
        timeout: i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX),
    };
    let timed_out = || ExecError::TimedOut {
        command: command.join(" "),
        seconds: timeout.as_secs(),
    };
    let mut runtime = cri.runtime();
    let call = runtime.exec_sync(request);
    let answer = if timeout.is_zero() {
        call.await
    } else {
        match tokio::time::timeout(timeout + RUNTIME_GRACE, call).await {
            Ok(answer) => answer,
            Err(_) => return Err(timed_out()),
        }
    };
    match answer {
        Ok(response) => {
            let response = response.into_inner();
            Ok(ExecOutput {
                exit_code: response.exit_code,
                stdout: response.stdout,
                stderr: response.stderr,
            })
        }
        Err(status) if status.code() == tonic::Code::DeadlineExceeded => Err(timed_out()),
        Err(status) => Err(ExecError::Runtime {
            code: status.code(),
            message: status.message().to_string(),
        }),
    }
}

/// Stdout then stderr, as upstream's `RunInContainer` joins them.
pub(crate) fn combined(output: &ExecOutput) -> String {
    let mut data = output.stdout.clone();
    data.extend_from_slice(&output.stderr);
    String::from_utf8_lossy(&data).into_owned()
}

/// One exec probe attempt.
pub(crate) async fn probe(
    cri: &Cri,
    container_id: &str,
    command: Vec<String>,
    timeout: Duration,
) -> Outcome {
    match exec_sync(cri, container_id, &command, timeout).await {
        Ok(output) => {
            let mut data = output.stdout;
            data.extend_from_slice(&output.stderr);
            data.truncate(MAX_OUTPUT);
            let text = String::from_utf8_lossy(&data).into_owned();
            if output.exit_code == 0 {
                Outcome::Success
            } else {
                Outcome::Failure(text)
            }
        }
        // A timed-out command is a failure whose message says so.
        Err(e @ ExecError::TimedOut { .. }) => Outcome::Failure(e.to_string()),
        Err(e) => Outcome::Unknown(e.to_string()),
    }
}
