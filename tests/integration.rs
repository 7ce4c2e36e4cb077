//! symguard's integration tests, one module per file beside this one, in one test binary:
//! each binary links the whole crate and the AWS SDK, and 23 of them took 600 MB of disk
//! and 23 links in every CI build (see `autotests` in Cargo.toml). Run one file's tests
//! with `cargo nextest run --test integration drift::`.

mod support;

mod action;
mod cli;
mod connectors;
mod corpus;
mod docs;
mod drift;
mod evaluation;
mod formats;
mod generated;
mod hostile;
mod layers;
mod mutations;
mod package;
mod policies;
mod precommit;
mod provenance;
mod provenance_formats;
mod release;
mod remediate;
mod schema;
mod secrets;
mod suppressions;
mod wheel;
