-- 0005_ingest_health: what /healthz and /metrics need to tell whether
-- ingestion is moving. The active consumer writes these with every heartbeat
-- and on every change of state; the workers judge them by the database clock.
--   state           running | retrying | blocked (stopped when pid is NULL)
--   state_reason    why it is retrying or blocked
--   queue_depth     messages ready in the queue (the broker's queue.declare-ok),
--                   as of queue_depth_at
--   waiting_since   since when deliveries wait uncommitted (NULL: none)
--   last_commit_at  the last batch committed
--   failed_batches  batches rolled back since the last commit

ALTER TABLE consumer_status
    ADD COLUMN IF NOT EXISTS state VARCHAR(16) NOT NULL DEFAULT 'running',
    ADD COLUMN IF NOT EXISTS state_reason VARCHAR(1024) NULL,
    ADD COLUMN IF NOT EXISTS queue_depth BIGINT NULL,
    ADD COLUMN IF NOT EXISTS queue_depth_at DATETIME(6) NULL,
    ADD COLUMN IF NOT EXISTS waiting_since DATETIME(6) NULL,
    ADD COLUMN IF NOT EXISTS last_commit_at DATETIME(6) NULL,
    ADD COLUMN IF NOT EXISTS failed_batches INT UNSIGNED NOT NULL DEFAULT 0;
