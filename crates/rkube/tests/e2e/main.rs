//! End-to-end tests: the real `rkube` binary driven by the real kubectl.

mod support;

mod discovery;
mod etcd;
mod errors;
mod objects;
mod persistence;
mod watch;
