/*
 * db_link_decide.c: a person's decisions on links (tools/link) and the list
 * of what waits for one; see db_link.h. A decision is a row in
 * link_decisions plus the pair rows it implies (match_links, team_links,
 * title_aliases); the linker reads those as inputs, so they win over it in
 * the consumer and in tools/relink alike. Each decision is applied at once
 * by relinking what it touches, in the caller's transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_changes.h"
#include "db_ingest.h"
#include "db_internal.h"
#include "db_link.h"
#include "mem.h"
#include "rc.h"
#include "text.h"
#include "util.h"

static const char SQL_MATCH_SOURCE[] = "SELECT source_id FROM matches WHERE id = ?";
static const char SQL_TEAM_SOURCE[] = "SELECT source_id FROM teams WHERE id = ?";
static const char SQL_TITLE_ID[] = "SELECT id FROM titles WHERE id = ?";
static const char SQL_TITLE_BY_KEY[] = "SELECT id FROM titles WHERE name_key = ?";
static const char SQL_ALIAS_TARGET[] = "SELECT title_id FROM title_aliases WHERE alias_key ="
                                       " (SELECT name_key FROM titles WHERE id = ?)";
static const char SQL_ALIASED_TO[] =
    "SELECT COUNT(*) FROM title_aliases a JOIN titles t ON t.name_key = a.alias_key"
    " WHERE a.title_id = (SELECT id FROM titles WHERE name_key = ?)";

static const char SQL_DECISION[] =
    "INSERT INTO link_decisions (kind, subject_a, subject_b, alias, note) VALUES (?, ?, ?, ?, ?)";

static const char SQL_MATCH_DECIDE[] =
    "INSERT INTO match_links (match_a, match_b, status, decision_id) VALUES (?, ?, ?, ?)"
    " ON DUPLICATE KEY UPDATE status = VALUES(status), decision_id = VALUES(decision_id),"
    " updated_at = UTC_TIMESTAMP(6)";

static const char SQL_TEAM_DECIDE[] =
    "INSERT INTO team_links (team_a, team_b, status, decision_id) VALUES (?, ?, ?, ?)"
    " ON DUPLICATE KEY UPDATE status = VALUES(status), decision_id = VALUES(decision_id),"
    " updated_at = UTC_TIMESTAMP(6)";

static const char SQL_FIXTURE_MATES[] =
    "SELECT f2.match_id FROM fixture_members f1 JOIN fixture_members f2"
    " ON f2.fixture_id = f1.fixture_id WHERE f1.match_id = ? AND f2.match_id <> ?"
    " ORDER BY f2.match_id";

static const char SQL_IDENTITY_MATES[] =
    "SELECT i2.team_id FROM team_identity_members i1 JOIN team_identity_members i2"
    " ON i2.identity_id = i1.identity_id WHERE i1.team_id = ? AND i2.team_id <> ?"
    " ORDER BY i2.team_id";

static const char SQL_ALIAS[] =
    "INSERT INTO title_aliases (alias_key, title_id, decision_id) VALUES (?, ?, ?)"
    " ON DUPLICATE KEY UPDATE title_id = VALUES(title_id), decision_id = VALUES(decision_id)";

static const char SQL_TITLE_MATCHES[] =
    "SELECT m.id FROM titles t JOIN matches m ON m.title_id = t.id"
    " WHERE t.name_key = ? AND m.id > ? ORDER BY m.id LIMIT 500";

static const char SQL_MATCHES_OF_TEAM[] = "SELECT match_id FROM match_teams WHERE team_id = ?";

static const char SQL_LIST[] =
    "SELECT l.match_a, l.match_b, l.probability, l.evidence, sa.name, ma.external_id, sb.name,"
    " mb.external_id FROM match_links l"
    " JOIN matches ma ON ma.id = l.match_a JOIN sources sa ON sa.id = ma.source_id"
    " JOIN matches mb ON mb.id = l.match_b JOIN sources sb ON sb.id = mb.source_id"
    " WHERE l.status = ? AND (? = 0 OR ? IN (l.match_a, l.match_b))"
    " ORDER BY l.probability DESC, l.match_a, l.match_b LIMIT ?";

static const char *const decide_sqls[] = {
    SQL_MATCH_SOURCE,   SQL_TEAM_SOURCE, SQL_TITLE_ID,      SQL_TITLE_BY_KEY, SQL_ALIAS_TARGET,
    SQL_ALIASED_TO,     SQL_DECISION,    SQL_MATCH_DECIDE,  SQL_TEAM_DECIDE,  SQL_FIXTURE_MATES,
    SQL_IDENTITY_MATES, SQL_ALIAS,       SQL_TITLE_MATCHES, SQL_LIST,         SQL_MATCHES_OF_TEAM,
};

static const char *const kind_names[] = {"confirm",     "reject",     "split",
                                         "merge_teams", "split_team", "alias_title"};

void
db_link_decide_register(struct db *db)
{
    db_register(db, decide_sqls, ARRAY_SIZE(decide_sqls));
}

/* Writes the reason into err (a variable of the caller) and gives RC_INVALID. */
#define FAIL(...) (snprintf(err, errlen, __VA_ARGS__), RC_INVALID)

static int
select_id(struct db *db, const char *sql, int64_t id, int64_t *out)
{
    MYSQL_BIND p[1];
    char is_null = 0;
    int rc;

    db_bind_i64(&p[0], &id, NULL);
    rc = db_select_i64(db, sql, p, out, &is_null);
    return rc == RC_OK && is_null ? RC_NOTFOUND : rc;
}

/* Reads the ids sql gives for id into a growing array; id is bound to each
 * of the statement's placeholders (one or two: the server reads as many
 * bindings as the statement has). */
static int
ids_of(struct db *db, const char *sql, int64_t id, int64_t **out, size_t *n)
{
    MYSQL_BIND p[2], res[1];
    int64_t a = id, b = id, got = 0;
    size_t cap = 0;
    int rc;

    *n = 0;
    *out = NULL;
    db_bind_i64(&p[0], &a, NULL);
    db_bind_i64(&p[1], &b, NULL);
    rc = db_execute(db, sql, p);
    if (rc == RC_OK) {
        db_bind_i64(&res[0], &got, NULL);
        rc = db_bind_result(db, sql, res);
    }
    while (rc == RC_OK && (rc = db_fetch(db, sql)) == RC_OK) {
        if (*n + 1 > cap) {
            cap = cap ? 2 * cap : 8;
            *out = xrealloc(*out, cap * sizeof(**out));
        }
        (*out)[(*n)++] = got;
    }
    db_stmt_done(db, sql);
    return rc == RC_NOTFOUND ? RC_OK : rc;
}

static int
record(struct db *db, enum db_link_kind kind, int64_t a, int64_t b, const char *alias,
       const char *note, int64_t *id)
{
    MYSQL_BIND p[5];
    unsigned long lens[3];
    char nulls[4];
    const char *kn = kind_names[kind];
    int rc;

    lens[0] = (unsigned long)strlen(kn);
    lens[1] = alias ? (unsigned long)strlen(alias) : 0;
    lens[2] = note ? (unsigned long)strlen(note) : 0;
    nulls[0] = a == 0;
    nulls[1] = b == 0;
    nulls[2] = alias == NULL;
    nulls[3] = note == NULL || note[0] == '\0';
    db_bind_str(&p[0], kn, &lens[0], NULL);
    db_bind_i64(&p[1], &a, &nulls[0]);
    db_bind_i64(&p[2], &b, &nulls[1]);
    db_bind_str(&p[3], alias ? alias : "", &lens[1], &nulls[2]);
    db_bind_str(&p[4], note ? note : "", &lens[2], &nulls[3]);
    rc = db_execute(db, SQL_DECISION, p);
    if (rc == RC_OK) {
        *id = (int64_t)db_insert_id(db, SQL_DECISION);
    }
    return rc;
}

/* Stores a person's verdict on the pair (x, y) in sql's table. */
static int
pair_decide(struct db *db, const char *sql, int64_t x, int64_t y, int confirmed, int64_t decision)
{
    MYSQL_BIND p[4];
    int64_t a = x < y ? x : y, b = x < y ? y : x;
    const char *status = confirmed ? "confirmed" : "rejected";
    unsigned long len = (unsigned long)strlen(status);

    db_bind_i64(&p[0], &a, NULL);
    db_bind_i64(&p[1], &b, NULL);
    db_bind_str(&p[2], status, &len, NULL);
    db_bind_i64(&p[3], &decision, NULL);
    return db_execute(db, sql, p);
}

/* Checks that a and b name two rows (matches, or teams) of two sources. */
static int
check_pair(struct db *db, int teams, int64_t a, int64_t b, char *err, size_t errlen)
{
    const char *what = teams ? "team" : "match";
    int64_t sa = 0, sb = 0;
    int rc;

    if (a == b) {
        snprintf(err, errlen, "both ids are the same %s (%lld)", what, (long long)a);
        return RC_INVALID;
    }
    rc = select_id(db, teams ? SQL_TEAM_SOURCE : SQL_MATCH_SOURCE, a, &sa);
    if (rc == RC_OK) {
        rc = select_id(db, teams ? SQL_TEAM_SOURCE : SQL_MATCH_SOURCE, b, &sb);
        if (rc == RC_NOTFOUND) {
            snprintf(err, errlen, "no %s with id %lld", what, (long long)b);
            return RC_INVALID;
        }
    } else if (rc == RC_NOTFOUND) {
        snprintf(err, errlen, "no %s with id %lld", what, (long long)a);
        return RC_INVALID;
    }
    if (rc == RC_OK && sa == sb) {
        snprintf(err, errlen,
                 "%ss %lld and %lld come from one source, which reports a real-world %s once", what,
                 (long long)a, (long long)b, teams ? "team" : "match");
        return RC_INVALID;
    }
    return rc;
}

/* A person's team decision is evidence for the fixtures ("known same
 * identity"): the identities first, then every match of those teams. */
static int
relink_teams(struct db *db, const struct link_params *p, const int64_t *teams, size_t n,
             struct db_link_stats *st)
{
    int64_t *ms = NULL, *part = NULL;
    size_t nms = 0, cap = 0, np = 0, i, k;
    int rc = db_link_teams(db, teams, n, st);

    for (i = 0; i < n && rc == RC_OK; i++) {
        rc = ids_of(db, SQL_MATCHES_OF_TEAM, teams[i], &part, &np);
        for (k = 0; k < np && rc == RC_OK; k++) {
            if (nms + 1 > cap) {
                cap = cap ? 2 * cap : 16;
                ms = xrealloc(ms, cap * sizeof(*ms));
            }
            ms[nms++] = part[k];
        }
        free(part);
        part = NULL;
    }
    for (i = 0; i < nms && rc == RC_OK; i += 500) {
        rc = db_link_matches(db, p, ms + i, nms - i < 500 ? nms - i : 500, st);
    }
    free(ms);
    return rc;
}

/* Rejects every pair of x with its current mates (a fixture's or an
 * identity's) and relinks them all. */
static int
split(struct db *db, const struct link_params *p, int teams, int64_t x, int64_t decision, char *err,
      size_t errlen, struct db_link_stats *st)
{
    int64_t *m = NULL, src = 0;
    size_t n = 0, i;
    int rc = select_id(db, teams ? SQL_TEAM_SOURCE : SQL_MATCH_SOURCE, x, &src);

    if (rc == RC_NOTFOUND) {
        return FAIL(teams ? "no team with id %lld" : "no match with id %lld", (long long)x);
    }
    if (rc == RC_OK) {
        rc = ids_of(db, teams ? SQL_IDENTITY_MATES : SQL_FIXTURE_MATES, x, &m, &n);
    }
    if (rc == RC_OK && n == 0) {
        free(m);
        return FAIL(teams ? "team %lld is alone in its identity: nothing to split"
                          : "match %lld is alone in its fixture: nothing to split",
                    (long long)x);
    }
    for (i = 0; i < n && rc == RC_OK; i++) {
        rc = pair_decide(db, teams ? SQL_TEAM_DECIDE : SQL_MATCH_DECIDE, x, m[i], 0, decision);
    }
    if (rc == RC_OK) {
        m = xrealloc(m, (n + 1) * sizeof(*m));
        m[n++] = x;
        rc = teams ? relink_teams(db, p, m, n, st) : db_link_matches(db, p, m, n, st);
    }
    free(m);
    return rc;
}

/* alias-title: the title key of alias means title `target`. */
static int
alias_title(struct db *db, const struct link_params *p, const char *alias, int64_t target,
            int64_t *decision, const char *note, char *err, size_t errlen, struct db_link_stats *st)
{
    struct arena a;
    const char *key;
    int64_t got = 0, after = 0, ids[500];
    unsigned long klen;
    MYSQL_BIND q[3], res[1];
    size_t bad, n;
    int rc;

    if (alias == NULL || utf8_check(alias, strlen(alias), &bad) != RC_OK) {
        snprintf(err, errlen, "the alias is not valid UTF-8");
        return RC_INVALID;
    }
    for (const char *s = alias; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            snprintf(err, errlen, "the alias contains a control character");
            return RC_INVALID;
        }
    }
    arena_init(&a, 4096);
    key = text_title_key(&a, alias, strlen(alias));
    if (key == NULL || key[0] == '\0' || strlen(key) > 255) {
        arena_cleanup(&a);
        snprintf(err, errlen, "the alias must have 1 to 255 characters besides white space");
        return RC_INVALID;
    }
    rc = select_id(db, SQL_TITLE_ID, target, &got);
    if (rc == RC_NOTFOUND) {
        arena_cleanup(&a);
        return FAIL("no title with id %lld", (long long)target);
    }
    if (rc == RC_OK && select_id(db, SQL_ALIAS_TARGET, target, &got) == RC_OK) {
        arena_cleanup(&a);
        return FAIL("title %lld is itself an alias of title %lld: name that title instead",
                    (long long)target, (long long)got);
    }
    klen = (unsigned long)strlen(key);
    if (rc == RC_OK) {
        db_bind_str(&q[0], key, &klen, NULL);
        rc = db_select_i64(db, SQL_TITLE_BY_KEY, q, &got, NULL);
        if (rc == RC_OK && got == target) {
            arena_cleanup(&a);
            snprintf(err, errlen, "'%s' is already the name of title %lld", alias,
                     (long long)target);
            return RC_INVALID;
        }
        rc = rc == RC_NOTFOUND ? RC_OK : rc;
    }
    if (rc == RC_OK) {
        int64_t count = 0;

        db_bind_str(&q[0], key, &klen, NULL);
        rc = db_select_i64(db, SQL_ALIASED_TO, q, &count, NULL);
        if (rc == RC_OK && count > 0) {
            arena_cleanup(&a);
            snprintf(err, errlen,
                     "other titles are aliases of '%s': make them aliases of title %lld first",
                     alias, (long long)target);
            return RC_INVALID;
        }
    }
    if (rc == RC_OK) {
        rc = record(db, DB_LINK_ALIAS_TITLE, 0, target, alias, note, decision);
    }
    if (rc == RC_OK) {
        db_bind_str(&q[0], key, &klen, NULL);
        db_bind_i64(&q[1], &target, NULL);
        db_bind_i64(&q[2], decision, NULL);
        rc = db_execute(db, SQL_ALIAS, q);
    }
    /* the matches of the aliased title are compared with the target's now */
    do {
        n = 0;
        if (rc != RC_OK) {
            break;
        }
        db_bind_str(&q[0], key, &klen, NULL);
        db_bind_i64(&q[1], &after, NULL);
        rc = db_execute(db, SQL_TITLE_MATCHES, q);
        if (rc == RC_OK) {
            db_bind_i64(&res[0], &got, NULL);
            rc = db_bind_result(db, SQL_TITLE_MATCHES, res);
        }
        while (rc == RC_OK && (rc = db_fetch(db, SQL_TITLE_MATCHES)) == RC_OK) {
            if (n < ARRAY_SIZE(ids)) {
                ids[n++] = got;
            }
        }
        db_stmt_done(db, SQL_TITLE_MATCHES);
        rc = rc == RC_NOTFOUND ? RC_OK : rc;
        if (rc == RC_OK && n > 0) {
            rc = db_link_matches(db, p, ids, n, st);
            after = ids[n - 1];
        }
    } while (rc == RC_OK && n == ARRAY_SIZE(ids));
    arena_cleanup(&a);
    return rc;
}

int
db_link_decide(struct db *db, const struct link_params *p, enum db_link_kind kind, int64_t a,
               int64_t b, const char *alias, const char *note, int64_t *decision_id, char *err,
               size_t errlen, struct db_link_stats *st)
{
    int64_t ids[2];
    int rc;

    err[0] = '\0';
    *decision_id = 0;
    if (note != NULL && strlen(note) > 1024) {
        snprintf(err, errlen, "the note has more than 1024 bytes");
        return RC_INVALID;
    }
    switch (kind) {
    case DB_LINK_CONFIRM:
    case DB_LINK_REJECT:
    case DB_LINK_MERGE_TEAMS: {
        int teams = kind == DB_LINK_MERGE_TEAMS;

        rc = check_pair(db, teams, a, b, err, errlen);
        if (rc == RC_OK) {
            rc = record(db, kind, a, b, NULL, note, decision_id);
        }
        if (rc == RC_OK) {
            rc = pair_decide(db, teams ? SQL_TEAM_DECIDE : SQL_MATCH_DECIDE, a, b,
                             kind != DB_LINK_REJECT, *decision_id);
        }
        ids[0] = a;
        ids[1] = b;
        if (rc == RC_OK) {
            rc = teams ? relink_teams(db, p, ids, 2, st) : db_link_matches(db, p, ids, 2, st);
        }
        return rc;
    }
    case DB_LINK_SPLIT:
    case DB_LINK_SPLIT_TEAM:
        rc = record(db, kind, a, 0, NULL, note, decision_id);
        if (rc == RC_OK) {
            rc = split(db, p, kind == DB_LINK_SPLIT_TEAM, a, *decision_id, err, errlen, st);
        }
        return rc;
    case DB_LINK_ALIAS_TITLE:
        return alias_title(db, p, alias, b, decision_id, note, err, errlen, st);
    }
    snprintf(err, errlen, "unknown decision");
    return RC_INVALID;
}

static int
cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

int
db_link_list(struct db *db, const char *status, int64_t match, size_t limit,
             void (*fn)(const struct db_link_row *row, void *ctx), void *ctx)
{
    MYSQL_BIND p[4], res[8];
    struct db_link_row row;
    int64_t lim = (int64_t)limit, a = 0, b = 0;
    double prob = 0;
    unsigned long slen = (unsigned long)strlen(status), lens[5];
    char *ev = xmalloc(65536), sa[200], ea[800], sb[200], eb[800], evnull = 0;
    int rc;

    db_bind_str(&p[0], status, &slen, NULL);
    db_bind_i64(&p[1], &match, NULL);
    db_bind_i64(&p[2], &match, NULL);
    db_bind_i64(&p[3], &lim, NULL);
    rc = db_execute(db, SQL_LIST, p);
    if (rc == RC_OK) {
        db_bind_i64(&res[0], &a, NULL);
        db_bind_i64(&res[1], &b, NULL);
        memset(&res[2], 0, sizeof(res[2]));
        res[2].buffer_type = MYSQL_TYPE_DOUBLE;
        res[2].buffer = &prob;
        db_bind_out_str(&res[3], ev, 65535, &lens[0], &evnull);
        db_bind_out_str(&res[4], sa, sizeof(sa) - 1, &lens[1], NULL);
        db_bind_out_str(&res[5], ea, sizeof(ea) - 1, &lens[2], NULL);
        db_bind_out_str(&res[6], sb, sizeof(sb) - 1, &lens[3], NULL);
        db_bind_out_str(&res[7], eb, sizeof(eb) - 1, &lens[4], NULL);
        rc = db_bind_result(db, SQL_LIST, res);
    }
    while (rc == RC_OK && (rc = db_fetch(db, SQL_LIST)) == RC_OK) {
        ev[evnull ? 0 : (lens[0] < 65535 ? lens[0] : 65535)] = '\0';
        sa[lens[1] < sizeof(sa) ? lens[1] : sizeof(sa) - 1] = '\0';
        ea[lens[2] < sizeof(ea) ? lens[2] : sizeof(ea) - 1] = '\0';
        sb[lens[3] < sizeof(sb) ? lens[3] : sizeof(sb) - 1] = '\0';
        eb[lens[4] < sizeof(eb) ? lens[4] : sizeof(eb) - 1] = '\0';
        row.match_a = a;
        row.match_b = b;
        row.probability = prob;
        row.status = status;
        row.evidence = ev;
        row.source_a = sa;
        row.external_a = ea;
        row.source_b = sb;
        row.external_b = eb;
        fn(&row, ctx);
    }
    db_stmt_done(db, SQL_LIST);
    free(ev);
    return rc == RC_NOTFOUND ? RC_OK : rc;
}

/* Sorts ids and drops repeats; returns how many are left. */
static size_t
distinct(int64_t *ids, size_t n)
{
    size_t i, k = 0;

    qsort(ids, n, sizeof(*ids), cmp_id);
    for (i = 0; i < n; i++) {
        if (k == 0 || ids[k - 1] != ids[i]) {
            ids[k++] = ids[i];
        }
    }
    return k;
}

int
db_link_resend(struct db *db, struct db_link_stats *st)
{
    size_t n;

    if (st->nresent == 0) {
        return RC_OK;
    }
    n = distinct(st->resent, st->nresent);
    return db_ingest_outbox_many(db, (const uint64_t *)st->resent, n);
}

int
db_link_publish(struct db *db, struct db_link_stats *st, uint64_t *first, uint64_t *last)
{
    size_t n;
    int rc;

    *first = *last = 0;
    rc = db_link_resend(db, st);
    if (rc != RC_OK) {
        return rc;
    }
    if (st->ntouched == 0) {
        return RC_OK;
    }
    n = distinct(st->touched, st->ntouched);
    rc = db_ingest_outbox_many(db, (const uint64_t *)st->touched, n);
    if (rc == RC_OK) {
        rc = db_changes_record(db, (const uint64_t *)st->touched, n, first, last);
    }
    return rc;
}
