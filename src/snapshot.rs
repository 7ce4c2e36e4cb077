//! `symguard snapshot`: the live state of everything drift reads, to a file for offline
//! runs and evidence.

use crate::check::CheckOptions;
use crate::drift::{models, read_live, LiveOptions};
use crate::error::Error;
use crate::live;
use crate::rules::drift;

/// `symguard snapshot`: the live state of everything drift reads (of `--shard`'s groups).
pub fn snapshot(
    options: &CheckOptions,
    live_options: &LiveOptions,
) -> Result<live::LiveState, Error> {
    let workspace = crate::check::load_workspace(options)?;
    let models = models(&workspace, options)?;
    let only_models: Vec<_> = models.iter().map(|(m, _)| m).collect();
    let plan = drift::read_plan(&only_models, live_options.shard);
    let mut state = read_live(&plan, live_options, &models)?;
    state.shard = live_options.shard.map(|s| s.to_string());
    Ok(state)
}
