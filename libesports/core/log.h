/*
 * log.h: one logger per process. Each event is one line of key=value fields:
 *
 *   ts=2026-11-23T12:39:32.123Z level=info role=consumer pid=42 mod=db event=connected host=...
 *
 * written with a single write(2) to stderr and, when LOG_FILE is set, to that
 * file too (O_APPEND, so several processes can share it). The level is checked
 * before anything is formatted. Callers pass the fields after `mod=` as a
 * printf format; a value that may hold spaces is written quoted (`err="%s"`).
 * Control characters in the formatted text are replaced by spaces so an event
 * never spans two lines.
 */
#ifndef ESPORTS_LOG_H
#define ESPORTS_LOG_H

enum log_level { LL_ERROR = 0, LL_WARN = 1, LL_INFO = 2, LL_DEBUG = 3 };

extern enum log_level log_threshold;

/* Sets the role printed on every line ("fcgi", "consumer", ...) and the level. */
void log_init(const char *role, enum log_level level);
/* Also appends every line to path. Returns RC_OK or RC_ERR (errno logged). */
int log_open_file(const char *path);
/* Closes the log file, if any. */
void log_close(void);
/* Parses "error", "warn"/"warning", "info" or "debug"; RC_OK or RC_INVALID. */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);

void log_write(enum log_level level, const char *mod, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_msg(level, mod, ...)                                                                   \
    do {                                                                                           \
        if ((level) <= log_threshold) {                                                            \
            log_write((level), (mod), __VA_ARGS__);                                                \
        }                                                                                          \
    } while (0)

#define log_error(mod, ...) log_msg(LL_ERROR, mod, __VA_ARGS__)
#define log_warn(mod, ...)  log_msg(LL_WARN, mod, __VA_ARGS__)
#define log_info(mod, ...)  log_msg(LL_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...) log_msg(LL_DEBUG, mod, __VA_ARGS__)

#endif
