/*
 * Safe output files (outfile.h): identity checks against the inputs, no
 * silent overwrite, temporary name + rename on success.
 */
#include "outfile.h"
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cli_inputs_init(cli_inputs *in)
{
    in->n = 0;
}

void cli_inputs_add(cli_inputs *in, const char *source)
{
    struct stat st;
    if (in->n >= CLI_INPUTS_MAX || cli_source_is_socket(source))
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

int cli_outfile_open(cli_outfile *f, const char *path, bool force, const cli_inputs *in,
                     const char *who)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->path = strdup(path);
    if (f->path == NULL) {
        cli_error("%s: out of memory", who);
        return -1;
    }
    struct stat st;
    bool direct = false;
    if (strcmp(path, "-") == 0) {
        f->is_stdout = true;
        f->fd = STDOUT_FILENO;
        if (fstat(STDOUT_FILENO, &st) == 0 && is_input(in, &st)) {
            cli_error("%s: standard output is the input file; not overwriting it", who);
            goto fail;
        }
        return 0;
    }
    if (stat(path, &st) == 0) {
        if (is_input(in, &st)) {
            cli_error("%s: %s: is the input; not overwriting it", who, path);
            goto fail;
        }
        if (S_ISREG(st.st_mode)) {
            if (!force) {
                cli_error("%s: %s: exists; use --force to replace it", who, path);
                goto fail;
            }
        } else if (!S_ISDIR(st.st_mode)) {
            direct = true; /* a FIFO, a device: write into it */
        }
    }
    if (direct) {
        do {
            f->fd = open(path, O_WRONLY | O_CLOEXEC);
        } while (f->fd < 0 && errno == EINTR);
        if (f->fd < 0) {
            cli_error("%s: %s: cannot open: %s", who, path, strerror(errno));
            goto fail;
        }
        return 0;
    }
    f->tmp = temp_name(path);
    if (f->tmp == NULL) {
        cli_error("%s: out of memory", who);
        goto fail;
    }
    f->fd = mkostemp(f->tmp, O_CLOEXEC);
    if (f->fd < 0) {
        cli_error("%s: %s: cannot create (temporary %s): %s", who, path, f->tmp,
                  strerror(errno));
        goto fail;
    }
    /* mkstemp makes it 0600; give it the mode open(0666) would have. */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(f->fd, 0666 & ~mask);
    return 0;
fail:
    free(f->path);
    free(f->tmp);
    memset(f, 0, sizeof *f);
    f->fd = -1;
    return -1;
}

static void release(cli_outfile *f)
{
    free(f->path);
    free(f->tmp);
    f->path = f->tmp = NULL;
    f->fd = -1;
}

int cli_outfile_commit(cli_outfile *f, bool force, const char *who)
{
    if (f->path == NULL)
        return 0;
    if (f->is_stdout) {
        release(f);
        return 0;
    }
    int rc = 0;
    if (f->fd >= 0 && close(f->fd) != 0) {
        cli_error("%s: %s: %s", who, f->path, strerror(errno));
        rc = -1;
    }
    f->fd = -1;
    if (rc == 0 && f->tmp != NULL) {
        int r;
        if (force) {
            r = rename(f->tmp, f->path);
        } else {
            /* No replace: link fails with EEXIST if the name was taken since. */
            r = link(f->tmp, f->path);
            if (r == 0)
                (void)unlink(f->tmp);
            else if (errno == EPERM || errno == ENOSYS || errno == EOPNOTSUPP)
                r = rename(f->tmp, f->path); /* no hard links here */
        }
        if (r != 0) {
            cli_error("%s: %s: cannot move %s into place: %s", who, f->path, f->tmp,
                      errno == EEXIST ? "the file appeared meanwhile (use --force)"
                                      : strerror(errno));
            rc = -1;
        }
    }
    if (rc != 0 && f->tmp != NULL)
        (void)unlink(f->tmp);
    release(f);
    return rc;
}

void cli_outfile_abort(cli_outfile *f)
{
    if (f->path == NULL)
        return;
    if (!f->is_stdout && f->fd >= 0)
        (void)close(f->fd);
    if (f->tmp != NULL)
        (void)unlink(f->tmp);
    release(f);
}
