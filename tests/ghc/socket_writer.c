/*
 * The C side of tests/ghc/Monitored.hs: a small eventlog-socket server
 * built on the RTS's EventLogWriter API (rts/EventLogWriter.h,
 * startEventLogging(), GHC >= 9.0), speaking the protocol of
 * docs/SOCKET-PROTOCOL.md as eventlog-socket does:
 *
 *   - the program's C main (below) makes it the RTS's eventlog writer
 *     (RtsConfig.eventlog_writer), so that `+RTS -l` logs through it;
 *   - listens on the Unix socket named by GHC_EVENTLOG_UNIX_PATH, and at
 *     RTS start waits (at most 20 s) for the first client, which then gets
 *     the eventlog from the very start (like GHC_EVENTLOG_WAIT);
 *   - one client at a time; every accepted client gets a fresh eventlog
 *     (logging is restarted, so a new header comes first);
 *   - events written while no client is connected are dropped;
 *   - reads control frames from the client: F0 9E 97 8C, version 0,
 *     namespace length, namespace, command id. Namespace "elog-test":
 *     command 1 is counted (the Haskell side polls the count and marks
 *     each with a user span "control"), command 2 asks the program to exit.
 *     Other frames are ignored.
 *
 * Unlike eventlog-socket, writes block until the client took the bytes, so
 * the client sees every event up to the program's exit (the test compares
 * the totals with +RTS -S).
 */
#include "Rts.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t state_cond = PTHREAD_COND_INITIALIZER;
static int client_fd = -1;
static int listen_fd = -1;
static int clients;
static bool started;        /* the RTS started logging through us */
static bool restarting;     /* serve() restarts logging for a new client */
static bool exiting;        /* the RTS ended logging (hs_exit) */
static volatile int commands;
static volatile int quit;

static bool write_eventlog(void *buf, size_t size)
{
    pthread_mutex_lock(&write_lock);
    const char *p = buf;
    while (client_fd >= 0 && size > 0) {
        ssize_t n = send(client_fd, p, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* The client left: drop events until the next one. */
            shutdown(client_fd, SHUT_RDWR);
            client_fd = -1;
            break;
        }
        p += n;
        size -= (size_t)n;
    }
    pthread_mutex_unlock(&write_lock);
    return true;
}

static void stop_writer(void)
{
    /* hs_exit(): the end marker was written; the client sees a clean end.
     * (Also called when serve() restarts logging for a new client.) */
    pthread_mutex_lock(&state_lock);
    if (!restarting)
        exiting = true;
    pthread_mutex_unlock(&state_lock);
    pthread_mutex_lock(&write_lock);
    if (client_fd >= 0)
        shutdown(client_fd, SHUT_WR);
    pthread_mutex_unlock(&write_lock);
}

static void init_writer(void);

static const EventLogWriter socket_writer = {
    .initEventLogWriter = init_writer,
    .writeEventLog = write_eventlog,
    .flushEventLog = NULL,
    .stopEventLogWriter = stop_writer,
};

/* Control frames, parsed byte by byte. */
static unsigned char frame[4 + 1 + 1 + 255 + 1];
static size_t have;

static void control_byte(unsigned char b)
{
    static const unsigned char magic[4] = { 0xF0, 0x9E, 0x97, 0x8C };
    frame[have++] = b;
    if (have <= 4) {
        if (b != magic[have - 1])
            have = b == magic[0] ? (frame[0] = b, 1) : 0;
        return;
    }
    if (have == 5 && b != 0) { have = 0; return; }
    if (have == 6 && b == 0) { have = 0; return; }
    if (have < 6 || have < (size_t)7 + frame[5])
        return;
    size_t len = frame[5];
    unsigned id = frame[6 + len];
    if (len == 9 && memcmp(frame + 6, "elog-test", 9) == 0) {
        if (id == 1)
            __atomic_add_fetch(&commands, 1, __ATOMIC_SEQ_CST);
        else if (id == 2)
            quit = 1;
    }
    have = 0;
}

static void *serve(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        pthread_mutex_lock(&state_lock);
        bool restart = clients > 0;
        bool gone = exiting;
        restarting = restart;
        pthread_mutex_unlock(&state_lock);
        if (gone) {
            /* The program is exiting: no new eventlog (a client that
             * reconnects at once must not get a header of an empty log). */
            close(fd);
            continue;
        }
        have = 0;
        if (restart) {
            /* A fresh eventlog, header first, for every later client. */
            if (eventLogStatus() == EVENTLOG_RUNNING)
                endEventLogging();
            pthread_mutex_lock(&write_lock);
            client_fd = fd;
            pthread_mutex_unlock(&write_lock);
            if (!startEventLogging(&socket_writer))
                fprintf(stderr, "socket_writer: startEventLogging failed\n");
            pthread_mutex_lock(&state_lock);
            restarting = false;
            pthread_mutex_unlock(&state_lock);
        } else {
            /* The first: the RTS is waiting for it in init_writer(). */
            pthread_mutex_lock(&write_lock);
            client_fd = fd;
            pthread_mutex_unlock(&write_lock);
        }
        pthread_mutex_lock(&state_lock);
        clients++;
        pthread_cond_broadcast(&state_cond);
        pthread_mutex_unlock(&state_lock);
        /* Read control frames until the client leaves. */
        for (;;) {
            unsigned char buf[512];
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            for (ssize_t i = 0; i < n; i++)
                control_byte(buf[i]);
        }
        pthread_mutex_lock(&write_lock);
        if (client_fd == fd)
            client_fd = -1;
        pthread_mutex_unlock(&write_lock);
        close(fd);
    }
}

/* Listens on $GHC_EVENTLOG_UNIX_PATH; 0 or -1. */
static int listen_socket(void)
{
    const char *path = getenv("GHC_EVENTLOG_UNIX_PATH");
    if (path == NULL || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        fprintf(stderr, "socket_writer: set GHC_EVENTLOG_UNIX_PATH\n");
        return -1;
    }
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    strcpy(a.sun_path, path);
    unlink(path);
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(listen_fd, 5) != 0) {
        perror("socket_writer: listen");
        return -1;
    }
    pthread_t t;
    if (pthread_create(&t, NULL, serve, NULL) != 0)
        return -1;
    pthread_detach(t);
    return 0;
}

/* The RTS starts logging (+RTS -l) or a later client restarts it. */
static void init_writer(void)
{
    pthread_mutex_lock(&state_lock);
    bool first = !started;
    started = true;
    pthread_mutex_unlock(&state_lock);
    if (!first)
        return;
    if (listen_socket() != 0)
        return;
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 20;
    pthread_mutex_lock(&state_lock);
    int rc = 0;
    while (clients == 0 && rc == 0)
        rc = pthread_cond_timedwait(&state_cond, &state_lock, &dl);
    pthread_mutex_unlock(&state_lock);
    if (rc != 0)
        fprintf(stderr, "socket_writer: no client within 20 s, logging to nobody\n");
}

int elog_test_commands(void)
{
    return __atomic_load_n(&commands, __ATOMIC_SEQ_CST);
}

int elog_test_quit(void)
{
    return quit;
}

extern StgClosure ZCMain_main_closure;

int main(int argc, char *argv[])
{
    RtsConfig conf = defaultRtsConfig;
    conf.rts_opts_enabled = RtsOptsAll;
    conf.eventlog_writer = &socket_writer;
    return hs_main(argc, argv, &ZCMain_main_closure, conf);
}
