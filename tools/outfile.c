/*
 * Safe output files (outfile.h): identity checks against the inputs, no
 * silent overwrite, temporary name + link/rename on success, the temporary
 * removed on a fatal signal, optional gzip through zlib's deflate.
 */
#include "outfile.h"
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

struct cli_outfile {
    const char *who;
    char *path;          /* the name asked for */
    char *tmp;           /* the temporary name (NULL: written directly) */
    int fd;
    bool is_stdout;
    bool force;
    bool gzip;
    bool handlers;       /* we installed the signal handlers (restored at the end) */
    z_stream z;
    uint8_t *zbuf;       /* gzip only */
};

#define ZBUF_SIZE 65536

/* ------------------------------------------------------------- inputs */

void cli_inputs_init(cli_inputs *in)
{
    in->n = 0;
}

void cli_inputs_add(cli_inputs *in, const char *source)
{
    struct stat st;
    if (source == NULL || in->n >= CLI_INPUTS_MAX || cli_source_is_socket(source))
        return;
    int rc = strcmp(source, "-") == 0 ? fstat(STDIN_FILENO, &st) : stat(source, &st);
    if (rc != 0)
        return;
    in->dev[in->n] = st.st_dev;
    in->ino[in->n] = st.st_ino;
    in->n++;
}

static bool is_input(const cli_inputs *in, const struct stat *st)
{
    for (size_t i = 0; in != NULL && i < in->n; i++)
        if (in->dev[i] == st->st_dev && in->ino[i] == st->st_ino)
            return true;
    return false;
}

/* ------------------------------------------------------------- signals */

/* The temporary file to remove on a fatal signal (one output at a time). */
static char *volatile pending_tmp;
static const int fatal_signals[3] = {SIGINT, SIGTERM, SIGHUP};
static struct sigaction saved[3];
static bool installed[3];

static void on_signal(int sig)
{
    char *t = pending_tmp;
    if (t != NULL)
        unlink(t);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Installs the handler for the signals nobody handles yet: a command with
 * its own (an interruptible source) ends its run and aborts or commits. */
static void install_handlers(cli_outfile *f)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_signal;
    pending_tmp = f->tmp;
    f->handlers = true;
    for (int i = 0; i < 3; i++) {
        struct sigaction cur;
        installed[i] = sigaction(fatal_signals[i], NULL, &cur) == 0 &&
                       !(cur.sa_flags & SA_SIGINFO) && cur.sa_handler == SIG_DFL &&
                       sigaction(fatal_signals[i], &sa, &saved[i]) == 0;
    }
}

static void remove_handlers(cli_outfile *f)
{
    if (!f->handlers)
        return;
    for (int i = 0; i < 3; i++) {
        struct sigaction cur;
        if (installed[i] && sigaction(fatal_signals[i], NULL, &cur) == 0 &&
            cur.sa_handler == on_signal)
            sigaction(fatal_signals[i], &saved[i], NULL);
        installed[i] = false;
    }
    pending_tmp = NULL;
    f->handlers = false;
}

/* ------------------------------------------------------------- opening */

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* ".NAME.XXXXXX" next to NAME, so that the rename stays in one file system. */
static char *temp_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dir = slash != NULL ? (size_t)(slash - path) + 1 : 0;
    size_t cap = strlen(path) + 16;
    char *t = malloc(cap);
    if (t != NULL)
        snprintf(t, cap, "%.*s.%s.XXXXXX", (int)dir, path, path + dir);
    return t;
}

static void release(cli_outfile *f)
{
    remove_handlers(f);
    if (f->gzip)
        deflateEnd(&f->z);
    free(f->zbuf);
    free(f->path);
    free(f->tmp);
    free(f);
}

cli_outfile *cli_outfile_open(const char *who, const char *path, bool force,
                              const cli_inputs *in, unsigned flags)
{
    if (*path == '\0') {
        cli_error("%s: -o: empty file name", who);
        return NULL;
    }
    cli_outfile *f = calloc(1, sizeof *f);
    if (f == NULL || (f->path = strdup(path)) == NULL) {
        free(f);
        cli_error("%s: out of memory", who);
        return NULL;
    }
    f->who = who;
    f->fd = -1;
    f->force = force;
    struct stat st;
    bool direct = false;
    if (strcmp(path, "-") == 0) {
        f->is_stdout = true;
        if (fstat(STDOUT_FILENO, &st) == 0 && is_input(in, &st)) {
            cli_error("%s: standard output is the input file; not overwriting it "
                      "(write the output to another file)", who);
            goto fail;
        }
        f->fd = STDOUT_FILENO;
        return f;
    }
    if (stat(path, &st) == 0) {
        if (is_input(in, &st)) {
            cli_error("%s: %s: is the input; not overwriting it (write the output to "
                      "another file)", who, path);
            goto fail;
        }
        if (S_ISREG(st.st_mode)) {
            if (!force) {
                cli_error("%s: %s: exists; use --force to replace it", who, path);
                goto fail;
            }
        } else if (S_ISDIR(st.st_mode)) {
            cli_error("%s: %s: is a directory; give a file name", who, path);
            goto fail;
        } else {
            direct = true; /* a FIFO, a device: write into it */
        }
    }
    if ((flags & CLI_OUTFILE_GZIP) && ends_with(path, ".gz")) {
        f->zbuf = malloc(ZBUF_SIZE);
        if (f->zbuf == NULL ||
            deflateInit2(&f->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            cli_error("%s: out of memory", who);
            goto fail;
        }
        f->gzip = true;
    }
    if (direct) {
        do {
            f->fd = open(path, O_WRONLY | O_CLOEXEC);
        } while (f->fd < 0 && errno == EINTR);
        if (f->fd < 0) {
            cli_error("%s: %s: cannot open for writing: %s", who, path, strerror(errno));
            goto fail;
        }
        return f;
    }
    f->tmp = temp_name(path);
    if (f->tmp == NULL) {
        cli_error("%s: out of memory", who);
        goto fail;
    }
    f->fd = mkostemp(f->tmp, O_CLOEXEC);
    if (f->fd < 0) {
        cli_error("%s: %s: cannot create a temporary file next to it: %s", who, path,
                  strerror(errno));
        free(f->tmp);
        f->tmp = NULL;
        goto fail;
    }
    /* mkstemp makes it 0600; give it the mode open(0666) would have. */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(f->fd, 0666 & ~mask);
    install_handlers(f);
    return f;
fail:
    if (f->fd >= 0 && !f->is_stdout)
        close(f->fd);
    release(f);
    return NULL;
}

/* ------------------------------------------------------------- writing */

static int deflate_some(cli_outfile *f, int flush)
{
    for (;;) {
        f->z.next_out = f->zbuf;
        f->z.avail_out = ZBUF_SIZE;
        int r = deflate(&f->z, flush);
        if (r == Z_STREAM_ERROR) {
            errno = EIO;
            return -1;
        }
        if (cli_write_all(f->fd, f->zbuf, ZBUF_SIZE - f->z.avail_out) != 0)
            return -1;
        if (flush == Z_FINISH ? r == Z_STREAM_END : f->z.avail_out != 0)
            return 0;
    }
}

int cli_outfile_write(void *outfile, const uint8_t *p, size_t n)
{
    cli_outfile *f = outfile;
    if (!f->gzip)
        return cli_write_all(f->fd, p, n);
    while (n > 0) {
        size_t step = n > (1u << 30) ? (1u << 30) : n;
        f->z.next_in = (Bytef *)(uintptr_t)p;
        f->z.avail_in = (uInt)step;
        if (deflate_some(f, Z_NO_FLUSH) != 0)
            return -1;
        p += step;
        n -= step;
    }
    return 0;
}

int cli_outfile_fd(const cli_outfile *f)
{
    return f->fd;
}

bool cli_outfile_is_stdout(const cli_outfile *f)
{
    return f->is_stdout;
}

bool cli_outfile_seekable(const cli_outfile *f)
{
    return f->tmp != NULL && !f->gzip;
}

int cli_outfile_patch(void *outfile, uint64_t off, const uint8_t *p, size_t n)
{
    cli_outfile *f = outfile;
    if (!cli_outfile_seekable(f)) {
        errno = ESPIPE;
        return -1;
    }
    while (n > 0) {
        ssize_t w = pwrite(f->fd, p, n, (off_t)off);
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

int cli_outfile_truncate(void *outfile, uint64_t size)
{
    cli_outfile *f = outfile;
    if (!cli_outfile_seekable(f)) {
        errno = ESPIPE;
        return -1;
    }
    int r;
    do {
        r = ftruncate(f->fd, (off_t)size);
    } while (r != 0 && errno == EINTR);
    if (r == 0 && lseek(f->fd, (off_t)size, SEEK_SET) < 0)
        return -1;
    return r;
}

/* ------------------------------------------------------------- the end */

int cli_outfile_commit(cli_outfile *f)
{
    int rc = 0;
    if (f->gzip && deflate_some(f, Z_FINISH) != 0) {
        cli_error("%s: %s: write error: %s", f->who, cli_outfile_name(f), strerror(errno));
        rc = -1;
    }
    if (f->is_stdout) {
        release(f);
        return rc;
    }
    if (close(f->fd) != 0 && rc == 0) {
        cli_error("%s: %s: write error: %s", f->who, f->path, strerror(errno));
        rc = -1;
    }
    f->fd = -1;
    if (rc == 0 && f->tmp != NULL) {
        int r;
        if (f->force) {
            r = rename(f->tmp, f->path);
        } else {
            /* No replace: link fails with EEXIST if the name was taken since. */
            r = link(f->tmp, f->path);
            if (r == 0)
                (void)unlink(f->tmp);
            else if (errno == EPERM || errno == ENOSYS || errno == EOPNOTSUPP)
                r = rename(f->tmp, f->path); /* no hard links on this file system */
        }
        if (r != 0) {
            cli_error("%s: %s: cannot move %s into place: %s", f->who, f->path, f->tmp,
                      errno == EEXIST ? "the file appeared meanwhile (use --force to replace it)"
                                      : strerror(errno));
            rc = -1;
        } else {
            free(f->tmp);
            f->tmp = NULL;
        }
    }
    if (f->tmp != NULL)
        (void)unlink(f->tmp);
    release(f);
    return rc;
}

void cli_outfile_abort(cli_outfile *f)
{
    if (f == NULL)
        return;
    if (!f->is_stdout && f->fd >= 0)
        (void)close(f->fd);
    if (f->tmp != NULL)
        (void)unlink(f->tmp);
    release(f);
}

int cli_outfile_end(cli_outfile *f, int rc)
{
    if (rc == CLI_EXIT_BAD_INPUT) {
        cli_outfile_abort(f);
        return rc;
    }
    return cli_outfile_commit(f) == 0 ? rc : CLI_EXIT_BAD_INPUT;
}

const char *cli_outfile_name(const cli_outfile *f)
{
    return f->is_stdout ? "<stdout>" : f->path;
}
