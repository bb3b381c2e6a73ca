/*
 * The glue of libeventlog.merge(): the library's merge
 * (include/eventlog/merge.h) of input files into `dst`, written through the
 * library's writer under a temporary name next to it and renamed when
 * complete; `dst` may not be one of the inputs.
 */
#include <eventlog/merge.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Returns 0, -1 for an input that cannot be merged (unreadable, not an
 * eventlog, corrupt, conflicting declarations), or -2 for an output error,
 * with a sentence in err; *status is the merge's status
 * (ELOG_E_BAD_HEADER for conflicting declarations, ELOG_E_CALLBACK for
 * unreadable or corrupt input or an output error). shifts (3 per input:
 * caps, capsets, threads) is filled on success. */
static int elogpy_merge(const char *const *srcs, size_t n, const char *dst, uint64_t *shifts,
                        elog_status *status, char *err, size_t errcap)
{
    *status = ELOG_E_USAGE;
    struct stat ds;
    if (stat(dst, &ds) == 0) {
        for (size_t k = 0; k < n; k++) {
            struct stat is;
            if (stat(srcs[k], &is) == 0 && is.st_dev == ds.st_dev && is.st_ino == ds.st_ino) {
                snprintf(err, errcap, "%s is the input %s; write the merge to another file",
                         dst, srcs[k]);
                return -1;
            }
        }
    }
    elog_merge_options mo;
    elog_merge_options_init(&mo);
    mo.decoder_options = ELOG_OPT_LENIENT_BLOCKS;
    elog_merge *m = NULL;
    *status = elog_merge_open(&m, srcs, n, &mo);
    if (*status != ELOG_OK) {
        snprintf(err, errcap, "%s", elog_merge_error(m));
        elog_merge_close(m);
        return -1;
    }
    size_t tl = strlen(dst) + 16;
    char *tmp = malloc(tl);
    if (tmp == NULL) {
        *status = ELOG_E_NOMEM;
        snprintf(err, errcap, "out of memory");
        elog_merge_close(m);
        return -1;
    }
    snprintf(tmp, tl, "%s.tmp", dst);
    elog_log_writer *w = NULL;
    int rc = -1;
    if (elog_log_writer_open_path(&w, NULL, tmp) != ELOG_OK) {
        rc = -2;
        *status = ELOG_E_CALLBACK;
        snprintf(err, errcap, "%s: cannot create: %s", tmp, strerror(errno));
    } else if ((*status = elog_merge_write(m, w)) != ELOG_OK) {
        rc = -2;
        snprintf(err, errcap, "%s: %s", dst, elog_merge_error(m));
    } else if (rename(tmp, dst) != 0) {
        rc = -2;
        *status = ELOG_E_CALLBACK;
        snprintf(err, errcap, "%s: cannot rename: %s", dst, strerror(errno));
    } else {
        for (size_t k = 0; k < n; k++) {
            elog_merge_shift sh;
            elog_merge_shift_of(m, k, &sh);
            shifts[3 * k] = sh.caps;
            shifts[3 * k + 1] = sh.capsets;
            shifts[3 * k + 2] = sh.threads;
        }
        rc = 0;
    }
    elog_log_writer_free(w);
    elog_merge_close(m);
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    return rc;
}
