-- 0008_tournament_norm: the tournament name as the linker folds it, beside
-- the team names' (teams.link_norm). When a message renames a tournament or
-- a team, the fold changes, and the linker relinks every match that names it.

ALTER TABLE tournaments ADD COLUMN IF NOT EXISTS link_norm VARCHAR(512) NULL;
