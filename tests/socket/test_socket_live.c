/*
 * The socket client against the replay server ($ELOG_REPLAY, `replay
 * [OPTIONS] FILE LISTEN`) over Unix and TCP loopback, with corpus eventlogs
 * as the served logs. Every decode is compared with a direct in-memory
 * decode of the same file.
 *
 * Covered: clean sessions on Unix, TCP/IPv4, TCP/IPv6 (skipped without ::1)
 * and the GHC_EVENTLOG_* defaults; a server cut mid-event then restarted
 * (truncated session with its class and offset, reconnect, new header, gap);
 * a stale block marker before the header (24 bytes skipped and reported); a
 * slow consumer driven through the event-loop API with pauses; --rate and
 * --realtime pacing; two clients at once (the second waits in the backlog);
 * sessions that end early (empty, in the header, not an eventlog); connecting to nothing (clear error within the retry
 * limits, Unix and TCP); control frames as the server receives them; invalid
 * commands refused without sending anything.
 *
 * Every wait is bounded: servers are killed after their test, reads of
 * their output and waits for their exit time out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "eventlog.h"
#include "eventlog/socket.h"

#define RUN_TIMEOUT_MS 8000

/* ------------------------------------------------------------------------ */
/* Time, files, the direct decode                                            */
/* ------------------------------------------------------------------------ */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *corpus_path(const char *name)
{
    const char *dir = getenv("ELOG_CORPUS_DIR");
    if (dir == NULL)
        dir = "corpus/conformance";
    static char buf[4][1024];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, 1024, "%s/%s", dir, name);
    return p;
}

typedef struct direct {
    uint64_t events;
    uint64_t first_time, max_time;
    elog_end end;
    /* offsets, ids and sizes of every event (for choosing a cut) */
    uint64_t *offsets;
    uint16_t *ids;
    uint32_t *sizes;
    size_t n, cap;
} direct;

static int direct_event(elog_decoder *d, const elog_event *ev)
{
    direct *r = d->data;
    if (r->events == 0)
        r->first_time = r->max_time = ev->time;
    else if (ev->time > r->max_time)
        r->max_time = ev->time;
    r->events++;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        r->offsets = realloc(r->offsets, r->cap * sizeof *r->offsets);
        r->ids = realloc(r->ids, r->cap * sizeof *r->ids);
        r->sizes = realloc(r->sizes, r->cap * sizeof *r->sizes);
        assert_non_null(r->offsets);
        assert_non_null(r->ids);
        assert_non_null(r->sizes);
    }
    r->offsets[r->n] = ev->offset;
    r->ids[r->n] = ev->id;
    r->sizes[r->n] = ev->size;
    r->n++;
    return ELOG_CB_CONTINUE;
}

/* Decodes the whole file in memory, as the reference. */
static void direct_decode(const char *path, direct *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    elog_settings st;
    elog_settings_init(&st);
    st.on_event = direct_event;
    elog_decoder d;
    elog_decoder_init(&d, &st, out);
    uint8_t buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        assert_int_equal(elog_execute(&d, buf, n).status, ELOG_OK);
    fclose(f);
    out->end = elog_finish(&d);
    elog_decoder_free(&d);
}

static void direct_free(direct *r)
{
    free(r->offsets);
    free(r->ids);
    free(r->sizes);
}

/* ------------------------------------------------------------------------ */
/* The replay server                                                         */
/* ------------------------------------------------------------------------ */

typedef struct server {
    pid_t pid;
    int out;                    /* its stdout */
    char addr[300];             /* from "listening on ADDR" */
} server;

/* Servers still running, killed by the per-test teardown when an assertion
 * failed half-way. */
#define MAX_SERVERS 8
static pid_t running[MAX_SERVERS];

static void remember(pid_t pid)
{
    for (int i = 0; i < MAX_SERVERS; i++)
        if (running[i] == 0) {
            running[i] = pid;
            return;
        }
}

static void forget(pid_t pid)
{
    for (int i = 0; i < MAX_SERVERS; i++)
        if (running[i] == pid)
            running[i] = 0;
}

static int kill_servers(void **state)
{
    (void)state;
    for (int i = 0; i < MAX_SERVERS; i++)
        if (running[i] > 0) {
            kill(running[i], SIGKILL);
            waitpid(running[i], NULL, 0);
            running[i] = 0;
        }
    return 0;
}

/* Starts `replay ARGS...` and waits (at most 5 s) for "listening on ADDR".
 * Returns false if it exited instead (e.g. could not bind). */
static bool server_try_start(server *sv, const char *const *args)
{
    const char *bin = getenv("ELOG_REPLAY");
    assert_non_null(bin);
    const char *sub = getenv("ELOG_REPLAY_SUBCOMMAND"); /* "replay" for `eventlog replay` */
    const char *argv[32];
    int k = 0;
    argv[k++] = bin;
    if (sub != NULL && *sub != '\0')
        argv[k++] = sub;
    for (int i = 0; args[i] != NULL; i++) {
        assert_true(k < 30);
        argv[k++] = args[i];
    }
    argv[k] = NULL;

    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);   /* never outlive a crashed test */
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    remember(pid);
    sv->pid = pid;
    sv->out = p[0];
    sv->addr[0] = '\0';

    char line[512];
    size_t len = 0;
    double deadline = now_s() + 5.0;
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0)
            fail_msg("replay server: no 'listening on' line within 5 s");
        struct pollfd pf = {sv->out, POLLIN, 0};
        int n = poll(&pf, 1, (int)(left * 1000) + 1);
        if (n <= 0)
            continue;
        ssize_t r = read(sv->out, line + len, sizeof line - 1 - len);
        if (r <= 0) {
            int status;
            waitpid(pid, &status, 0);
            forget(pid);
            close(sv->out);
            sv->pid = -1;
            return false;
        }
        len += (size_t)r;
        line[len] = '\0';
        char *nl = strchr(line, '\n');
        if (nl != NULL) {
            *nl = '\0';
            assert_memory_equal(line, "listening on ", 13);
            size_t alen = strlen(line + 13);
            assert_true(alen < sizeof sv->addr);
            memcpy(sv->addr, line + 13, alen + 1);
            return true;
        }
    }
}

static void server_start(server *sv, const char *const *args)
{
    if (!server_try_start(sv, args))
        fail_msg("replay server exited before listening");
}

/* Waits at most `ms` for the server to exit; returns its exit status, or -1
 * if it is still running. */
static int server_wait(server *sv, int ms)
{
    if (sv->pid <= 0)
        return -2;
    double deadline = now_s() + ms / 1000.0;
    for (;;) {
        int status;
        pid_t r = waitpid(sv->pid, &status, WNOHANG);
        if (r == sv->pid) {
            forget(sv->pid);
            sv->pid = -1;
            close(sv->out);
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        if (now_s() >= deadline)
            return -1;
        usleep(5000);
    }
}

/* SIGTERM, then SIGKILL if it does not exit within 3 s. Returns its status. */
static int server_stop(server *sv)
{
    if (sv->pid <= 0)
        return -2;
    kill(sv->pid, SIGTERM);
    int st = server_wait(sv, 3000);
    if (st == -1) {
        kill(sv->pid, SIGKILL);
        st = server_wait(sv, 3000);
        fail_msg("replay server ignored SIGTERM");
    }
    return st;
}

static char tmpdir[64];

static int setup_dir(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/elog-socket-test-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *tmp_path(const char *name)
{
    static char buf[4][256];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, 256, "%s/%s", tmpdir, name);
    return p;
}

/* ------------------------------------------------------------------------ */
/* A recording client                                                        */
/* ------------------------------------------------------------------------ */

#define MAX_SESSIONS 8

typedef struct rec {
    uint64_t events;             /* delivered to the user's on_event */
    unsigned headers;
    unsigned connected, disconnected, gaps, retries;
    uint64_t skipped[MAX_SESSIONS];
    elog_end ends[MAX_SESSIONS];
    elog_socket_session sessions[MAX_SESSIONS];
    elog_socket_gap gap;
    elog_socket_retry retry[16];
    char address[MAX_SESSIONS][ELOG_SOCKET_ADDR_STRLEN];
    volatile sig_atomic_t stop;  /* set at each disconnection */
    bool stop_on_disconnect;
    unsigned slow_every;         /* sleep 1 ms every N events */
    unsigned pause_every;        /* return PAUSE every N events */
    const char *header_command;  /* sent from on_header */
    elog_socket_status header_send;
} rec;

static int rec_header(elog_decoder *d, const elog_header *h)
{
    rec *r = d->data;
    assert_non_null(h);
    assert_true(h->n_types > 0);
    r->headers++;
    if (r->header_command != NULL)
        r->header_send = elog_socket_send_command(elog_socket_from_decoder(d), r->header_command);
    return ELOG_CB_CONTINUE;
}

static int rec_event(elog_decoder *d, const elog_event *ev)
{
    rec *r = d->data;
    (void)ev;
    r->events++;
    if (r->slow_every && r->events % r->slow_every == 0)
        usleep(1000);
    if (r->pause_every && r->events % r->pause_every == 0)
        return ELOG_CB_PAUSE;
    return ELOG_CB_CONTINUE;
}

static void rec_connected(elog_socket *s, const elog_socket_session *ss)
{
    rec *r = elog_socket_data(s);
    assert_true(r->connected < MAX_SESSIONS);
    assert_int_equal(ss->number, r->connected + 1);
    snprintf(r->address[r->connected], ELOG_SOCKET_ADDR_STRLEN, "%s", ss->address);
    r->connected++;
}

static void rec_skipped(elog_socket *s, const elog_socket_session *ss, uint64_t n)
{
    rec *r = elog_socket_data(s);
    assert_true(ss->number >= 1 && ss->number <= MAX_SESSIONS);
    r->skipped[ss->number - 1] += n;
}

static void rec_disconnected(elog_socket *s, const elog_socket_session *ss, const elog_end *end)
{
    rec *r = elog_socket_data(s);
    assert_int_equal(ss->number, r->disconnected + 1);
    r->ends[r->disconnected] = *end;
    r->sessions[r->disconnected] = *ss;
    r->disconnected++;
    if (r->stop_on_disconnect)
        r->stop = 1;
}

static void rec_gap(elog_socket *s, const elog_socket_gap *g)
{
    rec *r = elog_socket_data(s);
    r->gaps++;
    r->gap = *g;
}

static void rec_retry(elog_socket *s, const elog_socket_retry *rt)
{
    rec *r = elog_socket_data(s);
    if (r->retries < 16)
        r->retry[r->retries] = *rt;
    r->retries++;
}

typedef struct client {
    elog_settings settings;
    elog_socket_options opt;
    elog_socket *s;
} client;

static void client_opts(client *c, rec *r)
{
    memset(r, 0, sizeof *r);
    elog_settings_init(&c->settings);
    c->settings.on_header = rec_header;
    c->settings.on_event = rec_event;
    elog_socket_options_init(&c->opt);
    c->opt.initial_delay_ms = 20;
    c->opt.max_delay_ms = 100;
    c->opt.max_wait_ms = 5000;
    c->opt.on_connected = rec_connected;
    c->opt.on_skipped = rec_skipped;
    c->opt.on_disconnected = rec_disconnected;
    c->opt.on_gap = rec_gap;
    c->opt.on_retry = rec_retry;
}

static void client_new(client *c, rec *r, const char *address)
{
    elog_socket_addr a;
    char err[ELOG_SOCKET_ERRLEN];
    if (elog_socket_addr_parse(&a, address, err, sizeof err) != ELOG_SOCKET_OK)
        fail_msg("%s", err);
    c->s = elog_socket_new(&a, &c->opt, &c->settings, r);
    assert_non_null(c->s);
}

/* Serves `file` on `listen` with `extra` options to one client, and checks
 * the client decodes what a direct decode gives. */
static void one_clean_session(const char *file, const char *listen, const char *const *extra,
                              bool from_env)
{
    const char *args[16] = {"--quiet", "--clients", "1"};
    int k = 3;
    for (int i = 0; extra != NULL && extra[i] != NULL; i++)
        args[k++] = extra[i];
    args[k++] = corpus_path(file);
    args[k++] = listen;
    args[k] = NULL;
    server sv;
    server_start(&sv, args);

    direct want;
    direct_decode(corpus_path(file), &want);
    rec r;
    client c;
    client_opts(&c, &r);
    if (from_env) {
        elog_socket_addr a;
        char err[ELOG_SOCKET_ERRLEN];
        assert_int_equal(elog_socket_addr_from_env(&a, err, sizeof err), ELOG_SOCKET_OK);
        char text[ELOG_SOCKET_ADDR_STRLEN];
        elog_socket_addr_format(&a, text, sizeof text);
        assert_string_equal(text, sv.addr);
        c.s = elog_socket_new(&a, &c.opt, &c.settings, &r);
        assert_non_null(c.s);
    } else {
        client_new(&c, &r, sv.addr);
    }
    elog_socket_status st = elog_socket_run(c.s, NULL, RUN_TIMEOUT_MS);
    if (st != ELOG_SOCKET_EOF)
        fail_msg("run: %s: %s", elog_socket_status_name(st), elog_socket_error_message(c.s));
    assert_int_equal(elog_socket_get_state(c.s), ELOG_SOCKET_STATE_CLOSED);
    assert_int_equal(r.connected, 1);
    assert_int_equal(r.disconnected, 1);
    assert_string_equal(r.address[0], sv.addr);
    assert_int_equal(r.headers, 1);
    assert_int_equal(r.events, want.events);
    assert_int_equal(r.ends[0].kind, ELOG_END_CLEAN);
    assert_int_equal(r.ends[0].offset, want.end.offset);
    assert_int_equal(r.ends[0].events, want.events);
    assert_int_equal(r.sessions[0].events, want.events);
    assert_int_equal(r.sessions[0].first_time, want.first_time);
    assert_int_equal(r.sessions[0].max_time, want.max_time);
    assert_int_equal(r.sessions[0].skipped, 0);
    assert_int_equal(r.sessions[0].error, 0);
    assert_int_equal(r.gaps, 0);
    assert_int_equal(elog_socket_pump(c.s), ELOG_SOCKET_CLOSED);
    elog_socket_free(c.s);
    assert_int_equal(server_wait(&sv, 5000), 0);
    direct_free(&want);
}

/* ------------------------------------------------------------------------ */
/* Tests                                                                     */
/* ------------------------------------------------------------------------ */

static void test_unix(void **state)
{
    (void)state;
    char listen[300];
    snprintf(listen, sizeof listen, "unix:%s", tmp_path("a.sock"));
    one_clean_session("hello-ghc-8.2.2.eventlog", listen, NULL, false);
    /* The server removed its socket file. */
    struct stat stb;
    assert_int_equal(stat(tmp_path("a.sock"), &stb), -1);

    /* The address from the environment, as the program would read it. */
    setenv("GHC_EVENTLOG_UNIX_PATH", tmp_path("env.sock"), 1);
    snprintf(listen, sizeof listen, "unix:%s", tmp_path("env.sock"));
    one_clean_session("ghc-9.2-events.eventlog", listen, NULL, true);
    unsetenv("GHC_EVENTLOG_UNIX_PATH");
}

static void test_tcp(void **state)
{
    (void)state;
    one_clean_session("ghc-9.2-events.eventlog", "tcp:127.0.0.1:0", NULL, false);
    one_clean_session("parallelTest.eventlog", "tcp:localhost:0", NULL, false);

    /* IPv6 loopback, when the machine has it. */
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 sa;
    memset(&sa, 0, sizeof sa);
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_loopback;
    bool v6 = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0)
        close(fd);
    if (v6)
        one_clean_session("sleep.hd.eventlog", "tcp:[::1]:0", NULL, false);
    else
        fprintf(stderr, "note: no IPv6 loopback, tcp:[::1] not tested\n");
}

/* A server killed mid-event, then restarted: the client reports a session
 * truncated inside that event at its offset, reconnects on its own, decodes
 * the new header and reports the gap. */
static void test_cut_and_restart(void **state)
{
    (void)state;
    const char *file = corpus_path("hello-ghc-8.2.2.eventlog");
    direct want;
    direct_decode(file, &want);
    /* An event in the middle, at least 10 bytes long; cut 3 bytes into it. */
    size_t k = want.n / 2;
    while (want.sizes[k] < 10)
        k++;
    uint64_t cut = want.offsets[k] + 3;
    char cutarg[32];
    snprintf(cutarg, sizeof cutarg, "%llu", (unsigned long long)cut);
    char listen[300];
    snprintf(listen, sizeof listen, "unix:%s", tmp_path("cut.sock"));
    const char *args1[] = {"--quiet", "--clients", "1", "--cut-after", cutarg, file, listen, NULL};
    server sv;
    server_start(&sv, args1);

    rec r;
    client c;
    client_opts(&c, &r);
    c.opt.reconnect = true;
    r.stop_on_disconnect = true;
    client_new(&c, &r, listen);
    elog_socket_status st = elog_socket_run(c.s, &r.stop, RUN_TIMEOUT_MS);
    if (st != ELOG_SOCKET_STOPPED)
        fail_msg("run: %s: %s", elog_socket_status_name(st), elog_socket_error_message(c.s));
    assert_int_equal(r.disconnected, 1);
    elog_end *e = &r.ends[0];
    assert_int_equal(e->kind, ELOG_END_TRUNCATED_IN_EVENT);
    assert_string_equal(elog_end_kind_name(e->kind), "truncated-in-event");
    assert_int_equal(e->offset, want.offsets[k]);
    assert_true(e->id_known);
    assert_int_equal(e->event_id, want.ids[k]);
    assert_int_equal(e->bytes_missing, want.sizes[k] - 3);
    assert_int_equal(e->total_bytes, cut);
    assert_int_equal(r.events, k);
    assert_int_equal(r.sessions[0].bytes, cut);
    assert_int_equal(server_wait(&sv, 5000), 0);
    /* Meanwhile the client keeps trying. */
    assert_int_equal(elog_socket_get_state(c.s), ELOG_SOCKET_STATE_WAITING);

    /* The "program" comes back on the same path. */
    const char *args2[] = {"--quiet", "--clients", "1", file, listen, NULL};
    server_start(&sv, args2);
    r.stop = 0;
    st = elog_socket_run(c.s, &r.stop, RUN_TIMEOUT_MS);
    if (st != ELOG_SOCKET_STOPPED)
        fail_msg("run: %s: %s", elog_socket_status_name(st), elog_socket_error_message(c.s));
    assert_int_equal(r.connected, 2);
    assert_int_equal(r.disconnected, 2);
    assert_int_equal(r.headers, 2);
    assert_int_equal(r.ends[1].kind, ELOG_END_CLEAN);
    assert_int_equal(r.ends[1].offset, want.end.offset);   /* offsets restart per session */
    assert_int_equal(r.sessions[1].events, want.events);
    assert_int_equal(r.events, k + want.events);
    /* The gap: from the last event time of session 1 to the first of 2. */
    assert_int_equal(r.gaps, 1);
    assert_int_equal(r.gap.prev_session, 1);
    assert_int_equal(r.gap.session, 2);
    assert_int_equal(r.gap.prev_max_time, r.sessions[0].max_time);
    assert_int_equal(r.gap.first_time, want.first_time);
    assert_int_equal(r.gap.gap_ns, (int64_t)(want.first_time - r.sessions[0].max_time));
    assert_true(r.gap.gap_ns < 0);   /* the same log again: its clock restarted */
    assert_true(r.gap.disconnected_ns > 0);
    assert_int_equal(server_wait(&sv, 5000), 0);

    assert_int_equal(elog_socket_close(c.s), ELOG_SOCKET_OK);
    elog_socket_free(c.s);
    direct_free(&want);
}

/* GHC 9.0 sends a stale 24-byte block marker before the new header. */
static void test_stale_block(void **state)
{
    (void)state;
    const char *file = corpus_path("sleep.hm.eventlog");
    direct want;
    direct_decode(file, &want);
    char listen[300];
    snprintf(listen, sizeof listen, "unix:%s", tmp_path("stale.sock"));
    const char *args[] = {"--quiet", "--clients", "2", "--stale-block", file, listen, NULL};
    server sv;
    server_start(&sv, args);

    /* Twice, with a fresh client each time and a small read size so the
     * marker and the magic arrive in pieces the second time. */
    for (int round = 0; round < 2; round++) {
        rec r;
        client c;
        client_opts(&c, &r);
        if (round == 1)
            c.opt.read_size = 64;
        client_new(&c, &r, listen);
        elog_socket_status st = elog_socket_run(c.s, NULL, RUN_TIMEOUT_MS);
        if (st != ELOG_SOCKET_EOF)
            fail_msg("run: %s: %s", elog_socket_status_name(st), elog_socket_error_message(c.s));
        assert_int_equal(r.skipped[0], 24);
        assert_int_equal(r.sessions[0].skipped, 24);
        assert_int_equal(r.sessions[0].bytes, 24 + want.end.total_bytes);
        assert_int_equal(r.ends[0].kind, ELOG_END_CLEAN);
        assert_int_equal(r.ends[0].offset, want.end.offset);   /* counted from "hdrb" */
        assert_int_equal(r.events, want.events);
        elog_socket_free(c.s);
    }
    assert_int_equal(server_wait(&sv, 5000), 0);
    direct_free(&want);
}

/* on_data: exactly the bytes from "hdrb" on, each once, before decoding;
 * the stale marker is not among them, even when "hdrb" arrives in pieces. */
typedef struct tapped {
    uint8_t *buf;
    size_t len, cap;
    uint64_t events_at_first_call;   /* events decoded before the first tap */
    unsigned calls;
    rec *r;
} tapped;

static tapped *tap_target;

static void tap_data(elog_socket *s, const elog_socket_session *ss, const void *buf, size_t len)
{
    (void)s;
    tapped *t = tap_target;
    assert_int_equal(ss->number, 1);
    assert_true(len > 0);
    if (t->calls++ == 0)
        t->events_at_first_call = t->r->events;
    if (t->len + len > t->cap) {
        t->cap = (t->len + len) * 2;
        t->buf = realloc(t->buf, t->cap);
        assert_non_null(t->buf);
    }
    memcpy(t->buf + t->len, buf, len);
    t->len += len;
}

static void test_data_tap(void **state)
{
    (void)state;
    const char *file = corpus_path("sleep.hm.eventlog");
    FILE *f = fopen(file, "rb");
    assert_non_null(f);
    static uint8_t want[1 << 16];
    size_t want_len = fread(want, 1, sizeof want, f);
    fclose(f);
    assert_true(want_len > 0 && want_len < sizeof want);

    char listen[300];
    snprintf(listen, sizeof listen, "unix:%s", tmp_path("tap.sock"));
    const char *args[] = {"--quiet", "--clients", "2", "--stale-block", file, listen, NULL};
    server sv;
    server_start(&sv, args);
    for (int round = 0; round < 2; round++) {
        rec r;
        client c;
        client_opts(&c, &r);
        c.opt.on_data = tap_data;
        if (round == 1)
            c.opt.read_size = 64;   /* the marker and the magic arrive in pieces */
        tapped t = {NULL, 0, 0, 0, 0, &r};
        tap_target = &t;
        client_new(&c, &r, listen);
        elog_socket_status st = elog_socket_run(c.s, NULL, RUN_TIMEOUT_MS);
        if (st != ELOG_SOCKET_EOF)
            fail_msg("run: %s: %s", elog_socket_status_name(st), elog_socket_error_message(c.s));
        assert_int_equal(r.skipped[0], 24);
        assert_int_equal(r.ends[0].kind, ELOG_END_CLEAN);
        assert_int_equal(t.len, want_len);
        assert_memory_equal(t.buf, want, want_len);
        assert_int_equal(t.events_at_first_call, 0);
        elog_socket_free(c.s);
        free(t.buf);
        tap_target = NULL;
    }
    assert_int_equal(server_wait(&sv, 5000), 0);
}

/* A consumer slower than the server, driven through the event-loop API
 * (fd, events, timeout, pump) with pauses: nothing is lost. */
static void test_slow_consumer(void **state)
{
    (void)state;
    const char *file = corpus_path("stop.hT.eventlog");
    direct want;
    direct_decode(file, &want);
    char listen[300];
    snprintf(listen, sizeof listen, "unix:%s", tmp_path("slow.sock"));
    const char *args[] = {"--quiet", "--clients", "1", file, listen, NULL};
    server sv;
    server_start(&sv, args);

    rec r;
    client c;
    client_opts(&c, &r);
    c.opt.read_size = 16384;
    c.opt.pump_budget = 65536;
    client_new(&c, &r, listen);
    r.slow_every = 200;       /* ~600 sleeps of 1 ms */
    r.pause_every = 5000;

    unsigned pauses = 0, oks = 0;
    double deadline = now_s() + RUN_TIMEOUT_MS / 1000.0;
    for (;;) {
        assert_true(now_s() < deadline);
        elog_socket_status st = elog_socket_pump(c.s);
        if (st == ELOG_SOCKET_EOF)
            break;
        if (st == ELOG_SOCKET_PAUSED) {
            pauses++;
            assert_int_equal(elog_socket_timeout_ms(c.s), 0);
            continue;
        }
        if (st == ELOG_SOCKET_OK) {
            oks++;
            assert_int_equal(elog_socket_timeout_ms(c.s), 0);
            continue;
        }
        if (st != ELOG_SOCKET_WOULD_BLOCK)
            fail_msg("pump: %s: %s", elog_socket_status_name(st), elog_socket_error_message(c.s));
        struct pollfd p = {elog_socket_fd(c.s), elog_socket_events(c.s), 0};
        int t = elog_socket_timeout_ms(c.s);
        if (t < 0 || t > 1000)
            t = 1000;
        (void)poll(p.fd >= 0 ? &p : NULL, p.fd >= 0 ? 1 : 0, t);
    }
    assert_int_equal(r.events, want.events);
    assert_int_equal(pauses, want.events / 5000);
    assert_true(oks > 0);
    assert_int_equal(r.ends[0].kind, ELOG_END_CLEAN);
    assert_int_equal(r.sessions[0].bytes, want.end.total_bytes);
    assert_int_equal(elog_socket_get_state(c.s), ELOG_SOCKET_STATE_CLOSED);
    elog_socket_free(c.s);
    assert_int_equal(server_wait(&sv, 5000), 0);
    direct_free(&want);
}

/* --rate and --realtime take the time they should. */
static void test_pacing(void **state)
{
    (void)state;
    char listen[300];
    snprintf(listen, sizeof listen, "unix:%s", tmp_path("pace.sock"));
    /* 17403 bytes at 40000 B/s: about 0.43 s. */
    const char *rate[] = {"--rate", "40000", NULL};
    double t0 = now_s();
    one_clean_session("ghc-9.2-events.eventlog", listen, rate, false);
    double dt = now_s() - t0;
    if (dt < 0.35 || dt > 5)
        fail_msg("--rate 40000: %.3f s for 17403 bytes", dt);

    /* Events spanning 0.169 s, sent when due. */
    const char *rt[] = {"--realtime", NULL};
    t0 = now_s();
    one_clean_session("ghc-9.2-events.eventlog", listen, rt, false);
    dt = now_s() - t0;
    if (dt < 0.15 || dt > 5)
        fail_msg("--realtime: %.3f s for a log spanning 0.169 s", dt);
}

/* Nothing listening: a clear error once the retry limits are reached. */
static void test_connect_nothing(void **state)
{
    (void)state;
    rec r;
    client c;
    client_opts(&c, &r);
    c.opt.max_attempts = 5;
    c.opt.initial_delay_ms = 20;
    c.opt.max_delay_ms = 60;
    c.opt.jitter_percent = 0;
    char listen[300];
    snprintf(listen, sizeof listen, "unix:%s", tmp_path("nobody.sock"));
    client_new(&c, &r, listen);
    double t0 = now_s();
    elog_socket_status st = elog_socket_run(c.s, NULL, RUN_TIMEOUT_MS);
    double dt = now_s() - t0;
    assert_int_equal(st, ELOG_SOCKET_E_CONNECT);
    assert_int_equal(elog_socket_errno(c.s), ENOENT);
    char want[400];
    snprintf(want, sizeof want, "could not connect to %s after 5 attempts over 0.", listen);
    if (strstr(elog_socket_error_message(c.s), want) == NULL ||
        strstr(elog_socket_error_message(c.s), ": No such file or directory") == NULL)
        fail_msg("message: %s", elog_socket_error_message(c.s));
    /* Delays 20, 40, 60, 60 ms. */
    assert_int_equal(r.retries, 4);
    assert_int_equal(r.retry[0].delay_ms, 20);
    assert_int_equal(r.retry[1].delay_ms, 40);
    assert_int_equal(r.retry[2].delay_ms, 60);
    assert_int_equal(r.retry[3].delay_ms, 60);
    assert_int_equal(r.retry[3].attempt, 4);
    assert_true(dt >= 0.17 && dt < 2.0);
    assert_int_equal(r.connected, 0);
    assert_int_equal(elog_socket_get_state(c.s), ELOG_SOCKET_STATE_IDLE);
    elog_socket_free(c.s);

    /* TCP, a port that refuses (bound, not listening), limited by time. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    snprintf(listen, sizeof listen, "tcp:127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
    client_opts(&c, &r);
    c.opt.max_attempts = 0;
    c.opt.max_wait_ms = 300;
    client_new(&c, &r, listen);
    t0 = now_s();
    st = elog_socket_connect(c.s);
    dt = now_s() - t0;
    close(fd);
    assert_int_equal(st, ELOG_SOCKET_E_CONNECT);
    assert_int_equal(elog_socket_errno(c.s), ECONNREFUSED);
    snprintf(want, sizeof want, "could not connect to %s after %u attempts over 0.3 s: %s",
             listen, r.retries + 1, strerror(ECONNREFUSED));
    assert_string_equal(elog_socket_error_message(c.s), want);
    assert_true(dt >= 0.29 && dt < 1.5);
    elog_socket_free(c.s);
}

/* For test_backlog: when each client's session ended, and its first header. */
typedef struct timed {
    rec r;
    double connected_at, header_at, ended_at;
} timed;

static int timed_header(elog_decoder *d, const elog_header *h)
{
    timed *t = d->data;
    t->header_at = now_s();
    return rec_header(d, h);
}

static void timed_connected(elog_socket *s, const elog_socket_session *ss)
{
    timed *t = elog_socket_data(s);
    t->connected_at = now_s();
    rec_connected(s, ss);
}

static void timed_disconnected(elog_socket *s, const elog_socket_session *ss, const elog_end *e)
{
    timed *t = elog_socket_data(s);
    t->ended_at = now_s();
    rec_disconnected(s, ss, e);
}

/* One client at a time: a second client connects at once (the kernel's
 * backlog) but receives nothing until the first one's session is over; then
 * it gets a complete log of its own. Both are driven by one poll loop. */
static void test_backlog(void **state)
{
    (void)state;
    const char *file = corpus_path("ghc-9.2-events.eventlog");
    direct want;
    direct_decode(file, &want);
    char listen[300];
    snprintf(listen, sizeof listen, "unix:%s", tmp_path("backlog.sock"));
    /* 17403 bytes at 80000 B/s: the first session lasts about 0.2 s. */
    const char *args[] = {"--quiet", "--clients", "2", "--rate", "80000", file, listen, NULL};
    server sv;
    server_start(&sv, args);

    timed t[2];
    client c[2];
    for (int i = 0; i < 2; i++) {
        memset(&t[i], 0, sizeof t[i]);
        client_opts(&c[i], &t[i].r);
        c[i].settings.on_header = timed_header;
        c[i].opt.on_connected = timed_connected;
        c[i].opt.on_disconnected = timed_disconnected;
        elog_socket_addr a;
        assert_int_equal(elog_socket_addr_parse(&a, listen, NULL, 0), ELOG_SOCKET_OK);
        c[i].s = elog_socket_new(&a, &c[i].opt, &c[i].settings, &t[i]);
        assert_non_null(c[i].s);
    }
    /* The first connects before the second. */
    assert_int_equal(elog_socket_connect(c[0].s), ELOG_SOCKET_OK);
    assert_int_equal(elog_socket_connect(c[1].s), ELOG_SOCKET_OK);

    bool done[2] = {false, false};
    double deadline = now_s() + RUN_TIMEOUT_MS / 1000.0;
    while (!done[0] || !done[1]) {
        assert_true(now_s() < deadline);
        struct pollfd p[2];
        int timeout = 1000;
        for (int i = 0; i < 2; i++) {
            elog_socket_status st = done[i] ? ELOG_SOCKET_CLOSED : elog_socket_pump(c[i].s);
            if (st == ELOG_SOCKET_EOF)
                done[i] = true;
            else if (st != ELOG_SOCKET_WOULD_BLOCK && st != ELOG_SOCKET_OK && !done[i])
                fail_msg("pump: %s: %s", elog_socket_status_name(st),
                         elog_socket_error_message(c[i].s));
            p[i].fd = done[i] ? -1 : elog_socket_fd(c[i].s);
            p[i].events = done[i] ? 0 : elog_socket_events(c[i].s);
            p[i].revents = 0;
            int ti = done[i] ? -1 : elog_socket_timeout_ms(c[i].s);
            if (ti >= 0 && ti < timeout)
                timeout = ti;
        }
        if (!done[0] || !done[1])
            (void)poll(p, 2, timeout);
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(t[i].r.events, want.events);
        assert_int_equal(t[i].r.ends[0].kind, ELOG_END_CLEAN);
    }
    /* Connected together; served one after the other. */
    assert_true(t[1].connected_at - t[0].connected_at < 0.1);
    assert_true(t[0].ended_at - t[0].connected_at > 0.15);
    if (t[1].header_at < t[0].ended_at)
        fail_msg("second client got its header %.3f s before the first session ended",
                 t[0].ended_at - t[1].header_at);
    for (int i = 0; i < 2; i++)
        elog_socket_free(c[i].s);
    assert_int_equal(server_wait(&sv, 5000), 0);
    direct_free(&want);
}

static void close_on_retry(elog_socket *s, const elog_socket_retry *rt)
{
    rec *r = elog_socket_data(s);
    r->retries++;
    if (rt->attempt == 2)
        assert_int_equal(elog_socket_close(s), ELOG_SOCKET_OK);   /* deferred */
}

/* elog_socket_close() from a callback while waiting to retry. */
static void test_close_while_retrying(void **state)
{
    (void)state;
    rec r;
    client c;
    client_opts(&c, &r);
    c.opt.on_retry = close_on_retry;
    char listen[300];
    snprintf(listen, sizeof listen, "unix:%s", tmp_path("nobody2.sock"));
    client_new(&c, &r, listen);
    assert_int_equal(elog_socket_run(c.s, NULL, RUN_TIMEOUT_MS), ELOG_SOCKET_CLOSED);
    assert_int_equal(r.retries, 2);
    assert_int_equal(elog_socket_get_state(c.s), ELOG_SOCKET_STATE_CLOSED);
    elog_socket_free(c.s);
}

/* Sessions that end early: nothing at all, only the stale marker, inside the
 * header; and a stream that is not an eventlog at all. */
/* Runs a reconnecting client (in 50 ms steps, each ending in a timeout)
 * until `n` sessions have ended; returns the seconds it took. */
static double run_sessions(client *c, rec *r, unsigned n)
{
    double t0 = now_s();
    while (r->disconnected < n) {
        assert_true(now_s() - t0 < RUN_TIMEOUT_MS / 1000.0);
        elog_socket_status st = elog_socket_run(c->s, NULL, 50);
        assert_true(st == ELOG_SOCKET_TIMEOUT);
    }
    return now_s() - t0;
}

static void test_short_sessions(void **state)
{
    (void)state;
    const char *file = corpus_path("unicode.eventlog");
    struct {
        const char *cut;
        bool stale;
        elog_end_kind kind;
        uint64_t skipped;
    } cases[] = {
        {"0", false, ELOG_END_EMPTY, 0},
        {"0", true, ELOG_END_EMPTY, 24},
        {"2", true, ELOG_END_TRUNCATED_IN_HEADER, 24},   /* "hd" may be "hdrb" */
        {"100", true, ELOG_END_TRUNCATED_IN_HEADER, 24},
    };
    char listen[300];
    snprintf(listen, sizeof listen, "unix:%s", tmp_path("short.sock"));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *args[] = {"--quiet", "--clients", "1", "--cut-after", cases[i].cut,
                              cases[i].stale ? "--stale-block" : "--quiet", file, listen, NULL};
        server sv;
        server_start(&sv, args);
        rec r;
        client c;
        client_opts(&c, &r);
        client_new(&c, &r, listen);
        assert_int_equal(elog_socket_run(c.s, NULL, RUN_TIMEOUT_MS), ELOG_SOCKET_EOF);
        assert_int_equal(r.disconnected, 1);
        assert_int_equal(r.ends[0].kind, cases[i].kind);
        assert_int_equal(r.skipped[0], cases[i].skipped);
        assert_int_equal(r.sessions[0].skipped, cases[i].skipped);
        assert_int_equal(r.headers, 0);
        elog_socket_free(c.s);
        assert_int_equal(server_wait(&sv, 5000), 0);
    }
    /* A server that closes every connection at once: with `reconnect`, the
     * client backs off between such sessions (20, 40, 80 ms). */
    {
        const char *a4[] = {"--quiet", "--clients", "4", "--cut-after", "0", file, listen, NULL};
        server sv;
        server_start(&sv, a4);
        rec r;
        client c;
        client_opts(&c, &r);
        c.opt.reconnect = true;
        client_new(&c, &r, listen);
        double dt = run_sessions(&c, &r, 4);
        if (dt < 0.14 || dt > 3)
            fail_msg("4 empty sessions in %.3f s", dt);
        for (int i = 0; i < 4; i++)
            assert_int_equal(r.ends[i].kind, ELOG_END_EMPTY);
        elog_socket_free(c.s);
        assert_int_equal(server_wait(&sv, 5000), 0);
    }

    /* Issue 14 item 2: sessions that deliver a header and are cut short
     * back off as well (they used to reconnect at once, ~10,000 times a
     * second); with healthy_session_ms = 0 any session that delivered
     * events counts as healthy and the reconnect is immediate. */
    for (int healthy = 0; healthy < 2; healthy++) {
        const char *a5[] = {"--quiet", "--clients", "4", "--cut-after", "2500", file, listen,
                            NULL};
        server sv;
        server_start(&sv, a5);
        rec r;
        client c;
        client_opts(&c, &r);
        c.opt.reconnect = true;
        c.opt.jitter_percent = 0;
        c.opt.initial_delay_ms = 50;
        c.opt.max_delay_ms = 400;
        if (healthy)
            c.opt.healthy_session_ms = 0;
        client_new(&c, &r, listen);
        double dt = run_sessions(&c, &r, 4);
        for (int i = 0; i < 4; i++)
            assert_int_equal(r.ends[i].kind, ELOG_END_TRUNCATED_IN_EVENT);
        /* 50 + 100 + 200 ms between the four sessions, or none at all. */
        if (healthy ? dt > 0.3 : (dt < 0.34 || dt > 3))
            fail_msg("healthy=%d: 4 cut sessions in %.3f s", healthy, dt);
        elog_socket_free(c.s);
        assert_int_equal(server_wait(&sv, 5000), 0);
    }

    /* Not an eventlog: after max_skip bytes without "hdrb" the decoder is
     * given the stream, and says so. */
    const char *args[] = {"--quiet", "--clients", "1", "--any-bytes",
                          corpus_path("hello-ghc-8.2.2.eventlog.reference"), listen, NULL};
    server sv;
    server_start(&sv, args);
    rec r;
    client c;
    client_opts(&c, &r);
    c.opt.max_skip = 1000;
    client_new(&c, &r, listen);
    assert_int_equal(elog_socket_run(c.s, NULL, RUN_TIMEOUT_MS), ELOG_SOCKET_E_DECODE);
    assert_int_equal(r.skipped[0], 1001);
    assert_int_equal(r.ends[0].kind, ELOG_END_ERROR);
    assert_int_equal(r.ends[0].status, ELOG_E_NOT_EVENTLOG);
    assert_int_equal(elog_get_error(elog_socket_decoder(c.s)), ELOG_E_NOT_EVENTLOG);
    if (strstr(elog_socket_error_message(c.s), ": session 1: ") == NULL)
        fail_msg("message: %s", elog_socket_error_message(c.s));
    assert_int_equal(elog_socket_get_state(c.s), ELOG_SOCKET_STATE_CLOSED);
    elog_socket_free(c.s);
    server_stop(&sv);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Control frames as the server receives them, from outside and inside
 * callbacks; then invalid ones, which must not reach the server at all. */
static void test_control(void **state)
{
    (void)state;
    char listen[300];
    snprintf(listen, sizeof listen, "unix:%s", tmp_path("ctl.sock"));
    const char *log = tmp_path("ctl.log");
    const char *args[] = {"--quiet", "--clients", "1", "--hold", "--control-log", log,
                          corpus_path("hello-ghc-8.2.2.eventlog"), listen, NULL};
    server sv;
    server_start(&sv, args);

    rec r;
    client c;
    client_opts(&c, &r);
    client_new(&c, &r, listen);
    r.header_command = "requestHeapCensus";
    r.header_send = ELOG_SOCKET_E_USAGE;
    assert_int_equal(elog_socket_connect(c.s), ELOG_SOCKET_OK);
    assert_int_equal(r.connected, 1);
    const char *cmds[] = {"start-profiling", "stopProfiling", "start-heap-profiling",
                          "stopHeapProfiling", "request-heap-census", "my-app:7", "a:b:255"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        assert_int_equal(elog_socket_send_command(c.s, cmds[i]), ELOG_SOCKET_OK);
    char ns255[255];
    memset(ns255, 'N', sizeof ns255);
    assert_int_equal(elog_socket_send_control(c.s, ns255, 255, 255), ELOG_SOCKET_OK);
    const uint8_t odd[] = {'s', ' ', 0x00, 0xff, '\\'};
    assert_int_equal(elog_socket_send_control(c.s, odd, sizeof odd, 1), ELOG_SOCKET_OK);
    /* Refused client-side: nothing may reach the server. */
    char ns256[256];
    memset(ns256, 'N', sizeof ns256);
    assert_int_equal(elog_socket_send_control(c.s, "", 0, 1), ELOG_SOCKET_E_ARG);
    assert_int_equal(elog_socket_send_control(c.s, NULL, 0, 1), ELOG_SOCKET_E_ARG);
    assert_int_equal(elog_socket_send_control(c.s, ns256, 256, 1), ELOG_SOCKET_E_ARG);
    assert_int_equal(elog_socket_send_control(c.s, "eventlog-socket", 15, 0), ELOG_SOCKET_E_ARG);
    assert_int_equal(elog_socket_send_control(c.s, "eventlog-socket", 15, 256), ELOG_SOCKET_E_ARG);
    assert_int_equal(elog_socket_send_command(c.s, "x:0"), ELOG_SOCKET_E_ARG);
    assert_int_equal(elog_socket_send_command(c.s, ":3"), ELOG_SOCKET_E_ARG);
    assert_int_equal(elog_socket_send_command(c.s, "census"), ELOG_SOCKET_E_ARG);

    /* Decode until the data is all there (the server holds the connection
     * open), sending one more command from on_header. */
    direct want;
    direct_decode(corpus_path("hello-ghc-8.2.2.eventlog"), &want);
    double deadline = now_s() + RUN_TIMEOUT_MS / 1000.0;
    while (r.events < want.events) {
        assert_true(now_s() < deadline);
        elog_socket_status st = elog_socket_run(c.s, NULL, 100);
        assert_true(st == ELOG_SOCKET_TIMEOUT);
    }
    assert_int_equal(r.header_send, ELOG_SOCKET_OK);
    assert_int_equal(elog_socket_close(c.s), ELOG_SOCKET_OK);
    assert_int_equal(r.disconnected, 1);
    /* The decoder saw a complete log before we closed. */
    assert_int_equal(r.ends[0].kind, ELOG_END_CLEAN);
    assert_int_equal(elog_socket_send_command(c.s, "start-profiling"), ELOG_SOCKET_E_USAGE);
    elog_socket_free(c.s);
    assert_int_equal(server_wait(&sv, 5000), 0);

    char expect[4096];
    int n = 0;
    for (int id = 1; id <= 5; id++)
        n += snprintf(expect + n, sizeof expect - n, "client=1 namespace=eventlog-socket id=%d\n", id);
    n += snprintf(expect + n, sizeof expect - n, "client=1 namespace=my-app id=7\n");
    n += snprintf(expect + n, sizeof expect - n, "client=1 namespace=a:b id=255\n");
    n += snprintf(expect + n, sizeof expect - n, "client=1 namespace=%.255s id=255\n", ns255);
    n += snprintf(expect + n, sizeof expect - n, "client=1 namespace=s\\x20\\x00\\xff\\x5c id=1\n");
    n += snprintf(expect + n, sizeof expect - n, "client=1 namespace=eventlog-socket id=5\n");
    assert_string_equal(slurp(log), expect);
    direct_free(&want);
}

/* The server reports garbage and truncated frames in its control log (the
 * parser the log relies on, over a real connection). */
static void test_control_garbage(void **state)
{
    (void)state;
    char listen[300];
    snprintf(listen, sizeof listen, "unix:%s", tmp_path("garbage.sock"));
    const char *log = tmp_path("garbage.log");
    const char *args[] = {"--quiet", "--clients", "1", "--hold", "--control-log", log,
                          corpus_path("unicode.eventlog"), listen, NULL};
    server sv;
    server_start(&sv, args);
    rec r;
    client c;
    client_opts(&c, &r);
    client_new(&c, &r, listen);
    assert_int_equal(elog_socket_connect(c.s), ELOG_SOCKET_OK);
    /* Raw bytes on the client's own descriptor (a test may do what users
     * must not): old framing, a frame, then half a frame. */
    int fd = elog_socket_fd(c.s);
    uint8_t raw[64] = {'G', 'C', 'T', 'L', 3};
    size_t n = 5, fl;
    assert_int_equal(elog_control_build(raw + n, sizeof raw - n, "eventlog-socket", 15, 4, &fl),
                     ELOG_CONTROL_OK);
    n += fl;
    memcpy(raw + n, "\xF0\x9E\x97\x8C\x00\x05" "ab", 8);
    n += 8;
    assert_int_equal(send(fd, raw, n, MSG_NOSIGNAL), (ssize_t)n);
    elog_socket_close(c.s);
    elog_socket_free(c.s);
    assert_int_equal(server_wait(&sv, 5000), 0);
    assert_string_equal(slurp(log), "client=1 garbage bytes=5 offset=0\n"
                                    "client=1 namespace=eventlog-socket id=4\n"
                                    "client=1 truncated bytes=8 offset=27\n");
}

/* The server exits cleanly on SIGTERM and removes its socket. */
static void test_server_sigterm(void **state)
{
    (void)state;
    char listen[300];
    snprintf(listen, sizeof listen, "unix:%s", tmp_path("term.sock"));
    const char *args[] = {"--quiet", "--hold", corpus_path("unicode.eventlog"), listen, NULL};
    server sv;
    server_start(&sv, args);
    struct stat stb;
    assert_int_equal(stat(tmp_path("term.sock"), &stb), 0);
    /* While serving a client, too. */
    rec r;
    client c;
    client_opts(&c, &r);
    client_new(&c, &r, listen);
    assert_int_equal(elog_socket_connect(c.s), ELOG_SOCKET_OK);
    assert_int_equal(server_stop(&sv), 0);
    assert_int_equal(stat(tmp_path("term.sock"), &stb), -1);
    /* The client sees the end of its session. */
    elog_socket_status st = elog_socket_run(c.s, NULL, RUN_TIMEOUT_MS);
    assert_int_equal(st, ELOG_SOCKET_EOF);
    assert_int_equal(r.disconnected, 1);
    elog_socket_free(c.s);
}

int main(void)
{
    if (getenv("ELOG_REPLAY") == NULL) {
        fprintf(stderr, "ELOG_REPLAY (the replay server to test against) is not set\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_unix, kill_servers),
        cmocka_unit_test_teardown(test_tcp, kill_servers),
        cmocka_unit_test_teardown(test_cut_and_restart, kill_servers),
        cmocka_unit_test_teardown(test_stale_block, kill_servers),
        cmocka_unit_test_teardown(test_data_tap, kill_servers),
        cmocka_unit_test_teardown(test_slow_consumer, kill_servers),
        cmocka_unit_test_teardown(test_pacing, kill_servers),
        cmocka_unit_test_teardown(test_connect_nothing, kill_servers),
        cmocka_unit_test_teardown(test_backlog, kill_servers),
        cmocka_unit_test_teardown(test_close_while_retrying, kill_servers),
        cmocka_unit_test_teardown(test_short_sessions, kill_servers),
        cmocka_unit_test_teardown(test_control, kill_servers),
        cmocka_unit_test_teardown(test_control_garbage, kill_servers),
        cmocka_unit_test_teardown(test_server_sigterm, kill_servers),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
