//! The kubelet HTTPS server: healthz, pods, logs, exec, attach, port-forward, metrics and stats.
