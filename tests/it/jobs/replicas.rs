//! Two worker processes on one PostgreSQL: every scheduled tick runs once, and a run's items
//! are claimed by one of them.

use std::collections::HashSet;
use std::time::Duration;

use sandbox::SandboxConfig;
use storefront_bff::store::{Pool, RunState};

use super::harness::{Db, StoreLocation, WorkerProcess, config_for, env_for, start_sandbox};

#[tokio::test]
async fn two_workers_on_one_postgres_run_each_scheduled_tick_once() {
    let sandbox = start_sandbox(SandboxConfig::default()).await;
    let location = StoreLocation::new(Db::Postgres).await;
    let mut env = env_for(&sandbox, &location);
    // A tick every 2 seconds for the delta flow; the others off.
    env.extend(
        [
            ("BFF_JOBS__INVENTORY_DELTA__SCHEDULE", "*/2 * * * * *"),
            ("BFF_JOBS__PRODUCT_MASTER__ENABLED", "false"),
            ("BFF_JOBS__INVENTORY_FULL__ENABLED", "false"),
            ("BFF_JOBS__CATALOG_CONTENT__ENABLED", "false"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let a = WorkerProcess::spawn(&env);
    let b = WorkerProcess::spawn(&env);
    tokio::time::sleep(Duration::from_secs(9)).await;
    drop(a);
    drop(b);

    let config = config_for(&sandbox, &location);
    let store = storefront_bff::store::Store::open(&config.store, &config.session)
        .await
        .expect("store opens");
    let runs = store
        .job_runs()
        .recent(Some("inventory_delta"), 100)
        .await
        .expect("reads");
    let scheduled: Vec<_> = runs.iter().filter(|r| r.trigger == "schedule").collect();
    assert!(scheduled.len() >= 2, "ticks ran: {runs:?}");
    let ids: HashSet<_> = scheduled.iter().map(|r| r.run_id.clone()).collect();
    assert_eq!(ids.len(), scheduled.len());
    for run in &scheduled {
        // Each tick's run was attempted once (not once per replica) and none overlapped.
        assert!(
            run.attempts <= 1,
            "a scheduled run was attempted by both workers: {run:?}"
        );
        assert_ne!(run.state, RunState::Dead, "{run:?}");
    }
    // apalis holds one task per tick, not one per replica.
    let Pool::Postgres(pool) = store.pool() else {
        unreachable!()
    };
    let tasks: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM apalis.jobs WHERE job_type = 'storefront_bff.inventory_delta'",
    )
    .fetch_one(pool)
    .await
    .expect("counts");
    assert_eq!(
        tasks,
        i64::try_from(scheduled.len()).unwrap_or(0),
        "{runs:?}"
    );
    store.close().await;
    sandbox.shutdown().await;
    location.remove().await;
}
