/*
 * db_matches.c: SQL of the read side; see db_matches.h. A list costs three
 * round trips at most: the count, and the page joined with its teams.
 * Optional filters bind NULL ("? IS NULL OR ..."); the ordering picks one of
 * four prepared statements, since ORDER BY cannot take a parameter.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db_filter.h"
#include "db_internal.h"
#include "db_matches.h"
#include "rc.h"
#include "text.h"
#include "util.h"

/* the columns of VIEW_COLUMNS */
#define NVIEW 19

#define VIEW_COLUMNS                                                                               \
    "SELECT p.id, s.name, p.external_id, p.url, p.state, p.bestof,"                                \
    " p.date_start, p.title_id, ti.name, p.tournament_id, tn.name, p.updated_at, mt.team_id,"      \
    " t.name,"                                                                                     \
    " mt.score, mt.winner, COALESCE(fm.fixture_id, p.id), COALESCE(tim.identity_id, mt.team_id),"  \
    " mt.position"

#define VIEW_JOINS                                                                                 \
    " JOIN sources s ON s.id = p.source_id"                                                        \
    " LEFT JOIN titles ti ON ti.id = p.title_id"                                                   \
    " LEFT JOIN tournaments tn ON tn.id = p.tournament_id"                                         \
    " LEFT JOIN match_teams mt ON mt.match_id = p.id"                                              \
    " LEFT JOIN teams t ON t.id = mt.team_id"                                                      \
    " LEFT JOIN fixture_members fm ON fm.match_id = p.id"                                          \
    " LEFT JOIN team_identity_members tim ON tim.team_id = mt.team_id"

/* Every ORDER BY names only the first table's columns: rows of one match then
 * come together without a temporary table (a sort of the joined rows copied
 * each row's url and names, 8 kB of it: a quarter of the server's CPU for a
 * search), and fetch_views puts the teams in position order itself. */
#define PAGE(inner, outer)                                                                         \
    VIEW_COLUMNS " FROM (SELECT m.* FROM matches m" FILTERS " ORDER BY " inner                     \
                 " LIMIT ? OFFSET ?) p" VIEW_JOINS " ORDER BY " outer

static const char SQL_COUNT[] = "SELECT COUNT(*) FROM matches m" FILTERS;
/* without filters: the count the consumer keeps (migrations/0003) */
static const char SQL_COUNT_ALL[] = "SELECT matches_total FROM consumer_status WHERE id = 1";
static const char SQL_PAGE_DATE_DESC[] =
    PAGE("m.date_start DESC, m.id DESC", "p.date_start DESC, p.id DESC");
static const char SQL_PAGE_DATE_ASC[] =
    PAGE("m.date_start ASC, m.id ASC", "p.date_start ASC, p.id ASC");
static const char SQL_PAGE_ID_ASC[] = PAGE("m.id ASC", "p.id ASC");
static const char SQL_PAGE_ID_DESC[] = PAGE("m.id DESC", "p.id DESC");
static const char SQL_ONE[] = VIEW_COLUMNS " FROM matches p" VIEW_JOINS " WHERE p.id = ?";

/* For the search mirror and tools/reindex: matches by id, MANY_CHUNK per
 * round trip (unused parameters bound to NULL match nothing), and a keyset
 * walk in id order. */
#define MANY_CHUNK 64
/* (without the hint the optimizer may start from sources and scan each
 * source's matches for the 64 ids) */
static const char SQL_MANY[] = VIEW_COLUMNS " FROM matches p FORCE INDEX (PRIMARY)" VIEW_JOINS
                                            " WHERE p.id IN (" DB_IN64 ") ORDER BY p.id";
/* The members of up to MANY_CHUNK fixtures, by fixture then match. */
static const char SQL_OF_FIXTURES[] = VIEW_COLUMNS " FROM fixture_members f"
                                                   " JOIN matches p ON p.id = f.match_id" VIEW_JOINS
                                                   " WHERE f.fixture_id IN (" DB_IN64 ")"
                                                   " ORDER BY f.fixture_id, f.match_id";
static const char SQL_AFTER[] = VIEW_COLUMNS
    " FROM (SELECT m.* FROM matches m WHERE m.id > ? ORDER BY m.id LIMIT ?) p" VIEW_JOINS
    " ORDER BY p.id";

/* The other spellings of each team's identity: the names of the other teams
 * in it, for the search documents. */
static const char SQL_ALIASES[] =
    "SELECT tim.team_id, o.name FROM team_identity_members tim"
    " JOIN team_identity_members om ON om.identity_id = tim.identity_id AND om.team_id <> "
    "tim.team_id"
    " JOIN teams o ON o.id = om.team_id WHERE tim.team_id IN (" DB_IN64 ")"
    " ORDER BY tim.team_id, o.name, o.id";

static const char SQL_MESSAGES[] =
    "SELECT id, DATE_FORMAT(received_at, '%Y-%m-%dT%H:%i:%s.%fZ'), status, error, payload"
    " FROM messages WHERE match_id = ? ORDER BY id";
static const char SQL_EXISTS[] = "SELECT 1 FROM matches WHERE id = ?";

static const char SQL_TITLES[] =
    "SELECT t.id, t.name, NULL, (SELECT COUNT(*) FROM matches m WHERE m.title_id = t.id)"
    " FROM titles t ORDER BY t.name, t.id LIMIT ? OFFSET ?";
static const char SQL_TOURNAMENTS[] =
    "SELECT tn.id, tn.name, s.name,"
    " (SELECT COUNT(*) FROM matches m WHERE m.tournament_id = tn.id)"
    " FROM tournaments tn JOIN sources s ON s.id = tn.source_id"
    " ORDER BY tn.name, tn.id LIMIT ? OFFSET ?";
/* /api/teams/: with each team's external id and identity, by source or not */
static const char SQL_TEAMS_OF[] =
    "SELECT t.id, t.name, s.name, (SELECT COUNT(*) FROM match_teams mt WHERE mt.team_id = t.id),"
    " t.external_id, COALESCE(tim.identity_id, t.id) FROM teams t"
    " JOIN sources s ON s.id = t.source_id"
    " LEFT JOIN team_identity_members tim ON tim.team_id = t.id"
    " WHERE (? IS NULL OR s.name = ?) ORDER BY t.name, t.id LIMIT ? OFFSET ?";
static const char SQL_COUNT_TEAMS_OF[] = "SELECT COUNT(*) FROM teams t JOIN sources s ON s.id = "
                                         "t.source_id WHERE (? IS NULL OR s.name = ?)";
static const char SQL_TEAMS[] =
    "SELECT t.id, t.name, s.name, (SELECT COUNT(*) FROM match_teams mt WHERE mt.team_id = t.id)"
    " FROM teams t JOIN sources s ON s.id = t.source_id ORDER BY t.name, t.id LIMIT ? OFFSET ?";
/* The most active tournaments and teams, one row per name key (the way the
 * filters match names), for the website's suggestions. */
static const char SQL_TOP_TOURNAMENTS[] =
    "SELECT MIN(tn.id), MIN(tn.name), NULL, COUNT(*) AS c FROM matches m"
    " JOIN tournaments tn ON tn.id = m.tournament_id GROUP BY tn.name_key"
    " ORDER BY c DESC, MIN(tn.name) LIMIT ?";
static const char SQL_TOP_TEAMS[] =
    "SELECT MIN(t.id), MIN(t.name), NULL, COUNT(*) AS c FROM match_teams mt"
    " JOIN teams t ON t.id = mt.team_id GROUP BY t.name_key ORDER BY c DESC, MIN(t.name) LIMIT ?";
static const char SQL_COUNT_TITLES[] = "SELECT COUNT(*) FROM titles";
static const char SQL_COUNT_TOURNAMENTS[] = "SELECT COUNT(*) FROM tournaments";
static const char SQL_COUNT_TEAMS[] = "SELECT COUNT(*) FROM teams";

static const char *const matches_sqls[] = {
    SQL_COUNT,
    SQL_COUNT_ALL,
    SQL_PAGE_DATE_DESC,
    SQL_PAGE_DATE_ASC,
    SQL_PAGE_ID_ASC,
    SQL_PAGE_ID_DESC,
    SQL_ONE,
    SQL_MESSAGES,
    SQL_EXISTS,
    SQL_TITLES,
    SQL_TOURNAMENTS,
    SQL_TEAMS,
    SQL_COUNT_TITLES,
    SQL_COUNT_TOURNAMENTS,
    SQL_COUNT_TEAMS,
    SQL_TOP_TOURNAMENTS,
    SQL_TOP_TEAMS,
    SQL_TEAMS_OF,
    SQL_COUNT_TEAMS_OF,
    SQL_OF_FIXTURES,
};
/* The search's facet names: titles and tournaments by id, NAMES_MAX each. */
#define IDS20 DB_IN8 "," DB_IN8 ",?,?,?,?"
static const char SQL_NAMES[] = "SELECT 0, id, name FROM titles WHERE id IN (" IDS20 ")"
                                " UNION ALL SELECT 1, id, name FROM tournaments"
                                " WHERE id IN (" IDS20 ")";

static const char *const search_sqls[] = {SQL_MANY, SQL_AFTER, SQL_ALIASES, SQL_NAMES};

void
db_matches_register(struct db *db)
{
    db_register(db, matches_sqls, ARRAY_SIZE(matches_sqls));
    db_register(db, search_sqls, ARRAY_SIZE(search_sqls));
}

static void
bind_opt_i64(MYSQL_BIND *p, struct filter_params *fp, int k, int set, int64_t v)
{
    fp->v[k] = v;
    fp->null[k] = !set;
    db_bind_i64(&p[k], &fp->v[k], &fp->null[k]);
}

static void
bind_opt_s(MYSQL_BIND *p, struct filter_params *fp, int k, const char *s)
{
    fp->null[k] = s == NULL;
    fp->len[k] = s ? (unsigned long)strlen(s) : 0;
    db_bind_str(&p[k], s ? s : "", &fp->len[k], &fp->null[k]);
}

/* A date bound as DATETIME text: no epoch conversion, so every year from
 * 1000 to 9999 compares right; a bound outside that range is clamped to it,
 * which selects the same rows. */
static void
bind_opt_date(MYSQL_BIND *p, struct filter_params *fp, int k, int set, int64_t v, char *text)
{
    dt_format_sql(v, text);
    bind_opt_s(p, fp, k, set ? text : NULL);
}

void
db_filter_bind(MYSQL_BIND *p, struct filter_params *fp, const struct match_filter *f)
{
    int k;

    for (k = 0; k < NFILTER; k += 2) {
        switch (k / 2) {
        case 0:
            bind_opt_i64(p, fp, k, f->title_id != 0, f->title_id);
            break;
        case 1:
            bind_opt_s(p, fp, k, f->title_key);
            break;
        case 2:
            bind_opt_i64(p, fp, k, f->tournament_id != 0, f->tournament_id);
            break;
        case 3:
            bind_opt_s(p, fp, k, f->tournament_key);
            break;
        case 4:
            bind_opt_i64(p, fp, k, f->has_state, f->state);
            break;
        case 5:
            bind_opt_date(p, fp, k, f->has_gte, f->gte, fp->dates[0]);
            break;
        case 6:
            bind_opt_date(p, fp, k, f->has_lte, f->lte, fp->dates[1]);
            break;
        case 7:
            bind_opt_i64(p, fp, k, f->team_id != 0, f->team_id);
            break;
        case 8:
            bind_opt_s(p, fp, k, f->team_key);
            break;
        default:
            bind_opt_s(p, fp, k, f->source);
            break;
        }
        /* the second of each pair is the same value */
        p[k + 1] = p[k];
    }
}

/* Runs a SELECT of one count with params; RC_OK with *count. */
static int
select_count(struct db *db, const char *sql, MYSQL_BIND *params, uint64_t *count)
{
    int64_t c;
    int rc = db_select_i64(db, sql, params, &c, NULL);

    *count = (uint64_t)c;
    return rc;
}

/* One result row of VIEW_COLUMNS. */
struct view_row {
    int64_t id, state, bestof, title_id, tournament_id, team_id, score;
    int winner;
    char source[4 * MATCH_ID_MAX + 1], external_id[4 * MATCH_ID_MAX + 1];
    char url[4 * 2048 + 1], title[4 * MATCH_NAME_MAX + 1];
    char tournament[4 * MATCH_NAME_MAX + 1], team[4 * MATCH_NAME_MAX + 1];
    /* the two DATETIMEs come binary and are written here, not by DATE_FORMAT
     * on the server: two calls a row were about a tenth of its work for a search */
    MYSQL_TIME date, updated;
    int64_t fixture_id, identity_id, position;
    unsigned long len[NVIEW];
    char null[NVIEW];
};

static void
bind_view(MYSQL_BIND *r, struct view_row *v)
{
    memset(v->null, 0, sizeof(v->null));
    db_bind_i64(&r[0], &v->id, &v->null[0]);
    db_bind_out_str(&r[1], v->source, sizeof(v->source) - 1, &v->len[1], &v->null[1]);
    db_bind_out_str(&r[2], v->external_id, sizeof(v->external_id) - 1, &v->len[2], &v->null[2]);
    db_bind_out_str(&r[3], v->url, sizeof(v->url) - 1, &v->len[3], &v->null[3]);
    db_bind_i64(&r[4], &v->state, &v->null[4]);
    db_bind_i64(&r[5], &v->bestof, &v->null[5]);
    db_bind_datetime(&r[6], &v->date, &v->null[6]);
    db_bind_i64(&r[7], &v->title_id, &v->null[7]);
    db_bind_out_str(&r[8], v->title, sizeof(v->title) - 1, &v->len[8], &v->null[8]);
    db_bind_i64(&r[9], &v->tournament_id, &v->null[9]);
    db_bind_out_str(&r[10], v->tournament, sizeof(v->tournament) - 1, &v->len[10], &v->null[10]);
    db_bind_datetime(&r[11], &v->updated, &v->null[11]);
    db_bind_i64(&r[12], &v->team_id, &v->null[12]);
    db_bind_out_str(&r[13], v->team, sizeof(v->team) - 1, &v->len[13], &v->null[13]);
    db_bind_i64(&r[14], &v->score, &v->null[14]);
    db_bind_int(&r[15], &v->winner, &v->null[15]);
    db_bind_i64(&r[16], &v->fixture_id, &v->null[16]);
    db_bind_i64(&r[17], &v->identity_id, &v->null[17]);
    db_bind_i64(&r[18], &v->position, &v->null[18]);
}

/* A copy of string column k of v, or NULL when it is NULL. */
static const char *
col_str(struct arena *a, const struct view_row *v, int k, const char *buf, size_t cap)
{
    if (v->null[k]) {
        return NULL;
    }
    return arena_strndup(a, buf, v->len[k] < cap ? v->len[k] : cap - 1);
}

#define COL(a, v, k, field) col_str((a), (v), (k), (v)->field, sizeof((v)->field))

/* DATETIME column k of v as the API writes it, or NULL when it is NULL. */
static const char *
time_col(struct arena *a, const struct view_row *v, int k, const MYSQL_TIME *t, int micro)
{
    char iso[DB_TIME_ISO_MAX];
    size_t n;

    if (v->null[k]) {
        return NULL;
    }
    n = db_time_iso(t, micro, iso);
    return n > 0 ? arena_strndup(a, iso, n) : NULL;
}

/*
 * Fetches the rows of an executed VIEW_COLUMNS query into matches, one per
 * match id, teams grouped under it (rows arrive grouped by match).
 */
static int
fetch_views(struct db *db, const char *sql, struct arena *a, size_t cap, struct match_view **out,
            size_t *n)
{
    MYSQL_BIND r[NVIEW];
    struct view_row *v = malloc(sizeof(*v));
    struct match_view *views = arena_alloc(a, (cap ? cap : 1) * sizeof(*views));
    int64_t pos[MATCH_MAX_TEAMS]; /* the positions of the current match's teams */
    size_t k = 0;
    int rc;

    if (v == NULL) {
        return RC_ERR;
    }
    bind_view(r, v);
    rc = db_bind_result(db, sql, r);
    while (rc == RC_OK && (rc = db_fetch(db, sql)) == RC_OK) {
        struct match_view *m = k > 0 ? &views[k - 1] : NULL;

        if (m == NULL || m->id != (uint64_t)v->id) {
            if (k == cap) {
                /* a fixture's members: as many as it has sources */
                struct match_view *grown = arena_alloc(a, 2 * cap * sizeof(*grown));

                memcpy(grown, views, cap * sizeof(*grown));
                views = grown;
                cap *= 2;
            }
            m = &views[k++];
            memset(m, 0, sizeof(*m));
            m->id = (uint64_t)v->id;
            m->source = COL(a, v, 1, source);
            m->external_id = COL(a, v, 2, external_id);
            m->url = COL(a, v, 3, url);
            m->has_state = !v->null[4];
            m->state = v->state;
            m->has_bestof = !v->null[5];
            m->bestof = v->bestof;
            m->date_start = time_col(a, v, 6, &v->date, 0);
            m->title_id = v->null[7] ? 0 : (uint64_t)v->title_id;
            m->title_name = COL(a, v, 8, title);
            m->tournament_id = v->null[9] ? 0 : (uint64_t)v->tournament_id;
            m->tournament_name = COL(a, v, 10, tournament);
            m->updated_at = time_col(a, v, 11, &v->updated, 1);
            m->fixture_id = (uint64_t)v->fixture_id;
            m->teams = arena_alloc(a, MATCH_MAX_TEAMS * sizeof(*m->teams));
        }
        if (!v->null[12] && m->nteams < MATCH_MAX_TEAMS) {
            /* in position order, whatever order the rows came in */
            size_t at = m->nteams++;
            struct team_view *t;

            while (at > 0 && pos[at - 1] > v->position) {
                m->teams[at] = m->teams[at - 1];
                pos[at] = pos[at - 1];
                at--;
            }
            pos[at] = v->position;
            t = &m->teams[at];
            memset(t, 0, sizeof(*t));
            t->id = (uint64_t)v->team_id;
            t->name = COL(a, v, 13, team);
            t->has_score = !v->null[14];
            t->score = v->score;
            t->winner = v->null[15] ? TRI_NULL : (v->winner ? TRI_TRUE : TRI_FALSE);
            t->identity_id = (uint64_t)v->identity_id;
        }
    }
    db_stmt_done(db, sql);
    free(v);
    *out = views;
    *n = k;
    return rc == RC_NOTFOUND ? RC_OK : rc;
}

int
db_filter_none(const struct match_filter *f)
{
    return f->title_id == 0 && f->title_key == NULL && f->tournament_id == 0 &&
           f->tournament_key == NULL && !f->has_state && !f->has_gte && !f->has_lte &&
           f->team_id == 0 && f->team_key == NULL && f->source == NULL;
}

int
db_matches_list(struct db *db, const struct match_filter *f, struct arena *a,
                struct match_view **out, size_t *n, uint64_t *count)
{
    static const char *const pages[] = {SQL_PAGE_DATE_DESC, SQL_PAGE_DATE_ASC, SQL_PAGE_ID_ASC,
                                        SQL_PAGE_ID_DESC};
    const char *sql = pages[f->order];
    MYSQL_BIND p[NFILTER + 2];
    struct filter_params fp;
    int64_t limit = f->page_size, offset = (f->page - 1) * f->page_size;
    int rc;

    *out = NULL;
    *n = 0;
    db_filter_bind(p, &fp, f);
    rc = db_filter_none(f) ? select_count(db, SQL_COUNT_ALL, NULL, count)
                           : select_count(db, SQL_COUNT, p, count);
    if (rc != RC_OK || *count <= (uint64_t)offset) {
        return rc;
    }
    db_bind_i64(&p[NFILTER], &limit, NULL);
    db_bind_i64(&p[NFILTER + 1], &offset, NULL);
    rc = db_execute(db, sql, p);
    if (rc != RC_OK) {
        return rc;
    }
    return fetch_views(db, sql, a, (size_t)f->page_size, out, n);
}

int
db_matches_find_by_id(struct db *db, uint64_t id, struct arena *a, struct match_view **out)
{
    MYSQL_BIND p[1];
    int64_t v = (int64_t)id;
    size_t n = 0;
    int rc;

    db_bind_i64(&p[0], &v, NULL);
    rc = db_execute(db, SQL_ONE, p);
    if (rc == RC_OK) {
        rc = fetch_views(db, SQL_ONE, a, 1, out, &n);
    }
    if (rc == RC_OK && n == 0) {
        rc = RC_NOTFOUND;
    }
    return rc;
}

int
db_matches_messages(struct db *db, uint64_t id, struct arena *a, struct message_view **out,
                    size_t *n)
{
    MYSQL_BIND p[1], r[5];
    MYSQL_STMT *st;
    int64_t v = (int64_t)id, mid = 0;
    char when[40], status[16], error[4 * 1024 + 1];
    unsigned long lens[5] = {0};
    char nulls[5] = {0};
    size_t cap = 16, k = 0;
    struct message_view *msgs = arena_alloc(a, cap * sizeof(*msgs));
    int rc;

    db_bind_i64(&p[0], &v, NULL);
    rc = db_execute(db, SQL_MESSAGES, p);
    if (rc != RC_OK) {
        return rc;
    }
    db_bind_i64(&r[0], &mid, NULL);
    db_bind_out_str(&r[1], when, sizeof(when) - 1, &lens[1], NULL);
    db_bind_out_str(&r[2], status, sizeof(status) - 1, &lens[2], NULL);
    db_bind_out_str(&r[3], error, sizeof(error) - 1, &lens[3], &nulls[3]);
    /* the payload's length comes first; its bytes are fetched to the right size below */
    db_bind_out_str(&r[4], NULL, 0, &lens[4], &nulls[4]);
    r[4].buffer_type = MYSQL_TYPE_BLOB;
    rc = db_bind_result(db, SQL_MESSAGES, r);
    st = db_stmt(db, SQL_MESSAGES);
    while (rc == RC_OK && (rc = db_fetch(db, SQL_MESSAGES)) == RC_OK) {
        struct message_view *m;
        MYSQL_BIND pb;
        char *payload = arena_alloc(a, lens[4] + 1);

        if (k == cap) {
            struct message_view *grown = arena_alloc(a, 2 * cap * sizeof(*grown));

            memcpy(grown, msgs, cap * sizeof(*grown));
            msgs = grown;
            cap *= 2;
        }
        memset(&pb, 0, sizeof(pb));
        pb.buffer_type = MYSQL_TYPE_BLOB;
        pb.buffer = payload;
        pb.buffer_length = lens[4];
        if (lens[4] > 0 && (st == NULL || mysql_stmt_fetch_column(st, &pb, 4, 0) != 0)) {
            rc = RC_ERR;
            break;
        }
        payload[lens[4]] = '\0';
        m = &msgs[k++];
        m->id = (uint64_t)mid;
        m->received_at = arena_strndup(a, when, lens[1] < sizeof(when) ? lens[1] : 0);
        m->status = arena_strndup(a, status, lens[2] < sizeof(status) ? lens[2] : 0);
        m->error = nulls[3] ? NULL : arena_strndup(a, error, lens[3] < sizeof(error) ? lens[3] : 0);
        m->payload = payload;
        m->len = lens[4];
    }
    db_stmt_done(db, SQL_MESSAGES);
    if (rc != RC_NOTFOUND) {
        return rc;
    }
    *out = msgs;
    *n = k;
    if (k > 0) {
        return RC_OK;
    }
    /* no messages: does the match exist at all? */
    {
        uint64_t one;

        return select_count(db, SQL_EXISTS, p, &one);
    }
}

/* Fetches up to cap rows (id, name, source, matches) of the executed sql;
 * with team_cols, also (external_id, identity_id). */
static int
fetch_refs(struct db *db, const char *sql, size_t cap, int team_cols, struct arena *a,
           struct ref_view **out, size_t *n)
{
    MYSQL_BIND r[6];
    int64_t id = 0, matches = 0, identity = 0;
    char name[4 * MATCH_NAME_MAX + 1], source[4 * MATCH_ID_MAX + 1], ext[4 * MATCH_ID_MAX + 1];
    unsigned long nlen = 0, slen = 0, elen = 0;
    char snull = 0;
    struct ref_view *refs = arena_alloc(a, (cap ? cap : 1) * sizeof(*refs));
    size_t k = 0;
    int rc;

    db_bind_i64(&r[0], &id, NULL);
    db_bind_out_str(&r[1], name, sizeof(name) - 1, &nlen, NULL);
    db_bind_out_str(&r[2], source, sizeof(source) - 1, &slen, &snull);
    db_bind_i64(&r[3], &matches, NULL);
    db_bind_out_str(&r[4], ext, sizeof(ext) - 1, &elen, NULL);
    db_bind_i64(&r[5], &identity, NULL);
    if (!team_cols) {
        memset(&r[4], 0, 2 * sizeof(r[4]));
    }
    rc = db_bind_result(db, sql, r);
    while (rc == RC_OK && k < cap && (rc = db_fetch(db, sql)) == RC_OK) {
        refs[k].id = (uint64_t)id;
        refs[k].name = arena_strndup(a, name, nlen < sizeof(name) ? nlen : sizeof(name) - 1);
        refs[k].source = snull ? NULL : arena_strndup(a, source, slen < sizeof(source) ? slen : 0);
        refs[k].matches = (uint64_t)matches;
        refs[k].external_id =
            team_cols ? arena_strndup(a, ext, elen < sizeof(ext) ? elen : sizeof(ext) - 1) : NULL;
        refs[k].identity_id = team_cols ? (uint64_t)identity : 0;
        k++;
    }
    db_stmt_done(db, sql);
    *out = refs;
    *n = k;
    return rc == RC_NOTFOUND || rc == RC_OK ? RC_OK : rc;
}

int
db_matches_refs(struct db *db, enum ref_kind kind, int64_t page, int64_t page_size, struct arena *a,
                struct ref_view **out, size_t *n, uint64_t *count)
{
    static const char *const lists[] = {SQL_TITLES, SQL_TOURNAMENTS, SQL_TEAMS};
    static const char *const counts[] = {SQL_COUNT_TITLES, SQL_COUNT_TOURNAMENTS, SQL_COUNT_TEAMS};
    const char *sql = lists[kind];
    MYSQL_BIND p[2];
    int64_t limit = page_size, offset = (page - 1) * page_size;
    int rc;

    *out = NULL;
    *n = 0;
    rc = select_count(db, counts[kind], NULL, count);
    if (rc != RC_OK || *count <= (uint64_t)offset) {
        return rc;
    }
    db_bind_i64(&p[0], &limit, NULL);
    db_bind_i64(&p[1], &offset, NULL);
    rc = db_execute(db, sql, p);
    if (rc != RC_OK) {
        return rc;
    }
    return fetch_refs(db, sql, (size_t)page_size, 0, a, out, n);
}

int
db_matches_teams(struct db *db, const char *source, int64_t page, int64_t page_size,
                 struct arena *a, struct ref_view **out, size_t *n, uint64_t *count)
{
    MYSQL_BIND p[4];
    unsigned long len = source ? (unsigned long)strlen(source) : 0;
    char null = source == NULL;
    int64_t limit = page_size, offset = (page - 1) * page_size;
    int rc;

    *out = NULL;
    *n = 0;
    db_bind_str(&p[0], source ? source : "", &len, &null);
    p[1] = p[0];
    rc = select_count(db, SQL_COUNT_TEAMS_OF, p, count);
    if (rc != RC_OK || *count <= (uint64_t)offset) {
        return rc;
    }
    db_bind_i64(&p[2], &limit, NULL);
    db_bind_i64(&p[3], &offset, NULL);
    rc = db_execute(db, SQL_TEAMS_OF, p);
    if (rc != RC_OK) {
        return rc;
    }
    return fetch_refs(db, SQL_TEAMS_OF, (size_t)page_size, 1, a, out, n);
}

int
db_matches_of_fixtures(struct db *db, const uint64_t *ids, size_t n, struct arena *a,
                       struct match_view **out, size_t *nout)
{
    struct match_view *all = NULL;
    MYSQL_BIND p[MANY_CHUNK];
    int64_t v[MANY_CHUNK];
    char null[MANY_CHUNK];
    size_t done = 0, k = 0, cap = 0, i;
    int rc = RC_OK;

    while (rc == RC_OK && done < n) {
        size_t chunk = n - done < MANY_CHUNK ? n - done : MANY_CHUNK, got = 0;
        struct match_view *views = NULL;

        db_bind_in(p, v, null, MANY_CHUNK, (const int64_t *)ids + done, chunk);
        rc = db_execute(db, SQL_OF_FIXTURES, p);
        if (rc == RC_OK) {
            rc = fetch_views(db, SQL_OF_FIXTURES, a, 2 * MANY_CHUNK, &views, &got);
        }
        if (rc == RC_OK && k + got > cap) {
            struct match_view *grown;

            cap = 2 * (k + got);
            grown = arena_alloc(a, cap * sizeof(*grown));
            if (k > 0) {
                memcpy(grown, all, k * sizeof(*grown));
            }
            all = grown;
        }
        for (i = 0; rc == RC_OK && i < got; i++) {
            all[k++] = views[i];
        }
        done += chunk;
    }
    *out = all;
    *nout = k;
    return rc;
}

int
db_matches_top(struct db *db, enum ref_kind kind, size_t limit, struct arena *a,
               struct ref_view **out, size_t *n)
{
    const char *sql = kind == REF_TEAMS ? SQL_TOP_TEAMS : SQL_TOP_TOURNAMENTS;
    MYSQL_BIND p[1];
    int64_t lim = (int64_t)limit;
    int rc;

    *out = NULL;
    *n = 0;
    db_bind_i64(&p[0], &lim, NULL);
    rc = db_execute(db, sql, p);
    if (rc != RC_OK) {
        return rc;
    }
    return fetch_refs(db, sql, limit, 0, a, out, n);
}

/* Adds one alias to every team of views[0..n) with id team_id. */
static void
add_alias(struct arena *a, struct match_view *views, size_t n, uint64_t team_id, const char *name)
{
    size_t i, k;

    for (i = 0; i < n; i++) {
        for (k = 0; k < views[i].nteams; k++) {
            struct team_view *t = &views[i].teams[k];

            if (t->id != team_id) {
                continue;
            }
            if (t->naliases % 8 == 0) {
                const char **grown = arena_alloc(a, (t->naliases + 8) * sizeof(*grown));

                if (t->naliases > 0) {
                    memcpy(grown, t->aliases, t->naliases * sizeof(*grown));
                }
                t->aliases = grown;
            }
            t->aliases[t->naliases++] = name;
        }
    }
}

/* Fills the aliases of the teams of views[0..n): MANY_CHUNK teams per round
 * trip. */
static int
load_aliases(struct db *db, struct arena *a, struct match_view *views, size_t n)
{
    MYSQL_BIND p[MANY_CHUNK], r[2];
    int64_t v[MANY_CHUNK], team = 0;
    char null[MANY_CHUNK], name[4 * MATCH_NAME_MAX + 1];
    unsigned long len = 0;
    size_t i = 0, k = 0, used;
    int rc = RC_OK;

    db_bind_i64(&r[0], &team, NULL);
    db_bind_out_str(&r[1], name, sizeof(name) - 1, &len, NULL);
    while (rc == RC_OK && i < n) {
        for (used = 0; used < MANY_CHUNK && i < n;) {
            if (k < views[i].nteams) {
                v[used++] = (int64_t)views[i].teams[k++].id;
            } else {
                i++;
                k = 0;
            }
        }
        if (used == 0) {
            break;
        }
        for (size_t j = 0; j < MANY_CHUNK; j++) {
            null[j] = j >= used;
            db_bind_i64(&p[j], &v[j], &null[j]);
        }
        rc = db_execute(db, SQL_ALIASES, p);
        if (rc == RC_OK) {
            rc = db_bind_result(db, SQL_ALIASES, r);
        }
        while (rc == RC_OK && (rc = db_fetch(db, SQL_ALIASES)) == RC_OK) {
            add_alias(a, views, n, (uint64_t)team,
                      arena_strndup(a, name, len < sizeof(name) ? len : sizeof(name) - 1));
        }
        db_stmt_done(db, SQL_ALIASES);
        rc = rc == RC_NOTFOUND ? RC_OK : rc;
    }
    return rc;
}

static int
find_many(struct db *db, const uint64_t *ids, size_t n, int with_aliases, struct arena *a,
          struct match_view **out, size_t *nout)
{
    struct match_view *all = arena_alloc(a, (n ? n : 1) * sizeof(*all));
    MYSQL_BIND p[MANY_CHUNK];
    int64_t v[MANY_CHUNK];
    char null[MANY_CHUNK];
    size_t done = 0, k = 0, i;
    int rc = RC_OK;

    while (rc == RC_OK && done < n) {
        size_t chunk = n - done < MANY_CHUNK ? n - done : MANY_CHUNK, got = 0;
        struct match_view *views = NULL;

        db_bind_in(p, v, null, MANY_CHUNK, (const int64_t *)ids + done, chunk);
        rc = db_execute(db, SQL_MANY, p);
        if (rc == RC_OK) {
            rc = fetch_views(db, SQL_MANY, a, MANY_CHUNK, &views, &got);
        }
        for (i = 0; rc == RC_OK && i < got && k < n; i++) {
            all[k++] = views[i];
        }
        done += chunk;
    }
    if (rc == RC_OK && with_aliases) {
        rc = load_aliases(db, a, all, k);
    }
    *out = all;
    *nout = k;
    return rc;
}

int
db_matches_find_many(struct db *db, const uint64_t *ids, size_t n, struct arena *a,
                     struct match_view **out, size_t *nout)
{
    return find_many(db, ids, n, 0, a, out, nout);
}

int
db_matches_find_docs(struct db *db, const uint64_t *ids, size_t n, struct arena *a,
                     struct match_view **out, size_t *nout)
{
    return find_many(db, ids, n, 1, a, out, nout);
}

int
db_matches_after(struct db *db, uint64_t after, size_t limit, struct arena *a,
                 struct match_view **out, size_t *n)
{
    MYSQL_BIND p[2];
    int64_t from = (int64_t)after, lim = (int64_t)limit;
    int rc;

    *out = NULL;
    *n = 0;
    db_bind_i64(&p[0], &from, NULL);
    db_bind_i64(&p[1], &lim, NULL);
    rc = db_execute(db, SQL_AFTER, p);
    if (rc == RC_OK) {
        rc = fetch_views(db, SQL_AFTER, a, limit, out, n);
    }
    return rc == RC_OK ? load_aliases(db, a, *out, *n) : rc;
}

int
db_matches_names(struct db *db, const int64_t *const ids[2], const size_t n[2], struct arena *a,
                 const char **names[2])
{
    MYSQL_BIND p[2 * NAMES_MAX], r[3];
    int64_t v[2 * NAMES_MAX], kind = 0, id = 0;
    char null[2 * NAMES_MAX], name[4 * MATCH_NAME_MAX + 1];
    unsigned long nlen = 0;
    size_t k, i;
    int rc;

    for (k = 0; k < 2; k++) {
        for (i = 0; i < NAMES_MAX; i++) {
            size_t j = k * NAMES_MAX + i;

            v[j] = i < n[k] ? ids[k][i] : 0;
            null[j] = i >= n[k];
            db_bind_i64(&p[j], &v[j], &null[j]);
        }
        for (i = 0; i < n[k]; i++) {
            names[k][i] = NULL;
        }
    }
    rc = db_execute(db, SQL_NAMES, p);
    if (rc != RC_OK) {
        return rc;
    }
    db_bind_i64(&r[0], &kind, NULL);
    db_bind_i64(&r[1], &id, NULL);
    db_bind_out_str(&r[2], name, sizeof(name) - 1, &nlen, NULL);
    rc = db_bind_result(db, SQL_NAMES, r);
    while (rc == RC_OK && (rc = db_fetch(db, SQL_NAMES)) == RC_OK) {
        k = kind == 1;
        for (i = 0; i < n[k] && i < NAMES_MAX; i++) {
            if (ids[k][i] == id) {
                names[k][i] = arena_strndup(a, name, nlen < sizeof(name) ? nlen : sizeof(name) - 1);
            }
        }
    }
    db_stmt_done(db, SQL_NAMES);
    return rc == RC_NOTFOUND ? RC_OK : rc;
}
