/*
 * mustache.c: the mustache parser and renderer; see mustache.h.
 *
 * Parsing runs in passes over a token list: tokenize (tags, and text cut into
 * lines), pair the section tags, mark the standalone lines, then build the
 * node tree in the template's arena. Rendering walks the tree.
 *
 * Indentation (standalone partials, parents and blocks) is applied while
 * rendering, not baked into the tree: the renderer keeps a stack of
 * indentation strings and writes them before the first output of every
 * template line, so one parsed partial serves every indentation.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mem.h"
#include "mustache.h"
#include "rc.h"

/* Longest delimiter a {{=<% %>=}} tag may set. */
#define MAX_DELIM 16

/* ---------------------------------------------------------------- tree */

enum node_kind {
    N_TEXT,
    N_VAR,      /* {{x}}: escaped */
    N_RAW,      /* {{{x}}} and {{& x}} */
    N_SECTION,  /* {{#x}} */
    N_INVERTED, /* {{^x}} */
    N_PARTIAL,  /* {{> x}} */
    N_PARENT,   /* {{< x}} */
    N_BLOCK,    /* {{$ x}} */
};

#define F_BOL        1u /* TEXT: starts a template line */
#define F_STANDALONE 2u /* the tag's line was standalone (and removed) */

struct tpl;

struct node {
    unsigned char kind;
    unsigned char flags;
    unsigned short nparts; /* VAR..INVERTED: parts of the dotted name; 0 is "." */
    unsigned line;         /* source line, for messages */
    const char *text;      /* TEXT: the bytes; PARTIAL, PARENT, BLOCK: the name */
    size_t len;
    char **parts;      /* VAR..INVERTED: NUL-terminated name parts */
    str_t ind;         /* standalone tags: indentation; BLOCK: added to its default content */
    str_t ov_ind;      /* BLOCK: added to content passed in by a parent */
    struct node *kids; /* SECTION, INVERTED, PARENT, BLOCK */
    size_t nkids;
    const struct tpl *target; /* PARTIAL, PARENT: linked by name, NULL when missing */
    struct node *next_ref;    /* PARTIAL, PARENT: the template's next reference */
};

struct tpl {
    char *name;
    char *src; /* owned; text and names of the nodes point into it */
    struct arena arena;
    struct node *root;
    size_t nroot;
    struct node *refs; /* the PARTIAL and PARENT nodes in source order, for linking */
    struct tpl *next;
};

struct mustache_set {
    struct tpl *head;
};

/* -------------------------------------------------------------- tokens */

enum tok_kind {
    TK_TEXT,
    TK_VAR,
    TK_RAW,
    TK_SECTION,
    TK_INVERTED,
    TK_CLOSE,
    TK_COMMENT,
    TK_PARTIAL,
    TK_DELIM,
    TK_PARENT,
    TK_BLOCK,
};

struct tok {
    enum tok_kind kind;
    const char *p; /* text: the bytes (one line at most); tag: the trimmed name */
    size_t len;
    unsigned line;
    size_t pair;              /* section tags: index of the matching opener/closer */
    str_t ind;                /* standalone tag: white space in front of it */
    str_t lead;               /* block opener: white space in front on its line (pair rule) */
    unsigned char bol;        /* text: starts a line */
    unsigned char in_parent;  /* directly inside {{<x}}..{{/x}}: ignored output */
    unsigned char standalone; /* tag on a standalone line */
    unsigned char drop;       /* text removed with its standalone line */
};

struct parser {
    const char *label; /* names the template in messages */
    const char *src;
    size_t len;
    struct tok *toks;
    size_t ntok, cap;
    struct arena *arena;
    char *err;
    size_t errlen;
};

static int parse_fail(struct parser *ps, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes "label:line: message" to the caller's err; returns RC_INVALID. */
static int
parse_fail(struct parser *ps, unsigned line, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (ps->err == NULL || ps->errlen == 0) {
        return RC_INVALID;
    }
    n = snprintf(ps->err, ps->errlen, "%s:%u: ", ps->label, line);
    if (n >= 0 && (size_t)n < ps->errlen) {
        va_start(ap, fmt);
        vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return RC_INVALID;
}

static int
is_space(char c)
{
    return c == ' ' || c == '\t';
}

static int
ends_nl(const struct tok *t)
{
    return t->kind == TK_TEXT && t->len > 0 && t->p[t->len - 1] == '\n';
}

/* White space only, up to an optional line end ("\n" or "\r\n"). */
static int
is_blank(const char *p, size_t n)
{
    if (n > 0 && p[n - 1] == '\n') {
        n--;
        if (n > 0 && p[n - 1] == '\r') {
            n--;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_space(p[i])) {
            return 0;
        }
    }
    return 1;
}

static str_t
leading_space(const char *p, size_t n)
{
    size_t i = 0;

    while (i < n && is_space(p[i])) {
        i++;
    }
    return (str_t){p, i};
}

/* The first needle[0..m) in hay[0..n), or NULL (memmem is a GNU extension). */
static const char *
find(const char *hay, size_t n, const char *needle, size_t m)
{
    const char *end = hay + n;

    while (m > 0 && (size_t)(end - hay) >= m) {
        const char *p = memchr(hay, needle[0], (size_t)(end - hay) - m + 1);

        if (p == NULL) {
            return NULL;
        }
        if (memcmp(p, needle, m) == 0) {
            return p;
        }
        hay = p + 1;
    }
    return NULL;
}

static struct tok *
push_tok(struct parser *ps, enum tok_kind kind, const char *p, size_t len, unsigned line)
{
    struct tok *t;

    if (ps->ntok == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 64;
        ps->toks = xrealloc(ps->toks, ps->cap * sizeof(*ps->toks));
    }
    t = &ps->toks[ps->ntok++];
    memset(t, 0, sizeof(*t));
    t->kind = kind;
    t->p = p;
    t->len = len;
    t->line = line;
    t->ind = (str_t){"", 0};
    t->lead = (str_t){"", 0};
    return t;
}

/* Adds src[from..to) as text tokens of one line each; returns the line
 * number after it. */
static unsigned
push_text(struct parser *ps, size_t from, size_t to, unsigned line)
{
    while (from < to) {
        const char *nl = memchr(ps->src + from, '\n', to - from);
        size_t end = nl ? (size_t)(nl - ps->src) + 1 : to;
        struct tok *t = push_tok(ps, TK_TEXT, ps->src + from, end - from, line);

        t->bol = from == 0 || ps->src[from - 1] == '\n';
        if (nl != NULL) {
            line++;
        }
        from = end;
    }
    return line;
}

/* Reads the two delimiters of a {{=a b=}} tag into otag and ctag. */
static int
set_delims(const char *p, size_t n, char *otag, size_t *olen, char *ctag, size_t *clen)
{
    size_t i = 0, a, b, c, d;

    a = i;
    while (i < n && !is_space(p[i])) {
        i++;
    }
    b = i;
    while (i < n && is_space(p[i])) {
        i++;
    }
    c = i;
    while (i < n && !is_space(p[i])) {
        i++;
    }
    d = i;
    if (b == a || d == c || d != n || b - a > MAX_DELIM || d - c > MAX_DELIM ||
        memchr(p + a, '=', b - a) != NULL || memchr(p + c, '=', d - c) != NULL) {
        return RC_INVALID;
    }
    memcpy(otag, p + a, b - a);
    *olen = b - a;
    memcpy(ctag, p + c, d - c);
    *clen = d - c;
    return RC_OK;
}

static int
tokenize(struct parser *ps)
{
    char otag[MAX_DELIM] = "{{", ctag[MAX_DELIM] = "}}", end[MAX_DELIM + 1];
    size_t olen = 2, clen = 2, pos = 0, n = ps->len;
    const char *s = ps->src;
    unsigned line = 1;

    while (pos < n) {
        const char *o = find(s + pos, n - pos, otag, olen);
        size_t at = o ? (size_t)(o - s) : n, p, elen, namelen;
        enum tok_kind kind;
        const char *e, *name;

        line = push_text(ps, pos, at, line);
        if (o == NULL) {
            break;
        }
        p = at + olen;
        end[0] = '\0';
        switch (p < n ? s[p] : '\0') {
        case '{':
            kind = TK_RAW;
            end[0] = '}';
            break;
        case '&':
            kind = TK_RAW;
            break;
        case '#':
            kind = TK_SECTION;
            break;
        case '^':
            kind = TK_INVERTED;
            break;
        case '/':
            kind = TK_CLOSE;
            break;
        case '!':
            kind = TK_COMMENT;
            break;
        case '>':
            kind = TK_PARTIAL;
            break;
        case '=':
            kind = TK_DELIM;
            end[0] = '=';
            break;
        case '<':
            kind = TK_PARENT;
            break;
        case '$':
            kind = TK_BLOCK;
            break;
        default:
            kind = TK_VAR;
            p--; /* no sigil to skip */
            break;
        }
        p++;
        elen = end[0] != '\0';
        memcpy(end + elen, ctag, clen);
        elen += clen;
        e = p <= n ? find(s + p, n - p, end, elen) : NULL;
        if (e == NULL) {
            return parse_fail(ps, line, "unclosed tag: no '%.*s' after '%.*s'", (int)elen, end,
                              (int)olen, otag);
        }
        name = s + p;
        namelen = (size_t)(e - name);
        while (namelen > 0 && is_space(*name)) {
            name++;
            namelen--;
        }
        while (namelen > 0 && is_space(name[namelen - 1])) {
            namelen--;
        }
        /* names are C strings once parsed: "{{>t\0}}" would name "t" */
        if (kind != TK_COMMENT && memchr(name, '\0', namelen) != NULL) {
            return parse_fail(ps, line, "NUL byte in tag");
        }
        if (kind == TK_DELIM) {
            if (set_delims(name, namelen, otag, &olen, ctag, &clen) != RC_OK) {
                return parse_fail(ps, line, "bad delimiters '%.*s'", (int)namelen, name);
            }
        } else if (kind != TK_COMMENT) {
            if (namelen == 0) {
                return parse_fail(ps, line, "empty tag");
            }
            for (size_t i = 0; i < namelen; i++) {
                if (is_space(name[i]) || name[i] == '\n' || name[i] == '\r') {
                    return parse_fail(ps, line, "bad name '%.*s'", (int)namelen, name);
                }
            }
        }
        push_tok(ps, kind, name, namelen, line);
        for (const char *q = s + at; q < e; q++) {
            line += *q == '\n';
        }
        pos = (size_t)(e - s) + elen;
    }
    return RC_OK;
}

static const char *
kind_word(enum tok_kind k)
{
    switch (k) {
    case TK_PARENT:
        return "parent";
    case TK_BLOCK:
        return "block";
    default:
        return "section";
    }
}

/* Matches openers with closers; marks what lies directly inside a parent. */
static int
pair_tags(struct parser *ps)
{
    size_t stack[MUSTACHE_MAX_PARSE_NEST], depth = 0;

    for (size_t i = 0; i < ps->ntok; i++) {
        struct tok *t = &ps->toks[i], *o;

        t->in_parent = depth > 0 && ps->toks[stack[depth - 1]].kind == TK_PARENT;
        switch (t->kind) {
        case TK_SECTION:
        case TK_INVERTED:
        case TK_PARENT:
        case TK_BLOCK:
            if (depth == MUSTACHE_MAX_PARSE_NEST) {
                return parse_fail(ps, t->line, "sections nested deeper than %d",
                                  MUSTACHE_MAX_PARSE_NEST);
            }
            stack[depth++] = i;
            break;
        case TK_CLOSE:
            if (depth == 0) {
                return parse_fail(ps, t->line, "closing tag '/%.*s' without an open section",
                                  (int)t->len, t->p);
            }
            o = &ps->toks[stack[depth - 1]];
            if (o->len != t->len || memcmp(o->p, t->p, t->len) != 0) {
                return parse_fail(
                    ps, t->line, "closing tag '/%.*s' does not match %s '%.*s' opened on line %u",
                    (int)t->len, t->p, kind_word(o->kind), (int)o->len, o->p, o->line);
            }
            depth--;
            o->pair = i;
            t->pair = stack[depth];
            t->in_parent = o->in_parent;
            break;
        default:
            break;
        }
    }
    if (depth > 0) {
        const struct tok *o = &ps->toks[stack[depth - 1]];

        return parse_fail(ps, o->line, "unclosed %s '%.*s'", kind_word(o->kind), (int)o->len, o->p);
    }
    return RC_OK;
}

/*
 * The line toks[a..b] is standalone when, apart from white space and what a
 * parent ignores, it holds one tag that is not an interpolation, or only
 * parent tags and the tags directly inside a parent ({{<p}}{{$b}} and
 * {{/b}}{{/p}} chains). Its text goes, and its tags remember the indentation.
 */
static void
mark_line(struct parser *ps, size_t a, size_t b)
{
    size_t ntags = 0;
    int chain = 1;
    str_t ind = {"", 0};

    for (size_t i = a; i <= b; i++) {
        const struct tok *t = &ps->toks[i];

        if (t->kind == TK_TEXT) {
            if (!t->in_parent && !is_blank(t->p, t->len)) {
                return;
            }
            continue;
        }
        if ((t->kind == TK_VAR || t->kind == TK_RAW) && !t->in_parent) {
            return;
        }
        ntags++;
        if (!(t->in_parent || t->kind == TK_PARENT ||
              (t->kind == TK_CLOSE && ps->toks[t->pair].kind == TK_PARENT))) {
            chain = 0;
        }
    }
    if (ntags == 0 || (ntags > 1 && !chain)) {
        return;
    }
    if (ps->toks[a].kind == TK_TEXT) {
        ind = leading_space(ps->toks[a].p, ps->toks[a].len);
    }
    for (size_t i = a; i <= b; i++) {
        struct tok *t = &ps->toks[i];

        if (t->kind == TK_TEXT) {
            t->drop = 1;
        } else {
            t->standalone = 1;
            t->ind = ind;
        }
    }
}

/*
 * A block that is not standalone but starts a line after white space and
 * ends its line ("  {{$b}}{{/b}}\n") keeps that white space as text, and the
 * content passed to it is indented by as much on its later lines.
 */
static void
mark_block_lead(struct parser *ps, size_t i)
{
    struct tok *t = &ps->toks[i];
    const struct tok *prev = i > 0 ? &ps->toks[i - 1] : NULL;
    size_t c = t->pair;

    if (prev == NULL || prev->kind != TK_TEXT || !prev->bol || prev->drop || ends_nl(prev) ||
        !is_blank(prev->p, prev->len)) {
        return;
    }
    if (c + 1 < ps->ntok) {
        const struct tok *next = &ps->toks[c + 1];

        if (next->kind != TK_TEXT || !is_blank(next->p, next->len) ||
            (!ends_nl(next) && c + 2 < ps->ntok)) {
            return;
        }
    }
    t->lead = (str_t){prev->p, prev->len};
}

/*
 * What precedes a block passed to a parent is ignored, so the block's opening
 * tag is standalone whenever it ends its line ("* {{<p}}{{$b}}\n"): the line
 * end goes with the tag, and the content starts on the next line.
 */
static void
mark_passed_block(struct tok *t, struct tok *end)
{
    struct tok *next = t + 1;

    if (next < end && (next->kind != TK_TEXT || !is_blank(next->p, next->len) ||
                       (!ends_nl(next) && next + 1 < end))) {
        return;
    }
    t->standalone = 1;
    if (next < end) {
        next->drop = 1;
    }
}

static void
mark_standalone(struct parser *ps)
{
    size_t a = 0;

    while (a < ps->ntok) {
        size_t b = a;

        while (b + 1 < ps->ntok && !ends_nl(&ps->toks[b])) {
            b++;
        }
        mark_line(ps, a, b);
        a = b + 1;
    }
    for (size_t i = 0; i < ps->ntok; i++) {
        struct tok *t = &ps->toks[i];

        if (t->kind == TK_BLOCK && !t->standalone) {
            if (t->in_parent) {
                mark_passed_block(t, ps->toks + ps->ntok);
            } else {
                mark_block_lead(ps, i);
            }
        }
    }
}

/* -------------------------------------------------------- tree building */

struct nodevec {
    struct node *v;
    size_t n, cap;
};

static struct node *
vec_push(struct nodevec *nv)
{
    if (nv->n == nv->cap) {
        nv->cap = nv->cap ? nv->cap * 2 : 16;
        nv->v = xrealloc(nv->v, nv->cap * sizeof(*nv->v));
    }
    memset(&nv->v[nv->n], 0, sizeof(nv->v[0]));
    return &nv->v[nv->n++];
}

/* Moves the nodes into the arena; the vector is emptied for reuse. */
static struct node *
vec_finish(struct arena *a, struct nodevec *nv, size_t *n)
{
    struct node *v = NULL;

    *n = nv->n;
    if (nv->n > 0) {
        v = arena_alloc(a, nv->n * sizeof(*v));
        memcpy(v, nv->v, nv->n * sizeof(*v));
    }
    nv->n = 0;
    return v;
}

/* Splits a dotted name ("a.b.c", or "." for the current item). */
static int
split_name(struct parser *ps, const struct tok *t, struct node *nd)
{
    size_t parts = 1, k = 0, start = 0;

    if (t->len == 1 && t->p[0] == '.') {
        nd->nparts = 0;
        return RC_OK;
    }
    for (size_t i = 0; i < t->len; i++) {
        parts += t->p[i] == '.';
    }
    if (parts > 255) {
        return parse_fail(ps, t->line, "name '%.*s' has too many parts", (int)t->len, t->p);
    }
    nd->parts = arena_alloc(ps->arena, parts * sizeof(char *));
    nd->nparts = (unsigned short)parts;
    for (size_t i = 0; i <= t->len; i++) {
        if (i < t->len && t->p[i] != '.') {
            continue;
        }
        if (i == start) {
            return parse_fail(ps, t->line, "bad name '%.*s'", (int)t->len, t->p);
        }
        nd->parts[k++] = arena_strndup(ps->arena, t->p + start, i - start);
        start = i + 1;
    }
    return RC_OK;
}

static void
strip_space(str_t *s, size_t w)
{
    size_t i = 0;

    while (i < w && i < s->len && is_space(s->p[i])) {
        i++;
    }
    if (i > 0) {
        s->p += i;
        s->len -= i;
    }
}

/*
 * Removes w columns of leading white space from every line of a block's
 * content: text at line starts, and the indentation kept by standalone tags.
 * Blocks with their own intrinsic indentation were outdented already and
 * only move as a whole.
 */
static void
outdent(struct node *kids, size_t n, size_t w)
{
    for (size_t i = 0; i < n; i++) {
        struct node *k = &kids[i];
        str_t t;

        switch (k->kind) {
        case N_TEXT:
            if (k->flags & F_BOL) {
                t = (str_t){k->text, k->len};
                strip_space(&t, w);
                k->text = t.p;
                k->len = t.len;
            }
            break;
        case N_SECTION:
        case N_INVERTED:
            strip_space(&k->ind, w);
            outdent(k->kids, k->nkids, w);
            break;
        case N_PARTIAL:
            strip_space(&k->ind, w);
            break;
        case N_PARENT:
            strip_space(&k->ind, w);
            for (size_t j = 0; j < k->nkids; j++) {
                struct node *b = &k->kids[j];

                if (b->kind == N_BLOCK && !(b->flags & F_STANDALONE)) {
                    outdent(b->kids, b->nkids, w);
                }
            }
            break;
        case N_BLOCK:
            strip_space(&k->ind, w);
            strip_space(&k->ov_ind, w);
            if (!(k->flags & F_STANDALONE)) {
                outdent(k->kids, k->nkids, w);
            }
            break;
        default:
            break;
        }
    }
}

/* The indentation of the first non-blank line of a block's content; 0 when
 * the content is blank. */
static int
intrinsic_indent(const struct node *kids, size_t n, str_t *ind)
{
    for (size_t i = 0; i < n; i++) {
        const struct node *k = &kids[i];

        if (k->kind == N_TEXT) {
            if (is_blank(k->text, k->len) && k->len > 0 && k->text[k->len - 1] == '\n') {
                continue;
            }
            *ind = (k->flags & F_BOL) ? leading_space(k->text, k->len) : (str_t){"", 0};
            return 1;
        }
        *ind = (k->flags & F_STANDALONE) ? k->ind : (str_t){"", 0};
        return 1;
    }
    return 0;
}

/* Finishes a block whose kids are in place: a standalone opening tag makes
 * the content's own indentation relative (removed here, added back where the
 * block is rendered). */
static void
finish_block(struct node *nd, const struct tok *t)
{
    str_t r;

    if (t->standalone) {
        if (intrinsic_indent(nd->kids, nd->nkids, &r)) {
            nd->ind = r;
            if (r.len > 0) {
                outdent(nd->kids, nd->nkids, r.len);
            }
        }
        nd->ov_ind = nd->ind;
    } else {
        nd->ind = (str_t){"", 0};
        nd->ov_ind = t->lead;
    }
}

struct bframe {
    struct node nd;
    size_t tok;
};

static int
build_tree(struct parser *ps, struct tpl *tp)
{
    struct bframe frames[MUSTACHE_MAX_PARSE_NEST + 1];
    struct nodevec vecs[MUSTACHE_MAX_PARSE_NEST + 1];
    size_t depth = 0;
    int rc = RC_OK;

    memset(vecs, 0, sizeof(vecs));
    for (size_t i = 0; i < ps->ntok && rc == RC_OK; i++) {
        const struct tok *t = &ps->toks[i];
        struct node *nd;
        struct bframe *f;

        if (t->in_parent && (t->kind == TK_TEXT || t->kind == TK_VAR || t->kind == TK_RAW ||
                             t->kind == TK_PARTIAL)) {
            continue; /* a parent ignores all but its blocks */
        }
        switch (t->kind) {
        case TK_TEXT:
            if (t->drop || t->len == 0) {
                break;
            }
            nd = vec_push(&vecs[depth]);
            nd->kind = N_TEXT;
            nd->flags = t->bol ? F_BOL : 0;
            nd->text = t->p;
            nd->len = t->len;
            nd->line = t->line;
            break;
        case TK_VAR:
        case TK_RAW:
            nd = vec_push(&vecs[depth]);
            nd->kind = t->kind == TK_VAR ? N_VAR : N_RAW;
            nd->text = t->p;
            nd->len = t->len;
            nd->line = t->line;
            rc = split_name(ps, t, nd);
            break;
        case TK_PARTIAL:
            nd = vec_push(&vecs[depth]);
            nd->kind = N_PARTIAL;
            nd->flags = t->standalone ? F_STANDALONE : 0;
            nd->text = t->p;
            nd->len = t->len;
            nd->line = t->line;
            nd->ind = t->standalone ? t->ind : (str_t){"", 0};
            break;
        case TK_SECTION:
        case TK_INVERTED:
        case TK_PARENT:
        case TK_BLOCK:
            f = &frames[++depth];
            memset(f, 0, sizeof(*f));
            f->tok = i;
            f->nd.kind = t->kind == TK_SECTION    ? N_SECTION
                         : t->kind == TK_INVERTED ? N_INVERTED
                         : t->kind == TK_PARENT   ? N_PARENT
                                                  : N_BLOCK;
            f->nd.flags = t->standalone ? F_STANDALONE : 0;
            f->nd.text = t->p;
            f->nd.len = t->len;
            f->nd.line = t->line;
            f->nd.ind = t->standalone ? t->ind : (str_t){"", 0};
            if (t->kind == TK_SECTION || t->kind == TK_INVERTED) {
                rc = split_name(ps, t, &f->nd);
            }
            break;
        case TK_CLOSE:
            if (depth == 0) { /* pair_tags() ruled this out */
                rc = RC_ERR;
                break;
            }
            f = &frames[depth];
            f->nd.kids = vec_finish(ps->arena, &vecs[depth], &f->nd.nkids);
            if (f->nd.kind == N_BLOCK) {
                finish_block(&f->nd, &ps->toks[f->tok]);
            }
            depth--;
            nd = vec_push(&vecs[depth]);
            *nd = f->nd;
            break;
        default: /* comments and delimiters leave nothing */
            break;
        }
    }
    if (rc == RC_OK) {
        tp->root = vec_finish(ps->arena, &vecs[0], &tp->nroot);
    }
    for (size_t i = 0; i <= MUSTACHE_MAX_PARSE_NEST; i++) {
        free(vecs[i].v);
    }
    return rc;
}

/* Chains the PARTIAL and PARENT nodes of v, in source order, at *tail. */
static void
chain_refs(struct node *v, size_t n, struct node ***tail)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i].kind == N_PARTIAL || v[i].kind == N_PARENT) {
            **tail = &v[i];
            *tail = &v[i].next_ref;
        }
        chain_refs(v[i].kids, v[i].nkids, tail);
    }
}

static int
parse(struct tpl *tp, const char *label, size_t len, char *err, size_t errlen)
{
    struct parser ps;
    int rc;

    memset(&ps, 0, sizeof(ps));
    ps.label = label;
    ps.src = tp->src;
    ps.len = len;
    ps.arena = &tp->arena;
    ps.err = err;
    ps.errlen = errlen;
    rc = tokenize(&ps);
    if (rc == RC_OK) {
        rc = pair_tags(&ps);
    }
    if (rc == RC_OK) {
        mark_standalone(&ps);
        rc = build_tree(&ps, tp);
    }
    free(ps.toks);
    if (rc == RC_OK) {
        struct node **tail = &tp->refs;

        chain_refs(tp->root, tp->nroot, &tail);
    }
    return rc;
}

/* ------------------------------------------------------------------ set */

static void
tpl_free(struct tpl *tp)
{
    if (tp == NULL) {
        return;
    }
    arena_cleanup(&tp->arena);
    free(tp->src);
    free(tp->name);
    free(tp);
}

struct mustache_set *
mustache_set_new(void)
{
    return xcalloc(1, sizeof(struct mustache_set));
}

void
mustache_set_free(struct mustache_set *s)
{
    struct tpl *tp, *next;

    if (s == NULL) {
        return;
    }
    for (tp = s->head; tp != NULL; tp = next) {
        next = tp->next;
        tpl_free(tp);
    }
    free(s);
}

/* The template called name[0..len) (which may hold no NUL). */
static struct tpl *
find_tpl(const struct mustache_set *s, const char *name, size_t len)
{
    for (struct tpl *tp = s->head; tp != NULL; tp = tp->next) {
        if (strlen(tp->name) == len && memcmp(tp->name, name, len) == 0) {
            return tp;
        }
    }
    return NULL;
}

int
mustache_set_has(const struct mustache_set *s, const char *name)
{
    return find_tpl(s, name, strlen(name)) != NULL;
}

/* Adds the template named name from src[0..len) (malloc'd, NUL-terminated;
 * taken over in every case). */
static int
add_owned(struct mustache_set *s, const char *name, const char *label, char *src, size_t len,
          char *err, size_t errlen)
{
    struct tpl *tp = xcalloc(1, sizeof(*tp)), **pp;
    size_t namelen = strlen(name);
    int rc;

    tp->name = xstrdup(name);
    tp->src = src;
    arena_init(&tp->arena, 8192);
    rc = parse(tp, label, len, err, errlen);
    if (rc != RC_OK) {
        tpl_free(tp);
        return rc;
    }
    /* replace the template of that name in place, or append */
    for (pp = &s->head; *pp != NULL; pp = &(*pp)->next) {
        if (strcmp((*pp)->name, name) == 0) {
            tp->next = (*pp)->next;
            tpl_free(*pp);
            break;
        }
    }
    *pp = tp;
    /* link: this template's references, and everyone's references to it */
    for (const struct tpl *o = s->head; o != NULL; o = o->next) {
        for (struct node *r = o->refs; r != NULL; r = r->next_ref) {
            if (o == tp) {
                r->target = find_tpl(s, r->text, r->len);
            } else if (r->len == namelen && memcmp(r->text, name, namelen) == 0) {
                r->target = tp;
            }
        }
    }
    return RC_OK;
}

int
mustache_set_add(struct mustache_set *s, const char *name, const char *src, size_t len, char *err,
                 size_t errlen)
{
    char *copy = xmalloc(len + 1);

    if (len > 0) {
        memcpy(copy, src, len);
    }
    copy[len] = '\0';
    return add_owned(s, name, name, copy, len, err, errlen);
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int
is_template_file(const struct dirent *d)
{
    size_t n = strlen(d->d_name);

    return d->d_name[0] != '.' && n > 9 && strcmp(d->d_name + n - 9, ".mustache") == 0;
}

/* Reads path whole into a malloc'd, NUL-terminated buffer. */
static int
read_template(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    char *buf;
    size_t n;

    if (f == NULL) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        return RC_ERR;
    }
    if (fstat(fileno(f), &st) != 0) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        fclose(f);
        return RC_ERR;
    }
    if (!S_ISREG(st.st_mode) || st.st_size < 0 || (uintmax_t)st.st_size > MUSTACHE_MAX_FILE) {
        set_err(err, errlen, "%s: not a regular file of at most %u bytes", path, MUSTACHE_MAX_FILE);
        fclose(f);
        return RC_INVALID;
    }
    buf = xmalloc((size_t)st.st_size + 1);
    n = fread(buf, 1, (size_t)st.st_size, f);
    if (ferror(f)) {
        set_err(err, errlen, "%s: read error", path);
        fclose(f);
        free(buf);
        return RC_ERR;
    }
    fclose(f);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return RC_OK;
}

int
mustache_set_load_dir(struct mustache_set *s, const char *dir, char *err, size_t errlen)
{
    struct dirent **list;
    int n, rc = RC_OK;

    n = scandir(dir, &list, is_template_file, alphasort);
    if (n < 0) {
        set_err(err, errlen, "%s: %s", dir, strerror(errno));
        return RC_NOTFOUND;
    }
    for (int i = 0; i < n; i++) {
        const char *fname = list[i]->d_name;
        size_t flen = strlen(fname), plen = strlen(dir) + flen + 2;
        char *path = xmalloc(plen), *name, *src;
        size_t len;

        snprintf(path, plen, "%s/%s", dir, fname);
        if (rc == RC_OK) {
            rc = read_template(path, &src, &len, err, errlen);
            if (rc == RC_OK) {
                name = xstrndup(fname, flen - 9);
                rc = add_owned(s, name, path, src, len, err, errlen);
                free(name);
            }
        }
        free(path);
        free(list[i]);
    }
    free(list);
    return rc;
}

int
mustache_set_check(const struct mustache_set *s, char *err, size_t errlen)
{
    for (const struct tpl *tp = s->head; tp != NULL; tp = tp->next) {
        for (const struct node *r = tp->refs; r != NULL; r = r->next_ref) {
            if (r->target == NULL) {
                set_err(err, errlen, "%s:%u: no template named '%.*s' (%s)", tp->name, r->line,
                        (int)r->len, r->text, r->kind == N_PARTIAL ? "partial" : "parent");
                return RC_NOTFOUND;
            }
        }
    }
    return RC_OK;
}

/* ------------------------------------------------------------ rendering */

/* One level of the context stack; levels live on the C stack. */
struct ctx {
    struct json_object *v;
    const struct ctx *up;
};

struct render {
    buf_t *out;
    str_t ind[MUSTACHE_MAX_INCLUDE]; /* indentation, outermost first */
    size_t nind;
    const struct node *parents[MUSTACHE_MAX_INCLUDE]; /* parents being expanded, outermost first */
    size_t nparents;
    unsigned include, nest;
    unsigned long visits; /* nodes and section items so far, up to MUSTACHE_MAX_VISITS */
    int pending;          /* at a template line start: indentation not written yet */
    int overflow;
};

static void render_nodes(struct render *r, const struct node *v, size_t n, const struct ctx *c);

/* The value of a (dotted) name: the first level of the stack that has the
 * first part, then the rest within it. NULL for missing and for null. */
static struct json_object *
lookup(const struct ctx *c, const struct node *nd)
{
    struct json_object *v = NULL;

    if (nd->nparts == 0) {
        return c->v;
    }
    for (; c != NULL; c = c->up) {
        if (json_object_is_type(c->v, json_type_object) &&
            json_object_object_get_ex(c->v, nd->parts[0], &v)) {
            break;
        }
    }
    if (c == NULL) {
        return NULL;
    }
    for (unsigned i = 1; i < nd->nparts; i++) {
        if (!json_object_is_type(v, json_type_object) ||
            !json_object_object_get_ex(v, nd->parts[i], &v)) {
            return NULL;
        }
    }
    return v;
}

static int
truthy(struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        return 0;
    case json_type_boolean:
        return json_object_get_boolean(v);
    case json_type_array:
        return json_object_array_length(v) > 0;
    default:
        return 1;
    }
}

static void
flush_indent(struct render *r)
{
    if (!r->pending) {
        return;
    }
    r->pending = 0;
    for (size_t i = 0; i < r->nind; i++) {
        buf_append(r->out, r->ind[i].p, r->ind[i].len);
    }
}

static void
append_html(buf_t *b, const char *s, size_t n)
{
    size_t run = 0;

    for (size_t i = 0; i < n; i++) {
        const char *rep;

        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            continue;
        }
        buf_append(b, s + run, i - run);
        buf_append_str(b, rep);
        run = i + 1;
    }
    buf_append(b, s + run, n - run);
}

/* The shortest %g form that reads back as the same double. */
static size_t
format_double(double d, char *tmp, size_t size)
{
    int n = 0;

    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, size, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d) {
            break;
        }
    }
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

static void
interpolate(struct render *r, const struct node *nd, const struct ctx *c)
{
    struct json_object *v = lookup(c, nd);
    char tmp[40];
    const char *p;
    size_t n;
    int64_t i;

    switch (json_object_get_type(v)) {
    case json_type_string:
        p = json_object_get_string(v);
        n = (size_t)json_object_get_string_len(v);
        break;
    case json_type_int:
        i = json_object_get_int64(v);
        if (i == INT64_MAX) {
            n = (size_t)snprintf(tmp, sizeof(tmp), "%" PRIu64, json_object_get_uint64(v));
        } else {
            n = (size_t)snprintf(tmp, sizeof(tmp), "%" PRId64, i);
        }
        p = tmp;
        break;
    case json_type_double:
        n = format_double(json_object_get_double(v), tmp, sizeof(tmp));
        p = tmp;
        break;
    case json_type_boolean:
        p = json_object_get_boolean(v) ? "true" : "false";
        n = strlen(p);
        break;
    default: /* null, missing, objects, arrays */
        return;
    }
    if (n == 0) {
        return;
    }
    flush_indent(r);
    if (nd->kind == N_VAR) {
        append_html(r->out, p, n);
    } else {
        buf_append(r->out, p, n);
    }
}

/* Renders kids as an include level (partial, parent or block): with ind added
 * to the indentation, and parent's blocks visible as overrides. */
static void
render_include(struct render *r, const struct node *kids, size_t nkids, str_t ind, int standalone,
               const struct node *parent, const struct ctx *c)
{
    if (r->include >= MUSTACHE_MAX_INCLUDE) {
        r->overflow = 1;
        return;
    }
    r->include++;
    if (standalone) {
        r->pending = 1;
    }
    if (ind.len > 0) {
        r->ind[r->nind++] = ind;
    }
    if (parent != NULL) {
        r->parents[r->nparents++] = parent;
    }
    render_nodes(r, kids, nkids, c);
    if (parent != NULL) {
        r->nparents--;
    }
    if (ind.len > 0) {
        r->nind--;
    }
    r->include--;
}

/* The content passed for block nd by the outermost parent that passes one. */
static const struct node *
find_override(const struct render *r, const struct node *nd)
{
    for (size_t i = 0; i < r->nparents; i++) {
        const struct node *p = r->parents[i];

        for (size_t j = 0; j < p->nkids; j++) {
            const struct node *b = &p->kids[j];

            if (b->kind == N_BLOCK && b->len == nd->len &&
                memcmp(b->text, nd->text, nd->len) == 0) {
                return b;
            }
        }
    }
    return NULL;
}

static void
render_section(struct render *r, const struct node *nd, const struct ctx *c)
{
    struct json_object *v = lookup(c, nd);
    struct ctx sub = {v, c};

    if (nd->kind == N_INVERTED) {
        if (!truthy(v)) {
            render_nodes(r, nd->kids, nd->nkids, c);
        }
        return;
    }
    if (!truthy(v)) {
        return;
    }
    if (json_object_is_type(v, json_type_array)) {
        size_t n = json_object_array_length(v);

        for (size_t i = 0; i < n && !r->overflow; i++) {
            if (++r->visits > MUSTACHE_MAX_VISITS) {
                r->overflow = 1;
                break;
            }
            sub.v = json_object_array_get_idx(v, i);
            render_nodes(r, nd->kids, nd->nkids, &sub);
        }
        return;
    }
    render_nodes(r, nd->kids, nd->nkids, &sub);
}

static void
render_nodes(struct render *r, const struct node *v, size_t n, const struct ctx *c)
{
    if (r->nest >= MUSTACHE_MAX_NEST) {
        r->overflow = 1;
        return;
    }
    r->nest++;
    /* past a nesting limit or the work budget nothing more is written:
     * "{{>p}}{{>p}}" inside p would otherwise run 2^depth times */
    for (size_t i = 0; i < n && !r->out->err && !r->overflow; i++) {
        const struct node *nd = &v[i];
        const struct node *ov;
        int standalone = (nd->flags & F_STANDALONE) != 0;

        if (++r->visits > MUSTACHE_MAX_VISITS) {
            r->overflow = 1;
            break;
        }
        switch (nd->kind) {
        case N_TEXT:
            if (nd->len == 0) {
                break; /* white space taken by an outdent */
            }
            flush_indent(r);
            buf_append(r->out, nd->text, nd->len);
            r->pending = nd->text[nd->len - 1] == '\n';
            break;
        case N_VAR:
        case N_RAW:
            interpolate(r, nd, c);
            break;
        case N_SECTION:
        case N_INVERTED:
            render_section(r, nd, c);
            break;
        case N_PARTIAL:
            if (nd->target != NULL) {
                render_include(r, nd->target->root, nd->target->nroot, nd->ind, standalone, NULL,
                               c);
            }
            break;
        case N_PARENT:
            if (nd->target != NULL) {
                render_include(r, nd->target->root, nd->target->nroot, nd->ind, standalone, nd, c);
            }
            break;
        case N_BLOCK:
            ov = find_override(r, nd);
            if (ov != NULL) {
                render_include(r, ov->kids, ov->nkids, nd->ov_ind, standalone, NULL, c);
            } else {
                render_include(r, nd->kids, nd->nkids, nd->ind, standalone, NULL, c);
            }
            break;
        default:
            break;
        }
    }
    r->nest--;
}

int
mustache_render(const struct mustache_set *s, const char *name, struct json_object *ctx, buf_t *out)
{
    const struct tpl *tp = find_tpl(s, name, strlen(name));
    struct ctx root = {ctx, NULL};
    struct render r;

    if (tp == NULL) {
        return RC_NOTFOUND;
    }
    memset(&r, 0, sizeof(r));
    r.out = out;
    r.pending = 1;
    render_nodes(&r, tp->root, tp->nroot, &root);
    return out->err || r.overflow ? RC_ERR : RC_OK;
}
