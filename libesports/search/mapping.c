/* mapping.c: the index body of the match documents; see mapping.h. */
#include <json-c/json.h>

#include "mapping.h"

static json_object *
field(const char *type)
{
    json_object *f = json_object_new_object();

    json_object_object_add(f, "type", json_object_new_string(type));
    return f;
}

/* text, with `keyword` (exact) and `key` (lower-cased, folded) sub-fields */
static json_object *
name_field(void)
{
    json_object *f = field("text");
    json_object *sub = json_object_new_object();
    json_object *kw = field("keyword");
    json_object *key = field("keyword");

    json_object_object_add(kw, "ignore_above", json_object_new_int(1024));
    json_object_object_add(key, "normalizer", json_object_new_string("name_key"));
    json_object_object_add(key, "ignore_above", json_object_new_int(1024));
    json_object_object_add(sub, "keyword", kw);
    json_object_object_add(sub, "key", key);
    json_object_object_add(f, "fields", sub);
    return f;
}

/* keyword in doc values only (a keyword's default): read back whole, never
 * searched */
static json_object *
view_field(void)
{
    json_object *f = field("keyword");

    json_object_object_add(f, "index", json_object_new_boolean(0));
    json_object_object_add(f, "ignore_above", json_object_new_int(MAPPING_VIEW_MAX));
    return f;
}

/* {"properties": {"id": long, "name": name_field}} */
static json_object *
id_name_object(void)
{
    json_object *o = json_object_new_object();
    json_object *props = json_object_new_object();

    json_object_object_add(props, "id", field("long"));
    json_object_object_add(props, "name", name_field());
    json_object_object_add(o, "properties", props);
    return o;
}

json_object *
mapping_match_index(const char *alias)
{
    json_object *body = json_object_new_object();
    json_object *settings = json_object_new_object();
    json_object *analysis = json_object_new_object();
    json_object *normalizers = json_object_new_object();
    json_object *name_key = json_object_new_object();
    json_object *filters = json_object_new_array();
    json_object *mappings = json_object_new_object();
    json_object *props = json_object_new_object();
    json_object *url = field("keyword");
    json_object *teams = id_name_object();
    json_object *team_props = NULL;

    /* one node in tests and small deployments: no replica to wait for */
    json_object_object_add(settings, "number_of_shards", json_object_new_int(1));
    json_object_object_add(settings, "number_of_replicas", json_object_new_int(0));
    json_object_array_add(filters, json_object_new_string("lowercase"));
    json_object_array_add(filters, json_object_new_string("asciifolding"));
    json_object_object_add(name_key, "type", json_object_new_string("custom"));
    json_object_object_add(name_key, "filter", filters);
    json_object_object_add(normalizers, "name_key", name_key);
    json_object_object_add(analysis, "normalizer", normalizers);
    json_object_object_add(settings, "analysis", analysis);
    json_object_object_add(body, "settings", settings);

    json_object_object_add(url, "index", json_object_new_boolean(0));
    json_object_object_get_ex(teams, "properties", &team_props);
    json_object_object_add(team_props, "score", field("integer"));
    json_object_object_add(team_props, "winner", field("boolean"));
    json_object_object_add(team_props, "identity_id", field("long"));
    /* the other spellings of the team's identity (other sources' names), so
     * a fixture is found by any of them */
    json_object_object_add(team_props, "aliases", field("text"));

    json_object_object_add(props, "id", field("long"));
    json_object_object_add(props, "fixture_id", field("long"));
    json_object_object_add(props, "source", field("keyword"));
    json_object_object_add(props, "external_id", field("keyword"));
    json_object_object_add(props, "url", url);
    json_object_object_add(props, "state", field("integer"));
    json_object_object_add(props, "bestof", field("integer"));
    json_object_object_add(props, "date_start", field("date"));
    json_object_object_add(props, "title", id_name_object());
    json_object_object_add(props, "tournament", id_name_object());
    json_object_object_add(props, "teams", teams);
    json_object_object_add(props, "updated_at", field("date"));
    json_object_object_add(props, MAPPING_VIEW, view_field());
    json_object_object_add(mappings, "dynamic", json_object_new_string("strict"));
    json_object_object_add(mappings, "properties", props);
    json_object_object_add(body, "mappings", mappings);

    if (alias != NULL) {
        json_object *aliases = json_object_new_object();

        json_object_object_add(aliases, alias, json_object_new_object());
        json_object_object_add(body, "aliases", aliases);
    }
    return body;
}

json_object *
mapping_added_fields(void)
{
    json_object *body = json_object_new_object(), *props = json_object_new_object();
    json_object *teams = json_object_new_object(), *team_props = json_object_new_object();

    json_object_object_add(team_props, "identity_id", field("long"));
    json_object_object_add(team_props, "aliases", field("text"));
    json_object_object_add(teams, "properties", team_props);
    json_object_object_add(props, "fixture_id", field("long"));
    json_object_object_add(props, "teams", teams);
    json_object_object_add(props, MAPPING_VIEW, view_field());
    json_object_object_add(body, "properties", props);
    return body;
}
