/* gen.c: the message generator; see gen.h. Messages are built with json-c. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "gen.h"
#include "mem.h"
#include "text.h"

/* splitmix64: a small, well-distributed 64-bit generator */
static uint64_t
next_u64(struct gen *g)
{
    uint64_t z = (g->state += 0x9E3779B97F4A7C15ULL);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static int
below(struct gen *g, int n)
{
    return (int)(next_u64(g) % (uint64_t)n);
}

/* 1 with probability p. */
static int
chance(struct gen *g, double p)
{
    return (double)(next_u64(g) >> 11) / 9007199254740992.0 < p;
}

void
gen_init(struct gen *g, uint64_t seed, int sources, double update_ratio, const char *prefix)
{
    memset(g, 0, sizeof(*g));
    g->prefix = prefix;
    g->state = seed;
    g->sources = sources < 1 ? 1 : sources;
    g->update_ratio = update_ratio;
}

void
gen_cleanup(struct gen *g)
{
    free(g->matches);
    g->matches = NULL;
}

/* An id as an integer or, half the time, as a string. */
static json_object *
mixed_id(struct gen *g, int64_t id)
{
    char s[24];

    if (chance(g, 0.5)) {
        return json_object_new_int64(id);
    }
    snprintf(s, sizeof(s), "%lld", (long long)id);
    return json_object_new_string(s);
}

static json_object *
team(struct gen *g, int id)
{
    json_object *t = json_object_new_object();
    char name[48];

    snprintf(name, sizeof(name), "%sTeam %d%s", chance(g, 0.1) ? " " : "", id,
             chance(g, 0.2) ? " " : "");
    json_object_object_add(t, "id", mixed_id(g, id));
    json_object_object_add(t, "name", json_object_new_string(name));
    return t;
}

void
gen_next(struct gen *g, buf_t *out)
{
    static const char *const titles[] = {"Overcooked", "OverCooked ", "Overcooked 2",
                                         "Rocket League", "rocket league "};
    json_object *msg = json_object_new_object(), *data = json_object_new_object();
    json_object *teams = json_object_new_array(), *scores = json_object_new_array();
    struct gen_match *m;
    int state, i;
    char s[160], date[32];
    int64_t t;
    const char *text;
    size_t len;

    if (g->nmatches > 0 && chance(g, g->update_ratio)) {
        m = &g->matches[below(g, (int)(g->nmatches < 1000000 ? g->nmatches : 1000000))];
    } else {
        if (g->nmatches == g->cap) {
            g->cap = g->cap ? 2 * g->cap : 1024;
            g->matches = xrealloc(g->matches, g->cap * sizeof(*g->matches));
        }
        m = &g->matches[g->nmatches++];
        m->source = 1 + below(g, g->sources);
        m->id = (int64_t)g->nmatches;
        m->team[0] = 1 + below(g, 200);
        m->team[1] = 1 + (m->team[0] + below(g, 199)) % 200; /* never the same team */
    }
    /* as in the samples: 1 upcoming (no scores), 2 finished (a winner); and
     * 3 for a match under way (scores, no winner yet) */
    state = 1 + below(g, 3);

    snprintf(s, sizeof(s), "%s%d", g->prefix, m->source);
    json_object_object_add(msg, "source", json_object_new_string(s));
    json_object_object_add(data, "id", mixed_id(g, m->id));
    snprintf(s, sizeof(s), "https://www.%s%d.org/matches/%lld/", g->prefix, m->source,
             (long long)m->id);
    json_object_object_add(data, "url", json_object_new_string(s));
    json_object_object_add(data, "state", json_object_new_int(state));
    for (i = 0; i < 2; i++) {
        json_object *sc = json_object_new_object();

        json_object_array_add(teams, team(g, m->team[i]));
        json_object_object_add(sc, "team", mixed_id(g, m->team[i]));
        json_object_object_add(sc, "score", state > 1 ? json_object_new_int(below(g, 4)) : NULL);
        json_object_object_add(sc, "winner", state == 2 ? json_object_new_boolean(i == 0) : NULL);
        json_object_array_add(scores, sc);
    }
    json_object_object_add(data, "teams", teams);
    switch (below(g, 3)) {
    case 0:
        json_object_object_add(data, "bestof", json_object_new_string("3"));
        break;
    case 1:
        json_object_object_add(data, "bestof", json_object_new_int(5));
        break;
    default:
        json_object_object_add(data, "bestof", NULL);
        break;
    }
    json_object_object_add(data, "scores", scores);
    if (chance(g, 0.5)) {
        json_object *to = json_object_new_object();

        snprintf(s, sizeof(s), "%lld", (long long)(m->id % 7 + 1));
        json_object_object_add(to, "id", json_object_new_string(s));
        snprintf(s, sizeof(s), "Cup %lld Season %d", (long long)(m->id % 7 + 1), below(g, 3));
        json_object_object_add(to, "name", json_object_new_string(s));
        json_object_object_add(data, "tournament", to);
    } else {
        snprintf(s, sizeof(s), "Open Series %lld%s", (long long)(m->id % 5 + 1),
                 chance(g, 0.3) ? " " : "");
        json_object_object_add(data, "tournament", json_object_new_string(s));
    }
    t = 1577836800 + (int64_t)below(g, 366 * 24 * 60) * 60; /* a minute of 2020 */
    dt_format(t, date);
    date[10] = ' ';
    date[19] = '\0'; /* "YYYY-MM-DD HH:MM:SS", as the sources write it */
    json_object_object_add(data, "date_start_text", json_object_new_string(date));
    json_object_object_add(data, "title", json_object_new_string(titles[below(g, 5)]));
    json_object_object_add(msg, "data", data);

    text = json_object_to_json_string_length(
        msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    buf_append(out, text, len);
    json_object_put(msg);
}
