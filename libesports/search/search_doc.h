/*
 * search_doc.h: the match documents of the search index. A document is the
 * JSON of /api/matches/{id}/ (render_json_match), with the teams' aliases
 * and that JSON as text (the view, mapping.h), stored under the match id
 * in the concrete index an alias (ELASTICSEARCH_INDEX) points at. Used by
 * the consumer's mirror and by tools/reindex.
 */
#ifndef ESPORTS_SEARCH_DOC_H
#define ESPORTS_SEARCH_DOC_H

#include "buf.h"
#include "db_matches.h"
#include "es.h"

/* Makes sure alias can be written: when nothing has that name, creates the
 * concrete index "<alias>-v1" with the mapping of mapping_match_index() and
 * the alias pointing at it. RC_OK or the client's error. */
int search_doc_ensure_index(struct es *es, const char *alias);

/* Queues the document of m into b for index (scratch: a buffer the caller
 * keeps between calls, to render into). RC_OK, or RC_ERR if the rendering
 * did not parse back (a bug; logged). */
int search_doc_bulk_add(struct es_bulk *b, const char *index, const struct match_view *m,
                        buf_t *scratch);

/* A tournament or team that got a new name. */
struct search_rename {
    uint64_t id;
    const char *name;
};

/* Tournaments (team: 0) or teams (team: 1) r[0..n) got new names: rewrites
 * them in the documents of index that name them, in one update by query
 * (documents already right are left alone). *updated receives how many
 * changed. */
int search_doc_rename(struct es *es, const char *index, int team, const struct search_rename *r,
                      size_t n, uint64_t *updated);

/* The name of a new concrete index for alias: "<alias>-v<unix seconds>". */
void search_doc_index_name(const char *alias, long long stamp, char *out, size_t len);

#endif
