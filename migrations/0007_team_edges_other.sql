-- 0007_team_edges_other: team_edges are read from both ends of the pair of
-- matches that implies them, so the other match has an index too.

CREATE INDEX IF NOT EXISTS ix_team_edges_other ON team_edges (other_match_id, match_id);
