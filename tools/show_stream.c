/*
 * `eventlog show --stream SOURCE`: the `ghc-events show` line format, but in
 * file order and incrementally, in constant memory. Output is flushed before
 * every read that would block, so following a live eventlog through a FIFO
 * shows events as soon as the RTS writes them.
 */
#include "cli.h"

#include <stdlib.h>

typedef struct stream_ctx {
    cli_output *out;
    bool header_done;
} stream_ctx;

static int on_header(elog_decoder *d, const elog_header *h)
{
    stream_ctx *c = d->data;
    elog_show_header(&c->out->w, h);
    c->header_done = true;
    return cli_output_failed(c->out) ? ELOG_CB_ABORT : ELOG_CB_CONTINUE;
}

static int on_event(elog_decoder *d, const elog_event *ev)
{
    stream_ctx *c = d->data;
    elog_show_event(&c->out->w, ev);
    return cli_output_failed(c->out) ? ELOG_CB_ABORT : ELOG_CB_CONTINUE;
}

int cli_show_stream(const char *path, const cli_options *opt)
{
    cli_input in;
    if (cli_input_open(&in, path) != 0)
        return CLI_EXIT_BAD_INPUT;

    static cli_output out;
    cli_output_init(&out, 1);

    /* Smaller reads than the batch commands: on a live source each read
     * returns what is there anyway, and on a file this is plenty. */
    size_t bufcap = 256u * 1024u;
    unsigned char *buf = malloc(bufcap);
    if (buf == NULL) {
        cli_error("%s: out of memory", in.name);
        cli_input_close(&in);
        return CLI_EXIT_BAD_INPUT;
    }

    stream_ctx ctx = { .out = &out, .header_done = false };
    elog_settings settings;
    elog_settings_init(&settings);
    settings.on_header = on_header;
    settings.on_event = on_event;
    settings.options = ELOG_OPT_CONTINUE_AFTER_END | ELOG_OPT_LENIENT_BLOCKS;
    elog_decoder dec;
    elog_decoder_init(&dec, &settings, &ctx);

    bool read_failed = false;
    for (;;) {
        if (!cli_input_ready(&in) && cli_output_flush(&out) != 0)
            break;
        ssize_t n = cli_input_read(&in, buf, bufcap);
        if (n < 0) {
            read_failed = true;
            break;
        }
        if (n == 0)
            break;
        elog_result r = elog_execute(&dec, buf, (size_t)n);
        if (r.status != ELOG_OK)
            break;
    }
    elog_end end = elog_finish(&dec);

    int rc;
    if (cli_output_failed(&out)) {
        rc = cli_output_report(&out);
    } else if (read_failed) {
        (void)cli_output_flush(&out);
        rc = CLI_EXIT_BAD_INPUT;
    } else {
        if (cli_end_usable(&end) && ctx.header_done)
            elog_writer_put(&out.w, "\n", 1);
        if (cli_output_flush(&out) != 0)
            rc = cli_output_report(&out);
        else
            rc = cli_report_end(&in, &dec, &end, elog_get_header(&dec), opt->strict);
    }

    elog_decoder_free(&dec);
    free(buf);
    cli_input_close(&in);
    return rc;
}
