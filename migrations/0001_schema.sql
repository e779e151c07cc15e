-- 0001_schema: the normalized match model, the raw message log, the search
-- outbox and the consumer status row. All times are UTC.

CREATE TABLE IF NOT EXISTS sources (
    id          INT UNSIGNED NOT NULL AUTO_INCREMENT,
    name        VARCHAR(191) NOT NULL,
    created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    UNIQUE KEY uq_sources_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One title however its spelling varies: name_key is the name lower-cased with
-- white space collapsed; name is the first spelling seen, trimmed.
CREATE TABLE IF NOT EXISTS titles (
    id          INT UNSIGNED NOT NULL AUTO_INCREMENT,
    name        VARCHAR(255) NOT NULL,
    name_key    VARCHAR(191) NOT NULL,
    created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    UNIQUE KEY uq_titles_name_key (name_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A tournament is keyed within its source by ext_key: 'id:<external id>' when
-- the message gives {id, name}, 'name:<name_key>' when it gives a bare name.
CREATE TABLE IF NOT EXISTS tournaments (
    id          INT UNSIGNED NOT NULL AUTO_INCREMENT,
    source_id   INT UNSIGNED NOT NULL,
    ext_key     VARCHAR(191) NOT NULL,
    external_id VARCHAR(191) NULL,
    name        VARCHAR(255) NOT NULL,
    name_key    VARCHAR(191) NOT NULL,
    created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    UNIQUE KEY uq_tournaments_source_key (source_id, ext_key),
    KEY ix_tournaments_name_key (name_key),
    CONSTRAINT fk_tournaments_source FOREIGN KEY (source_id) REFERENCES sources (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS teams (
    id          INT UNSIGNED NOT NULL AUTO_INCREMENT,
    source_id   INT UNSIGNED NOT NULL,
    external_id VARCHAR(191) NOT NULL,
    name        VARCHAR(255) NOT NULL,
    name_key    VARCHAR(191) NOT NULL,
    created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    UNIQUE KEY uq_teams_source_ext (source_id, external_id),
    KEY ix_teams_name_key (name_key),
    CONSTRAINT fk_teams_source FOREIGN KEY (source_id) REFERENCES sources (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every list filter has an index that ends in the default ordering
-- (date_start DESC, id), so a filtered page and its count stay index-backed.
CREATE TABLE IF NOT EXISTS matches (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    source_id       INT UNSIGNED NOT NULL,
    external_id     VARCHAR(191) NOT NULL,
    url             VARCHAR(2048) NULL,
    state           INT NULL,
    bestof          INT NULL,
    date_start      DATETIME NULL,
    title_id        INT UNSIGNED NULL,
    tournament_id   INT UNSIGNED NULL,
    created_at      DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at      DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    UNIQUE KEY uq_matches_source_ext (source_id, external_id),
    KEY ix_matches_date (date_start, id),
    KEY ix_matches_title_date (title_id, date_start, id),
    KEY ix_matches_tournament_date (tournament_id, date_start, id),
    KEY ix_matches_state_date (state, date_start, id),
    KEY ix_matches_source_date (source_id, date_start, id),
    CONSTRAINT fk_matches_source FOREIGN KEY (source_id) REFERENCES sources (id),
    CONSTRAINT fk_matches_title FOREIGN KEY (title_id) REFERENCES titles (id),
    CONSTRAINT fk_matches_tournament FOREIGN KEY (tournament_id) REFERENCES tournaments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The teams of a match in message order, with their score.
CREATE TABLE IF NOT EXISTS match_teams (
    match_id    BIGINT UNSIGNED NOT NULL,
    position    SMALLINT UNSIGNED NOT NULL,
    team_id     INT UNSIGNED NOT NULL,
    score       INT NULL,
    winner      BOOLEAN NULL,
    PRIMARY KEY (match_id, position),
    KEY ix_match_teams_team (team_id, match_id),
    CONSTRAINT fk_match_teams_match FOREIGN KEY (match_id) REFERENCES matches (id) ON DELETE CASCADE,
    CONSTRAINT fk_match_teams_team FOREIGN KEY (team_id) REFERENCES teams (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every message received, byte-exact, applied or rejected with the reason.
CREATE TABLE IF NOT EXISTS messages (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    received_at     DATETIME(6) NOT NULL,
    payload         LONGBLOB NOT NULL,
    payload_size    INT UNSIGNED NOT NULL,
    sha256          BINARY(32) NOT NULL,
    status          ENUM('applied', 'rejected') NOT NULL,
    error           VARCHAR(1024) NULL,
    source          VARCHAR(191) NULL,
    external_id     VARCHAR(191) NULL,
    match_id        BIGINT UNSIGNED NULL,
    delivery_tag    BIGINT UNSIGNED NULL,
    redelivered     BOOLEAN NOT NULL DEFAULT FALSE,
    exchange        VARCHAR(255) NULL,
    routing_key     VARCHAR(255) NULL,
    message_id      VARCHAR(255) NULL,
    PRIMARY KEY (id),
    KEY ix_messages_sha256 (sha256, message_id),
    KEY ix_messages_match (match_id, id),
    KEY ix_messages_status (status, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Matches whose search document must be (re)sent, written in the same
-- transaction as the change; parked rows failed too often and wait for a person.
CREATE TABLE IF NOT EXISTS search_outbox (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    match_id    BIGINT UNSIGNED NOT NULL,
    created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    attempts    INT UNSIGNED NOT NULL DEFAULT 0,
    last_error  VARCHAR(1024) NULL,
    parked      BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (id),
    KEY ix_search_outbox_pending (parked, id),
    KEY ix_search_outbox_match (match_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row (id = 1) the consumer keeps current; /healthz and /metrics read it.
-- data_version grows with every commit that changes match data.
CREATE TABLE IF NOT EXISTS consumer_status (
    id                  TINYINT UNSIGNED NOT NULL,
    messages_applied    BIGINT UNSIGNED NOT NULL DEFAULT 0,
    messages_rejected   BIGINT UNSIGNED NOT NULL DEFAULT 0,
    last_applied_at     DATETIME(6) NULL,
    last_error          VARCHAR(1024) NULL,
    last_error_at       DATETIME(6) NULL,
    pid                 INT NULL,
    started_at          DATETIME(6) NULL,
    broker_connected    BOOLEAN NOT NULL DEFAULT FALSE,
    heartbeat_at        DATETIME(6) NULL,
    data_version        BIGINT UNSIGNED NOT NULL DEFAULT 0,
    PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT IGNORE INTO consumer_status (id) VALUES (1);
