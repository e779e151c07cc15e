/* render_json.c: JSON documents built with json-c; see render_json.h. */
#include <json-c/json.h>
#include <string.h>
#include <time.h>

#include "db_fixtures.h"
#include "msg.h"
#include "rc.h"
#include "render_json.h"

/* ISO 8601 UTC with Z, or JSON null for 0. */
static json_object *
json_time(int64_t t)
{
    char s[32];
    time_t tt = (time_t)t;
    struct tm tm;

    if (t <= 0) {
        return NULL;
    }
    gmtime_r(&tt, &tm);
    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_object_new_string(s);
}

void
render_json_value(buf_t *out, json_object *o)
{
    size_t len;
    const char *s = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

    buf_append(out, s, len);
}

/* An optional count or age: JSON null for -1. */
static json_object *
json_opt(int64_t v)
{
    return v >= 0 ? json_object_new_int64(v) : NULL;
}

int
render_json_health(buf_t *out, int db_ok, const struct consumer_status *cs, int stall_s)
{
    json_object *root = json_object_new_object();
    json_object *c = json_object_new_object();
    const char *broker = "unknown", *status;
    struct ingest_health h;

    ingest_judge(db_ok ? cs : NULL, stall_s, &h);
    if (cs != NULL) {
        if (cs->pid != 0 && strcmp(h.state, "down") != 0) {
            broker = cs->broker_connected ? "connected" : "disconnected";
        }
        json_object_object_add(c, "pid", cs->pid ? json_object_new_int(cs->pid) : NULL);
        json_object_object_add(c, "started_at", json_time(cs->started_at));
        json_object_object_add(c, "heartbeat_age_seconds", json_opt(cs->heartbeat_age));
        json_object_object_add(c, "messages_applied", json_object_new_uint64(cs->applied));
        json_object_object_add(c, "messages_rejected", json_object_new_uint64(cs->rejected));
        json_object_object_add(c, "last_applied_at", json_time(cs->last_applied_at));
        json_object_object_add(c, "seconds_since_commit", json_opt(cs->commit_age));
        json_object_object_add(c, "queue_depth", json_opt(cs->queue_depth));
        json_object_object_add(c, "queue_depth_age_seconds", json_opt(cs->queue_depth_age));
        json_object_object_add(c, "waiting_seconds", json_object_new_int64(h.stalled_s));
        json_object_object_add(c, "failed_batches", json_object_new_int64(cs->failed_batches));
        json_object_object_add(c, "last_error",
                               cs->last_error[0] ? json_object_new_string(cs->last_error) : NULL);
        json_object_object_add(c, "last_error_at", json_time(cs->last_error_at));
    }
    json_object_object_add(c, "state", json_object_new_string(db_ok ? h.state : "unknown"));
    json_object_object_add(c, "reason",
                           db_ok && h.reason[0] ? json_object_new_string(h.reason) : NULL);
    json_object_object_add(c, "stall_after_seconds", json_object_new_int(stall_s));

    if (!db_ok) {
        status = "unavailable";
    } else if (h.stalled) {
        status = "stalled";
    } else if (cs != NULL && strcmp(h.state, "running") == 0 && cs->broker_connected) {
        status = "ok";
    } else {
        status = "degraded";
    }
    json_object_object_add(root, "status", json_object_new_string(status));
    json_object_object_add(root, "database", json_object_new_string(db_ok ? "ok" : "unavailable"));
    json_object_object_add(root, "broker", json_object_new_string(broker));
    json_object_object_add(root, "consumer", c);
    render_json_value(out, root);
    json_object_put(root);
    return db_ok && !h.stalled ? 200 : 503;
}

void
render_json_str(buf_t *out, const char *s)
{
    if (s == NULL) {
        buf_append(out, "null", 4);
        return;
    }
    buf_append_char(out, '"');
    buf_append_json_str(out, s, strlen(s));
    buf_append_char(out, '"');
}

static void
id_name(buf_t *out, uint64_t id, const char *name)
{
    if (id == 0) {
        buf_append(out, "null", 4);
        return;
    }
    buf_append(out, "{\"id\":", 6);
    buf_append_u64(out, id);
    buf_append(out, ",\"name\":", 8);
    render_json_str(out, name ? name : "");
    buf_append_char(out, '}');
}

/* Appends ,"key":v, or ,"key":null when the value is absent. */
static void
opt_int(buf_t *out, const char *key, int has, int64_t v)
{
    buf_append(out, ",\"", 2);
    buf_append_str(out, key);
    buf_append(out, "\":", 2);
    if (has) {
        buf_append_i64(out, v);
    } else {
        buf_append(out, "null", 4);
    }
}

void
render_json_match(buf_t *out, const struct match_view *m)
{
    size_t i;

    buf_append(out, "{\"id\":", 6);
    buf_append_u64(out, m->id);
    buf_append_str(out, ",\"fixture_id\":");
    buf_append_u64(out, m->fixture_id);
    buf_append_str(out, ",\"source\":");
    render_json_str(out, m->source);
    buf_append_str(out, ",\"external_id\":");
    render_json_str(out, m->external_id);
    buf_append_str(out, ",\"url\":");
    render_json_str(out, m->url);
    opt_int(out, "state", m->has_state, m->state);
    opt_int(out, "bestof", m->has_bestof, m->bestof);
    buf_append_str(out, ",\"date_start\":");
    render_json_str(out, m->date_start);
    buf_append_str(out, ",\"title\":");
    id_name(out, m->title_id, m->title_name);
    buf_append_str(out, ",\"tournament\":");
    id_name(out, m->tournament_id, m->tournament_name);
    buf_append_str(out, ",\"teams\":[");
    for (i = 0; i < m->nteams; i++) {
        const struct team_view *t = &m->teams[i];

        buf_append_str(out, i ? ",{\"id\":" : "{\"id\":");
        buf_append_u64(out, t->id);
        buf_append_str(out, ",\"identity_id\":");
        buf_append_u64(out, t->identity_id);
        buf_append_str(out, ",\"name\":");
        render_json_str(out, t->name);
        opt_int(out, "score", t->has_score, t->score);
        buf_append_str(out, t->winner == TRI_NULL   ? ",\"winner\":null}"
                            : t->winner == TRI_TRUE ? ",\"winner\":true}"
                                                    : ",\"winner\":false}");
    }
    buf_append_str(out, "],\"updated_at\":");
    render_json_str(out, m->updated_at);
    buf_append_char(out, '}');
}

void
render_json_change(buf_t *out, const struct change_row *c, const struct match_view *m)
{
    buf_appendf(out,
                "{\"seq\":%llu,\"match_id\":%llu,\"fixture_id\":%llu,\"kind\":\"%s\","
                "\"changed_at\":",
                (unsigned long long)c->seq, (unsigned long long)c->match_id,
                (unsigned long long)c->fixture_id, c->created ? "created" : "updated");
    render_json_str(out, c->changed_at);
    buf_append_str(out, ",\"match\":");
    if (m != NULL) {
        render_json_match(out, m);
    } else {
        buf_append_str(out, "null");
    }
    buf_append_char(out, '}');
}

void
render_json_page_start(buf_t *out, uint64_t count, const char *next, const char *previous)
{
    buf_appendf(out, "{\"count\":%llu,\"next\":", (unsigned long long)count);
    render_json_str(out, next);
    buf_append_str(out, ",\"previous\":");
    render_json_str(out, previous);
    buf_append_str(out, ",\"results\":[");
}

void
render_json_page_end(buf_t *out)
{
    buf_append_str(out, "]}");
}

void
render_json_message(buf_t *out, const struct message_view *m)
{
    json_object *parsed = NULL;
    char why[8];

    buf_appendf(out, "{\"id\":%llu,\"received_at\":", (unsigned long long)m->id);
    render_json_str(out, m->received_at);
    buf_append_str(out, ",\"status\":");
    render_json_str(out, m->status);
    buf_append_str(out, ",\"error\":");
    render_json_str(out, m->error);
    /* the payload exactly as received; it is text whenever it was applied */
    buf_append_str(out, ",\"payload\":\"");
    buf_append_json_str(out, m->payload, m->len);
    buf_append_str(out, "\",\"json\":");
    if (msg_parse_json(m->payload, m->len, &parsed, why, sizeof(why)) == RC_OK) {
        render_json_value(out, parsed);
        json_object_put(parsed);
    } else {
        buf_append(out, "null", 4);
    }
    buf_append_char(out, '}');
}

void
render_json_ref(buf_t *out, const struct ref_view *r)
{
    buf_appendf(out, "{\"id\":%llu,\"name\":", (unsigned long long)r->id);
    render_json_str(out, r->name);
    if (r->source != NULL) {
        buf_append_str(out, ",\"source\":");
        render_json_str(out, r->source);
    }
    buf_appendf(out, ",\"match_count\":%llu}", (unsigned long long)r->matches);
}

void
render_json_errors(buf_t *out, const char *detail, size_t n, const char *const *names,
                   const char (*msgs)[160])
{
    size_t i;

    buf_append_str(out, "{\"detail\":");
    render_json_str(out, detail);
    buf_append_str(out, ",\"errors\":{");
    for (i = 0; i < n; i++) {
        if (i > 0) {
            buf_append_char(out, ',');
        }
        render_json_str(out, names[i]);
        buf_append_char(out, ':');
        render_json_str(out, msgs[i]);
    }
    buf_append_str(out, "}}");
}

void
render_json_team_ref(buf_t *out, const struct ref_view *r)
{
    buf_appendf(out, "{\"id\":%llu,\"name\":", (unsigned long long)r->id);
    render_json_str(out, r->name);
    buf_append_str(out, ",\"source\":");
    render_json_str(out, r->source);
    buf_append_str(out, ",\"external_id\":");
    render_json_str(out, r->external_id);
    buf_appendf(out, ",\"identity_id\":%llu,\"match_count\":%llu}",
                (unsigned long long)r->identity_id, (unsigned long long)r->matches);
}

/* Evidence as the linker wrote it (JSON text), or null. */
static void
evidence(buf_t *out, const char *text)
{
    json_object *o = text ? json_tokener_parse(text) : NULL;

    if (o == NULL) {
        buf_append(out, "null", 4);
        return;
    }
    render_json_value(out, o);
    json_object_put(o);
}

static void
winner(buf_t *out, enum tristate w)
{
    buf_append_str(out, w == TRI_NULL ? "null" : w == TRI_TRUE ? "true" : "false");
}

static void
conflicts(buf_t *out, const struct consensus *c)
{
    size_t i, k;

    buf_append_str(out, ",\"conflicts\":[");
    for (i = 0; i < c->nconflicts; i++) {
        const struct conflict *x = &c->conflicts[i];

        buf_append_str(out, i ? ",{\"field\":" : "{\"field\":");
        render_json_str(out, x->field);
        if (x->identity_id != 0) {
            buf_appendf(out, ",\"identity_id\":%llu", (unsigned long long)x->identity_id);
        } else {
            buf_append_str(out, ",\"identity_id\":null");
        }
        buf_append_str(out, ",\"values\":[");
        for (k = 0; k < x->n; k++) {
            const struct conflict_value *v = &x->values[k];

            buf_appendf(out, "%s{\"match_id\":%llu,\"source\":", k ? "," : "",
                        (unsigned long long)v->match_id);
            render_json_str(out, v->source);
            buf_append_str(out, ",\"value\":");
            if (v->s != NULL) {
                render_json_str(out, v->s);
            } else if (!v->has) {
                buf_append(out, "null", 4);
            } else if (strcmp(x->field, "winner") == 0) {
                buf_append_str(out, v->v ? "true" : "false");
            } else {
                buf_appendf(out, "%lld", (long long)v->v);
            }
            buf_append_char(out, '}');
        }
        buf_append_str(out, "]}");
    }
    buf_append_char(out, ']');
}

void
render_json_fixture(buf_t *out, const struct fixture_view *fx)
{
    const struct consensus *c = &fx->consensus;
    size_t i;

    buf_appendf(out, "{\"id\":%llu,\"source_count\":%zu,\"title\":", (unsigned long long)fx->id,
                fx->n);
    id_name(out, c->title_id, c->title_name);
    buf_append_str(out, ",\"date_start\":");
    render_json_str(out, c->date_start);
    opt_int(out, "state", c->has_state, c->state);
    opt_int(out, "bestof", c->has_bestof, c->bestof);
    buf_append_str(out, ",\"teams\":[");
    for (i = 0; i < c->nteams; i++) {
        const struct consensus_team *t = &c->teams[i];

        buf_appendf(out, "%s{\"identity_id\":%llu,\"name\":", i ? "," : "",
                    (unsigned long long)t->identity_id);
        render_json_str(out, t->name);
        opt_int(out, "score", t->has_score, t->score);
        buf_append_str(out, ",\"winner\":");
        winner(out, t->winner);
        buf_append_char(out, '}');
    }
    buf_append_char(out, ']');
    conflicts(out, c);
    buf_append_str(out, ",\"matches\":[");
    for (i = 0; i < fx->n; i++) {
        if (i > 0) {
            buf_append_char(out, ',');
        }
        render_json_match(out, &fx->matches[i]);
    }
    buf_append_char(out, ']');
    if (fx->links != NULL) {
        buf_append_str(out, ",\"links\":[");
        for (i = 0; i < fx->n; i++) {
            const struct member_link *l = &fx->links[i];

            buf_appendf(out, "%s{\"match_id\":%llu,\"confidence\":%.6g,\"origin\":", i ? "," : "",
                        (unsigned long long)l->match_id, l->confidence);
            render_json_str(out, l->origin);
            buf_append_str(out, ",\"evidence\":");
            evidence(out, l->evidence);
            buf_append_char(out, '}');
        }
        buf_append_char(out, ']');
    }
    buf_append_char(out, '}');
}

void
render_json_link(buf_t *out, const struct link_view *l)
{
    buf_appendf(out, "{\"match_ids\":[%llu,%llu],\"status\":", (unsigned long long)l->match_a,
                (unsigned long long)l->match_b);
    render_json_str(out, l->status);
    buf_appendf(out, ",\"probability\":%.6g,\"evidence\":", l->probability);
    evidence(out, l->evidence);
    buf_append_str(out, ",\"updated_at\":");
    render_json_str(out, l->updated_at);
    buf_append_str(out, ",\"matches\":[");
    if (l->a != NULL) {
        render_json_match(out, l->a);
    }
    if (l->b != NULL) {
        if (l->a != NULL) {
            buf_append_char(out, ',');
        }
        render_json_match(out, l->b);
    }
    buf_append_str(out, "]}");
}

void
render_json_identity(buf_t *out, const struct identity_view *v)
{
    size_t i;

    for (i = 0; i < v->n && v->teams[i].id != v->team_id; i++) {
    }
    buf_appendf(out, "{\"id\":%llu,\"name\":", (unsigned long long)v->team_id);
    render_json_str(out, i < v->n ? v->teams[i].name : NULL);
    buf_append_str(out, ",\"source\":");
    render_json_str(out, i < v->n ? v->teams[i].source : NULL);
    buf_append_str(out, ",\"external_id\":");
    render_json_str(out, i < v->n ? v->teams[i].external_id : NULL);
    buf_appendf(out, ",\"identity_id\":%llu,\"aliases\":[", (unsigned long long)v->identity_id);
    for (i = 0; i < v->n; i++) {
        const struct team_alias *t = &v->teams[i];

        buf_appendf(out, "%s{\"id\":%llu,\"name\":", i ? "," : "", (unsigned long long)t->id);
        render_json_str(out, t->name);
        buf_append_str(out, ",\"source\":");
        render_json_str(out, t->source);
        buf_append_str(out, ",\"external_id\":");
        render_json_str(out, t->external_id);
        buf_appendf(out, ",\"match_count\":%llu,\"confidence\":%.6g,\"origin\":",
                    (unsigned long long)t->matches, t->confidence);
        render_json_str(out, t->origin);
        buf_append_str(out, ",\"evidence\":");
        evidence(out, t->evidence);
        buf_append_char(out, '}');
    }
    buf_append_str(out, "]}");
}
