//! symguard: policy-as-code validation for Sym's AWS IAM access configuration.
//!
//! Each command owns its pipeline, and the pipeline reads like the product:
//!
//! - `check` (`check()`): load -> evaluate -> model -> rules (and Rego policies) ->
//!   suppressions -> report.
//! - `drift` (`drift()`): load -> model -> live read (or a snapshot) -> compare ->
//!   suppressions -> report.
//! - `remediate` (`remediation_plan`, `apply_plan`): drift's inputs -> removals -> plan -> apply.
//! - `snapshot` (`snapshot()`): load -> model -> live read -> a file `drift --state` reads.
//!
//! The layers below the commands (`load`, `eval`, `model`, `rules`, `live` ...) never call up
//! into a command or into this crate root; `report` renders the commands' results.

pub mod baseline;
pub mod catalogue;
pub mod changes;
pub mod check;
pub mod config;
pub mod drift;
pub mod duration;
pub mod error;
pub mod eval;
pub mod finding;
pub mod hcl;
pub mod live;
pub mod load;
pub mod membership;
pub mod model;
pub mod plan;
pub mod policy;
pub mod provider;
pub mod remediate;
pub mod report;
pub mod rules;
pub mod secrets;
pub mod snapshot;
pub mod source;
pub mod suppress;
pub mod value;

pub use catalogue::{catalogue, rule_doc_url};
pub use check::{check, model_documents, CheckOptions, CheckReport, VarOption};
pub use drift::{drift, LiveOptions};
pub use error::Error;
pub use finding::RuleInfo;
pub use remediate::{
    apply_plan, remediation_plan, saved_plan, ApplyError, Remediation, REMEDIATE_RULES,
};
pub use snapshot::snapshot;
