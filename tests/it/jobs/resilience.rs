//! When Commerce fails: bounded retries with backoff, then dead-letter, visible in `jobs status`
//! and the admin endpoint; when the worker process is killed: the run resumes from its cursor.

use std::time::Duration;

use sandbox::{Faults, SandboxConfig};
use serde_json::Value;
use storefront_bff::jobs::FlowName;
use storefront_bff::jobs::runtime::Trigger;
use storefront_bff::store::RunState;

use super::harness::{BINARY, Db, Harness, WorkerProcess, env_for, wait_final, wait_for};
use crate::support::TestApp;

#[tokio::test]
async fn commerce_answering_5xx_is_retried_then_the_run_is_dead_lettered() {
    for db in [Db::Sqlite, Db::Postgres] {
        let h = Harness::start(db).await;
        h.sandbox.sandbox.set_faults(Faults {
            error_rate: 1.0,
            ..Faults::default()
        });
        let run = h.run(FlowName::InventoryDelta, false).await;
        assert_eq!(run.state, RunState::Dead, "{db:?}: {run:?}");
        assert_eq!(
            run.attempts, 3,
            "{db:?}: jobs.max_attempts bounds the attempts"
        );
        let error = run.last_error.clone().unwrap_or_default();
        assert!(
            error.contains("HTTP 5"),
            "{db:?}: the error names Commerce's answer: {error}"
        );
        assert!(run.finished_at.is_some());

        // `jobs status RUN_ID` shows it, with exit code 1.
        let output = tokio::process::Command::new(BINARY)
            .args(["jobs", "status", &run.run_id])
            .envs(h.location.env())
            .env(
                "BFF_SESSION__SECRET",
                "a session secret of at least thirty-two characters",
            )
            .output()
            .await
            .expect("jobs status runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "{stdout}");
        assert!(
            stdout.contains("dead") && stdout.contains("3 of 3"),
            "{stdout}"
        );
        assert!(stdout.contains("HTTP 5"), "{stdout}");
        h.shutdown().await;
    }
}

#[tokio::test]
async fn bulk_operations_that_keep_failing_retriably_are_resubmitted_then_dead_lettered() {
    let h = Harness::start(Db::Sqlite).await;
    h.sandbox.sandbox.set_bulk_faults(sandbox::BulkFaults {
        retriable_rate: 1.0,
        failing_skus: Vec::new(),
    });
    let run = h.run(FlowName::ProductMaster, true).await;
    assert_eq!(run.state, RunState::Dead, "{run:?}");
    assert_eq!(run.attempts, 3);
    let error = run.last_error.clone().unwrap_or_default();
    assert!(
        error.contains("still failing after 3 resubmissions"),
        "{error}"
    );
    // Each attempt resubmitted the failed operations alone: per attempt one bulk, three
    // resubmissions, each polled at least once.
    let journal = h.sandbox.sandbox.rest_journal();
    let bulks = journal
        .iter()
        .filter(|e| e.path.contains("/async/bulk/"))
        .count();
    assert!(bulks >= 3 * 4, "{bulks} bulk submissions");
    h.shutdown().await;
}

#[tokio::test]
async fn a_commerce_slower_than_the_deadline_is_retried_then_dead_lettered() {
    let h = Harness::start_with(Db::Sqlite, SandboxConfig::default(), |c| {
        c.commerce.timeout_ms = 200;
    })
    .await;
    h.sandbox.sandbox.set_faults(Faults {
        latency_ms: 1_000,
        ..Faults::default()
    });
    let run = h.run(FlowName::InventoryDelta, false).await;
    assert_eq!(run.state, RunState::Dead, "{run:?}");
    assert_eq!(run.attempts, 3);
    let error = run.last_error.clone().unwrap_or_default();
    assert!(error.contains("could not be reached"), "{error}");
    h.shutdown().await;
}

#[tokio::test]
async fn a_flaky_commerce_costs_retries_but_the_run_succeeds() {
    let h = Harness::start_with(Db::Sqlite, SandboxConfig::default(), |c| {
        c.jobs.max_attempts = 5;
    })
    .await;
    // Down for the first attempt only: the second one, after the backoff, goes through.
    h.sandbox.sandbox.set_faults(Faults {
        down: true,
        ..Faults::default()
    });
    let run_id = h
        .jobs
        .enqueue(FlowName::InventoryDelta, false, Trigger::Manual)
        .await
        .expect("queued");
    let store = h.store.clone();
    let sandbox = h.sandbox.sandbox.clone();
    let heal = tokio::spawn(async move {
        wait_for(&store, &run_id, Duration::from_secs(30), |r| {
            r.state == RunState::Retrying
        })
        .await;
        sandbox.set_faults(Faults::default());
        run_id
    });
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let jobs = h.jobs.clone();
    let worker = tokio::spawn(async move {
        jobs.run_workers(&[FlowName::InventoryDelta], false, async move {
            let _ = stopped.wait_for(|s| *s).await;
        })
        .await
    });
    let run_id = heal.await.expect("healed");
    let run = wait_final(&h.store, &run_id, Duration::from_secs(60)).await;
    let _ = stop.send(true);
    let _ = worker.await;
    assert_eq!(run.state, RunState::Succeeded, "{run:?}");
    assert!(run.attempts >= 2, "{run:?}");
    h.shutdown().await;
}

#[tokio::test]
async fn the_admin_endpoint_shows_dead_runs_only_with_the_token() {
    const TOKEN: &str = "an-admin-token-of-24-characters-at-least";
    let app = TestApp::start_with(
        |c| {
            c.jobs.workers = true;
            c.commerce.admin_username = sandbox::demo::ADMIN_USER.0.to_string();
            c.commerce.admin_password = Some(sandbox::demo::ADMIN_USER.1.to_string().into());
            c.jobs.admin_token = Some(TOKEN.to_string().into());
            c.jobs.max_attempts = 2;
            c.jobs.backoff_min_ms = 20;
            c.jobs.backoff_max_ms = 40;
            c.jobs.heartbeat_secs = 1;
            c.jobs.poll_ms = 50;
        },
        Vec::new(),
    )
    .await;
    app.sandbox.sandbox.set_faults(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    let jobs = app.app.jobs().expect("serve runs the workers");
    let run_id = jobs
        .enqueue(FlowName::InventoryDelta, false, Trigger::Manual)
        .await
        .expect("queued");
    let run = wait_final(&app.app.state.store, &run_id, Duration::from_secs(60)).await;
    assert_eq!(run.state, RunState::Dead);
    let http = reqwest::Client::new();
    let url = format!("{}/admin/jobs/runs/{run_id}", app.app.url());
    assert_eq!(http.get(&url).send().await.expect("answers").status(), 401);
    let wrong = http
        .get(&url)
        .bearer_auth("an-admin-token-of-24-characters-at-leasX");
    assert_eq!(wrong.send().await.expect("answers").status(), 401);
    let body: Value = http
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(body["run"]["state"], "dead", "{body}");
    assert_eq!(body["run"]["attempts"], 2, "{body}");
    assert!(
        body["run"]["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("HTTP 5"),
        "{body}"
    );
    let list: Value = http
        .get(format!("{}/admin/jobs?flow=inventory_delta", app.app.url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(list["runs"][0]["run_id"], run_id.as_str(), "{list}");
    assert_eq!(list["flows"].as_array().map(Vec::len), Some(4), "{list}");
    app.shutdown().await;
}

#[tokio::test]
async fn without_an_admin_token_the_admin_endpoint_does_not_exist() {
    let app = TestApp::start().await;
    let answer = reqwest::get(format!("{}/admin/jobs", app.app.url()))
        .await
        .expect("answers");
    assert_eq!(answer.status(), 404);
    app.shutdown().await;
}

/// Starts a worker process, waits until the run has recorded some progress but not finished,
/// kills it with SIGKILL, starts another one, and returns the finished run.
pub async fn kill_mid_run_and_resume(
    h: &Harness,
    flow: FlowName,
    full: bool,
) -> storefront_bff::store::RunRecord {
    let run_id = h
        .jobs
        .enqueue(flow, full, Trigger::Manual)
        .await
        .expect("queued");
    let env = env_for(&h.sandbox, &h.location);
    let first = WorkerProcess::spawn(&env);
    let progressed = wait_for(&h.store, &run_id, Duration::from_secs(60), |r| {
        r.counts.written > 0 || r.state.is_final()
    })
    .await;
    assert_eq!(
        progressed.state,
        RunState::Running,
        "the run must still be going when killed: {progressed:?}"
    );
    first.kill_9();
    let stuck = h
        .store
        .job_runs()
        .get(&run_id)
        .await
        .expect("reads")
        .expect("exists");
    assert_eq!(
        stuck.state,
        RunState::Running,
        "a killed worker leaves its run running"
    );
    let second = WorkerProcess::spawn(&env);
    let run = wait_final(&h.store, &run_id, Duration::from_secs(120)).await;
    drop(second);
    assert_eq!(run.state, RunState::Succeeded, "{run:?}");
    assert!(run.attempts >= 2, "the second worker resumed it: {run:?}");
    run
}
