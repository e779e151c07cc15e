/* search_doc.c: the match documents of the search index; see search_doc.h. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "mapping.h"
#include "rc.h"
#include "render_json.h"
#include "search_doc.h"

/* Puts the fields added since the first mapping on the indices behind alias
 * (a no-op when they have them already). */
static int
add_fields(struct es *es, const char *alias)
{
    json_object *body = mapping_added_fields();
    char path[300];
    const char *text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
    long status = 0;
    int rc;

    snprintf(path, sizeof(path), "/%s/_mapping", alias);
    rc = es_request(es, "PUT", path, "application/json", text, strlen(text), &status, NULL);
    json_object_put(body);
    if (rc != RC_OK) {
        log_warn("search", "event=mapping_update_failed alias=%s rc=%s err=\"%s\"", alias,
                 rc_name(rc), es_last_error(es));
    }
    return rc;
}

int
search_doc_ensure_index(struct es *es, const char *alias)
{
    char index[256];
    json_object *body;
    int rc = es_index_exists(es, alias);

    if (rc == RC_OK) {
        return add_fields(es, alias);
    }
    if (rc != RC_NOTFOUND) {
        return rc;
    }
    snprintf(index, sizeof(index), "%s-v1", alias);
    body = mapping_match_index(alias);
    rc = es_index_create(es, index, body);
    json_object_put(body);
    if (rc == RC_INVALID && strstr(es_last_error(es), "resource_already_exists") != NULL) {
        /* the index is there but not the alias: point it there */
        json_object *actions = json_object_new_array();
        json_object *add = json_object_new_object();
        json_object *what = json_object_new_object();

        json_object_object_add(what, "index", json_object_new_string(index));
        json_object_object_add(what, "alias", json_object_new_string(alias));
        json_object_object_add(add, "add", what);
        json_object_array_add(actions, add);
        rc = es_aliases(es, actions);
        json_object_put(actions);
    }
    if (rc == RC_OK) {
        log_info("search", "event=index_created index=%s alias=%s", index, alias);
    } else {
        log_warn("search", "event=index_create_failed index=%s rc=%s err=\"%s\"", index,
                 rc_name(rc), es_last_error(es));
    }
    return rc;
}

/* teams[i].aliases: the other spellings of each team's identity. */
static void
add_aliases(json_object *doc, const struct match_view *m)
{
    json_object *teams;
    size_t i, k;

    if (!json_object_object_get_ex(doc, "teams", &teams)) {
        return;
    }
    for (i = 0; i < m->nteams && i < json_object_array_length(teams); i++) {
        const struct team_view *t = &m->teams[i];
        json_object *names;

        if (t->naliases == 0) {
            continue;
        }
        names = json_object_new_array();
        for (k = 0; k < t->naliases; k++) {
            json_object_array_add(names, json_object_new_string(t->aliases[k]));
        }
        json_object_object_add(json_object_array_get_idx(teams, i), "aliases", names);
    }
}

int
search_doc_bulk_add(struct es_bulk *b, const char *index, const struct match_view *m,
                    buf_t *scratch)
{
    json_object *doc;
    char id[24];

    buf_reset(scratch);
    render_json_match(scratch, m);
    doc = scratch->err ? NULL : json_tokener_parse(scratch->data);
    if (doc == NULL) {
        log_error("search", "event=document_unparsable match_id=%llu", (unsigned long long)m->id);
        return RC_ERR;
    }
    add_aliases(doc, m);
    /* the view: what was rendered, before the aliases */
    json_object_object_add(doc, MAPPING_VIEW,
                           json_object_new_string_len(scratch->data, (int)scratch->len));
    snprintf(id, sizeof(id), "%llu", (unsigned long long)m->id);
    es_bulk_index(b, index, id, doc);
    json_object_put(doc);
    return RC_OK;
}

/* The documents naming tournament r[i] under another name, for any i. */
static json_object *
stale_tournaments(const struct search_rename *r, size_t n)
{
    json_object *should = json_object_new_array(), *b = json_object_new_object();
    size_t i;

    for (i = 0; i < n; i++) {
        json_object *one = json_object_new_object();

        json_object_object_add(one, "filter",
                               es_term("tournament.id", json_object_new_uint64(r[i].id)));
        json_object_object_add(
            one, "must_not", es_term("tournament.name.keyword", json_object_new_string(r[i].name)));
        json_object_array_add(should, es_obj1("bool", one));
    }
    json_object_object_add(b, "should", should);
    json_object_object_add(b, "minimum_should_match", json_object_new_int(1));
    return es_obj1("bool", b);
}

/* The documents naming team r[i], for any i (teams are an array of objects,
 * not nested: which of them has the old name only the script can tell). */
static json_object *
teams_named(const struct search_rename *r, size_t n)
{
    json_object *ids = json_object_new_array();
    size_t i;

    for (i = 0; i < n; i++) {
        json_object_array_add(ids, json_object_new_uint64(r[i].id));
    }
    return es_obj1("terms", es_obj1("teams.id", ids));
}

/* The start of both rename scripts: patch(v, head, json) is v with the JSON
 * string after each head replaced by json, or null when head is not there
 * or no string follows it (the view is render_json's text: a string runs to
 * the first '"' not escaped by '\'); v is the document's view, null when it
 * has none or it is not a string. */
#define PATCH_FN                                                                                   \
    "String patch(String v, String head, String json) {"                                           \
    " if (v == null || json == null) { return null; }"                                             \
    " String out = ''; int from = 0; int hits = 0;"                                                \
    " while (true) { int at = v.indexOf(head, from); if (at < 0) { break; }"                       \
    " int s = at + head.length();"                                                                 \
    " if (s >= v.length() || v.charAt(s) != (char) '\"') { return null; }"                         \
    " int i = s + 1;"                                                                              \
    " while (i < v.length() && v.charAt(i) != (char) '\"') {"                                      \
    " if (v.charAt(i) == (char) '\\\\') { i++; } i++; }"                                           \
    " if (i >= v.length()) { return null; }"                                                       \
    " out = out + v.substring(from, s) + json; from = i + 1; hits++; }"                            \
    " return hits == 0 ? null : out + v.substring(from); } "                                       \
    "def v0 = ctx._source." MAPPING_VIEW "; String v = v0 instanceof String ? v0 : null; "

/* What both do with a renamed document's view: keep it patched (v), or
 * drop it when it could not be (search then reads the row from the
 * database). */
#define PATCH_END                                                                                  \
    " if (v == null) { ctx._source.remove('" MAPPING_VIEW "') }"                                   \
    " else { ctx._source." MAPPING_VIEW " = v }"

int
search_doc_rename(struct es *es, const char *index, int team, const struct search_rename *r,
                  size_t n, uint64_t *updated)
{
    /* ids in _source are whatever number type the parser chose: looked up
     * as the decimal string of their long value. The name is set in the
     * source and, in the view, the JSON string params.json gives (rendered
     * here by render_json, as the API renders names) replaces the old one
     * after the tournament's or the team's head. */
    static const char tournament_script[] = PATCH_FN
        "def t = ctx._source.tournament;"
        " String k = t == null ? null : String.valueOf(((Number) t.id).longValue());"
        " String n = k == null ? null : params.names[k];"
        " if (n == null || t.name == n) { ctx.op = 'noop' } else {"
        " t.name = n;"
        " v = patch(v, '\"tournament\":{\"id\":' + k + ',\"name\":', params.json[k]);" PATCH_END
        " }";
    static const char team_script[] =
        PATCH_FN "boolean hit = false; for (t in ctx._source.teams) {"
                 " String k = String.valueOf(((Number) t.id).longValue());"
                 " String n = params.names[k];"
                 " if (n != null && t.name != n) { t.name = n; hit = true;"
                 " String ik = t.identity_id == null ? k"
                 " : String.valueOf(((Number) t.identity_id).longValue());"
                 " v = patch(v, '{\"id\":' + k + ',\"identity_id\":' + ik + ',\"name\":',"
                 " params.json[k]); } }"
                 " if (!hit) { ctx.op = 'noop' } else {" PATCH_END " }";
    json_object *body, *script, *params, *names, *jsons;
    buf_t text;
    size_t i;
    int rc;

    *updated = 0;
    if (n == 0) {
        return RC_OK;
    }
    body = json_object_new_object();
    script = json_object_new_object();
    params = json_object_new_object();
    names = json_object_new_object();
    jsons = json_object_new_object();
    buf_init(&text, 0);
    for (i = 0; i < n; i++) {
        char key[24];

        snprintf(key, sizeof(key), "%llu", (unsigned long long)r[i].id);
        json_object_object_add(names, key, json_object_new_string(r[i].name));
        buf_reset(&text);
        render_json_str(&text, r[i].name);
        json_object_object_add(jsons, key, json_object_new_string_len(text.data, (int)text.len));
    }
    buf_cleanup(&text);
    json_object_object_add(body, "query", team ? teams_named(r, n) : stale_tournaments(r, n));
    json_object_object_add(params, "names", names);
    json_object_object_add(params, "json", jsons);
    json_object_object_add(script, "lang", json_object_new_string("painless"));
    json_object_object_add(script, "source",
                           json_object_new_string(team ? team_script : tournament_script));
    json_object_object_add(script, "params", params);
    json_object_object_add(body, "script", script);
    rc = es_update_by_query(es, index, body, updated);
    json_object_put(body);
    return rc;
}

void
search_doc_index_name(const char *alias, long long stamp, char *out, size_t len)
{
    snprintf(out, len, "%s-v%lld", alias, stamp);
}
