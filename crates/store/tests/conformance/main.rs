//! Integration tests of both backends: the conformance suite (`store::testing`)
//! against SQLite and against real etcd (one member and three), and a crash
//! test of the SQLite backend.

mod etcd;
mod sqlite;
