//! A small pool of read connections, used on blocking threads.
//!
//! In WAL mode readers never wait for the writer: each read runs in its own
//! transaction and sees the snapshot of the last commit before it began. A
//! semaphore bounds how many reads run at once (and so how many connections
//! exist); idle connections are kept for reuse.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::db;
use crate::StoreError;

pub(crate) struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl ReadPool {
    pub(crate) fn new(path: PathBuf, size: usize) -> Self {
        ReadPool {
            path,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(size.max(1))),
        }
    }

    /// Runs `read` on a blocking thread, inside one read transaction, so that
    /// everything it reads is consistent at one revision.
    pub(crate) async fn run<T, F>(self: &Arc<Self>, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        // The permit moves into the blocking task: a caller that gives up does
        // not free a slot while its read still runs.
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Closed)?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut conn = pool.take()?;
            let result = (|| {
                let tx = conn.transaction()?;
                let value = read(&tx)?;
                // Read-only: ending it either way releases the snapshot.
                tx.finish()?;
                Ok(value)
            })();
            pool.give_back(conn);
            result
        })
        .await
        .map_err(|error| {
            tracing::error!(%error, "sqlite read task failed");
            StoreError::Closed
        })?
    }

    fn take(&self) -> Result<Connection, StoreError> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match idle {
            Some(conn) => Ok(conn),
            None => db::open_reader(&self.path),
        }
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(conn);
        }
    }
}
