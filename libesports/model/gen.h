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

#endif
