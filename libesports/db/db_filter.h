/*
 * db_filter.h: the list's filters as SQL (FILTERS, over a `matches m`) and
 * their binding, shared by the lists of matches (db_matches.c) and of
 * fixtures (db_fixtures.c). Only db/ includes it.
 */
#ifndef ESPORTS_DB_FILTER_H
#define ESPORTS_DB_FILTER_H

#include <mysql.h>

#include "db_matches.h"

/* 20 parameters: pairs of (value, value) for each optional filter */
#define FILTERS                                                                                    \
    " WHERE (? IS NULL OR m.title_id = ?)"                                                         \
    " AND (? IS NULL OR m.title_id = (SELECT id FROM titles WHERE name_key = ?))"                  \
    " AND (? IS NULL OR m.tournament_id = ?)"                                                      \
    " AND (? IS NULL OR m.tournament_id IN (SELECT id FROM tournaments WHERE name_key = ?))"       \
    " AND (? IS NULL OR m.state = ?)"                                                              \
    " AND (? IS NULL OR m.date_start >= CAST(? AS DATETIME))"                                      \
    " AND (? IS NULL OR m.date_start <= CAST(? AS DATETIME))"                                      \
    " AND (? IS NULL OR EXISTS (SELECT 1 FROM match_teams mt WHERE mt.match_id = m.id"             \
    " AND mt.team_id = ?))"                                                                        \
    " AND (? IS NULL OR EXISTS (SELECT 1 FROM match_teams mt JOIN teams t ON t.id = mt.team_id"    \
    " WHERE mt.match_id = m.id AND t.name_key = ?))"                                               \
    " AND (? IS NULL OR m.source_id = (SELECT id FROM sources WHERE name = ?))"
#define NFILTER 20

/* The bound values of FILTERS. */
struct filter_params {
    int64_t v[NFILTER];
    unsigned long len[NFILTER];
    char null[NFILTER];
    char dates[2][20]; /* the date bounds as DATETIME text */
};

/* Binds f's filters to p[0..NFILTER), values kept in fp. */
void db_filter_bind(MYSQL_BIND *p, struct filter_params *fp, const struct match_filter *f);

/* Whether f filters nothing (the list is every row). */
int db_filter_none(const struct match_filter *f);

#endif
