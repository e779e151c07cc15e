/*
 * util.h: small macros every layer uses.
 */
#ifndef ESPORTS_UTIL_H
#define ESPORTS_UTIL_H

/* The number of elements of the array a (an array, not a pointer). */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
