//! The rkube API server.
