-- 0006_linking: fixtures (one real-world match) and team identities (one
-- real-world team) beside the source rows, which stay what the sources said.
--
--   fixture_members        every match: its fixture (the smallest matches.id in
--                          it; alone = its own id), the confidence and evidence
--                          of the link that holds it there, origin auto|person
--   team_identity_members  every team: its identity (the smallest teams.id in
--                          it), confidence, evidence, origin
--   match_links            pairs of matches (match_a < match_b) a person must
--                          look at (suggested) or has decided (confirmed,
--                          rejected), with the probability and evidence
--   team_links             a person's decisions on pairs of teams (team_a < team_b)
--   team_edges             the team pairs that linked fixtures imply, both
--                          directions, by the pair of matches that implies them
--   link_decisions         every decision a person made: when, what, a note
--   title_aliases          a title name key that means another title
--
-- teams.link_norm holds the team name as the linker folds it, so the term
-- frequency of a spelling is a COUNT on an index. Triggers give every new
-- match and team its membership row at insert; the rows that exist already
-- get theirs here.

ALTER TABLE teams
    ADD COLUMN IF NOT EXISTS link_norm VARCHAR(512) NULL,
    ADD INDEX IF NOT EXISTS ix_teams_link_norm (link_norm);

CREATE TABLE IF NOT EXISTS fixture_members (
    match_id    BIGINT UNSIGNED NOT NULL,
    fixture_id  BIGINT UNSIGNED NOT NULL,
    confidence  DOUBLE NOT NULL DEFAULT 1,
    evidence    LONGTEXT NULL,
    origin      ENUM('auto', 'person') NOT NULL DEFAULT 'auto',
    updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (match_id),
    KEY ix_fixture_members_fixture (fixture_id, match_id),
    CONSTRAINT fk_fixture_members_match FOREIGN KEY (match_id) REFERENCES matches (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS team_identity_members (
    team_id     INT UNSIGNED NOT NULL,
    identity_id INT UNSIGNED NOT NULL,
    confidence  DOUBLE NOT NULL DEFAULT 1,
    evidence    LONGTEXT NULL,
    origin      ENUM('auto', 'person') NOT NULL DEFAULT 'auto',
    updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (team_id),
    KEY ix_team_identity_members_identity (identity_id, team_id),
    CONSTRAINT fk_team_identity_members_team FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS link_decisions (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    decided_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    kind        ENUM('confirm', 'reject', 'split', 'merge_teams', 'split_team', 'alias_title') NOT NULL,
    subject_a   BIGINT UNSIGNED NULL,
    subject_b   BIGINT UNSIGNED NULL,
    alias       VARCHAR(255) NULL,
    note        VARCHAR(1024) NULL,
    PRIMARY KEY (id),
    KEY ix_link_decisions_kind (kind, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS match_links (
    match_a     BIGINT UNSIGNED NOT NULL,
    match_b     BIGINT UNSIGNED NOT NULL,
    probability DOUBLE NOT NULL DEFAULT 0,
    evidence    LONGTEXT NULL,
    status      ENUM('suggested', 'confirmed', 'rejected') NOT NULL,
    decision_id BIGINT UNSIGNED NULL,
    updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (match_a, match_b),
    KEY ix_match_links_b (match_b, match_a),
    KEY ix_match_links_status (status, probability, match_a, match_b),
    CONSTRAINT fk_match_links_a FOREIGN KEY (match_a) REFERENCES matches (id) ON DELETE CASCADE,
    CONSTRAINT fk_match_links_b FOREIGN KEY (match_b) REFERENCES matches (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS team_links (
    team_a      INT UNSIGNED NOT NULL,
    team_b      INT UNSIGNED NOT NULL,
    status      ENUM('confirmed', 'rejected') NOT NULL,
    decision_id BIGINT UNSIGNED NULL,
    updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (team_a, team_b),
    KEY ix_team_links_b (team_b, team_a),
    CONSTRAINT fk_team_links_a FOREIGN KEY (team_a) REFERENCES teams (id) ON DELETE CASCADE,
    CONSTRAINT fk_team_links_b FOREIGN KEY (team_b) REFERENCES teams (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS team_edges (
    match_id        BIGINT UNSIGNED NOT NULL,
    other_match_id  BIGINT UNSIGNED NOT NULL,
    team_id         INT UNSIGNED NOT NULL,
    other_team_id   INT UNSIGNED NOT NULL,
    probability     DOUBLE NOT NULL,
    PRIMARY KEY (match_id, other_match_id, team_id),
    KEY ix_team_edges_team (team_id, other_team_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS title_aliases (
    alias_key   VARCHAR(255) NOT NULL,
    title_id    INT UNSIGNED NOT NULL,
    decision_id BIGINT UNSIGNED NULL,
    created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (alias_key),
    KEY ix_title_aliases_title (title_id),
    CONSTRAINT fk_title_aliases_title FOREIGN KEY (title_id) REFERENCES titles (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT IGNORE INTO fixture_members (match_id, fixture_id) SELECT id, id FROM matches;
INSERT IGNORE INTO team_identity_members (team_id, identity_id) SELECT id, id FROM teams;

CREATE TRIGGER IF NOT EXISTS trg_matches_fixture AFTER INSERT ON matches FOR EACH ROW
    INSERT IGNORE INTO fixture_members (match_id, fixture_id) VALUES (NEW.id, NEW.id);

CREATE TRIGGER IF NOT EXISTS trg_teams_identity AFTER INSERT ON teams FOR EACH ROW
    INSERT IGNORE INTO team_identity_members (team_id, identity_id) VALUES (NEW.id, NEW.id);
