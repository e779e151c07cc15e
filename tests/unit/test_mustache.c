/* test_mustache.c: mustache templates: escaping, values, parse errors with
 * lines, loading a folder, the missing-template check, layouts (parents and
 * blocks), block reindentation, the include depth cap, names with NUL
 * bytes, and the cap on the work of one render. */
#include "testutil.h"

#include <json-c/json.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "mustache.h"
#include "rc.h"

/* Renders template src (named "t", with the given partials: name, source,
 * ..., NULL) against the JSON text data; returns the malloc'd output. */
static char *
render_src(const char *src, const char *data, ...)
{
    struct mustache_set *s = mustache_set_new();
    struct json_object *ctx = json_tokener_parse(data);
    char err[256];
    va_list ap;
    const char *name;
    buf_t out;

    va_start(ap, data);
    while ((name = va_arg(ap, const char *)) != NULL) {
        const char *p = va_arg(ap, const char *);

        assert_int_equal(mustache_set_add(s, name, p, strlen(p), err, sizeof(err)), RC_OK);
    }
    va_end(ap);
    assert_int_equal(mustache_set_add(s, "t", src, strlen(src), err, sizeof(err)), RC_OK);
    buf_init(&out, 0);
    assert_int_equal(mustache_render(s, "t", ctx, &out), RC_OK);
    json_object_put(ctx);
    mustache_set_free(s);
    return buf_release(&out);
}

static void
expect_render(const char *src, const char *data, const char *want)
{
    char *got = render_src(src, data, (const char *)NULL);

    assert_string_equal(got, want);
    free(got);
}

static void
test_escaping(void **state)
{
    (void)state;
    expect_render("<p>{{x}}</p>", "{\"x\": \"<script>alert(1)</script>\"}",
                  "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
    expect_render("<a href=\"{{x}}\">", "{\"x\": \"\\\"><img src=x onerror=alert(1)>\"}",
                  "<a href=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\">");
    expect_render("<a title='{{x}}'>", "{\"x\": \"' onmouseover='alert(1)\"}",
                  "<a title='&#39; onmouseover=&#39;alert(1)'>");
    expect_render("{{x}}", "{\"x\": \"a & b\"}", "a &amp; b");
    /* unescaped forms leave the text alone */
    expect_render("{{{x}}}|{{& x}}", "{\"x\": \"<b>'&'</b>\"}", "<b>'&'</b>|<b>'&'</b>");
    /* a value is never parsed as a template */
    expect_render("{{x}}", "{\"x\": \"{{y}}\", \"y\": \"no\"}", "{{y}}");
}

static void
test_values(void **state)
{
    (void)state;
    expect_render("{{i}} {{n}} {{d}} {{big}} {{t}} {{f}} [{{z}}] [{{missing}}] [{{o}}]",
                  "{\"i\": 85, \"n\": -3, \"d\": 1.21, \"big\": 18446744073709551615,"
                  " \"t\": true, \"f\": false, \"z\": null, \"o\": {\"a\": 1}}",
                  "85 -3 1.21 18446744073709551615 true false [] [] []");
    expect_render("{{#list}}{{.}},{{/list}}", "{\"list\": [0.1, 2.5, 1e21, 3]}",
                  "0.1,2.5,1e+21,3,");
    /* falsy: missing, null, false, empty list; 0 and "" are truthy */
    expect_render("{{#a}}A{{/a}}{{#b}}B{{/b}}{{#c}}C{{/c}}{{#d}}D{{/d}}{{#e}}E{{/e}}{{#g}}G{{/g}}",
                  "{\"b\": null, \"c\": false, \"d\": [], \"e\": 0, \"g\": \"\"}", "EG");
    expect_render("{{^a}}A{{/a}}{{^b}}B{{/b}}{{^c}}C{{/c}}{{^d}}D{{/d}}{{^e}}E{{/e}}",
                  "{\"b\": null, \"c\": false, \"d\": [], \"e\": 0}", "ABCD");
    expect_render("{{#team}}{{name}} ({{country.code}}){{/team}}",
                  "{\"team\": {\"name\": \"Navi\", \"country\": {\"code\": \"UA\"}}}", "Navi (UA)");
}

static void
expect_parse_error(const char *src, const char *want)
{
    struct mustache_set *s = mustache_set_new();
    char err[256] = "";

    assert_int_equal(mustache_set_add(s, "page", src, strlen(src), err, sizeof(err)), RC_INVALID);
    assert_string_equal(err, want);
    assert_int_equal(mustache_set_has(s, "page"), 0);
    /* a NULL err is fine too */
    assert_int_equal(mustache_set_add(s, "page", src, strlen(src), NULL, 0), RC_INVALID);
    mustache_set_free(s);
}

static void
test_parse_errors(void **state)
{
    (void)state;
    expect_parse_error("<ul>\n{{#matches}}\n<li>{{name}}</li>\n</ul>\n",
                       "page:2: unclosed section 'matches'");
    expect_parse_error("{{#a}}\n{{#b}}\n{{/a}}\n{{/b}}",
                       "page:3: closing tag '/a' does not match section 'b' opened on line 2");
    expect_parse_error("one\ntwo {{name\nthree\n", "page:2: unclosed tag: no '}}' after '{{'");
    expect_parse_error("{{{name}}", "page:1: unclosed tag: no '}}}' after '{{'");
    expect_parse_error("x\n{{/a}}", "page:2: closing tag '/a' without an open section");
    expect_parse_error(
        "{{<layout}}\n{{$body}}\n{{/layout}}",
        "page:3: closing tag '/layout' does not match block 'body' opened on line 2");
    expect_parse_error("a\n\n{{= <% =}}", "page:3: bad delimiters '<%'");
    expect_parse_error("{{=<% %>=}}\n<%x}}", "page:2: unclosed tag: no '%>' after '<%'");
    expect_parse_error("{{}}", "page:1: empty tag");
    expect_parse_error("{{a b}}", "page:1: bad name 'a b'");
    expect_parse_error("{{a..b}}", "page:1: bad name 'a..b'");
    /* a multi-line comment moves the line count on */
    expect_parse_error("{{!\n\n}}\n{{#x}}", "page:4: unclosed section 'x'");
}

static void
write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void
remove_dir(const char *dir, const char *const *names)
{
    char path[512];

    for (; *names != NULL; names++) {
        snprintf(path, sizeof(path), "%s/%s", dir, *names);
        unlink(path);
    }
    rmdir(dir);
}

static const char layout_src[] = "<!doctype html>\n"
                                 "<title>{{$title}}Esports{{/title}}</title>\n"
                                 "<body>\n"
                                 "  {{$body}}\n"
                                 "  <p>nothing here</p>\n"
                                 "  {{/body}}\n"
                                 "  {{>footer}}\n"
                                 "</body>\n";

static const char page_src[] = "{{<layout}}\n"
                               "{{$title}}{{team}} matches{{/title}}\n"
                               "{{$body}}\n"
                               "<h1>{{team}}</h1>\n"
                               "<ul>\n"
                               "  {{#matches}}\n"
                               "  <li>{{name}}</li>\n"
                               "  {{/matches}}\n"
                               "</ul>\n"
                               "{{/body}}\n"
                               "{{/layout}}\n";

static void
render_expect(const struct mustache_set *s, const char *name, const char *data, const char *want)
{
    struct json_object *ctx = json_tokener_parse(data);
    buf_t out;

    buf_init(&out, 0);
    assert_int_equal(mustache_render(s, name, ctx, &out), RC_OK);
    assert_string_equal(out.data, want);
    buf_cleanup(&out);
    json_object_put(ctx);
}

static void
test_load_dir(void **state)
{
    static const char *const names[] = {"layout.mustache", "page.mustache", "footer.mustache",
                                        "notes.txt",       "bad.mustache",  NULL};
    char dir[] = "/tmp/test_mustache.XXXXXX";
    struct mustache_set *s = mustache_set_new();
    char err[512] = "", want[600];

    (void)state;
    assert_non_null(mkdtemp(dir));
    write_file(dir, "layout.mustache", layout_src);
    write_file(dir, "page.mustache", page_src);
    write_file(dir, "footer.mustache", "<footer>{{year}}</footer>\n");
    write_file(dir, "notes.txt", "{{#not a template");
    assert_int_equal(mustache_set_load_dir(s, dir, err, sizeof(err)), RC_OK);
    assert_int_equal(mustache_set_has(s, "layout"), 1);
    assert_int_equal(mustache_set_has(s, "page"), 1);
    assert_int_equal(mustache_set_has(s, "footer"), 1);
    assert_int_equal(mustache_set_has(s, "notes"), 0);
    assert_int_equal(mustache_set_check(s, err, sizeof(err)), RC_OK);
    render_expect(s, "footer", "{\"year\": 2024}", "<footer>2024</footer>\n");

    /* a syntax error names the file and the line */
    write_file(dir, "bad.mustache", "<ul>\n{{#rows}}\n<li>\n");
    assert_int_equal(mustache_set_load_dir(s, dir, err, sizeof(err)), RC_INVALID);
    snprintf(want, sizeof(want), "%s/bad.mustache:2: unclosed section 'rows'", dir);
    assert_string_equal(err, want);
    assert_int_equal(mustache_set_has(s, "bad"), 0);
    remove_dir(dir, names);

    assert_int_equal(mustache_set_load_dir(s, dir, err, sizeof(err)), RC_NOTFOUND);
    mustache_set_free(s);
}

static void
test_layout(void **state)
{
    struct mustache_set *s = mustache_set_new();
    char err[256];

    (void)state;
    assert_int_equal(mustache_set_add(s, "page", page_src, strlen(page_src), err, sizeof(err)),
                     RC_OK);
    assert_int_equal(
        mustache_set_add(s, "layout", layout_src, strlen(layout_src), err, sizeof(err)), RC_OK);
    assert_int_equal(
        mustache_set_add(s, "footer", "<footer>{{year}}</footer>\n", 26, err, sizeof(err)), RC_OK);
    /* parsed once, rendered many times with different data */
    for (int i = 0; i < 3; i++) {
        render_expect(s, "page",
                      "{\"team\": \"A&B\", \"year\": 2024,"
                      " \"matches\": [{\"name\": \"x\"}, {\"name\": \"<y>\"}]}",
                      "<!doctype html>\n"
                      "<title>A&amp;B matches</title>\n"
                      "<body>\n"
                      "  <h1>A&amp;B</h1>\n"
                      "  <ul>\n"
                      "    <li>x</li>\n"
                      "    <li>&lt;y&gt;</li>\n"
                      "  </ul>\n"
                      "  <footer>2024</footer>\n"
                      "</body>\n");
    }
    /* the layout alone renders its defaults */
    render_expect(s, "layout", "{}",
                  "<!doctype html>\n"
                  "<title>Esports</title>\n"
                  "<body>\n"
                  "  <p>nothing here</p>\n"
                  "  <footer></footer>\n"
                  "</body>\n");
    mustache_set_free(s);
}

static void
test_reindent(void **state)
{
    char *got;

    (void)state;
    /* the example of mustache/spec#131: the block's own indentation is
     * replaced by the one where the parent puts it */
    got = render_src("{{<parent}}\n        {{$block}}\n        Hello\n        {{/block}}\n"
                     "{{/parent}}\n",
                     "{}", "parent", "I say,\n  {{$block}}\n  Hi there!\n  {{/block}}\n",
                     (const char *)NULL);
    assert_string_equal(got, "I say,\n  Hello\n");
    free(got);
    /* a passed block that ends its line takes the line end */
    got = render_src("* a\n* {{<parent}}{{$block}}\n        {{! big indent }}\n        c"
                     "{{/block}}{{/parent}}\n* d\n",
                     "{}", "parent", "{{$block}}x{{/block}}", (const char *)NULL);
    assert_string_equal(got, "* a\n* c\n* d\n");
    free(got);
    /* standalone partials indent every template line, not the data */
    got = render_src("<div>\n    {{>item}}\n</div>\n", "{\"v\": \"1\\n2\"}", "item",
                     "<p>\n  {{v}}\n</p>\n", (const char *)NULL);
    assert_string_equal(got, "<div>\n    <p>\n      1\n2\n    </p>\n</div>\n");
    free(got);
}

static void
test_check_missing(void **state)
{
    struct mustache_set *s = mustache_set_new();
    const char page[] = "<main>\n{{>header}}\n{{<frame}}{{/frame}}\n</main>\n";
    char err[256] = "";
    buf_t out;

    (void)state;
    assert_int_equal(mustache_set_add(s, "page", page, strlen(page), err, sizeof(err)), RC_OK);
    assert_int_equal(mustache_set_check(s, err, sizeof(err)), RC_NOTFOUND);
    assert_string_equal(err, "page:2: no template named 'header' (partial)");
    /* rendering still works: a missing partial is empty (spec) */
    buf_init(&out, 0);
    assert_int_equal(mustache_render(s, "page", NULL, &out), RC_OK);
    assert_string_equal(out.data, "<main>\n</main>\n");
    assert_int_equal(mustache_set_add(s, "header", "<h1>Hi</h1>\n", 12, err, sizeof(err)), RC_OK);
    assert_int_equal(mustache_set_check(s, err, sizeof(err)), RC_NOTFOUND);
    assert_string_equal(err, "page:3: no template named 'frame' (parent)");
    assert_int_equal(mustache_set_add(s, "frame", "[frame]\n", 8, err, sizeof(err)), RC_OK);
    assert_int_equal(mustache_set_check(s, err, sizeof(err)), RC_OK);
    buf_reset(&out);
    assert_int_equal(mustache_render(s, "page", NULL, &out), RC_OK);
    assert_string_equal(out.data, "<main>\n<h1>Hi</h1>\n[frame]\n</main>\n");
    /* replacing a template relinks the ones that use it */
    assert_int_equal(mustache_set_add(s, "header", "<h1>Bye</h1>\n", 13, err, sizeof(err)), RC_OK);
    buf_reset(&out);
    assert_int_equal(mustache_render(s, "page", NULL, &out), RC_OK);
    assert_string_equal(out.data, "<main>\n<h1>Bye</h1>\n[frame]\n</main>\n");
    /* unknown template */
    buf_reset(&out);
    assert_int_equal(mustache_render(s, "nope", NULL, &out), RC_NOTFOUND);
    assert_int_equal(out.len, 0);
    buf_cleanup(&out);
    mustache_set_free(s);
}

static void
test_depth_cap(void **state)
{
    struct mustache_set *s = mustache_set_new();
    char err[256];
    buf_t out;

    (void)state;
    assert_int_equal(mustache_set_add(s, "loop", "x{{>loop}}", 10, err, sizeof(err)), RC_OK);
    assert_int_equal(mustache_set_add(s, "p", "y{{<p}}{{/p}}", 13, err, sizeof(err)), RC_OK);
    assert_int_equal(mustache_set_check(s, err, sizeof(err)), RC_OK);
    buf_init(&out, 0);
    assert_int_equal(mustache_render(s, "loop", NULL, &out), RC_ERR);
    assert_int_equal(out.len, MUSTACHE_MAX_INCLUDE + 1);
    buf_reset(&out);
    assert_int_equal(mustache_render(s, "p", NULL, &out), RC_ERR);
    assert_int_equal(out.len, MUSTACHE_MAX_INCLUDE + 1);
    /* the buffer's own cap is reported too */
    buf_cleanup(&out);
    buf_init(&out, 4);
    assert_int_equal(mustache_set_add(s, "long", "0123456789", 10, err, sizeof(err)), RC_OK);
    assert_int_equal(mustache_render(s, "long", NULL, &out), RC_ERR);
    assert_int_equal(out.err, 1);
    buf_cleanup(&out);
    mustache_set_free(s);
}

/* A tag name holding a NUL byte is a parse error: names are compared as C
 * strings when partials are linked, so "t\0" must never reach that. */
static void
test_nul_in_name(void **state)
{
    static const char partial[] = "{{>t\0}}", var[] = "{{a\0b}}", section[] = "{{#a\0}}{{/a\0}}";
    struct mustache_set *s = mustache_set_new();
    char err[256] = "";

    (void)state;
    assert_int_equal(mustache_set_add(s, "t", "x", 1, err, sizeof(err)), RC_OK);
    assert_int_equal(mustache_set_add(s, "t", partial, sizeof(partial) - 1, err, sizeof(err)),
                     RC_INVALID);
    assert_string_equal(err, "t:1: NUL byte in tag");
    assert_int_equal(mustache_set_add(s, "v", var, sizeof(var) - 1, err, sizeof(err)), RC_INVALID);
    assert_string_equal(err, "v:1: NUL byte in tag");
    assert_int_equal(mustache_set_add(s, "s", section, sizeof(section) - 1, err, sizeof(err)),
                     RC_INVALID);
    assert_string_equal(err, "s:1: NUL byte in tag");
    /* the set is unchanged: "t" is still the first one */
    assert_int_equal(mustache_set_has(s, "v"), 0);
    render_expect(s, "t", "{}", "x");
    /* NUL bytes in text and comments are only bytes */
    assert_int_equal(mustache_set_add(s, "z", "a\0{{! \0 }}b", 11, err, sizeof(err)), RC_OK);
    mustache_set_free(s);
}

/* Renders n nested sections over the list l (the data), "x" in the middle. */
static int
render_nested(int n, const char *data, const char *mid, buf_t *out)
{
    struct mustache_set *s = mustache_set_new();
    struct json_object *ctx = json_tokener_parse(data);
    char err[256];
    buf_t src;
    int rc;

    buf_init(&src, 0);
    for (int i = 0; i < n; i++) {
        buf_append_str(&src, "{{#l}}");
    }
    buf_append_str(&src, mid);
    for (int i = 0; i < n; i++) {
        buf_append_str(&src, "{{/l}}");
    }
    assert_int_equal(mustache_set_add(s, "t", src.data, src.len, err, sizeof(err)), RC_OK);
    rc = mustache_render(s, "t", ctx, out);
    buf_cleanup(&src);
    json_object_put(ctx);
    mustache_set_free(s);
    return rc;
}

/* The work of one render is capped, not only its output: 40 sections nested
 * over a list of two would run 2^40 times and write nothing. */
static void
test_work_cap(void **state)
{
    buf_t out;

    (void)state;
    buf_init(&out, 0);
    assert_int_equal(render_nested(40, "{\"l\": [1, 2]}", "", &out), RC_ERR);
    assert_int_equal(out.len, 0);
    /* with output, the render stops as a whole: far less than 2^40 */
    buf_reset(&out);
    assert_int_equal(render_nested(40, "{\"l\": [1, 2]}", "x", &out), RC_ERR);
    assert_true(out.len <= MUSTACHE_MAX_VISITS);
    /* within the budget everything renders: 2^10 times x */
    buf_reset(&out);
    assert_int_equal(render_nested(10, "{\"l\": [1, 2]}", "x", &out), RC_OK);
    assert_int_equal(out.len, 1024);
    buf_cleanup(&out);
}

/* The budget leaves room for the biggest real page: 500 table rows and
 * three selects of 1,000 options. */
static void
test_work_cap_room(void **state)
{
    struct mustache_set *s = mustache_set_new();
    const char row[] = "{{#rows}}<tr>{{#a}}<td>{{a}}</td>{{/a}}{{^a}}<td>-</td>{{/a}}"
                       "{{#teams}}<b class=\"{{#w}}win{{/w}}\">{{n}} {{s}}</b>{{^last}}, "
                       "{{/last}}{{/teams}}<td>{{b}}</td><td>{{c}}</td><td>{{d}}</td></tr>\n"
                       "{{/rows}}{{#selects}}{{#options}}<option value=\"{{v}}\"{{#sel}} "
                       "selected{{/sel}}>{{l}}</option>{{/options}}{{/selects}}";
    struct json_object *ctx = json_object_new_object(), *rows = json_object_new_array();
    struct json_object *selects = json_object_new_array();
    char err[256];
    buf_t out;

    (void)state;
    for (int i = 0; i < 500; i++) {
        struct json_object *r = json_object_new_object(), *teams = json_object_new_array();

        for (int t = 0; t < 2; t++) {
            struct json_object *tj = json_object_new_object();

            json_object_object_add(tj, "n", json_object_new_string("Bayes Esports Team"));
            json_object_object_add(tj, "s", json_object_new_int(t));
            json_object_object_add(tj, "w", json_object_new_boolean(t));
            json_object_object_add(tj, "last", json_object_new_boolean(t));
            json_object_array_add(teams, tj);
        }
        json_object_object_add(r, "a", json_object_new_string("2020-01-07 14:30"));
        json_object_object_add(r, "teams", teams);
        json_object_array_add(rows, r);
    }
    for (int k = 0; k < 3; k++) {
        struct json_object *sel = json_object_new_object(), *opts = json_object_new_array();

        for (int i = 0; i < 1000; i++) {
            struct json_object *o = json_object_new_object();

            json_object_object_add(o, "v", json_object_new_int(i));
            json_object_object_add(o, "l", json_object_new_string("Overbayes Season 1"));
            json_object_array_add(opts, o);
        }
        json_object_object_add(sel, "options", opts);
        json_object_array_add(selects, sel);
    }
    json_object_object_add(ctx, "rows", rows);
    json_object_object_add(ctx, "selects", selects);
    assert_int_equal(mustache_set_add(s, "t", row, strlen(row), err, sizeof(err)), RC_OK);
    buf_init(&out, 0);
    assert_int_equal(mustache_render(s, "t", ctx, &out), RC_OK);
    buf_cleanup(&out);
    json_object_put(ctx);
    mustache_set_free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaping),      cmocka_unit_test(test_values),
        cmocka_unit_test(test_parse_errors),  cmocka_unit_test(test_load_dir),
        cmocka_unit_test(test_layout),        cmocka_unit_test(test_reindent),
        cmocka_unit_test(test_check_missing), cmocka_unit_test(test_depth_cap),
        cmocka_unit_test(test_nul_in_name),   cmocka_unit_test(test_work_cap),
        cmocka_unit_test(test_work_cap_room),
    };

    return cmocka_run_group_tests_name("mustache", tests, NULL, NULL);
}
