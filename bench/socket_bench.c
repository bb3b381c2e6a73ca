/*
 * Helper of bench/socket_bench.sh (not a test): wall-clock throughput of
 *
 *   client ADDR SESSIONS   the socket client (elog_socket_run, reconnecting)
 *                          decoding SESSIONS sessions from a replay server
 *   pair FILE REPS MODE    FILE written REPS times into a socketpair by a child
 *                          process, read in 64 KiB reads by this one: MODE
 *                          "cat" discards the bytes (what cat would do), MODE
 *                          "decode" feeds them to a decoder (reset per copy)
 *   memory FILE REPS       the decoder alone, on FILE in memory, REPS times
 *
 * Each prints one line: "<what>: <bytes> bytes, <events> events, <s> s, <MB/s> MB/s"
 * (MB = 10^6 bytes).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "eventlog.h"
#include "eventlog/socket.h"

static uint64_t events;

static int on_event(elog_decoder *d, const elog_event *ev)
{
    (void)d;
    (void)ev;
    events++;
    return ELOG_CB_CONTINUE;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *what, uint64_t bytes, double s)
{
    printf("%s: %llu bytes, %llu events, %.3f s, %.0f MB/s\n", what, (unsigned long long)bytes,
           (unsigned long long)events, s, (double)bytes / s / 1e6);
}

static void die(const char *msg)
{
    fprintf(stderr, "socket_bench: %s\n", msg);
    exit(1);
}

static uint8_t *load(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        die("cannot open the file");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
        die("cannot read the file");
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* ------------------------------------------------------------------------ */

static unsigned sessions_wanted;
static unsigned sessions_done;
static uint64_t bytes_done;
static volatile sig_atomic_t stop;

static void on_disconnected(elog_socket *s, const elog_socket_session *ss, const elog_end *end)
{
    (void)s;
    if (end->kind != ELOG_END_CLEAN)
        fprintf(stderr, "socket_bench: session %u ended %s\n", ss->number,
                elog_end_kind_name(end->kind));
    bytes_done += ss->bytes;
    if (++sessions_done == sessions_wanted)
        stop = 1;
}

static int run_client(const char *address, unsigned sessions)
{
    elog_socket_addr a;
    char err[ELOG_SOCKET_ERRLEN];
    if (elog_socket_addr_parse(&a, address, err, sizeof err) != ELOG_SOCKET_OK)
        die(err);
    elog_settings st;
    elog_settings_init(&st);
    st.on_event = on_event;
    elog_socket_options o;
    elog_socket_options_init(&o);
    o.reconnect = true;
    o.initial_delay_ms = 1;
    o.max_delay_ms = 10;
    o.on_disconnected = on_disconnected;
    sessions_wanted = sessions;
    elog_socket *s = elog_socket_new(&a, &o, &st, NULL);
    if (s == NULL)
        die("out of memory");
    double t0 = now_s();
    elog_socket_status r = elog_socket_run(s, &stop, 120000);
    double t = now_s() - t0;
    if (r != ELOG_SOCKET_STOPPED) {
        fprintf(stderr, "socket_bench: %s: %s\n", elog_socket_status_name(r),
                elog_socket_error_message(s));
        return 1;
    }
    elog_socket_free(s);
    report("socket client (decode)", bytes_done, t);
    return 0;
}

static int run_pair(const char *path, unsigned reps, bool decode)
{
    size_t len;
    uint8_t *data = load(path, &len);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        die("socketpair");
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        for (unsigned i = 0; i < reps; i++) {
            size_t off = 0;
            while (off < len) {
                /* cat writes what it read, 128 KiB at a time */
                size_t n = len - off < 131072 ? len - off : 131072;
                ssize_t w = write(sv[1], data + off, n);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w < 0)
                    _exit(1);
                off += (size_t)w;
            }
        }
        _exit(0);
    }
    close(sv[1]);
    elog_settings st;
    elog_settings_init(&st);
    st.on_event = on_event;
    elog_decoder d;
    elog_decoder_init(&d, &st, NULL);
    static uint8_t buf[65536];
    uint64_t total = 0, in_copy = 0;
    for (;;) {
        ssize_t n = read(sv[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        total += (uint64_t)n;
        if (!decode)
            continue;
        size_t pos = 0;
        while (pos < (size_t)n) {
            size_t take = (size_t)n - pos;
            if (take > len - in_copy)
                take = (size_t)(len - in_copy);
            if (elog_execute(&d, buf + pos, take).status != ELOG_OK)
                die("decode error");
            pos += take;
            in_copy += take;
            if (in_copy == len) {
                (void)elog_finish(&d);
                elog_decoder_reset(&d);
                in_copy = 0;
            }
        }
    }
    double t = now_s() - t0;
    waitpid(pid, NULL, 0);
    elog_decoder_free(&d);
    free(data);
    report(decode ? "socketpair, 64 KiB reads + decode" : "socketpair, 64 KiB reads (cat)", total, t);
    return 0;
}

static int run_memory(const char *path, unsigned reps)
{
    size_t len;
    uint8_t *data = load(path, &len);
    elog_settings st;
    elog_settings_init(&st);
    st.on_event = on_event;
    elog_decoder d;
    elog_decoder_init(&d, &st, NULL);
    double t0 = now_s();
    for (unsigned i = 0; i < reps; i++) {
        if (elog_execute(&d, data, len).status != ELOG_OK)
            die("decode error");
        (void)elog_finish(&d);
        elog_decoder_reset(&d);
    }
    double t = now_s() - t0;
    elog_decoder_free(&d);
    free(data);
    report("in-memory decode", (uint64_t)len * reps, t);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "client") == 0)
        return run_client(argv[2], (unsigned)atoi(argv[3]));
    if (argc == 5 && strcmp(argv[1], "pair") == 0)
        return run_pair(argv[2], (unsigned)atoi(argv[3]), strcmp(argv[4], "decode") == 0);
    if (argc == 4 && strcmp(argv[1], "memory") == 0)
        return run_memory(argv[2], (unsigned)atoi(argv[3]));
    fprintf(stderr, "usage: socket_bench client ADDR SESSIONS | pair FILE REPS cat|decode | "
                    "memory FILE REPS\n");
    return 2;
}
