//! The rkube binary.
fn main() {}
