-- 0003_match_count: the number of matches, kept by the consumer in the same
-- transaction as the rows, so the unfiltered list's count costs one row read
-- instead of a scan that grows with the table.

ALTER TABLE consumer_status
    ADD COLUMN IF NOT EXISTS matches_total BIGINT UNSIGNED NOT NULL DEFAULT 0;

UPDATE consumer_status SET matches_total = (SELECT COUNT(*) FROM matches) WHERE id = 1;
