/* url.c: a small URL parser for service addresses; see url.h. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "rc.h"
#include "url.h"

static int
hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = tolower(c);
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

int
url_unescape(const char *s, size_t n, int plus_is_space, char *out)
{
    size_t i, j = 0;

    for (i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi, lo;

            if (i + 2 >= n) {
                return RC_INVALID;
            }
            hi = hexval((unsigned char)s[i + 1]);
            lo = hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                return RC_INVALID;
            }
            out[j++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[j++] = plus_is_space && s[i] == '+' ? ' ' : s[i];
        }
    }
    out[j] = '\0';
    return RC_OK;
}

int
url_decode(const char *s, size_t n, char **out)
{
    char *d = xmalloc(n + 1);

    if (url_unescape(s, n, 0, d) != RC_OK) {
        free(d);
        return RC_INVALID;
    }
    *out = d;
    return RC_OK;
}

void
url_cleanup(struct url *u)
{
    if (u == NULL) {
        return;
    }
    free(u->scheme);
    free(u->user);
    free(u->password);
    free(u->host);
    free(u->path);
    memset(u, 0, sizeof(*u));
}

static int
fail(struct url *u, const char **why, const char *msg)
{
    url_cleanup(u);
    *why = msg;
    return RC_INVALID;
}

int
url_parse(const char *s, struct url *u, const char **why)
{
    const char *p, *auth_end, *at, *host, *colon;
    size_t i;

    memset(u, 0, sizeof(*u));
    p = strstr(s, "://");
    if (p == NULL || p == s) {
        return fail(u, why, "expected scheme://host[:port][/path]");
    }
    for (i = 0; s + i < p; i++) {
        if (!isalpha((unsigned char)s[i]) && !(i > 0 && strchr("+-.", s[i]) != NULL)) {
            return fail(u, why, "bad scheme");
        }
    }
    u->scheme = xstrndup(s, (size_t)(p - s));
    for (i = 0; u->scheme[i]; i++) {
        u->scheme[i] = (char)tolower((unsigned char)u->scheme[i]);
    }
    p += 3;

    auth_end = p + strcspn(p, "/?#");
    if (*auth_end == '?' || *auth_end == '#') {
        return fail(u, why, "query strings and fragments are not supported");
    }
    at = NULL;
    for (const char *q = p; q < auth_end; q++) {
        if (*q == '@') {
            at = q;
        }
    }
    if (at != NULL) {
        const char *pc = memchr(p, ':', (size_t)(at - p));
        const char *uend = pc ? pc : at;

        if (url_decode(p, (size_t)(uend - p), &u->user) != RC_OK) {
            return fail(u, why, "bad percent-encoding in user");
        }
        if (pc != NULL && url_decode(pc + 1, (size_t)(at - pc - 1), &u->password) != RC_OK) {
            return fail(u, why, "bad percent-encoding in password");
        }
        host = at + 1;
    } else {
        host = p;
    }

    if (*host == '[') {
        const char *rb = memchr(host, ']', (size_t)(auth_end - host));

        if (rb == NULL) {
            return fail(u, why, "unterminated [IPv6] host");
        }
        u->host = xstrndup(host + 1, (size_t)(rb - host - 1));
        colon = rb + 1 < auth_end ? rb + 1 : NULL;
        if (colon != NULL && *colon != ':') {
            return fail(u, why, "unexpected text after ]");
        }
    } else {
        colon = memchr(host, ':', (size_t)(auth_end - host));
        u->host = xstrndup(host, (size_t)((colon ? colon : auth_end) - host));
    }
    if (u->host[0] == '\0') {
        return fail(u, why, "missing host");
    }
    for (i = 0; u->host[i]; i++) {
        unsigned char c = (unsigned char)u->host[i];

        if (!isalnum(c) && strchr("-._:", c) == NULL) {
            return fail(u, why, "bad character in host");
        }
    }

    if (colon != NULL) {
        long port = 0;
        const char *q;

        if (colon + 1 == auth_end) {
            return fail(u, why, "empty port");
        }
        for (q = colon + 1; q < auth_end; q++) {
            if (!isdigit((unsigned char)*q) || port > 65535) {
                return fail(u, why, "port must be a number from 1 to 65535");
            }
            port = port * 10 + (*q - '0');
        }
        if (port < 1 || port > 65535) {
            return fail(u, why, "port must be a number from 1 to 65535");
        }
        u->port = (int)port;
    }

    if (*auth_end == '/') {
        if (auth_end[strcspn(auth_end, "?#")] != '\0') {
            return fail(u, why, "query strings and fragments are not supported");
        }
        if (url_decode(auth_end + 1, strlen(auth_end + 1), &u->path) != RC_OK) {
            return fail(u, why, "bad percent-encoding in path");
        }
    } else {
        u->path = xstrdup("");
    }
    return RC_OK;
}
