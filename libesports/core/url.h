/*
 * url.h: parses scheme://[user[:password]@]host[:port][/path] as used by
 * MARIADB_URL, AMQP_URL and ELASTICSEARCH_URL. User, password and path are
 * percent-decoded. Every field of a parsed url is owned by it.
 */
#ifndef ESPORTS_URL_H
#define ESPORTS_URL_H

struct url {
    char *scheme;   /* lower-cased, never NULL after a successful parse */
    char *user;     /* NULL when absent */
    char *password; /* NULL when absent */
    char *host;     /* never empty; IPv6 without brackets */
    int port;       /* 0 when absent */
    char *path;     /* decoded, without the leading '/'; "" when absent */
};

/* Parses s into u. Returns RC_OK, or RC_INVALID with *why set to a static
 * description of the problem (u is then left empty). */
int url_parse(const char *s, struct url *u, const char **why);
/* Frees the fields of u. Accepts NULL. */
void url_cleanup(struct url *u);

/* Decodes %XX escapes of s[0..n) into a new string; RC_INVALID on a bad escape
 * or an encoded NUL. */
int url_decode(const char *s, size_t n, char **out);

/* The same into out (room for n + 1 bytes), '+' read as a space when
 * plus_is_space (query strings). */
int url_unescape(const char *s, size_t n, int plus_is_space, char *out);

#endif
