//! What the benchmarks share besides the test harness.

pub mod app;
