/*
 * mapping.h: what the search index of the matches looks like, kept apart
 * from the generic client (es.h), which knows no document.
 */
#ifndef ESPORTS_MAPPING_H
#define ESPORTS_MAPPING_H

#include <json-c/json.h>

/*
 * The index body of the match documents (the JSON of /api/matches/{id}/):
 * explicit mapping, dynamic fields refused. Names (title.name,
 * tournament.name, teams.name) are text with a `keyword` sub-field (exact,
 * for terms aggregations) and a `key` sub-field (keyword, lower-cased and
 * ASCII-folded, for case-insensitive filters); teams is an array of objects
 * so a query on teams.name matches any one team. alias (may be NULL) is
 * added to the body's aliases. The caller puts the result.
 */
json_object *mapping_match_index(const char *alias);

/* The fields added to the documents after their first mapping (the linker's
 * fixture_id, teams.identity_id and teams.aliases; the view), as a _mapping
 * body: put on an index made before them, so its documents can carry them
 * (adding fields is all a mapping may change). */
json_object *mapping_added_fields(void);

/* "view": the document's JSON as /api/matches/{id}/ renders it, kept in doc
 * values only (not searched) for /api/search/ to send as it is. A view
 * longer than MAPPING_VIEW_MAX characters (at 4 bytes each, within the
 * engine's 32,766 bytes a value) is kept in the source only: search then
 * reads that match from the database. */
#define MAPPING_VIEW     "view"
#define MAPPING_VIEW_MAX 8191

#endif
