/* fuzz_url.c: the service URLs of the configuration (url_parse) and the
 * percent-decoding the query strings share (url_decode, url_unescape). */
#include "fuzz.h"

#include "rc.h"
#include "url.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size), *d, *out;
    const char *why = NULL;
    struct url u;
    int rc;

    rc = url_parse(s, &u, &why);
    if (rc == RC_OK) {
        FUZZ_CHECK(u.scheme != NULL && u.scheme[0] != '\0' && u.host != NULL);
        FUZZ_CHECK(u.host[0] != '\0' && u.path != NULL);
        FUZZ_CHECK(u.port >= 0 && u.port <= 65535);
        for (const char *c = u.scheme; *c != '\0'; c++) {
            FUZZ_CHECK(!(*c >= 'A' && *c <= 'Z'));
        }
    } else {
        FUZZ_CHECK(rc == RC_INVALID && why != NULL);
        FUZZ_CHECK(u.scheme == NULL && u.host == NULL && u.path == NULL);
    }
    url_cleanup(&u);
    url_cleanup(NULL);

    /* the raw bytes, NULs and all */
    if (url_decode((const char *)data, size, &d) == RC_OK) {
        FUZZ_CHECK(strlen(d) <= size);
        free(d);
    }
    out = xmalloc(size + 1);
    for (int plus = 0; plus <= 1; plus++) {
        if (url_unescape((const char *)data, size, plus, out) == RC_OK) {
            FUZZ_CHECK(memchr(out, '\0', size + 1) != NULL);
        }
    }
    free(out);
    free(s);
    return 0;
}
