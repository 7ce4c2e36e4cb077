//! The problems that stop a run (exit code 2), whatever the command.

use crate::config::ConfigError;
use crate::live;
use crate::load::LoadError;
use std::fmt;

/// A problem that stops the run (exit code 2).
#[derive(Debug)]
pub enum Error {
    Load(LoadError),
    Config(ConfigError),
    VarFile(String),
    Plan(String),
    /// A grants file or snapshot that cannot be used.
    Input(String),
    Live(live::aws::LiveError),
    /// A policy that cannot be loaded.
    Policy(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Load(e) => e.fmt(f),
            Error::Config(e) => e.fmt(f),
            Error::VarFile(message)
            | Error::Plan(message)
            | Error::Input(message)
            | Error::Policy(message) => f.write_str(message),
            Error::Live(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

impl From<LoadError> for Error {
    fn from(e: LoadError) -> Error {
        Error::Load(e)
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Error {
        Error::Config(e)
    }
}
