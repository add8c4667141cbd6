//! port-forward: kubectl's port-forward protocols bridged to the runtime's streaming server.
