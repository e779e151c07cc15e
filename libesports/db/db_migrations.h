/*
 * db_migrations.h: the schema_migrations table that records which
 * migrations/NNNN_name.sql files were applied, with their SHA-256.
 */
#ifndef ESPORTS_DB_MIGRATIONS_H
#define ESPORTS_DB_MIGRATIONS_H

#include "db.h"

void db_migrations_register(struct db *db);

/* Creates schema_migrations if missing and takes the migration lock (so two
 * migrate runs never interleave). RC_OK, RC_UNAVAIL, or RC_ERR. */
int db_migrations_begin(struct db *db);
/* Releases the lock. */
void db_migrations_end(struct db *db);

/* The recorded checksum of name into checksum (65 bytes): RC_OK, or
 * RC_NOTFOUND when not applied. */
int db_migrations_checksum(struct db *db, const char *name, char checksum[65]);
/* Records name as applied with its checksum. */
int db_migrations_record(struct db *db, const char *name, const char *checksum);

#endif
