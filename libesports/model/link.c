/*
 * link.c: the record linker (see link.h): team-name folding, team-name
 * compatibility, Fellegi-Sunter scoring of a pair of source matches, its
 * explanation as JSON, and the deterministic greedy clustering of fixtures
 * and team identities.
 *
 * The weights. Each level has m = P(level | the two reports are one fixture)
 * and u = P(level | they are not), both among pairs that passed blocking
 * (same title identity, starts within the window); the weight is log2(m/u).
 * They were first set by reasoning about the sources (how often a real
 * fixture's reports agree on a field, how often unrelated blocked pairs do),
 * then checked and adjusted against the counts `linkq --estimate` prints on
 * the generated fixtures of seeds 1-5 (never on the seeds the README
 * reports), rounded towards caution so that no field but the teams can carry
 * a pair over the high threshold.
 *
 *   prior             1 in 64 blocked pairs is one fixture: -6.0 bits
 *   teams, per team   known same identity  m .30  u .002    +7.2
 *                     exact after folding  m .80  u .006     +7.1
 *                     similar (compatible) m .12  u .003     +5.3
 *                     initials ("lk" for "lucky knights")
 *                                          m .03  u .002     +3.9
 *                     different            m .07  u .95      -3.8
 *                     identifying token    m .0002 u .04     -7.6
 *                     (differs in a number, academy, youth, ...)
 *   name frequency    exact names shared by more than 1 % of the source teams
 *                     lose log2(0.01 / freq) bits (Splink's term-frequency
 *                     adjustment, only penalising: a rare name is already
 *                     worth the full exact weight); not used below 500 teams
 *                     nor for a name fewer than 5 source teams share (one
 *                     real team reported by every source is not common)
 *   start             within 2 min   m .50  u .02   +4.6
 *                     within 10 min  m .33  u .05   +2.7
 *                     within 30 min  m .15  u .12   +0.3
 *                     within 60 min  m .015 u .15   -3.3
 *                     further        m .0005 u .66 -10.4  (rematches)
 *   tournament        exact          m .40  u .10   +2.0
 *                     similar        m .25  u .20   +0.3
 *                     different      m .35  u .70   -1.0  (sources name them
 *                     their own way: a weak field on purpose)
 *   best-of           equal          m .92  u .55   +0.7
 *                     different      m .08  u .45   -2.5
 *   scores            equal          m .55  u .15   +1.9
 *                     one behind     m .40  u .35   +0.2  (a source lags)
 *                     conflicting    m .05  u .50   -3.3
 *
 * A missing value on either side says nothing (weight 0). Two teams exact
 * give +14.2, which with any start inside 10 minutes passes 0.99; a
 * rematch (same teams, more than an hour apart) stays below 0.5 even with
 * both identities known, and "X" against "X Academy" costs 7.6 bits: "X
 * Academy - Y" beside "X - Y" at the same minute with the same scores is at
 * most a suggestion (one of the sources must be wrong: Y plays once).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "link.h"
#include "mem.h"

/* ---- m/u tables ---- */

struct level {
    const char *name;
    double m, u;
};

static double
lw(const struct level *l)
{
    return log2(l->m / l->u);
}

#define PRIOR_BITS (-6.0)

enum team_level { TL_KNOWN, TL_EXACT, TL_SIMILAR, TL_INITIALS, TL_DIFFERENT, TL_IDENT, TL_NLEVELS };

static const struct level team_levels[TL_NLEVELS] = {
    {"known same identity", 0.30, 0.002},
    {"exact after normalization", 0.80, 0.006},
    {"similar", 0.12, 0.003},
    {"initials", 0.03, 0.002},
    {"different", 0.07, 0.95},
    {"identifying token differs", 0.0002, 0.04},
};

static const struct level start_levels[] = {
    {"within 2 min", 0.50, 0.02},   {"within 10 min", 0.33, 0.05}, {"within 30 min", 0.15, 0.12},
    {"within 60 min", 0.015, 0.15}, {"over 60 min", 0.0005, 0.66},
};
static const int64_t start_limits[] = {120, 600, 1800, 3600};

enum { TO_EXACT, TO_SIMILAR, TO_DIFFERENT };
static const struct level tournament_levels[] = {
    {"exact after normalization", 0.40, 0.10},
    {"similar", 0.25, 0.20},
    {"different", 0.35, 0.70},
};

static const struct level bestof_levels[] = {{"equal", 0.92, 0.55}, {"different", 0.08, 0.45}};

enum { SC_EQUAL, SC_BEHIND, SC_CONFLICT };
static const struct level score_levels[] = {
    {"equal", 0.55, 0.15}, {"one source behind", 0.40, 0.35}, {"conflicting", 0.05, 0.50}};

/* a team name's exact agreement among unrelated teams (the TF baseline) */
#define TF_U        0.01
#define TF_MIN_TEAM 500
#define TF_MIN_FREQ 5
/* minimal similarity of two folded names to count as "similar" */
#define SIM_MIN 0.88
/* a different spelling in a linked fixture, paired by elimination, is worth
 * this many bits less than the fixture's own weight */
#define ELIM_PENALTY 4.0

/* ---- normalization ---- */

/* ASCII folding of U+00C0..U+017F ("" = punctuation-like, NULL = keep). */
static const char *const latin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y",
};

/* U+0100..U+017F, two by two (capital, small) mostly */
static const char *const latin_ext_a[128] = {
    "a", "a", "a",  "a",  "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
    "d", "d", "e",  "e",  "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
    "g", "g", "g",  "g",  "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
    "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
    "l", "l", "l",  "n",  "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
    "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
    "s", "s", "t",  "t",  "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
    "u", "u", "u",  "u",  "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",
};

/* Decodes one UTF-8 code point at s (n bytes left); returns its length, or 0
 * for an invalid sequence (*cp untouched). */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len, i;
    uint32_t c;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        len = 2;
        c = s[0] & 0x1F;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3;
        c = s[0] & 0x0F;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4;
        c = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n) {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
        (len == 4 && (c < 0x10000 || c > 0x10FFFF))) {
        return 0;
    }
    *cp = c;
    return len;
}

/* Organisation words: dropped unless nothing else is left. */
static int
is_org_word(const char *t, size_t n)
{
    static const char *const words[] = {"team", "esports", "esport", "gaming",
                                        "club", "gg",      "clan",   "sports"};

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strlen(words[i]) == n && memcmp(words[i], t, n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Canonical spelling of some identifying words; NULL = as written. */
static const char *
canonical_word(const char *t, size_t n)
{
    static const char *const map[][2] = {
        {"ii", "2"},
        {"iii", "3"},
        {"iv", "4"},
        {"vi", "6"},
        {"vii", "7"},
        {"viii", "8"},
        {"ix", "9"},
        {"acad", "academy"},
        {"akademie", "academy"},
        {"academia", "academy"},
        {"jr", "junior"},
        {"juniors", "junior"},
        {"women", "female"},
        {"ladies", "female"},
        {"fe", "female"},
        {"fem", "female"},
        {"u", "youth"},
    };

    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strlen(map[i][0]) == n && memcmp(map[i][0], t, n) == 0) {
            return map[i][1];
        }
    }
    return NULL;
}

/* The folded characters, tokens split at spaces and at letter/digit
 * boundaries, written space-separated into raw (room cap). */
static size_t
fold_chars(const char *name, char *raw, size_t cap)
{
    const unsigned char *s = (const unsigned char *)name;
    size_t n = strlen(name), i = 0, o = 0;
    int last = 0; /* 0 space, 1 letter, 2 digit, 3 other */

    while (i < n && o + 8 < cap) {
        uint32_t cp = 0;
        size_t len = utf8_next(s + i, n - i, &cp);
        const char *rep = NULL;
        char one[2] = {0, 0};
        int kind;

        if (len == 0) {
            i++;
            cp = ' ';
        } else {
            i += len;
        }
        if (cp < 0x80) {
            if (cp >= 'A' && cp <= 'Z') {
                cp += 'a' - 'A';
            }
            if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
                one[0] = (char)cp;
                rep = one;
            } else {
                rep = "";
            }
        } else if (cp >= 0xC0 && cp <= 0xFF) {
            rep = latin1[cp - 0xC0];
        } else if (cp >= 0x100 && cp <= 0x17F) {
            rep = latin_ext_a[cp - 0x100];
        } else if (cp < 0xC0 || (cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F) ||
                   (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF) {
            rep = ""; /* Latin-1 symbols, general punctuation, spaces, variation selectors */
        }
        if (rep != NULL && rep[0] == '\0') {
            if (last != 0) {
                raw[o++] = ' ';
            }
            last = 0;
            continue;
        }
        if (rep == NULL) {
            /* another script: kept as written, one "other" run */
            if (last != 0 && last != 3) {
                raw[o++] = ' ';
            }
            memcpy(raw + o, s + i - len, len);
            o += len;
            last = 3;
            continue;
        }
        kind = (rep[0] >= '0' && rep[0] <= '9') ? 2 : 1;
        if (last != 0 && last != kind) {
            raw[o++] = ' ';
        }
        for (const char *c = rep; *c != '\0'; c++) {
            raw[o++] = *c;
        }
        last = kind;
    }
    while (o > 0 && raw[o - 1] == ' ') {
        o--;
    }
    raw[o] = '\0';
    return o;
}

struct tok {
    const char *p;
    size_t n;
};

/* Splits s at spaces into at most max tokens. */
static size_t
split(const char *s, struct tok *t, size_t max)
{
    size_t k = 0;

    while (*s != '\0' && k < max) {
        while (*s == ' ') {
            s++;
        }
        if (*s == '\0') {
            break;
        }
        t[k].p = s;
        while (*s != '\0' && *s != ' ') {
            s++;
        }
        t[k].n = (size_t)(s - t[k].p);
        k++;
    }
    return k;
}

#define MAX_TOKENS 128

size_t
link_norm_team(const char *name, char *out, size_t cap)
{
    char raw[LINK_NORM_MAX * 2];
    struct tok t[MAX_TOKENS];
    int drop[MAX_TOKENS];
    size_t k, i, o = 0, kept = 0;

    if (cap == 0) {
        return 0;
    }
    out[0] = '\0';
    if (name == NULL) {
        return 0;
    }
    fold_chars(name, raw, sizeof(raw));
    k = split(raw, t, MAX_TOKENS);
    for (i = 0; i < k; i++) {
        drop[i] = is_org_word(t[i].p, t[i].n);
        /* "e-sports", "e sports" */
        if (!drop[i] && t[i].n == 1 && t[i].p[0] == 'e' && i + 1 < k && t[i + 1].n == 6 &&
            memcmp(t[i + 1].p, "sports", 6) == 0) {
            drop[i] = 1;
        }
        kept += !drop[i];
    }
    for (i = 0; i < k; i++) {
        const char *c;
        size_t n;

        if (drop[i] && kept > 0) {
            continue;
        }
        c = canonical_word(t[i].p, t[i].n);
        n = c ? strlen(c) : t[i].n;
        if (o + n + (o > 0) + 1 > cap) {
            break;
        }
        if (o > 0) {
            out[o++] = ' ';
        }
        memcpy(out + o, c ? c : t[i].p, n);
        o += n;
    }
    out[o] = '\0';
    return o;
}

/* ---- compatibility ---- */

static int
is_ident_token(const struct tok *t)
{
    static const char *const words[] = {"academy", "youth",    "junior", "female", "b",
                                        "reserve", "reserves", "x",      "i",      "v"};
    size_t i;

    for (i = 0; i < t->n; i++) {
        if (t->p[i] < '0' || t->p[i] > '9') {
            break;
        }
    }
    if (i == t->n) {
        return 1;
    }
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strlen(words[i]) == t->n && memcmp(words[i], t->p, t->n) == 0) {
            return 1;
        }
    }
    return 0;
}

static int
tok_cmp(const void *a, const void *b)
{
    const struct tok *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->p, y->p, n);

    if (c != 0) {
        return c;
    }
    return (x->n > y->n) - (x->n < y->n);
}

/* Jaro-Winkler similarity of a[0..na) and b[0..nb). */
static double
jaro_winkler(const char *a, size_t na, const char *b, size_t nb)
{
    unsigned char ma[256], mb[256];
    size_t range, i, j, m = 0, trans = 0, prefix = 0, k = 0;
    double jaro;

    if (na == 0 && nb == 0) {
        return 1.0;
    }
    if (na == 0 || nb == 0) {
        return 0.0;
    }
    na = na > 256 ? 256 : na;
    nb = nb > 256 ? 256 : nb;
    memset(ma, 0, na);
    memset(mb, 0, nb);
    range = (na > nb ? na : nb) / 2;
    range = range > 0 ? range - 1 : 0;
    for (i = 0; i < na; i++) {
        size_t lo = i > range ? i - range : 0, hi = i + range + 1 < nb ? i + range + 1 : nb;

        for (j = lo; j < hi; j++) {
            if (!mb[j] && a[i] == b[j]) {
                ma[i] = mb[j] = 1;
                m++;
                break;
            }
        }
    }
    if (m == 0) {
        return 0.0;
    }
    for (i = 0; i < na; i++) {
        if (!ma[i]) {
            continue;
        }
        while (!mb[k]) {
            k++;
        }
        trans += a[i] != b[k];
        k++;
    }
    jaro = ((double)m / (double)na + (double)m / (double)nb +
            ((double)m - (double)trans / 2.0) / (double)m) /
           3.0;
    while (prefix < 4 && prefix < na && prefix < nb && a[prefix] == b[prefix]) {
        prefix++;
    }
    return jaro + (double)prefix * 0.1 * (1.0 - jaro);
}

/* The identifying tokens (sorted) and the rest, joined with spaces. */
static void
parts(const char *norm, struct tok *ident, size_t *nident, char *base, size_t cap)
{
    struct tok t[MAX_TOKENS];
    size_t k = split(norm, t, MAX_TOKENS), o = 0;

    *nident = 0;
    for (size_t i = 0; i < k; i++) {
        if (is_ident_token(&t[i])) {
            ident[(*nident)++] = t[i];
        } else if (o + t[i].n + 2 <= cap) {
            if (o > 0) {
                base[o++] = ' ';
            }
            memcpy(base + o, t[i].p, t[i].n);
            o += t[i].n;
        }
    }
    base[o] = '\0';
    qsort(ident, *nident, sizeof(*ident), tok_cmp);
}

/* 1 when every token of a[0..na) is a token of b[0..nb). */
static int
toks_within(const struct tok *ta, size_t na, const struct tok *tb, size_t nb)
{
    if (na == 0) {
        return 0;
    }
    for (size_t i = 0; i < na; i++) {
        size_t j;

        for (j = 0; j < nb; j++) {
            if (tok_cmp(&ta[i], &tb[j]) == 0) {
                break;
            }
        }
        if (j == nb) {
            return 0;
        }
    }
    return 1;
}

/* 1 when every space-separated word of a is a word of b. */
static int
words_within(const char *a, const char *b)
{
    struct tok ta[MAX_TOKENS], tb[MAX_TOKENS];
    size_t na = split(a, ta, MAX_TOKENS), nb = split(b, tb, MAX_TOKENS);

    return toks_within(ta, na, tb, nb);
}

/* A folded name as the comparisons read it: its identifying tokens (sorted)
 * and the other words, joined in base and split in bt. */
struct view {
    const struct tok *ident;
    size_t nident;
    const char *base;
    size_t blen;
    const struct tok *bt;
    size_t nbase;
    const unsigned char *hist; /* prepared: base's bytes counted; NULL: not prepared */
};

/* Room for the view of a name that is not prepared. */
struct view_room {
    struct tok ident[MAX_TOKENS], bt[MAX_TOKENS];
    char base[LINK_NORM_MAX];
};

/* The view of a team's name: from its form when prepared, else folded here. */
static void
view_of(const char *norm, const struct link_team_form *f, struct view *v, struct view_room *room)
{
    size_t i;

    if (f != NULL && f->ok) {
        for (i = 0; i < f->nident; i++) {
            room->ident[i].p = f->idents + f->ident_off[i];
            room->ident[i].n = f->ident_len[i];
        }
        for (i = 0; i < f->nbase; i++) {
            room->bt[i].p = f->base + f->base_off[i];
            room->bt[i].n = f->base_tlen[i];
        }
        v->nident = f->nident;
        v->base = f->base;
        v->blen = f->base_len;
        v->nbase = f->nbase;
        v->hist = f->hist;
    } else {
        parts(norm ? norm : "", room->ident, &v->nident, room->base, sizeof(room->base));
        v->base = room->base;
        v->blen = strlen(room->base);
        v->nbase = split(room->base, room->bt, MAX_TOKENS);
        v->hist = NULL;
    }
    v->ident = room->ident;
    v->bt = room->bt;
}

/* The bucket of a byte in a form's histogram. */
static size_t
hist_bucket(unsigned char c)
{
    if (c >= 'a' && c <= 'z') {
        return (size_t)(c - 'a');
    }
    if (c >= '0' && c <= '9') {
        return 26 + (size_t)(c - '0');
    }
    return c == ' ' ? 36 : 37;
}

/* An upper bound of jaro_winkler(a, b) from the byte counts (two bytes match
 * only when equal, so at most the common counts match; no transposition;
 * the common prefix exactly). */
static double
jaro_winkler_bound(const struct view *a, const struct view *b)
{
    size_t m = 0, prefix = 0;
    double jaro;

    for (size_t c = 0; c < LINK_FORM_HIST; c++) {
        m += a->hist[c] < b->hist[c] ? a->hist[c] : b->hist[c];
    }
    if (m == 0) {
        return 0.0;
    }
    jaro = ((double)m / (double)a->blen + (double)m / (double)b->blen + 1.0) / 3.0;
    while (prefix < 4 && prefix < a->blen && prefix < b->blen &&
           a->base[prefix] == b->base[prefix]) {
        prefix++;
    }
    return jaro + (double)prefix * 0.1 * (1.0 - jaro);
}

void
link_team_prepare(const char *norm, struct link_team_form *f)
{
    struct tok t[MAX_TOKENS];
    size_t k, i, io = 0, bo = 0;

    memset(f, 0, sizeof(*f));
    if (norm == NULL || strlen(norm) >= LINK_FORM_CHARS) {
        return;
    }
    k = split(norm, t, MAX_TOKENS);
    if (k > LINK_FORM_TOKENS) {
        return;
    }
    for (i = 0; i < k; i++) {
        if (!is_ident_token(&t[i])) {
            continue;
        }
        f->ident_off[f->nident] = (unsigned char)io;
        f->ident_len[f->nident++] = (unsigned char)t[i].n;
        memcpy(f->idents + io, t[i].p, t[i].n);
        io += t[i].n;
        f->idents[io++] = ' ';
    }
    for (i = 0; i < k; i++) {
        if (is_ident_token(&t[i])) {
            continue;
        }
        if (bo > 0) {
            f->base[bo++] = ' ';
        }
        f->base_off[f->nbase] = (unsigned char)bo;
        f->base_tlen[f->nbase++] = (unsigned char)t[i].n;
        memcpy(f->base + bo, t[i].p, t[i].n);
        bo += t[i].n;
    }
    f->base[bo] = '\0';
    f->base_len = bo;
    for (i = 0; i < bo; i++) {
        f->hist[hist_bucket((unsigned char)f->base[i])]++;
    }
    /* the identifying tokens sorted (few: insertion) */
    for (i = 1; i < f->nident; i++) {
        for (size_t j = i; j > 0; j--) {
            struct tok x = {f->idents + f->ident_off[j - 1], f->ident_len[j - 1]};
            struct tok y = {f->idents + f->ident_off[j], f->ident_len[j]};
            unsigned char off, len;

            if (tok_cmp(&x, &y) <= 0) {
                break;
            }
            off = f->ident_off[j];
            len = f->ident_len[j];
            f->ident_off[j] = f->ident_off[j - 1];
            f->ident_len[j] = f->ident_len[j - 1];
            f->ident_off[j - 1] = off;
            f->ident_len[j - 1] = len;
        }
    }
    f->ok = 1;
}

/* 1 when the two views have the same identifying tokens. */
static int
same_idents(const struct view *a, const struct view *b)
{
    if (a->nident != b->nident) {
        return 0;
    }
    for (size_t i = 0; i < a->nident; i++) {
        if (tok_cmp(&a->ident[i], &b->ident[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

static int
compatible(const struct view *a, const struct view *b, double *sim)
{
    int same_ident = same_idents(a, b);
    double s;

    if (a->blen == 0 && b->blen == 0) {
        s = same_ident && a->nident > 0 ? 1.0 : 0.0;
    } else if (a->hist != NULL && b->hist != NULL && a->blen > 0 && b->blen > 0 &&
               (s = jaro_winkler_bound(a, b)) < SIM_MIN - 1e-9) {
        /* prepared names that cannot reach SIM_MIN: the bound says as much
         * as the similarity would (it is only compared with SIM_MIN and 0.9) */
        if (s < 0.9 && (toks_within(a->bt, a->nbase, b->bt, b->nbase) ||
                        toks_within(b->bt, b->nbase, a->bt, a->nbase))) {
            s = 0.9;
        }
    } else {
        s = jaro_winkler(a->base, a->blen, b->base, b->blen);
        /* a word dropped ("red falcons" / "falcons"): most of a name */
        if (s < 0.9 && (toks_within(a->bt, a->nbase, b->bt, b->nbase) ||
                        toks_within(b->bt, b->nbase, a->bt, a->nbase))) {
            s = 0.9;
        }
    }
    if (sim != NULL) {
        *sim = s;
    }
    return same_ident && s >= SIM_MIN;
}

int
link_team_compatible(const char *norm_a, const char *norm_b, double *sim)
{
    struct view_room ra, rb;
    struct view va, vb;

    view_of(norm_a, NULL, &va, &ra);
    view_of(norm_b, NULL, &vb, &rb);
    return compatible(&va, &vb, sim);
}

/* ---- scoring ---- */

void
link_params_default(struct link_params *p)
{
    memset(p, 0, sizeof(*p));
    p->window_s = 10800;
    p->high = 0.99;
    p->low = 0.5;
    p->nteams = 0;
}

void
link_params_config(struct link_params *p, const struct config *cfg)
{
    link_params_default(p);
    p->window_s = cfg->link_window_s;
    p->high = cfg->link_high;
    p->low = cfg->link_low;
}

static void
add_field(struct link_score *s, const char *field, const char *level, double w)
{
    if (s->nfields < LINK_MAX_FIELDS) {
        s->fields[s->nfields].field = field;
        s->fields[s->nfields].level = level;
        s->fields[s->nfields].weight = w;
        s->nfields++;
    }
}

/* 1 when short is the initials of long ("lk" / "lucky knights"), the
 * identifying tokens alike. */
static int
initials_of(const struct view *s, const struct view *l)
{
    if (s->blen < 2 || s->blen > 5 || s->nbase != 1 || !same_idents(s, l) || l->nbase != s->blen) {
        return 0;
    }
    for (size_t i = 0; i < l->nbase; i++) {
        if (l->bt[i].p[0] != s->base[i]) {
            return 0;
        }
    }
    return 1;
}

static enum team_level
team_level(const struct link_team *x, const struct link_team *y)
{
    struct view_room rx, ry;
    struct view vx, vy;
    double sim = 0;

    if (x->identity_id != 0 && x->identity_id == y->identity_id) {
        return TL_KNOWN;
    }
    if (x->norm != NULL && y->norm != NULL && x->norm[0] != '\0' && strcmp(x->norm, y->norm) == 0) {
        return TL_EXACT;
    }
    view_of(x->norm, x->form, &vx, &rx);
    view_of(y->norm, y->form, &vy, &ry);
    if (compatible(&vx, &vy, &sim)) {
        return TL_SIMILAR;
    }
    if (sim >= SIM_MIN) {
        return TL_IDENT;
    }
    if (x->norm == NULL || y->norm == NULL) {
        return TL_DIFFERENT;
    }
    return initials_of(&vx, &vy) || initials_of(&vy, &vx) ? TL_INITIALS : TL_DIFFERENT;
}
/* The term-frequency adjustment of an exactly agreeing name (<= 0 bits). */
static double
tf_bits(const struct link_team *x, const struct link_params *p)
{
    double f;

    if (p->nteams < TF_MIN_TEAM || x->norm_freq < TF_MIN_FREQ) {
        return 0.0;
    }
    f = (double)x->norm_freq / (double)p->nteams;
    return f > TF_U ? log2(TF_U / f) : 0.0;
}

/* Level of a whole team comparison from its per-team levels. */
static const char *
teams_level_name(const int *count, size_t n)
{
    if (n == 0) {
        return "no teams";
    }
    if (count[TL_IDENT] > 0) {
        return "an identifying token differs";
    }
    if ((size_t)count[TL_KNOWN] == n) {
        return "all known same identities";
    }
    if ((size_t)count[TL_KNOWN] + (size_t)count[TL_EXACT] == n) {
        return "all exact after normalization or known";
    }
    if (count[TL_DIFFERENT] == 0) {
        return "all agree (exact, similar or initials)";
    }
    if ((size_t)count[TL_DIFFERENT] == n) {
        return "none agree";
    }
    return "some agree, some differ";
}

/* Pairs a's teams with b's (best per-team weight first) and scores them. */
static void
score_teams(const struct link_match *a, const struct link_match *b, const struct link_params *p,
            struct link_score *out)
{
    enum team_level lv[8][8];
    double w[8][8];
    /* how well two teams pair, for the map: a name that differs only in an
     * identifying token still names the team's place in the pair */
    static const int rank[TL_NLEVELS] = {5, 4, 3, 2, 0, 1};
    int used_b[8] = {0}, count[TL_NLEVELS] = {0};
    size_t na = a->nteams < 8 ? a->nteams : 8, nb = b->nteams < 8 ? b->nteams : 8;
    size_t npairs = na < nb ? na : nb, i, j, k;
    double total = 0, tf = 0;

    for (i = 0; i < 8; i++) {
        out->team_map[i] = -1;
    }
    for (i = 0; i < na; i++) {
        for (j = 0; j < nb; j++) {
            lv[i][j] = team_level(&a->teams[i], &b->teams[j]);
            w[i][j] = lw(&team_levels[lv[i][j]]);
        }
    }
    if (na == 2 && nb == 2) {
        /* the usual case: straight or crossed, whichever agrees more */
        int cross = rank[lv[0][1]] + rank[lv[1][0]] > rank[lv[0][0]] + rank[lv[1][1]];

        out->team_map[0] = cross;
        out->team_map[1] = !cross;
    } else {
        for (k = 0; k < npairs; k++) {
            int bi = -1, bj = -1;

            for (i = 0; i < na; i++) {
                if (out->team_map[i] >= 0) {
                    continue;
                }
                for (j = 0; j < nb; j++) {
                    if (!used_b[j] && (bi < 0 || rank[lv[i][j]] > rank[lv[bi][bj]])) {
                        bi = (int)i;
                        bj = (int)j;
                    }
                }
            }
            if (bi < 0 || bj < 0) {
                break;
            }
            out->team_map[bi] = bj;
            used_b[bj] = 1;
        }
    }
    for (i = 0; i < na; i++) {
        int m = out->team_map[i];

        if (m < 0) {
            continue;
        }
        count[lv[i][m]]++;
        total += w[i][m];
        if (lv[i][m] == TL_EXACT) {
            double ta = tf_bits(&a->teams[i], p), tb = tf_bits(&b->teams[m], p);

            tf += ta < tb ? ta : tb;
        }
    }
    /* teams one side has and the other lacks count as different */
    if (na != nb) {
        total += lw(&team_levels[TL_DIFFERENT]) * (double)(na > nb ? na - nb : nb - na);
        count[TL_DIFFERENT] += (int)(na > nb ? na - nb : nb - na);
    }
    add_field(out, "teams", teams_level_name(count, na > nb ? na : nb), total);
    if (tf < 0) {
        add_field(out, "team name frequency", "common name", tf);
    }
}

static void
score_start(const struct link_match *a, const struct link_match *b, struct link_score *out)
{
    int64_t d;
    size_t i;

    if (!a->has_date || !b->has_date) {
        add_field(out, "start", "missing", 0);
        return;
    }
    d = a->date_start > b->date_start ? a->date_start - b->date_start
                                      : b->date_start - a->date_start;
    for (i = 0; i < sizeof(start_limits) / sizeof(start_limits[0]); i++) {
        if (d <= start_limits[i]) {
            break;
        }
    }
    add_field(out, "start", start_levels[i].name, lw(&start_levels[i]));
}

/* Jaccard similarity of the words of two folded strings. */
static double
word_jaccard(const char *a, const char *b)
{
    struct tok ta[MAX_TOKENS], tb[MAX_TOKENS];
    size_t na = split(a, ta, MAX_TOKENS), nb = split(b, tb, MAX_TOKENS), common = 0;

    qsort(ta, na, sizeof(*ta), tok_cmp);
    qsort(tb, nb, sizeof(*tb), tok_cmp);
    for (size_t i = 0, j = 0; i < na && j < nb;) {
        int c = tok_cmp(&ta[i], &tb[j]);

        if (c == 0) {
            common++;
            i++;
            j++;
        } else if (c < 0) {
            i++;
        } else {
            j++;
        }
    }
    return na + nb == common ? 0.0 : (double)common / (double)(na + nb - common);
}

static void
score_tournament(const struct link_match *a, const struct link_match *b, struct link_score *out)
{
    int l;

    if (a->tournament_norm == NULL || b->tournament_norm == NULL || a->tournament_norm[0] == '\0' ||
        b->tournament_norm[0] == '\0') {
        add_field(out, "tournament", "missing", 0);
        return;
    }
    if (strcmp(a->tournament_norm, b->tournament_norm) == 0) {
        l = TO_EXACT;
    } else if (word_jaccard(a->tournament_norm, b->tournament_norm) >= 0.5 ||
               words_within(a->tournament_norm, b->tournament_norm) ||
               words_within(b->tournament_norm, a->tournament_norm)) {
        l = TO_SIMILAR;
    } else {
        l = TO_DIFFERENT;
    }
    add_field(out, "tournament", tournament_levels[l].name, lw(&tournament_levels[l]));
}

static void
score_bestof(const struct link_match *a, const struct link_match *b, struct link_score *out)
{
    int l;

    if (!a->has_bestof || !b->has_bestof) {
        add_field(out, "bestof", "missing", 0);
        return;
    }
    l = a->bestof == b->bestof ? 0 : 1;
    add_field(out, "bestof", bestof_levels[l].name, lw(&bestof_levels[l]));
}

/* State 2 is a finished match (the samples' convention). */
#define STATE_FINISHED 2

static void
score_scores(const struct link_match *a, const struct link_match *b, struct link_score *out)
{
    int le = 1, ge = 1, any = 0, l;
    size_t n = a->nteams < 8 ? a->nteams : 8;

    for (size_t i = 0; i < n; i++) {
        int m = out->team_map[i];
        const struct link_team *x = &a->teams[i], *y;

        if (m < 0 || (size_t)m >= b->nteams) {
            continue;
        }
        y = &b->teams[m];
        if (!x->has_score || !y->has_score) {
            add_field(out, "scores", "missing", 0);
            return;
        }
        any = 1;
        le &= x->score <= y->score;
        ge &= x->score >= y->score;
    }
    if (!any) {
        add_field(out, "scores", "missing", 0);
        return;
    }
    if (le && ge) {
        l = SC_EQUAL;
    } else if ((le && !(a->has_state && a->state == STATE_FINISHED)) ||
               (ge && !(b->has_state && b->state == STATE_FINISHED))) {
        l = SC_BEHIND; /* the one behind has not finished yet */
    } else {
        l = SC_CONFLICT;
    }
    add_field(out, "scores", score_levels[l].name, lw(&score_levels[l]));
}

static void
veto(struct link_score *out, const char *why)
{
    out->veto = why;
    out->weight = -INFINITY;
    out->probability = 0;
    out->verdict = LINK_NONE;
}

void
link_score_pair(const struct link_match *a, const struct link_match *b, const struct link_params *p,
                struct link_score *out)
{
    int64_t d;

    memset(out, 0, sizeof(*out));
    for (int i = 0; i < 8; i++) {
        out->team_map[i] = -1;
    }
    if (a->source_id == b->source_id) {
        veto(out, "same source");
        return;
    }
    if (a->title_id != b->title_id || a->title_id == 0) {
        veto(out, "different titles");
        return;
    }
    if (a->has_date && b->has_date) {
        d = a->date_start > b->date_start ? a->date_start - b->date_start
                                          : b->date_start - a->date_start;
        if (d > p->window_s) {
            veto(out, "starts further apart than the window");
            return;
        }
    }
    score_teams(a, b, p, out);
    score_start(a, b, out);
    score_tournament(a, b, out);
    score_bestof(a, b, out);
    score_scores(a, b, out);
    out->weight = PRIOR_BITS;
    for (size_t i = 0; i < out->nfields; i++) {
        out->weight += out->fields[i].weight;
    }
    out->probability = 1.0 / (1.0 + exp2(-out->weight));
    if (out->probability >= p->high) {
        out->verdict = LINK_AUTO;
    } else if (out->probability >= p->low) {
        out->verdict = LINK_SUGGEST;
    } else {
        out->verdict = LINK_NONE;
    }
}

void
link_score_json(const struct link_score *s, buf_t *out)
{
    buf_appendf(out, "{\"probability\":%.9g,\"weight\":", s->probability);
    if (isfinite(s->weight)) {
        buf_appendf(out, "%.3f", s->weight);
    } else {
        buf_append_str(out, "null");
    }
    buf_appendf(out, ",\"prior\":%.3f,\"fields\":[", PRIOR_BITS);
    for (size_t i = 0; i < s->nfields; i++) {
        buf_append_str(out, i ? ",{\"field\":\"" : "{\"field\":\"");
        buf_append_json_str(out, s->fields[i].field, strlen(s->fields[i].field));
        buf_append_str(out, "\",\"level\":\"");
        buf_append_json_str(out, s->fields[i].level, strlen(s->fields[i].level));
        buf_appendf(out, "\",\"weight\":%.3f}", s->fields[i].weight);
    }
    buf_append_str(out, "],\"veto\":");
    if (s->veto != NULL) {
        buf_append_char(out, '"');
        buf_append_json_str(out, s->veto, strlen(s->veto));
        buf_append_char(out, '"');
    } else {
        buf_append_str(out, "null");
    }
    buf_append_char(out, '}');
}

/* ---- clustering ---- */

struct order {
    const struct link_edge *e;
    int64_t lo, hi;
};

static int
order_cmp(const void *x, const void *y)
{
    const struct order *a = x, *b = y;

    if (a->e->forced != b->e->forced) {
        return a->e->forced ? -1 : 1;
    }
    if (a->e->probability != b->e->probability) {
        return a->e->probability > b->e->probability ? -1 : 1;
    }
    if (a->lo != b->lo) {
        return a->lo < b->lo ? -1 : 1;
    }
    if (a->hi != b->hi) {
        return a->hi < b->hi ? -1 : 1;
    }
    return 0;
}

static size_t
find(size_t *parent, size_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

int
link_cluster(size_t n, const int64_t *ids, const int64_t *group, const struct link_edge *edges,
             size_t nedges, const struct link_edge *cannot, size_t ncannot, double threshold,
             int64_t *cluster)
{
    size_t *parent, *next, *last, i, k, x, y, taken = 0;
    struct order *ord;

    if (n == 0) {
        return 0;
    }
    parent = calloc(n, sizeof(*parent));
    next = calloc(n, sizeof(*next));
    last = calloc(n, sizeof(*last));
    ord = malloc((nedges ? nedges : 1) * sizeof(*ord));
    if (parent == NULL || next == NULL || last == NULL || ord == NULL) {
        free(parent);
        free(next);
        free(last);
        free(ord);
        return -1;
    }
    for (i = 0; i < n; i++) {
        parent[i] = i;
        next[i] = SIZE_MAX; /* members of a root's cluster, as a list */
        last[i] = i;
    }
    for (k = 0; k < nedges; k++) {
        const struct link_edge *e = &edges[k];

        if (e->a >= n || e->b >= n || e->a == e->b ||
            (!e->forced && !(e->probability >= threshold))) {
            continue;
        }
        ord[taken].e = e;
        ord[taken].lo = ids[e->a] < ids[e->b] ? ids[e->a] : ids[e->b];
        ord[taken].hi = ids[e->a] < ids[e->b] ? ids[e->b] : ids[e->a];
        taken++;
    }
    qsort(ord, taken, sizeof(*ord), order_cmp);
    for (k = 0; k < taken; k++) {
        size_t ra = find(parent, ord[k].e->a), rb = find(parent, ord[k].e->b);
        int ok = ra != rb;

        /* one node per group in a cluster */
        for (x = ra; ok && x != SIZE_MAX; x = next[x]) {
            for (y = rb; y != SIZE_MAX; y = next[y]) {
                if (group[x] == group[y]) {
                    ok = 0;
                    break;
                }
            }
        }
        /* no pair a person rejected */
        for (i = 0; ok && i < ncannot; i++) {
            size_t ca, cb;

            if (cannot[i].a >= n || cannot[i].b >= n) {
                continue;
            }
            ca = find(parent, cannot[i].a);
            cb = find(parent, cannot[i].b);
            if ((ca == ra && cb == rb) || (ca == rb && cb == ra)) {
                ok = 0;
            }
        }
        if (!ok) {
            continue;
        }
        if (rb < ra) {
            size_t t = ra;

            ra = rb;
            rb = t;
        }
        parent[rb] = ra;
        next[last[ra]] = rb;
        last[ra] = last[rb];
    }
    /* each cluster named by its smallest id */
    for (i = 0; i < n; i++) {
        size_t r = find(parent, i);

        if (r == i) {
            int64_t lo = ids[i];

            for (x = i; x != SIZE_MAX; x = next[x]) {
                lo = ids[x] < lo ? ids[x] : lo;
            }
            for (x = i; x != SIZE_MAX; x = next[x]) {
                cluster[x] = lo;
            }
        }
    }
    free(parent);
    free(next);
    free(last);
    free(ord);
    return 0;
}

/* ---- team identities ---- */

size_t
link_fixture_team_edges(const struct link_match *ms, size_t n, const struct link_params *p,
                        struct link_team_edge *out, size_t cap)
{
    size_t count = 0;

    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            const struct link_match *a = &ms[i], *b = &ms[j];
            struct link_score s;
            enum team_level lv[8];
            size_t na = a->nteams < 8 ? a->nteams : 8, agree = 0;

            link_score_pair(a, b, p, &s);
            if (s.veto != NULL) {
                continue;
            }
            for (size_t t = 0; t < na; t++) {
                lv[t] = TL_DIFFERENT;
                if (s.team_map[t] >= 0) {
                    lv[t] = team_level(&a->teams[t], &b->teams[s.team_map[t]]);
                    agree += lv[t] <= TL_INITIALS;
                }
            }
            for (size_t t = 0; t < na; t++) {
                const struct link_team *x, *y;
                double w = s.weight;
                const char *level;

                if (s.team_map[t] < 0 || lv[t] == TL_IDENT) {
                    continue;
                }
                if (lv[t] == TL_DIFFERENT) {
                    /* paired by elimination: only when every other team agrees */
                    if (agree + 1 != na || a->nteams != b->nteams) {
                        continue;
                    }
                    w -= ELIM_PENALTY;
                    level = "paired by elimination";
                } else {
                    level = team_levels[lv[t]].name;
                }
                x = &a->teams[t];
                y = &b->teams[s.team_map[t]];
                if (count < cap) {
                    int swap = y->id < x->id;

                    out[count].a = swap ? y->id : x->id;
                    out[count].b = swap ? x->id : y->id;
                    out[count].source_a = swap ? b->source_id : a->source_id;
                    out[count].source_b = swap ? a->source_id : b->source_id;
                    out[count].probability = 1.0 / (1.0 + exp2(-w));
                    out[count].level = level;
                }
                count++;
            }
        }
    }
    return count;
}
