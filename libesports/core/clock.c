/* clock.c: date-times read and written, and the monotonic clock; see clock.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "rc.h"

/* Reads exactly k digits at s[*i]; -1 when they are not there. */
static int
digits(const char *s, size_t n, size_t *i, int k)
{
    int v = 0;

    if (*i + (size_t)k > n) {
        return -1;
    }
    for (int j = 0; j < k; j++) {
        char c = s[*i + (size_t)j];

        if (c < '0' || c > '9') {
            return -1;
        }
        v = v * 10 + (c - '0');
    }
    *i += (size_t)k;
    return v;
}

static int
expect(const char *s, size_t n, size_t *i, char c)
{
    if (*i < n && s[*i] == c) {
        (*i)++;
        return 1;
    }
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's method). */
static int64_t
days_from_civil(int y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
        return 29;
    }
    return dm[m - 1];
}

int
dt_offset_parse(const char *s, int *offset_s)
{
    size_t i = 1, n = strlen(s);
    int h, m;

    if (strcmp(s, "UTC") == 0 || strcmp(s, "Z") == 0) {
        *offset_s = 0;
        return RC_OK;
    }
    if (n != 6 || (s[0] != '+' && s[0] != '-')) {
        return RC_INVALID;
    }
    h = digits(s, n, &i, 2);
    if (h < 0 || h > 14 || !expect(s, n, &i, ':')) {
        return RC_INVALID;
    }
    m = digits(s, n, &i, 2);
    if (m < 0 || m > 59) {
        return RC_INVALID;
    }
    *offset_s = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
    return RC_OK;
}

int
dt_parse(const char *s, size_t n, int default_offset_s, int allow_date, int64_t *out,
         int *date_only)
{
    size_t i = 0;
    int y, mo, d, h = 0, mi = 0, se = 0, offset = default_offset_s;

    if (date_only != NULL) {
        *date_only = 0;
    }
    y = digits(s, n, &i, 4);
    if (y < 1 || !expect(s, n, &i, '-') || (mo = digits(s, n, &i, 2)) < 1 || mo > 12 ||
        !expect(s, n, &i, '-') || (d = digits(s, n, &i, 2)) < 1 || d > days_in_month(y, mo)) {
        return RC_INVALID;
    }
    if (i == n) {
        if (!allow_date) {
            return RC_INVALID;
        }
        if (date_only != NULL) {
            *date_only = 1;
        }
        *out = days_from_civil(y, mo, d) * 86400 - offset;
        return RC_OK;
    }
    if (s[i] == 'T' || s[i] == 't') {
        i++;
    } else if (!expect(s, n, &i, ' ')) {
        return RC_INVALID;
    }
    if ((h = digits(s, n, &i, 2)) < 0 || h > 23 || !expect(s, n, &i, ':') ||
        (mi = digits(s, n, &i, 2)) < 0 || mi > 59) {
        return RC_INVALID;
    }
    if (expect(s, n, &i, ':') && ((se = digits(s, n, &i, 2)) < 0 || se > 59)) {
        return RC_INVALID;
    }
    if (expect(s, n, &i, '.')) { /* fractions of a second: read, then dropped */
        size_t start = i;

        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
        if (i == start) {
            return RC_INVALID;
        }
    }
    if (i < n) {
        if (s[i] == 'Z' || s[i] == 'z') {
            offset = 0;
            i++;
        } else if (s[i] == '+' || s[i] == '-') {
            int sign = s[i] == '-' ? -1 : 1, oh, om;

            i++;
            if ((oh = digits(s, n, &i, 2)) < 0 || oh > 14) {
                return RC_INVALID;
            }
            expect(s, n, &i, ':');
            if ((om = digits(s, n, &i, 2)) < 0 || om > 59) {
                return RC_INVALID;
            }
            offset = sign * (oh * 3600 + om * 60);
        }
    }
    if (i != n) {
        return RC_INVALID;
    }
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset;
    return RC_OK;
}

/* The proleptic Gregorian date of a day count since 1970-01-01 (the inverse
 * of days_from_civil). */
static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int
dt_in_range(int64_t t)
{
    return t >= DT_MIN && t <= DT_MAX;
}

/* Splits t (clamped to the stored range) into its civil fields. */
static void
dt_split(int64_t t, int f[6])
{
    int64_t days, secs;

    t = t < DT_MIN ? DT_MIN : t > DT_MAX ? DT_MAX : t;
    days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    secs = t - days * 86400;
    civil_from_days(days, &f[0], &f[1], &f[2]);
    f[3] = (int)(secs / 3600);
    f[4] = (int)(secs / 60 % 60);
    f[5] = (int)(secs % 60);
}

/* v as exactly `digits` decimal digits (leading zeros) at p. */
static char *
put_digits(char *p, unsigned long v, int digits)
{
    int i;

    for (i = digits - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + digits;
}

/* Written digit by digit: a page of 20 matches writes 40 of these, and
 * snprintf was a tenth of a worker's CPU for a search. */
size_t
dt_write_fields(const int f[6], char sep, long us, const char *tail, char *out, size_t n)
{
    char tmp[32], *p = tmp;
    size_t len, tlen = strlen(tail);

    if (n == 0) {
        return 0;
    }
    p = put_digits(p, (unsigned)f[0] % 10000u, 4);
    *p++ = '-';
    p = put_digits(p, (unsigned)f[1] % 100u, 2);
    *p++ = '-';
    p = put_digits(p, (unsigned)f[2] % 100u, 2);
    *p++ = sep;
    p = put_digits(p, (unsigned)f[3] % 100u, 2);
    *p++ = ':';
    p = put_digits(p, (unsigned)f[4] % 100u, 2);
    *p++ = ':';
    p = put_digits(p, (unsigned)f[5] % 100u, 2);
    if (us >= 0) {
        *p++ = '.';
        p = put_digits(p, (unsigned long)us % 1000000ul, 6);
    }
    /* as snprintf would: what fits of it and the tail, NUL-terminated */
    len = (size_t)(p - tmp);
    len = len < n - 1 ? len : n - 1;
    memcpy(out, tmp, len);
    tlen = tlen < n - 1 - len ? tlen : n - 1 - len;
    memcpy(out + len, tail, tlen);
    out[len + tlen] = '\0';
    return len + tlen;
}

/* t as YYYY-MM-DD<sep>HH:MM:SS<tail> into out (n bytes). */
static void
dt_write(int64_t t, char sep, const char *tail, char *out, size_t n)
{
    int f[6];

    dt_split(t, f);
    (void)dt_write_fields(f, sep, -1, tail, out, n);
}

void
dt_format(int64_t t, char out[21])
{
    dt_write(t, 'T', "Z", out, 21);
}

void
dt_format_sql(int64_t t, char out[20])
{
    dt_write(t, ' ', "", out, 20);
}

double
dt_mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long
dt_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
dt_deadline(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000;
    if (ts->tv_nsec >= 1000000000) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000;
    }
}
