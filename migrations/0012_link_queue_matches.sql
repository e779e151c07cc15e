-- 0012_link_queue_matches: the matches a batch changed wait here for the
-- linker too. Linking them inside the batch made ingestion with linking
-- about a third as fast as without; the batch now only queues them, in its
-- own transaction (so a change is never lost), and the consumer's linker
-- thread relinks them on a connection of its own, while the next batches
-- are applied.
--   kind 'match'  subject_id is matches.id
--   seq           the data_version of the batch that queued it: the linker
--                 removes the row only if no batch queued the match again
--                 after it read the row
-- The linker takes the oldest (seq, subject_id) first.

ALTER TABLE link_queue
    MODIFY kind ENUM('team', 'tournament', 'match') NOT NULL,
    ADD COLUMN IF NOT EXISTS seq BIGINT UNSIGNED NOT NULL DEFAULT 0,
    ADD KEY IF NOT EXISTS ix_link_queue_seq (kind, seq);
