/*
 * eventlog-socket control frames (docs/SOCKET-PROTOCOL.md, "Control messages"):
 * validation, building, the built-in command names, and an incremental
 * parser of the client -> server stream. Everything here is pure.
 */
#include <string.h>

#include "eventlog/socket.h"

static const uint8_t control_magic[ELOG_CONTROL_MAGIC_LEN] = {0xF0, 0x9E, 0x97, 0x8C};

/* Offsets within a frame. */
enum { F_VERSION = 4, F_NSLEN = 5, F_NS = 6 };

elog_control_error elog_control_validate(const void *ns, size_t ns_len, unsigned id)
{
    if (ns_len == 0 || ns == NULL)
        return ELOG_CONTROL_E_EMPTY_NAMESPACE;
    if (ns_len > ELOG_CONTROL_NAMESPACE_MAX)
        return ELOG_CONTROL_E_LONG_NAMESPACE;
    if (id < 1 || id > ELOG_CONTROL_ID_MAX)
        return ELOG_CONTROL_E_BAD_ID;
    return ELOG_CONTROL_OK;
}

elog_control_error elog_control_build(uint8_t *buf, size_t cap, const void *ns, size_t ns_len,
                                      unsigned id, size_t *frame_len)
{
    *frame_len = 0;
    elog_control_error e = elog_control_validate(ns, ns_len, id);
    if (e != ELOG_CONTROL_OK)
        return e;
    size_t n = F_NS + ns_len + 1;
    if (buf == NULL || cap < n)
        return ELOG_CONTROL_E_NO_ROOM;
    memcpy(buf, control_magic, sizeof control_magic);
    buf[F_VERSION] = ELOG_CONTROL_VERSION;
    buf[F_NSLEN] = (uint8_t)ns_len;
    memcpy(buf + F_NS, ns, ns_len);
    buf[F_NS + ns_len] = (uint8_t)id;
    *frame_len = n;
    return ELOG_CONTROL_OK;
}

/* ---------------------------------------------------------------------------
 * Built-in commands
 * ------------------------------------------------------------------------- */

static const struct {
    const char *kebab;
    const char *camel;
} builtins[] = {
    {"start-profiling", "startProfiling"},
    {"stop-profiling", "stopProfiling"},
    {"start-heap-profiling", "startHeapProfiling"},
    {"stop-heap-profiling", "stopHeapProfiling"},
    {"request-heap-census", "requestHeapCensus"},
};

unsigned elog_control_builtin_id(const char *name)
{
    if (name == NULL)
        return 0;
    for (unsigned i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcmp(name, builtins[i].kebab) == 0 || strcmp(name, builtins[i].camel) == 0)
            return i + 1;
    return 0;
}

const char *elog_control_builtin_name(unsigned id)
{
    if (id < 1 || id > sizeof builtins / sizeof builtins[0])
        return NULL;
    return builtins[id - 1].kebab;
}

elog_control_error elog_control_parse_command(const char *text, elog_control_command *cmd)
{
    cmd->ns.ptr = NULL;
    cmd->ns.len = 0;
    cmd->id = 0;
    if (text == NULL)
        return ELOG_CONTROL_E_UNKNOWN_COMMAND;
    unsigned b = elog_control_builtin_id(text);
    if (b != 0) {
        cmd->ns.ptr = (const uint8_t *)ELOG_CONTROL_NAMESPACE;
        cmd->ns.len = sizeof ELOG_CONTROL_NAMESPACE - 1;
        cmd->id = b;
        return ELOG_CONTROL_OK;
    }
    const char *colon = strrchr(text, ':');
    if (colon == NULL)
        return ELOG_CONTROL_E_UNKNOWN_COMMAND;
    const char *d = colon + 1;
    if (*d == '\0')
        return ELOG_CONTROL_E_SYNTAX;
    unsigned id = 0;
    for (; *d != '\0'; d++) {
        if (*d < '0' || *d > '9')
            return ELOG_CONTROL_E_SYNTAX;
        id = id * 10u + (unsigned)(*d - '0');
        if (id > 100000u)   /* surely out of range; keeps the sum from wrapping */
            return ELOG_CONTROL_E_BAD_ID;
    }
    cmd->ns.ptr = (const uint8_t *)text;
    cmd->ns.len = (size_t)(colon - text);
    cmd->id = id;
    return elog_control_validate(cmd->ns.ptr, cmd->ns.len, id);
}

/* ---------------------------------------------------------------------------
 * The stream parser
 * ------------------------------------------------------------------------- */

enum { R_MAGIC, R_VERSION, R_NSLEN, R_NS, R_ID };

void elog_control_reader_init(elog_control_reader *r)
{
    memset(r, 0, sizeof *r);
    r->priv_.state = R_MAGIC;
}

static void add_garbage(elog_control_reader *r, uint64_t offset, uint64_t n)
{
    if (r->priv_.garbage == 0)
        r->priv_.garbage_offset = offset;
    r->priv_.garbage += n;
}

/* The candidate frame held so far is not one: its bytes are garbage. */
static void break_frame(elog_control_reader *r)
{
    add_garbage(r, r->priv_.offset - r->priv_.have, r->priv_.have);
    r->priv_.have = 0;
    r->priv_.state = R_MAGIC;
}

static void frame_item(elog_control_reader *r, elog_control_item *item)
{
    item->kind = ELOG_CONTROL_FRAME;
    item->offset = r->priv_.offset - r->priv_.have;
    item->length = r->priv_.have;
    item->ns.ptr = r->priv_.frame + F_NS;
    item->ns.len = r->priv_.frame[F_NSLEN];
    item->id = r->priv_.frame[r->priv_.have - 1];
    r->priv_.have = 0;
    r->priv_.state = R_MAGIC;
}

static void garbage_item(elog_control_reader *r, elog_control_item *item)
{
    item->kind = ELOG_CONTROL_GARBAGE;
    item->offset = r->priv_.garbage_offset;
    item->length = r->priv_.garbage;
    r->priv_.garbage = 0;
}

size_t elog_control_reader_feed(elog_control_reader *r, const void *buf, size_t len,
                                elog_control_item *item)
{
    memset(item, 0, sizeof *item);
    item->kind = ELOG_CONTROL_NONE;
    if (r->priv_.pending) {
        r->priv_.pending = 0;
        frame_item(r, item);
        return 0;
    }
    const uint8_t *start = buf, *p = buf, *end = p + len;
    while (p < end) {
        uint8_t b = *p;
        bool ok;
        switch (r->priv_.state) {
        case R_MAGIC:
            ok = b == control_magic[r->priv_.have];
            if (!ok && r->priv_.have == 0) {
                add_garbage(r, r->priv_.offset, 1);
                r->priv_.offset++;
                p++;
                continue;
            }
            break;
        case R_VERSION:
            ok = b == ELOG_CONTROL_VERSION;
            break;
        case R_NSLEN:
        case R_ID:
            ok = b != 0;
            break;
        default: /* R_NS */
            ok = true;
            break;
        }
        if (!ok) {
            break_frame(r);   /* and look at b again, as a possible magic */
            continue;
        }
        r->priv_.frame[r->priv_.have++] = b;
        r->priv_.offset++;
        p++;
        switch (r->priv_.state) {
        case R_MAGIC:
            if (r->priv_.have == ELOG_CONTROL_MAGIC_LEN)
                r->priv_.state = R_VERSION;
            break;
        case R_VERSION:
            r->priv_.state = R_NSLEN;
            break;
        case R_NSLEN:
            r->priv_.state = R_NS;
            break;
        case R_NS:
            if (r->priv_.have == F_NS + (uint32_t)r->priv_.frame[F_NSLEN])
                r->priv_.state = R_ID;
            break;
        default: /* R_ID: the frame is complete */
            if (r->priv_.garbage > 0) {
                garbage_item(r, item);
                r->priv_.pending = 1;
            } else {
                frame_item(r, item);
            }
            return (size_t)(p - start);
        }
    }
    return (size_t)(p - start);
}

bool elog_control_reader_end(elog_control_reader *r, elog_control_item *item)
{
    memset(item, 0, sizeof *item);
    item->kind = ELOG_CONTROL_NONE;
    if (r->priv_.pending) {
        r->priv_.pending = 0;
        frame_item(r, item);
        return true;
    }
    if (r->priv_.garbage > 0) {
        garbage_item(r, item);
        return true;
    }
    if (r->priv_.have > 0) {
        item->kind = ELOG_CONTROL_TRUNCATED;
        item->offset = r->priv_.offset - r->priv_.have;
        item->length = r->priv_.have;
        r->priv_.have = 0;
        r->priv_.state = R_MAGIC;
        return true;
    }
    elog_control_reader_init(r);
    return false;
}
