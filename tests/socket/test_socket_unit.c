/*
 * Unit tests of the pure parts of the socket API (no socket is opened):
 * control frames (exact bytes, limits, built-in names, NAMESPACE:ID parsing,
 * the stream parser at every chunking), addresses (parsing with their error
 * sentences, formatting, the GHC_EVENTLOG_* environment), and client calls
 * that must fail before touching the network.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "eventlog/socket.h"

static const uint8_t MAGIC[4] = {0xF0, 0x9E, 0x97, 0x8C};

/* ------------------------------------------------------------------------ */
/* Building frames                                                           */
/* ------------------------------------------------------------------------ */

static void test_build_builtins(void **state)
{
    (void)state;
    for (unsigned id = 1; id <= 5; id++) {
        uint8_t buf[64];
        size_t n = 99;
        assert_int_equal(elog_control_build(buf, sizeof buf, ELOG_CONTROL_NAMESPACE, 15, id, &n),
                         ELOG_CONTROL_OK);
        assert_int_equal(n, 22);
        uint8_t want[22] = {0xF0, 0x9E, 0x97, 0x8C, 0x00, 0x0F};
        memcpy(want + 6, "eventlog-socket", 15);
        want[21] = (uint8_t)id;
        assert_memory_equal(buf, want, sizeof want);
    }
}

static void test_build_limits(void **state)
{
    (void)state;
    uint8_t ns[300];
    memset(ns, 'n', sizeof ns);
    uint8_t buf[ELOG_CONTROL_FRAME_MAX + 8];
    size_t n;

    /* Smallest and largest namespaces, smallest and largest ids. */
    assert_int_equal(elog_control_build(buf, sizeof buf, ns, 1, 1, &n), ELOG_CONTROL_OK);
    assert_int_equal(n, 8);
    assert_memory_equal(buf, MAGIC, 4);
    assert_int_equal(buf[4], 0);
    assert_int_equal(buf[5], 1);
    assert_int_equal(buf[6], 'n');
    assert_int_equal(buf[7], 1);
    assert_int_equal(elog_control_build(buf, sizeof buf, ns, 255, 255, &n), ELOG_CONTROL_OK);
    assert_int_equal(n, ELOG_CONTROL_FRAME_MAX);
    assert_int_equal(buf[5], 255);
    assert_int_equal(buf[261], 255);

    /* Every error leaves the buffer untouched and *frame_len 0. */
    struct {
        const void *ns;
        size_t len;
        unsigned id;
        size_t cap;
        elog_control_error want;
    } bad[] = {
        {ns, 0, 1, sizeof buf, ELOG_CONTROL_E_EMPTY_NAMESPACE},
        {NULL, 0, 1, sizeof buf, ELOG_CONTROL_E_EMPTY_NAMESPACE},
        {NULL, 5, 1, sizeof buf, ELOG_CONTROL_E_EMPTY_NAMESPACE},
        {ns, 256, 1, sizeof buf, ELOG_CONTROL_E_LONG_NAMESPACE},
        {ns, 300, 1, sizeof buf, ELOG_CONTROL_E_LONG_NAMESPACE},
        {ns, 3, 0, sizeof buf, ELOG_CONTROL_E_BAD_ID},
        {ns, 3, 256, sizeof buf, ELOG_CONTROL_E_BAD_ID},
        {ns, 3, 70000, sizeof buf, ELOG_CONTROL_E_BAD_ID},
        {ns, 3, 1, 9, ELOG_CONTROL_E_NO_ROOM},
        {ns, 255, 1, 261, ELOG_CONTROL_E_NO_ROOM},
        {ns, 3, 1, 0, ELOG_CONTROL_E_NO_ROOM},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(buf, 0xAA, sizeof buf);
        n = 77;
        assert_int_equal(elog_control_build(buf, bad[i].cap, bad[i].ns, bad[i].len, bad[i].id, &n),
                         bad[i].want);
        assert_int_equal(n, 0);
        for (size_t k = 0; k < sizeof buf; k++)
            assert_int_equal(buf[k], 0xAA);
        assert_int_equal(elog_control_validate(bad[i].ns, bad[i].len, bad[i].id),
                         bad[i].want == ELOG_CONTROL_E_NO_ROOM ? ELOG_CONTROL_OK : bad[i].want);
        assert_true(strlen(elog_control_error_message(bad[i].want)) > 10);
    }
    /* Exactly enough room. */
    assert_int_equal(elog_control_build(buf, 10, ns, 3, 1, &n), ELOG_CONTROL_OK);
    assert_int_equal(n, 10);
}

static void test_builtin_names(void **state)
{
    (void)state;
    static const char *kebab[] = {"start-profiling", "stop-profiling", "start-heap-profiling",
                                  "stop-heap-profiling", "request-heap-census"};
    static const char *camel[] = {"startProfiling", "stopProfiling", "startHeapProfiling",
                                  "stopHeapProfiling", "requestHeapCensus"};
    for (unsigned i = 0; i < 5; i++) {
        assert_int_equal(elog_control_builtin_id(kebab[i]), i + 1);
        assert_int_equal(elog_control_builtin_id(camel[i]), i + 1);
        assert_string_equal(elog_control_builtin_name(i + 1), kebab[i]);
    }
    assert_int_equal(ELOG_CONTROL_START_PROFILING, 1);
    assert_int_equal(ELOG_CONTROL_REQUEST_HEAP_CENSUS, 5);
    assert_int_equal(elog_control_builtin_id("StartProfiling"), 0);
    assert_int_equal(elog_control_builtin_id("start_profiling"), 0);
    assert_int_equal(elog_control_builtin_id(""), 0);
    assert_int_equal(elog_control_builtin_id(NULL), 0);
    assert_null(elog_control_builtin_name(0));
    assert_null(elog_control_builtin_name(6));
}

static void test_parse_command(void **state)
{
    (void)state;
    elog_control_command c;
    assert_int_equal(elog_control_parse_command("request-heap-census", &c), ELOG_CONTROL_OK);
    assert_int_equal(c.ns.len, 15);
    assert_memory_equal(c.ns.ptr, "eventlog-socket", 15);
    assert_int_equal(c.id, 5);
    assert_int_equal(elog_control_parse_command("startHeapProfiling", &c), ELOG_CONTROL_OK);
    assert_int_equal(c.id, 3);

    const char *t = "my-app:7";
    assert_int_equal(elog_control_parse_command(t, &c), ELOG_CONTROL_OK);
    assert_ptr_equal(c.ns.ptr, t);
    assert_int_equal(c.ns.len, 6);
    assert_int_equal(c.id, 7);
    assert_int_equal(elog_control_parse_command("a:b:255", &c), ELOG_CONTROL_OK);
    assert_int_equal(c.ns.len, 3);
    assert_int_equal(c.id, 255);
    assert_int_equal(elog_control_parse_command("eventlog-socket:1", &c), ELOG_CONTROL_OK);
    assert_int_equal(c.id, 1);

    assert_int_equal(elog_control_parse_command(":5", &c), ELOG_CONTROL_E_EMPTY_NAMESPACE);
    assert_int_equal(elog_control_parse_command("x:0", &c), ELOG_CONTROL_E_BAD_ID);
    assert_int_equal(elog_control_parse_command("x:256", &c), ELOG_CONTROL_E_BAD_ID);
    assert_int_equal(elog_control_parse_command("x:99999999999999999999", &c),
                     ELOG_CONTROL_E_BAD_ID);
    assert_int_equal(elog_control_parse_command("x:", &c), ELOG_CONTROL_E_SYNTAX);
    assert_int_equal(elog_control_parse_command("x:1a", &c), ELOG_CONTROL_E_SYNTAX);
    assert_int_equal(elog_control_parse_command("x:-1", &c), ELOG_CONTROL_E_SYNTAX);
    assert_int_equal(elog_control_parse_command("heap-census", &c),
                     ELOG_CONTROL_E_UNKNOWN_COMMAND);
    assert_int_equal(elog_control_parse_command("", &c), ELOG_CONTROL_E_UNKNOWN_COMMAND);
    assert_int_equal(elog_control_parse_command(NULL, &c), ELOG_CONTROL_E_UNKNOWN_COMMAND);

    char longns[300];
    memset(longns, 'q', 256);
    strcpy(longns + 256, ":1");
    assert_int_equal(elog_control_parse_command(longns, &c), ELOG_CONTROL_E_LONG_NAMESPACE);
    strcpy(longns + 255, ":1");
    assert_int_equal(elog_control_parse_command(longns, &c), ELOG_CONTROL_OK);
    assert_int_equal(c.ns.len, 255);
}

/* ------------------------------------------------------------------------ */
/* Parsing the client -> server stream                                       */
/* ------------------------------------------------------------------------ */

typedef struct got {
    elog_control_item_kind kind;
    uint64_t offset, length;
    uint8_t id;
    size_t ns_len;
    uint8_t ns[256];
} got;

#define MAX_GOT 64

/* Feeds `len` bytes in chunks of `chunk` (0: at once, else split after
 * `chunk` bytes first then one piece), then ends. Returns the items. */
static size_t parse_all(const uint8_t *buf, size_t len, size_t split, bool bytewise, got *out)
{
    elog_control_reader r;
    elog_control_reader_init(&r);
    size_t n = 0, pos = 0;
    while (pos < len) {
        size_t piece = bytewise ? 1 : (pos == 0 && split > 0 && split < len ? split : len - pos);
        const uint8_t *p = buf + pos;
        size_t left = piece;
        for (;;) {
            elog_control_item it;
            size_t k = elog_control_reader_feed(&r, p, left, &it);
            assert_true(k <= left);
            p += k;
            left -= k;
            if (it.kind == ELOG_CONTROL_NONE) {
                assert_int_equal(left, 0);
                break;
            }
            assert_true(n < MAX_GOT);
            got *g = &out[n++];
            memset(g, 0, sizeof *g);
            g->kind = it.kind;
            g->offset = it.offset;
            g->length = it.length;
            g->id = it.id;
            g->ns_len = it.ns.len;
            if (it.ns.len)
                memcpy(g->ns, it.ns.ptr, it.ns.len);
        }
        pos += piece;
    }
    elog_control_item it;
    while (elog_control_reader_end(&r, &it)) {
        assert_true(n < MAX_GOT);
        got *g = &out[n++];
        memset(g, 0, sizeof *g);
        g->kind = it.kind;
        g->offset = it.offset;
        g->length = it.length;
    }
    return n;
}

static size_t put_frame(uint8_t *p, const char *ns, size_t ns_len, unsigned id)
{
    size_t n;
    assert_int_equal(elog_control_build(p, ELOG_CONTROL_FRAME_MAX, ns, ns_len, id, &n),
                     ELOG_CONTROL_OK);
    return n;
}

static void check_item(const got *g, elog_control_item_kind kind, uint64_t offset,
                       uint64_t length)
{
    assert_int_equal(g->kind, kind);
    assert_int_equal(g->offset, offset);
    assert_int_equal(g->length, length);
}

static void test_reader_stream(void **state)
{
    (void)state;
    uint8_t buf[1024];
    size_t len = 0;
    char ns255[255];
    memset(ns255, 'z', sizeof ns255);
    memcpy(buf + len, "ab", 2);                              /* garbage 0..2 */
    len += 2;
    size_t f1 = len;
    len += put_frame(buf + len, "eventlog-socket", 15, 3);   /* frame at 2, 22 bytes */
    size_t f2 = len;
    len += put_frame(buf + len, "x", 1, 200);                /* frame at 24, 8 bytes */
    size_t g2 = len;
    memcpy(buf + len, "GCTL\x01", 5);                        /* old framing: garbage */
    len += 5;
    buf[len++] = 0xF0;                                       /* a false start */
    size_t f3 = len;
    len += put_frame(buf + len, ns255, 255, 255);
    size_t tail = len;
    len += put_frame(buf + len, "abc", 3, 9) - 1;            /* incomplete: no id */

    /* Every way of splitting the stream in two, and byte by byte. */
    for (size_t split = 0; split <= len; split++) {
        for (int bytewise = 0; bytewise < 2; bytewise++) {
            if (bytewise && split > 0)
                break;
            got g[MAX_GOT];
            size_t n = parse_all(buf, len, split, bytewise, g);
            assert_int_equal(n, 6);
            check_item(&g[0], ELOG_CONTROL_GARBAGE, 0, 2);
            check_item(&g[1], ELOG_CONTROL_FRAME, f1, 22);
            assert_int_equal(g[1].id, 3);
            assert_int_equal(g[1].ns_len, 15);
            assert_memory_equal(g[1].ns, "eventlog-socket", 15);
            check_item(&g[2], ELOG_CONTROL_FRAME, f2, 8);
            assert_int_equal(g[2].id, 200);
            assert_int_equal(g[2].ns[0], 'x');
            check_item(&g[3], ELOG_CONTROL_GARBAGE, g2, 6);
            check_item(&g[4], ELOG_CONTROL_FRAME, f3, 262);
            assert_int_equal(g[4].id, 255);
            assert_int_equal(g[4].ns_len, 255);
            assert_memory_equal(g[4].ns, ns255, 255);
            check_item(&g[5], ELOG_CONTROL_TRUNCATED, tail, 9);
        }
    }
}

static void test_reader_invalid_frames(void **state)
{
    (void)state;
    got g[MAX_GOT];
    /* Wrong version: magic + version are garbage, then a good frame. */
    uint8_t a[64] = {0xF0, 0x9E, 0x97, 0x8C, 0x01};
    size_t n = 5 + put_frame(a + 5, "ns", 2, 1);
    assert_int_equal(parse_all(a, n, 0, false, g), 2);
    check_item(&g[0], ELOG_CONTROL_GARBAGE, 0, 5);
    check_item(&g[1], ELOG_CONTROL_FRAME, 5, 9);

    /* Namespace length 0, then id 0: one garbage run each time. */
    uint8_t b[] = {0xF0, 0x9E, 0x97, 0x8C, 0x00, 0x00};
    assert_int_equal(parse_all(b, sizeof b, 0, false, g), 1);
    check_item(&g[0], ELOG_CONTROL_GARBAGE, 0, 6);
    uint8_t c[] = {0xF0, 0x9E, 0x97, 0x8C, 0x00, 0x01, 'q', 0x00, 'z'};
    assert_int_equal(parse_all(c, sizeof c, 0, false, g), 1);
    check_item(&g[0], ELOG_CONTROL_GARBAGE, 0, 9);

    /* A magic broken by a new magic: the first bytes are garbage, the frame
     * that follows is found. */
    uint8_t d[64] = {0xF0, 0x9E};
    n = 2 + put_frame(d + 2, "k", 1, 2);
    assert_int_equal(parse_all(d, n, 0, true, g), 2);
    check_item(&g[0], ELOG_CONTROL_GARBAGE, 0, 2);
    check_item(&g[1], ELOG_CONTROL_FRAME, 2, 8);
    assert_int_equal(g[1].id, 2);

    /* A magic byte inside a namespace is namespace, not a new frame. */
    uint8_t e[64];
    char nsm[4] = {(char)0xF0, (char)0x9E, (char)0x97, (char)0x8C};
    n = put_frame(e, nsm, 4, 4);
    assert_int_equal(parse_all(e, n, 0, true, g), 1);
    check_item(&g[0], ELOG_CONTROL_FRAME, 0, 11);
    assert_memory_equal(g[0].ns, nsm, 4);

    /* Nothing at all; a lone magic byte at the end is a truncated frame. */
    assert_int_equal(parse_all(e, 0, 0, false, g), 0);
    uint8_t f[] = {'x', 0xF0};
    assert_int_equal(parse_all(f, 2, 0, false, g), 2);
    check_item(&g[0], ELOG_CONTROL_GARBAGE, 0, 1);
    check_item(&g[1], ELOG_CONTROL_TRUNCATED, 1, 1);
}

/* Random frames and garbage, built and parsed back, at random chunkings. */
static void test_reader_roundtrip(void **state)
{
    (void)state;
    uint32_t seed = 12345;
#define RND() (seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff)
    for (int round = 0; round < 200; round++) {
        uint8_t buf[4096];
        size_t len = 0;
        unsigned want_frames = 0;
        unsigned ids[16];
        size_t offs[16];
        while (len < 3000 && want_frames < 16) {
            size_t nsl = 1 + RND() % 255;
            char ns[255];
            for (size_t i = 0; i < nsl; i++)
                ns[i] = (char)RND();
            unsigned id = 1 + RND() % 255;
            offs[want_frames] = len;
            ids[want_frames++] = id;
            len += put_frame(buf + len, ns, nsl, id);
        }
        elog_control_reader r;
        elog_control_reader_init(&r);
        unsigned found = 0;
        size_t pos = 0;
        while (pos < len) {
            size_t piece = 1 + RND() % 300;
            if (piece > len - pos)
                piece = len - pos;
            const uint8_t *p = buf + pos;
            size_t left = piece;
            for (;;) {
                elog_control_item it;
                size_t k = elog_control_reader_feed(&r, p, left, &it);
                p += k;
                left -= k;
                if (it.kind == ELOG_CONTROL_NONE)
                    break;
                assert_int_equal(it.kind, ELOG_CONTROL_FRAME);
                assert_true(found < want_frames);
                assert_int_equal(it.offset, offs[found]);
                assert_int_equal(it.id, ids[found]);
                found++;
            }
            pos += piece;
        }
        elog_control_item it;
        assert_false(elog_control_reader_end(&r, &it));
        assert_int_equal(found, want_frames);
    }
#undef RND
}

/* ------------------------------------------------------------------------ */
/* Addresses                                                                 */
/* ------------------------------------------------------------------------ */

static void parse_ok(const char *text, elog_socket_addr_kind kind, const char *where,
                     unsigned port, const char *canonical)
{
    elog_socket_addr a;
    char err[ELOG_SOCKET_ERRLEN] = "x";
    assert_int_equal(elog_socket_addr_parse(&a, text, err, sizeof err), ELOG_SOCKET_OK);
    assert_string_equal(err, "");
    assert_int_equal(a.kind, kind);
    if (kind == ELOG_SOCKET_ADDR_UNIX) {
        assert_string_equal(a.path, where);
    } else {
        assert_string_equal(a.host, where);
        assert_int_equal(a.port, port);
    }
    char out[ELOG_SOCKET_ADDR_STRLEN];
    size_t n = elog_socket_addr_format(&a, out, sizeof out);
    assert_string_equal(out, canonical);
    assert_int_equal(n, strlen(canonical));
}

static void parse_bad(const char *text, const char *fragment)
{
    elog_socket_addr a;
    char err[ELOG_SOCKET_ERRLEN];
    assert_int_equal(elog_socket_addr_parse(&a, text, err, sizeof err), ELOG_SOCKET_E_ADDRESS);
    if (strstr(err, fragment) == NULL)
        fail_msg("address '%s': message '%s' lacks '%s'", text, err, fragment);
}

static void test_addr_parse(void **state)
{
    (void)state;
    parse_ok("unix:/tmp/ghc.sock", ELOG_SOCKET_ADDR_UNIX, "/tmp/ghc.sock", 0, "unix:/tmp/ghc.sock");
    parse_ok("unix:rel/x:y", ELOG_SOCKET_ADDR_UNIX, "rel/x:y", 0, "unix:rel/x:y");
    parse_ok("tcp:127.0.0.1:4242", ELOG_SOCKET_ADDR_TCP, "127.0.0.1", 4242, "tcp:127.0.0.1:4242");
    parse_ok("tcp:localhost:1", ELOG_SOCKET_ADDR_TCP, "localhost", 1, "tcp:localhost:1");
    parse_ok("tcp:[::1]:65535", ELOG_SOCKET_ADDR_TCP, "::1", 65535, "tcp:[::1]:65535");
    parse_ok("tcp:[fe80::1%lo]:80", ELOG_SOCKET_ADDR_TCP, "fe80::1%lo", 80, "tcp:[fe80::1%lo]:80");

    char path[200] = "unix:";
    memset(path + 5, 'p', 107);
    path[112] = '\0';
    parse_ok(path, ELOG_SOCKET_ADDR_UNIX, path + 5, 0, path);
    strcat(path, "p");
    parse_bad(path, "108 bytes long, more than the 107");

    parse_bad("", "empty address");
    parse_bad("/tmp/x", "no scheme");
    parse_bad("http://x", "unknown scheme 'http'");
    parse_bad("unix:", "path is empty");
    parse_bad("tcp:host", "missing port");
    parse_bad("tcp:host:", "missing port");
    parse_bad("tcp::80", "host is empty");
    parse_bad("tcp:[]:80", "host is empty");
    parse_bad("tcp:::1:80", "must be in brackets");
    parse_bad("tcp:[::1]80", "missing port after ']'");
    parse_bad("tcp:[::1", "without a matching ']'");
    parse_bad("tcp:h:0", "invalid port '0'");
    parse_bad("tcp:h:65536", "invalid port '65536'");
    parse_bad("tcp:h:123456", "invalid port");
    parse_bad("tcp:h:8o", "invalid port '8o'");
    parse_bad("tcp:h:-1", "invalid port");

    /* A NULL or small error buffer is fine. */
    elog_socket_addr a;
    assert_int_equal(elog_socket_addr_parse(&a, "bogus", NULL, 0), ELOG_SOCKET_E_ADDRESS);
    char tiny[8];
    assert_int_equal(elog_socket_addr_parse(&a, "bogus", tiny, sizeof tiny), ELOG_SOCKET_E_ADDRESS);
    assert_int_equal(strlen(tiny), 7);

    /* Formatting truncates like snprintf. */
    assert_int_equal(elog_socket_addr_parse(&a, "tcp:[::1]:9", NULL, 0), ELOG_SOCKET_OK);
    char small[6];
    assert_int_equal(elog_socket_addr_format(&a, small, sizeof small), 11);
    assert_string_equal(small, "tcp:[");
}

static void env_case(const char *unix_path, const char *host, const char *port,
                     elog_socket_status want, const char *expect)
{
    unsetenv("GHC_EVENTLOG_UNIX_PATH");
    unsetenv("GHC_EVENTLOG_INET_HOST");
    unsetenv("GHC_EVENTLOG_INET_PORT");
    if (unix_path)
        setenv("GHC_EVENTLOG_UNIX_PATH", unix_path, 1);
    if (host)
        setenv("GHC_EVENTLOG_INET_HOST", host, 1);
    if (port)
        setenv("GHC_EVENTLOG_INET_PORT", port, 1);
    elog_socket_addr a;
    char err[ELOG_SOCKET_ERRLEN];
    assert_int_equal(elog_socket_addr_from_env(&a, err, sizeof err), want);
    if (want == ELOG_SOCKET_OK) {
        char out[ELOG_SOCKET_ADDR_STRLEN];
        elog_socket_addr_format(&a, out, sizeof out);
        assert_string_equal(out, expect);
    } else if (strstr(err, expect) == NULL) {
        fail_msg("message '%s' lacks '%s'", err, expect);
    }
}

static void test_addr_env(void **state)
{
    (void)state;
    env_case(NULL, NULL, NULL, ELOG_SOCKET_E_ADDRESS, "neither GHC_EVENTLOG_UNIX_PATH");
    env_case("", "", "", ELOG_SOCKET_E_ADDRESS, "neither");
    env_case("/run/x.sock", NULL, NULL, ELOG_SOCKET_OK, "unix:/run/x.sock");
    env_case("/run/x.sock", "localhost", "80", ELOG_SOCKET_OK, "unix:/run/x.sock");
    env_case(NULL, "localhost", "4242", ELOG_SOCKET_OK, "tcp:localhost:4242");
    env_case(NULL, "::1", "4242", ELOG_SOCKET_OK, "tcp:[::1]:4242");
    env_case(NULL, "[::1]", "4242", ELOG_SOCKET_OK, "tcp:[::1]:4242");
    env_case(NULL, "localhost", NULL, ELOG_SOCKET_E_ADDRESS,
             "GHC_EVENTLOG_INET_HOST is set but GHC_EVENTLOG_INET_PORT is not");
    env_case(NULL, NULL, "4242", ELOG_SOCKET_E_ADDRESS,
             "GHC_EVENTLOG_INET_PORT is set but GHC_EVENTLOG_INET_HOST is not");
    env_case(NULL, "localhost", "http", ELOG_SOCKET_E_ADDRESS, "invalid port 'http'");
    char longp[200];
    memset(longp, 'x', 150);
    longp[150] = '\0';
    env_case(longp, NULL, NULL, ELOG_SOCKET_E_ADDRESS, "GHC_EVENTLOG_UNIX_PATH: the socket path");
    unsetenv("GHC_EVENTLOG_UNIX_PATH");
    unsetenv("GHC_EVENTLOG_INET_HOST");
    unsetenv("GHC_EVENTLOG_INET_PORT");
}

/* ------------------------------------------------------------------------ */
/* Client calls that fail before any network I/O                             */
/* ------------------------------------------------------------------------ */

typedef struct failing_alloc {
    int allow;    /* allocations that succeed before failing */
    int live;
} failing_alloc;

static void *fa_alloc(void *ctx, size_t n)
{
    failing_alloc *f = ctx;
    if (f->allow-- <= 0)
        return NULL;
    f->live++;
    return malloc(n);
}

static void fa_free(void *ctx, void *p, size_t n)
{
    (void)n;
    failing_alloc *f = ctx;
    f->live--;
    free(p);
}

static void test_client_offline(void **state)
{
    (void)state;
    elog_socket_addr a;
    assert_int_equal(elog_socket_addr_parse(&a, "unix:/nonexistent/elog-test.sock", NULL, 0),
                     ELOG_SOCKET_OK);
    elog_settings settings;
    elog_settings_init(&settings);

    elog_socket_options o;
    elog_socket_options_init(&o);
    assert_int_equal(o.initial_delay_ms, 100);
    assert_int_equal(o.read_size, 65536);
    o.read_size = 63;
    assert_null(elog_socket_new(&a, &o, &settings, NULL));

    /* Allocation failures: NULL, nothing leaked. */
    for (int allow = 0; allow < 2; allow++) {
        failing_alloc fa = {allow, 0};
        elog_allocator al = {fa_alloc, fa_free, &fa};
        settings.allocator = &al;
        assert_null(elog_socket_new(&a, NULL, &settings, NULL));
        assert_int_equal(fa.live, 0);
    }
    settings.allocator = NULL;

    int data = 7;
    elog_socket *s = elog_socket_new(&a, NULL, &settings, &data);
    assert_non_null(s);
    assert_ptr_equal(elog_socket_data(s), &data);
    assert_ptr_equal(elog_socket_decoder(s)->data, &data);
    assert_ptr_equal(elog_socket_from_decoder(elog_socket_decoder(s)), s);
    assert_int_equal(elog_socket_get_state(s), ELOG_SOCKET_STATE_IDLE);
    assert_null(elog_socket_get_session(s));
    assert_int_equal(elog_socket_fd(s), -1);
    assert_int_equal(elog_socket_events(s), 0);
    assert_int_equal(elog_socket_timeout_ms(s), 0);
    assert_string_equal(elog_socket_address(s)->path, "/nonexistent/elog-test.sock");
    assert_string_equal(elog_socket_error_message(s), "");

    /* Invalid commands are refused before the connection is even looked at. */
    char ns256[256];
    memset(ns256, 'n', sizeof ns256);
    assert_int_equal(elog_socket_send_control(s, "", 0, 1), ELOG_SOCKET_E_ARG);
    assert_non_null(strstr(elog_socket_error_message(s), "namespace is empty"));
    assert_int_equal(elog_socket_send_control(s, ns256, 256, 1), ELOG_SOCKET_E_ARG);
    assert_non_null(strstr(elog_socket_error_message(s), "longer than 255"));
    assert_int_equal(elog_socket_send_control(s, "eventlog-socket", 15, 0), ELOG_SOCKET_E_ARG);
    assert_non_null(strstr(elog_socket_error_message(s), "outside 1..255"));
    assert_int_equal(elog_socket_send_command(s, "frobnicate"), ELOG_SOCKET_E_ARG);
    assert_non_null(strstr(elog_socket_error_message(s), "'frobnicate'"));
    /* Valid, but not connected. */
    assert_int_equal(elog_socket_send_command(s, "requestHeapCensus"), ELOG_SOCKET_E_USAGE);
    assert_non_null(strstr(elog_socket_error_message(s), "not connected"));

    assert_int_equal(elog_socket_close(s), ELOG_SOCKET_OK);
    assert_int_equal(elog_socket_get_state(s), ELOG_SOCKET_STATE_CLOSED);
    assert_int_equal(elog_socket_close(s), ELOG_SOCKET_CLOSED);
    assert_int_equal(elog_socket_pump(s), ELOG_SOCKET_CLOSED);
    assert_int_equal(elog_socket_run(s, NULL, 10), ELOG_SOCKET_CLOSED);
    assert_int_equal(elog_socket_timeout_ms(s), -1);
    elog_socket_free(s);
    elog_socket_free(NULL);

    assert_string_equal(elog_socket_status_name(ELOG_SOCKET_E_CONNECT), "ELOG_SOCKET_E_CONNECT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_builtins),
        cmocka_unit_test(test_build_limits),
        cmocka_unit_test(test_builtin_names),
        cmocka_unit_test(test_parse_command),
        cmocka_unit_test(test_reader_stream),
        cmocka_unit_test(test_reader_invalid_frames),
        cmocka_unit_test(test_reader_roundtrip),
        cmocka_unit_test(test_addr_parse),
        cmocka_unit_test(test_addr_env),
        cmocka_unit_test(test_client_offline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
