//! The Rego policies of a check: loaded once, and the input document each root's policies see
//! (also what `symguard model` prints).

use super::{inputs, secrets_of, CheckOptions};
use crate::config;
use crate::error::Error;
use crate::{model, policy};

/// The policies of `--policy` and of the configurations' `[policy] paths`, parsed once;
/// `None` when there are none.
pub(super) fn load_policies<'c>(
    options: &CheckOptions,
    configs: impl IntoIterator<Item = &'c std::sync::Arc<config::Config>>,
) -> Result<Option<policy::Policies>, Error> {
    let mut paths = options.policies.clone();
    for config in configs {
        paths.extend(policy::config_paths(config));
    }
    if paths.is_empty() {
        return Ok(None);
    }
    policy::Policies::load(&paths)
        .map(Some)
        .map_err(Error::Policy)
}

/// The document a root's policies see: its model, and its configuration's `[policy] params`.
pub(super) fn policy_input(
    model: &model::Model,
    root: &str,
    config: &config::Config,
) -> serde_json::Value {
    let mut input = policy::input::document(model, root);
    input["params"] = config.policy_params.clone();
    input
}

/// `symguard model`: the policy input document of every root under the paths.
pub fn model_documents(options: &CheckOptions) -> Result<Vec<serde_json::Value>, Error> {
    let workspace = crate::check::load_workspace(options)?;
    let inputs = inputs(options)?;
    let mut resolver = crate::check::config_resolver(options)?;
    workspace
        .roots()
        .into_iter()
        .map(|root| {
            let config = resolver.for_dir(&workspace.modules[root].dir)?;
            let model = model::Model::build(&workspace, root, &inputs);
            let mut document = policy_input(&model, &workspace.modules[root].display, &config);
            secrets_of(&model.dirs, &inputs).redact_json(&mut document);
            Ok(document)
        })
        .collect()
}
