/*
 * msg.c: message bytes -> struct match_event (json-c). Two passes: a scan
 * that copies the bytes without the trailing commas (and refuses the
 * non-JSON words json-c would otherwise let through), then json-c's strict
 * tokener, then field-by-field extraction that names the path of the first
 * bad field.
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "msg.h"
#include "rc.h"
#include "text.h"

#define MAX_DEPTH 32

/* Integers with this many digits or more may not fit in 64 bits: the cleaned
 * copy quotes them, so ids keep their digits exactly and json-c never clamps
 * one (an id 18446744073709551616 is the id "18446744073709551616"). */
#define BIG_INT_DIGITS 19

/* Where the cleaned copy differs from the bytes: from cleaned offset at on,
 * an original offset is delta further on (a dropped comma: +1, an added
 * quote: -1). */
struct edit {
    size_t at;
    int delta;
};

struct cleaned {
    char *p;
    size_t n;
    struct edit *edits; /* in increasing order of at */
    size_t nedits, capedits;
    size_t after; /* where something follows the closed top-level value, or SIZE_MAX */
};

static int fail(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n >= whylen && whylen > 1) {
        text_cut_utf8(why); /* the reason is stored in a utf8mb4 column */
    }
    return RC_INVALID;
}

static int
is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Offset in the original bytes of offset off in the cleaned copy. */
static size_t
original_offset(const struct cleaned *c, size_t off)
{
    size_t k;
    long long o = (long long)off;

    for (k = 0; k < c->nedits && c->edits[k].at <= off; k++) {
        o += c->edits[k].delta;
    }
    return o < 0 ? 0 : (size_t)o;
}

static void
add_edit(struct arena *a, struct cleaned *c, size_t at, int delta)
{
    if (c->nedits == c->capedits) {
        struct edit *grown = arena_alloc(a, 2 * c->capedits * sizeof(*grown));

        memcpy(grown, c->edits, c->capedits * sizeof(*grown));
        c->edits = grown;
        c->capedits *= 2;
    }
    c->edits[c->nedits].at = at;
    c->edits[c->nedits++].delta = delta;
}

/*
 * Copies p without commas that directly precede } or ] (white space between
 * allowed), with integers of BIG_INT_DIGITS digits or more quoted, and checks
 * that every bare word is true, false or null and that no string holds a raw
 * control character (RFC 8259 wants them escaped; json-c lets them through).
 */
static int
clean_json(const char *p, size_t n, struct arena *a, struct cleaned *c, char *why, size_t whylen)
{
    size_t i = 0, j = 0;
    char last = 0;  /* last significant character copied, outside strings */
    long depth = 0; /* open objects and arrays */
    int ended = 0;  /* the top-level object or array is closed */

    c->n = 0;
    /* each quoted integer adds two bytes and has at least BIG_INT_DIGITS */
    c->p = arena_alloc(a, n + 2 * (n / BIG_INT_DIGITS) + 3);
    c->capedits = 16;
    c->edits = arena_alloc(a, c->capedits * sizeof(*c->edits));
    c->nedits = 0;
    c->after = SIZE_MAX;
    while (i < n) {
        char ch = p[i];

        if (ch == '"') {
            /* copy the whole string; json-c checks its escapes */
            c->p[j++] = p[i++];
            while (i < n && p[i] != '"') {
                if ((unsigned char)p[i] < 0x20) {
                    c->p[j] = '\0';
                    return fail(why, whylen,
                                "invalid JSON at byte %zu: control character U+%04X inside a "
                                "string (write it escaped)",
                                i, (unsigned)(unsigned char)p[i]);
                }
                if (p[i] == '\\' && i + 1 < n) {
                    c->p[j++] = p[i++];
                    if ((unsigned char)p[i] < 0x20) {
                        continue; /* checked above, as the next character */
                    }
                }
                c->p[j++] = p[i++];
            }
            if (i < n) {
                c->p[j++] = p[i++];
            }
            last = '"';
            continue;
        }
        if ((ch == '-' || (ch >= '0' && ch <= '9')) &&
            (last == 0 || last == '[' || last == ':' || last == ',')) {
            size_t k = i + (ch == '-'), d;

            while (k < n && p[k] >= '0' && p[k] <= '9') {
                k++;
            }
            d = k - i - (ch == '-');
            if (d >= BIG_INT_DIGITS && p[i + (ch == '-')] != '0' &&
                (k == n || (p[k] != '.' && p[k] != 'e' && p[k] != 'E'))) {
                c->p[j++] = '"';
                add_edit(a, c, j, -1);
                memcpy(c->p + j, p + i, k - i);
                j += k - i;
                c->p[j++] = '"';
                add_edit(a, c, j, -1);
                i = k;
                last = '0';
                continue;
            }
        }
        if (ch == ',' && last != '{' && last != '[' && last != ',') {
            size_t k = i + 1;

            while (k < n && is_ws(p[k])) {
                k++;
            }
            if (k < n && (p[k] == '}' || p[k] == ']')) {
                add_edit(a, c, j, 1);
                i++;
                continue;
            }
        }
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
            size_t k = i;

            while (k < n && ((p[k] >= 'a' && p[k] <= 'z') || (p[k] >= 'A' && p[k] <= 'Z'))) {
                k++;
            }
            if (!((k - i == 4 && memcmp(p + i, "true", 4) == 0) ||
                  (k - i == 5 && memcmp(p + i, "false", 5) == 0) ||
                  (k - i == 4 && memcmp(p + i, "null", 4) == 0)) &&
                !(last != 0 && (p[i] == 'e' || p[i] == 'E') && k - i == 1)) {
                c->p[j] = '\0';
                return fail(why, whylen, "invalid JSON at byte %zu: unexpected word '%.*s'", i,
                            (int)(k - i < 20 ? k - i : 20), p + i);
            }
            memcpy(c->p + j, p + i, k - i);
            j += k - i;
            i = k;
            last = 'w';
            continue;
        }
        if (!is_ws(ch) && ended && c->after == SIZE_MAX) {
            c->after = j; /* json-c will fail here; parse_json says why */
        }
        if (!is_ws(ch)) {
            if (strchr("{}[],:-+.0123456789", ch) == NULL || ch == '\0') {
                c->p[j] = '\0';
                return fail(why, whylen, "invalid JSON at byte %zu: unexpected character '%c'", i,
                            ch >= 0x20 && ch < 0x7f ? ch : '?');
            }
            last = ch;
            depth += ch == '{' || ch == '[';
            if ((ch == '}' || ch == ']') && --depth == 0) {
                ended = 1;
            }
        }
        c->p[j++] = p[i++];
    }
    c->p[j] = '\0';
    c->n = j;
    return RC_OK;
}

/* The JSON type's name, for messages. */
static const char *
type_name(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        return "null";
    case json_type_boolean:
        return "a boolean";
    case json_type_double:
        return "a number with a fraction or an exponent";
    case json_type_int:
        return "an integer";
    case json_type_object:
        return "an object";
    case json_type_array:
        return "an array";
    case json_type_string:
        return "a string";
    }
    return "?";
}

/* At most max characters of the (well-formed UTF-8) string s[0..n), control
 * characters shown as \uXXXX, "..." when cut: safe to echo in a reason. */
static const char *
excerpt(struct arena *a, const char *s, size_t n, size_t max)
{
    char *d = arena_alloc(a, 6 * max + 4);
    size_t i = 0, j = 0, chars = 0;

    while (i < n && chars < max) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;

        if (c < 0x20 || c == 0x7F) {
            j += (size_t)snprintf(d + j, 7, "\\u%04X", c);
            i++;
        } else {
            for (size_t k = 0; k < len && i < n; k++) {
                d[j++] = s[i++];
            }
        }
        chars++;
    }
    if (i < n) {
        memcpy(d + j, "...", 3);
        j += 3;
    }
    d[j] = '\0';
    return d;
}

/* The first control character (U+0000-U+001F, U+007F) in s[0..n), or -1. */
static int
control_char(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == 0x7F) {
            return c;
        }
    }
    return -1;
}

/* A string value's text, cleaned, or RC_INVALID when it holds a control
 * character (a NUL would cut it short: "c001\u0000-x" must not be "c001") or
 * is longer than max characters. */
static int
clean_string(struct arena *a, json_object *v, const char *path, size_t max, const char **out,
             char *why, size_t whylen)
{
    const char *raw = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    int bad = control_char(raw, n);
    const char *s;

    if (bad >= 0) {
        return fail(why, whylen, "%s: contains the control character U+%04X", path, bad);
    }
    s = text_clean(a, raw, n);
    if (utf8_len(s, strlen(s)) > max) {
        return fail(why, whylen, "%s: longer than %zu characters", path, max);
    }
    *out = s;
    return RC_OK;
}

/* An id: an integer or a non-empty string, as text ("1" for 1 and "1"; the
 * digits of an integer of any size, never clamped). present tells an absent
 * member from a null one. */
static int
get_id(struct arena *a, json_object *v, int present, const char *path, const char **out, char *why,
       size_t whylen)
{
    if (v == NULL) {
        return present ? fail(why, whylen, "%s: must be an integer or a string, not null", path)
                       : fail(why, whylen, "%s: missing", path);
    }
    if (json_object_is_type(v, json_type_int)) {
        char num[32];

        /* clean_json quoted every integer that might not fit in 64 bits */
        snprintf(num, sizeof(num), "%lld", (long long)json_object_get_int64(v));
        *out = arena_strndup(a, num, strlen(num));
        return RC_OK;
    }
    if (json_object_is_type(v, json_type_string)) {
        const char *s = NULL;

        if (clean_string(a, v, path, MATCH_ID_MAX, &s, why, whylen) != RC_OK) {
            return RC_INVALID;
        }
        if (s == NULL || s[0] == '\0') {
            return fail(why, whylen, "%s: empty", path);
        }
        *out = s;
        return RC_OK;
    }
    return fail(why, whylen, "%s: must be an integer or a string, not %s", path, type_name(v));
}

/* An optional integer: absent or null -> *has = 0; an integer or a string of
 * digits (sign allowed, white space around ignored) within [lo, hi]. */
static int
get_int(struct arena *a, json_object *v, const char *path, int64_t lo, int64_t hi, int *has,
        int64_t *out, char *why, size_t whylen)
{
    const char *txt; /* the value as written, for the reason */
    int64_t val;
    int range = 0;

    *has = 0;
    if (v == NULL || json_object_is_type(v, json_type_null)) {
        return RC_OK;
    }
    if (json_object_is_type(v, json_type_int)) {
        val = json_object_get_int64(v); /* at most 18 digits: exact */
        txt = json_object_to_json_string(v);
    } else if (json_object_is_type(v, json_type_string)) {
        const char *raw = json_object_get_string(v);
        size_t n = (size_t)json_object_get_string_len(v);
        const char *s = text_clean(a, raw, n);
        const char *d = s + (s[0] == '-' || s[0] == '+');
        char *end;

        txt = excerpt(a, raw, n, 40);
        if (control_char(raw, n) >= 0 || *d < '0' || *d > '9') {
            return fail(why, whylen, "%s: must be an integer, not the string \"%s\"", path, txt);
        }
        errno = 0;
        val = strtoll(s, &end, 10);
        if (*end != '\0') {
            return fail(why, whylen, "%s: must be an integer, not the string \"%s\"", path, txt);
        }
        range = errno == ERANGE;
    } else {
        return fail(why, whylen, "%s: must be an integer, not %s", path, type_name(v));
    }
    if (range || val < lo || val > hi) {
        return fail(why, whylen, "%s: %s is out of range %lld..%lld", path, txt, (long long)lo,
                    (long long)hi);
    }
    *has = 1;
    *out = val;
    return RC_OK;
}

/* An optional string: absent or null -> NULL; cleaned; at most max characters. */
static int
get_text(struct arena *a, json_object *v, const char *path, size_t max, const char **out, char *why,
         size_t whylen)
{
    *out = NULL;
    if (v == NULL || json_object_is_type(v, json_type_null)) {
        return RC_OK;
    }
    if (!json_object_is_type(v, json_type_string)) {
        return fail(why, whylen, "%s: must be a string, not %s", path, type_name(v));
    }
    return clean_string(a, v, path, max, out, why, whylen);
}

/* The member name of o; NULL when absent or null. */
static json_object *
field(json_object *o, const char *name)
{
    json_object *v = NULL;

    return json_object_object_get_ex(o, name, &v) ? v : NULL;
}

/* Whether o has a member name (null or not). */
static int
present(json_object *o, const char *name)
{
    return json_object_object_get_ex(o, name, NULL);
}

static int
parse_tournament(struct arena *a, json_object *v, struct match_event *ev, char *why, size_t whylen)
{
    const char *name = NULL, *id = NULL;
    char *key;
    size_t klen;
    int rc;

    if (v == NULL || json_object_is_type(v, json_type_null)) {
        return RC_OK;
    }
    if (json_object_is_type(v, json_type_string)) {
        rc = get_text(a, v, "data.tournament", MATCH_NAME_MAX, &name, why, whylen);
    } else if (json_object_is_type(v, json_type_object)) {
        json_object *idv = field(v, "id");

        rc = get_text(a, field(v, "name"), "data.tournament.name", MATCH_NAME_MAX, &name, why,
                      whylen);
        if (rc == RC_OK && idv != NULL && !json_object_is_type(idv, json_type_null)) {
            rc = get_id(a, idv, 1, "data.tournament.id", &id, why, whylen);
        }
        if (rc == RC_OK && id == NULL && (name == NULL || name[0] == '\0')) {
            return fail(why, whylen, "data.tournament: has neither id nor name");
        }
    } else {
        return fail(why, whylen,
                    "data.tournament: must be an object {id, name} or a string, not %s",
                    type_name(v));
    }
    if (rc != RC_OK) {
        return rc;
    }
    if (id == NULL && (name == NULL || name[0] == '\0')) {
        return RC_OK; /* an empty bare name: no tournament */
    }
    ev->has_tournament = 1;
    ev->tournament_ext_id = id;
    ev->tournament_name = name ? name : "";
    ev->tournament_name_key = text_key(a, ev->tournament_name, strlen(ev->tournament_name));
    if (id != NULL) {
        klen = strlen(id) + 4;
        key = arena_alloc(a, klen);
        snprintf(key, klen, "id:%s", id);
    } else {
        const char *nk = ev->tournament_name_key;

        klen = strlen(nk) + 6;
        key = arena_alloc(a, klen);
        snprintf(key, klen, "name:%s", nk); /* at most 5 + MATCH_NAME_MAX characters */
    }
    ev->tournament_key = key;
    return RC_OK;
}

static int
parse_teams(struct arena *a, json_object *teams, json_object *scores, struct match_event *ev,
            char *why, size_t whylen)
{
    char path[64];
    size_t i, k, n;
    int seen[MATCH_MAX_TEAMS] = {0};

    if (teams != NULL && !json_object_is_type(teams, json_type_null)) {
        if (!json_object_is_type(teams, json_type_array)) {
            return fail(why, whylen, "data.teams: must be an array, not %s", type_name(teams));
        }
        n = json_object_array_length(teams);
        if (n > MATCH_MAX_TEAMS) {
            return fail(why, whylen, "data.teams: more than %d teams", MATCH_MAX_TEAMS);
        }
        for (i = 0; i < n; i++) {
            json_object *t = json_object_array_get_idx(teams, i);
            struct match_team *mt = &ev->teams[i];
            const char *name;

            if (!json_object_is_type(t, json_type_object)) {
                return fail(why, whylen, "data.teams[%zu]: must be an object, not %s", i,
                            type_name(t));
            }
            snprintf(path, sizeof(path), "data.teams[%zu].id", i);
            if (get_id(a, field(t, "id"), present(t, "id"), path, &mt->external_id, why, whylen) !=
                RC_OK) {
                return RC_INVALID;
            }
            for (k = 0; k < i; k++) {
                if (strcmp(ev->teams[k].external_id, mt->external_id) == 0) {
                    return fail(why, whylen, "data.teams[%zu].id: team %s is listed twice", i,
                                mt->external_id);
                }
            }
            snprintf(path, sizeof(path), "data.teams[%zu].name", i);
            if (get_text(a, field(t, "name"), path, MATCH_NAME_MAX, &name, why, whylen) != RC_OK) {
                return RC_INVALID;
            }
            mt->name = name ? name : "";
            mt->name_key = text_key(a, mt->name, strlen(mt->name));
            mt->has_score = 0;
            mt->winner = TRI_NULL;
        }
        ev->nteams = n;
    }

    if (scores == NULL || json_object_is_type(scores, json_type_null)) {
        return RC_OK;
    }
    if (!json_object_is_type(scores, json_type_array)) {
        return fail(why, whylen, "data.scores: must be an array, not %s", type_name(scores));
    }
    n = json_object_array_length(scores);
    for (i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(scores, i), *w;
        const char *ref = NULL;
        struct match_team *mt = NULL;
        int has;
        int64_t v;

        if (!json_object_is_type(s, json_type_object)) {
            return fail(why, whylen, "data.scores[%zu]: must be an object, not %s", i,
                        type_name(s));
        }
        snprintf(path, sizeof(path), "data.scores[%zu].team", i);
        if (get_id(a, field(s, "team"), present(s, "team"), path, &ref, why, whylen) != RC_OK ||
            ref == NULL) {
            return RC_INVALID;
        }
        for (k = 0; k < ev->nteams; k++) {
            if (strcmp(ev->teams[k].external_id, ref) == 0) {
                mt = &ev->teams[k];
                break;
            }
        }
        if (mt == NULL) {
            return fail(why, whylen, "%s: team %s is not in data.teams", path, ref);
        }
        if (seen[k]++) {
            return fail(why, whylen, "%s: team %s has two scores", path, ref);
        }
        snprintf(path, sizeof(path), "data.scores[%zu].score", i);
        if (get_int(a, field(s, "score"), path, INT32_MIN, INT32_MAX, &has, &v, why, whylen) !=
            RC_OK) {
            return RC_INVALID;
        }
        mt->has_score = has;
        mt->score = has ? v : 0;
        w = field(s, "winner");
        if (w == NULL || json_object_is_type(w, json_type_null)) {
            mt->winner = TRI_NULL;
        } else if (json_object_is_type(w, json_type_boolean)) {
            mt->winner = json_object_get_boolean(w) ? TRI_TRUE : TRI_FALSE;
        } else {
            return fail(why, whylen, "data.scores[%zu].winner: must be true, false or null, not %s",
                        i, type_name(w));
        }
    }
    return RC_OK;
}

static int
parse_event(struct arena *a, json_object *root, const struct msg_opts *o, struct match_event *ev,
            char *why, size_t whylen)
{
    json_object *data, *src;
    const char *s;

    if (!json_object_is_type(root, json_type_object)) {
        return fail(why, whylen, "message is %s, not a JSON object", type_name(root));
    }
    src = field(root, "source");
    if (src == NULL) {
        return present(root, "source") ? fail(why, whylen, "source: must be a string, not null")
                                       : fail(why, whylen, "source: missing");
    }
    if (!json_object_is_type(src, json_type_string)) {
        return fail(why, whylen, "source: must be a string, not %s", type_name(src));
    }
    if (get_text(a, src, "source", MATCH_ID_MAX, &ev->source, why, whylen) != RC_OK) {
        return RC_INVALID;
    }
    if (ev->source == NULL || ev->source[0] == '\0') {
        return fail(why, whylen, "source: empty");
    }
    data = field(root, "data");
    if (data == NULL) {
        return present(root, "data") ? fail(why, whylen, "data: must be an object, not null")
                                     : fail(why, whylen, "data: missing");
    }
    if (!json_object_is_type(data, json_type_object)) {
        return fail(why, whylen, "data: must be an object, not %s", type_name(data));
    }
    if (get_id(a, field(data, "id"), present(data, "id"), "data.id", &ev->external_id, why,
               whylen) != RC_OK) {
        return RC_INVALID;
    }
    if (get_text(a, field(data, "url"), "data.url", MATCH_URL_MAX, &ev->url, why, whylen) !=
            RC_OK ||
        get_int(a, field(data, "state"), "data.state", INT32_MIN, INT32_MAX, &ev->has_state,
                &ev->state, why, whylen) != RC_OK ||
        get_int(a, field(data, "bestof"), "data.bestof", 0, INT32_MAX, &ev->has_bestof, &ev->bestof,
                why, whylen) != RC_OK ||
        get_text(a, field(data, "title"), "data.title", MATCH_NAME_MAX, &ev->title, why, whylen) !=
            RC_OK ||
        parse_tournament(a, field(data, "tournament"), ev, why, whylen) != RC_OK ||
        parse_teams(a, field(data, "teams"), field(data, "scores"), ev, why, whylen) != RC_OK) {
        return RC_INVALID;
    }
    if (ev->url != NULL && ev->url[0] == '\0') {
        ev->url = NULL;
    }
    if (ev->title != NULL && ev->title[0] == '\0') {
        ev->title = NULL;
    }
    if (ev->title != NULL) {
        ev->title_key = text_title_key(a, ev->title, strlen(ev->title));
    }
    if (get_text(a, field(data, "date_start_text"), "data.date_start_text", 64, &s, why, whylen) !=
        RC_OK) {
        return RC_INVALID;
    }
    if (s != NULL && s[0] != '\0') {
        const char *shown = excerpt(a, s, strlen(s), 40);

        if (dt_parse(s, strlen(s), o->tz_offset_s, 0, &ev->date_start, NULL) != RC_OK) {
            return fail(why, whylen,
                        "data.date_start_text: \"%s\" is not a date-time (expected "
                        "YYYY-MM-DD HH:MM:SS or ISO 8601)",
                        shown);
        }
        if (!dt_in_range(ev->date_start)) {
            return fail(why, whylen,
                        "data.date_start_text: \"%s\" is outside the years 1000 to 9999 (UTC)",
                        shown);
        }
        ev->has_date = 1;
    }
    return RC_OK;
}

/* Checks and parses p[0..n) (not empty) into *root (json_object_put it);
 * RC_OK or RC_INVALID with why. */
static int
parse_json(const char *p, size_t n, struct arena *a, json_object **root, char *why, size_t whylen)
{
    struct cleaned c;
    json_tokener *tok;
    enum json_tokener_error e;
    size_t bad, end;
    int rc = RC_OK;

    *root = NULL;
    if (n == 0) {
        return fail(why, whylen, "empty body");
    }
    if (utf8_check(p, n, &bad) != RC_OK) {
        return fail(why, whylen, "invalid UTF-8 at byte %zu", bad);
    }
    if (clean_json(p, n, a, &c, why, whylen) != RC_OK) {
        return RC_INVALID;
    }
    tok = json_tokener_new_ex(MAX_DEPTH);
    if (tok == NULL) {
        return fail(why, whylen, "out of memory");
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    /* the terminating NUL too, so a value at the very end (null, 5) is complete */
    *root = json_tokener_parse_ex(tok, c.p, (int)c.n + 1);
    e = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    if (*root == NULL && e == json_tokener_success) {
        rc = fail(why, whylen, "message is null, not a JSON object");
    } else if (*root == NULL &&
               (e == json_tokener_continue || (e == json_tokener_error_parse_eof && end >= c.n))) {
        rc = fail(why, whylen, "truncated JSON: the message ends at byte %zu inside a value", n);
    } else if (*root == NULL && c.after != SIZE_MAX && end >= c.after) {
        rc = fail(why, whylen, "invalid JSON at byte %zu: data after the end of the value",
                  original_offset(&c, c.after));
    } else if (*root == NULL) {
        rc = fail(why, whylen, "invalid JSON at byte %zu: %s", original_offset(&c, end),
                  json_tokener_error_desc(e));
    } else {
        while (end < c.n && is_ws(c.p[end])) {
            end++;
        }
        if (end < c.n) {
            rc = fail(why, whylen, "invalid JSON at byte %zu: data after the end of the value",
                      original_offset(&c, end));
            json_object_put(*root);
            *root = NULL;
        }
    }
    json_tokener_free(tok);
    return rc;
}

int
msg_parse_json(const char *p, size_t n, json_object **root, char *why, size_t whylen)
{
    struct arena a;
    int rc;

    arena_init(&a, n + 1024);
    rc = parse_json(p, n, &a, root, why, whylen);
    arena_cleanup(&a);
    return rc;
}

int
msg_check_json(const char *p, size_t n, char *why, size_t whylen)
{
    json_object *root;
    int rc = msg_parse_json(p, n, &root, why, whylen);

    json_object_put(root);
    return rc;
}

int
msg_parse(const char *p, size_t n, const struct msg_opts *o, struct arena *a,
          struct match_event **out, char *why, size_t whylen)
{
    struct match_event *ev;
    json_object *root;
    int rc;

    *out = NULL;
    if (n > o->max_bytes) {
        return fail(why, whylen,
                    "payload of %zu bytes exceeds the limit of %zu (MAX_MESSAGE_BYTES)", n,
                    o->max_bytes);
    }
    if (parse_json(p, n, a, &root, why, whylen) != RC_OK) {
        return RC_INVALID;
    }
    ev = arena_alloc(a, sizeof(*ev));
    memset(ev, 0, offsetof(struct match_event, teams));
    rc = parse_event(a, root, o, ev, why, whylen);
    json_object_put(root);
    if (rc == RC_OK || (ev->source != NULL && ev->external_id != NULL)) {
        *out = ev;
    }
    return rc;
}
