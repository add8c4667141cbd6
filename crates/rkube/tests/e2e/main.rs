//! End-to-end tests: the real `rkube` binary driven by the real kubectl.

mod node_support;
mod support;

mod admission;
mod apply;
mod auth;
mod crd;
mod daemonsets;
mod discovery;
mod endpoints;
mod errors;
mod etcd;
mod events;
mod gc;
mod hollow;
mod jobs;
mod kubelet_server;
mod leader;
mod node_lifecycle;
mod nodeipam;
mod objects;
mod openapi;
mod patching;
mod persistence;
mod pods;
mod printing;
mod python;
mod rbac_escalation;
mod scale_apply;
mod scheduler;
mod statefulsets;
mod subresources;
mod transport;
mod watch;
mod workloads;
mod write_responses;
