/*
 * libFuzzer target: `eventlog record`'s copy loop (tools/record.c through
 * tools/source.c and tools/outfile.c, linked in as they are).
 *
 * Byte 0: bit 0 gzip-compresses the rest first (the reader's inflate path),
 * bit 1 adds --strict. The rest is the input, given to cli_record() as a
 * path. Oracles: the exit code is 0, 1 or 3; an output file exists only if
 * the input starts with a complete eventlog header (input that is not an
 * eventlog leaves no file), and then it is a prefix of the (decompressed)
 * input that holds the header, and for input that goes corrupt after its
 * header exactly the records before the error; no temporary file is left behind; the
 * copy allocates a bounded amount (run campaigns with -rss_limit_mb and
 * -malloc_limit_mb, see README.md), whatever the input.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fuzz_common.h"

static char dir[64];

static void setup(void)
{
    if (dir[0])
        return;
    snprintf(dir, sizeof dir, "/tmp/fuzz_record.XXXXXX");
    if (!mkdtemp(dir))
        abort();
    /* record's notes go to stderr on every run: campaigns use
     * -close_fd_mask=2 (libFuzzer keeps its own output). */
}

static int write_file(const char *path, const uint8_t *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return -1;
    if (fuzz_write_all(fd, p, n) != 0) {
        close(fd);
        return -1;
    }
    return close(fd);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *b = fuzz_read_all(f, len);
    fclose(f);
    return b;
}

/* The input holds a complete header: decoding its prefix reaches the data.
 * *end (if not NULL): how decoding all of it ends. */
static bool decode_all(const uint8_t *p, size_t n, elog_end *end)
{
    elog_settings s;
    elog_settings_init(&s);
    s.options = CLI_DECODER_OPTIONS;
    elog_decoder d;
    elog_decoder_init(&d, &s, NULL);
    (void)elog_execute(&d, p, n);
    bool h = elog_get_header(&d) != NULL;
    elog_end e = elog_finish(&d);
    if (end != NULL)
        *end = e;
    elog_decoder_free(&d);
    return h;
}

static bool has_header(const uint8_t *p, size_t n)
{
    return decode_all(p, n, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    setup();
    const uint8_t *body = data + 1;
    size_t len = size - 1;
    char in[96], out[96];
    snprintf(in, sizeof in, "%s/in", dir);
    snprintf(out, sizeof out, "%s/out.eventlog", dir);
    unlink(out);

    uint8_t *gz = NULL;
    const uint8_t *file = body;
    size_t file_len = len;
    if (data[0] & 1) {
        gz = fuzz_gzip(body, len, 1, &file_len);
        if (!gz)
            return 0;
        file = gz;
    }
    if (write_file(in, file, file_len) != 0)
        abort();

    cli_options opt;
    memset(&opt, 0, sizeof opt);
    opt.output = out;
    opt.strict = (data[0] & 2) != 0;
    opt.force = true;
    int rc = cli_record(in, &opt);
    if (rc != CLI_EXIT_OK && rc != CLI_EXIT_BAD_INPUT && rc != CLI_EXIT_TRUNCATED)
        abort();

    elog_end end;
    bool header = decode_all(body, len, &end);
    size_t got_len = 0;
    uint8_t *got = read_file(out, &got_len);
    if (got != NULL) {
        /* A file: only for an eventlog, a prefix of it, holding the header. */
        if (!header || got_len > len || memcmp(got, body, got_len) != 0 ||
            !has_header(got, got_len))
            abort();
        /* Corrupt after the header: cut at the end of the last complete
         * record, where the decoder reports the error. */
        if (end.kind == ELOG_END_ERROR && end.status != ELOG_E_NOMEM && got_len != end.offset)
            abort();
    } else if (header && rc == CLI_EXIT_OK) {
        abort(); /* an eventlog recorded with success, but no file */
    }
    free(got);
    /* Nothing but the input (and the output) in the directory. */
    DIR *dd = opendir(dir);
    struct dirent *e;
    while (dd && (e = readdir(dd)) != NULL)
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            abort(); /* a temporary file was left */
    if (dd)
        closedir(dd);
    unlink(out);
    free(gz);
    return 0;
}
