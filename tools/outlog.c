/*
 * The safe output file of filter/repair/merge (outlog.h): mkstemp in OUT's
 * directory, optional gzip through zlib's deflate, link (no --force) or
 * rename (--force) at the end, and a signal handler that removes the
 * temporary file of the one output being written.
 */
#include "outlog.h"
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

struct cli_outlog {
    const char *cmd;
    char *path;          /* OUT */
    char *tmp;           /* temporary name, NULL for stdout */
    int fd;
    bool force;
    bool gzip;
    z_stream z;
    uint8_t zbuf[65536];
};

/* The temporary file to remove on a signal (one output per process). */
static char *volatile pending_tmp;

static void on_signal(int sig)
{
    char *t = pending_tmp;
    if (t != NULL)
        unlink(t);
    signal(sig, SIG_DFL);
    raise(sig);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

cli_outlog *cli_outlog_open(const char *cmd, const char *path, bool force,
                              const char *const *inputs, size_t n_inputs)
{
    if (*path == '\0') {
        cli_error("%s: -o: empty file name", cmd);
        return NULL;
    }
    bool to_stdout = strcmp(path, "-") == 0;
    struct stat out_st;
    bool exists = !to_stdout && stat(path, &out_st) == 0;
    if (to_stdout)
        exists = fstat(STDOUT_FILENO, &out_st) == 0 && S_ISREG(out_st.st_mode);
    for (size_t i = 0; exists && i < n_inputs; i++) {
        struct stat in_st;
        if (inputs[i] == NULL || strcmp(inputs[i], "-") == 0 || cli_source_is_socket(inputs[i]))
            continue;
        if (stat(inputs[i], &in_st) == 0 && in_st.st_dev == out_st.st_dev &&
            in_st.st_ino == out_st.st_ino) {
            cli_error("%s: %s is the input %s; write the output to another file", cmd,
                      to_stdout ? "standard output" : path, inputs[i]);
            return NULL;
        }
    }
    if (!to_stdout && exists && !force) {
        cli_error("%s: %s exists; use --force to replace it", cmd, path);
        return NULL;
    }
    cli_outlog *o = calloc(1, sizeof *o);
    if (o == NULL) {
        cli_error("%s: out of memory", cmd);
        return NULL;
    }
    o->cmd = cmd;
    o->force = force;
    o->path = strdup(path);
    o->fd = STDOUT_FILENO;
    o->gzip = !to_stdout && ends_with(path, ".gz");
    if (o->path == NULL)
        goto oom;
    if (!to_stdout) {
        size_t n = strlen(path);
        o->tmp = malloc(n + 32);
        if (o->tmp == NULL)
            goto oom;
        const char *slash = strrchr(path, '/');
        size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
        snprintf(o->tmp, n + 32, "%.*s.%s.tmp-XXXXXX", (int)dir, path, path + dir);
        o->fd = mkstemp(o->tmp);
        if (o->fd < 0) {
            cli_error("%s: cannot create a temporary file next to %s: %s", cmd, path, strerror(errno));
            free(o->tmp);
            o->tmp = NULL;
            cli_outlog_abort(o);
            return NULL;
        }
        mode_t um = umask(0);
        umask(um);
        fchmod(o->fd, 0666 & ~um);
        pending_tmp = o->tmp;
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        signal(SIGHUP, on_signal);
    }
    if (o->gzip && deflateInit2(&o->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        o->gzip = false;
        goto oom;
    }
    return o;
oom:
    cli_error("%s: out of memory", cmd);
    cli_outlog_abort(o);
    return NULL;
}

static int deflate_some(cli_outlog *o, int flush)
{
    for (;;) {
        o->z.next_out = o->zbuf;
        o->z.avail_out = sizeof o->zbuf;
        int r = deflate(&o->z, flush);
        if (r == Z_STREAM_ERROR) {
            errno = EIO;
            return -1;
        }
        if (write_all(o->fd, o->zbuf, sizeof o->zbuf - o->z.avail_out) != 0)
            return -1;
        if (flush == Z_FINISH ? r == Z_STREAM_END : o->z.avail_out != 0)
            return 0;
    }
}

int cli_outlog_sink(void *outfile, const uint8_t *p, size_t n)
{
    cli_outlog *o = outfile;
    if (!o->gzip)
        return write_all(o->fd, p, n);
    while (n > 0) {
        size_t step = n > (1u << 30) ? (1u << 30) : n;
        o->z.next_in = (Bytef *)(uintptr_t)p;
        o->z.avail_in = (uInt)step;
        if (deflate_some(o, Z_NO_FLUSH) != 0)
            return -1;
        p += step;
        n -= step;
    }
    return 0;
}

bool cli_outlog_seekable(const cli_outlog *o)
{
    return o->tmp != NULL && !o->gzip;
}

int cli_outlog_patch(void *outfile, uint64_t off, const uint8_t *p, size_t n)
{
    cli_outlog *o = outfile;
    if (!cli_outlog_seekable(o)) {
        errno = ESPIPE;
        return -1;
    }
    while (n > 0) {
        ssize_t w = pwrite(o->fd, p, n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

int cli_outlog_truncate(void *outfile, uint64_t size)
{
    cli_outlog *o = outfile;
    if (!cli_outlog_seekable(o)) {
        errno = ESPIPE;
        return -1;
    }
    int r;
    do {
        r = ftruncate(o->fd, (off_t)size);
    } while (r != 0 && errno == EINTR);
    if (r == 0 && lseek(o->fd, (off_t)size, SEEK_SET) < 0)
        return -1;
    return r;
}

int cli_outlog_commit(cli_outlog *o)
{
    int rc = 0;
    if (o->gzip && deflate_some(o, Z_FINISH) != 0) {
        cli_error("%s: %s: write error: %s", o->cmd, o->path, strerror(errno));
        rc = -1;
    }
    if (o->tmp == NULL) {
        cli_outlog_abort(o);
        return rc;
    }
    if (rc == 0 && close(o->fd) != 0) {
        cli_error("%s: %s: write error: %s", o->cmd, o->path, strerror(errno));
        rc = -1;
    }
    o->fd = -1;
    if (rc == 0) {
        /* link(2) fails if OUT appeared since we checked; rename replaces. */
        int r = o->force ? rename(o->tmp, o->path) : link(o->tmp, o->path);
        if (r != 0) {
            cli_error("%s: cannot create %s: %s%s", o->cmd, o->path, strerror(errno),
                      errno == EEXIST ? " (use --force to replace it)" : "");
            rc = -1;
        } else if (o->force) {
            pending_tmp = NULL;
            free(o->tmp);
            o->tmp = NULL;
        }
    }
    cli_outlog_abort(o);
    return rc;
}

void cli_outlog_abort(cli_outlog *o)
{
    if (o == NULL)
        return;
    if (o->gzip)
        deflateEnd(&o->z);
    if (o->tmp != NULL) {
        if (o->fd >= 0)
            close(o->fd);
        unlink(o->tmp);
        pending_tmp = NULL;
        free(o->tmp);
    }
    free(o->path);
    free(o);
}

const char *cli_outlog_name(const cli_outlog *o)
{
    return o->tmp == NULL && strcmp(o->path, "-") == 0 ? "<stdout>" : o->path;
}
