/*
 * `eventlog replay [OPTIONS] FILE LISTEN`: a protocol-faithful stand-in for a
 * program instrumented with eventlog-socket (docs/SOCKET-PROTOCOL.md). It listens
 * on LISTEN (unix:PATH or tcp:HOST:PORT, backlog 5), serves one client at a
 * time (the others wait in the backlog) and sends each a fresh copy of FILE
 * from its header, optionally paced (--rate, --realtime), cut short
 * (--cut-after), preceded by a stale block marker (--stale-block). It reads
 * what the client sends, and with --control-log parses it as control frames.
 *
 * One thread, one poll loop per client. SIGTERM/SIGINT are blocked except
 * while waiting in ppoll(), so a signal always interrupts a wait and never
 * races with the check of the flag it sets.
 */
#include "cli.h"
#include "replay.h"

#include "eventlog/socket.h"
#include "eventlog/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SEND_CHUNK (64u * 1024u)
#define DRAIN_MS 2000u         /* after the last byte: wait for the client to close */
#define STALE_BLOCK_SIZE 24u

/* A point of the --realtime schedule: the event at `offset` may be sent once
 * `time` (the largest event time up to it) is due. */
typedef struct pace_point {
    uint64_t offset;
    uint64_t time;
} pace_point;

typedef struct replay {
    /* options */
    uint64_t rate;             /* bytes per second, 0 = unlimited */
    bool realtime;
    double speed;
    uint64_t cut_after;        /* UINT64_MAX = no cut */
    bool stale_block;
    uint64_t max_clients;      /* 0 = unlimited */
    bool hold;
    bool any_bytes;            /* serve input that is not an eventlog */
    const char *control_log_path;
    FILE *control_log;
    bool quiet;

    /* the log: bytes [base, base + size) of fd, the file itself when it is
     * plain and regular, else an unlinked spool of the decompressed stream,
     * read with pread() per send: memory does not grow with the log */
    int fd;
    uint64_t base;
    uint64_t size;
    pace_point *pace;
    size_t n_pace, cap_pace;
    bool pace_oom;

    /* the listener */
    elog_socket_addr addr;
    int listen_fd;
    bool unlink_path;
    sigset_t wait_mask;        /* the mask ppoll() waits with */
} replay;

static volatile sig_atomic_t stop_signal = 0;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void note(const replay *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(const replay *r, const char *fmt, ...)
{
    if (r->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    flockfile(stderr);
    fputs(CLI_NAME " replay: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    funlockfile(stderr);
    va_end(ap);
}

/* ---------------------------------------------------------------------------
 * Options
 * ------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("Usage: " CLI_NAME " replay [OPTIONS] FILE LISTEN\n"
          "\n"
          "Serve FILE (an eventlog, '-' for standard input; gzip is decompressed) on LISTEN the way a program\n"
          "instrumented with eventlog-socket does: one client at a time, each a fresh\n"
          "copy from the header; clients that connect meanwhile wait. LISTEN is\n"
          "unix:PATH or tcp:HOST:PORT (tcp:[::1]:PORT for IPv6; port 0 picks a free one).\n"
          "Prints 'listening on ADDR' on standard output once ready. FILE is read once\n"
          "first: a plain file is then re-read in place, other input is spooled\n"
          "(decompressed) to an unlinked file in $TMPDIR or /tmp, so memory stays small.\n"
          "\n"
          "Options:\n"
          "  --rate BYTES/S      send at most this many bytes per second (suffix k or M\n"
          "                      for 1024 or 1048576)\n"
          "  --realtime          send each event when its timestamp is due, counted from\n"
          "                      the first event\n"
          "  --speed FACTOR      with --realtime, run the clock FACTOR times faster\n"
          "  --cut-after N       close the connection abruptly after N bytes of the\n"
          "                      eventlog (a crashed program; may cut an event)\n"
          "  --stale-block       send a stale 24-byte block marker before the header,\n"
          "                      as GHC 9.0 does on reconnection\n"
          "  --clients N         exit after serving N clients\n"
          "  --hold              after the last byte, keep the connection open until the\n"
          "                      client closes it (a program still running)\n"
          "  --any-bytes         serve FILE even if it is not an eventlog (to test how\n"
          "                      clients handle garbage); it is refused otherwise\n"
          "  --control-log FILE  parse what clients send as control frames and write one\n"
          "                      line per frame ('client=1 namespace=eventlog-socket id=3')\n"
          "                      or run of other bytes ('client=1 garbage bytes=N offset=O')\n"
          "  -q, --quiet         no messages about clients on standard error\n"
          "  -h, --help          print this help\n"
          "\n"
          "Exit status: 0 after --clients N clients or SIGTERM/SIGINT, 1 on errors,\n"
          "2 on usage errors.\n",
          f);
}

/* A non-negative integer with an optional k/M (1024, 1048576) suffix. */
static bool parse_count(const char *s, bool suffix, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        return false;
    uint64_t mul = 1;
    if (suffix && (*end == 'k' || *end == 'K'))
        mul = 1024u, end++;
    else if (suffix && (*end == 'm' || *end == 'M'))
        mul = 1024u * 1024u, end++;
    if (*end != '\0' || v > UINT64_MAX / mul)
        return false;
    *out = (uint64_t)v * mul;
    return true;
}

/* LISTEN is a client address, except that a TCP port may be 0 (any free
 * port; the one chosen is printed). */
static int parse_listen(elog_socket_addr *a, const char *text)
{
    char err[ELOG_SOCKET_ERRLEN];
    size_t n = strlen(text);
    bool any_port = strncmp(text, "tcp:", 4) == 0 && n > 6 && strcmp(text + n - 2, ":0") == 0;
    char *copy = NULL;
    if (any_port) {
        copy = strdup(text);
        if (copy == NULL) {
            cli_error("replay: out of memory");
            return -1;
        }
        copy[n - 1] = '1';
    }
    elog_socket_status st = elog_socket_addr_parse(a, any_port ? copy : text, err, sizeof err);
    free(copy);
    if (st != ELOG_SOCKET_OK) {
        cli_usage_error("replay", "%s", err);
        return -1;
    }
    if (any_port)
        a->port = 0;
    return 0;
}

/* ---------------------------------------------------------------------------
 * The eventlog file, and its --realtime schedule
 * ------------------------------------------------------------------------- */

static int pace_event(elog_decoder *d, const elog_event *ev)
{
    replay *r = d->data;
    if (!r->realtime)
        return ELOG_CB_CONTINUE;
    if (r->n_pace > 0 && ev->time <= r->pace[r->n_pace - 1].time)
        return ELOG_CB_CONTINUE;
    if (r->n_pace == r->cap_pace) {
        size_t nc = r->cap_pace ? r->cap_pace * 2 : 1024;
        pace_point *np = realloc(r->pace, nc * sizeof *np);
        if (np == NULL) {
            r->pace_oom = true;
            return ELOG_CB_ABORT;
        }
        r->pace = np;
        r->cap_pace = nc;
    }
    r->pace[r->n_pace].offset = ev->offset;
    r->pace[r->n_pace].time = ev->time;
    r->n_pace++;
    return ELOG_CB_CONTINUE;
}

/* An unlinked file in $TMPDIR (or /tmp) for the decompressed stream. */
static int spool_open(const char *path)
{
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || *dir == '\0')
        dir = "/tmp";
    size_t cap = strlen(dir) + 32;
    char *name = malloc(cap);
    if (name == NULL)
        return -1;
    snprintf(name, cap, "%s/eventlog-replay.XXXXXX", dir);
    int fd = mkostemp(name, O_CLOEXEC);
    if (fd >= 0)
        unlink(name);
    else
        cli_error("replay: %s: cannot create a spool file in %s: %s", path, dir, strerror(errno));
    free(name);
    return fd;
}

/* Reads the log once, streaming: decodes it (input that is not an eventlog
 * is refused before anything is served; with --realtime, notes when each
 * event is due) and, unless it is a plain regular file that can be re-read
 * in place, spools the decompressed bytes to a temporary file. A log that
 * does not decode to the end past its header is still served whole; its
 * undecoded tail is not paced. */
static int load(replay *r, const char *path)
{
    elog_reader *rd;
    if (elog_reader_open(&rd, path, NULL) != ELOG_READER_OK) {
        cli_error("replay: %s", elog_reader_error(rd));
        elog_reader_close(rd);
        return -1;
    }
    elog_settings settings;
    elog_settings_init(&settings);
    settings.on_event = pace_event;
    settings.options = ELOG_OPT_LENIENT_BLOCKS;
    elog_decoder dec;
    elog_decoder_init(&dec, &settings, r);
    bool decoding = true, first = true, spooling = false;
    int rc = 0;
    uint64_t len = 0;
    for (;;) {
        const uint8_t *p;
        size_t n;
        if (elog_reader_read(rd, &p, &n) != ELOG_READER_OK) {
            cli_error("replay: %s", elog_reader_error(rd));
            rc = -1;
            break;
        }
        if (n == 0)
            break;
        if (first) {
            first = false;
            elog_reader_info info;
            elog_reader_get_info(rd, &info);
            spooling = !(info.regular && info.format == ELOG_READER_PLAIN);
            if (spooling) {
                r->fd = spool_open(path);
                r->base = 0;
            } else {
                r->fd = dup(info.fd);
                r->base = info.start;
                if (r->fd < 0)
                    cli_error("replay: %s: %s", path, strerror(errno));
            }
            if (r->fd < 0) {
                rc = -1;
                break;
            }
        }
        if (decoding && elog_execute(&dec, p, n).status != ELOG_OK) {
            decoding = false;
            if (r->pace_oom) {
                cli_error("replay: %s: out of memory", path);
                rc = -1;
                break;
            }
            if (elog_get_header(&dec) == NULL && !r->any_bytes) {
                cli_error("replay: %s: %s (at byte offset %llu); nothing to serve", path,
                          elog_get_error_reason(&dec),
                          (unsigned long long)elog_get_error_offset(&dec));
                rc = -1;
                break;
            }
            if (r->realtime)
                cli_warning("%s: %s (at byte offset %llu); events after it are sent without "
                            "pacing", path, elog_get_error_reason(&dec),
                            (unsigned long long)elog_get_error_offset(&dec));
        }
        if (spooling && cli_write_all(r->fd, p, n) != 0) {
            cli_error("replay: %s: cannot spool the decompressed log: %s", path,
                      strerror(errno));
            rc = -1;
            break;
        }
        len += n;
    }
    elog_end end = elog_finish(&dec);
    elog_decoder_free(&dec);
    elog_reader_close(rd);
    if (rc == 0 && !r->any_bytes &&
        (end.kind == ELOG_END_EMPTY || (decoding && end.kind == ELOG_END_ERROR))) {
        cli_error("replay: %s: %s; nothing to serve", path,
                  end.kind == ELOG_END_EMPTY ? "empty input, not an eventlog"
                                             : "not an eventlog");
        rc = -1;
    }
    if (rc == 0 && decoding && r->realtime && end.kind != ELOG_END_CLEAN)
        cli_warning("%s: the log is %s; served as it is", path, elog_end_kind_name(end.kind));
    r->size = len;
    return rc;
}

/* ---------------------------------------------------------------------------
 * Listening
 * ------------------------------------------------------------------------- */

static int listen_unix(replay *r)
{
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, r->addr.path, strlen(r->addr.path) + 1);

    struct stat st;
    if (lstat(r->addr.path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            cli_error("replay: %s: exists and is not a socket", r->addr.path);
            return -1;
        }
        /* A socket file: in use if something accepts on it, else stale. */
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0) {
            int c = connect(probe, (struct sockaddr *)&sun, sizeof sun);
            close(probe);
            if (c == 0) {
                cli_error("replay: %s: a server is already listening there", r->addr.path);
                return -1;
            }
        }
        unlink(r->addr.path);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        cli_error("replay: socket: %s", strerror(errno));
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
        cli_error("replay: %s: cannot bind: %s", r->addr.path, strerror(errno));
        close(fd);
        return -1;
    }
    r->unlink_path = true;
    r->listen_fd = fd;
    return 0;
}

static int listen_tcp(replay *r)
{
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)r->addr.port);
    struct addrinfo hints, *list;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int g = getaddrinfo(r->addr.host, port, &hints, &list);
    if (g != 0) {
        cli_error("replay: %s: cannot resolve: %s", r->addr.host, gai_strerror(g));
        return -1;
    }
    int err = 0;
    for (struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            err = errno;
            close(fd);
            continue;
        }
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
            if (ss.ss_family == AF_INET)
                r->addr.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
            else if (ss.ss_family == AF_INET6)
                r->addr.port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
        r->listen_fd = fd;
        freeaddrinfo(list);
        return 0;
    }
    freeaddrinfo(list);
    cli_error("replay: %s:%s: cannot bind: %s", r->addr.host, port, strerror(err));
    return -1;
}

static void close_listener(replay *r)
{
    if (r->listen_fd >= 0)
        close(r->listen_fd);
    r->listen_fd = -1;
    if (r->unlink_path)
        unlink(r->addr.path);
    r->unlink_path = false;
}

/* poll() that a SIGTERM/SIGINT interrupts. Returns poll's result, or -1
 * with stop_signal set. */
static int wait_fds(replay *r, struct pollfd *fds, nfds_t n, int timeout_ms)
{
    if (stop_signal)
        return -1;
    struct timespec ts, *tp = NULL;
    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
        tp = &ts;
    }
    int rc = ppoll(fds, n, tp, &r->wait_mask);
    if (rc < 0 && errno == EINTR)
        return stop_signal ? -1 : 0;
    return rc;
}

/* ---------------------------------------------------------------------------
 * Serving one client
 * ------------------------------------------------------------------------- */

typedef struct client {
    unsigned number;
    int fd;
    elog_control_reader ctl;
    uint64_t received;
} client;

static void log_line(replay *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void log_line(replay *r, const char *fmt, ...)
{
    if (r->control_log == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(r->control_log, fmt, ap);
    va_end(ap);
    fflush(r->control_log);
}

static void log_item(replay *r, const client *c, const elog_control_item *it)
{
    switch (it->kind) {
    case ELOG_CONTROL_FRAME: {
        /* Bytes outside printable ASCII, spaces and backslashes as \xNN. */
        char ns[4 * ELOG_CONTROL_NAMESPACE_MAX + 1];
        size_t o = 0;
        for (size_t i = 0; i < it->ns.len; i++) {
            uint8_t b = it->ns.ptr[i];
            if (b > 0x20 && b < 0x7f && b != '\\')
                ns[o++] = (char)b;
            else
                o += (size_t)snprintf(ns + o, sizeof ns - o, "\\x%02x", b);
        }
        ns[o] = '\0';
        log_line(r, "client=%u namespace=%s id=%u\n", c->number, ns, (unsigned)it->id);
        break;
    }
    case ELOG_CONTROL_GARBAGE:
        log_line(r, "client=%u garbage bytes=%llu offset=%llu\n", c->number,
                 (unsigned long long)it->length, (unsigned long long)it->offset);
        break;
    case ELOG_CONTROL_TRUNCATED:
        log_line(r, "client=%u truncated bytes=%llu offset=%llu\n", c->number,
                 (unsigned long long)it->length, (unsigned long long)it->offset);
        break;
    default:
        break;
    }
}

/* Reads what the client sent. Returns 1 if it may send more, 0 at its end of
 * stream (or a reset). */
static int read_client(replay *r, client *c)
{
    uint8_t buf[4096];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 1;
        if (n <= 0)
            return 0;
        c->received += (uint64_t)n;
        const uint8_t *p = buf;
        size_t len = (size_t)n;
        for (;;) {
            elog_control_item it;
            size_t k = elog_control_reader_feed(&c->ctl, p, len, &it);
            p += k;
            len -= k;
            if (it.kind == ELOG_CONTROL_NONE)
                break;
            log_item(r, c, &it);
        }
    }
}

static void end_client(replay *r, client *c)
{
    elog_control_item it;
    while (elog_control_reader_end(&c->ctl, &it))
        log_item(r, c, &it);
    close(c->fd);
    c->fd = -1;
}

/* Collects what the writer writes (stale_block). */
typedef struct mem_out {
    uint8_t buf[256];
    size_t len;
} mem_out;

static int mem_sink(void *ctx, const uint8_t *p, size_t n)
{
    mem_out *m = ctx;
    if (n > sizeof m->buf - m->len)
        return -1;
    memcpy(m->buf + m->len, p, n);
    m->len += n;
    return 0;
}

/* A 24-byte BLOCK_MARKER (id 18) from "the previous session": an empty
 * block of cap 0 at 10 ms, encoded by the library's writer (the record after
 * a one-type header). */
static void stale_block(uint8_t out[STALE_BLOCK_SIZE])
{
    mem_out m = {{0}, 0};
    elog_log_writer *w;
    elog_log_writer_options wo = {.flags = ELOG_LOG_WRITER_VERBATIM};
    elog_fields f;
    memset(&f, 0, sizeof f);
    f.block_marker.block_size = STALE_BLOCK_SIZE;
    f.block_marker.end_time = 10000000;
    f.block_marker.cap = 0;
    /* None of this can fail: a fixed layout into a large enough buffer. */
    if (elog_log_writer_open(&w, &wo, mem_sink, &m) != ELOG_OK)
        abort();
    if (elog_log_writer_declare_known(w, ELOG_EV_BLOCK_MARKER) != ELOG_OK ||
        elog_log_writer_begin_data(w) != ELOG_OK)
        abort();
    uint64_t data = elog_log_writer_offset(w);
    if (elog_log_writer_event(w, 0, ELOG_EV_BLOCK_MARKER, 10000000, &f) != ELOG_OK ||
        elog_log_writer_finish(w, NULL) != ELOG_OK || m.len != data + STALE_BLOCK_SIZE + 2)
        abort();
    elog_log_writer_free(w);
    memcpy(out, m.buf + data, STALE_BLOCK_SIZE);
}

enum { C_SENDING, C_HOLD, C_DRAIN };

/* Serves one accepted client. Returns 0, or -1 if a signal asked to stop. */
static int serve(replay *r, client *c)
{
    uint8_t stale[STALE_BLOCK_SIZE];
    static uint8_t chunk[SEND_CHUNK];
    stale_block(stale);
    size_t stale_len = r->stale_block ? STALE_BLOCK_SIZE : 0, stale_pos = 0;
    uint64_t end = r->cut_after < r->size ? r->cut_after : r->size;
    bool cut = end < r->size;
    uint64_t pos = 0, sent = 0;
    size_t pace_i = 0;
    uint64_t first_time = r->n_pace > 0 ? r->pace[0].time : 0;
    uint64_t start = now_ns();
    uint64_t drain_deadline = 0;
    int phase = C_SENDING;
    int rc = 0;

    for (;;) {
        if (phase == C_SENDING && stale_pos == stale_len && pos == end) {
            if (cut) {
                (void)read_client(r, c);   /* unread input would turn close into a reset */
                note(r, "client %u: cut after %llu bytes", c->number, (unsigned long long)pos);
                break;
            }
            note(r, "client %u: sent all %llu bytes", c->number, (unsigned long long)pos);
            if (r->hold) {
                phase = C_HOLD;
            } else {
                (void)shutdown(c->fd, SHUT_WR);
                phase = C_DRAIN;
                drain_deadline = now_ns() + (uint64_t)DRAIN_MS * 1000000u;
            }
        }
        uint64_t now = now_ns();
        int timeout = -1;
        size_t can_send = 0;
        if (phase == C_SENDING) {
            /* How far the schedule allows. */
            uint64_t limit = end;
            if (r->realtime) {
                while (pace_i < r->n_pace) {
                    double due = (double)(r->pace[pace_i].time - first_time) / r->speed;
                    if ((double)(now - start) < due) {
                        double wait = (due - (double)(now - start)) / 1e6;
                        timeout = (int)wait + 1;
                        break;
                    }
                    pace_i++;
                }
                if (pace_i < r->n_pace && r->pace[pace_i].offset < limit)
                    limit = r->pace[pace_i].offset;
            }
            uint64_t avail = (stale_len - stale_pos) + (limit > pos ? limit - pos : 0);
            if (r->rate > 0) {
                double allowed = (double)r->rate * (double)(now - start) / 1e9 - (double)sent;
                /* At least 1/50 s worth per send, so a slow rate is not a
                 * stream of tiny writes. */
                uint64_t min_chunk = r->rate / 50 > 0 ? r->rate / 50 : 1;
                if (min_chunk > avail)
                    min_chunk = avail;
                if (allowed < (double)min_chunk) {
                    int t = (int)(((double)min_chunk - allowed) * 1000.0 / (double)r->rate) + 1;
                    if (timeout < 0 || t < timeout)
                        timeout = t;
                    avail = 0;
                } else if ((double)avail > allowed) {
                    avail = (uint64_t)allowed;
                }
            }
            can_send = avail > SEND_CHUNK ? SEND_CHUNK : (size_t)avail;
        } else if (phase == C_DRAIN) {
            timeout = now >= drain_deadline ? 0 : (int)((drain_deadline - now) / 1000000u) + 1;
        }

        struct pollfd p = {c->fd, (short)(POLLIN | (can_send > 0 ? POLLOUT : 0)), 0};
        int n = wait_fds(r, &p, 1, timeout);
        if (n < 0) {
            rc = stop_signal ? -1 : 0;
            if (!stop_signal)
                note(r, "client %u: poll: %s", c->number, strerror(errno));
            break;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            if (!read_client(r, c)) {
                if (phase == C_SENDING)
                    note(r, "client %u went away after %llu bytes", c->number,
                         (unsigned long long)pos);
                break;
            }
        }
        if (phase == C_DRAIN && now_ns() >= drain_deadline)
            break;
        if ((p.revents & POLLOUT) && can_send > 0) {
            const uint8_t *src;
            size_t len;
            if (stale_pos < stale_len) {
                src = stale + stale_pos;
                len = stale_len - stale_pos;
            } else {
                len = can_send;
                size_t got = 0;
                errno = 0;
                if (cli_pread_full(r->fd, chunk, len, r->base + pos, &got) != 0 || got == 0) {
                    note(r, "client %u: cannot read the log at offset %llu: %s", c->number,
                         (unsigned long long)pos, got == 0 && errno == 0 ? "it shrank"
                                                                          : strerror(errno));
                    break;
                }
                src = chunk;
                len = got;
            }
            if (len > can_send)
                len = can_send;
            ssize_t w = send(c->fd, src, len, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
                continue;
            if (w < 0) {
                note(r, "client %u: send failed after %llu bytes: %s", c->number,
                     (unsigned long long)pos, strerror(errno));
                break;
            }
            sent += (uint64_t)w;
            if (stale_pos < stale_len)
                stale_pos += (size_t)w;
            else
                pos += (uint64_t)w;
        }
    }
    end_client(r, c);
    return rc;
}

static int accept_loop(replay *r)
{
    unsigned served = 0;
    while (r->max_clients == 0 || served < r->max_clients) {
        struct pollfd p = {r->listen_fd, POLLIN, 0};
        int n = wait_fds(r, &p, 1, -1);
        if (n < 0)
            return stop_signal ? 0 : CLI_EXIT_BAD_INPUT;
        if (n == 0)
            continue;
        int fd = accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED)
                continue;
            cli_error("replay: accept: %s", strerror(errno));
            return CLI_EXIT_BAD_INPUT;
        }
        client c;
        memset(&c, 0, sizeof c);
        c.number = ++served;
        c.fd = fd;
        elog_control_reader_init(&c.ctl);
        note(r, "client %u connected", c.number);
        if (serve(r, &c) < 0)
            return 0;
    }
    return 0;
}

int cmd_replay(int argc, char **argv)
{
    enum { O_RATE = 256, O_REALTIME, O_SPEED, O_CUT, O_STALE, O_CLIENTS, O_HOLD, O_CTL,
           O_ANY };
    static const struct option longopts[] = {
        {"rate", required_argument, NULL, O_RATE},
        {"realtime", no_argument, NULL, O_REALTIME},
        {"speed", required_argument, NULL, O_SPEED},
        {"cut-after", required_argument, NULL, O_CUT},
        {"stale-block", no_argument, NULL, O_STALE},
        {"clients", required_argument, NULL, O_CLIENTS},
        {"hold", no_argument, NULL, O_HOLD},
        {"any-bytes", no_argument, NULL, O_ANY},
        {"control-log", required_argument, NULL, O_CTL},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    replay r;
    memset(&r, 0, sizeof r);
    r.speed = 1.0;
    r.cut_after = UINT64_MAX;
    r.listen_fd = -1;
    r.fd = -1;

    optind = 0;   /* full re-initialisation: main() may have run getopt */
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (ch) {
        case O_RATE:
            if (!parse_count(optarg, true, &r.rate) || r.rate == 0)
                return cli_usage_error("replay", "--rate: '%s' is not a positive number of bytes per second",
                                   optarg);
            break;
        case O_REALTIME:
            r.realtime = true;
            break;
        case O_SPEED: {
            char *e;
            r.speed = strtod(optarg, &e);
            if (*optarg == '\0' || *e != '\0' || !(r.speed > 0))
                return cli_usage_error("replay", "--speed: '%s' is not a positive factor", optarg);
            break;
        }
        case O_CUT:
            if (!parse_count(optarg, false, &r.cut_after))
                return cli_usage_error("replay", "--cut-after: '%s' is not a number of bytes", optarg);
            break;
        case O_STALE:
            r.stale_block = true;
            break;
        case O_CLIENTS:
            if (!parse_count(optarg, false, &r.max_clients) || r.max_clients == 0)
                return cli_usage_error("replay", "--clients: '%s' is not a positive number", optarg);
            break;
        case O_HOLD:
            r.hold = true;
            break;
        case O_ANY:
            r.any_bytes = true;
            break;
        case O_CTL:
            r.control_log_path = optarg;
            break;
        case 'q':
            r.quiet = true;
            break;
        case 'h':
            usage(stdout);
            return cli_stdout_done("the help");
        default:
            if (optopt != 0 && optopt < 256) {
                char s[3] = {'-', (char)optopt, 0};
                return cli_usage_error("replay", "unknown option '%s'", s);
            }
            if (optopt >= 256)
                return cli_usage_error("replay", "option '%s' needs an argument", argv[optind - 1]);
            return cli_usage_error("replay", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return cli_usage_error("replay", "%s", argc - optind < 2 ? "missing FILE or LISTEN address"
                                                   : "too many arguments (FILE LISTEN expected)");
    const char *path = argv[optind], *listen_text = argv[optind + 1];
    if (parse_listen(&r.addr, listen_text) != 0)
        return CLI_EXIT_USAGE;

    if (load(&r, path) != 0)
        return CLI_EXIT_BAD_INPUT;
    int rc = CLI_EXIT_BAD_INPUT;
    if (r.control_log_path != NULL) {
        r.control_log = fopen(r.control_log_path, "w");
        if (r.control_log == NULL) {
            cli_error("replay: %s: cannot open: %s", r.control_log_path, strerror(errno));
            goto out;
        }
    }

    /* Signals: blocked, except inside ppoll(). */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &r.wait_mask);
    sigdelset(&r.wait_mask, SIGTERM);
    sigdelset(&r.wait_mask, SIGINT);

    if ((r.addr.kind == ELOG_SOCKET_ADDR_UNIX ? listen_unix(&r) : listen_tcp(&r)) != 0)
        goto out;
    if (listen(r.listen_fd, 5) != 0) {
        cli_error("replay: listen: %s", strerror(errno));
        goto out;
    }
    char text[ELOG_SOCKET_ADDR_STRLEN];
    elog_socket_addr_format(&r.addr, text, sizeof text);
    printf("listening on %s\n", text);
    if (fflush(stdout) != 0) {
        cli_error("replay: standard output: %s", strerror(errno));
        goto out;
    }
    rc = accept_loop(&r);
    if (stop_signal)
        note(&r, "stopped by signal %d", (int)stop_signal);

out:
    close_listener(&r);
    if (r.control_log != NULL && fclose(r.control_log) != 0) {
        cli_error("replay: %s: %s", r.control_log_path, strerror(errno));
        rc = CLI_EXIT_BAD_INPUT;
    }
    free(r.pace);
    if (r.fd >= 0)
        close(r.fd);
    return rc;
}
