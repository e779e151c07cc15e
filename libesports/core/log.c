/* log.c: the process logger; see log.h for the line format. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "rc.h"

enum log_level log_threshold = LL_INFO;

static const char *log_role = "esports";
static int log_fd = -1;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void
log_init(const char *role, enum log_level level)
{
    log_role = role;
    log_threshold = level;
}

int
log_open_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

    if (fd < 0) {
        log_error("log", "event=open_failed path=\"%s\" err=\"%s\"", path, strerror(errno));
        return RC_ERR;
    }
    log_close();
    log_fd = fd;
    return RC_OK;
}

void
log_close(void)
{
    if (log_fd >= 0) {
        close(log_fd);
        log_fd = -1;
    }
}

int
log_level_parse(const char *s, enum log_level *out)
{
    if (strcasecmp(s, "error") == 0) {
        *out = LL_ERROR;
    } else if (strcasecmp(s, "warn") == 0 || strcasecmp(s, "warning") == 0) {
        *out = LL_WARN;
    } else if (strcasecmp(s, "info") == 0) {
        *out = LL_INFO;
    } else if (strcasecmp(s, "debug") == 0) {
        *out = LL_DEBUG;
    } else {
        return RC_INVALID;
    }
    return RC_OK;
}

const char *
log_level_name(enum log_level level)
{
    return (unsigned)level < 4 ? level_names[level] : "?";
}

static void
write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return; /* nowhere left to report a failing log */
        }
        p += w;
        n -= (size_t)w;
    }
}

void
log_write(enum log_level level, const char *mod, const char *fmt, ...)
{
    char line[4096];
    struct timespec ts;
    struct tm tm;
    va_list ap;
    size_t n, i;
    int w;
    int saved_errno = errno;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &tm);
    w = snprintf(line + n, sizeof(line) - n, ".%03ldZ level=%s role=%s pid=%ld mod=%s ",
                 ts.tv_nsec / 1000000, log_level_name(level), log_role, (long)getpid(), mod);
    n += (size_t)w;

    va_start(ap, fmt);
    w = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    va_end(ap);
    if (w < 0) {
        w = 0;
    }
    if ((size_t)w >= sizeof(line) - n - 1) {
        /* truncated: say so rather than silently cutting a field in half */
        n = sizeof(line) - 16;
        n += (size_t)snprintf(line + n, sizeof(line) - n, " truncated=1");
    } else {
        n += (size_t)w;
    }
    for (i = 0; i < n; i++) {
        if ((unsigned char)line[i] < 0x20) {
            line[i] = ' ';
        }
    }
    line[n++] = '\n';

    write_all(STDERR_FILENO, line, n);
    if (log_fd >= 0) {
        write_all(log_fd, line, n);
    }
    errno = saved_errno;
}
