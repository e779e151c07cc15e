/*
 * match.h: the domain model of one match event after parsing and
 * normalization. Every string is NUL-terminated, normalized as text.h says,
 * and owned by the arena the message was parsed into.
 */
#ifndef ESPORTS_MATCH_H
#define ESPORTS_MATCH_H

#include <stddef.h>
#include <stdint.h>

/* The limits of a message's fields, in characters (code points), each the
 * size of the column that stores it (migrations/0004_limits.sql). */
#define MATCH_MAX_TEAMS 64
#define MATCH_NAME_MAX  255  /* team, tournament and title names */
#define MATCH_ID_MAX    191  /* source name; match, team and tournament ids */
#define MATCH_URL_MAX   2048 /* data.url */

/* A tri-state boolean: winner may be unknown. */
enum tristate { TRI_NULL = -1, TRI_FALSE = 0, TRI_TRUE = 1 };

struct match_team {
    const char *external_id; /* "1" whether the message said 1 or "1" */
    const char *name;        /* cleaned; "" when the message gave none */
    const char *name_key;
    int has_score;
    int64_t score;
    enum tristate winner;
};

struct match_event {
    const char *source;      /* cleaned, non-empty */
    const char *external_id; /* data.id as text */
    const char *url;         /* NULL when absent */
    int has_state;
    int64_t state;
    int has_bestof;
    int64_t bestof;
    int has_date;
    int64_t date_start; /* unix seconds, UTC */
    const char *title;  /* cleaned first spelling; NULL when absent */
    const char *title_key;
    int has_tournament;
    const char *tournament_ext_id; /* NULL when given as a bare name */
    const char *tournament_name;   /* "" when an {id} came without a name */
    const char *tournament_name_key;
    const char *tournament_key; /* "id:<id>" or "name:<name key>": unique within the source */
    size_t nteams;
    struct match_team teams[MATCH_MAX_TEAMS];
};

#endif
