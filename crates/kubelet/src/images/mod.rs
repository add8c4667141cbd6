//! Images: building OCI image tarballs, importing them into the runtime, and the pause image.
