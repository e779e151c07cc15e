/*
 * mustache_spec.c: runs the mustache spec files (JSON form) against
 * libesports/mustache.c.
 *
 * Usage: mustache_spec [DIR]   (default ../shared/conformance/mustache-spec)
 * Each *.json file of DIR holds {"tests": [{"name", "data", "template",
 * "partials", "expected"}]}. Prints one line per failing case and ends with
 * "mustache-spec: N passed, N failed" (skipped files are named above it); exits 1 when a
 * case failed or no spec file was found.
 */
#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mustache.h"
#include "rc.h"
#include "util.h"

/* The name the test's own template gets in the set; no spec partial uses it. */
#define TEMPLATE_NAME "\x01spec-template"

/* Optional spec modules this implementation leaves out, and why. */
static const struct {
    const char *file;
    const char *why;
} unsupported[] = {
    {"~lambdas.json", "lambdas are not supported (JSON data cannot carry code)"},
    {"~dynamic-names.json", "dynamic names are not supported"},
};

static unsigned passed, failed, skipped;

/* Prints s[0..n) as a C string literal. */
static void
print_escaped(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        switch (c) {
        case '\n':
            fputs("\\n", stdout);
            break;
        case '\r':
            fputs("\\r", stdout);
            break;
        case '\t':
            fputs("\\t", stdout);
            break;
        case '"':
            fputs("\\\"", stdout);
            break;
        case '\\':
            fputs("\\\\", stdout);
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                printf("\\x%02x", c);
            } else {
                putchar(c);
            }
            break;
        }
    }
    putchar('"');
}

static void
report(const char *file, const char *name, const char *expected, size_t elen, const char *got,
       size_t glen)
{
    printf("FAIL %s: %s: expected ", file, name);
    print_escaped(expected, elen);
    fputs(" got ", stdout);
    print_escaped(got, glen);
    putchar('\n');
}

static const char *
str_field(struct json_object *o, const char *key, size_t *len)
{
    struct json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string)) {
        *len = 0;
        return NULL;
    }
    *len = (size_t)json_object_get_string_len(v);
    return json_object_get_string(v);
}

static void
run_case(const char *file, struct json_object *tc)
{
    struct mustache_set *set = mustache_set_new();
    struct json_object *data = NULL, *partials = NULL;
    const char *name, *tmpl, *expected;
    size_t nlen, tlen, elen;
    char err[256] = "";
    buf_t out;
    int rc = RC_OK;

    name = str_field(tc, "name", &nlen);
    tmpl = str_field(tc, "template", &tlen);
    expected = str_field(tc, "expected", &elen);
    if (name == NULL) {
        name = "(unnamed)";
    }
    if (tmpl == NULL || expected == NULL) {
        printf("FAIL %s: %s: no template or expected string\n", file, name);
        failed++;
        mustache_set_free(set);
        return;
    }
    json_object_object_get_ex(tc, "data", &data);
    if (json_object_object_get_ex(tc, "partials", &partials) &&
        json_object_is_type(partials, json_type_object)) {
        json_object_object_foreach(partials, key, val)
        {
            if (rc == RC_OK && json_object_is_type(val, json_type_string)) {
                rc = mustache_set_add(set, key, json_object_get_string(val),
                                      (size_t)json_object_get_string_len(val), err, sizeof(err));
            }
        }
    }
    if (rc == RC_OK) {
        rc = mustache_set_add(set, TEMPLATE_NAME, tmpl, tlen, err, sizeof(err));
    }
    buf_init(&out, 0);
    if (rc == RC_OK) {
        rc = mustache_render(set, TEMPLATE_NAME, data, &out);
        if (rc != RC_OK) {
            snprintf(err, sizeof(err), "render returned %s", rc_name(rc));
        }
    }
    if (rc != RC_OK) {
        report(file, name, expected, elen, err, strlen(err));
        failed++;
    } else if (out.len != elen || (elen > 0 && memcmp(out.data, expected, elen) != 0)) {
        report(file, name, expected, elen, out.data ? out.data : "", out.len);
        failed++;
    } else {
        passed++;
    }
    buf_cleanup(&out);
    mustache_set_free(set);
}

static void
run_file(const char *dir, const char *file)
{
    char path[4096];
    struct json_object *doc, *tests;

    for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++) {
        if (strcmp(file, unsupported[i].file) == 0) {
            printf("SKIP %s: %s\n", file, unsupported[i].why);
            skipped++;
            return;
        }
    }
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    doc = json_object_from_file(path);
    if (doc == NULL || !json_object_object_get_ex(doc, "tests", &tests) ||
        !json_object_is_type(tests, json_type_array)) {
        printf("FAIL %s: cannot read the tests: %s\n", file, json_util_get_last_err());
        failed++;
        json_object_put(doc);
        return;
    }
    for (size_t i = 0; i < json_object_array_length(tests); i++) {
        run_case(file, json_object_array_get_idx(tests, i));
    }
    json_object_put(doc);
}

static int
is_json(const struct dirent *d)
{
    size_t n = strlen(d->d_name);

    return n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

int
main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/conformance/mustache-spec";
    struct dirent **list;
    int n;

    n = scandir(dir, &list, is_json, alphasort);
    if (n < 0) {
        perror(dir);
        return 1;
    }
    if (n == 0) {
        printf("FAIL %s: no spec files\n", dir);
        failed++;
    }
    for (int i = 0; i < n; i++) {
        run_file(dir, list[i]->d_name);
        free(list[i]);
    }
    free(list);
    if (skipped > 0) {
        printf("mustache-spec: %u spec files skipped (see SKIP above)\n", skipped);
    }
    printf("mustache-spec: %u passed, %u failed\n", passed, failed);
    return failed > 0 ? 1 : 0;
}
