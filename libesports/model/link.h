/*
 * link.h: record linkage. Decides which source matches report one real-world
 * fixture and which source teams are one real-world team. Pure code: no
 * database, no I/O, no global state; the same input gives the same output.
 *
 * The method is Fellegi-Sunter: each compared field falls into an agreement
 * level, each level has m (how often true pairs land there) and u (how often
 * unrelated pairs do); its weight is log2(m/u), the pair's match weight is
 * the prior's log-odds plus the sum, and the match probability is
 * 2^w / (1 + 2^w). Every weight is kept with its field and level, so a
 * probability can be explained field by field.
 *
 * Clusters are a function of the current rows and the person's decisions
 * only, never of history: a fixture is named by the smallest match id among
 * its members and a team identity by its smallest team id, so incremental
 * linking and a rebuild from the stored rows give the same ids.
 */
#ifndef ESPORTS_LINK_H
#define ESPORTS_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Room for a normalized name (a 255-character name folds to at most this). */
#define LINK_NORM_MAX 1024
/* Fields a pair is compared on (the evidence's length). */
#define LINK_MAX_FIELDS 8

/* Folds a team name for comparison: accents folded (Latin-1 and Latin
 * Extended-A to ASCII), case folded, punctuation to spaces, organisation words
 * (team, esports, e-sports, gaming, club, gg, ...) dropped unless nothing else
 * is left, white space collapsed and trimmed. Identifying tokens (numbers,
 * roman numerals, academy, youth, junior, female, ...) are kept. Writes a
 * NUL-terminated string into out (cap >= 1) and returns its length. */
size_t link_norm_team(const char *name, char *out, size_t cap);

/* One team of a match as the linker sees it. */
struct link_team {
    int64_t id;          /* teams.id */
    const char *name;    /* as stored */
    const char *norm;    /* link_norm_team(name) */
    int64_t identity_id; /* the identity it belongs to now; its own id when alone */
    uint64_t norm_freq;  /* source teams sharing norm (term frequency); 0 = unknown */
    int has_score;
    int64_t score;
    /* norm prepared by link_team_prepare, or NULL (then folded per pair) */
    const struct link_team_form *form;
};

/* One source match as the linker sees it. */
struct link_match { /* NOLINT(clang-analyzer-optin.performance.Padding) */
    int64_t id;     /* matches.id */
    int64_t source_id;
    int64_t title_id; /* title identity (after aliases); 0 = none */
    int has_date;
    int64_t date_start;          /* unix seconds, UTC */
    const char *tournament_norm; /* folded like a team name; NULL = none */
    int has_bestof;
    int64_t bestof;
    int has_state;
    int64_t state;
    size_t nteams;
    const struct link_team *teams;
};

struct link_params {
    int64_t window_s; /* blocking: start times at most this far apart */
    double high;      /* at or above: linked automatically */
    double low;       /* at or above (and below high): a suggestion */
    uint64_t nteams;  /* source teams in all (for the term frequency); 0 = unknown */
};

/* The defaults the README documents (window 3 h, high 0.99, low 0.50). */
void link_params_default(struct link_params *p);

struct config;
/* The defaults with LINK_WINDOW_S, LINK_HIGH and LINK_LOW from cfg (the
 * consumer, tools/link and tools/relink link alike). */
void link_params_config(struct link_params *p, const struct config *cfg);

/* One field's part of the evidence. */
struct link_field {
    const char *field; /* "teams", "start", "tournament", "bestof", "scores", "identities" */
    const char *level; /* "exact after normalization", "within 15 min", ... */
    double weight;     /* log2 Bayes factor; 0 when the field says nothing */
};

enum link_verdict { LINK_NONE = 0, LINK_SUGGEST = 1, LINK_AUTO = 2 };

struct link_score {
    double weight;      /* prior log-odds plus the fields' weights */
    double probability; /* 2^weight / (1 + 2^weight) */
    enum link_verdict verdict;
    const char *veto; /* non-NULL: why these cannot be one fixture (verdict NONE) */
    size_t nfields;
    struct link_field fields[LINK_MAX_FIELDS];
    /* team_map[i] = the index in b of a's team i, or -1 (valid when nteams <= 8) */
    int team_map[8];
};

/* Scores a pair of matches from different sources (the caller blocks:
 * same title identity, starts within window_s). Same source, different
 * titles or starts further apart than the window give a veto. */
void link_score_pair(const struct link_match *a, const struct link_match *b,
                     const struct link_params *p, struct link_score *out);

/* The evidence as a JSON object:
 * {"probability":..,"weight":..,"fields":[{"field","level","weight"}],"veto":..}. */
void link_score_json(const struct link_score *s, buf_t *out);

/* A candidate edge between nodes a and b (indexes into the caller's array). */
struct link_edge {
    size_t a, b;
    double probability;
    int forced; /* a person confirmed it: taken first, whatever its probability */
};

/* Clusters n nodes. Edges at or above `threshold` (and forced ones) are taken
 * greedily: forced first, then by probability descending, then by the smaller
 * (id_a, id_b); an edge is skipped when the merged cluster would hold two
 * nodes of one group (one source, for fixtures) or a pair in `cannot`
 * (a person's rejection). ids[i] names node i, group[i] its group.
 * On return cluster[i] = the smallest id in node i's cluster.
 * Returns 0, or -1 when out of memory. */
int link_cluster(size_t n, const int64_t *ids, const int64_t *group, const struct link_edge *edges,
                 size_t nedges, const struct link_edge *cannot, size_t ncannot, double threshold,
                 int64_t *cluster);

/* Whether two team names may name one team: 1 yes, 0 no (they differ in an
 * identifying token: "Bayes Team 2" / "Bayes Team 3", "X" / "X Academy"),
 * and the similarity in [0, 1] in *sim. Yes needs the same identifying
 * tokens and a similarity of the other words of at least 0.88 (Jaro-Winkler,
 * or 0.9 when one name's words are all in the other). NULL reads as "". */
int link_team_compatible(const char *norm_a, const char *norm_b, double *sim);

/* An edge between two source teams that one fixture implies. */
struct link_team_edge {
    int64_t a, b;               /* teams.id, a < b */
    int64_t source_a, source_b; /* their sources (the clustering's groups) */
    double probability;
    const char *level; /* "exact after normalization", "similar", "known same identity",
                        * "paired by elimination" */
};

/* The team edges one fixture implies: for each pair of its matches ms[0..n)
 * from different sources, the teams the pair's team_map puts side by side,
 * unless their names differ in an identifying token. An edge's probability is
 * the pair's match probability when the names agree (known, exact, similar);
 * when they differ and every other team of the pair agrees (paired by
 * elimination), it is that probability less 4 bits of weight. Writes at most
 * cap edges to out and returns how many there are (more than cap: call again
 * with more room). A team pair met in several fixtures gives several edges:
 * keep the highest. Cluster with link_cluster, one team per source. */
size_t link_fixture_team_edges(const struct link_match *ms, size_t n, const struct link_params *p,
                               struct link_team_edge *out, size_t cap);

/* Limits of a prepared name: longer names are compared from their strings. */
#define LINK_FORM_CHARS  96
#define LINK_FORM_TOKENS 16
#define LINK_FORM_HIST   38

/* A folded team name split once into what link_team_compatible and the
 * initials level compare (identifying tokens sorted, the other words and
 * their tokens), so scoring many pairs does not split it per pair.
 * Prepared or not, a name compares the same. */
struct link_team_form {
    int ok;        /* 0: not prepared (NULL or too long): compared from the string */
    size_t nident; /* identifying tokens, sorted */
    unsigned char ident_off[LINK_FORM_TOKENS], ident_len[LINK_FORM_TOKENS];
    char idents[LINK_FORM_CHARS]; /* their text, space-separated */
    size_t base_len;              /* the other words, joined with spaces */
    size_t nbase;
    unsigned char base_off[LINK_FORM_TOKENS], base_tlen[LINK_FORM_TOKENS];
    char base[LINK_FORM_CHARS];
    unsigned char hist[LINK_FORM_HIST]; /* base's bytes counted: a-z, 0-9, space, other */
};

/* Prepares norm (a link_norm_team result, or NULL) for link_team.form. */
void link_team_prepare(const char *norm, struct link_team_form *f);

#endif
