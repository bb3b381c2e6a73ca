/*
 * Socket addresses of the eventlog-socket client: "unix:PATH",
 * "tcp:HOST:PORT", and the GHC_EVENTLOG_* environment variables an
 * instrumented program reads. Parsing only; nothing is resolved here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog/socket.h"

#define ENV_UNIX "GHC_EVENTLOG_UNIX_PATH"
#define ENV_HOST "GHC_EVENTLOG_INET_HOST"
#define ENV_PORT "GHC_EVENTLOG_INET_PORT"
#define EXPECTED "expected unix:PATH or tcp:HOST:PORT"

static elog_socket_status fail(char *err, size_t errcap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static elog_socket_status fail(char *err, size_t errcap, const char *fmt, ...)
{
    if (err != NULL && errcap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errcap, fmt, ap);
        va_end(ap);
    }
    return ELOG_SOCKET_E_ADDRESS;
}

static void clear(char *err, size_t errcap)
{
    if (err != NULL && errcap > 0)
        err[0] = '\0';
}

/* A decimal port 1..65535 in s[0..n). */
static bool parse_port(const char *s, size_t n, uint16_t *port)
{
    if (n == 0 || n > 5)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10u + (unsigned)(s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return false;
    *port = (uint16_t)v;
    return true;
}

static elog_socket_status set_unix(elog_socket_addr *a, const char *what, const char *path,
                                   char *err, size_t errcap)
{
    size_t n = strlen(path);
    if (n == 0)
        return fail(err, errcap, "%s: the socket path is empty", what);
    if (n > ELOG_SOCKET_UNIX_PATH_MAX)
        return fail(err, errcap,
                    "%s: the socket path is %zu bytes long, more than the %u a Unix socket allows",
                    what, n, ELOG_SOCKET_UNIX_PATH_MAX);
    memset(a, 0, sizeof *a);
    a->kind = ELOG_SOCKET_ADDR_UNIX;
    memcpy(a->path, path, n + 1);
    return ELOG_SOCKET_OK;
}

static elog_socket_status set_host(elog_socket_addr *a, const char *what, const char *host,
                                   size_t n, char *err, size_t errcap)
{
    if (n == 0)
        return fail(err, errcap, "%s: the host is empty", what);
    if (n > ELOG_SOCKET_HOST_MAX)
        return fail(err, errcap, "%s: the host is %zu bytes long, more than %u", what, n,
                    ELOG_SOCKET_HOST_MAX);
    if (memchr(host, '\0', n) != NULL)
        return fail(err, errcap, "%s: the host contains a NUL byte", what);
    /* No host name or address contains brackets; accepting one here would
     * make the formatted address unparseable. */
    if (memchr(host, '[', n) != NULL || memchr(host, ']', n) != NULL)
        return fail(err, errcap, "%s: the host '%.*s' contains a bracket", what, (int)n, host);
    memcpy(a->host, host, n);
    a->host[n] = '\0';
    return ELOG_SOCKET_OK;
}

elog_socket_status elog_socket_addr_parse(elog_socket_addr *addr, const char *text,
                                          char *err, size_t errcap)
{
    clear(err, errcap);
    if (text == NULL || *text == '\0')
        return fail(err, errcap, "empty address (" EXPECTED ")");
    if (strncmp(text, "unix:", 5) == 0)
        return set_unix(addr, text, text + 5, err, errcap);
    if (strncmp(text, "tcp:", 4) != 0) {
        const char *colon = strchr(text, ':');
        if (colon == NULL)
            return fail(err, errcap, "%s: no scheme (" EXPECTED ")", text);
        return fail(err, errcap, "%s: unknown scheme '%.*s' (" EXPECTED ")", text,
                    (int)(colon - text), text);
    }

    const char *rest = text + 4;
    const char *host, *port;
    size_t host_len;
    if (*rest == '[') {
        const char *close = strchr(rest, ']');
        if (close == NULL)
            return fail(err, errcap, "%s: '[' without a matching ']' (expected tcp:[IPV6]:PORT)",
                        text);
        host = rest + 1;
        host_len = (size_t)(close - host);
        if (close[1] != ':')
            return fail(err, errcap, "%s: missing port after ']' (expected tcp:[IPV6]:PORT)", text);
        port = close + 2;
    } else {
        const char *colon = strrchr(rest, ':');
        if (colon == NULL)
            return fail(err, errcap, "%s: missing port (expected tcp:HOST:PORT)", text);
        host = rest;
        host_len = (size_t)(colon - rest);
        if (memchr(host, ':', host_len) != NULL)
            return fail(err, errcap,
                        "%s: an IPv6 address must be in brackets (expected tcp:[IPV6]:PORT)",
                        text);
        port = colon + 1;
    }
    memset(addr, 0, sizeof *addr);
    addr->kind = ELOG_SOCKET_ADDR_TCP;
    elog_socket_status st = set_host(addr, text, host, host_len, err, errcap);
    if (st != ELOG_SOCKET_OK)
        return st;
    if (*port == '\0')
        return fail(err, errcap, "%s: missing port (expected tcp:HOST:PORT)", text);
    if (!parse_port(port, strlen(port), &addr->port))
        return fail(err, errcap, "%s: invalid port '%s' (a number 1..65535 expected)", text,
                    port);
    return ELOG_SOCKET_OK;
}

static const char *env_value(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' ? v : NULL;
}

elog_socket_status elog_socket_addr_from_env(elog_socket_addr *addr, char *err, size_t errcap)
{
    clear(err, errcap);
    const char *path = env_value(ENV_UNIX);
    if (path != NULL)
        return set_unix(addr, ENV_UNIX, path, err, errcap);

    const char *host = env_value(ENV_HOST), *port = env_value(ENV_PORT);
    if (host == NULL && port == NULL)
        return fail(err, errcap, "no address given, and neither " ENV_UNIX " nor " ENV_HOST
                                 " and " ENV_PORT " are set");
    if (host == NULL)
        return fail(err, errcap, ENV_PORT " is set but " ENV_HOST " is not (both are required)");
    if (port == NULL)
        return fail(err, errcap, ENV_HOST " is set but " ENV_PORT " is not (both are required)");

    memset(addr, 0, sizeof *addr);
    addr->kind = ELOG_SOCKET_ADDR_TCP;
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        host++;
        n -= 2;
    }
    elog_socket_status st = set_host(addr, ENV_HOST, host, n, err, errcap);
    if (st != ELOG_SOCKET_OK)
        return st;
    if (!parse_port(port, strlen(port), &addr->port))
        return fail(err, errcap, ENV_PORT ": invalid port '%s' (a number 1..65535 expected)", port);
    return ELOG_SOCKET_OK;
}

size_t elog_socket_addr_format(const elog_socket_addr *addr, char *buf, size_t cap)
{
    int n;
    if (addr->kind == ELOG_SOCKET_ADDR_UNIX)
        n = snprintf(buf, cap, "unix:%s", addr->path);
    else if (strchr(addr->host, ':') != NULL)
        n = snprintf(buf, cap, "tcp:[%s]:%u", addr->host, (unsigned)addr->port);
    else
        n = snprintf(buf, cap, "tcp:%s:%u", addr->host, (unsigned)addr->port);
    return n < 0 ? 0 : (size_t)n;
}
