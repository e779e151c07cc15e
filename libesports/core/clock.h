/*
 * clock.h: time as the service reads, stores and writes it (unix seconds,
 * UTC, within MariaDB's DATETIME range), and the monotonic clock that
 * durations are measured on.
 */
#ifndef ESPORTS_CLOCK_H
#define ESPORTS_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * Parses a date-time into unix seconds (UTC):
 *   YYYY-MM-DD HH:MM:SS          read at default_offset_s from UTC
 *   YYYY-MM-DDTHH:MM:SS[.frac][Z|+HH:MM|-HH:MM|+HHMM]
 *   YYYY-MM-DD (only when allow_date; *date_only set to 1)
 * Fields are range-checked (month 1-12, day within the month, ...).
 * RC_OK or RC_INVALID.
 */
int dt_parse(const char *s, size_t n, int default_offset_s, int allow_date, int64_t *out,
             int *date_only);
/* "UTC", "Z" or "+HH:MM"/"-HH:MM" into seconds east of UTC; RC_OK or RC_INVALID. */
int dt_offset_parse(const char *s, int *offset_s);
/* Seconds on the monotonic clock, for measuring durations. */
double dt_mono(void);
/* The same in whole milliseconds. */
long dt_mono_ms(void);
/* The real-time instant ms milliseconds from now, for pthread_cond_timedwait. */
void dt_deadline(struct timespec *ts, long ms);

/* The range of instants the service stores and filters on, the range of
 * MariaDB's DATETIME: 1000-01-01 00:00:00 to 9999-12-31 23:59:59 UTC, as unix
 * seconds. dt_parse reads any year 0001-9999: messages outside this range
 * are rejected (msg.c); filter bounds outside it are clamped to it
 * (db_matches.c), which selects the same rows. */
#define DT_MIN (-30610224000LL)
#define DT_MAX (253402300799LL)

/* Whether t lies within [DT_MIN, DT_MAX]. */
int dt_in_range(int64_t t);

/* Formats unix seconds (DT_MIN..DT_MAX) as YYYY-MM-DDTHH:MM:SSZ into out
 * (21 bytes). Pure calendar arithmetic: no time_t, so no 1970 or 2038 edge. */
void dt_format(int64_t t, char out[21]);
/* The same as "YYYY-MM-DD HH:MM:SS", the text MariaDB reads as a DATETIME
 * (20 bytes). */
void dt_format_sql(int64_t t, char out[20]);
/* Civil fields f (year, month, day, hour, minute, second) as
 * YYYY-MM-DD<sep>HH:MM:SS, then .ffffff when us (microseconds) is not
 * negative, then tail, into out (n bytes); the length written. What
 * dt_format writes, for fields that come already split (a MYSQL_TIME). */
size_t dt_write_fields(const int f[6], char sep, long us, const char *tail, char *out, size_t n);

#endif
