-- The job runtime's own records (apalis keeps its queue in its own tables): one row per run with
-- its counters and durable cursor, the reasons items were skipped or failed, the keys a full
-- sync has seen (one row per step, keys newline-separated: a resumed run still knows what
-- vanished), and per flow its watermark and
-- the lease that keeps two runs of one flow from overlapping across replicas.
-- Times are Unix seconds.

CREATE TABLE job_runs (
    run_id TEXT PRIMARY KEY NOT NULL,
    flow TEXT NOT NULL,
    trigger_kind TEXT NOT NULL,
    full_sync BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    queued_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    updated_at BIGINT NOT NULL,
    items_read BIGINT NOT NULL DEFAULT 0,
    items_written BIGINT NOT NULL DEFAULT 0,
    items_skipped BIGINT NOT NULL DEFAULT 0,
    items_failed BIGINT NOT NULL DEFAULT 0,
    commerce_calls BIGINT NOT NULL DEFAULT 0,
    watermark_before TEXT,
    watermark_after TEXT,
    cursor TEXT,
    worker TEXT,
    last_error TEXT
);

CREATE INDEX job_runs_flow_queued ON job_runs (flow, queued_at);
CREATE INDEX job_runs_queued ON job_runs (queued_at);

CREATE TABLE job_run_issues (
    run_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    item_key TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE job_run_seen (
    run_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    item_keys TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE job_flows (
    flow TEXT PRIMARY KEY NOT NULL,
    watermark TEXT,
    lease_holder TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0
);
