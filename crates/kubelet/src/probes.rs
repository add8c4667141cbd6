//! Probes: liveness, readiness and startup checks (exec, httpGet, tcpSocket, grpc).
