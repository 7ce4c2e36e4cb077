//! What a check reads besides the Terraform: `--var` and `--var-file` values, the secrets to
//! scrub from messages, and the configuration beside an input file.

use super::{CheckOptions, VarOption};
use crate::config;
use crate::error::Error;
use crate::eval::{Inputs, VarArg};
use crate::{load, secrets};

/// Reads `--var-file`s; one that does not parse stops the run, as in Terraform.
pub(crate) fn inputs(options: &CheckOptions) -> Result<Inputs, Error> {
    let mut args = Vec::new();
    for var in &options.vars {
        args.push(match var {
            VarOption::Assign(name, value) => VarArg::Assign(name.clone(), value.clone()),
            VarOption::File(path) => {
                let file = load::parse_file(path)?;
                if file.encrypted {
                    return Err(Error::VarFile(format!(
                        "{}: encrypted with git-crypt; unlock the repository (git-crypt unlock) to read it",
                        file.source.display
                    )));
                }
                if let Err(e) = &file.body {
                    let (line, column) = e.loc.start();
                    return Err(Error::VarFile(format!(
                        "{}:{line}:{column}: {}",
                        file.source.display, e.message
                    )));
                }
                VarArg::File(file)
            }
        });
    }
    Ok(Inputs {
        env: options.env.clone(),
        args,
    })
}

/// The secret values of a root's modules (`Model::dirs`) and of the values given to its
/// sensitive variables, to scrub from its messages (see `secrets`). Per root: a finding's
/// message holds values of its own root only, and a value secret in one root of a
/// monorepo (a unit `"hours"` under `token_validity_units.access_token`) scrubbed from
/// every other root's messages turned `hours_of_operation` into `(sensitive)_of_operation`.
pub(super) fn secrets_of(modules: &[&load::ModuleDir], inputs: &Inputs) -> secrets::Secrets {
    let sensitive: std::collections::BTreeSet<&str> = modules
        .iter()
        .flat_map(|m| m.sensitive_variables.iter().map(String::as_str))
        .collect();
    let mut values: Vec<String> = modules
        .iter()
        .flat_map(|m| m.secret_values.iter().cloned())
        .collect();
    for (name, value) in &inputs.env {
        if sensitive.contains(name.trim_start_matches("TF_VAR_")) {
            values.push(value.clone());
        }
    }
    for arg in &inputs.args {
        match arg {
            VarArg::Assign(name, value) if sensitive.contains(name.as_str()) => {
                values.push(value.clone());
            }
            VarArg::File(file) => {
                if let Ok(body) = &file.body {
                    let names = sensitive.iter().map(|s| s.to_string()).collect();
                    values.extend(match file.json_vars.is_empty() {
                        true => secrets::find(body, &names).1,
                        false => secrets::find_in_json_vars(&file.json_vars, &names).1,
                    });
                }
            }
            VarArg::Assign(..) => {}
        }
    }
    secrets::Secrets::new(values)
}

/// The configuration for an input file: `--config`, or the `symguard.toml` nearest to it.
pub(crate) fn config_beside(
    path: &std::path::Path,
    options: &CheckOptions,
) -> Result<std::sync::Arc<config::Config>, Error> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    Ok(crate::check::config_resolver(options)?.for_dir(dir)?)
}
