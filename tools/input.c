/*
 * All input I/O of the `eventlog` tool: opening a path or `-`, sequential
 * reads with EINTR handling, readiness checks for live pipes/FIFOs, and the
 * random access the sorted `show` needs (pread on the file itself, or on an
 * unlinked temporary spool file when the input is a pipe).
 *
 * Keeping it here means a later gzip or socket source only has to provide
 * these functions; the subcommands never touch file descriptors directly.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_input_open(cli_input *in, const char *path)
{
    memset(in, 0, sizeof *in);
    in->spool_fd = -1;
    if (strcmp(path, "-") == 0) {
        in->fd = STDIN_FILENO;
        in->name = "<stdin>";
        in->is_stdin = true;
    } else {
        in->name = path;
        do {
            in->fd = open(path, O_RDONLY | O_CLOEXEC);
        } while (in->fd < 0 && errno == EINTR);
        if (in->fd < 0) {
            cli_error("%s: cannot open: %s", path, strerror(errno));
            return -1;
        }
    }

    struct stat st;
    if (fstat(in->fd, &st) != 0) {
        cli_error("%s: cannot stat: %s", in->name, strerror(errno));
        cli_input_close(in);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        cli_error("%s: is a directory", in->name);
        cli_input_close(in);
        return -1;
    }
    if (S_ISREG(st.st_mode)) {
        off_t pos = in->is_stdin ? lseek(in->fd, 0, SEEK_CUR) : 0;
        if (pos >= 0) {
            in->seekable = true;
            in->base = (uint64_t)pos;
            in->size = (uint64_t)st.st_size > in->base ? (uint64_t)st.st_size - in->base : 0;
        }
    }
    return 0;
}

void cli_input_close(cli_input *in)
{
    if (in->spool_fd >= 0)
        close(in->spool_fd);
    in->spool_fd = -1;
    if (!in->is_stdin && in->fd >= 0)
        close(in->fd);
    in->fd = -1;
}

ssize_t cli_input_read(cli_input *in, void *buf, size_t cap)
{
    for (;;) {
        ssize_t n = read(in->fd, buf, cap);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            /* Non-blocking descriptor inherited from the caller: wait. */
            struct pollfd p = { .fd = in->fd, .events = POLLIN };
            (void)poll(&p, 1, -1);
            continue;
        }
        cli_error("%s: read error: %s", in->name, strerror(errno));
        return -1;
    }
}

bool cli_input_ready(cli_input *in)
{
    if (in->seekable)
        return true;
    struct pollfd p = { .fd = in->fd, .events = POLLIN };
    int r;
    do {
        r = poll(&p, 1, 0);
    } while (r < 0 && errno == EINTR);
    return r > 0;
}

int cli_input_spool_begin(cli_input *in)
{
    if (in->seekable || in->spool_fd >= 0)
        return 0;
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || *dir == '\0')
        dir = "/tmp";
    size_t n = strlen(dir) + sizeof "/eventlog-spool-XXXXXX";
    char *tmpl = malloc(n);
    if (tmpl == NULL) {
        cli_error("%s: out of memory", in->name);
        return -1;
    }
    snprintf(tmpl, n, "%s/eventlog-spool-XXXXXX", dir);
    int fd = mkstemp(tmpl);
    if (fd < 0) {
        cli_error("%s: cannot create a temporary file in %s: %s", in->name, dir,
                  strerror(errno));
        free(tmpl);
        return -1;
    }
    (void)unlink(tmpl);
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    free(tmpl);
    in->spool_fd = fd;
    in->spooled = 0;
    return 0;
}

int cli_input_spool(cli_input *in, const void *buf, size_t len)
{
    if (in->seekable)
        return 0;
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(in->spool_fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            cli_error("%s: cannot write the temporary spool file: %s", in->name,
                      strerror(errno));
            return -1;
        }
        p += n;
        len -= (size_t)n;
        in->spooled += (uint64_t)n;
    }
    return 0;
}

int cli_input_pread(cli_input *in, void *buf, size_t len, uint64_t off)
{
    int fd = in->seekable ? in->fd : in->spool_fd;
    uint64_t pos = in->seekable ? in->base + off : off;
    char *p = buf;
    while (len > 0) {
        ssize_t n = pread(fd, p, len, (off_t)pos);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            cli_error("%s: read error at byte offset %llu: %s", in->name,
                      (unsigned long long)off, strerror(errno));
            return -1;
        }
        if (n == 0) {
            cli_error("%s: file shrank while being read (expected data at byte offset %llu)",
                      in->name, (unsigned long long)off);
            return -1;
        }
        p += n;
        len -= (size_t)n;
        pos += (uint64_t)n;
        off += (uint64_t)n;
    }
    return 0;
}
