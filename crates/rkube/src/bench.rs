//! `rkube bench`: measures a real `rkube server` (this binary in a child process)
//! on the embedded store and on a single-member etcd, and prints a Markdown table.
//!
//! Per store, in order: the time from spawning the server to the first `/readyz`
//! that answers 200, its resident memory a few seconds later, pod creates per
//! second from concurrent clients, LISTs of a namespace full of pods, and the
//! delivery of a burst of creates to many watchers. Every answer is checked
//! (201 for each create, every pod in each LIST, every created pod's ADDED event
//! exactly once at every watcher); a wrong answer fails the run rather than
//! yielding a figure. Between scenarios the server is left to go idle, so that
//! what the scheduler and the controllers of `rkube server` do about the pods of
//! one scenario does not run into the next.

mod client;
mod creates;
pub mod deployment;
mod list;
pub mod pods;
mod podwatch;
mod report;
pub mod scheduler;
mod server;
mod watch;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{ensure, Context, Result};

use crate::cli::{BenchArgs, BenchCommand, BenchStore};
use client::Client;
use server::{CpuTimes, ServerProcess};

/// How long the server idles before its resident memory is read.
const IDLE: Duration = Duration::from_secs(3);

/// Runs the benchmarks the arguments ask for and prints the table on stdout.
pub async fn run(args: BenchArgs) -> Result<()> {
    ensure!(args.creates > 0, "--creates must be at least 1");
    ensure!(args.clients > 0, "--clients must be at least 1");
    ensure!(args.connections > 0, "--connections must be at least 1");
    ensure!(args.list_runs > 0, "--list-runs must be at least 1");
    ensure!(args.watchers > 0, "--watchers must be at least 1");
    ensure!(args.watch_writes > 0, "--watch-writes must be at least 1");
    let commands: &[&str] = match args.command {
        BenchCommand::Server => &["server"],
        BenchCommand::Apiserver => &["apiserver"],
        BenchCommand::Both => &["server", "apiserver"],
    };
    let mut columns = Vec::new();
    // A run that fails ends the benchmark, but the figures of the runs before
    // it are still printed.
    let mut outcome = Ok(());
    for command in commands {
        if outcome.is_ok() && matches!(args.store, BenchStore::Embedded | BenchStore::Both) {
            let title = format!("`{command}`, embedded (SQLite)");
            match one_store(&args, command, title, args.server_args.clone()).await {
                Ok(column) => columns.push(column),
                Err(error) => {
                    outcome = Err(error.context(format!("`{command}` on the embedded store")))
                }
            }
        }
        if outcome.is_ok() && matches!(args.store, BenchStore::Etcd | BenchStore::Both) {
            match on_etcd(&args, command).await {
                Ok(column) => columns.push(column),
                Err(error) => outcome = Err(error.context(format!("`{command}` on etcd"))),
            }
        }
    }
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(report::render(&columns).as_bytes())
        .context("writing the report")?;
    outcome
}

/// Every scenario against `rkube COMMAND` on a single-member etcd started for it.
async fn on_etcd(args: &BenchArgs, command: &str) -> Result<report::Column> {
    let binary = args
        .etcd_binary
        .clone()
        .or_else(store::etcd_server::etcd_binary)
        .context("etcd not found: install the Debian package etcd-server or pass --etcd-binary")?;
    let version = etcd_version(&binary);
    eprintln!("bench: starting etcd {version} ({})", binary.display());
    let etcd = store::etcd_server::EtcdCluster::start(&binary, 1)
        .await
        .map_err(|error| anyhow::anyhow!("starting etcd: {error}"))?;
    let mut server_args = vec!["--etcd-endpoints".to_string(), etcd.endpoints().join(",")];
    server_args.extend(args.server_args.iter().cloned());
    let title = format!("`{command}`, etcd {version} (1 member)");
    one_store(args, command, title, server_args)
        .await
        .with_context(|| {
            // The member's own words, when it is the one that failed.
            let log = std::fs::read_to_string(etcd.dir().join("m0.log")).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            format!(
                "etcd's last log lines:\n{}",
                lines[lines.len().saturating_sub(10)..].join("\n")
            )
        })
}

/// Every scenario against one fresh `rkube COMMAND` started with `server_args`.
async fn one_store(
    args: &BenchArgs,
    command: &str,
    title: String,
    server_args: Vec<String>,
) -> Result<report::Column> {
    eprintln!("bench: {title}: starting the server");
    let mut server = ServerProcess::start(command, &server_args).await?;
    eprintln!(
        "bench: {title}: /readyz OK after {:.0} ms; idling {IDLE:?}",
        server.ready_after.as_secs_f64() * 1e3
    );
    tokio::time::sleep(IDLE).await;
    let idle_rss = server.resident_bytes()?;
    let client = Arc::new(Client::connect(server.port, &server.tls_dir(), args.connections).await?);

    eprintln!(
        "bench: {title}: {} pod creates, {} clients",
        args.creates, args.clients
    );
    creates::namespace(&client, "bench-create").await?;
    server.settle().await?;
    let cpu_before = CpuTimes::now(server.pid())?;
    let creates =
        creates::create_pods(&client, "bench-create", "p", args.creates, args.clients).await?;
    // All the work the creates caused, including the scheduler's and the
    // controllers' in `rkube server`.
    server.settle().await?;
    let create_cpu = CpuTimes::now(server.pid())?.since(cpu_before);
    list::checked_list(&client, "bench-create", args.creates).await?;

    eprintln!("bench: {title}: LIST of {} pods", args.list_pods);
    creates::namespace(&client, "bench-list").await?;
    creates::create_pods(&client, "bench-list", "l", args.list_pods, args.clients).await?;
    server.settle().await?;
    let lists = list::run(&client, "bench-list", args.list_pods, args.list_runs).await?;

    eprintln!(
        "bench: {title}: {} watchers, burst of {} creates",
        args.watchers, args.watch_writes
    );
    creates::namespace(&client, "bench-watch").await?;
    server.settle().await?;
    let fanout = watch::run(
        &client,
        &server,
        "bench-watch",
        args.watchers,
        args.watch_writes,
        args.clients,
    )
    .await?;
    server.check_running()?;
    let final_rss = server.resident_bytes()?;
    Ok(report::Column {
        store: title,
        command: command.to_string(),
        on_etcd: server_args.iter().any(|a| a == "--etcd-endpoints"),
        ready_after: server.ready_after,
        idle_rss,
        creates,
        create_cpu,
        clients: args.clients,
        connections: args.connections,
        lists,
        fanout,
        final_rss,
    })
}

/// "3.4.23" from `etcd --version`, or "?" if it does not say.
fn etcd_version(binary: &std::path::Path) -> String {
    std::process::Command::new(binary)
        .arg("--version")
        .output()
        .ok()
        .and_then(|output| {
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .find_map(|line| line.strip_prefix("etcd Version: ").map(str::to_string))
        })
        .unwrap_or_else(|| "?".to_string())
}
