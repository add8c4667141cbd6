//! The conformance suite against the SQLite backend, with and without group
//! commit, and a crash test: a child process writes until it is killed with
//! SIGKILL, and every write it saw acknowledged must be in the reopened store.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use store::sqlite::{Config, SqliteStore};
use store::Store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("store.db"), Config::default()).unwrap();
    store::testing::run_all(Arc::new(store.clone()) as Arc<dyn Store>).await;
    eprintln!("sqlite writer stats: {:?}", store.stats());
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_one_write_per_commit() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::default().with_max_batch(1);
    let store = SqliteStore::open(&dir.path().join("store.db"), config).unwrap();
    store::testing::run_all(Arc::new(store) as Arc<dyn Store>).await;
}

/// Set in the child process: the database it writes to.
const CHILD_ENV: &str = "RKUBE_STORE_CRASH_CHILD_DB";
const ROUNDS: usize = 3;
const ACKS_BEFORE_KILL: usize = 300;

/// The writer that `sqlite_survives_sigkill` starts and kills: eight tasks
/// create keys as fast as they can and print each acknowledged key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "child process of sqlite_survives_sigkill, which runs it"]
async fn crash_child_writer() {
    let Some(db) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let round = std::env::var("RKUBE_STORE_CRASH_ROUND").unwrap_or_default();
    let store = SqliteStore::open(Path::new(&db), Config::default()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let store = store.clone();
            let round = round.clone();
            tokio::spawn(async move {
                // Bounded, in case the parent never kills us.
                for i in 0..100_000 {
                    if Instant::now() > deadline {
                        break;
                    }
                    let key = format!("/crash/{round}/{task}/{i:06}");
                    store.create(&key, Bytes::from(key.clone())).await.unwrap();
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ack {key}").unwrap();
                    out.flush().unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

/// Kills the child on every path out of the test.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let mut acknowledged = Vec::new();
    for round in 0..ROUNDS {
        let child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "sqlite::crash_child_writer",
                "--nocapture",
            ])
            .env(CHILD_ENV, &db)
            .env("RKUBE_STORE_CRASH_ROUND", round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut child = KillOnDrop(child);
        let stdout = child.0.stdout.take().unwrap();
        let round_acks = tokio::task::spawn_blocking(move || {
            let mut lines = BufReader::new(stdout).lines();
            let mut acks = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(60);
            while acks.len() < ACKS_BEFORE_KILL && Instant::now() < deadline {
                match lines.next() {
                    Some(Ok(line)) => {
                        if let Some(key) = line.strip_prefix("ack ") {
                            acks.push(key.to_string());
                        }
                    }
                    _ => break,
                }
            }
            (acks, lines)
        })
        .await
        .unwrap();
        let (mut acks, lines) = round_acks;
        assert!(
            acks.len() >= ACKS_BEFORE_KILL,
            "round {round}: the child acknowledged only {} writes",
            acks.len()
        );
        // SIGKILL mid-stream, then take the acknowledgements already printed.
        child.0.kill().unwrap();
        child.0.wait().unwrap();
        for line in lines {
            let Ok(line) = line else { break };
            if let Some(key) = line.strip_prefix("ack ") {
                acks.push(key.to_string());
            }
        }
        eprintln!(
            "round {round}: {} writes acknowledged before SIGKILL",
            acks.len()
        );
        acknowledged.extend(acks);

        let conn = rusqlite::Connection::open(&db).unwrap();
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(integrity, "ok", "round {round}: the database is corrupt");
        drop(conn);

        let store = SqliteStore::open(&db, Config::default()).unwrap();
        for key in &acknowledged {
            let kv = store.get(key, 0).await.unwrap().kv;
            assert!(
                kv.is_some(),
                "round {round}: acknowledged key {key} was lost"
            );
        }
        let count = store.count("/crash/").await.unwrap();
        assert!(count >= acknowledged.len() as i64);
        let revision = store.current_revision().await.unwrap();
        assert_eq!(
            revision,
            1 + count,
            "one revision per stored create, none torn"
        );
        store.close().await.unwrap();
    }
}
