//! End-to-end tests: the real `rkube` binary driven by the real kubectl.

mod support;

mod apply;
mod auth;
mod crd;
mod discovery;
mod errors;
mod etcd;
mod events;
mod gc;
mod hollow;
mod objects;
mod openapi;
mod patching;
mod persistence;
mod printing;
mod python;
mod scheduler;
mod subresources;
mod transport;
mod watch;
mod workloads;
