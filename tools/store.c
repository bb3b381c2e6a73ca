/*
 * Random access to the decoded stream for the second pass of the sorted
 * `show`, which re-reads records by offset.
 *
 * A plain regular file is read in place with pread(2). Anything else (gzip,
 * pipes, sockets) cannot be re-read, so pass 1 copies the decompressed
 * stream into an unlinked temporary file as it goes: the disk holds the
 * copy, memory stays constant, and nothing is left behind on a crash.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_store_init(cli_store *st, const char *name)
{
    st->name = name;
    st->fd = -1;
    st->spool = false;
    st->base = 0;
    st->len = 0;
}

static int spool_create(cli_store *st)
{
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || *dir == '\0')
        dir = "/tmp";
    size_t n = strlen(dir) + sizeof "/eventlog-spool-XXXXXX";
    char *tmpl = malloc(n);
    if (tmpl == NULL) {
        cli_error("%s: out of memory", st->name);
        return -1;
    }
    snprintf(tmpl, n, "%s/eventlog-spool-XXXXXX", dir);
    int fd = mkostemp(tmpl, O_CLOEXEC);
    if (fd < 0) {
        cli_error("%s: cannot create a temporary file in %s: %s", st->name, dir,
                  strerror(errno));
        free(tmpl);
        return -1;
    }
    (void)unlink(tmpl);
    free(tmpl);
    st->fd = fd;
    st->spool = true;
    st->base = 0;
    st->len = 0;
    return 0;
}

int cli_store_begin(cli_store *st, const cli_source *src)
{
    if (st->fd >= 0)
        return 0;
    int fd;
    uint64_t base;
    if (cli_source_seekable(src, &fd, &base)) {
        st->fd = fd; /* the source's: not ours to close */
        st->spool = false;
        st->base = base;
        return 0;
    }
    return spool_create(st);
}

int cli_store_append(cli_store *st, const void *buf, size_t len)
{
    if (!st->spool)
        return 0;
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(st->fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            cli_error("%s: cannot write the temporary spool file: %s", st->name,
                      strerror(errno));
            return -1;
        }
        p += n;
        len -= (size_t)n;
        st->len += (uint64_t)n;
    }
    return 0;
}

int cli_pread_full(int fd, void *buf, size_t len, uint64_t pos, size_t *done)
{
    char *p = buf;
    *done = 0;
    while (*done < len) {
        ssize_t n = pread(fd, p + *done, len - *done, (off_t)(pos + *done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        *done += (size_t)n;
    }
    return 0;
}

int cli_store_pread(cli_store *st, void *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    if (st->fd >= 0 && cli_pread_full(st->fd, buf, len, st->base + off, &done) != 0) {
        cli_error("%s: read error at byte offset %llu: %s", st->name,
                  (unsigned long long)(off + done), strerror(errno));
        return -1;
    }
    if (done < len) {
        cli_error("%s: file shrank while being read (expected data at byte offset %llu)",
                  st->name, (unsigned long long)(off + done));
        return -1;
    }
    return 0;
}

void cli_store_close(cli_store *st)
{
    if (st->spool && st->fd >= 0)
        close(st->fd);
    st->fd = -1;
    st->spool = false;
}
