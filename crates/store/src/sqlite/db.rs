//! SQLite schema, connection setup and the read queries shared by readers and the writer.
//!
//! The layout follows kine: `kv` is the history, one row per revision, with the
//! key, the value, the key's create revision, the revision of the key's previous
//! row (`prev_rev`, 0 if none) and a `deleted` flag for tombstones. `current`
//! maps every live key to the revision of its latest row so latest reads never
//! scan history, and `meta` holds the store revision and the compacted revision.
//!
//! Keys are stored as BLOBs so that SQLite compares them bytewise, exactly as
//! etcd orders keys (and so that a prefix's range end, which need not be UTF-8,
//! can be bound as a parameter).

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::{Event, EventKind, KeyValue, Revision, StoreError};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kv (
    rev INTEGER PRIMARY KEY,
    key BLOB NOT NULL,
    value BLOB NOT NULL,
    create_rev INTEGER NOT NULL,
    prev_rev INTEGER NOT NULL,
    deleted INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS kv_key_rev ON kv (key, rev);
CREATE TABLE IF NOT EXISTS current (
    key BLOB PRIMARY KEY,
    rev INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
-- An empty store is at revision 1, as in etcd: the first write gets revision 2.
INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 1), ('compacted', 0);
";

/// How long a connection waits for a lock held by another connection (a
/// checkpoint, or another process opening the file) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens the write connection: WAL, `synchronous=FULL` (a commit returns only
/// once the WAL is fsynced), and the schema created if missing.
pub(crate) fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::InvalidRequest(format!(
            "sqlite database {} cannot use WAL mode (got {mode})",
            path.display()
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// Opens a read connection on a database the writer has already set up.
pub(crate) fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// The store revision and the compacted revision, as of the connection's snapshot.
pub(crate) fn read_meta(conn: &Connection) -> Result<(Revision, Revision), StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT name, value FROM meta WHERE name IN ('revision', 'compacted')")?;
    let mut revision = None;
    let mut compacted = None;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let name: String = row.get(0)?;
        let value: i64 = row.get(1)?;
        match name.as_str() {
            "revision" => revision = Some(value),
            "compacted" => compacted = Some(value),
            _ => {}
        }
    }
    match (revision, compacted) {
        (Some(revision), Some(compacted)) => Ok((revision, compacted)),
        _ => Err(StoreError::InvalidRequest(
            "sqlite store is missing its meta rows".to_string(),
        )),
    }
}

pub(crate) fn write_meta(conn: &Connection, name: &str, value: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE meta SET value = ?2 WHERE name = ?1")?
        .execute(params![name, value])?;
    Ok(())
}

/// Checks that `revision` (non-zero) can be read: not compacted, not in the future.
pub(crate) fn check_revision(
    revision: Revision,
    current: Revision,
    compacted: Revision,
) -> Result<(), StoreError> {
    if revision < compacted {
        return Err(StoreError::Compacted {
            requested: revision,
            compacted,
        });
    }
    if revision > current {
        return Err(StoreError::FutureRevision {
            requested: revision,
            current,
        });
    }
    Ok(())
}

/// One row of `kv`.
#[derive(Clone, Debug)]
pub(crate) struct HistoryRow {
    pub rev: Revision,
    pub key: String,
    pub value: Bytes,
    pub create_rev: Revision,
    pub prev_rev: Revision,
    pub deleted: bool,
}

impl HistoryRow {
    pub(crate) const COLUMNS: &'static str =
        "kv.rev, kv.key, kv.value, kv.create_rev, kv.prev_rev, kv.deleted";

    /// Reads the six columns of [`Self::COLUMNS`] starting at `offset`.
    pub(crate) fn from_row(row: &Row<'_>, offset: usize) -> rusqlite::Result<Self> {
        let key: Vec<u8> = row.get(offset + 1)?;
        let key = String::from_utf8(key).map_err(|error| {
            rusqlite::Error::FromSqlConversionFailure(
                offset + 1,
                rusqlite::types::Type::Blob,
                Box::new(error),
            )
        })?;
        let value: Vec<u8> = row.get(offset + 2)?;
        Ok(HistoryRow {
            rev: row.get(offset)?,
            key,
            value: Bytes::from(value),
            create_rev: row.get(offset + 3)?,
            prev_rev: row.get(offset + 4)?,
            deleted: row.get(offset + 5)?,
        })
    }

    /// The key-value this row holds (meaningless for a tombstone).
    pub(crate) fn key_value(&self) -> KeyValue {
        KeyValue {
            key: self.key.clone(),
            value: self.value.clone(),
            create_revision: self.create_rev,
            mod_revision: self.rev,
        }
    }
}

/// The query of [`latest`]. A subquery rather than a join: SQLite recompiled
/// the join form on every execution (a tenth of a create's CPU time).
fn latest_sql() -> String {
    format!(
        "SELECT {} FROM kv WHERE kv.rev = (SELECT rev FROM current WHERE key = ?1)",
        HistoryRow::COLUMNS
    )
}

/// The latest live row of `key`.
pub(crate) fn latest(conn: &Connection, key: &str) -> Result<Option<HistoryRow>, StoreError> {
    let row = conn
        .prepare_cached(&latest_sql())?
        .query_row([key.as_bytes()], |row| HistoryRow::from_row(row, 0))
        .optional()?;
    Ok(row)
}

/// The value of `key` at `revision` (which the caller checked is readable).
pub(crate) fn at_revision(
    conn: &Connection,
    key: &str,
    revision: Revision,
) -> Result<Option<HistoryRow>, StoreError> {
    let sql = format!(
        "SELECT {} FROM kv WHERE kv.key = ?1 AND kv.rev <= ?2 ORDER BY kv.rev DESC LIMIT 1",
        HistoryRow::COLUMNS
    );
    let row = conn
        .prepare_cached(&sql)?
        .query_row(params![key.as_bytes(), revision], |row| {
            HistoryRow::from_row(row, 0)
        })
        .optional()?;
    Ok(row.filter(|row| !row.deleted))
}

/// Bounds of a key range: `[start, end)`, or `[start, ∞)` when `end` is `None`.
#[derive(Clone, Debug)]
pub(crate) struct KeyBounds {
    pub start: Vec<u8>,
    pub end: Option<Vec<u8>>,
}

impl KeyBounds {
    /// Every key that starts with `prefix`, from `start` on.
    pub(crate) fn prefix(prefix: &str, start: Option<&str>) -> Self {
        let end = if prefix.is_empty() {
            None
        } else {
            let end = crate::prefix_range_end(prefix);
            // An all-0xff prefix has no upper bound, which etcd spells "\0".
            (end != [0]).then_some(end)
        };
        KeyBounds {
            start: start.unwrap_or(prefix).as_bytes().to_vec(),
            end,
        }
    }

    pub(crate) fn contains(&self, key: &str) -> bool {
        let key = key.as_bytes();
        key >= self.start.as_slice() && self.end.as_deref().is_none_or(|end| key < end)
    }

    /// The upper bound as a parameter: a key greater than any real key is
    /// impossible to spell, so an open range binds NULL.
    fn end_param(&self) -> Option<&[u8]> {
        self.end.as_deref()
    }

    /// The SQL condition for the upper bound on `column`, with the bound as
    /// parameter `?{param}`. Written out per case (rather than `?N IS NULL OR
    /// column < ?N`) so that SQLite can use the bound to stop an index scan.
    fn end_clause(&self, column: &str, param: usize) -> String {
        match self.end {
            Some(_) => format!("{column} < ?{param}"),
            None => format!("?{param} IS NULL"),
        }
    }
}

/// Live keys in `bounds` at `revision` (None = latest), in key order, at most
/// `limit` of them (0 = all), and the number of keys in `bounds`.
pub(crate) fn range(
    conn: &Connection,
    bounds: &KeyBounds,
    revision: Option<Revision>,
    limit: usize,
) -> Result<(Vec<KeyValue>, i64), StoreError> {
    let limit = if limit == 0 {
        -1
    } else {
        i64::try_from(limit).unwrap_or(-1)
    };
    let end = bounds.end_param();
    let (rows, count) = match revision {
        None => {
            let sql = format!(
                "SELECT {} FROM current JOIN kv ON kv.rev = current.rev \
                 WHERE current.key >= ?1 AND {} ORDER BY current.key LIMIT ?3",
                HistoryRow::COLUMNS,
                bounds.end_clause("current.key", 2)
            );
            let rows = conn
                .prepare_cached(&sql)?
                .query_map(params![bounds.start, end, limit], |row| {
                    HistoryRow::from_row(row, 0)
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            (rows, count_latest(conn, bounds)?)
        }
        Some(revision) => {
            // For each key, its latest row at `revision`; tombstones drop out.
            let latest_at = format!(
                "SELECT max(rev) AS rev FROM kv WHERE key >= ?1 AND {} AND rev <= ?3 GROUP BY key",
                bounds.end_clause("key", 2)
            );
            let sql = format!(
                "SELECT {} FROM ({latest_at}) AS latest JOIN kv ON kv.rev = latest.rev \
                 WHERE kv.deleted = 0 ORDER BY kv.key LIMIT ?4",
                HistoryRow::COLUMNS
            );
            let rows = conn
                .prepare_cached(&sql)?
                .query_map(params![bounds.start, end, revision, limit], |row| {
                    HistoryRow::from_row(row, 0)
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let count_sql = format!(
                "SELECT count(*) FROM ({latest_at}) AS latest JOIN kv ON kv.rev = latest.rev \
                 WHERE kv.deleted = 0"
            );
            let count: i64 = conn
                .prepare_cached(&count_sql)?
                .query_row(params![bounds.start, end, revision], |row| row.get(0))?;
            (rows, count)
        }
    };
    Ok((rows.iter().map(HistoryRow::key_value).collect(), count))
}

/// The number of live keys in `bounds` at the latest revision.
pub(crate) fn count_latest(conn: &Connection, bounds: &KeyBounds) -> Result<i64, StoreError> {
    let sql = format!(
        "SELECT count(*) FROM current WHERE key >= ?1 AND {}",
        bounds.end_clause("key", 2)
    );
    let count = conn
        .prepare_cached(&sql)?
        .query_row(params![bounds.start, bounds.end_param()], |row| row.get(0))?;
    Ok(count)
}

/// Events in `bounds` with revision in `(after, up_to]`, in revision order, at
/// most `limit` of them, each with its previous key-value.
pub(crate) fn history(
    conn: &Connection,
    bounds: &KeyBounds,
    after: Revision,
    up_to: Revision,
    limit: usize,
) -> Result<Vec<Event>, StoreError> {
    let sql = format!(
        "SELECT {}, prev.rev, prev.key, prev.value, prev.create_rev, prev.prev_rev, prev.deleted \
         FROM kv LEFT JOIN kv AS prev ON prev.rev = kv.prev_rev \
         WHERE kv.rev > ?1 AND kv.rev <= ?2 AND kv.key >= ?3 AND {} \
         ORDER BY kv.rev LIMIT ?5",
        HistoryRow::COLUMNS,
        bounds.end_clause("kv.key", 4)
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![after, up_to, bounds.start, bounds.end_param(), limit],
        |row| {
            let current = HistoryRow::from_row(row, 0)?;
            let prev_rev: Option<Revision> = row.get(6)?;
            let prev = match prev_rev {
                Some(_) => Some(HistoryRow::from_row(row, 6)?),
                None => None,
            };
            Ok((current, prev))
        },
    )?;
    let mut events = Vec::new();
    for row in rows {
        let (current, prev) = row?;
        let prev_kv = prev
            .filter(|prev| !prev.deleted)
            .map(|prev| prev.key_value());
        events.push(event_of(&current, prev_kv));
    }
    Ok(events)
}

/// The watch event a history row stands for.
pub(crate) fn event_of(row: &HistoryRow, prev_kv: Option<KeyValue>) -> Event {
    if row.deleted {
        Event {
            kind: EventKind::Delete,
            kv: KeyValue {
                key: row.key.clone(),
                value: Bytes::new(),
                create_revision: 0,
                mod_revision: row.rev,
            },
            prev_kv,
        }
    } else {
        Event {
            kind: EventKind::Put,
            kv: row.key_value(),
            prev_kv,
        }
    }
}

/// A copy of a rusqlite error, for answering every request of a failed batch.
pub(crate) fn copy_error(error: &rusqlite::Error) -> rusqlite::Error {
    match error {
        rusqlite::Error::SqliteFailure(code, message) => {
            rusqlite::Error::SqliteFailure(*code, message.clone())
        }
        other => rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(other.to_string()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_row_query_is_compiled_once() {
        let dir = std::env::temp_dir().join(format!("rkube-latest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let conn = open_writer(&dir.join("db.sqlite")).expect("open");
        for i in 0..20 {
            let key = format!("/registry/k/{i}");
            assert!(latest(&conn, &key).expect("latest").is_none());
            conn.execute(
                "INSERT INTO kv (rev, key, value, create_rev, prev_rev, deleted) \
                 VALUES (?1, ?2, x'00', ?1, 0, 0)",
                params![i + 10, key.as_bytes()],
            )
            .expect("insert");
            conn.execute(
                "INSERT INTO current (key, rev) VALUES (?1, ?2)",
                params![key.as_bytes(), i + 10],
            )
            .expect("insert");
            let row = latest(&conn, &key).expect("latest").expect("a row");
            assert_eq!(row.rev, i + 10);
        }
        let statement = conn.prepare_cached(&latest_sql()).expect("prepare");
        assert_eq!(
            statement.get_status(rusqlite::StatementStatus::RePrepare),
            0
        );
        drop(statement);
        drop(conn);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
