/*
 * `eventlog monitor [OPTIONS] [SOURCE] --listen HOST:PORT`: watch a running
 * Haskell program's eventlog for ever, across restarts of the program, and
 * serve what the library's analyses make of it as Prometheus metrics (see
 * monitor.h for the files and the threads).
 *
 * Sessions: a socket SOURCE is an elog_socket with `reconnect` and no limit
 * on attempts (its exponential backoff paces them); a FIFO is opened again
 * after each writer closes it; a regular file is followed as it grows, and
 * read again from its start once it is replaced or truncated (a restarted
 * program rewrites it). Every session is a new eventlog: the analyses start
 * afresh, and the counters of ended sessions are kept in `base`, so exposed
 * counters never go down. A decoding error ends the session (counted and
 * logged), and the monitor goes on with the next one.
 */
#include "monitor.h"
#include "cli.h"
#include "monitor_analysis.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* While data flows, publish a snapshot at most every PUBLISH_BUSY_MS; when
 * the input goes quiet, within PUBLISH_QUIET_MS. A snapshot of the analyses
 * costs in proportion to the threads they track, so a stream that keeps
 * draining and refilling the socket must not take one per read. */
#define PUBLISH_BUSY_MS 250u
#define PUBLISH_QUIET_MS 20u
#define MONITOR_HEALTHY_SESSION_MS 50u
/* How often a replaced/truncated regular file is looked for. */
#define FILE_POLL_MS 250

typedef struct monitor {
    mon_shared sh;
    const char *source;
    unsigned retry_max_ms;

    mon_snapshot base;        /* counters of the sessions that ended */
    mon_cap caps_shown[MON_MAX_CAPS]; /* capability seconds last published */
    mon_snapshot scratch;     /* composed here, then copied under the lock */
    mon_analysis an;          /* the current session's analyses */

    /* the current session */
    bool in_session;
    bool header_seen;
    uint64_t sess_events, sess_bytes, sess_late;
    /* The latest timestamp of each capability (the last slot: events
     * outside capability blocks): an event stamped earlier is counted as
     * late (eventlog_late_events_total). */
    uint64_t cap_last[MON_MAX_CAPS + 1];
    uint64_t last_publish_ns;
    bool dirty;

    elog_socket *sock;
    uint64_t control_seen;    /* control_seq handled */
} monitor;

static volatile sig_atomic_t stop_flag;
static int stop_wake_fd = -1;
static elog_reader *volatile stop_reader;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
    uint64_t one = 1;
    if (stop_wake_fd >= 0)
        (void)!write(stop_wake_fd, &one, sizeof one);
    elog_reader *r = stop_reader;
    if (r != NULL)
        elog_reader_stop(r);
}

void mon_wake(mon_shared *sh)
{
    uint64_t one = 1;
    (void)!write(sh->wake_fd, &one, sizeof one);
}

static void drain_wake(monitor *m)
{
    uint64_t v;
    (void)!read(m->sh.wake_fd, &v, sizeof v);
}

/* ------------------------------------------------------------ publish */

/* dst = a + b for every counter; gauges come from `cur` (the session). */
static void add_hist(mon_hist *d, const mon_hist *a, const mon_hist *b)
{
    d->count = a->count + b->count;
    d->sum = a->sum + b->sum;
    for (unsigned i = 0; i < MON_MAX_BUCKETS; i++)
        d->bucket[i] = a->bucket[i] + b->bucket[i];
}

static void add_counters(mon_snapshot *d, const mon_snapshot *a, const mon_snapshot *b)
{
    d->events = a->events + b->events;
    d->bytes = a->bytes + b->bytes;
    d->have_analysis = a->have_analysis || b->have_analysis;
    d->n_gens = a->n_gens > b->n_gens ? a->n_gens : b->n_gens;
    for (unsigned g = 0; g < d->n_gens; g++) {
        d->gens[g].collections = a->gens[g].collections + b->gens[g].collections;
        d->gens[g].parallel = a->gens[g].parallel + b->gens[g].parallel;
        d->gens[g].copied_bytes = a->gens[g].copied_bytes + b->gens[g].copied_bytes;
        add_hist(&d->gens[g].pause, &a->gens[g].pause, &b->gens[g].pause);
    }
    d->allocated_bytes = a->allocated_bytes + b->allocated_bytes;
    d->n_caps = a->n_caps > b->n_caps ? a->n_caps : b->n_caps;
    for (unsigned c = 0; c < d->n_caps; c++) {
        d->caps[c].mutator = a->caps[c].mutator + b->caps[c].mutator;
        d->caps[c].gc = a->caps[c].gc + b->caps[c].gc;
        d->caps[c].idle = a->caps[c].idle + b->caps[c].idle;
    }
    d->have_sparks = a->have_sparks || b->have_sparks;
    for (int k = 0; k < MON_SPARK_OUTCOMES; k++)
        d->sparks[k] = a->sparks[k] + b->sparks[k];
    /* Span labels are slots kept by the monitor across sessions (the same
     * index is the same label in both). */
    d->n_spans = a->n_spans > b->n_spans ? a->n_spans : b->n_spans;
    for (unsigned i = 0; i < d->n_spans; i++) {
        const mon_span *src = i < b->n_spans ? &b->spans[i] : &a->spans[i];
        memcpy(d->spans[i].label, src->label, sizeof d->spans[i].label);
        add_hist(&d->spans[i].h, &a->spans[i].h, &b->spans[i].h);
    }
    d->have_span_other = a->have_span_other || b->have_span_other;
    add_hist(&d->span_other, &a->span_other, &b->span_other);
}

/* The current session's own figures, into `cur` (zeroed first). */
static void session_figures(monitor *m, mon_snapshot *cur, bool final)
{
    memset(cur, 0, sizeof *cur);
    if (!m->in_session)
        return;
    cur->events = m->sess_events;
    cur->bytes = m->sess_bytes;
    cur->late_events = m->sess_late;
    mon_analysis_fill(&m->an, cur, final);
}

static void publish(monitor *m)
{
    static mon_snapshot cur;
    session_figures(m, &cur, false);
    mon_snapshot *s = &m->scratch;
    memset(s, 0, sizeof *s);
    add_counters(s, &m->base, &cur);
    s->sessions = m->base.sessions;
    s->decode_errors = m->base.decode_errors;
    s->late_events = m->base.late_events + cur.late_events;
    s->connected = m->in_session;
    s->have_heap = cur.have_heap;
    s->heap_size = cur.heap_size;
    s->heap_live = cur.heap_live;
    s->have_threads = cur.have_threads;
    memcpy(s->threads, cur.threads, sizeof s->threads);
    /* Capability time is built from finished intervals while a session
     * runs and never goes down (mon_analysis_fill); the largest value so
     * far is kept all the same, a guard for a counter that must not. */
    for (unsigned c = 0; c < s->n_caps; c++) {
        mon_cap *was = &m->caps_shown[c];
        if (s->caps[c].mutator < was->mutator)
            s->caps[c].mutator = was->mutator;
        if (s->caps[c].gc < was->gc)
            s->caps[c].gc = was->gc;
        if (s->caps[c].idle < was->idle)
            s->caps[c].idle = was->idle;
        *was = s->caps[c];
    }
    s->published_ns = now_ns();
    pthread_mutex_lock(&m->sh.lock);
    memcpy(&m->sh.snap, s, sizeof *s);
    pthread_mutex_unlock(&m->sh.lock);
    m->last_publish_ns = s->published_ns;
    m->dirty = false;
}

static void maybe_publish(monitor *m, bool quiet)
{
    if (!m->dirty)
        return;
    uint64_t every = (uint64_t)(quiet ? PUBLISH_QUIET_MS : PUBLISH_BUSY_MS) * 1000000u;
    if (now_ns() - m->last_publish_ns >= every)
        publish(m);
}

/* How long a quiet wait may last before the figures must be published. */
static int publish_due_ms(const monitor *m, int t)
{
    if (!m->dirty)
        return t;
    uint64_t since = (now_ns() - m->last_publish_ns) / 1000000u;
    int due = since >= PUBLISH_QUIET_MS ? 0 : (int)(PUBLISH_QUIET_MS - since) + 1;
    return t < 0 || due < t ? due : t;
}

/* ------------------------------------------------------------ sessions */

static void session_begin(monitor *m)
{
    m->in_session = true;
    m->header_seen = false;
    m->sess_events = m->sess_bytes = m->sess_late = 0;
    memset(m->cap_last, 0, sizeof m->cap_last);
    mon_analysis_reset(&m->an);
    m->dirty = true;
    publish(m);
}

static void session_end(monitor *m, const elog_end *end, const elog_decoder *d, const char *label)
{
    if (!m->in_session)
        return;
    static mon_snapshot cur;
    session_figures(m, &cur, true);
    mon_snapshot sum;
    memset(&sum, 0, sizeof sum);
    add_counters(&sum, &m->base, &cur);
    /* keep the monitor's own fields of base */
    sum.sessions = m->base.sessions;
    sum.decode_errors = m->base.decode_errors;
    sum.late_events = m->base.late_events + cur.late_events;
    m->base = sum;
    m->in_session = false;
    char what[512];
    cli_describe_end(what, sizeof what, end, d);
    if (end->kind == ELOG_END_EMPTY) {
        cli_note("%s: closed without sending anything", label);
    } else if (end->kind == ELOG_END_ERROR) {
        m->base.decode_errors++;
        cli_warning("monitor: %s: decoding error, %s; going on with the next session", label, what);
    } else {
        cli_note("%s ended: %s (%llu events, %llu bytes)", label, what,
                 (unsigned long long)cur.events, (unsigned long long)cur.bytes);
    }
    m->dirty = true;
    publish(m);
}

/* Decoder callbacks: count, then hand the event to the analyses. */
static int on_header(elog_decoder *d, const elog_header *h)
{
    monitor *m = d->data;
    m->header_seen = true;
    /* A session counts once it is an eventlog: a program that exits while
     * we reconnect may still accept us from its backlog and close at once. */
    m->base.sessions++;
    m->dirty = true;
    return mon_analysis_on_header(&m->an, d, h);
}

static int on_event(elog_decoder *d, const elog_event *ev)
{
    monitor *m = d->data;
    m->sess_events++;
    m->dirty = true;
    if (ev->id != ELOG_EV_BLOCK_MARKER) {
        unsigned c = ev->cap < MON_MAX_CAPS ? ev->cap : MON_MAX_CAPS;
        if (ev->time < m->cap_last[c])
            m->sess_late++;
        else
            m->cap_last[c] = ev->time;
    }
    return mon_analysis_on_event(&m->an, d, ev);
}

/* Follow mode: the reader cannot see the end marker in bytes it only hands
 * out, so stop it there. */
static int on_data_end(elog_decoder *d, uint64_t offset)
{
    (void)d;
    (void)offset;
    elog_reader *r = stop_reader;
    if (r != NULL)
        elog_reader_stop(r);
    return ELOG_CB_CONTINUE;
}

static void decoder_settings(elog_settings *s)
{
    elog_settings_init(s);
    s->options = CLI_DECODER_OPTIONS;
    s->on_header = on_header;
    s->on_event = on_event;
    s->on_data_end = on_data_end;
    mon_analysis_settings(s);
}

/* ------------------------------------------------------------ control */

mon_control_result mon_control_request(mon_shared *sh, const char *cmd, unsigned wait_ms,
                                       char *err, size_t errcap)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += wait_ms / 1000;
    dl.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&sh->lock);
    while (sh->control_busy)
        if (pthread_cond_timedwait(&sh->cond, &sh->lock, &dl) != 0) {
            pthread_mutex_unlock(&sh->lock);
            snprintf(err, errcap, "another control request is still waiting");
            return MON_CONTROL_FAILED;
        }
    sh->control_busy = true;
    snprintf(sh->control_cmd, sizeof sh->control_cmd, "%s", cmd);
    sh->control_seq++;
    sh->control_result = MON_CONTROL_PENDING;
    mon_wake(sh);
    while (sh->control_result == MON_CONTROL_PENDING)
        if (pthread_cond_timedwait(&sh->cond, &sh->lock, &dl) != 0)
            break;
    mon_control_result r = sh->control_result;
    if (r == MON_CONTROL_PENDING)
        r = MON_CONTROL_NOT_CONNECTED;
    snprintf(err, errcap, "%s", sh->control_error);
    sh->control_busy = false;
    sh->control_result = MON_CONTROL_PENDING;
    pthread_cond_broadcast(&sh->cond);
    pthread_mutex_unlock(&sh->lock);
    return r;
}

/* On the decode thread: send a pending command if a session has its
 * header (a command sent before the program restarted its log for us could
 * act before logging does). */
static void handle_control(monitor *m)
{
    if (!m->sh.control_enabled || m->sock == NULL)
        return;
    if (!m->in_session || !m->header_seen ||
        elog_socket_get_state(m->sock) != ELOG_SOCKET_STATE_CONNECTED)
        return;
    char cmd[sizeof m->sh.control_cmd];
    pthread_mutex_lock(&m->sh.lock);
    bool pending = m->sh.control_busy && m->sh.control_result == MON_CONTROL_PENDING &&
                   m->sh.control_seq != m->control_seen;
    uint64_t seq = m->sh.control_seq;
    memcpy(cmd, m->sh.control_cmd, sizeof cmd);
    pthread_mutex_unlock(&m->sh.lock);
    if (!pending)
        return;
    m->control_seen = seq;
    elog_socket_status st = elog_socket_send_command(m->sock, cmd);
    pthread_mutex_lock(&m->sh.lock);
    if (m->sh.control_busy && m->sh.control_seq == seq) {
        if (st == ELOG_SOCKET_OK) {
            m->sh.control_result = MON_CONTROL_SENT;
            m->sh.control_error[0] = '\0';
        } else {
            m->sh.control_result = MON_CONTROL_FAILED;
            snprintf(m->sh.control_error, sizeof m->sh.control_error, "%s",
                     elog_socket_error_message(m->sock));
        }
        pthread_cond_broadcast(&m->sh.cond);
    }
    pthread_mutex_unlock(&m->sh.lock);
    if (st == ELOG_SOCKET_OK)
        cli_note("control: sent %s", cmd);
    else
        cli_warning("monitor: control: %s", elog_socket_error_message(m->sock));
}

/* ------------------------------------------------------------ sockets */

static void sock_connected(elog_socket *s, const elog_socket_session *ss)
{
    monitor *m = elog_socket_data(s);
    cli_note("session %u: connected to %s", ss->number, ss->address);
    session_begin(m);
}

static void sock_disconnected(elog_socket *s, const elog_socket_session *ss, const elog_end *end)
{
    monitor *m = elog_socket_data(s);
    m->sess_bytes = ss->bytes;
    char label[ELOG_SOCKET_ADDR_STRLEN + 32];
    snprintf(label, sizeof label, "%s, session %u", ss->address, ss->number);
    session_end(m, end, elog_socket_decoder(s), label);
}

static void sock_retry(elog_socket *s, const elog_socket_retry *r)
{
    (void)s;
    /* Quiet after the first few: a program that is down for hours would
     * fill the log otherwise. */
    if (r->attempt <= 3 || (r->attempt & (r->attempt - 1)) == 0)
        cli_note("connect attempt %u failed (%s); next in %u ms", r->attempt, strerror(r->error),
                 (unsigned)r->delay_ms);
}

/* Waits for the socket, the wake fd, or `timeout_ms`. */
static void wait_for(monitor *m, int fd, short events, int timeout_ms)
{
    struct pollfd p[2] = { { m->sh.wake_fd, POLLIN, 0 }, { fd, events, 0 } };
    int n = poll(p, fd >= 0 ? 2 : 1, timeout_ms);
    if (n > 0 && (p[0].revents & POLLIN))
        drain_wake(m);
}

static int run_socket(monitor *m, const elog_socket_addr *addr)
{
    elog_socket_options o;
    elog_socket_options_init(&o);
    o.reconnect = true;
    o.max_attempts = 0;
    o.max_wait_ms = 0;          /* for ever: the program may be down for a while */
    o.max_delay_ms = m->retry_max_ms;
    /* The client backs off after sessions shorter than this (or without
     * events). Its default (5 s) would delay the reconnect to a program
     * that ran briefly and restarted, losing the new run's first events;
     * a stream that fails within 50 ms still backs off, and one that fails
     * later is reconnected at most 20 times a second. */
    o.healthy_session_ms = MONITOR_HEALTHY_SESSION_MS;
    o.on_connected = sock_connected;
    o.on_disconnected = sock_disconnected;
    o.on_retry = sock_retry;
    elog_settings settings;
    decoder_settings(&settings);
    m->sock = elog_socket_new(addr, &o, &settings, m);
    if (m->sock == NULL) {
        cli_error("monitor: out of memory");
        return CLI_EXIT_BAD_INPUT;
    }
    int rc = CLI_EXIT_OK;
    while (!stop_flag) {
        elog_socket_status st = elog_socket_pump(m->sock);
        const elog_socket_session *ss = elog_socket_get_session(m->sock);
        if (ss != NULL && m->in_session)
            m->sess_bytes = ss->bytes;
        handle_control(m);
        switch (st) {
        case ELOG_SOCKET_OK:
        case ELOG_SOCKET_PAUSED:
            maybe_publish(m, false);
            continue;
        case ELOG_SOCKET_WOULD_BLOCK: {
            maybe_publish(m, true);
            int t = elog_socket_timeout_ms(m->sock);
            if (t < 0 || t > 1000)
                t = 1000;
            t = publish_due_ms(m, t);
            wait_for(m, elog_socket_fd(m->sock), elog_socket_events(m->sock), t);
            continue;
        }
        case ELOG_SOCKET_EOF:
            continue;
        case ELOG_SOCKET_E_DECODE:
            /* The session was closed; the client reconnects after a delay
             * that grows with consecutive unhealthy sessions (its backoff),
             * so an always-corrupt stream is not reconnected in a loop. */
            cli_warning("monitor: %s", elog_socket_error_message(m->sock));
            continue;
        case ELOG_SOCKET_E_CONNECT:
        case ELOG_SOCKET_E_ADDRESS:
        case ELOG_SOCKET_E_IO:
            /* Not expected without limits, except a host name that does not
             * resolve (yet): say so and try again later. */
            cli_warning("monitor: %s; trying again in %u ms", elog_socket_error_message(m->sock),
                        m->retry_max_ms);
            wait_for(m, -1, 0, (int)m->retry_max_ms);
            continue;
        default:
            cli_error("monitor: %s", elog_socket_error_message(m->sock));
            rc = CLI_EXIT_BAD_INPUT;
            break;
        }
        break;
    }
    if (m->in_session) {
        (void)elog_socket_close(m->sock); /* reports the end of the session */
    }
    elog_socket_free(m->sock);
    m->sock = NULL;
    return rc;
}

/* ------------------------------------------------------------ files */

/* After a session of a regular file ended (its end marker, an error), any
 * change to the file is a new run of the program rewriting it: another
 * inode, another size or another modification time than at the end. */
static bool file_changed(const char *path, const struct stat *was)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return false; /* gone for now: wait for it to come back */
    return st.st_ino != was->st_ino || st.st_dev != was->st_dev || st.st_size != was->st_size ||
           st.st_mtim.tv_sec != was->st_mtim.tv_sec || st.st_mtim.tv_nsec != was->st_mtim.tv_nsec;
}

/* Opens the FIFO without blocking and waits until a writer sent something
 * (or the monitor is stopped: -1). The descriptor stays non-blocking; the
 * reader then waits on it with poll(2). */
static int open_fifo(monitor *m)
{
    int fd = open(m->source, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        cli_warning("monitor: %s: cannot open: %s; trying again in %u ms", m->source,
                    strerror(errno), m->retry_max_ms);
        wait_for(m, -1, 0, (int)m->retry_max_ms);
        return -1;
    }
    /* No POLLHUP before a writer came and went: POLLIN means data (or a
     * writer that closed at once, which the reader then sees as empty). */
    while (!stop_flag) {
        struct pollfd p[2] = { { m->sh.wake_fd, POLLIN, 0 }, { fd, POLLIN, 0 } };
        if (poll(p, 2, 1000) > 0) {
            if (p[0].revents & POLLIN)
                drain_wake(m);
            if (p[1].revents != 0)
                return fd;
        }
    }
    close(fd);
    return -1;
}

static int run_file(monitor *m)
{
    elog_settings settings;
    decoder_settings(&settings);
    elog_decoder dec;
    while (!stop_flag) {
        struct stat st;
        while (stat(m->source, &st) != 0 && !stop_flag)
            wait_for(m, -1, 0, FILE_POLL_MS);
        if (stop_flag)
            break;
        bool fifo = S_ISFIFO(st.st_mode);
        elog_reader_options o;
        elog_reader_options_init(&o);
        o.follow = true;
        o.idle_timeout_ms = 0;
        elog_reader *r = NULL;
        int fifo_fd = -1;
        elog_reader_status rst;
        if (fifo) {
            /* open(2) of a FIFO blocks until a writer comes, and retries
             * after a signal: wait here instead, where SIGTERM is heard. */
            fifo_fd = open_fifo(m);
            if (fifo_fd < 0)
                continue;
            rst = elog_reader_open_fd(&r, fifo_fd, m->source, &o);
        } else {
            rst = elog_reader_open(&r, m->source, &o);
        }
        if (rst != ELOG_READER_OK) {
            if (!stop_flag)
                cli_warning("monitor: %s; trying again in %u ms", elog_reader_error(r),
                            m->retry_max_ms);
            elog_reader_close(r);
            if (fifo_fd >= 0)
                close(fifo_fd);
            wait_for(m, -1, 0, (int)m->retry_max_ms);
            continue;
        }
        stop_reader = r;
        if (stop_flag)
            elog_reader_stop(r);
        cli_note("reading %s", m->source);
        elog_decoder_init(&dec, &settings, m);
        session_begin(m);
        for (;;) {
            const uint8_t *p;
            size_t n;
            if (elog_reader_read(r, &p, &n) != ELOG_READER_OK) {
                cli_warning("monitor: %s", elog_reader_error(r));
                break;
            }
            if (n == 0)
                break;
            m->sess_bytes += n;
            elog_result res = elog_execute(&dec, p, n);
            /* The reader blocks inside elog_reader_read() while it waits for
             * the file to grow, so figures are published here: at most every
             * PUBLISH_QUIET_MS, and after any short read (the writer's last
             * write so far; for GHC's 2 MB buffers, its final flush). */
            if (n < 65536)
                publish(m);
            else
                maybe_publish(m, true);
            if (res.status != ELOG_OK)
                break;
        }
        stop_reader = NULL;
        elog_end end = elog_finish(&dec);
        elog_reader_info info;
        elog_reader_get_info(r, &info);
        bool at_end = fstat(info.fd, &st) == 0;
        session_end(m, &end, &dec, m->source);
        elog_decoder_free(&dec);
        elog_reader_close(r);
        if (fifo_fd >= 0)
            close(fifo_fd);
        if (stop_flag)
            break;
        if (fifo)
            continue; /* the next writer opens it again */
        /* A regular file: wait until the program is restarted and rewrites
         * it. */
        while (!stop_flag && at_end && !file_changed(m->source, &st))
            wait_for(m, -1, 0, FILE_POLL_MS);
    }
    return CLI_EXIT_OK;
}

/* ------------------------------------------------------------ options */

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: " CLI_NAME " monitor [OPTIONS] [SOURCE]\n"
        "\n"
        "Watch a running Haskell program's eventlog and serve what the library's\n"
        "analyses make of it as Prometheus metrics, for ever: across restarts of the\n"
        "program, reconnecting with exponential backoff, and across corrupt sessions\n"
        "(counted in eventlog_decode_errors_total, logged, then the next session).\n"
        "Counters never go down: a new session's counts add to the earlier ones.\n"
        "\n"
        "SOURCE is unix:PATH or tcp:HOST:PORT (a program instrumented with\n"
        "eventlog-socket), a FIFO the program writes with +RTS -l -olFIFO (opened\n"
        "again for each run), or a file the program writes (followed as it grows, read\n"
        "again when the program rewrites it). Without SOURCE: GHC_EVENTLOG_UNIX_PATH,\n"
        "or GHC_EVENTLOG_INET_HOST and GHC_EVENTLOG_INET_PORT, as the program uses them.\n"
        "\n"
        "HTTP endpoints:\n"
        "  GET  /metrics          Prometheus text format 0.0.4: ghc_gc_collections_total,\n"
        "                         ghc_gc_pause_seconds, ghc_allocated_bytes_total,\n"
        "                         ghc_heap_*_bytes, ghc_capability_seconds_total,\n"
        "                         ghc_threads, ghc_sparks_total, ghc_user_span_seconds,\n"
        "                         and eventlog_* about the monitor itself\n"
        "  GET  /healthz          'ok', the source, whether a session is running\n"
        "  POST /control/COMMAND  (with --enable-control, socket sources) send COMMAND:\n"
        "                         start-profiling, stop-profiling, start-heap-profiling,\n"
        "                         stop-heap-profiling, request-heap-census, NAMESPACE:ID;\n"
        "                         200 sent, 400 bad command, 403 disabled, 503 no session\n"
        "\n"
        "Options:\n"
        "  --listen HOST:PORT     Where to serve (default 127.0.0.1:9464; [::1]:PORT for\n"
        "                         IPv6; port 0 picks a free one). Prints\n"
        "                         'listening on http://HOST:PORT/metrics' on stdout.\n"
        "  --enable-control       Accept POST /control/COMMAND. Anyone who can reach\n"
        "                         the port can then control the program's profiling.\n"
        "  --span-labels N        User-span labels with their own series: the first N\n"
        "                         seen (default %u, at most %u); later labels are\n"
        "                         counted as label=\"other\".\n"
        "  --retry-max-ms MS      Longest pause between connection attempts (default\n"
        "                         5000).\n"
        "  --max-connections N    HTTP connections at once (default 16), and\n"
        "  --max-per-ip N         per client address (default 8).\n"
        "  --http-timeout S       Close idle HTTP connections after S seconds (10).\n"
        "  --otlp URL             Also push the same metrics as OTLP/HTTP JSON to an\n"
        "                         OpenTelemetry collector, e.g.\n"
        "                         http://127.0.0.1:4318/v1/metrics (needs a build with\n"
        "                         libcurl), every\n"
        "  --otlp-interval MS     milliseconds (default 10000), and once at exit.\n"
        "  -h, --help             Print this help.\n"
        "\n"
        "SIGINT or SIGTERM stop the monitor. Exit status: 0 after a stop, 1 if the\n"
        "server could not start, 2 usage error.\n",
        MON_DEFAULT_SPAN_LABELS, MON_MAX_SPAN_LABELS);
}

enum { OPT_LISTEN = 256, OPT_CONTROL, OPT_SPANS, OPT_RETRY, OPT_MAXCONN, OPT_PERIP, OPT_TIMEOUT,
       OPT_OTLP, OPT_OTLP_INTERVAL };

int cmd_monitor(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "listen", required_argument, NULL, OPT_LISTEN },
        { "enable-control", no_argument, NULL, OPT_CONTROL },
        { "span-labels", required_argument, NULL, OPT_SPANS },
        { "retry-max-ms", required_argument, NULL, OPT_RETRY },
        { "max-connections", required_argument, NULL, OPT_MAXCONN },
        { "max-per-ip", required_argument, NULL, OPT_PERIP },
        { "http-timeout", required_argument, NULL, OPT_TIMEOUT },
        { "otlp", required_argument, NULL, OPT_OTLP },
        { "otlp-interval", required_argument, NULL, OPT_OTLP_INTERVAL },
        { NULL, 0, NULL, 0 },
    };
    const char *listen = "127.0.0.1:9464";
    bool control = false;
    unsigned spans = MON_DEFAULT_SPAN_LABELS, retry = 5000, maxconn = 16, perip = 8, timeout = 10;
    const char *otlp = NULL;
    unsigned otlp_ms = 10000;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_BAD_INPUT;
        case OPT_LISTEN:
            listen = optarg;
            break;
        case OPT_CONTROL:
            control = true;
            break;
        case OPT_SPANS:
            if (!cli_parse_uint(optarg, 0, MON_MAX_SPAN_LABELS, &spans))
                return cli_usage_error("monitor", "--span-labels: '%s' is not a number 0..%u",
                                       optarg, MON_MAX_SPAN_LABELS);
            break;
        case OPT_RETRY:
            if (!cli_parse_uint(optarg, 10, 3600000, &retry))
                return cli_usage_error("monitor", "--retry-max-ms: '%s' is not a number of "
                                       "milliseconds 10..3600000", optarg);
            break;
        case OPT_MAXCONN:
            if (!cli_parse_uint(optarg, 1, 1024, &maxconn))
                return cli_usage_error("monitor", "--max-connections: '%s' is not 1..1024", optarg);
            break;
        case OPT_PERIP:
            if (!cli_parse_uint(optarg, 1, 1024, &perip))
                return cli_usage_error("monitor", "--max-per-ip: '%s' is not 1..1024", optarg);
            break;
        case OPT_TIMEOUT:
            if (!cli_parse_uint(optarg, 1, 3600, &timeout))
                return cli_usage_error("monitor", "--http-timeout: '%s' is not 1..3600 seconds",
                                       optarg);
            break;
        case OPT_OTLP:
            if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0)
                return cli_usage_error("monitor", "--otlp: '%s' is not an http:// or https:// URL "
                                       "(e.g. http://127.0.0.1:4318/v1/metrics)", optarg);
#ifndef ELOG_HAVE_OTLP
            return cli_usage_error("monitor", "--otlp: this " CLI_NAME " was built without libcurl "
                                   "(Debian: libcurl4-openssl-dev)");
#endif
            otlp = optarg;
            break;
        case OPT_OTLP_INTERVAL:
            if (!cli_parse_uint(optarg, 100, 3600000, &otlp_ms))
                return cli_usage_error("monitor", "--otlp-interval: '%s' is not 100..3600000 "
                                       "milliseconds", optarg);
            break;
        default:
            if (optopt != 0 && optopt < 256) {
                char s[3] = { '-', (char)optopt, 0 };
                return cli_usage_error("monitor", "unknown option '%s'", s);
            }
            if (optopt != 0)
                return cli_usage_error("monitor", "option '%s' needs an argument", argv[optind - 1]);
            return cli_usage_error("monitor", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind > 1)
        return cli_usage_error("monitor", "too many arguments (one SOURCE expected)");

    char env_source[ELOG_SOCKET_ADDR_STRLEN];
    const char *source;
    elog_socket_addr addr;
    char err[ELOG_SOCKET_ERRLEN];
    if (argc - optind == 1) {
        source = argv[optind];
    } else {
        if (elog_socket_addr_from_env(&addr, err, sizeof err) != ELOG_SOCKET_OK)
            return cli_usage_error("monitor", "missing SOURCE (unix:PATH, tcp:HOST:PORT, a FIFO "
                                   "or a file), and %s", err);
        elog_socket_addr_format(&addr, env_source, sizeof env_source);
        source = env_source;
    }
    bool socket = cli_source_is_socket(source);
    if (socket && elog_socket_addr_parse(&addr, source, err, sizeof err) != ELOG_SOCKET_OK)
        return cli_usage_error("monitor", "%s", err);
    if (control && !socket)
        return cli_usage_error("monitor", "--enable-control needs a socket SOURCE (unix:PATH or "
                               "tcp:HOST:PORT): control commands go to eventlog-socket");
    if (strcmp(source, "-") == 0)
        return cli_usage_error("monitor", "standard input cannot be reopened for the next run "
                               "of the program: use a FIFO");

    static monitor m;
    memset(&m, 0, sizeof m);
    m.source = source;
    m.retry_max_ms = retry;
    pthread_mutex_init(&m.sh.lock, NULL);
    pthread_cond_init(&m.sh.cond, NULL);
    m.sh.control_enabled = control;
    m.sh.source = source;
    m.sh.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m.sh.wake_fd < 0) {
        cli_error("monitor: eventfd: %s", strerror(errno));
        return CLI_EXIT_BAD_INPUT;
    }
    if (mon_analysis_init(&m.an, spans) != 0) {
        cli_error("monitor: out of memory");
        return CLI_EXIT_BAD_INPUT;
    }
    publish(&m);

    mon_http_options ho = { listen, maxconn, perip, timeout };
    mon_http *http = mon_http_start(&ho, &m.sh);
    if (http == NULL) {
        mon_analysis_free(&m.an);
        close(m.sh.wake_fd);
        return CLI_EXIT_BAD_INPUT;
    }
    mon_otlp *exporter = NULL;
#ifdef ELOG_HAVE_OTLP
    if (otlp != NULL && (exporter = mon_otlp_start(otlp, otlp_ms, &m.sh)) == NULL) {
        mon_http_stop(http);
        mon_analysis_free(&m.an);
        close(m.sh.wake_fd);
        return CLI_EXIT_BAD_INPUT;
    }
#else
    (void)otlp;
    (void)otlp_ms;
#endif
    char shown[300];
    if (listen[0] == '[')
        snprintf(shown, sizeof shown, "%.*s", (int)(strchr(listen, ']') - listen + 1), listen);
    else
        snprintf(shown, sizeof shown, "%.*s", (int)(strrchr(listen, ':') - listen), listen);
    printf("listening on http://%s:%u/metrics\n", shown, mon_http_port(http));
    fflush(stdout);

    stop_wake_fd = m.sh.wake_fd;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_signal; /* no SA_RESTART: a blocking open of a FIFO returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int rc = socket ? run_socket(&m, &addr) : run_file(&m);

#ifdef ELOG_HAVE_OTLP
    mon_otlp_stop(exporter);   /* sends the final figures */
#else
    (void)exporter;
#endif
    mon_http_stop(http);
    stop_wake_fd = -1;
    mon_analysis_free(&m.an);
    close(m.sh.wake_fd);
    pthread_cond_destroy(&m.sh.cond);
    pthread_mutex_destroy(&m.sh.lock);
    return rc;
}
