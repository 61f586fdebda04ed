//! `authctl` (being written).

fn main() {}
