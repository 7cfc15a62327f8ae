//! Security tests: secrets stay in the Secret Service and encrypted stores; none leaks into
//! a file or a log line.

mod default_log;
mod fixture;
mod markers;
mod media_markers;
mod recovery_key;
mod scan;
mod secrets_at_rest;
