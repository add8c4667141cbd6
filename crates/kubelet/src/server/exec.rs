//! exec and attach: kubectl's remote-command protocols (WebSocket v5, SPDY) bridged to the runtime's streaming server.
