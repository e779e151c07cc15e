/*
 * text.h: text checks and normalizations shared by message parsing and the
 * HTTP filters, so a name is keyed the same way where it is stored and where
 * it is looked up.
 */
#ifndef ESPORTS_TEXT_H
#define ESPORTS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "mem.h"

/* RC_OK when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, no
 * code point above U+10FFFF); otherwise RC_INVALID with *bad the offset of
 * the first bad byte. */
int utf8_check(const char *s, size_t n, size_t *bad);
/* Code points in well-formed UTF-8. */
size_t utf8_len(const char *s, size_t n);

/* Cuts the NUL-terminated s short of a trailing, incomplete UTF-8 sequence
 * (left by a truncating snprintf), so it stays well-formed. */
void text_cut_utf8(char *s);

/* s trimmed, with every run of white space inside turned into one space.
 * White space: ASCII space, \t \n \v \f \r and U+00A0. */
char *text_clean(struct arena *a, const char *s, size_t n);
/* text_clean, then ASCII letters lower-cased: the key of team and tournament
 * names ("Bayes  Team 2 " -> "bayes team 2"). */
char *text_key(struct arena *a, const char *s, size_t n);
/* Lower-cased with all white space removed: the key of titles, which are one
 * title when equal ignoring case and white space ("OverCooked " -> "overcooked"). */
char *text_title_key(struct arena *a, const char *s, size_t n);

#endif
