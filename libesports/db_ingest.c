/*
 * db_ingest.c: upserts of sources, titles, tournaments, teams, matches and
 * match_teams. `id = LAST_INSERT_ID(id)` makes an upsert report the id of the
 * row it found, so each entity costs one round trip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_ingest.h"
#include "db_internal.h"
#include "mem.h"
#include "rc.h"

static const char SQL_SAVEPOINT[] = "SAVEPOINT msg";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO SAVEPOINT msg";

static const char SQL_SOURCE[] =
    "INSERT INTO sources (name) VALUES (?) ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)";

/* the first spelling seen stays the display name */
static const char SQL_TITLE[] = "INSERT INTO titles (name, name_key) VALUES (?, ?)"
                                " ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)";

/* a later message may rename a tournament (same id, new name); an empty name keeps the old */
static const char SQL_TOURNAMENT[] =
    "INSERT INTO tournaments (source_id, ext_key, external_id, name, name_key)"
    " VALUES (?, ?, ?, ?, ?)"
    " ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id),"
    " updated_at = IF(VALUES(name) <> '' AND name <> VALUES(name), UTC_TIMESTAMP(6), updated_at),"
    " name_key = IF(VALUES(name) <> '', VALUES(name_key), name_key),"
    " name = IF(VALUES(name) <> '', VALUES(name), name)";

static const char SQL_TEAM[] =
    "INSERT INTO teams (source_id, external_id, name, name_key) VALUES (?, ?, ?, ?)"
    " ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id),"
    " updated_at = IF(VALUES(name) <> '' AND name <> VALUES(name), UTC_TIMESTAMP(6), updated_at),"
    " name_key = IF(VALUES(name) <> '', VALUES(name_key), name_key),"
    " name = IF(VALUES(name) <> '', VALUES(name), name)";

static const char SQL_MATCH[] =
    "INSERT INTO matches (source_id, external_id, url, state, bestof, date_start, title_id,"
    " tournament_id) VALUES (?, ?, ?, ?, ?, FROM_UNIXTIME(?), ?, ?)"
    " ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), url = VALUES(url),"
    " state = VALUES(state), bestof = VALUES(bestof), date_start = VALUES(date_start),"
    " title_id = VALUES(title_id), tournament_id = VALUES(tournament_id),"
    " updated_at = UTC_TIMESTAMP(6)";

static const char SQL_CLEAR_TEAMS[] = "DELETE FROM match_teams WHERE match_id = ?";

static const char SQL_MATCH_TEAM[] =
    "INSERT INTO match_teams (match_id, position, team_id, score, winner) VALUES (?, ?, ?, ?, ?)";

static const char SQL_OUTBOX[] = "INSERT INTO search_outbox (match_id) VALUES (?)";

static const char SQL_FIND_MATCH[] =
    "SELECT m.id FROM matches m JOIN sources s ON s.id = m.source_id"
    " WHERE s.name = ? AND m.external_id = ?";

static const char *const ingest_sqls[] = {
    SQL_SAVEPOINT, SQL_ROLLBACK_TO, SQL_SOURCE,     SQL_TITLE,  SQL_TOURNAMENT, SQL_TEAM,
    SQL_MATCH,     SQL_CLEAR_TEAMS, SQL_MATCH_TEAM, SQL_OUTBOX, SQL_FIND_MATCH,
};

void
db_ingest_register(struct db *db)
{
    db_register(db, ingest_sqls, sizeof(ingest_sqls) / sizeof(ingest_sqls[0]));
}

int
db_ingest_savepoint(struct db *db)
{
    return db_execute(db, SQL_SAVEPOINT, NULL);
}

int
db_ingest_rollback_to(struct db *db)
{
    return db_execute(db, SQL_ROLLBACK_TO, NULL);
}

/* A bound string parameter with its length slot. */
struct sparam {
    unsigned long len;
    char is_null;
};

static void
bind_s(MYSQL_BIND *b, struct sparam *sp, const char *s)
{
    sp->is_null = s == NULL;
    sp->len = s ? (unsigned long)strlen(s) : 0;
    db_bind_str(b, s ? s : "", &sp->len, &sp->is_null);
}

/* Executes an upsert and reads the id it reports. */
static int
upsert(struct db *db, const char *sql, MYSQL_BIND *p, uint64_t *id)
{
    int rc = db_execute(db, sql, p);

    if (rc == RC_OK) {
        *id = db_insert_id(db, sql);
        if (*id == 0) {
            rc = RC_ERR;
        }
    }
    return rc;
}

/* The cache key of an entity: kind, source id and natural key, 0x1f between. */
static void
cache_key(char *out, size_t len, char kind, uint64_t source_id, const char *natural)
{
    snprintf(out, len, "%c\x1f%llu\x1f%s", kind, (unsigned long long)source_id, natural);
}

/* Looks key up in cache; on a miss (or a new name) runs the upsert and
 * remembers its id. */
static int
cached_upsert(struct db *db, struct idcache *cache, const char *key, const char *name,
              const char *sql, MYSQL_BIND *p, uint64_t *id)
{
    int rc;

    if (cache != NULL && idcache_get(cache, key, name, id) == RC_OK) {
        return RC_OK;
    }
    rc = upsert(db, sql, p, id);
    if (rc == RC_OK && cache != NULL) {
        idcache_put(cache, key, name, *id);
    }
    return rc;
}

static int
upsert_team(struct db *db, struct idcache *cache, int64_t source_id, const struct match_team *t,
            uint64_t *id)
{
    MYSQL_BIND p[4];
    struct sparam sp[3];
    char key[1024];

    db_bind_i64(&p[0], &source_id, NULL);
    bind_s(&p[1], &sp[0], t->external_id);
    bind_s(&p[2], &sp[1], t->name);
    bind_s(&p[3], &sp[2], t->name_key);
    cache_key(key, sizeof(key), 'm', (uint64_t)source_id, t->external_id);
    return cached_upsert(db, cache, key, t->name, SQL_TEAM, p, id);
}

static int
upsert_tournament(struct db *db, struct idcache *cache, int64_t source_id,
                  const struct match_event *ev, uint64_t *id)
{
    MYSQL_BIND p[5];
    struct sparam sp[4];
    char key[1024];

    db_bind_i64(&p[0], &source_id, NULL);
    bind_s(&p[1], &sp[0], ev->tournament_key);
    bind_s(&p[2], &sp[1], ev->tournament_ext_id);
    bind_s(&p[3], &sp[2], ev->tournament_name);
    bind_s(&p[4], &sp[3], ev->tournament_name_key);
    cache_key(key, sizeof(key), 'o', (uint64_t)source_id, ev->tournament_key);
    return cached_upsert(db, cache, key, ev->tournament_name, SQL_TOURNAMENT, p, id);
}

int
db_ingest_event(struct db *db, struct idcache *cache, const struct match_event *ev,
                uint64_t *match_id, uint64_t *team_ids)
{
    MYSQL_BIND p[8];
    struct sparam sp[3];
    uint64_t source_id = 0, title_id = 0, tournament_id = 0;
    int64_t sid, tid, toid, state = ev->state, bestof = ev->bestof, date = ev->date_start;
    char tid_null = ev->title == NULL, toid_null = !ev->has_tournament;
    char state_null = !ev->has_state, bestof_null = !ev->has_bestof, date_null = !ev->has_date;
    char key[1024];
    int rc;
    size_t i;

    bind_s(&p[0], &sp[0], ev->source);
    cache_key(key, sizeof(key), 's', 0, ev->source);
    rc = cached_upsert(db, cache, key, NULL, SQL_SOURCE, p, &source_id);
    if (rc != RC_OK) {
        return rc;
    }
    sid = (int64_t)source_id;
    if (ev->title != NULL) {
        bind_s(&p[0], &sp[0], ev->title);
        bind_s(&p[1], &sp[1], ev->title_key);
        cache_key(key, sizeof(key), 't', 0, ev->title_key);
        rc = cached_upsert(db, cache, key, NULL, SQL_TITLE, p, &title_id);
    }
    if (rc == RC_OK && ev->has_tournament) {
        rc = upsert_tournament(db, cache, sid, ev, &tournament_id);
    }
    for (i = 0; i < ev->nteams && rc == RC_OK; i++) {
        rc = upsert_team(db, cache, sid, &ev->teams[i], &team_ids[i]);
    }
    if (rc != RC_OK) {
        return rc;
    }

    tid = (int64_t)title_id;
    toid = (int64_t)tournament_id;
    db_bind_i64(&p[0], &sid, NULL);
    bind_s(&p[1], &sp[0], ev->external_id);
    bind_s(&p[2], &sp[1], ev->url);
    db_bind_i64(&p[3], &state, &state_null);
    db_bind_i64(&p[4], &bestof, &bestof_null);
    db_bind_i64(&p[5], &date, &date_null);
    db_bind_i64(&p[6], &tid, &tid_null);
    db_bind_i64(&p[7], &toid, &toid_null);
    return upsert(db, SQL_MATCH, p, match_id);
}

int
db_ingest_match_teams_many(struct db *db, const uint64_t *match_ids, size_t nmatches,
                           const struct match_team_row *rows, size_t nrows)
{
    MYSQL_BIND p[5];
    int64_t *iv;
    char *ind;
    size_t r;
    int rc;

    if (nmatches == 0) {
        return RC_OK;
    }
    ind = xcalloc(5 * (nrows > nmatches ? nrows : nmatches), 1);
    db_bind_i64_array(&p[0], (int64_t *)(uintptr_t)match_ids, ind);
    rc = db_execute_many(db, SQL_CLEAR_TEAMS, p, (unsigned int)nmatches);
    if (rc != RC_OK || nrows == 0) {
        free(ind);
        return rc;
    }
    iv = xmalloc(5 * nrows * sizeof(*iv));
    for (r = 0; r < nrows; r++) {
        iv[r] = (int64_t)rows[r].match_id;
        iv[nrows + r] = rows[r].position;
        iv[2 * nrows + r] = (int64_t)rows[r].team_id;
        iv[3 * nrows + r] = rows[r].score;
        ind[3 * nrows + r] = rows[r].has_score ? STMT_INDICATOR_NONE : STMT_INDICATOR_NULL;
        iv[4 * nrows + r] = rows[r].winner == TRI_TRUE;
        ind[4 * nrows + r] = rows[r].winner == TRI_NULL ? STMT_INDICATOR_NULL : STMT_INDICATOR_NONE;
    }
    for (r = 0; r < 5; r++) {
        db_bind_i64_array(&p[r], iv + r * nrows, ind + r * nrows);
    }
    rc = db_execute_many(db, SQL_MATCH_TEAM, p, (unsigned int)nrows);
    free(iv);
    free(ind);
    return rc;
}

int
db_ingest_outbox_many(struct db *db, const uint64_t *match_ids, size_t n)
{
    MYSQL_BIND p[1];
    char *ind;
    int rc;

    if (n == 0) {
        return RC_OK;
    }
    ind = xcalloc(n, 1); /* STMT_INDICATOR_NONE */
    db_bind_i64_array(&p[0], (int64_t *)(uintptr_t)match_ids, ind);
    rc = db_execute_many(db, SQL_OUTBOX, p, (unsigned int)n);
    free(ind);
    return rc;
}

int
db_ingest_find_match(struct db *db, const char *source, const char *external_id, uint64_t *match_id)
{
    MYSQL_BIND p[2], r[1];
    struct sparam sp[2];
    int64_t id = 0;
    int rc;

    bind_s(&p[0], &sp[0], source);
    bind_s(&p[1], &sp[1], external_id);
    rc = db_execute(db, SQL_FIND_MATCH, p);
    if (rc != RC_OK) {
        return rc;
    }
    db_bind_i64(&r[0], &id, NULL);
    rc = db_bind_result(db, SQL_FIND_MATCH, r);
    if (rc == RC_OK) {
        rc = db_fetch(db, SQL_FIND_MATCH);
    }
    db_stmt_done(db, SQL_FIND_MATCH);
    *match_id = (uint64_t)id;
    return rc;
}
