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

/* ---- the fixtures mode ---------------------------------------------------- */

/* A word and its spelling without accents. */
struct word {
    const char *w, *ascii;
};

static const struct word adjectives[] = {
    {"Red", "Red"},           {"Blue", "Blue"},     {"Golden", "Golden"}, {"Silent", "Silent"},
    {"Crimson", "Crimson"},   {"Iron", "Iron"},     {"Wild", "Wild"},     {"Night", "Night"},
    {"Frozen", "Frozen"},     {"Royal", "Royal"},   {"Lucky", "Lucky"},   {"Dark", "Dark"},
    {"Bright", "Bright"},     {"Swift", "Swift"},   {"Mighty", "Mighty"}, {"Savage", "Savage"},
    {"Electric", "Electric"}, {"Hidden", "Hidden"}, {"Águila", "Aguila"}, {"Żelazne", "Zelazne"},
    {"Øster", "Oster"},       {"Señor", "Senor"},   {"Håkon", "Hakon"},   {"Čierny", "Cierny"},
    {"Ölmez", "Olmez"},       {"Ébène", "Ebene"},   {"Łowcy", "Lowcy"},   {"Mørk", "Mork"},
};

static const struct word nouns[] = {
    {"Falcons", "Falcons"}, {"Sharks", "Sharks"},   {"Wolves", "Wolves"},   {"Owls", "Owls"},
    {"Tigers", "Tigers"},   {"Dragons", "Dragons"}, {"Ravens", "Ravens"},   {"Foxes", "Foxes"},
    {"Bears", "Bears"},     {"Vipers", "Vipers"},   {"Titans", "Titans"},   {"Knights", "Knights"},
    {"Rhinos", "Rhinos"},   {"Comets", "Comets"},   {"Pirates", "Pirates"}, {"Hornets", "Hornets"},
    {"Lynx", "Lynx"},       {"Bisons", "Bisons"},   {"Cobras", "Cobras"},   {"Herons", "Herons"},
    {"Jaguars", "Jaguars"}, {"Stags", "Stags"},     {"Orcas", "Orcas"},     {"Ronins", "Ronins"},
};

static const struct word cities[] = {
    {"Kyiv", "Kyiv"},       {"Berlin", "Berlin"},   {"Lyon", "Lyon"},   {"Oslo", "Oslo"},
    {"Porto", "Porto"},     {"Kraków", "Krakow"},   {"Malmö", "Malmo"}, {"Zürich", "Zurich"},
    {"Sevilla", "Sevilla"}, {"Tallinn", "Tallinn"},
};

static const char *const fx_titles[][2] = {
    {"Overcooked", "OverCooked "},
    {"Overcooked 2", "overcooked 2"},
    {"Rocket League", "rocket league "},
    {"Counter-Strike 2", "COUNTER-STRIKE 2"},
};

static const char *const org_words[] = {"", " Esports", " Gaming", " Club", ""};
#define ORG_PREFIX 4 /* "Team " in front */

#define FX_MAIN    150
#define FX_ACADEMY 30
#define FX_BAYES   8
#define FX_SOURCES 9

struct genfx_team {
    int adj, noun, city; /* city -1: none */
    int org;             /* index into org_words; ORG_PREFIX = "Team " */
    int academy;         /* the academy side of team `of` */
    int number;          /* "Bayes Team <number>", 0: not of that family */
    int of;
    int64_t last_start;
};

struct genfx_fixture {
    int title, team[2], bestof, final[2], tournament;
    int64_t start;
};

struct genfx_report {
    int source, fixture, swap, jitter_s, state, score[2], bestof_null, published;
    int64_t id;
};

static void
fx_grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need > *cap) {
        *cap = *cap ? 2 * *cap : 256;
        if (*cap < need) {
            *cap = need;
        }
        *p = xrealloc(*p, *cap * size);
    }
}

/* Each source's habits: mostly systematic (a source either does a thing or
 * almost never), drawn from the seed. */
static void
fx_habits(struct genfx *g, struct genfx_source *s, int k)
{
    static const int offsets[] = {0, 0, 0, 0, 5, -5, 10, -10, 15, -15};
    struct gen *r = &g->g;

    s->match_base = 1 + 1000 * (int64_t)below(r, 900);
    s->team_base = 1 + 100 * (int64_t)below(r, 90);
    s->offset_min = k == 0 ? 0 : offsets[below(r, (int)(sizeof(offsets) / sizeof(offsets[0])))];
    s->p_drop_org = chance(r, 0.12) ? 0.9 : 0.02;
    s->p_drop_city = chance(r, 0.12) ? 0.85 : 0.02;
    s->p_prefix = chance(r, 0.08) ? 0.4 : 0.01;
    s->p_add_word = chance(r, 0.08) ? 0.3 : 0.01;
    s->p_upper = chance(r, 0.2) ? 0.6 : 0.02;
    s->p_lower = chance(r, 0.2) ? 0.6 : 0.02;
    s->p_ascii = chance(r, 0.12) ? 0.95 : 0.02;
    s->p_stray = 0.05 + 0.2 * (double)below(r, 2);
    s->p_alias = 0.005 + 0.005 * (double)below(r, 3);
    s->p_swap = chance(r, 0.3) ? 0.5 : 0.05;
    s->p_jitter = 0.05 + 0.05 * (double)below(r, 3);
}

static void
fx_make_teams(struct genfx *g)
{
    struct gen *r = &g->g;
    unsigned char used[sizeof(adjectives) / sizeof(adjectives[0])]
                      [sizeof(nouns) / sizeof(nouns[0])] = {{0}};
    size_t n = 0;

    g->nteams = FX_MAIN + FX_ACADEMY + FX_BAYES;
    g->teams = xcalloc(g->nteams, sizeof(*g->teams));
    while (n < FX_MAIN) {
        struct genfx_team *t = &g->teams[n];
        int a = below(r, (int)(sizeof(adjectives) / sizeof(adjectives[0])));
        int b = below(r, (int)(sizeof(nouns) / sizeof(nouns[0])));
        int o = below(r, 20);

        if (used[a][b]) {
            continue;
        }
        used[a][b] = 1;
        t->adj = a;
        t->noun = b;
        t->city = chance(r, 0.25) ? below(r, (int)(sizeof(cities) / sizeof(cities[0]))) : -1;
        t->org = o < 13 ? 0 : o < 16 ? 1 : o < 18 ? 2 : o < 19 ? 3 : ORG_PREFIX;
        t->of = -1;
        n++;
    }
    for (size_t i = 0; i < FX_ACADEMY; i++) {
        struct genfx_team *t = &g->teams[FX_MAIN + i];

        *t = g->teams[i * (FX_MAIN / FX_ACADEMY)];
        t->academy = 1;
        t->of = (int)(i * (FX_MAIN / FX_ACADEMY));
    }
    for (int i = 0; i < FX_BAYES; i++) {
        struct genfx_team *t = &g->teams[FX_MAIN + FX_ACADEMY + i];

        t->number = i + 1;
        t->city = -1;
        t->of = -1;
    }
    for (size_t i = 0; i < g->nteams; i++) {
        g->teams[i].last_start = INT64_MIN / 2;
    }
}

void
genfx_init(struct genfx *g, uint64_t seed, int sources, double update_ratio, const char *prefix)
{
    memset(g, 0, sizeof(*g));
    gen_init(&g->g, seed, sources, update_ratio, prefix);
    if (g->g.sources > FX_SOURCES) {
        g->g.sources = FX_SOURCES;
    }
    fx_make_teams(g);
    g->src = xcalloc((size_t)g->g.sources, sizeof(*g->src));
    for (int k = 0; k < g->g.sources; k++) {
        fx_habits(g, &g->src[k], k);
        g->src[k].team_id = xcalloc(g->nteams, sizeof(int64_t));
        g->src[k].team_name = xcalloc(g->nteams, sizeof(char *));
    }
    g->cursor = 1609459200 + (int64_t)below(&g->g, 365) * 86400; /* a day of 2021 */
}

void
genfx_cleanup(struct genfx *g)
{
    for (int k = 0; g->src != NULL && k < g->g.sources; k++) {
        for (size_t i = 0; i < g->nteams; i++) {
            free(g->src[k].team_name[i]);
        }
        free(g->src[k].team_name);
        free(g->src[k].team_id);
        free(g->src[k].match_fixture);
        free(g->src[k].team_truth);
    }
    free(g->src);
    free(g->teams);
    free(g->fixtures);
    free(g->reports);
    free(g->pending);
    gen_cleanup(&g->g);
    memset(g, 0, sizeof(*g));
}

/* Upper-cases or lower-cases the ASCII letters of b. */
static void
fx_case(buf_t *b, int upper)
{
    for (size_t i = 0; i < b->len; i++) {
        char c = b->data[i];

        if (upper && c >= 'a' && c <= 'z') {
            b->data[i] = (char)(c - 'a' + 'A');
        } else if (!upper && c >= 'A' && c <= 'Z') {
            b->data[i] = (char)(c - 'A' + 'a');
        }
    }
}

/* How source s writes team t. */
static char *
fx_spell(struct genfx *g, struct genfx_source *s, const struct genfx_team *t)
{
    struct gen *r = &g->g;
    int ascii = chance(r, s->p_ascii), drop_org = chance(r, s->p_drop_org);
    buf_t b;

    buf_init(&b, 0);
    if (t->number > 0) {
        if (drop_org) {
            buf_appendf(&b, "Bayes %d", t->number);
        } else {
            buf_appendf(&b, "Bayes %s %d", chance(r, s->p_add_word) ? "Esports" : "Team",
                        t->number);
        }
    } else if (chance(r, s->p_alias)) {
        /* an abbreviation: the initials */
        buf_append_char(&b, adjectives[t->adj].ascii[0]);
        buf_append_char(&b, nouns[t->noun].ascii[0]);
        if (t->academy) {
            buf_append_str(&b, " Academy");
        }
    } else {
        if ((t->org == ORG_PREFIX && !drop_org) || chance(r, s->p_prefix)) {
            buf_append_str(&b, "Team ");
        }
        buf_append_str(&b, ascii ? adjectives[t->adj].ascii : adjectives[t->adj].w);
        buf_append_char(&b, ' ');
        buf_append_str(&b, nouns[t->noun].w);
        if (t->city >= 0 && !chance(r, s->p_drop_city)) {
            buf_append_char(&b, ' ');
            buf_append_str(&b, ascii ? cities[t->city].ascii : cities[t->city].w);
        }
        if (t->org != ORG_PREFIX && t->org != 0 && !drop_org) {
            buf_append_str(&b, org_words[t->org]);
        } else if (chance(r, s->p_add_word)) {
            buf_append_str(&b, chance(r, 0.5) ? " Esports" : " Gaming");
        }
        if (t->academy) {
            buf_append_str(&b, s->p_prefix > 0.1 ? " Acad." : " Academy");
        }
    }
    if (chance(r, s->p_upper)) {
        fx_case(&b, 1);
    } else if (chance(r, s->p_lower)) {
        fx_case(&b, 0);
    }
    if (chance(r, s->p_stray)) {
        char *plain = buf_release(&b);

        switch (below(r, 3)) {
        case 0:
            buf_appendf(&b, " %s", plain);
            break;
        case 1:
            buf_appendf(&b, "%s ", plain);
            break;
        default: {
            char *sp = strchr(plain, ' ');

            if (sp != NULL) {
                buf_append(&b, plain, (size_t)(sp - plain));
                buf_append_str(&b, "  ");
                buf_append_str(&b, sp + 1);
            } else {
                buf_append_str(&b, plain);
            }
        }
        }
        free(plain);
    }
    return buf_release(&b);
}

/* The id source s gives team t (given at first sight, with its spelling). */
static int64_t
fx_team_id(struct genfx *g, int source, int t)
{
    struct genfx_source *s = &g->src[source];

    if (s->team_id[t] == 0) {
        s->team_truth = xrealloc(s->team_truth, (s->nteams + 1) * sizeof(int));
        s->team_truth[s->nteams] = t;
        s->team_id[t] = s->team_base + (int64_t)s->nteams;
        s->nteams++;
        s->team_name[t] = fx_spell(g, s, &g->teams[t]);
    }
    return s->team_id[t];
}

static void
fx_push_pending(struct genfx *g, size_t report)
{
    if (g->pending_head > 0 && g->pending_head == g->npending) {
        g->pending_head = g->npending = 0;
    }
    fx_grow((void **)&g->pending, &g->pending_cap, g->npending + 1, sizeof(size_t));
    g->pending[g->npending++] = report;
}

/* A fixture, reported by one to three sources (its reports wait to be
 * published). Returns its index. */
static int
fx_add_fixture(struct genfx *g, int title, int a, int b, int64_t start)
{
    struct gen *r = &g->g;
    struct genfx_fixture *f;
    int nsrc, chosen[FX_SOURCES] = {0}, roll = below(r, 100), bo;

    fx_grow((void **)&g->fixtures, &g->fixtures_cap, g->nfixtures + 1, sizeof(*g->fixtures));
    f = &g->fixtures[g->nfixtures];
    f->title = title;
    f->team[0] = a;
    f->team[1] = b;
    f->start = start;
    bo = below(r, 10);
    f->bestof = bo < 3 ? 1 : bo < 8 ? 3 : 5;
    f->final[0] = (f->bestof + 1) / 2;
    f->final[1] = below(r, f->final[0]);
    if (chance(r, 0.5)) {
        int t = f->final[0];

        f->final[0] = f->final[1];
        f->final[1] = t;
    }
    f->tournament = title * 10 + (int)((start / 86400 / 14) % 10);
    g->teams[a].last_start = g->teams[b].last_start = start;
    nsrc = roll < 30 ? 1 : roll < 65 ? 2 : 3;
    nsrc = nsrc > g->g.sources ? g->g.sources : nsrc;
    for (int k = 0; k < nsrc; k++) {
        struct genfx_report *rep;
        struct genfx_source *s;
        int src;

        do {
            src = below(r, g->g.sources);
        } while (chosen[src]);
        chosen[src] = 1;
        s = &g->src[src];
        fx_grow((void **)&g->reports, &g->reports_cap, g->nreports + 1, sizeof(*g->reports));
        rep = &g->reports[g->nreports];
        memset(rep, 0, sizeof(*rep));
        rep->source = src;
        rep->fixture = (int)g->nfixtures;
        rep->swap = chance(r, s->p_swap);
        rep->state = chance(r, 0.15) ? 2 : 1;
        rep->bestof_null = chance(r, 0.25);
        if (chance(r, s->p_jitter)) {
            rep->jitter_s = (5 + below(r, 21)) * 60 * (chance(r, 0.5) ? 1 : -1);
        }
        if (rep->state == 2) {
            rep->score[0] = f->final[0];
            rep->score[1] = f->final[1];
        }
        s->match_fixture = xrealloc(s->match_fixture, (s->nmatches + 1) * sizeof(int));
        s->match_fixture[s->nmatches] = (int)g->nfixtures;
        rep->id = s->match_base + (int64_t)s->nmatches;
        s->nmatches++;
        fx_push_pending(g, g->nreports);
        g->nreports++;
    }
    return (int)g->nfixtures++;
}

/* A team of the main pool (or of the numbered ones) free at start. */
static int
fx_free_team(struct genfx *g, int numbered, int64_t start, int other)
{
    struct gen *r = &g->g;
    int t = 0;

    for (int tries = 0; tries < 40; tries++) {
        t = numbered ? FX_MAIN + FX_ACADEMY + below(r, FX_BAYES) : below(r, FX_MAIN);
        if (t != other && (start - g->teams[t].last_start >= 3 * 3600 ||
                           g->teams[t].last_start - start >= 3 * 3600)) {
            return t;
        }
    }
    if (t == other) { /* none free: another one, busy or not */
        t = numbered ? FX_MAIN + FX_ACADEMY + (t - FX_MAIN - FX_ACADEMY + 1) % FX_BAYES
                     : (t + 1) % FX_MAIN;
    }
    return t;
}

/* A new fixture and, now and then, its distractors. */
static void
fx_new(struct genfx *g)
{
    struct gen *r = &g->g;
    int title = below(r, (int)(sizeof(fx_titles) / sizeof(fx_titles[0])));
    int64_t start;
    int a, b;

    g->cursor += 60 * (1 + below(r, 4));
    start = g->cursor + 86400 - g->cursor % 900; /* scheduled a day ahead, on a quarter */
    if (chance(r, 0.06)) {
        /* numbered sides, two matches of the family at once */
        a = fx_free_team(g, 1, start, -1);
        b = fx_free_team(g, 1, start, a);
        fx_add_fixture(g, title, a, b, start);
        a = fx_free_team(g, 1, start, -1);
        b = fx_free_team(g, 1, start, a);
        if (a != b && g->teams[a].last_start != start && g->teams[b].last_start != start) {
            fx_add_fixture(g, title, a, b, start);
        }
        return;
    }
    a = fx_free_team(g, 0, start, -1);
    b = fx_free_team(g, 0, start, a);
    fx_add_fixture(g, title, a, b, start);
    if (chance(r, 0.08)) {
        /* a rematch, hours or days later */
        fx_add_fixture(g, title, b, a, start + 3600 * (2 + below(r, 70)));
    }
    if (chance(r, 0.06)) {
        /* the same pair in another title at the same hour */
        fx_add_fixture(g, (title + 1 + below(r, 3)) % 4, a, b, start);
    }
    if (chance(r, 0.1)) {
        /* academy sides at the same hour */
        int aa = FX_MAIN + below(r, FX_ACADEMY), ab = FX_MAIN + below(r, FX_ACADEMY);

        if (aa != ab && start - g->teams[aa].last_start >= 3 * 3600 &&
            start - g->teams[ab].last_start >= 3 * 3600) {
            fx_add_fixture(g, title, aa, ab, start);
        }
    }
}

/* Advances a report: upcoming -> under way (partial scores) -> finished. */
static void
fx_advance(struct genfx *g, struct genfx_report *rep)
{
    const struct genfx_fixture *f = &g->fixtures[rep->fixture];

    if (rep->state == 1) {
        rep->state = 3;
        rep->score[0] = below(&g->g, f->final[0] + 1);
        rep->score[1] = below(&g->g, f->final[1] + 1);
    } else if (rep->state == 3 && (rep->score[0] < f->final[0] || rep->score[1] < f->final[1]) &&
               chance(&g->g, 0.5)) {
        rep->score[rep->score[0] < f->final[0] ? 0 : 1]++;
    } else {
        rep->state = 2;
        rep->score[0] = f->final[0];
        rep->score[1] = f->final[1];
    }
}

static void
fx_emit(struct genfx *g, struct genfx_report *rep, buf_t *out)
{
    static const char *const stages[] = {"", " - Group Stage", " - Playoffs"};
    struct genfx_source *s = &g->src[rep->source];
    const struct genfx_fixture *f = &g->fixtures[rep->fixture];
    json_object *msg = json_object_new_object(), *data = json_object_new_object();
    json_object *teams = json_object_new_array(), *scores = json_object_new_array();
    char str[160], date[32];
    const char *text;
    size_t len;
    int style = (int)(s->match_base / 1000 % 3);

    rep->published = 1;
    snprintf(str, sizeof(str), "%s%d", g->g.prefix, rep->source + 1);
    json_object_object_add(msg, "source", json_object_new_string(str));
    json_object_object_add(data, "id", mixed_id(&g->g, rep->id));
    snprintf(str, sizeof(str), "https://www.%s%d.org/matches/%lld/", g->g.prefix, rep->source + 1,
             (long long)rep->id);
    json_object_object_add(data, "url", json_object_new_string(str));
    json_object_object_add(data, "state", json_object_new_int(rep->state));
    for (int k = 0; k < 2; k++) {
        int side = rep->swap ? 1 - k : k, t = f->team[side];
        int64_t id = fx_team_id(g, rep->source, t);
        json_object *to = json_object_new_object(), *sc = json_object_new_object();

        json_object_object_add(to, "id", mixed_id(&g->g, id));
        json_object_object_add(to, "name", json_object_new_string(s->team_name[t]));
        json_object_array_add(teams, to);
        json_object_object_add(sc, "team", mixed_id(&g->g, id));
        json_object_object_add(sc, "score",
                               rep->state > 1 ? json_object_new_int(rep->score[side]) : NULL);
        json_object_object_add(
            sc, "winner",
            rep->state == 2 ? json_object_new_boolean(rep->score[side] > rep->score[1 - side])
                            : NULL);
        json_object_array_add(scores, sc);
    }
    json_object_object_add(data, "teams", teams);
    json_object_object_add(data, "bestof",
                           rep->bestof_null ? NULL : json_object_new_int(f->bestof));
    json_object_object_add(data, "scores", scores);
    if (style == 2) {
        snprintf(str, sizeof(str), "%s Premium Series %d", fx_titles[f->title][0],
                 f->tournament % 10 + 1);
    } else {
        snprintf(str, sizeof(str), "%s Season %d%s", fx_titles[f->title][0], f->tournament % 10 + 1,
                 stages[style]);
    }
    if (rep->source % 2 == 0) {
        json_object *to = json_object_new_object();
        char id[24];

        snprintf(id, sizeof(id), "%d", f->tournament + 1);
        json_object_object_add(to, "id", json_object_new_string(id));
        json_object_object_add(to, "name", json_object_new_string(str));
        json_object_object_add(data, "tournament", to);
    } else {
        json_object_object_add(data, "tournament", json_object_new_string(str));
    }
    dt_format(f->start + s->offset_min * 60 + rep->jitter_s, date);
    date[10] = ' ';
    date[19] = '\0';
    json_object_object_add(data, "date_start_text", json_object_new_string(date));
    json_object_object_add(data, "title",
                           json_object_new_string(fx_titles[f->title][rep->source % 2]));
    json_object_object_add(msg, "data", data);
    text = json_object_to_json_string_length(
        msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    buf_append(out, text, len);
    json_object_put(msg);
}

/* A report published lately that has not finished, or NULL. */
static struct genfx_report *
fx_pick_update(struct genfx *g)
{
    size_t lo = g->nreports > 400 ? g->nreports - 400 : 0;

    for (int tries = 0; tries < 8 && g->nreports > 0; tries++) {
        struct genfx_report *rep = &g->reports[lo + (size_t)below(&g->g, (int)(g->nreports - lo))];

        if (rep->published && rep->state != 2) {
            return rep;
        }
    }
    return NULL;
}

void
genfx_next(struct genfx *g, buf_t *out)
{
    struct gen *r = &g->g;
    struct genfx_report *rep = NULL;

    if (g->npending > g->pending_head && (chance(r, 0.6) || g->npending - g->pending_head > 8)) {
        rep = &g->reports[g->pending[g->pending_head++]];
    } else if (chance(r, r->update_ratio) && (rep = fx_pick_update(g)) != NULL) {
        if (chance(r, 0.02)) {
            /* postponed: every source that reported it says so in turn */
            struct genfx_fixture *f = &g->fixtures[rep->fixture];

            f->start += 3600 * (2 + below(r, 4));
            for (size_t i = 0; i < g->nreports; i++) {
                if (g->reports[i].fixture == rep->fixture && g->reports[i].published &&
                    &g->reports[i] != rep) {
                    fx_push_pending(g, i);
                }
            }
        } else {
            fx_advance(g, rep);
        }
    } else {
        fx_new(g);
        rep = &g->reports[g->pending[g->pending_head++]];
    }
    fx_emit(g, rep, out);
}

void
genfx_truth(const struct genfx *g, buf_t *out)
{
    for (int k = 0; k < g->g.sources; k++) {
        const struct genfx_source *s = &g->src[k];

        for (size_t i = 0; i < s->nmatches; i++) {
            buf_appendf(out, "match\t%s%d\t%lld\t%d\n", g->g.prefix, k + 1,
                        (long long)(s->match_base + (int64_t)i), s->match_fixture[i]);
        }
        for (size_t i = 0; i < s->nteams; i++) {
            buf_appendf(out, "team\t%s%d\t%lld\t%d\n", g->g.prefix, k + 1,
                        (long long)(s->team_base + (int64_t)i), s->team_truth[i]);
        }
    }
}

int
genfx_fixture_of(const struct genfx *g, int source, int64_t match_id)
{
    const struct genfx_source *s;

    if (source < 1 || source > g->g.sources) {
        return -1;
    }
    s = &g->src[source - 1];
    if (match_id < s->match_base || match_id - s->match_base >= (int64_t)s->nmatches) {
        return -1;
    }
    return s->match_fixture[match_id - s->match_base];
}

int
genfx_team_of(const struct genfx *g, int source, int64_t team_id)
{
    const struct genfx_source *s;

    if (source < 1 || source > g->g.sources) {
        return -1;
    }
    s = &g->src[source - 1];
    if (team_id < s->team_base || team_id - s->team_base >= (int64_t)s->nteams) {
        return -1;
    }
    return s->team_truth[team_id - s->team_base];
}
