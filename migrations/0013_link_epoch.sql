-- 0013_link_epoch: a counter the writers of links other than the consumer's
-- linker (tools/link, tools/relink) move with every transaction. The linker
-- keeps the match rows it read in memory across slices; the queue names
-- every match a batch changed, but not what a person decided or a rebuild
-- rewrote: a moved epoch makes it forget them all.

ALTER TABLE consumer_status
    ADD COLUMN IF NOT EXISTS link_epoch BIGINT UNSIGNED NOT NULL DEFAULT 0;
