//! The operator's commands: `worker`, `jobs list|run|status`, `import FILE`. Tables go to
//! stdout, progress bars and hints to stderr. Exit codes ([`Exit`]): 0 done, 1 failed or
//! dead-lettered, 3 done but items were skipped or failed (the run's issues say why).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::watch;

use super::FlowName;
use super::runtime::Trigger;
use crate::config::Config;
use crate::server::{open_jobs, start_demo_sandbox};
use crate::store::{RunRecord, RunState, Store};

/// How a command ended, as the process's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Done = 0,
    Failed = 1,
    DoneWithIssues = 3,
}

impl Exit {
    fn of(run: &RunRecord) -> Exit {
        match run.state {
            RunState::Succeeded if run.counts.skipped + run.counts.failed > 0 => {
                Exit::DoneWithIssues
            }
            RunState::Succeeded => Exit::Done,
            _ => Exit::Failed,
        }
    }
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::open(&config.store, &config.session)
        .await
        .context("the state store cannot be opened (see [store] in the configuration)")
}

/// `worker`: every flow's worker and schedule, no HTTP server, until `stop` resolves.
pub async fn worker(
    mut config: Config,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let sandbox = start_demo_sandbox(&mut config).await?;
    let store = open_store(&config).await?;
    let jobs = open_jobs(&config, store.clone(), None).await?;
    tracing::info!(backend = ?store.backend(), "job worker started: every flow's worker and schedule");
    jobs.run_workers(&FlowName::ALL, true, stop).await?;
    store.close().await;
    if let Some(sandbox) = sandbox {
        sandbox.shutdown().await;
    }
    Ok(())
}

/// `jobs list`: each flow, its schedule, last run and next run.
pub async fn list(config: &Config) -> anyhow::Result<Exit> {
    let store = open_store(config).await?;
    let jobs = open_jobs(config, store.clone(), None).await?;
    // In the demo (no Commerce configured) `serve` points every flow at its embedded sandbox.
    let missing = |flow: FlowName| {
        (!config.uses_sandbox())
            .then(|| jobs.missing(flow))
            .flatten()
    };
    let mut rows = vec![[
        "FLOW".to_string(),
        "ENABLED".into(),
        "SCHEDULE (UTC)".into(),
        "NEXT RUN".into(),
        "LAST RUN".into(),
        "STATE".into(),
        "WATERMARK".into(),
    ]];
    for flow in FlowName::ALL {
        let settings = flow.settings(&config.jobs);
        let last = store.job_runs().recent(Some(flow.as_str()), 1).await?;
        let next = cron::Schedule::from_str(&settings.schedule)
            .ok()
            .and_then(|s| s.upcoming(chrono::Utc).next())
            .filter(|_| settings.enabled && missing(flow).is_none())
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "-".into());
        let (last_run, state) = match last.first() {
            Some(run) => (
                format!(
                    "{} ({})",
                    run.run_id,
                    time(run.finished_at.or(run.started_at))
                ),
                run.state.as_str().to_string(),
            ),
            None => ("never".into(), "-".into()),
        };
        let watermark = store
            .job_runs()
            .watermark(flow.as_str())
            .await?
            .unwrap_or_else(|| "-".into());
        let enabled = match missing(flow) {
            Some(option) => format!("needs {option}"),
            None if settings.enabled => "yes".into(),
            None => "no".into(),
        };
        rows.push([
            flow.as_str().into(),
            enabled,
            settings.schedule.clone(),
            next,
            last_run,
            state,
            watermark,
        ]);
    }
    print!("{}", table(&rows));
    for flow in FlowName::ALL {
        eprintln!("  {:<16} {}", flow.as_str(), flow.describe());
    }
    store.close().await;
    Ok(Exit::Done)
}

/// `jobs status [RUN_ID]`: the latest runs, or one run with its issues.
pub async fn status(config: &Config, run_id: Option<&str>) -> anyhow::Result<Exit> {
    let store = open_store(config).await?;
    let exit = match run_id {
        None => {
            let runs = store.job_runs().recent(None, 20).await?;
            if runs.is_empty() {
                eprintln!("no runs yet: `storefront-bff jobs run <flow>` starts one");
            } else {
                print!("{}", runs_table(&runs));
            }
            Exit::Done
        }
        Some(id) => match store.job_runs().get(id).await? {
            None => {
                eprintln!("no run `{id}`: `storefront-bff jobs status` lists the latest run ids");
                Exit::Failed
            }
            Some(run) => {
                print_run(&store, &run).await?;
                Exit::of(&run)
            }
        },
    };
    store.close().await;
    Ok(exit)
}

/// `jobs run NAME [--full] [--wait]`: queues a run; with `--wait`, runs this flow's worker in
/// this process too and follows the run with a progress bar until it ends.
pub async fn run(config: Config, name: &str, full: bool, wait: bool) -> anyhow::Result<Exit> {
    let Some(flow) = FlowName::parse(name) else {
        anyhow::bail!(
            "unknown flow `{name}`; the flows are: {}",
            FlowName::ALL.map(FlowName::as_str).join(", ")
        );
    };
    if !wait {
        let store = open_store(&config).await?;
        let jobs = open_jobs(&config, store.clone(), None).await?;
        let run_id = jobs.enqueue(flow, full, Trigger::Manual).await?;
        println!("{run_id}");
        eprintln!(
            "queued; a `serve` or `worker` process runs it. Follow it with `storefront-bff jobs status {run_id}`"
        );
        store.close().await;
        return Ok(Exit::Done);
    }
    let mut config = config;
    let sandbox = start_demo_sandbox(&mut config).await?;
    let store = open_store(&config).await?;
    let jobs = open_jobs(&config, store.clone(), None).await?;
    let run_id = jobs.enqueue(flow, full, Trigger::Manual).await?;
    eprintln!("run {run_id} queued");
    let (stop, stopped) = watch::channel(false);
    let workers = {
        let jobs = jobs.clone();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            jobs.run_workers(&[flow], false, async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await
        })
    };
    let run = follow(&store, &run_id).await;
    let _ = stop.send(true);
    match workers.await {
        Ok(Err(e)) => tracing::warn!(error = %e, "the worker stopped with an error"),
        Err(e) => tracing::warn!(error = %e, "the worker ended abnormally"),
        Ok(Ok(())) => {}
    }
    let exit = match run {
        Ok(run) => {
            print_run(&store, &run).await?;
            Exit::of(&run)
        }
        Err(e) => {
            eprintln!("storefront-bff: {e:#}");
            Exit::Failed
        }
    };
    store.close().await;
    if let Some(sandbox) = sandbox {
        sandbox.shutdown().await;
    }
    Ok(exit)
}

/// Polls the run record with a progress bar until the run is final.
async fn follow(store: &Store, run_id: &str) -> anyhow::Result<RunRecord> {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    loop {
        let Some(run) = store.job_runs().get(run_id).await? else {
            bar.finish_and_clear();
            anyhow::bail!("the run {run_id} disappeared from the store");
        };
        let c = run.counts;
        bar.set_message(format!(
            "{} · attempt {}/{} · read {} · written {} · skipped {} · failed {} · Commerce calls {}",
            run.state.as_str(),
            run.attempts,
            run.max_attempts,
            c.read,
            c.written,
            c.skipped,
            c.failed,
            c.commerce_calls
        ));
        if run.state.is_final() {
            bar.finish_and_clear();
            return Ok(run);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// One run in full: the summary table, then its issues.
async fn print_run(store: &Store, run: &RunRecord) -> anyhow::Result<()> {
    let c = run.counts;
    let rows = [
        ["run".to_string(), run.run_id.clone()],
        ["flow".into(), run.flow.clone()],
        [
            "trigger".into(),
            format!("{}{}", run.trigger, if run.full { " (full)" } else { "" }),
        ],
        ["state".into(), run.state.as_str().into()],
        [
            "attempts".into(),
            format!("{} of {}", run.attempts, run.max_attempts),
        ],
        ["queued".into(), time(Some(run.queued_at))],
        ["started".into(), time(run.started_at)],
        ["finished".into(), time(run.finished_at)],
        ["read".into(), c.read.to_string()],
        ["written".into(), c.written.to_string()],
        ["skipped".into(), c.skipped.to_string()],
        ["failed".into(), c.failed.to_string()],
        ["Commerce calls".into(), c.commerce_calls.to_string()],
        [
            "watermark before".into(),
            run.watermark_before.clone().unwrap_or_else(|| "-".into()),
        ],
        [
            "watermark after".into(),
            run.watermark_after.clone().unwrap_or_else(|| "-".into()),
        ],
        [
            "last error".into(),
            run.last_error.clone().unwrap_or_else(|| "-".into()),
        ],
    ];
    print!("{}", table(&rows));
    let issues = store.job_runs().issues(&run.run_id, 50).await?;
    if !issues.is_empty() {
        let mut rows = vec![["KIND".to_string(), "ITEM".into(), "REASON".into()]];
        rows.extend(
            issues
                .into_iter()
                .map(|i| [i.kind.to_string(), i.item, i.reason]),
        );
        println!();
        print!("{}", table(&rows));
        let total = c.skipped + c.failed;
        if total > 50 {
            println!(
                "… {} more (GET /admin/jobs/runs/{} lists up to 1000)",
                total - 50,
                run.run_id
            );
        }
    }
    Ok(())
}

fn runs_table(runs: &[RunRecord]) -> String {
    let mut rows = vec![[
        "RUN".to_string(),
        "STATE".into(),
        "ATTEMPTS".into(),
        "QUEUED".into(),
        "READ".into(),
        "WRITTEN".into(),
        "SKIPPED".into(),
        "FAILED".into(),
    ]];
    for run in runs {
        rows.push([
            run.run_id.clone(),
            run.state.as_str().into(),
            format!("{}/{}", run.attempts, run.max_attempts),
            time(Some(run.queued_at)),
            run.counts.read.to_string(),
            run.counts.written.to_string(),
            run.counts.skipped.to_string(),
            run.counts.failed.to_string(),
        ]);
    }
    table(&rows)
}

/// Left-aligned columns, two spaces apart; control characters (from a source's data) shown
/// as `?` so a row cannot rewrite the terminal.
fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect()
    };
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| clean(c)).collect())
        .collect();
    let mut widths = [0usize; N];
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn time(at: Option<i64>) -> String {
    at.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "-".into())
}

/// `import FILE`: checks every row, then imports the good ones through the catalog-content
/// path (`POST /V1/import/json`) as a run with a record, progress bar and summary. Running it
/// again for the same file resumes an unfinished import where it stopped.
pub async fn import(mut config: Config, file: &Path) -> anyhow::Result<Exit> {
    let checked = super::import_file::read(file)?;
    eprintln!(
        "{}: {} row(s) to import, {} skipped by the checks",
        file.display(),
        checked.rows.len(),
        checked.skipped.len()
    );
    let sandbox = start_demo_sandbox(&mut config).await?;
    let store = open_store(&config).await?;
    let jobs = open_jobs(&config, store.clone(), None).await?;
    let (started, run_id) = tokio::sync::oneshot::channel::<String>();
    let importing = {
        let jobs = jobs.clone();
        tokio::spawn(async move {
            jobs.run_import(&checked.sha256, &checked.rows, &checked.skipped, |id| {
                let _ = started.send(id.to_string());
            })
            .await
        })
    };
    let followed = match run_id.await {
        Ok(id) => Some(follow(&store, &id).await),
        Err(_) => None,
    };
    let run = importing
        .await
        .map_err(|e| anyhow::anyhow!("the import ended abnormally: {e}"))??;
    drop(followed);
    print_run(&store, &run).await?;
    store.close().await;
    if let Some(sandbox) = sandbox {
        sandbox.shutdown().await;
    }
    Ok(Exit::of(&run))
}
