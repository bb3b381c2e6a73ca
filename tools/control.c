/*
 * `eventlog control SOURCE COMMAND [--read MS]`: sends one control command
 * to a program instrumented with eventlog-socket (docs/SOCKET-PROTOCOL.md).
 *
 * COMMAND is a built-in name (start-profiling, stop-profiling,
 * start-heap-profiling, stop-heap-profiling, request-heap-census, or their
 * camelCase protocol names) or NAMESPACE:ID. It is validated before anything
 * is opened, so a typo never reaches the program.
 *
 * The frame is sent once the eventlog header has arrived: the program
 * restarts its eventlog for every client, and a command that arrives before
 * that restart may run before logging does, its effect then missing from the
 * log. With --read MS the session is printed as `show --stream` prints it,
 * until MS milliseconds after the command was sent (to see its effect);
 * without, nothing is printed and the connection is closed shortly after.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

/* Without --read, how long to keep reading (and discarding) after sending
 * before closing. Closing a TCP connection with unread data in its receive
 * buffer, which a streaming server keeps filling, sends a reset, and a
 * reset may make the server's kernel drop what it has not yet handed to the
 * server, our frame included. */
#define CONTROL_LINGER_MS 200u

typedef struct controller {
    /* First, so that the printer's callbacks, which take the source's ctx
     * for the printer, find it. */
    cli_stream_printer printer;
    elog_header_cb printer_on_header;   /* --read: the printer's own callbacks */
    void (*printer_on_end)(cli_source *src, const cli_stream_end *e);
    const char *command;
    long read_ms;
    unsigned wait_ms;          /* for the header, once connected */
    bool sent;
    bool send_failed;
} controller;

static const char builtin_list[] =
    "start-profiling, stop-profiling, start-heap-profiling, stop-heap-profiling, "
    "request-heap-census";

int cli_control_check_command(const char *command, char *err, size_t cap)
{
    elog_control_command cmd;
    elog_control_error e = elog_control_parse_command(command, &cmd);
    if (e == ELOG_CONTROL_OK)
        return 0;
    if (e == ELOG_CONTROL_E_UNKNOWN_COMMAND)
        snprintf(err, cap, "control: '%s' is not a command: use a built-in (%s, or their "
                 "camelCase names) or NAMESPACE:ID with ID 1..255", command, builtin_list);
    else
        snprintf(err, cap, "control: '%s': %s", command, elog_control_error_message(e));
    return -1;
}

static int on_header(elog_decoder *d, const elog_header *h)
{
    cli_source *src = d->data;
    controller *c = cli_source_ctx_of(src);
    int rc = ELOG_CB_CONTINUE;
    if (c->printer_on_header != NULL)
        rc = c->printer_on_header(d, h);
    if (c->sent || c->send_failed)
        return rc;
    elog_socket *s = cli_source_client(src);
    if (elog_socket_send_command(s, c->command) != ELOG_SOCKET_OK) {
        cli_error("%s", elog_socket_error_message(s));
        c->send_failed = true;
        cli_source_set_deadline(src, 0);
        return rc;
    }
    c->sent = true;
    cli_source_set_deadline(src, c->read_ms >= 0 ? (unsigned)c->read_ms : CONTROL_LINGER_MS);
    return rc;
}

/* Connected: the header should follow at once; bound the wait for it. */
static void on_session(cli_source *src, unsigned number)
{
    controller *c = cli_source_ctx_of(src);
    (void)number;
    cli_source_set_deadline(src, c->wait_ms);
}

static void on_end(cli_source *src, const cli_stream_end *e)
{
    controller *c = cli_source_ctx_of(src);
    if (!c->sent && !c->send_failed) {
        if (e->stopped)
            cli_error("%s: no eventlog header within %u ms; command not sent", e->label,
                      c->wait_ms);
        else
            cli_error("%s: the session ended before the eventlog header arrived; "
                      "command not sent", e->label);
        return;
    }
    if (c->printer_on_end != NULL)
        c->printer_on_end(src, e);
}

int cli_control(const char *source, const char *command, const cli_options *opt)
{
    static cli_output out;
    cli_output_init(&out, 1);

    controller c;
    memset(&c, 0, sizeof c);
    c.command = command;
    c.read_ms = opt->read_ms;
    c.wait_ms = opt->connect_timeout_ms;

    elog_settings settings;
    cli_source_config cfg = {
        .settings = &settings,
        .ctx = &c,
        .connect_timeout_ms = opt->connect_timeout_ms,
        .interruptible = true,
    };
    if (c.read_ms >= 0) {
        cli_stream_printer_setup(&c.printer, &out, false, &settings, &cfg.hooks);
        c.printer.quiet_stopped = true; /* we end the session: not a truncation */
        c.printer_on_header = settings.on_header;
        c.printer_on_end = cfg.hooks.on_end;
    } else {
        elog_settings_init(&settings);
        settings.options = CLI_DECODER_OPTIONS;
        c.printer.out = &out;
    }
    settings.on_header = on_header;
    cfg.hooks.on_session = on_session;
    cfg.hooks.on_end = on_end;

    cli_source *src = cli_source_open(source, &cfg);
    if (src == NULL)
        return CLI_EXIT_BAD_INPUT;
    int run = cli_source_run(src);
    int rc = c.read_ms >= 0 ? cli_stream_printer_finish(&c.printer, run)
                            : run != 0 ? CLI_EXIT_BAD_INPUT : CLI_EXIT_OK;
    if (!c.sent || c.send_failed)
        rc = CLI_EXIT_BAD_INPUT;
    cli_source_close(src);
    return rc;
}
