-- 0010_changes: the change feed (/api/changes/) and the live publisher.
--
-- changes: one row per (committed batch, changed match), written by the
-- consumer in the batch's transaction, so a rolled-back change never shows
-- and a committed one is never missing. seq comes from change_seq, a one-row
-- counter the batch updates just before its commit: the row lock makes
-- committers take their numbers one after the other, so seq grows in commit
-- order and a reader never sees seq N+1 before seq N is committed.
--   kind        created (the match row was inserted by this batch) | updated
--   fixture_id  the fixture the match belonged to at the commit (0006_linking)
-- Old rows are pruned by the consumer (CHANGES_KEEP_S, CHANGES_KEEP_ROWS).
--
-- live_status: what the consumer's publisher did with the changes it pushed
-- to nginx's nchan (published, failed, the last error); /metrics reads it.

CREATE TABLE IF NOT EXISTS change_seq (
    id   TINYINT UNSIGNED NOT NULL,
    seq  BIGINT UNSIGNED NOT NULL DEFAULT 0,
    PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT IGNORE INTO change_seq (id, seq) VALUES (1, 0);

CREATE TABLE IF NOT EXISTS changes (
    seq         BIGINT UNSIGNED NOT NULL,
    match_id    BIGINT UNSIGNED NOT NULL,
    fixture_id  BIGINT UNSIGNED NULL,
    kind        ENUM('created', 'updated') NOT NULL,
    changed_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (seq),
    KEY ix_changes_changed_at (changed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS live_status (
    id                 TINYINT UNSIGNED NOT NULL,
    published          BIGINT UNSIGNED NOT NULL DEFAULT 0,
    publish_failures   BIGINT UNSIGNED NOT NULL DEFAULT 0,
    last_published_seq BIGINT UNSIGNED NOT NULL DEFAULT 0,
    last_error         VARCHAR(1024) NULL,
    last_failure_at    DATETIME(6) NULL,
    PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT IGNORE INTO live_status (id) VALUES (1);
