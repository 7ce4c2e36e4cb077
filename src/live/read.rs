//! Reading the live state from AWS: every account of a read plan concurrently, under one
//! limit on requests in flight, with a progress bar on a terminal.

use crate::live;

/// Reads every account of the plan concurrently, sharing one limit on requests in flight:
/// the credentials' own account, and each other declared account through
/// `--role-template`, or none of them (skipped) without it.
pub(crate) async fn read_accounts(
    plan: &live::ReadPlan,
    connection: &live::aws::Connection,
    history: &crate::membership::HistoryWindow,
) -> Result<live::LiveState, live::aws::LiveError> {
    use live::aws::Session;
    let base = Session::connect(connection, connection.assume_role.as_deref()).await?;
    let mut state = live::LiveState {
        version: live::SNAPSHOT_VERSION,
        account: base.account.clone(),
        taken_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        ..live::LiveState::default()
    };
    let mut plans = plan.accounts.clone();
    let own = plans.remove(&None).unwrap_or_default();
    plans
        .entry(Some(base.account.clone()))
        .or_default()
        .merge(own);
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(connection.concurrency.max(1)));
    let progress = progress_bar();
    let mut reads = tokio::task::JoinSet::new();
    let mut base = Some(base);
    for (account, plan) in plans.into_iter().filter_map(|(a, p)| Some((a?, p))) {
        let own = (account == state.account).then(|| base.take()).flatten();
        let (connection, limit, progress) = (connection.clone(), limit.clone(), progress.clone());
        let history = history.clone();
        reads.spawn(async move {
            let session = match own {
                Some(session) => Some(session),
                None => Session::connect_account(&connection, &account).await?,
            };
            // No session: another account and no --role-template to reach it.
            let read = match session {
                Some(session) => Some(session.read(&plan, &history, &limit, &progress).await?),
                None => None,
            };
            Ok::<_, live::aws::LiveError>((account, read))
        });
    }
    while let Some(joined) = reads.join_next().await {
        let (account, read) = joined.map_err(|e| live::aws::LiveError::Failed {
            action: "reading IAM",
            detail: e.to_string(),
        })??;
        match read {
            Some(read) => {
                state.accounts.insert(account, read);
            }
            None => {
                state.skipped_accounts.insert(account);
            }
        }
    }
    progress.finish_and_clear();
    Ok(state)
}

/// Counts groups, scopes and roles read. It stays hidden unless stderr is a terminal and
/// the read has taken more than a second, so quick runs and logs show no bar.
fn progress_bar() -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    let progress = indicatif::ProgressBar::hidden();
    if std::io::stderr().is_terminal() {
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("reading IAM {wide_bar} {pos}/{len} {elapsed}")
        {
            progress.set_style(style);
        }
        let shown = progress.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            if !shown.is_finished() {
                shown.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
        });
    }
    progress
}
