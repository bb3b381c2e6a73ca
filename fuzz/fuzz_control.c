/*
 * libFuzzer target: the pure functions of the socket API.
 *
 * Input layout: byte 0 picks a chunking pattern, bytes 1..8 seed the chunk
 * sizes, the rest is used three ways:
 *
 *   1. as a client -> server stream for elog_control_reader: parsed whole and
 *      chunked, the items must agree; they must tile the input in order; each
 *      frame, rebuilt with elog_control_build(), must equal its input bytes;
 *   2. as a NUL-terminated command for elog_control_parse_command(): a parsed
 *      command must build;
 *   3. as an address for elog_socket_addr_parse(): a parsed address must
 *      format and parse back to the same address.
 *
 * Any disagreement aborts.
 */
#include <stdlib.h>
#include <string.h>

#include "eventlog/socket.h"
#include "fuzz_common.h"

#define MAX_ITEMS 4096

typedef struct item {
    elog_control_item_kind kind;
    uint64_t offset, length;
    uint8_t id;
    size_t ns_len;
    uint64_t ns_hash;
} item;

static size_t parse(const uint8_t *p, size_t len, fuzz_chunker *ch, item *out)
{
    elog_control_reader r;
    elog_control_reader_init(&r);
    size_t n = 0, pos = 0;
    while (pos < len) {
        size_t piece = ch ? fuzz_chunker_next(ch, len - pos) : len - pos;
        const uint8_t *q = p + pos;
        size_t left = piece;
        for (;;) {
            elog_control_item it;
            size_t k = elog_control_reader_feed(&r, q, left, &it);
            if (k > left)
                abort();
            q += k;
            left -= k;
            if (it.kind == ELOG_CONTROL_NONE) {
                if (left != 0)
                    abort();
                break;
            }
            if (n == MAX_ITEMS)
                abort();
            item *o = &out[n++];
            memset(o, 0, sizeof *o);
            o->kind = it.kind;
            o->offset = it.offset;
            o->length = it.length;
            if (it.kind == ELOG_CONTROL_FRAME) {
                o->id = it.id;
                o->ns_len = it.ns.len;
                o->ns_hash = fuzz_hash_bytes(it.ns.ptr, it.ns.len);
            }
        }
        pos += piece;
    }
    elog_control_item it;
    while (elog_control_reader_end(&r, &it)) {
        if (n == MAX_ITEMS)
            abort();
        item *o = &out[n++];
        memset(o, 0, sizeof *o);
        o->kind = it.kind;
        o->offset = it.offset;
        o->length = it.length;
    }
    return n;
}

static void check_stream(const uint8_t *p, size_t len, unsigned pattern, const uint8_t seed[8])
{
    static item a[MAX_ITEMS], b[MAX_ITEMS];
    if (len > 3 * MAX_ITEMS / 2)
        len = 3 * MAX_ITEMS / 2;   /* at most one item per byte, garbage merged */
    size_t na = parse(p, len, NULL, a);
    fuzz_chunker ch;
    fuzz_chunker_init(&ch, pattern, seed);
    size_t nb = parse(p, len, &ch, b);
    if (na != nb || memcmp(a, b, na * sizeof *a) != 0)
        abort();
    uint64_t next = 0;
    for (size_t i = 0; i < na; i++) {
        if (a[i].offset != next || a[i].length == 0)
            abort();
        if (a[i].kind == ELOG_CONTROL_TRUNCATED && i != na - 1)
            abort();
        if (a[i].kind == ELOG_CONTROL_GARBAGE && i > 0 && a[i - 1].kind == ELOG_CONTROL_GARBAGE)
            abort();   /* adjacent garbage runs are merged */
        if (a[i].kind == ELOG_CONTROL_FRAME) {
            uint8_t f[ELOG_CONTROL_FRAME_MAX];
            size_t fl;
            const uint8_t *src = p + a[i].offset;
            if (a[i].length < 8 || a[i].ns_len != src[5])
                abort();
            if (elog_control_build(f, sizeof f, src + 6, a[i].ns_len, a[i].id, &fl) !=
                ELOG_CONTROL_OK)
                abort();
            if (fl != a[i].length || memcmp(f, src, fl) != 0)
                abort();
        }
        next += a[i].length;
    }
    if (next != len)
        abort();
}

static void check_text(const uint8_t *p, size_t len)
{
    char *s = malloc(len + 1);
    if (s == NULL)
        return;
    memcpy(s, p, len);
    s[len] = '\0';

    elog_control_command c;
    if (elog_control_parse_command(s, &c) == ELOG_CONTROL_OK) {
        uint8_t f[ELOG_CONTROL_FRAME_MAX];
        size_t fl;
        if (elog_control_build(f, sizeof f, c.ns.ptr, c.ns.len, c.id, &fl) != ELOG_CONTROL_OK)
            abort();
    }

    elog_socket_addr a, b;
    char err[ELOG_SOCKET_ERRLEN];
    if (elog_socket_addr_parse(&a, s, err, sizeof err) == ELOG_SOCKET_OK) {
        char text[ELOG_SOCKET_ADDR_STRLEN];
        size_t n = elog_socket_addr_format(&a, text, sizeof text);
        if (n >= sizeof text)
            abort();
        if (elog_socket_addr_parse(&b, text, err, sizeof err) != ELOG_SOCKET_OK)
            abort();
        if (a.kind != b.kind || strcmp(a.path, b.path) != 0 || strcmp(a.host, b.host) != 0 ||
            a.port != b.port)
            abort();
    } else if (strlen(err) == 0) {
        abort();
    }
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    check_stream(data + 9, size - 9, data[0], data + 1);
    check_text(data + 9, size - 9);
    return 0;
}
