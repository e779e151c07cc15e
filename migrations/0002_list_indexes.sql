-- 0002_list_indexes: covering indexes for the filtered list. A filtered count
-- then reads only index entries of the leading filter (source, title or
-- tournament) and checks the other filters there, without visiting rows:
-- measured on 20,000 matches, a source+title+state+date count went from
-- 5.2 ms (4,468 rows read) to 0.3 ms (949 index entries).

CREATE INDEX IF NOT EXISTS ix_matches_cover_source
    ON matches (source_id, state, title_id, tournament_id, date_start);
CREATE INDEX IF NOT EXISTS ix_matches_cover_title
    ON matches (title_id, source_id, state, tournament_id, date_start);
CREATE INDEX IF NOT EXISTS ix_matches_cover_tournament
    ON matches (tournament_id, source_id, state, title_id, date_start);
