-- 0011_link_queue: teams and tournaments a message renamed, whose matches
-- wait to be relinked. The rename changes the evidence of every pair of
-- every match that names it; relinking them all inside the batch that
-- brought the rename made one message cost as much as the whole
-- tournament. The batch queues the team or tournament here instead, in its
-- own transaction (so a rename is never lost), and the active consumer
-- relinks its matches in slices, in id order: one slice after each full
-- batch, and slice after slice when no message waits.
--   kind, subject_id  the renamed team (teams.id) or tournament (tournaments.id)
--   after_match       the matches up to this id are relinked; a new rename of
--                     the same subject sets it back to 0
-- tools/relink relinks every match and empties the queue.

CREATE TABLE IF NOT EXISTS link_queue (
    kind         ENUM('team', 'tournament') NOT NULL,
    subject_id   BIGINT UNSIGNED NOT NULL,
    after_match  BIGINT UNSIGNED NOT NULL DEFAULT 0,
    queued_at    DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
    PRIMARY KEY (kind, subject_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
