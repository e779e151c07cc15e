/* fuzz_msg.c: the consumer's entry point on the raw bytes of a delivery:
 * msg_parse with the options of the default configuration, and the JSON
 * reading it is built on. */
#include "fuzz.h"

#include <json-c/json.h>

#include "msg.h"
#include "rc.h"

/* MAX_MESSAGE_BYTES's default (config.c); SOURCE_TIMEZONE=UTC */
static const struct msg_opts opts = {1048576, 0};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    struct match_event *ev = NULL;
    struct json_object *root = NULL;
    struct arena a;
    char why[256]; /* as big as the consumer's reason */
    int rc, syntax;

    arena_init(&a, 4096);
    why[0] = '\0';
    rc = msg_parse(p, size, &opts, &a, &ev, why, sizeof(why));
    FUZZ_CHECK(rc == RC_OK || rc == RC_INVALID);
    FUZZ_CHECK(memchr(why, '\0', sizeof(why)) != NULL);
    if (rc == RC_OK) {
        FUZZ_CHECK(ev != NULL && ev->source != NULL && ev->source[0] != '\0');
        FUZZ_CHECK(ev->external_id != NULL);
        FUZZ_CHECK(ev->nteams <= MATCH_MAX_TEAMS);
    } else {
        FUZZ_CHECK(why[0] != '\0');
        FUZZ_CHECK(ev == NULL || (ev->source != NULL && ev->external_id != NULL));
    }
    /* what msg_parse accepted is JSON by the same rules */
    syntax = msg_check_json(p, size, why, sizeof(why));
    FUZZ_CHECK(syntax == RC_OK || syntax == RC_INVALID);
    FUZZ_CHECK(rc != RC_OK || syntax == RC_OK);
    if (msg_parse_json(p, size, &root, why, sizeof(why)) == RC_OK) {
        FUZZ_CHECK(syntax == RC_OK);
        json_object_put(root);
    } else {
        FUZZ_CHECK(syntax != RC_OK);
    }
    arena_cleanup(&a);
    return 0;
}
