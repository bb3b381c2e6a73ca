/*
 * The monitor's HTTP server, on libmicrohttpd (a thread per connection, so
 * that a control request waiting for the decode thread never delays a
 * scrape):
 *
 *   GET  /metrics           the Prometheus exposition of the latest snapshot
 *   GET  /healthz           "ok" and whether a session is running
 *   POST /control/COMMAND   with --enable-control: an eventlog-socket command
 *
 * Everything is bounded: connections in all and per client address, the
 * time a connection may stay idle, the memory MHD gives each connection
 * (which bounds the request line and headers), and request bodies.
 */
#include "monitor.h"
#include "cli.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* Per connection: request line and headers must fit in this (MHD answers
 * 414/431 otherwise). */
#define CONNECTION_MEMORY (32u * 1024u)
/* Bodies are not used: a control POST may carry a few bytes, no more. */
#define MAX_BODY 1024u
/* How long a control request waits for the decode thread to send it. */
#define CONTROL_WAIT_MS 3000u
#define THREAD_STACK (256u * 1024u)

struct mon_http {
    struct MHD_Daemon *d;
    mon_shared *sh;
};

/* Per request state (MHD's *con_cls). */
typedef struct request {
    size_t body;
} request;

static void http_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void http_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n')
        msg[--n] = '\0';
    cli_warning("monitor: http: %s", msg);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             char *body, size_t len, bool owned)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
    if (r == NULL) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum MHD_Result text(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return reply(c, status, "text/plain; charset=utf-8", msg, strlen(msg), false);
}

static enum MHD_Result metrics(struct MHD_Connection *c, mon_shared *sh)
{
    /* Copy under the lock (a memcpy), format outside it. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    mon_snapshot *s = malloc(sizeof *s);
    if (s == NULL)
        return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory\n");
    mon_shared_copy(sh, s);
    mon_buf b = { 0 };
    mon_expo_write(&b, s);
    free(s);
    if (b.failed) {
        mon_buf_free(&b);
        return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory\n");
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    pthread_mutex_lock(&sh->lock);
    mon_hist_add(&sh->scrapes, mon_scrape_bounds, mon_scrape_nbounds, took);
    pthread_mutex_unlock(&sh->lock);
    return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", b.p, b.len, true);
}

static enum MHD_Result healthz(struct MHD_Connection *c, mon_shared *sh)
{
    pthread_mutex_lock(&sh->lock);
    bool connected = sh->snap.connected;
    uint64_t sessions = sh->snap.sessions;
    pthread_mutex_unlock(&sh->lock);
    return text(c, MHD_HTTP_OK, "ok\nsource %s\nconnected %d\nsessions %llu\n", sh->source,
                connected ? 1 : 0, (unsigned long long)sessions);
}

static enum MHD_Result control(struct MHD_Connection *c, mon_shared *sh, const char *cmd)
{
    if (!sh->control_enabled)
        return text(c, MHD_HTTP_FORBIDDEN,
                    "control is disabled: start the monitor with --enable-control\n");
    char err[512];
    if (cli_control_check_command(cmd, err, sizeof err) != 0)
        return text(c, MHD_HTTP_BAD_REQUEST, "%s\n", err);
    mon_control_result r = mon_control_request(sh, cmd, CONTROL_WAIT_MS, err, sizeof err);
    switch (r) {
    case MON_CONTROL_SENT:
        return text(c, MHD_HTTP_OK, "sent %s\n", cmd);
    case MON_CONTROL_NOT_CONNECTED:
        return text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                    "not sent: no session with the program within %u ms (is it running?)\n",
                    CONTROL_WAIT_MS);
    default:
        return text(c, MHD_HTTP_BAD_GATEWAY, "not sent: %s\n", err);
    }
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload;
    mon_http *h = cls;
    request *rq = *con_cls;
    if (rq == NULL) {
        rq = calloc(1, sizeof *rq);
        if (rq == NULL)
            return MHD_NO;
        *con_cls = rq;
        /* A declared body that is too large is refused before it is read
         * (MHD then closes the connection). */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL && strtoull(cl, NULL, 10) > MAX_BODY)
            return text(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body over %u bytes\n", MAX_BODY);
        return MHD_YES; /* headers seen; the body (if any) follows */
    }
    if (*upload_size != 0) {
        /* An undeclared (chunked) body: discarded, and the connection
         * dropped once it is too large. */
        rq->body += *upload_size;
        *upload_size = 0;
        return rq->body > MAX_BODY ? MHD_NO : MHD_YES;
    }
    bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    if (strcmp(url, "/metrics") == 0) {
        if (!get)
            return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET\n");
        return metrics(c, h->sh);
    }
    if (strcmp(url, "/healthz") == 0) {
        if (!get)
            return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET\n");
        return healthz(c, h->sh);
    }
    if (strncmp(url, "/control/", 9) == 0) {
        if (!post) {
            struct MHD_Response *r = MHD_create_response_from_buffer(
                9, (void *)"use POST\n", MHD_RESPMEM_PERSISTENT);
            if (r == NULL)
                return MHD_NO;
            MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
            enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
            MHD_destroy_response(r);
            return ret;
        }
        return control(c, h->sh, url + 9);
    }
    if (strcmp(url, "/") == 0 && get)
        return text(c, MHD_HTTP_OK, "eventlog monitor of %s: /metrics /healthz%s\n",
                    h->sh->source, h->sh->control_enabled ? " POST /control/COMMAND" : "");
    return text(c, MHD_HTTP_NOT_FOUND, "not found: use /metrics, /healthz or POST /control/COMMAND\n");
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

int mon_parse_listen(const char *text, struct sockaddr_storage *ss, unsigned *len, char *err,
                     size_t cap)
{
    char host[256];
    const char *colon;
    const char *h = text;
    size_t hl;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL || close[1] != ':') {
            snprintf(err, cap, "--listen '%s': expected [IPV6]:PORT", text);
            return -1;
        }
        h = text + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (colon == NULL) {
            snprintf(err, cap, "--listen '%s': expected HOST:PORT (e.g. 127.0.0.1:9464)", text);
            return -1;
        }
        hl = (size_t)(colon - text);
    }
    if (hl == 0 || hl >= sizeof host) {
        snprintf(err, cap, "--listen '%s': missing or too long HOST (use 0.0.0.0 for all "
                 "IPv4 addresses)", text);
        return -1;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || port > 65535) {
        snprintf(err, cap, "--listen '%s': PORT must be 0..65535", text);
        return -1;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0 || res == NULL) {
        snprintf(err, cap, "--listen '%s': %s", text, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = (unsigned)res->ai_addrlen;
    freeaddrinfo(res);
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
    return 0;
}

mon_http *mon_http_start(const mon_http_options *o, mon_shared *sh)
{
    struct sockaddr_storage ss;
    unsigned sl;
    char err[512];
    if (mon_parse_listen(o->listen, &ss, &sl, err, sizeof err) != 0) {
        cli_error("%s", err);
        return NULL;
    }
    mon_http *h = calloc(1, sizeof *h);
    if (h == NULL) {
        cli_error("monitor: out of memory");
        return NULL;
    }
    h->sh = sh;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_POLL | MHD_USE_ERROR_LOG;
    uint16_t port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                  : ((struct sockaddr_in6 *)&ss)->sin6_port);
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    h->d = MHD_start_daemon(flags, port, NULL, NULL, handle, h,
                            MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->max_connections,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)o->max_per_ip,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->timeout_s,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
                            MHD_OPTION_THREAD_STACK_SIZE, (size_t)THREAD_STACK,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                            MHD_OPTION_END);
    if (h->d == NULL) {
        cli_error("monitor: cannot listen on %s (address in use, or not an address of this "
                  "machine?)", o->listen);
        free(h);
        return NULL;
    }
    return h;
}

unsigned mon_http_port(const mon_http *h)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    return i != NULL ? i->port : 0;
}

void mon_http_stop(mon_http *h)
{
    if (h == NULL)
        return;
    MHD_stop_daemon(h->d);
    free(h);
}
