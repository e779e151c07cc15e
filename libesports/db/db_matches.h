/*
 * db_matches.h: the read side of the match model, for the API and website:
 * filtered, ordered, paginated lists; one match; its raw messages; the
 * reference lists (titles, tournaments, teams) with match counts.
 * Every result is allocated from the caller's arena.
 */
#ifndef ESPORTS_DB_MATCHES_H
#define ESPORTS_DB_MATCHES_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "match.h"
#include "mem.h"

enum match_order { ORDER_DATE_DESC, ORDER_DATE_ASC, ORDER_ID_ASC, ORDER_ID_DESC };

/* A list request. Unset filters are 0 / NULL; an id and a name of the same
 * kind may both be set (both must hold). */
struct match_filter {
    int64_t title_id;
    const char *title_key; /* text_title_key of a title name */
    int64_t tournament_id;
    const char *tournament_key; /* text_key of a tournament name */
    int has_state;
    int64_t state;
    int has_gte, has_lte;
    int64_t gte, lte; /* unix seconds, inclusive */
    int64_t team_id;
    const char *team_key; /* text_key of a team name */
    const char *source;
    enum match_order order;
    int has_order;           /* ordering was given (search: else by relevance) */
    int64_t page, page_size; /* page from 1 */
};

struct team_view {
    uint64_t id;
    const char *name;
    int has_score;
    int64_t score;
    enum tristate winner;
    uint64_t identity_id; /* its team identity: the smallest teams.id in it */
    size_t naliases;      /* the search mirror's documents only: the identity's */
    const char **aliases; /* other spellings (names of its other teams) */
};

struct match_view {
    uint64_t id;
    const char *source;
    const char *external_id;
    const char *url; /* NULL = none */
    int has_state, has_bestof;
    int64_t state, bestof;
    const char *date_start;           /* ISO 8601 UTC with Z; NULL = none */
    uint64_t title_id, tournament_id; /* 0 = none */
    const char *title_name, *tournament_name;
    const char *updated_at; /* ISO 8601 UTC with microseconds and Z */
    uint64_t fixture_id;    /* its fixture: the smallest matches.id in it */
    size_t nteams;
    struct team_view *teams;
};

struct message_view {
    uint64_t id;
    const char *received_at; /* ISO 8601 UTC with microseconds and Z */
    const char *payload;
    size_t len;
    const char *status;
    const char *error; /* NULL when applied */
};

/* A row of a reference list. */
struct ref_view {
    uint64_t id;
    const char *name;
    const char *source; /* NULL for titles */
    uint64_t matches;
    const char *external_id; /* teams of db_matches_teams only, else NULL */
    uint64_t identity_id;    /* the same; else 0 */
};

enum ref_kind { REF_TITLES, REF_TOURNAMENTS, REF_TEAMS };

void db_matches_register(struct db *db);

/* The matches of page f->page, and how many match the filters in all. */
int db_matches_list(struct db *db, const struct match_filter *f, struct arena *a,
                    struct match_view **out, size_t *n, uint64_t *count);
/* One match: RC_OK, RC_NOTFOUND, RC_UNAVAIL or RC_ERR. */
int db_matches_find_by_id(struct db *db, uint64_t id, struct arena *a, struct match_view **out);
/* The matches with these ids (missing ones left out), in id order within
 * each round trip of 64 ids. */
int db_matches_find_many(struct db *db, const uint64_t *ids, size_t n, struct arena *a,
                         struct match_view **out, size_t *nout);
/* The same with each team's aliases (naliases, aliases): the search
 * mirror's documents. */
int db_matches_find_docs(struct db *db, const uint64_t *ids, size_t n, struct arena *a,
                         struct match_view **out, size_t *nout);
/* Up to limit matches with an id above after, in id order (tools/reindex
 * walks the table with it). */
int db_matches_after(struct db *db, uint64_t after, size_t limit, struct arena *a,
                     struct match_view **out, size_t *n);
/* The raw messages of a match in the order applied (RC_NOTFOUND: no such match). */
int db_matches_messages(struct db *db, uint64_t id, struct arena *a, struct message_view **out,
                        size_t *n);
/* A page of a reference list, by name, and the total count. */
int db_matches_refs(struct db *db, enum ref_kind kind, int64_t page, int64_t page_size,
                    struct arena *a, struct ref_view **out, size_t *n, uint64_t *count);
/* A page of /api/teams/ by name: every team, or those of source (NULL:
 * all), with external_id and identity_id, and the total count. */
int db_matches_teams(struct db *db, const char *source, int64_t page, int64_t page_size,
                     struct arena *a, struct ref_view **out, size_t *n, uint64_t *count);
/* The members of the fixtures with these ids, by fixture id then match id
 * (a fixture of no match is left out). */
int db_matches_of_fixtures(struct db *db, const uint64_t *ids, size_t n, struct arena *a,
                           struct match_view **out, size_t *nout);
/* The limit most active tournaments or teams (REF_TOURNAMENTS, REF_TEAMS),
 * most matches first, one per name as the filters match names (matches
 * counted over every source; source NULL): the website's suggestions. */
int db_matches_top(struct db *db, enum ref_kind kind, size_t limit, struct arena *a,
                   struct ref_view **out, size_t *n);

/* The names of titles (k 0) and tournaments (k 1) by id, for the search's
 * facets: names[k][i] (from a) for ids[k][i], NULL where there is no such
 * row; at most NAMES_MAX ids of each kind are looked up. RC_OK or the
 * database's rc. */
#define NAMES_MAX 20
int db_matches_names(struct db *db, const int64_t *const ids[2], const size_t n[2], struct arena *a,
                     const char **names[2]);

#endif
