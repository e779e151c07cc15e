/*
 * db_ingest.c: upserts of sources, titles, tournaments, teams, matches and
 * match_teams. `id = LAST_INSERT_ID(id)` makes an upsert report the id of the
 * row it found, so each entity costs one round trip, and none when the id
 * cache knows it. Matches, team lists and outbox rows are written for a whole
 * batch at once with array binding (one round trip per statement).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db_ingest.h"
#include "db_internal.h"
#include "link.h"
#include "mem.h"
#include "rc.h"
#include "text.h"
#include "util.h"

static const char SQL_SAVEPOINT[] = "SAVEPOINT msg";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO SAVEPOINT msg";

static const char SQL_SOURCE[] =
    "INSERT INTO sources (name) VALUES (?) ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)";

/* the first spelling seen stays the display name */
static const char SQL_TITLE[] = "INSERT INTO titles (name, name_key) VALUES (?, ?)"
                                " ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)";

/* a later message may rename a tournament (same id, new name); an empty name keeps the old */
/* link_norm is the linker's fold of the name (link_norm_team), stored with
 * it: the linker, which reads in a snapshot of its own, finds it there */
static const char SQL_TOURNAMENT[] =
    "INSERT INTO tournaments (source_id, ext_key, external_id, name, name_key, link_norm)"
    " VALUES (?, ?, ?, ?, ?, ?)"
    " ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id),"
    " updated_at = IF(VALUES(name) <> '' AND name <> VALUES(name), UTC_TIMESTAMP(6), updated_at),"
    " name_key = IF(VALUES(name) <> '', VALUES(name_key), name_key),"
    " link_norm = IF(VALUES(name) <> '', VALUES(link_norm), link_norm),"
    " name = IF(VALUES(name) <> '', VALUES(name), name)";

static const char SQL_TEAM[] =
    "INSERT INTO teams (source_id, external_id, name, name_key, link_norm) VALUES (?, ?, ?, ?, ?)"
    " ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id),"
    " updated_at = IF(VALUES(name) <> '' AND name <> VALUES(name), UTC_TIMESTAMP(6), updated_at),"
    " name_key = IF(VALUES(name) <> '', VALUES(name_key), name_key),"
    " link_norm = IF(VALUES(name) <> '', VALUES(link_norm), link_norm),"
    " name = IF(VALUES(name) <> '', VALUES(name), name)";

/* a renamed team or tournament: its matches wait for the linker */
static const char SQL_QUEUE_TEAM[] = DB_LINK_QUEUE_RENAME("team");
static const char SQL_QUEUE_TOURNAMENT[] = DB_LINK_QUEUE_RENAME("tournament");

static const char SQL_MATCH[] =
    "INSERT INTO matches (source_id, external_id, url, state, bestof, date_start, title_id,"
    " tournament_id) VALUES (?, ?, ?, ?, ?, CAST(? AS DATETIME), ?, ?)"
    " ON DUPLICATE KEY UPDATE url = VALUES(url),"
    " state = VALUES(state), bestof = VALUES(bestof), date_start = VALUES(date_start),"
    " title_id = VALUES(title_id), tournament_id = VALUES(tournament_id),"
    " updated_at = UTC_TIMESTAMP(6)";

/* The ids of up to MATCH_IDS_CHUNK matches by natural key; unused pairs are
 * bound to NULL, which matches nothing. The text is fixed at compile time. */
#define PAIRS8  "(?,?),(?,?),(?,?),(?,?),(?,?),(?,?),(?,?),(?,?)"
#define PAIRS32 PAIRS8 "," PAIRS8 "," PAIRS8 "," PAIRS8
static const char SQL_MATCH_IDS[] = "SELECT id, source_id, external_id FROM matches"
                                    " WHERE (source_id, external_id) IN (" PAIRS32 ")";
#define MATCH_IDS_CHUNK 32

/* The team lists of up to CLEAR_CHUNK matches, in one statement. An array
 * execution of "WHERE match_id = ?" ran one statement a match: 1.0 s of the
 * server's time for 20,000 fixtures-mode messages, 0.08 s this way. */
#define CLEAR_CHUNK 64
static const char SQL_CLEAR_TEAMS[] = "DELETE FROM match_teams WHERE match_id IN (" DB_IN64 ")";

static const char SQL_MATCH_TEAM[] =
    "INSERT INTO match_teams (match_id, position, team_id, score, winner) VALUES (?, ?, ?, ?, ?)";

static const char SQL_OUTBOX[] = "INSERT INTO search_outbox (match_id) VALUES (?)";
/* a renamed team's name is an alias of each of its identity-mates: their
 * matches' documents are sent again. A plain read (an INSERT ... SELECT
 * would lock the identity rows, which the consumer's linker writes before
 * it waits for the lock this batch holds). */
static const char SQL_OUTBOX_MATES[] =
    "SELECT DISTINCT mt.match_id"
    " FROM team_identity_members me JOIN team_identity_members tim"
    " ON tim.identity_id = me.identity_id AND tim.team_id <> me.team_id"
    " JOIN match_teams mt ON mt.team_id = tim.team_id WHERE me.team_id = ?";

static const char *const ingest_sqls[] = {
    SQL_SAVEPOINT,  SQL_ROLLBACK_TO,      SQL_SOURCE,
    SQL_TITLE,      SQL_TOURNAMENT,       SQL_TEAM,
    SQL_MATCH,      SQL_MATCH_IDS,        SQL_CLEAR_TEAMS,
    SQL_MATCH_TEAM, SQL_OUTBOX,           SQL_OUTBOX_MATES,
    SQL_QUEUE_TEAM, SQL_QUEUE_TOURNAMENT,
};

void
db_ingest_register(struct db *db)
{
    db_register(db, ingest_sqls, ARRAY_SIZE(ingest_sqls));
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
 * remembers its id. *renamed (unless NULL) = the row existed and its name
 * changed: 2 rows affected (CLIENT_FOUND_ROWS, where an unchanged row is 1). */
static int
cached_upsert(struct db *db, struct idcache *cache, const char *key, const char *name,
              const char *sql, MYSQL_BIND *p, uint64_t *id, int *renamed)
{
    int rc;

    if (renamed != NULL) {
        *renamed = 0;
    }
    if (cache != NULL && idcache_get(cache, key, name, id) == RC_OK) {
        return RC_OK;
    }
    rc = upsert(db, sql, p, id);
    if (rc == RC_OK && renamed != NULL) {
        *renamed = db_affected(db, sql) == 2;
    }
    if (rc == RC_OK && cache != NULL) {
        idcache_put(cache, key, name, *id);
    }
    return rc;
}

/* Queues the renamed subject id for the linker (link_seq 0: linking off). */
static int
queue_rename(struct db *db, const char *sql, uint64_t id, uint64_t link_seq)
{
    MYSQL_BIND p[2];
    int64_t subject = (int64_t)id, seq = (int64_t)link_seq;

    if (link_seq == 0) {
        return RC_OK;
    }
    db_bind_i64(&p[0], &subject, NULL);
    db_bind_i64(&p[1], &seq, NULL);
    return db_execute(db, sql, p);
}

/* The search documents of the matches of team's identity-mates, sent again. */
static int
outbox_mates(struct db *db, int64_t team)
{
    MYSQL_BIND p[1], res[1];
    uint64_t *ids = NULL;
    int64_t got = 0;
    size_t n = 0, cap = 0;
    int rc;

    db_bind_i64(&p[0], &team, NULL);
    rc = db_execute(db, SQL_OUTBOX_MATES, p);
    if (rc == RC_OK) {
        db_bind_i64(&res[0], &got, NULL);
        rc = db_bind_result(db, SQL_OUTBOX_MATES, res);
    }
    while (rc == RC_OK && (rc = db_fetch(db, SQL_OUTBOX_MATES)) == RC_OK) {
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            ids = xrealloc(ids, cap * sizeof(*ids));
        }
        ids[n++] = (uint64_t)got;
    }
    db_stmt_done(db, SQL_OUTBOX_MATES);
    if (rc == RC_NOTFOUND) {
        rc = db_ingest_outbox_many(db, ids, n);
    }
    free(ids);
    return rc;
}

static int
upsert_team(struct db *db, struct idcache *cache, int64_t source_id, const struct match_team *t,
            uint64_t link_seq, uint64_t *id)
{
    MYSQL_BIND p[5];
    struct sparam sp[4];
    char key[1024], norm[LINK_NORM_MAX];
    int64_t team;
    int renamed, rc;

    link_norm_team(t->name ? t->name : "", norm, sizeof(norm));
    db_bind_i64(&p[0], &source_id, NULL);
    bind_s(&p[1], &sp[0], t->external_id);
    bind_s(&p[2], &sp[1], t->name);
    bind_s(&p[3], &sp[2], t->name_key);
    bind_s(&p[4], &sp[3], norm);
    cache_key(key, sizeof(key), 'm', (uint64_t)source_id, t->external_id);
    rc = cached_upsert(db, cache, key, t->name, SQL_TEAM, p, id, &renamed);
    if (rc == RC_OK && renamed) {
        team = (int64_t)*id;
        rc = outbox_mates(db, team);
        if (rc == RC_OK) {
            rc = queue_rename(db, SQL_QUEUE_TEAM, *id, link_seq);
        }
    }
    return rc;
}

static int
upsert_tournament(struct db *db, struct idcache *cache, int64_t source_id,
                  const struct match_event *ev, uint64_t link_seq, uint64_t *id)
{
    MYSQL_BIND p[6];
    struct sparam sp[5];
    char key[1024], norm[LINK_NORM_MAX];
    int renamed, rc;

    link_norm_team(ev->tournament_name ? ev->tournament_name : "", norm, sizeof(norm));
    db_bind_i64(&p[0], &source_id, NULL);
    bind_s(&p[1], &sp[0], ev->tournament_key);
    bind_s(&p[2], &sp[1], ev->tournament_ext_id);
    bind_s(&p[3], &sp[2], ev->tournament_name);
    bind_s(&p[4], &sp[3], ev->tournament_name_key);
    bind_s(&p[5], &sp[4], norm);
    cache_key(key, sizeof(key), 'o', (uint64_t)source_id, ev->tournament_key);
    rc = cached_upsert(db, cache, key, ev->tournament_name, SQL_TOURNAMENT, p, id, &renamed);
    if (rc == RC_OK && renamed) {
        rc = queue_rename(db, SQL_QUEUE_TOURNAMENT, *id, link_seq);
    }
    return rc;
}

int
db_ingest_event(struct db *db, struct idcache *cache, const struct match_event *ev,
                uint64_t link_seq, struct match_row *m, uint64_t *team_ids)
{
    MYSQL_BIND p[2];
    struct sparam sp[2];
    uint64_t source_id = 0, title_id = 0, tournament_id = 0;
    char key[1024];
    int rc;
    size_t i;

    bind_s(&p[0], &sp[0], ev->source);
    cache_key(key, sizeof(key), 's', 0, ev->source);
    rc = cached_upsert(db, cache, key, NULL, SQL_SOURCE, p, &source_id, NULL);
    if (rc != RC_OK) {
        return rc;
    }
    if (ev->title != NULL) {
        bind_s(&p[0], &sp[0], ev->title);
        bind_s(&p[1], &sp[1], ev->title_key);
        cache_key(key, sizeof(key), 't', 0, ev->title_key);
        rc = cached_upsert(db, cache, key, NULL, SQL_TITLE, p, &title_id, NULL);
    }
    if (rc == RC_OK && ev->has_tournament) {
        rc = upsert_tournament(db, cache, (int64_t)source_id, ev, link_seq, &tournament_id);
    }
    for (i = 0; i < ev->nteams && rc == RC_OK; i++) {
        rc = upsert_team(db, cache, (int64_t)source_id, &ev->teams[i], link_seq, &team_ids[i]);
    }
    if (rc != RC_OK) {
        return rc;
    }
    m->source_id = source_id;
    m->external_id = ev->external_id;
    m->url = ev->url;
    m->has_state = ev->has_state;
    m->state = ev->state;
    m->has_bestof = ev->has_bestof;
    m->bestof = ev->bestof;
    m->has_date = ev->has_date;
    m->date_start = ev->date_start;
    m->title_id = title_id;
    m->tournament_id = tournament_id;
    m->id = 0;
    return RC_OK;
}

/* Column arrays for array binding: n values per column, with indicators. */
struct columns {
    size_t n, nint;
    int64_t *iv;     /* nint integer columns of n values */
    const char **sv; /* string columns of n values */
    unsigned long *lens;
    char *ind; /* indicators: the integer columns first, then the strings */
};

static void
columns_init(struct columns *c, size_t n, size_t nint, size_t nstr)
{
    c->n = n;
    c->nint = nint;
    c->iv = xcalloc(nint * n + 1, sizeof(*c->iv));
    c->sv = xcalloc(nstr * n + 1, sizeof(*c->sv));
    c->lens = xcalloc(nstr * n + 1, sizeof(*c->lens));
    c->ind = xcalloc((nint + nstr) * n + 1, 1);
}

static void
columns_cleanup(struct columns *c)
{
    free(c->iv);
    free(c->sv);
    free(c->lens);
    free(c->ind);
}

/* Sets integer column k of row r; null makes it SQL NULL. */
static void
set_int(struct columns *c, size_t k, size_t r, int64_t v, int null)
{
    c->iv[k * c->n + r] = v;
    c->ind[k * c->n + r] = null ? STMT_INDICATOR_NULL : STMT_INDICATOR_NONE;
}

/* Sets string column k of row r; NULL makes it SQL NULL. */
static void
set_str(struct columns *c, size_t k, size_t r, const char *s)
{
    c->sv[k * c->n + r] = s ? s : "";
    c->lens[k * c->n + r] = s ? (unsigned long)strlen(s) : 0;
    c->ind[(c->nint + k) * c->n + r] = s ? STMT_INDICATOR_NONE : STMT_INDICATOR_NULL;
}

static void
bind_int_col(MYSQL_BIND *b, struct columns *c, size_t k)
{
    db_bind_i64_array(b, c->iv + k * c->n, c->ind + k * c->n);
}

static void
bind_str_col(MYSQL_BIND *b, struct columns *c, size_t k)
{
    db_bind_str_array(b, c->sv + k * c->n, c->lens + k * c->n, c->ind + (c->nint + k) * c->n, 0);
}

/* Reads the ids of the n rows listed in idx (distinct matches). */
static int
fetch_ids(struct db *db, struct match_row *rows, const size_t *idx, size_t n)
{
    MYSQL_BIND p[2 * MATCH_IDS_CHUNK], r[3];
    int64_t sids[MATCH_IDS_CHUNK], id = 0, sid = 0;
    unsigned long lens[MATCH_IDS_CHUNK], extlen = 0;
    char nulls[MATCH_IDS_CHUNK], ext[4 * MATCH_ID_MAX + 1];
    size_t k, found = 0;
    int rc;

    for (k = 0; k < MATCH_IDS_CHUNK; k++) {
        const struct match_row *m = k < n ? &rows[idx[k]] : NULL;

        nulls[k] = m == NULL;
        sids[k] = m ? (int64_t)m->source_id : 0;
        lens[k] = m ? (unsigned long)strlen(m->external_id) : 0;
        db_bind_i64(&p[2 * k], &sids[k], &nulls[k]);
        db_bind_str(&p[2 * k + 1], m ? m->external_id : "", &lens[k], &nulls[k]);
    }
    rc = db_execute(db, SQL_MATCH_IDS, p);
    if (rc != RC_OK) {
        return rc;
    }
    db_bind_i64(&r[0], &id, NULL);
    db_bind_i64(&r[1], &sid, NULL);
    db_bind_out_str(&r[2], ext, sizeof(ext) - 1, &extlen, NULL);
    rc = db_bind_result(db, SQL_MATCH_IDS, r);
    while (rc == RC_OK && (rc = db_fetch(db, SQL_MATCH_IDS)) == RC_OK) {
        ext[extlen < sizeof(ext) ? extlen : sizeof(ext) - 1] = '\0';
        for (k = 0; k < n; k++) {
            struct match_row *m = &rows[idx[k]];

            if (m->id == 0 && (int64_t)m->source_id == sid && strcmp(m->external_id, ext) == 0) {
                m->id = (uint64_t)id;
                found++;
                break;
            }
        }
    }
    db_stmt_done(db, SQL_MATCH_IDS);
    if (rc != RC_NOTFOUND) {
        return rc;
    }
    return found == n ? RC_OK : RC_ERR; /* every key was just upserted */
}

int
db_ingest_matches_many(struct db *db, struct match_row *rows, size_t n, uint64_t *inserted)
{
    MYSQL_BIND p[8];
    struct columns c;
    char(*dates)[20];
    struct idcache *seen;
    size_t r, nd = 0, *idx, *first;
    char key[1024];
    int rc;

    *inserted = 0;
    if (n == 0) {
        return RC_OK;
    }
    /* ints: source, state, bestof, title, tournament; strings: external id,
     * url, date (as DATETIME text: no epoch conversion, years 1000-9999) */
    columns_init(&c, n, 5, 3);
    dates = xmalloc(n * sizeof(*dates));
    for (r = 0; r < n; r++) {
        const struct match_row *m = &rows[r];

        set_int(&c, 0, r, (int64_t)m->source_id, 0);
        set_int(&c, 1, r, m->state, !m->has_state);
        set_int(&c, 2, r, m->bestof, !m->has_bestof);
        set_int(&c, 3, r, (int64_t)m->title_id, m->title_id == 0);
        set_int(&c, 4, r, (int64_t)m->tournament_id, m->tournament_id == 0);
        set_str(&c, 0, r, m->external_id);
        set_str(&c, 1, r, m->url);
        dt_format_sql(m->date_start, dates[r]);
        set_str(&c, 2, r, m->has_date ? dates[r] : NULL);
    }
    bind_int_col(&p[0], &c, 0);
    bind_str_col(&p[1], &c, 0);
    bind_str_col(&p[2], &c, 1);
    bind_int_col(&p[3], &c, 1);
    bind_int_col(&p[4], &c, 2);
    bind_str_col(&p[5], &c, 2);
    bind_int_col(&p[6], &c, 3);
    bind_int_col(&p[7], &c, 4);
    *inserted = 0;
    rc = db_execute_many(db, SQL_MATCH, p, (unsigned int)n);
    columns_cleanup(&c);
    free(dates);
    if (rc != RC_OK) {
        return rc;
    }
    {
        /* affected rows: 1 per insert, 2 per update (updated_at always moves,
         * and CLIENT_FOUND_ROWS counts found rows), so inserts = 2n - affected */
        uint64_t affected = db_affected(db, SQL_MATCH);

        *inserted = affected <= 2 * (uint64_t)n ? 2 * (uint64_t)n - affected : 0;
    }

    /* one lookup per distinct match; first[r] is the row that carries its id */
    seen = idcache_new();
    idx = xmalloc(n * sizeof(*idx));
    first = xmalloc(n * sizeof(*first));
    for (r = 0; r < n; r++) {
        uint64_t at;

        cache_key(key, sizeof(key), 'M', rows[r].source_id, rows[r].external_id);
        rows[r].id = 0;
        if (idcache_get(seen, key, NULL, &at) != RC_OK) {
            at = nd;
            idcache_put(seen, key, NULL, at);
            idx[nd++] = r;
        }
        first[r] = idx[at];
    }
    idcache_free(seen);
    for (r = 0; r < nd && rc == RC_OK; r += MATCH_IDS_CHUNK) {
        rc = fetch_ids(db, rows, idx + r, nd - r < MATCH_IDS_CHUNK ? nd - r : MATCH_IDS_CHUNK);
    }
    for (r = 0; r < n && rc == RC_OK; r++) {
        rows[r].id = rows[first[r]].id;
    }
    free(idx);
    free(first);
    return rc;
}

int
db_ingest_match_teams_many(struct db *db, const uint64_t *match_ids, size_t nmatches,
                           const struct match_team_row *rows, size_t nrows)
{
    MYSQL_BIND p[5], ids[CLEAR_CHUNK];
    int64_t v[CLEAR_CHUNK];
    char null[CLEAR_CHUNK];
    struct columns c;
    size_t r, done;
    int rc = RC_OK;

    if (nmatches == 0) {
        return RC_OK;
    }
    for (done = 0; done < nmatches && rc == RC_OK; done += CLEAR_CHUNK) {
        db_bind_in(ids, v, null, CLEAR_CHUNK, (const int64_t *)match_ids + done,
                   nmatches - done < CLEAR_CHUNK ? nmatches - done : CLEAR_CHUNK);
        rc = db_execute(db, SQL_CLEAR_TEAMS, ids);
    }
    if (rc != RC_OK || nrows == 0) {
        return rc;
    }
    columns_init(&c, nrows, 5, 0);
    for (r = 0; r < nrows; r++) {
        const struct match_team_row *t = &rows[r];

        set_int(&c, 0, r, (int64_t)t->match_id, 0);
        set_int(&c, 1, r, t->position, 0);
        set_int(&c, 2, r, (int64_t)t->team_id, 0);
        set_int(&c, 3, r, t->score, !t->has_score);
        set_int(&c, 4, r, t->winner == TRI_TRUE, t->winner == TRI_NULL);
    }
    for (r = 0; r < 5; r++) {
        bind_int_col(&p[r], &c, r);
    }
    rc = db_execute_many(db, SQL_MATCH_TEAM, p, (unsigned int)nrows);
    columns_cleanup(&c);
    return rc;
}

int
db_ingest_outbox_many(struct db *db, const uint64_t *match_ids, size_t n)
{
    MYSQL_BIND p[1];
    struct columns c;
    size_t r;
    int rc;

    if (n == 0) {
        return RC_OK;
    }
    columns_init(&c, n, 1, 0);
    for (r = 0; r < n; r++) {
        set_int(&c, 0, r, (int64_t)match_ids[r], 0);
    }
    bind_int_col(&p[0], &c, 0);
    rc = db_execute_many(db, SQL_OUTBOX, p, (unsigned int)n);
    columns_cleanup(&c);
    return rc;
}
