/*
 * consensus.h: what the source matches of one fixture agree on, and where
 * they disagree. Pure: it reads the members' views and writes the consensus
 * into the fixture (from the caller's arena); no database.
 *
 * Teams are taken by identity, in the order the first-reported member (the
 * fixture's smallest match id) gives them. The start is the one most members
 * report (ties: the earliest); the state is the most advanced one (upcoming,
 * then live, then finished; other numbers count below upcoming); best-of the
 * one most members report; a team's score and winner only where every member
 * that reports one agrees. Every field on which members differ is a conflict,
 * listing each member's value: kept and shown, never hidden.
 */
#ifndef ESPORTS_CONSENSUS_H
#define ESPORTS_CONSENSUS_H

#include <stddef.h>
#include <stdint.h>

#include "db_matches.h"
#include "mem.h"

/* One member's value of a conflicting field: a string (start, teams) or a
 * number (state, bestof, score, winner as 1/0), or none. */
struct conflict_value {
    uint64_t match_id;
    const char *source;
    const char *s; /* the value as text when it is one */
    int has;       /* a number: v */
    int64_t v;
};

struct conflict {
    const char *field;    /* "date_start", "state", "bestof", "teams", "score", "winner" */
    uint64_t identity_id; /* the team of a score or winner; 0 otherwise */
    size_t n;
    struct conflict_value *values;
};

struct consensus_team {
    uint64_t identity_id;
    const char *name; /* as the first-reported member spells it */
    int has_score;
    int64_t score;
    enum tristate winner;
};

struct consensus {
    uint64_t title_id;
    const char *title_name;
    const char *date_start; /* NULL: no member gives one */
    int has_state, has_bestof;
    int64_t state, bestof;
    size_t nteams;
    struct consensus_team *teams;
    size_t nconflicts;
    struct conflict *conflicts;
};

/* The consensus of members[0..n) (n >= 1, members[0] first reported). */
void consensus_build(const struct match_view *members, size_t n, struct arena *a,
                     struct consensus *out);

/* How far a state has come: 3 finished (2), 2 live (3), 1 upcoming (1), 0 any
 * other number. */
int consensus_state_rank(int64_t state);

#endif
