/*
 * gen.h: a deterministic generator of match messages shaped like the sources'
 * samples (mixed int and string ids, object and string tournaments, null
 * scores and winners, updates of earlier matches, stray spaces and case in
 * names), for tests and benchmarks. The same seed and settings give the same
 * bytes on every machine.
 */
#ifndef ESPORTS_GEN_H
#define ESPORTS_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct gen_match {
    int source;
    int64_t id;
    int team[2];
};

struct gen {
    uint64_t state;      /* PRNG state */
    int sources;         /* <prefix>1 .. <prefix>K */
    const char *prefix;  /* of source names: "source" */
    double update_ratio; /* share of messages that update an earlier match */
    struct gen_match *matches;
    size_t nmatches, cap;
};

/* sources >= 1; 0 <= update_ratio <= 1; sources are named prefix1..prefixK
 * (prefix must outlive g). */
void gen_init(struct gen *g, uint64_t seed, int sources, double update_ratio, const char *prefix);
void gen_cleanup(struct gen *g);
/* Appends the next message (JSON, no newline) to out. */
void gen_next(struct gen *g, buf_t *out);

/*
 * The fixtures mode: real-world fixtures reported by one to three sources,
 * each source with its own match ids, team ids and spelling habits (varied by
 * the seed: org suffix or city dropped, "Team " prefix, case, accents, stray
 * spaces, "Esports"/"Gaming" added, now and then an abbreviation), its own
 * clock offset, and distractors: rematches hours or days later, the same pair
 * in another title at the same hour, academy sides, numbered sides ("Bayes
 * Team 2"/"Bayes Team 3"), updates of scores and state, and postponements
 * every source follows. The ground truth is kept beside the messages: the
 * fixture of every (source, match id), the team of every (source, team id).
 * Source k (1-based) numbers its matches from genfx_match_base(g, k) and its
 * teams from genfx_team_base(g, k), consecutively.
 */
struct genfx_team;
struct genfx_fixture;
struct genfx_report;

struct genfx_source {
    int64_t match_base, team_base;
    int offset_min; /* its clock against the real start */
    double p_drop_org, p_drop_city, p_prefix, p_add_word, p_upper, p_lower, p_ascii, p_stray,
        p_alias, p_swap, p_jitter;
    size_t nmatches;     /* match ids given so far */
    int *match_fixture;  /* [match id - match_base] = true fixture */
    size_t nteams;       /* team ids given so far */
    int *team_truth;     /* [team id - team_base] = true team */
    int64_t *team_id;    /* [true team] = its id here, 0 = not seen yet */
    char **team_name;    /* [true team] = its spelling here */
};

struct genfx {
    struct gen g; /* the PRNG and the settings */
    struct genfx_source *src;
    struct genfx_team *teams;
    size_t nteams;
    struct genfx_fixture *fixtures;
    size_t nfixtures, fixtures_cap;
    struct genfx_report *reports;
    size_t nreports, reports_cap;
    size_t *pending; /* reports waiting to be published (a FIFO) */
    size_t npending, pending_head, pending_cap;
    int64_t cursor; /* unix seconds: the next fixture's time */
};

/* sources 1..9 (more are read as 9); prefix must outlive g. */
void genfx_init(struct genfx *g, uint64_t seed, int sources, double update_ratio,
                const char *prefix);
void genfx_cleanup(struct genfx *g);
/* Appends the next message (JSON, no newline) to out. */
void genfx_next(struct genfx *g, buf_t *out);
/* The truth of what was published so far, one line each, tab-separated:
 * "match\t<source>\t<match id>\t<fixture>" and "team\t<source>\t<team id>\t<team>". */
void genfx_truth(const struct genfx *g, buf_t *out);
/* The true fixture of a source's match id, or the true team of a source's
 * team id; -1 when that id was never given. source is 1-based. */
int genfx_fixture_of(const struct genfx *g, int source, int64_t match_id);
int genfx_team_of(const struct genfx *g, int source, int64_t team_id);

#endif
