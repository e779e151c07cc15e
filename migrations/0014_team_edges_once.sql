-- 0014_team_edges_once: a team edge is stored once, from the pair's smaller
-- team id (team_id < other_team_id), where it was stored in both directions.
-- The linker wrote and indexed every edge twice, and the team edges were the
-- largest of its writes (about 47,000 rows for 20,000 fixtures-mode
-- messages). A team's partners are now read from both columns, so the
-- larger team of a pair has a covering index of its own.

DELETE FROM team_edges WHERE team_id > other_team_id;
CREATE INDEX IF NOT EXISTS ix_team_edges_cover_other ON team_edges (other_team_id, team_id, probability);
