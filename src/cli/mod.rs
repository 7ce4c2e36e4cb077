//! The command line's parts shared by several commands, and the commands' front ends.

pub mod args;
pub mod generate;
pub mod output;
pub mod policy;
pub mod remediate;
