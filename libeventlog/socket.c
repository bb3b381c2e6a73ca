/*
 * The eventlog-socket client (docs/SOCKET-PROTOCOL.md): a non-blocking state
 * machine that connects with retries, turns every connection into a session
 * (decoder reset, bytes before "hdrb" skipped), feeds what it reads to the
 * decoder at once, and sends control frames.
 *
 *   IDLE --pump--> attempt --ok--> CONNECTED --EOF/error--> WAITING (reconnect)
 *                     |  \--in progress (TCP)--> CONNECTING --> ...    or CLOSED
 *                     \--failed--> WAITING --delay--> attempt ...
 *
 * The client owns its decoder and installs its own event callbacks (which
 * record event times for the gap report, then call the user's); they find
 * the client from the decoder by container_of, so d->data stays the user's.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "allocator_internal.h"
#include "eventlog/socket.h"

#define MIN_READ_SIZE 64u
#define STOP_POLL_MS 100

static const uint8_t header_magic[4] = {'h', 'd', 'r', 'b'};

struct elog_socket {
    elog_decoder dec;               /* first: callbacks get back to us from it */
    elog_settings settings;         /* the user's, with our event callbacks */
    elog_event_cb user_on_event;
    elog_event_cb user_on_block;
    elog_socket_options opt;
    elog_socket_addr addr;
    char addr_text[ELOG_SOCKET_ADDR_STRLEN];
    const elog_allocator *alloc;
    void *user_data;

    elog_socket_state state;
    int fd;

    /* The connect cycle. */
    unsigned attempt;               /* attempts made so far in this cycle */
    uint64_t cycle_start_ns;
    uint64_t next_attempt_ns;       /* WAITING */
    uint64_t attempt_deadline_ns;   /* CONNECTING */
    uint32_t delay_ms;              /* the delay after the next failure */
    struct addrinfo *ai_list, *ai_next;
    int attempt_errno;              /* the last failure within this attempt */

    /* The session. */
    elog_socket_session session;
    unsigned sessions;
    unsigned short_sessions;        /* consecutive sessions that were not healthy */
    uint64_t rng;                   /* xorshift64 state for the jitter */
    bool seeking;                   /* looking for "hdrb" */
    uint8_t magic_have;             /* bytes of "hdrb" matched, held back */
    uint64_t connected_ns;
    bool gap_pending;
    bool prev_has_time;
    unsigned prev_number;
    uint64_t prev_max_time;
    uint64_t disconnected_ns;

    /* Reading. */
    uint8_t *buf;
    size_t buf_pos, buf_len;        /* bytes held back after a pause */
    bool more;                      /* the budget ran out: pump again at once */
    unsigned busy;                  /* inside callbacks */
    bool close_requested;

    char errmsg[512];
    int err;
};

/* ---------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t ms_ns(uint64_t ms)
{
    return ms * 1000000u;
}

/* `ms` less a random part of up to jitter_percent of it, so that many
 * clients of one restarting server do not reconnect in lockstep. */
static uint64_t jittered(elog_socket *s, uint64_t ms)
{
    uint32_t pct = s->opt.jitter_percent > 100 ? 100 : s->opt.jitter_percent;
    if (pct == 0 || ms == 0)
        return ms;
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    uint64_t span = ms * pct / 100u;
    return ms - (span == 0 ? 0 : s->rng % (span + 1));
}

/* Milliseconds from now until `t`, rounded up, clamped to [0, INT32_MAX]. */
static int ms_until(uint64_t t, uint64_t now)
{
    if (t <= now)
        return 0;
    uint64_t ms = (t - now + 999999u) / 1000000u;
    return ms > 0x7fffffffu ? 0x7fffffff : (int)ms;
}

static elog_socket_status set_error(elog_socket *s, elog_socket_status st, int err,
                                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static elog_socket_status set_error(elog_socket *s, elog_socket_status st, int err,
                                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errmsg, sizeof s->errmsg, fmt, ap);
    va_end(ap);
    s->err = err;
    return st;
}

static void close_fd(elog_socket *s)
{
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
}

static void free_ai(elog_socket *s)
{
    if (s->ai_list != NULL) {
        freeaddrinfo(s->ai_list);
        s->ai_list = s->ai_next = NULL;
    }
}

static void *xalloc(const elog_allocator *a, size_t n)
{
    return a->alloc(a->ctx, n);
}

static void xfree(const elog_allocator *a, void *p, size_t n)
{
    if (p != NULL)
        a->free(a->ctx, p, n);
}

/* ---------------------------------------------------------------------------
 * Event callbacks installed in the decoder
 * ------------------------------------------------------------------------- */

static elog_socket *from_decoder(elog_decoder *d)
{
    return (elog_socket *)(void *)((char *)d - offsetof(elog_socket, dec));
}

elog_socket *elog_socket_from_decoder(elog_decoder *d)
{
    return from_decoder(d);
}

static void observe(elog_socket *s, const elog_event *ev)
{
    elog_socket_session *ss = &s->session;
    if (!ss->has_time) {
        ss->has_time = true;
        ss->first_time = ss->max_time = ev->time;
        if (s->gap_pending) {
            s->gap_pending = false;
            if (s->opt.on_gap != NULL) {
                elog_socket_gap g;
                g.prev_session = s->prev_number;
                g.session = ss->number;
                g.prev_max_time = s->prev_max_time;
                g.first_time = ev->time;
                g.gap_ns = (int64_t)(ev->time - s->prev_max_time);
                g.disconnected_ns = s->connected_ns - s->disconnected_ns;
                s->opt.on_gap(s, &g);
            }
        }
    } else if (ev->time > ss->max_time) {
        ss->max_time = ev->time;
    }
    ss->events++;
}

static int forward(elog_socket *s, elog_event_cb cb, elog_decoder *d, const elog_event *ev)
{
    observe(s, ev);
    int rc = cb != NULL ? cb(d, ev) : ELOG_CB_CONTINUE;
    if (rc == ELOG_CB_CONTINUE && s->close_requested)
        rc = ELOG_CB_PAUSE;
    return rc;
}

static int on_event_wrap(elog_decoder *d, const elog_event *ev)
{
    elog_socket *s = from_decoder(d);
    return forward(s, s->user_on_event, d, ev);
}

static int on_block_wrap(elog_decoder *d, const elog_event *ev)
{
    elog_socket *s = from_decoder(d);
    return forward(s, s->user_on_block, d, ev);
}

/* ---------------------------------------------------------------------------
 * Creation
 * ------------------------------------------------------------------------- */

void elog_socket_options_init(elog_socket_options *o)
{
    memset(o, 0, sizeof *o);
    o->initial_delay_ms = 100;
    o->max_delay_ms = 2000;
    o->max_attempts = 0;
    o->max_wait_ms = 10000;
    o->connect_timeout_ms = 5000;
    o->reconnect = false;
    o->healthy_session_ms = 5000;
    o->jitter_percent = 20;
    o->read_size = 65536;
    o->pump_budget = 1u << 20;
    o->max_skip = 65536;
    o->send_timeout_ms = 5000;
}

elog_socket *elog_socket_new(const elog_socket_addr *addr, const elog_socket_options *opt,
                             const elog_settings *settings, void *data)
{
    elog_socket_options defaults;
    if (opt == NULL) {
        elog_socket_options_init(&defaults);
        opt = &defaults;
    }
    if (addr == NULL || settings == NULL || opt->read_size < MIN_READ_SIZE)
        return NULL;
    const elog_allocator *a = elog__allocator_or_libc(settings->allocator);
    elog_socket *s = xalloc(a, sizeof *s);
    if (s == NULL)
        return NULL;
    memset(s, 0, sizeof *s);
    s->buf = xalloc(a, opt->read_size);
    if (s->buf == NULL) {
        xfree(a, s, sizeof *s);
        return NULL;
    }
    s->alloc = a;
    s->opt = *opt;
    if (s->opt.pump_budget == 0)
        s->opt.pump_budget = s->opt.read_size;
    if (s->opt.max_delay_ms < s->opt.initial_delay_ms)
        s->opt.max_delay_ms = s->opt.initial_delay_ms;
    s->addr = *addr;
    elog_socket_addr_format(&s->addr, s->addr_text, sizeof s->addr_text);
    s->settings = *settings;
    s->user_on_event = settings->on_event;
    s->user_on_block = settings->on_block;
    s->settings.on_event = on_event_wrap;
    s->settings.on_block = settings->on_block != NULL ? on_block_wrap : NULL;
    s->user_data = data;
    s->fd = -1;
    s->state = ELOG_SOCKET_STATE_IDLE;
    s->rng = now_ns() ^ (uint64_t)(uintptr_t)s ^ 0x9e3779b97f4a7c15u;
    if (s->rng == 0)
        s->rng = 1;
    elog_decoder_init(&s->dec, &s->settings, data);
    return s;
}

void elog_socket_free(elog_socket *s)
{
    if (s == NULL || s->busy)
        return;
    close_fd(s);
    free_ai(s);
    elog_decoder_free(&s->dec);
    const elog_allocator *a = s->alloc;
    xfree(a, s->buf, s->opt.read_size);
    xfree(a, s, sizeof *s);
}

/* ---------------------------------------------------------------------------
 * Sessions
 * ------------------------------------------------------------------------- */

static void start_cycle(elog_socket *s, uint64_t now)
{
    s->state = ELOG_SOCKET_STATE_WAITING;
    s->attempt = 0;
    s->cycle_start_ns = now;
    s->next_attempt_ns = now;
    s->delay_ms = s->opt.initial_delay_ms;
}

static void start_session(elog_socket *s)
{
    s->state = ELOG_SOCKET_STATE_CONNECTED;
    free_ai(s);
    elog_decoder_reset(&s->dec);
    memset(&s->session, 0, sizeof s->session);
    s->session.number = ++s->sessions;
    s->session.address = s->addr_text;
    s->seeking = true;
    s->magic_have = 0;
    s->buf_pos = s->buf_len = 0;
    s->more = false;
    s->connected_ns = now_ns();
    s->gap_pending = s->prev_has_time;
    s->errmsg[0] = '\0';
    s->err = 0;
    if (s->opt.on_connected != NULL) {
        s->busy++;
        s->opt.on_connected(s, &s->session);
        s->busy--;
    }
}

static void report_skipped(elog_socket *s, uint64_t n)
{
    if (n > 0 && s->opt.on_skipped != NULL) {
        s->busy++;
        s->opt.on_skipped(s, &s->session, n);
        s->busy--;
    }
}

/* Hands bytes about to be decoded to on_data. Returns false if the callback
 * closed the client: the bytes are then not decoded. */
static bool tap(elog_socket *s, const uint8_t *p, size_t n)
{
    if (n == 0 || s->opt.on_data == NULL)
        return true;
    s->busy++;
    s->opt.on_data(s, &s->session, p, n);
    s->busy--;
    return !s->close_requested;
}

/* Ends the session: callbacks, then a new connect cycle or CLOSED. */
static void end_session(elog_socket *s, int err)
{
    if (s->seeking) {
        s->seeking = false;
        report_skipped(s, s->session.skipped);
        /* The stream ended inside what may be "hdrb": the decoder calls it a
         * header cut short. */
        if (s->magic_have > 0) {
            (void)tap(s, header_magic, s->magic_have);   /* decoded even if closed */
            (void)elog_execute(&s->dec, header_magic, s->magic_have);
        }
        s->magic_have = 0;
    }
    elog_end end = elog_finish(&s->dec);
    s->session.error = err;
    close_fd(s);
    s->buf_pos = s->buf_len = 0;
    s->more = false;
    uint64_t now = now_ns();
    s->disconnected_ns = now;
    if (s->session.has_time) {
        s->prev_has_time = true;
        s->prev_number = s->session.number;
        s->prev_max_time = s->session.max_time;
    }
    s->state = ELOG_SOCKET_STATE_CLOSED;
    /* Healthy: it lived a while and delivered events. Anything else (a
     * failed header, a cut event, a peer that closes at once) counts as a
     * short session, and consecutive ones back off exponentially. */
    bool healthy = s->session.events > 0 &&
                   now - s->connected_ns >= ms_ns(s->opt.healthy_session_ms);
    s->short_sessions = healthy ? 0 : s->short_sessions + 1;
    if (s->opt.on_disconnected != NULL) {
        s->busy++;
        s->opt.on_disconnected(s, &s->session, &end);
        s->busy--;
    }
    if (s->opt.reconnect && !s->close_requested) {
        start_cycle(s, now);
        /* At once after a healthy session (the program restarted); after
         * n short ones, initial_delay_ms * 2^(n-1) up to max_delay_ms, less
         * the jitter. Failed attempts of the cycle go on from there. */
        uint64_t delay = 0;
        for (unsigned i = 0; i < s->short_sessions && delay < s->opt.max_delay_ms; i++)
            delay = delay == 0 ? s->opt.initial_delay_ms : delay * 2u;
        if (delay > s->opt.max_delay_ms)
            delay = s->opt.max_delay_ms;
        if (delay > 0) {
            uint64_t doubled = delay * 2u;
            s->delay_ms = doubled > s->opt.max_delay_ms ? s->opt.max_delay_ms : (uint32_t)doubled;
        }
        s->next_attempt_ns = now + ms_ns(jittered(s, delay));
    }
}

/* ---------------------------------------------------------------------------
 * Connecting
 * ------------------------------------------------------------------------- */

/* Errors after which another attempt cannot help. */
static bool fatal_connect_errno(int e)
{
    switch (e) {
    case EACCES:
    case EPERM:
    case ENOTDIR:
    case ENAMETOOLONG:
    case ELOOP:
    case EAFNOSUPPORT:
    case EPROTOTYPE:
    case EPROTONOSUPPORT:
    case EINVAL:
        return true;
    default:
        return false;
    }
}

static elog_socket_status attempt_failed(elog_socket *s, int e)
{
    close_fd(s);
    free_ai(s);
    uint64_t now = now_ns();
    uint64_t elapsed = now - s->cycle_start_ns;
    bool out_of_attempts = s->opt.max_attempts != 0 && s->attempt >= s->opt.max_attempts;
    bool out_of_time = s->opt.max_wait_ms != 0 && elapsed >= ms_ns(s->opt.max_wait_ms);
    if (fatal_connect_errno(e) || out_of_attempts || out_of_time) {
        s->state = ELOG_SOCKET_STATE_IDLE;
        return set_error(s, ELOG_SOCKET_E_CONNECT, e,
                         "could not connect to %s after %u attempt%s over %.1f s: %s",
                         s->addr_text, s->attempt, s->attempt == 1 ? "" : "s",
                         (double)elapsed / 1e9, strerror(e));
    }
    uint64_t next = now + ms_ns(jittered(s, s->delay_ms));
    if (s->opt.max_wait_ms != 0 && next > s->cycle_start_ns + ms_ns(s->opt.max_wait_ms))
        next = s->cycle_start_ns + ms_ns(s->opt.max_wait_ms);
    s->next_attempt_ns = next;
    s->state = ELOG_SOCKET_STATE_WAITING;
    uint32_t delay = (uint32_t)((next - now) / 1000000u);
    uint64_t doubled = (uint64_t)s->delay_ms * 2u;
    s->delay_ms = doubled > s->opt.max_delay_ms ? s->opt.max_delay_ms : (uint32_t)doubled;
    if (s->opt.on_retry != NULL) {
        elog_socket_retry r = {s->attempt, e, delay, elapsed};
        s->busy++;
        s->opt.on_retry(s, &r);
        s->busy--;
        if (s->close_requested) {
            s->state = ELOG_SOCKET_STATE_CLOSED;
            return ELOG_SOCKET_CLOSED;
        }
    }
    return ELOG_SOCKET_WOULD_BLOCK;
}

static void tune(int fd, int family)
{
    if (family == AF_INET || family == AF_INET6) {
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
}

/* Tries the remaining resolved TCP addresses; OK when one connected,
 * WOULD_BLOCK when one is in progress (CONNECTING) or the attempt failed. */
static elog_socket_status try_tcp(elog_socket *s)
{
    while (s->ai_next != NULL) {
        struct addrinfo *ai = s->ai_next;
        s->ai_next = ai->ai_next;
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        ai->ai_protocol);
        if (fd < 0) {
            s->attempt_errno = errno;
            continue;
        }
        tune(fd, ai->ai_family);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            s->fd = fd;
            return ELOG_SOCKET_OK;
        }
        if (errno == EINPROGRESS || errno == EINTR) {
            s->fd = fd;
            s->state = ELOG_SOCKET_STATE_CONNECTING;
            s->attempt_deadline_ns = now_ns() + ms_ns(s->opt.connect_timeout_ms);
            return ELOG_SOCKET_WOULD_BLOCK;
        }
        s->attempt_errno = errno;
        close(fd);
    }
    return attempt_failed(s, s->attempt_errno);
}

/* One attempt. OK: connected (the session is not started yet). */
static elog_socket_status attempt(elog_socket *s)
{
    s->attempt++;
    if (s->addr.kind == ELOG_SOCKET_ADDR_UNIX) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            s->state = ELOG_SOCKET_STATE_IDLE;
            return set_error(s, ELOG_SOCKET_E_IO, errno, "could not create a socket for %s: %s",
                             s->addr_text, strerror(errno));
        }
        struct sockaddr_un sun;
        memset(&sun, 0, sizeof sun);
        sun.sun_family = AF_UNIX;
        memcpy(sun.sun_path, s->addr.path, strlen(s->addr.path) + 1);
        int rc;
        do
            rc = connect(fd, (struct sockaddr *)&sun, sizeof sun);
        while (rc != 0 && errno == EINTR);
        if (rc == 0) {
            s->fd = fd;
            return ELOG_SOCKET_OK;
        }
        int e = errno;
        close(fd);
        return attempt_failed(s, e);
    }

    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)s->addr.port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    free_ai(s);
    int g = getaddrinfo(s->addr.host, port, &hints, &s->ai_list);
    if (g != 0) {
        s->ai_list = NULL;
        if (g == EAI_AGAIN)
            return attempt_failed(s, EAGAIN);
        s->state = ELOG_SOCKET_STATE_IDLE;
        return set_error(s, ELOG_SOCKET_E_ADDRESS, g == EAI_SYSTEM ? errno : 0,
                         "could not resolve the host of %s: %s", s->addr_text,
                         g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
    }
    s->ai_next = s->ai_list;
    s->attempt_errno = ECONNREFUSED;
    return try_tcp(s);
}

/* CONNECTING: has the TCP connect finished? */
static elog_socket_status check_connecting(elog_socket *s)
{
    struct pollfd p = {s->fd, POLLOUT, 0};
    int n = poll(&p, 1, 0);
    if (n == 0 || (n < 0 && errno == EINTR)) {
        if (now_ns() < s->attempt_deadline_ns)
            return ELOG_SOCKET_WOULD_BLOCK;
        close_fd(s);
        s->attempt_errno = ETIMEDOUT;
        return try_tcp(s);
    }
    int e = 0;
    socklen_t len = sizeof e;
    if (n < 0)
        e = errno;
    else if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
        e = errno;
    if (e == 0)
        return ELOG_SOCKET_OK;
    close_fd(s);
    s->attempt_errno = e;
    return try_tcp(s);
}

/* Moves the connect cycle on. OK: a session has just started. */
static elog_socket_status connect_step(elog_socket *s)
{
    elog_socket_status st;
    switch (s->state) {
    case ELOG_SOCKET_STATE_IDLE:
        start_cycle(s, now_ns());
        /* fall through */
    case ELOG_SOCKET_STATE_WAITING:
        if (now_ns() < s->next_attempt_ns)
            return ELOG_SOCKET_WOULD_BLOCK;
        st = attempt(s);
        break;
    case ELOG_SOCKET_STATE_CONNECTING:
        st = check_connecting(s);
        break;
    case ELOG_SOCKET_STATE_CONNECTED:
        return ELOG_SOCKET_OK;
    default:
        return ELOG_SOCKET_CLOSED;
    }
    if (st == ELOG_SOCKET_OK)
        start_session(s);
    return st;
}

/* ---------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------- */

/* After the decoder stopped at an error: end the session. */
static elog_socket_status decode_failed(elog_socket *s, elog_status st)
{
    if (st == ELOG_E_CALLBACK) {
        s->close_requested = true;
        set_error(s, ELOG_SOCKET_E_CALLBACK, 0, "%s: a callback aborted decoding (at byte offset %llu)",
                  s->addr_text, (unsigned long long)elog_get_error_offset(&s->dec));
        end_session(s, 0);
        return ELOG_SOCKET_E_CALLBACK;
    }
    const char *reason = elog_get_error_reason(&s->dec);
    if (reason == NULL || *reason == '\0')
        reason = elog_status_name(st);
    char msg[400];
    snprintf(msg, sizeof msg, "%s: session %u: %s (at byte offset %llu)", s->addr_text,
             s->session.number, reason, (unsigned long long)elog_get_error_offset(&s->dec));
    end_session(s, 0);
    set_error(s, ELOG_SOCKET_E_DECODE, 0, "%s", msg);
    return ELOG_SOCKET_E_DECODE;
}

/* Feeds s->buf[pos..len) to the decoder. OK, PAUSED (the rest is held in
 * buf_pos/buf_len), or an error (the session has ended). */
static elog_socket_status execute(elog_socket *s, size_t pos, size_t len)
{
    s->busy++;
    elog_result r = elog_execute(&s->dec, s->buf + pos, len - pos);
    s->busy--;
    if (r.status == ELOG_OK) {
        s->buf_pos = s->buf_len = 0;
        return ELOG_SOCKET_OK;
    }
    if (r.status == ELOG_PAUSED) {
        s->buf_pos = pos + r.read;
        s->buf_len = len;
        return ELOG_SOCKET_PAUSED;
    }
    return decode_failed(s, r.status);
}

/* Feeds s->buf[0..len), fresh from the socket, skipping what precedes
 * "hdrb" at the start of a session. */
static elog_socket_status feed(elog_socket *s, size_t len)
{
    size_t i = 0;
    if (s->seeking) {
        elog_socket_session *ss = &s->session;
        bool give_up = false;
        while (i < len && s->magic_have < 4) {
            if (s->buf[i] == header_magic[s->magic_have]) {
                s->magic_have++;
                i++;
            } else if (s->magic_have > 0) {
                /* "hdrb" does not overlap itself: look at buf[i] afresh. */
                ss->skipped += s->magic_have;
                s->magic_have = 0;
            } else {
                ss->skipped++;
                i++;
            }
            if (ss->skipped > s->opt.max_skip) {
                give_up = true;
                break;
            }
        }
        if (s->magic_have < 4 && !give_up)
            return ELOG_SOCKET_OK;
        s->seeking = false;
        report_skipped(s, ss->skipped);
        /* The held bytes equal the start of "hdrb": feed them from there. */
        if (!tap(s, header_magic, s->magic_have))
            return ELOG_SOCKET_OK;   /* closed: after_feed() ends the session */
        s->busy++;
        elog_result r = elog_execute(&s->dec, header_magic, s->magic_have);
        s->busy--;
        s->magic_have = 0;
        if (r.status != ELOG_OK)
            return decode_failed(s, r.status);
        if (s->close_requested)
            return ELOG_SOCKET_OK;
    }
    if (i == len || !tap(s, s->buf + i, len - i))
        return ELOG_SOCKET_OK;
    return execute(s, i, len);
}

/* A read(2) error: the end of the session or a real failure. */
static elog_socket_status read_failed(elog_socket *s, int e)
{
    end_session(s, e);
    set_error(s, ELOG_SOCKET_OK, e, "%s: session %u ended: %s", s->addr_text,
              s->session.number, strerror(e));
    return ELOG_SOCKET_EOF;
}

static elog_socket_status after_feed(elog_socket *s, elog_socket_status st)
{
    if (st == ELOG_SOCKET_PAUSED || st == ELOG_SOCKET_OK) {
        if (s->close_requested && s->state == ELOG_SOCKET_STATE_CONNECTED) {
            end_session(s, 0);
            return ELOG_SOCKET_EOF;
        }
    }
    return st;
}

static elog_socket_status read_step(elog_socket *s)
{
    s->more = false;
    /* A pause ends with the next pump (it may have come on a chunk's last byte). */
    elog_resume(&s->dec);
    if (s->buf_pos < s->buf_len) {
        elog_socket_status st = after_feed(s, execute(s, s->buf_pos, s->buf_len));
        if (st != ELOG_SOCKET_OK)
            return st;
    }
    size_t total = 0;
    while (total < s->opt.pump_budget) {
        ssize_t n = recv(s->fd, s->buf, s->opt.read_size, 0);
        if (n > 0) {
            total += (size_t)n;
            s->session.bytes += (uint64_t)n;
            elog_socket_status st = after_feed(s, feed(s, (size_t)n));
            if (st != ELOG_SOCKET_OK)
                return st;
            continue;
        }
        if (n == 0) {
            end_session(s, 0);
            return ELOG_SOCKET_EOF;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return ELOG_SOCKET_WOULD_BLOCK;
        return read_failed(s, errno);
    }
    s->more = true;
    return ELOG_SOCKET_OK;
}

/* ---------------------------------------------------------------------------
 * Driving
 * ------------------------------------------------------------------------- */

elog_socket_status elog_socket_pump(elog_socket *s)
{
    if (s->busy)
        return set_error(s, ELOG_SOCKET_E_USAGE, 0, "elog_socket_pump() called from a callback");
    if (s->state == ELOG_SOCKET_STATE_CLOSED)
        return ELOG_SOCKET_CLOSED;
    if (s->state != ELOG_SOCKET_STATE_CONNECTED) {
        elog_socket_status st = connect_step(s);
        if (st != ELOG_SOCKET_OK)
            return st;
        if (s->close_requested) {   /* from on_connected */
            end_session(s, 0);
            return ELOG_SOCKET_EOF;
        }
    }
    return read_step(s);
}

int elog_socket_fd(const elog_socket *s)
{
    return s->fd;
}

short elog_socket_events(const elog_socket *s)
{
    switch (s->state) {
    case ELOG_SOCKET_STATE_CONNECTED:
        return POLLIN;
    case ELOG_SOCKET_STATE_CONNECTING:
        return POLLOUT;
    default:
        return 0;
    }
}

int elog_socket_timeout_ms(const elog_socket *s)
{
    uint64_t now = now_ns();
    switch (s->state) {
    case ELOG_SOCKET_STATE_IDLE:
        return 0;
    case ELOG_SOCKET_STATE_WAITING:
        return ms_until(s->next_attempt_ns, now);
    case ELOG_SOCKET_STATE_CONNECTING:
        return ms_until(s->attempt_deadline_ns, now);
    case ELOG_SOCKET_STATE_CONNECTED:
        return (s->more || s->buf_pos < s->buf_len) ? 0 : -1;
    default:
        return -1;
    }
}

/* Waits for the fd or the client's timeout, at most `limit_ms` (-1: none). */
static void wait_for(elog_socket *s, int limit_ms)
{
    int t = elog_socket_timeout_ms(s);
    if (t < 0 || (limit_ms >= 0 && limit_ms < t))
        t = limit_ms;
    if (t == 0)
        return;
    struct pollfd p = {s->fd, elog_socket_events(s), 0};
    if (s->fd < 0)
        (void)poll(NULL, 0, t);
    else
        (void)poll(&p, 1, t);
}

elog_socket_status elog_socket_run(elog_socket *s, const volatile sig_atomic_t *stop,
                                   int timeout_ms)
{
    if (s->busy)
        return set_error(s, ELOG_SOCKET_E_USAGE, 0, "elog_socket_run() called from a callback");
    uint64_t deadline = timeout_ms >= 0 ? now_ns() + ms_ns((uint64_t)timeout_ms) : UINT64_MAX;
    for (;;) {
        if (stop != NULL && *stop)
            return ELOG_SOCKET_STOPPED;
        elog_socket_status st = elog_socket_pump(s);
        switch (st) {
        case ELOG_SOCKET_OK:
        case ELOG_SOCKET_WOULD_BLOCK:
            break;
        case ELOG_SOCKET_EOF:
            if (s->state == ELOG_SOCKET_STATE_CLOSED)
                return ELOG_SOCKET_EOF;
            break;
        default:
            return st;
        }
        if (stop != NULL && *stop)
            return ELOG_SOCKET_STOPPED;
        uint64_t now = now_ns();
        if (now >= deadline)
            return ELOG_SOCKET_TIMEOUT;
        if (st == ELOG_SOCKET_OK || st == ELOG_SOCKET_EOF)
            continue;
        int limit = deadline == UINT64_MAX ? -1 : ms_until(deadline, now);
        if (stop != NULL && (limit < 0 || limit > STOP_POLL_MS))
            limit = STOP_POLL_MS;
        wait_for(s, limit);
    }
}

elog_socket_status elog_socket_connect_for(elog_socket *s, int timeout_ms)
{
    if (s->busy)
        return set_error(s, ELOG_SOCKET_E_USAGE, 0,
                         "elog_socket_connect() called from a callback");
    uint64_t deadline = timeout_ms >= 0 ? now_ns() + ms_ns((uint64_t)timeout_ms) : UINT64_MAX;
    for (;;) {
        if (s->state == ELOG_SOCKET_STATE_CLOSED)
            return ELOG_SOCKET_CLOSED;
        elog_socket_status st = connect_step(s);
        if (st == ELOG_SOCKET_OK) {
            if (s->close_requested) {
                end_session(s, 0);
                return ELOG_SOCKET_CLOSED;
            }
            return ELOG_SOCKET_OK;
        }
        if (st != ELOG_SOCKET_WOULD_BLOCK)
            return st;
        uint64_t now = now_ns();
        if (now >= deadline)
            return ELOG_SOCKET_TIMEOUT;
        wait_for(s, deadline == UINT64_MAX ? -1 : ms_until(deadline, now));
    }
}

elog_socket_status elog_socket_connect(elog_socket *s)
{
    return elog_socket_connect_for(s, -1);
}

elog_socket_status elog_socket_close(elog_socket *s)
{
    if (s->state == ELOG_SOCKET_STATE_CLOSED)
        return ELOG_SOCKET_CLOSED;
    s->close_requested = true;
    if (s->busy)
        return ELOG_SOCKET_OK;
    if (s->state == ELOG_SOCKET_STATE_CONNECTED) {
        end_session(s, 0);
    } else {
        close_fd(s);
        free_ai(s);
        s->state = ELOG_SOCKET_STATE_CLOSED;
    }
    return ELOG_SOCKET_OK;
}

/* ---------------------------------------------------------------------------
 * Control frames
 * ------------------------------------------------------------------------- */

static void describe_ns(char *out, size_t cap, const uint8_t *ns, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 5 < cap; i++) {
        uint8_t c = ns[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out[o++] = (char)c;
        } else {
            snprintf(out + o, cap - o, "\\x%02x", c);
            o += 4;
        }
    }
    if (o < cap)
        out[o] = '\0';
}

elog_socket_status elog_socket_send_control(elog_socket *s, const void *ns, size_t ns_len,
                                            unsigned id)
{
    uint8_t frame[ELOG_CONTROL_FRAME_MAX];
    size_t n;
    elog_control_error ce = elog_control_build(frame, sizeof frame, ns, ns_len, id, &n);
    if (ce != ELOG_CONTROL_OK)
        return set_error(s, ELOG_SOCKET_E_ARG, 0, "control command not sent: %s (namespace of %zu bytes, id %u)",
                         elog_control_error_message(ce), ns_len, id);
    char nsd[96];
    describe_ns(nsd, sizeof nsd, ns, ns_len);
    if (s->state != ELOG_SOCKET_STATE_CONNECTED || s->fd < 0 || s->close_requested)
        return set_error(s, ELOG_SOCKET_E_USAGE, 0,
                         "control command %s:%u not sent: not connected to %s", nsd, id,
                         s->addr_text);

    uint64_t deadline = now_ns() + ms_ns(s->opt.send_timeout_ms);
    size_t off = 0;
    int e = 0;
    while (off < n) {
        ssize_t w = send(s->fd, frame + off, n - off, MSG_NOSIGNAL);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            uint64_t now = now_ns();
            if (now >= deadline) {
                e = ETIMEDOUT;
                break;
            }
            struct pollfd p = {s->fd, POLLOUT, 0};
            (void)poll(&p, 1, ms_until(deadline, now));
            continue;
        }
        e = w < 0 ? errno : EIO;
        break;
    }
    if (off == n)
        return ELOG_SOCKET_OK;
    if (off > 0) {
        /* The server would take what follows as the rest of this frame:
         * stop sending on this connection; it ends when the server closes. */
        (void)shutdown(s->fd, SHUT_WR);
        return set_error(s, ELOG_SOCKET_E_IO, e,
                         "control command %s:%u: only %zu of %zu bytes sent to %s: %s; "
                         "no more commands can be sent in this session",
                         nsd, id, off, n, s->addr_text, strerror(e));
    }
    return set_error(s, ELOG_SOCKET_E_IO, e, "control command %s:%u not sent to %s: %s", nsd, id,
                     s->addr_text, strerror(e));
}

elog_socket_status elog_socket_send_command(elog_socket *s, const char *text)
{
    elog_control_command cmd;
    elog_control_error ce = elog_control_parse_command(text, &cmd);
    if (ce != ELOG_CONTROL_OK)
        return set_error(s, ELOG_SOCKET_E_ARG, 0, "control command '%s' not sent: %s",
                         text != NULL ? text : "(null)", elog_control_error_message(ce));
    return elog_socket_send_control(s, cmd.ns.ptr, cmd.ns.len, cmd.id);
}

/* ---------------------------------------------------------------------------
 * Accessors
 * ------------------------------------------------------------------------- */

elog_socket_state elog_socket_get_state(const elog_socket *s)
{
    return s->state;
}

const elog_socket_session *elog_socket_get_session(const elog_socket *s)
{
    return s->sessions > 0 ? &s->session : NULL;
}

elog_decoder *elog_socket_decoder(elog_socket *s)
{
    return &s->dec;
}

void *elog_socket_data(const elog_socket *s)
{
    return s->user_data;
}

const elog_socket_addr *elog_socket_address(const elog_socket *s)
{
    return &s->addr;
}

const char *elog_socket_error_message(const elog_socket *s)
{
    return s->errmsg;
}

int elog_socket_errno(const elog_socket *s)
{
    return s->err;
}
