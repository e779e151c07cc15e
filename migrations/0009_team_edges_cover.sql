-- 0009_team_edges_cover: the identities read, per team, its partner teams and
-- the best probability among the fixtures that pair them; with the
-- probability in the index that read never visits the rows.

CREATE INDEX IF NOT EXISTS ix_team_edges_cover ON team_edges (team_id, other_team_id, probability);
DROP INDEX IF EXISTS ix_team_edges_team ON team_edges;
