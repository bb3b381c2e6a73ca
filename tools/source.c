/*
 * Sources of the `eventlog` tool: every SOURCE argument, whatever it is,
 * becomes a decoder fed by the library's readers.
 *
 *   path, `-`         elog_reader (plain, gzip, zstd or xz by magic; follow mode for
 *                     growing files; progress) through its pull interface,
 *                     so that the raw bytes can be handed to the command
 *                     (spool, record) before they are decoded, and output
 *                     flushed after every chunk (a live pipe, a followed file)
 *   unix:, tcp:       elog_socket driven through its event-loop API (pump,
 *                     fd, timeout), for the same reasons; its on_data tap
 *                     gives the raw bytes of each session from "hdrb" on
 *
 * Commands see one interface (cli.h): hooks for raw bytes, flushes, session
 * starts and stream ends, and a decoder whose d->data is the source.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Every command decodes with these (cli.h); main() adds --lenient-blocks.
 * Defined here, beside the sources they decode, so tools linked without
 * eventlog.c (fuzz_record) have them too. */
unsigned cli_decoder_options = ELOG_OPT_CONTINUE_AFTER_END;

/* Bytes between progress calls from the reader; the progress printer
 * throttles by time on top of this. */
#define PROGRESS_EVERY (1u << 20)
/* Upper bound on one wait of the socket loop, so that a signal arriving just
 * before poll() is noticed soon anyway. */
#define SOCKET_WAIT_SLICE_MS 200
/* How often --follow checks whether a file that does not exist yet appeared. */
#define FOLLOW_APPEAR_POLL_MS 25

struct cli_source {
    char *name;                   /* path, "<stdin>" or the canonical address */
    cli_source_config cfg;
    elog_settings settings;       /* the command's, on_data_end wrapped (follow) */
    elog_data_end_cb user_data_end;

    /* files and pipes */
    elog_reader *reader;
    int fifo_fd;                  /* a FIFO we opened ourselves (follow), else -1 */
    elog_decoder dec;
    bool dec_ready;
    cli_progress progress;

    /* sockets */
    elog_socket *sock;
    elog_socket_addr addr;
    char label[ELOG_SOCKET_ADDR_STRLEN + 32];
    unsigned sessions;            /* sessions begun */
    uint64_t deadline_ns;         /* 0: none */
    uint64_t last_bytes;          /* session bytes at last_data_ns */
    uint64_t last_data_ns;        /* when bytes last arrived (idle timeout) */
    unsigned last_session;
    bool stopping;                /* we are ending the input (signal, deadline) */
    bool hook_failed;             /* on_bytes failed: everything stops */
};

/* --------------------------------------------------------------- signals */

/* SIGINT/SIGTERM on an interruptible source end the input where it is, so a
 * live `show --stream` or `record` finishes its output properly. The handler
 * only sets a flag and stops the reader (both async-signal-safe); it is
 * installed with SA_RESETHAND, so a second signal kills as usual. */
static volatile sig_atomic_t stop_requested;
static elog_reader *volatile stop_reader;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    cli_interrupted = 1;
    elog_reader *r = stop_reader;
    if (r != NULL)
        elog_reader_stop(r);
}

/* The handlers in force before (e.g. outfile.c's, which removes a temporary
 * output on a fatal signal), put back after the run. */
static struct sigaction saved_int, saved_term;

static void set_stop_handlers(bool install)
{
    if (install) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sigemptyset(&sa.sa_mask);
        sa.sa_handler = on_stop_signal;
        sa.sa_flags = SA_RESETHAND; /* no SA_RESTART: a blocked read returns EINTR */
        sigaction(SIGINT, &sa, &saved_int);
        sigaction(SIGTERM, &sa, &saved_term);
    } else {
        sigaction(SIGINT, &saved_int, NULL);
        sigaction(SIGTERM, &saved_term, NULL);
    }
}

/* --------------------------------------------------------------- helpers */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool cli_source_is_socket(const char *text)
{
    return strncmp(text, "unix:", 5) == 0 || strncmp(text, "tcp:", 4) == 0;
}

int cli_source_check(const char *text, char *err, size_t cap)
{
    if (!cli_source_is_socket(text))
        return 0;
    elog_socket_addr a;
    return elog_socket_addr_parse(&a, text, err, cap) == ELOG_SOCKET_OK ? 0 : -1;
}

const char *cli_source_name(const cli_source *src)
{
    return src->name;
}

void *cli_source_ctx_of(const cli_source *src)
{
    return src->cfg.ctx;
}

elog_decoder *cli_source_decoder(cli_source *src)
{
    return src->sock != NULL ? elog_socket_decoder(src->sock) : &src->dec;
}

elog_socket *cli_source_client(cli_source *src)
{
    return src->sock;
}

bool cli_source_seekable(const cli_source *src, int *fd, uint64_t *base)
{
    if (src->reader == NULL)
        return false;
    elog_reader_info info;
    elog_reader_get_info(src->reader, &info);
    bool compressed = info.format != ELOG_READER_AUTO && info.format != ELOG_READER_PLAIN;
    if (!info.regular || compressed)
        return false;
    *fd = info.fd;
    *base = info.start;
    return true;
}

void cli_source_set_deadline(cli_source *src, unsigned ms)
{
    src->deadline_ns = now_ns() + (uint64_t)ms * 1000000u;
    if (src->deadline_ns == 0)
        src->deadline_ns = 1;
}

/* Follow mode with the pull interface: the reader cannot see the end
 * marker in bytes it only hands out, so tell it. */
static int wrap_data_end(elog_decoder *d, uint64_t offset)
{
    cli_source *src = d->data;
    if (src->reader != NULL)
        elog_reader_stop(src->reader);
    return src->user_data_end != NULL ? src->user_data_end(d, offset) : ELOG_CB_CONTINUE;
}

/* --------------------------------------------------------------- sockets */

static const char *session_label(cli_source *src, unsigned number)
{
    if (!src->cfg.reconnect)
        return src->name;
    snprintf(src->label, sizeof src->label, "%s, session %u", src->name, number);
    return src->label;
}

static void sock_connected(elog_socket *s, const elog_socket_session *ss)
{
    cli_source *src = elog_socket_data(s);
    src->sessions = ss->number;
    if (src->cfg.reconnect && ss->number > 1)
        cli_note("session %u: reconnected to %s", ss->number, src->name);
    if (src->cfg.hooks.on_session != NULL)
        src->cfg.hooks.on_session(src, ss->number);
}

static void sock_skipped(elog_socket *s, const elog_socket_session *ss, uint64_t bytes)
{
    cli_source *src = elog_socket_data(s);
    if (src->cfg.reconnect)
        cli_note("session %u: skipped %llu byte%s before the eventlog header", ss->number,
                 (unsigned long long)bytes, bytes == 1 ? "" : "s");
}

static void sock_gap(elog_socket *s, const elog_socket_gap *g)
{
    (void)s;
    if (g->gap_ns >= 0)
        cli_note("session %u: %.6f s of eventlog time since the last event of session %u "
                 "(events written meanwhile are lost)",
                 g->session, (double)g->gap_ns / 1e9, g->prev_session);
    else
        cli_note("session %u: its clock starts before the last event of session %u "
                 "(the program restarted?)", g->session, g->prev_session);
}

static void sock_data(elog_socket *s, const elog_socket_session *ss, const void *buf, size_t len)
{
    (void)ss;
    cli_source *src = elog_socket_data(s);
    if (src->hook_failed || src->cfg.hooks.on_bytes == NULL)
        return;
    if (src->cfg.hooks.on_bytes(src, buf, len) != 0) {
        src->hook_failed = true;
        (void)elog_socket_close(s); /* takes effect when we return: nothing more is decoded */
    }
}

static void sock_disconnected(elog_socket *s, const elog_socket_session *ss, const elog_end *end)
{
    cli_source *src = elog_socket_data(s);
    if (src->hook_failed)
        return;
    if (src->cfg.reconnect && end->kind == ELOG_END_EMPTY && !src->stopping) {
        /* A program that exits while we reconnect may still accept us from
         * its backlog and close at once: not an eventlog, not an error. */
        cli_note("session %u: closed without sending anything", ss->number);
        return;
    }
    if (src->cfg.hooks.on_end == NULL)
        return;
    cli_stream_end e = {
        .end = end,
        .label = session_label(src, ss->number),
        .session = ss->number,
        .error = ss->error,
        .stopped = src->stopping,
    };
    src->cfg.hooks.on_end(src, &e);
}

static int open_socket(cli_source *src, const char *text)
{
    char err[ELOG_SOCKET_ERRLEN];
    if (elog_socket_addr_parse(&src->addr, text, err, sizeof err) != ELOG_SOCKET_OK) {
        cli_error("%s", err);
        return -1;
    }
    char canon[ELOG_SOCKET_ADDR_STRLEN];
    elog_socket_addr_format(&src->addr, canon, sizeof canon);
    src->name = strdup(canon);
    if (src->name == NULL) {
        cli_error("%s: out of memory", text);
        return -1;
    }
    elog_socket_options o;
    elog_socket_options_init(&o);
    o.max_wait_ms = src->cfg.connect_timeout_ms;
    if (o.connect_timeout_ms > o.max_wait_ms)
        o.connect_timeout_ms = o.max_wait_ms;
    o.reconnect = src->cfg.reconnect;
    o.on_connected = sock_connected;
    o.on_skipped = sock_skipped;
    o.on_disconnected = sock_disconnected;
    o.on_gap = sock_gap;
    o.on_data = sock_data;
    src->sock = elog_socket_new(&src->addr, &o, &src->settings, src);
    if (src->sock == NULL) {
        cli_error("%s: out of memory", src->name);
        return -1;
    }
    return 0;
}

/* Waits for the client's descriptor or its next deadline, bounded by ours. */
static void socket_wait(cli_source *src)
{
    int t = elog_socket_timeout_ms(src->sock);
    if (t < 0 || t > SOCKET_WAIT_SLICE_MS)
        t = SOCKET_WAIT_SLICE_MS;
    if (src->cfg.idle_timeout_ms != 0 && (unsigned)t > src->cfg.idle_timeout_ms / 4 + 1)
        t = (int)(src->cfg.idle_timeout_ms / 4 + 1);
    if (src->deadline_ns != 0) {
        uint64_t now = now_ns();
        uint64_t left = src->deadline_ns > now ? (src->deadline_ns - now) / 1000000u + 1 : 0;
        if (left < (uint64_t)t)
            t = (int)left;
    }
    if (t == 0)
        return;
    struct pollfd p = { elog_socket_fd(src->sock), elog_socket_events(src->sock), 0 };
    if (p.fd < 0)
        (void)poll(NULL, 0, t);
    else
        (void)poll(&p, 1, t); /* EINTR: the loop checks the stop flag */
}

/* --idle-timeout on a socket: true once a connected session received
 * nothing for that long (a peer that stalls after its header). */
static bool socket_idle(cli_source *src)
{
    if (src->cfg.idle_timeout_ms == 0)
        return false;
    const elog_socket_session *ss = elog_socket_get_session(src->sock);
    uint64_t now = now_ns();
    if (ss == NULL || elog_socket_get_state(src->sock) != ELOG_SOCKET_STATE_CONNECTED ||
        ss->number != src->last_session || ss->bytes != src->last_bytes) {
        src->last_session = ss != NULL ? ss->number : 0;
        src->last_bytes = ss != NULL ? ss->bytes : 0;
        src->last_data_ns = now;
        return false;
    }
    if (now - src->last_data_ns < (uint64_t)src->cfg.idle_timeout_ms * 1000000u)
        return false;
    cli_warning("%s: no data for %u ms, stopped (--idle-timeout)", src->name,
                src->cfg.idle_timeout_ms);
    return true;
}

static int run_socket(cli_source *src)
{
    elog_socket *s = src->sock;
    for (;;) {
        if (!src->stopping &&
            (stop_requested || (src->deadline_ns != 0 && now_ns() >= src->deadline_ns) ||
             socket_idle(src))) {
            /* Ends the current session as if the server had closed it
             * (on_disconnected reports it, marked stopped), no reconnect. */
            src->stopping = true;
            if (elog_socket_get_session(s) == NULL) {
                cli_error("%s: stopped before connecting", src->name);
                (void)elog_socket_close(s);
                return -1;
            }
            (void)elog_socket_close(s);
        }
        elog_socket_status st = elog_socket_pump(s);
        switch (st) {
        case ELOG_SOCKET_OK:
        case ELOG_SOCKET_PAUSED:
            continue;
        case ELOG_SOCKET_WOULD_BLOCK:
            if (src->cfg.hooks.on_flush != NULL)
                src->cfg.hooks.on_flush(src);
            socket_wait(src);
            continue;
        case ELOG_SOCKET_EOF:     /* a session ended; the next pump reconnects or says CLOSED */
        case ELOG_SOCKET_E_DECODE: /* reported through on_end, like any end */
            if (src->cfg.hooks.on_flush != NULL)
                src->cfg.hooks.on_flush(src);
            continue;
        case ELOG_SOCKET_CLOSED:
        case ELOG_SOCKET_E_CALLBACK: /* a command callback aborted; it knows why */
            return src->hook_failed ? -1 : 0;
        case ELOG_SOCKET_E_CONNECT:
        case ELOG_SOCKET_E_ADDRESS:
            if (src->sessions > 0) {
                /* --reconnect: the program is gone for good. */
                cli_note("no more sessions: %s", elog_socket_error_message(s));
                return 0;
            }
            cli_error("%s", elog_socket_error_message(s));
            return -1;
        default:
            cli_error("%s: %s", src->name, elog_socket_error_message(s));
            return -1;
        }
    }
}

/* ------------------------------------------------------- files and pipes */

/* --follow on a path that does not exist yet: the program that will write
 * it may not have started. Wait for it like `tail -F`, bounded by the idle
 * timeout (none: until it appears or a signal arrives). */
static void wait_for_path(cli_source *src, const char *path)
{
    struct stat st;
    uint64_t start = now_ns();
    uint64_t limit = (uint64_t)src->cfg.idle_timeout_ms * 1000000u;
    while (stat(path, &st) != 0 && errno == ENOENT && !stop_requested) {
        if (limit != 0 && now_ns() - start >= limit)
            return; /* opening it then says why */
        struct timespec ts = { 0, FOLLOW_APPEAR_POLL_MS * 1000000L };
        nanosleep(&ts, NULL);
    }
}

/* --follow on a FIFO: open(2) would block until a writer opens it, beyond
 * the reach of --idle-timeout and of the reader. Open it non-blocking (which
 * returns at once) and wait for a writer's first bytes, or its close, with
 * poll(2) bounded by the idle timeout. Returns the descriptor, -1 if `path`
 * is not a FIFO (open it as usual), or -2 after printing an error. */
static int open_fifo_bounded(cli_source *src, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISFIFO(st.st_mode))
        return -1;
    int fd;
    do {
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        cli_error("%s: cannot open: %s", path, strerror(errno));
        return -2;
    }
    uint64_t start = now_ns();
    uint64_t limit = (uint64_t)src->cfg.idle_timeout_ms * 1000000u;
    for (;;) {
        /* Until a writer has opened it, Linux reports neither POLLIN nor
         * POLLHUP on a FIFO's read end. */
        struct pollfd p = { fd, POLLIN, 0 };
        int slice = SOCKET_WAIT_SLICE_MS;
        if (limit != 0) {
            uint64_t spent = now_ns() - start;
            if (spent >= limit) {
                cli_error("%s: no program opened this FIFO for writing within %u ms "
                          "(--idle-timeout)", path, src->cfg.idle_timeout_ms);
                close(fd);
                return -2;
            }
            uint64_t left = (limit - spent) / 1000000u + 1;
            if (left < (uint64_t)slice)
                slice = (int)left;
        }
        if (poll(&p, 1, slice) > 0)
            return fd; /* the reader waits on a non-blocking fd with poll */
    }
}

static int open_reader(cli_source *src, const char *text)
{
    src->name = strdup(strcmp(text, "-") == 0 ? "<stdin>" : text);
    if (src->name == NULL) {
        cli_error("%s: out of memory", text);
        return -1;
    }
    elog_reader_options o;
    elog_reader_options_init(&o);
    o.follow = src->cfg.follow;
    o.idle_timeout_ms = src->cfg.idle_timeout_ms;
    if (src->cfg.progress) {
        cli_progress_init(&src->progress);
        if (src->progress.enabled) {
            o.progress = cli_progress_update;
            o.progress_ctx = &src->progress;
            o.progress_every = PROGRESS_EVERY;
        }
    }
    if (src->cfg.follow && strcmp(text, "-") != 0)
        wait_for_path(src, text);
    if (src->cfg.follow && strcmp(text, "-") != 0) {
        src->fifo_fd = open_fifo_bounded(src, text);
        if (src->fifo_fd == -2)
            return -1;
    }
    elog_reader_status rst = src->fifo_fd >= 0
        ? elog_reader_open_fd(&src->reader, src->fifo_fd, text, &o)
        : elog_reader_open(&src->reader, text, &o);
    if (rst != ELOG_READER_OK) {
        cli_error("%s", elog_reader_error(src->reader));
        return -1;
    }
    elog_decoder_init(&src->dec, &src->settings, src);
    src->dec_ready = true;
    return 0;
}

static int run_reader(cli_source *src)
{
    elog_reader *r = src->reader;
    const cli_source_hooks *hk = &src->cfg.hooks;
    bool decoding = true;
    int rc = 0;
    if (src->cfg.interruptible)
        stop_reader = r;
    for (;;) {
        const uint8_t *p;
        size_t n;
        if (elog_reader_read(r, &p, &n) != ELOG_READER_OK) {
            cli_progress_clear();
            cli_error("%s", elog_reader_error(r));
            rc = -1;
            break;
        }
        if (n == 0)
            break;
        if (hk->on_bytes != NULL && hk->on_bytes(src, p, n) != 0) {
            rc = -1;
            break;
        }
        if (decoding && elog_execute(&src->dec, p, n).status != ELOG_OK) {
            /* An error (sticky) or a callback's abort: the end says which. */
            decoding = false;
            if (!src->cfg.copy_all)
                break;
        }
        if (hk->on_flush != NULL)
            hk->on_flush(src);
    }
    stop_reader = NULL;
    cli_progress_clear();
    elog_end end = elog_finish(&src->dec);
    if (rc != 0)
        return rc;

    elog_reader_info info;
    elog_reader_get_info(r, &info);
    if (info.compressed_truncated)
        cli_warning("%s: the compressed data end inside %s %u (the file is cut short)",
                    src->name,
                    info.format == ELOG_READER_ZSTD ? "zstd frame"
                    : info.format == ELOG_READER_XZ ? "xz stream" : "gzip member",
                    (unsigned)info.compressed_members);
    if (info.gzip_padding > 0)
        cli_warning("%s: %llu zero byte%s after the gzip data, ignored (padding; gzip(1) "
                    "says \"decompression OK, trailing zero bytes ignored\")", src->name,
                    (unsigned long long)info.gzip_padding, info.gzip_padding == 1 ? "" : "s");
    if (info.eof == ELOG_READER_EOF_IDLE)
        cli_warning("%s: no new data for %u ms, stopped following (--idle-timeout)",
                    src->name, src->cfg.idle_timeout_ms);
    if (hk->on_end != NULL) {
        cli_stream_end e = {
            .end = &end,
            .label = src->name,
            .session = 0,
            .error = 0,
            .stopped = stop_requested != 0,
        };
        hk->on_end(src, &e);
    }
    return 0;
}

/* ------------------------------------------------------------ interface */

cli_source *cli_source_open(const char *text, const cli_source_config *cfg)
{
    cli_source *src = calloc(1, sizeof *src);
    if (src == NULL) {
        cli_error("%s: out of memory", text);
        return NULL;
    }
    src->cfg = *cfg;
    src->fifo_fd = -1;
    if (src->cfg.connect_timeout_ms == 0)
        src->cfg.connect_timeout_ms = CLI_DEFAULT_CONNECT_TIMEOUT_MS;
    if (cfg->settings != NULL)
        src->settings = *cfg->settings;
    else
        elog_settings_init(&src->settings);
    src->user_data_end = src->settings.on_data_end;
    if (cfg->follow)
        src->settings.on_data_end = wrap_data_end;

    int rc = cli_source_is_socket(text) ? open_socket(src, text) : open_reader(src, text);
    if (rc != 0) {
        cli_source_close(src);
        return NULL;
    }
    return src;
}

int cli_source_run(cli_source *src)
{
    if (src->cfg.interruptible)
        set_stop_handlers(true);
    int rc = src->sock != NULL ? run_socket(src) : run_reader(src);
    if (src->cfg.interruptible)
        set_stop_handlers(false);
    return rc;
}

void cli_source_close(cli_source *src)
{
    if (src == NULL)
        return;
    elog_socket_free(src->sock);
    if (src->dec_ready)
        elog_decoder_free(&src->dec);
    elog_reader_close(src->reader);
    if (src->fifo_fd >= 0)
        close(src->fifo_fd);
    free(src->name);
    free(src);
}
