/*
 * db_fixtures.h: the read side of linking, for the API and the website:
 * fixtures (one real-world match: its source matches and their consensus),
 * a team's identity with its aliases per source, and the pairs of matches
 * waiting for a person (match_links). The linker's tables are those of
 * migrations/0006_linking.sql; every result comes from the caller's arena.
 */
#ifndef ESPORTS_DB_FIXTURES_H
#define ESPORTS_DB_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

#include "consensus.h"
#include "db.h"
#include "db_matches.h"
#include "mem.h"

/* How a match holds its place in its fixture (fixture_members). */
struct member_link {
    uint64_t match_id;
    double confidence;
    const char *origin;   /* "auto" or "person" */
    const char *evidence; /* JSON text as the linker wrote it; NULL: none (alone) */
};

struct fixture_view {
    uint64_t id;                /* the smallest match id in it */
    size_t n;                   /* its source matches, by id */
    struct match_view *matches; /* [n] */
    struct member_link *links;  /* [n] in the detail (db_fixtures_find), NULL in lists */
    struct consensus consensus; /* consensus_build() of matches */
};

/* A pair of matches a person must look at, or has decided on. */
struct link_view {
    uint64_t match_a, match_b; /* match_a < match_b */
    double probability;
    const char *status;   /* "suggested", "confirmed", "rejected" */
    const char *evidence; /* JSON text; NULL: none */
    const char *updated_at;
    struct match_view *a, *b; /* NULL when that match is gone */
};

/* One team of an identity, as its source names it. */
struct team_alias {
    uint64_t id;
    const char *name, *source, *external_id;
    double confidence;
    const char *origin;
    const char *evidence; /* JSON text; NULL: none */
    uint64_t matches;
};

struct identity_view {
    uint64_t team_id;     /* the team asked for */
    uint64_t identity_id; /* the smallest team id in it */
    size_t n;             /* its teams, by source, name and id */
    struct team_alias *teams;
};

void db_fixtures_register(struct db *db);

/* A page of fixtures: those with at least one source match the filters
 * select, ordered as f says by the fixture's first-reported match (its
 * date_start or id), with their members and consensus; and how many in all. */
int db_fixtures_list(struct db *db, const struct match_filter *f, struct arena *a,
                     struct fixture_view **out, size_t *n, uint64_t *count);
/* One fixture by its id (the smallest match id in it), with its members'
 * links: RC_OK, RC_NOTFOUND (no fixture has that id), RC_UNAVAIL or RC_ERR. */
int db_fixtures_find(struct db *db, uint64_t id, struct arena *a, struct fixture_view **out);
/* A page of match_links with status, most probable first, and the count;
 * only the pairs match is in unless match is 0. */
int db_fixtures_links(struct db *db, const char *status, uint64_t match, int64_t page,
                      int64_t page_size, struct arena *a, struct link_view **out, size_t *n,
                      uint64_t *count);
/* The suggested pairs one of which is match_id, most probable first (at
 * most 16), with both matches. */
int db_fixtures_suggested_for(struct db *db, uint64_t match_id, struct arena *a,
                              struct link_view **out, size_t *n);
/* The identity of team team_id with all its teams: RC_OK or RC_NOTFOUND. */
int db_fixtures_identity(struct db *db, uint64_t team_id, struct arena *a,
                         struct identity_view **out);
/* How many rows wait in link_queue for the consumer's linker (matches a
 * batch changed, renamed teams and tournaments), and for how many seconds
 * the oldest has waited (0 when none). */
int db_fixtures_link_queue(struct db *db, uint64_t *n, double *oldest_s);

#endif
