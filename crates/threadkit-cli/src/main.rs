//! The `threadkit` command.

fn main() {}
