/*
 * mapfile.c: open, size and map a shared file (see mapfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "mapfile.h"

void *
mapfile_open(const char *path, size_t size, const char *mod, const char *fallback)
{
    void *p;
    int fd;

    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
        log_warn(mod, "event=open_failed path=\"%s\" err=\"%s\" using=%s", path, strerror(errno),
                 fallback);
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        log_warn(mod, "event=mmap_failed path=\"%s\" err=\"%s\" using=%s", path, strerror(errno),
                 fallback);
        return NULL;
    }
    return p;
}

void
mapfile_close(void *p, size_t size)
{
    if (p != NULL) {
        munmap(p, size);
    }
}
