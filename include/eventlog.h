/*
 * libeventlog: an incremental, allocation-light decoder for GHC RTS eventlogs.
 *
 * Model (llhttp-style):
 *   - The caller owns an elog_decoder (it may live on the stack) and an
 *     elog_settings struct of callbacks, zeroed by elog_settings_init().
 *   - elog_execute() accepts any number of bytes (1 .. the whole file) and calls
 *     the callbacks for every complete item; the callbacks seen are identical for
 *     every way of chunking the same stream.
 *   - elog_finish() says how the stream ended (clean, truncated, ...).
 *   - Errors are sticky: after one, elog_execute() keeps returning it; the
 *     reason and the absolute byte offset are available.
 *
 * Memory: the decoder allocates the header's event-type table once, and a
 * carry buffer of at most one maximal record (12 + 65535 bytes) the first time
 * a record straddles two chunks. Nothing is allocated per event.
 *
 * Strings and payloads reach callbacks as elog_slice {ptr, len}: views into the
 * caller's buffer or into the carry buffer, valid only during the callback.
 *
 * Thread safety: a decoder is used by one thread at a time; distinct decoders
 * are independent. The catalogue functions are pure and thread-safe.
 *
 * This header reads top-down: 1. settings (callbacks, options), 2. status
 * codes (the whole library's, with elog_strerror()) and how a stream ended,
 * 3. decoding (init, execute, finish, errors), 4. the header and events,
 * 5. random access to one record, 6. catalogue introspection, 7. the
 * decoder's storage (its private part is not API).
 */
#ifndef ELOG_EVENTLOG_H
#define ELOG_EVENTLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ELOG_API: what libeventlog.so exports (every function declared below). */
#include "eventlog/api.h"
/* ELOG_VERSION_* and elog_version(), generated from the project version. */
#include "eventlog/version.h"

/* A capability of ELOG_NO_CAP means "no capability" (global buffer, or outside
 * any block). Declared size ELOG_VARIABLE_SIZE means a variable-size type. */
#define ELOG_NO_CAP 0xffffu
#define ELOG_VARIABLE_SIZE 0xffffu
/* The largest record: 2 id + 8 time + 2 length + 65535 payload bytes. */
#define ELOG_MAX_RECORD_SIZE (12u + 65535u)

/* A view of bytes owned by someone else (see each use for the owner). */
typedef struct elog_slice {
    const uint8_t *ptr;
    size_t len;
} elog_slice;

/* `count` big-endian u32 values at `ptr` (unaligned); read them with
 * elog_u32_array_get(). Used for cost-centre stacks, innermost first. */
typedef struct elog_u32_array {
    const uint8_t *ptr;
    uint32_t count;
} elog_u32_array;

static inline uint32_t elog_u32_array_get(elog_u32_array a, uint32_t i)
{
    const uint8_t *p = a.ptr + 4u * (size_t)i;
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* The decoder and what it delivers (defined further down). */
typedef struct elog_decoder elog_decoder;
typedef struct elog_header elog_header;
typedef struct elog_event elog_event;
typedef struct elog_event_type elog_event_type;
typedef struct elog_layout_info elog_layout_info;

/* ---------------------------------------------------------------------------
 * 1. The decoder's settings: callbacks, options, allocator
 * ------------------------------------------------------------------------- */

/* Callback results. Any other value is treated as ELOG_CB_ABORT. */
enum { ELOG_CB_CONTINUE = 0, ELOG_CB_PAUSE = 1, ELOG_CB_ABORT = -1 };

typedef int (*elog_header_cb)(elog_decoder *d, const elog_header *h);
typedef int (*elog_event_cb)(elog_decoder *d, const elog_event *ev);
/* `offset` is the position of the 0xffff end-of-data marker. */
typedef int (*elog_data_end_cb)(elog_decoder *d, uint64_t offset);
/* true: deliver the events of type `t` (see elog_settings.select). */
typedef bool (*elog_select_cb)(elog_decoder *d, const elog_event_type *t);
/* A handler of one event type of its own (elog_route()), with its context. */
typedef int (*elog_type_cb)(void *ctx, const elog_event *ev);

/* Replaceable allocation (tests inject failures). Every function receives
 * `ctx`; `size` on free is the size allocated. */
typedef struct elog_allocator {
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *ptr, size_t size);
    void *ctx;
} elog_allocator;

enum {
    /* Keep decoding events after the end-of-data marker, as ghc-events does.
     * Default: bytes after it are counted (elog_end.trailing_bytes), not decoded. */
    ELOG_OPT_CONTINUE_AFTER_END = 1u << 0,
    /* Accept blocks whose declared size disagrees with their events, attributing
     * capabilities by byte count exactly as ghc-events does. Default: such a
     * block is an ELOG_E_BAD_BLOCK error. */
    ELOG_OPT_LENIENT_BLOCKS = 1u << 1
};

typedef struct elog_settings {
    elog_header_cb on_header;     /* once, when the whole header was read */
    elog_event_cb on_event;       /* every event; block markers too unless on_block is set */
    elog_event_cb on_block;       /* block markers (id 18), if set */
    elog_data_end_cb on_data_end; /* the 0xffff end-of-data marker */
    unsigned options;             /* ELOG_OPT_* */
    const elog_allocator *allocator; /* NULL: malloc/free */
    /* NULL: every event is delivered. Else called once per type the header
     * declares, in header order, when the header is complete (just before
     * on_header; for an id declared twice the last answer stands): the
     * events of the types it returns false for are stepped over, without
     * decoding their fields or calling back, which makes a consumer of a few
     * types (heap samples, user messages) much faster on busy logs. They are
     * still framed and checked against their blocks, counted in
     * elog_end.events, and block markers still attribute capabilities; but
     * a corrupt field in an event stepped over is not reported. Like every
     * callback it runs inside elog_execute(): it must not call execute,
     * finish, reset or free on this decoder. */
    elog_select_cb select;
    /* The largest header accepted, in bytes from "hdrb" to "datb" included;
     * a header that goes beyond is an ELOG_E_LIMIT error at the offset
     * where it crossed the limit, before its memory is allocated. 0 means
     * ELOG_DEFAULT_MAX_HEADER (16 MiB: GHC's headers are tens of KiB), which
     * bounds the decoder's header memory to about twice that. */
    size_t max_header_bytes;
} elog_settings;

#define ELOG_DEFAULT_MAX_HEADER ((size_t)16 << 20)

/* Zeroes `s` (no callbacks, default options, malloc). */
ELOG_API void elog_settings_init(elog_settings *s);

/* ---------------------------------------------------------------------------
 * 2. Status codes (the whole library's) and how a stream ended
 * ------------------------------------------------------------------------- */

/* One status space for the whole library: every function that returns a
 * status (decoder, reader, socket client, control frames, writer, sorter)
 * returns an elog_status; 0 (ELOG_OK) is success everywhere. Each module has
 * its own range of values (decoder 0.., reader 100.., socket 200.., control
 * 300..), so a value names its module and is never reused across modules;
 * elog_strerror() describes any of them. The module types elog_reader_status,
 * elog_socket_status and elog_control_error are the same type, and
 * ELOG_READER_OK, ELOG_SOCKET_OK and ELOG_CONTROL_OK are ELOG_OK. New values
 * may be added in later releases (treat unknown ones as errors). */
typedef enum elog_status {
    ELOG_OK = 0,            /* all bytes consumed; feed more or finish */
    ELOG_PAUSED,            /* a callback paused: call elog_resume(), feed the rest */
    ELOG_NEED_MORE,         /* elog_decode_record(): the record is incomplete */
    ELOG_E_NOT_EVENTLOG,    /* the stream does not start with "hdrb" */
    ELOG_E_BAD_HEADER,      /* a header section tag or record is malformed */
    ELOG_E_LIMIT,           /* the header exceeds a limit (see reason) */
    ELOG_E_UNDECLARED,      /* an event id the header does not declare */
    ELOG_E_BAD_EVENT,       /* an event's fields overrun its length */
    ELOG_E_BAD_BLOCK,       /* a block marker disagrees with the events it holds: a
                               record crosses the block's end (reported at the record
                               as soon as its size is known, without waiting for the
                               rest of it), a block begins before
                               the previous one ended, a marker declares fewer than its
                               own 24 bytes, or the end-of-data marker comes while the
                               block declares more than its 2 bytes (GHC >= 9 counts the
                               end marker in the last block). Not raised with
                               ELOG_OPT_LENIENT_BLOCKS. */
    ELOG_E_CALLBACK,        /* a callback returned ELOG_CB_ABORT */
    ELOG_E_NOMEM,           /* the allocator failed */
    ELOG_E_USAGE,           /* API misuse: execute after finish, from a callback, ... */

    /* The reader (include/eventlog/reader.h): elog_status has no room for I/O
     * or compression failures in the decoder's range, hence these. */
    ELOG_READER_PAUSED = 101, /* run: a decoder callback paused; call run again */
    ELOG_READER_E_DECODE,     /* the decoder stopped at an error (elog_get_error()) */
    ELOG_READER_E_IO,         /* open/stat/read failed, or a followed file shrank */
    ELOG_READER_E_GZIP,       /* the compressed data (gzip, zstd or xz) are corrupt,
                                 or need more memory than the reader's limits */
    ELOG_READER_E_NOMEM,      /* the allocator failed */
    ELOG_READER_E_USAGE,      /* API misuse (see elog_reader_error()) */

    /* The socket client (include/eventlog/socket.h). */
    ELOG_SOCKET_WOULD_BLOCK = 201, /* pump: nothing to do until elog_socket_events()
                                  on elog_socket_fd() or elog_socket_timeout_ms() */
    ELOG_SOCKET_EOF,           /* a session ended (on_disconnected has run); with
                                  `reconnect` the client connects again on the next
                                  pump, otherwise it is now closed */
    ELOG_SOCKET_PAUSED,        /* a decoder callback returned ELOG_CB_PAUSE; the
                                  next pump/run resumes where it stopped */
    ELOG_SOCKET_STOPPED,       /* run: the stop flag was set */
    ELOG_SOCKET_TIMEOUT,       /* run: the timeout elapsed */
    ELOG_SOCKET_CLOSED,        /* the client is closed: nothing more will happen */
    ELOG_SOCKET_E_ADDRESS,     /* an address is malformed, or its host unknown */
    ELOG_SOCKET_E_CONNECT,     /* could not connect within the retry limits */
    ELOG_SOCKET_E_IO,          /* a socket call failed (see the message) */
    ELOG_SOCKET_E_DECODE,      /* the decoder stopped at an error; the session
                                  was closed (elog_socket_decoder() has details) */
    ELOG_SOCKET_E_CALLBACK,    /* a decoder callback returned ELOG_CB_ABORT; the
                                  client is closed (no reconnect) */
    ELOG_SOCKET_E_ARG,         /* an invalid argument; nothing was done or sent */
    ELOG_SOCKET_E_NOMEM,       /* the allocator failed */
    ELOG_SOCKET_E_USAGE,       /* API misuse: not connected, from a callback, ... */

    /* Control frames (include/eventlog/socket.h). */
    ELOG_CONTROL_E_EMPTY_NAMESPACE = 301, /* namespace of 0 bytes */
    ELOG_CONTROL_E_LONG_NAMESPACE,    /* namespace of more than 255 bytes */
    ELOG_CONTROL_E_BAD_ID,            /* command id outside 1..255 */
    ELOG_CONTROL_E_NO_ROOM,           /* the caller's buffer is too small */
    ELOG_CONTROL_E_UNKNOWN_COMMAND,   /* not a built-in name nor NAMESPACE:ID */
    ELOG_CONTROL_E_SYNTAX             /* NAMESPACE:ID with a malformed ID */
} elog_status;

/* The modules' names for success and their status types (same type). */
#define ELOG_READER_OK ELOG_OK
#define ELOG_SOCKET_OK ELOG_OK
#define ELOG_CONTROL_OK ELOG_OK
typedef elog_status elog_reader_status;
typedef elog_status elog_socket_status;
typedef elog_status elog_control_error;

/* A sentence describing `status` ("the input is not a GHC eventlog ..."),
 * for any value of elog_status (and "unknown libeventlog status" for other
 * values). A static string: never NULL, never freed. Thread-safe, pure; may
 * be called from callbacks. The details of one failure (what, where) come
 * from the module's error function: elog_get_error_reason(),
 * elog_reader_error(), elog_socket_error(), ... */
ELOG_API const char *elog_strerror(int status);

/* The enumerator's name for any status ("ELOG_E_UNDECLARED",
 * "ELOG_READER_E_GZIP"; "ELOG_OK" for 0), or "ELOG_UNKNOWN_STATUS". Never NULL. */
ELOG_API const char *elog_status_name(elog_status s);

typedef enum elog_end_kind {
    ELOG_END_CLEAN,                  /* the end-of-data marker was seen */
    ELOG_END_TRUNCATED_BETWEEN_EVENTS, /* data ended on a record boundary, no end marker */
    ELOG_END_TRUNCATED_IN_EVENT,     /* data ended inside a record */
    ELOG_END_TRUNCATED_IN_HEADER,    /* data ended before the data section began */
    ELOG_END_EMPTY,                  /* no bytes at all */
    ELOG_END_ERROR                   /* decoding stopped at an error (see status) */
} elog_end_kind;

ELOG_API const char *elog_end_kind_name(elog_end_kind k); /* e.g. "truncated-in-event" */

typedef struct elog_end {
    elog_end_kind kind;
    elog_status status;      /* ELOG_OK, or the sticky error for ELOG_END_ERROR */
    uint64_t offset;         /* CLEAN: offset of the end marker; IN_EVENT/IN_HEADER:
                                start of the incomplete item; ERROR: error offset;
                                otherwise total bytes */
    uint64_t total_bytes;    /* bytes fed in all */
    bool id_known;           /* IN_EVENT: the event id was read */
    uint16_t event_id;       /* IN_EVENT: that id */
    uint32_t bytes_missing;  /* IN_EVENT/IN_HEADER: bytes still needed for the item
                                (a lower bound when its length was not yet read) */
    uint64_t trailing_bytes; /* CLEAN: bytes that followed the end marker */
    uint64_t events;         /* events decoded (block markers, and the events of types
                                settings.select turned off, included) */
} elog_end;

/* ---------------------------------------------------------------------------
 * 3. Decoding: init, execute, finish, errors
 * ------------------------------------------------------------------------- */

/* Prepares `d` to decode a new stream. `settings` must outlive the decoder
 * (it is not copied); `data` is stored in d->data. Never fails, allocates
 * nothing. Not from a callback. */
ELOG_API void elog_decoder_init(elog_decoder *d, const elog_settings *settings, void *data);

/* Releases what the decoder allocated. `d` can be init'ed again afterwards.
 * Not from a callback. */
ELOG_API void elog_decoder_free(elog_decoder *d);

/* Forgets the current stream (header, errors, position) and keeps settings,
 * data and the carry buffer: use it for a new connection. Not from a callback. */
ELOG_API void elog_decoder_reset(elog_decoder *d);

/* The result of elog_execute(), libcbor-style. */
typedef struct elog_result {
    size_t read;          /* bytes of `buf` consumed */
    elog_status status;   /* ELOG_OK (read == len), ELOG_PAUSED, or an error */
    size_t required;      /* ELOG_OK: bytes still needed to complete the current
                             item (0 at an item boundary; a lower bound) */
} elog_result;

/* Decodes `len` bytes of `buf` (the caller keeps ownership; nothing is kept
 * after return except bytes of an incomplete record, copied to the carry
 * buffer). Calls the callbacks for each complete item.
 * Returns ELOG_OK with read == len; ELOG_PAUSED with read = bytes up to and
 * including the item whose callback paused; or an error (sticky: later calls
 * return it again with read = 0). Calling it from a callback, while paused, or
 * after elog_finish() returns ELOG_E_USAGE / ELOG_PAUSED without consuming. */
ELOG_API elog_result elog_execute(elog_decoder *d, const void *buf, size_t len);

/* Clears a pause so elog_execute() continues. Safe from a callback (the
 * callback's own return value still decides). */
ELOG_API void elog_resume(elog_decoder *d);

/* Classifies the end of the input. Call once, after the last elog_execute();
 * the decoder then refuses more input until elog_decoder_reset(). Never
 * allocates; not from a callback. */
ELOG_API elog_end elog_finish(elog_decoder *d);

/* The sticky error (ELOG_OK if none), its reason (a sentence naming what was
 * expected and found, never NULL, "" without error) and absolute byte offset.
 * Valid until the next reset. Safe from callbacks. */
ELOG_API elog_status elog_get_error(const elog_decoder *d);
ELOG_API const char *elog_get_error_reason(const elog_decoder *d);
ELOG_API uint64_t elog_get_error_offset(const elog_decoder *d);

/* Total bytes consumed so far. Safe from callbacks. */
ELOG_API uint64_t elog_get_offset(const elog_decoder *d);

/* The header once on_header has run (NULL before). Safe from callbacks. */
ELOG_API const elog_header *elog_get_header(const elog_decoder *d);

/* Gives the events of type `id` a handler of their own: cb(ctx, ev) instead
 * of settings.on_event(d, ev) (cb NULL: back to on_event), for a consumer
 * that would otherwise switch on ev->id for every event (the per-event
 * switch of a busy log's few hot types costs as much as their handling).
 * A route is for handlers of typed fields: the event of a fixed-size type
 * with a typed layout carries its id, cap, time, offset, size and fields
 * (`as`), but its `payload`, `type` and `layout` are unspecified (not
 * framed, for speed; on_event gives the raw bytes); other types' events are
 * complete, as for on_event. elog_get_offset() works as from on_event.
 * A type settings.select turned off stays off; block markers go to on_block
 * when it is set. cb answers as on_event does (ELOG_CB_*), runs inside
 * elog_execute() with the same restrictions, and does not get the decoder:
 * `ctx` is its context (not owned). Call from on_header or, once the header
 * is complete, between elog_execute() calls; routes last until the next
 * header (a reset or a new stream clears them). Only ids below 256 (all of
 * GHC's) have routes. Returns ELOG_OK, ELOG_E_UNDECLARED if the header does
 * not declare `id`, or ELOG_E_USAGE for an id of 256 or more, before the
 * header is complete, or from on_event / on_block. */
ELOG_API elog_status elog_route(elog_decoder *d, uint16_t id, elog_type_cb cb, void *ctx);

/* ---------------------------------------------------------------------------
 * 4. The header and events
 * ------------------------------------------------------------------------- */

/* The typed field structs of every known event (elog_fields, generated from
 * libeventlog/catalogue.txt) and the ELOG_EV_* ids. */
#include "eventlog/catalogue.h"

/* One record of the header's event-type table. Owned by the decoder; valid
 * until elog_decoder_reset() or elog_decoder_free(). */
struct elog_event_type {
    uint16_t id;
    uint16_t size;                  /* declared payload size or ELOG_VARIABLE_SIZE */
    uint32_t header_index;          /* position in the header, from 0 */
    uint64_t offset;                /* byte offset of its ET_BEGIN marker */
    elog_slice description;         /* raw bytes, not validated as UTF-8 */
    const elog_layout_info *layout; /* NULL: no typed layout fits; delivered raw */
};

/* The header, complete when on_header runs. Owned by the decoder, valid until
 * elog_decoder_reset()/elog_decoder_free(). Duplicate ids are kept in `types`
 * (header order); elog_header_lookup() returns the last one, as ghc-events. */
struct elog_header {
    const elog_event_type *types;
    size_t n_types;
    uint64_t data_offset;           /* offset of the first event record */
    /* Private to libeventlog: do not touch (the layout changes between
     * releases). id -> index into types (+1), 0 = undeclared. */
    struct elog__header_private {
        const uint32_t *by_id;
        uint32_t by_id_len;
    } priv_;
};

/* The declaration of `id`, or NULL if the header does not declare it. */
ELOG_API const elog_event_type *elog_header_lookup(const elog_header *h, uint16_t id);

/* One event as callbacks receive it: valid during the callback only (its
 * slices point into the caller's buffer or the decoder's carry buffer). */
struct elog_event {
    uint16_t id;
    uint16_t cap;                   /* from the enclosing block marker, or ELOG_NO_CAP */
    uint32_t size;                  /* whole record in bytes: 10 + size or 12 + L */
    uint64_t time;                  /* ns since RTS start */
    uint64_t offset;                /* absolute byte offset of the record's id */
    elog_slice payload;             /* raw payload, including bytes beyond the known fields */
    const elog_event_type *type;    /* its header declaration */
    const elog_layout_info *layout; /* NULL: unknown to libeventlog, use `payload` */
    elog_fields as;                 /* typed fields of `layout` (ELOG_EV_* / as.<name>) */
};

/* Iterates NUL-separated strings (PROGRAM_ARGS, PROGRAM_ENV) the way ghc-events
 * splits them: trailing NULs are dropped, then the area is split on NUL (an
 * empty area yields one empty string). Start with *pos = 0; returns false when
 * done. Pure; may be called from callbacks. */
ELOG_API bool elog_strvec_next(elog_slice vec, size_t *pos, elog_slice *item);

/* true if `s` is well-formed UTF-8. Pure. */
ELOG_API bool elog_utf8_valid(elog_slice s);

/* ---------------------------------------------------------------------------
 * 5. Random access: decode one record at a known position (for indexers and
 * the sorted `show`, which re-reads records by offset).
 * ------------------------------------------------------------------------- */

/* Decodes the record at `p` (`avail` bytes available) with the types of `h`.
 * `ev->cap` is set to ELOG_NO_CAP (apply an elog_block_state for it).
 * Returns ELOG_OK and the record size in *record_size; ELOG_NEED_MORE with the
 * size needed so far in *record_size; ELOG_E_UNDECLARED or ELOG_E_BAD_EVENT for
 * corrupt records (id 0xffff, the end marker, is ELOG_E_UNDECLARED). Slices in
 * `ev` point into `p`. Pure; safe from callbacks. */
ELOG_API elog_status elog_decode_record(const elog_header *h, const uint8_t *p, size_t avail,
                                        uint64_t offset, elog_event *ev, size_t *record_size);

/* Capability attribution by block markers (docs/FORMAT.md §5.3). */
typedef struct elog_block_state {
    int64_t remaining;  /* bytes of the current block still to come */
    uint16_t cap;       /* ELOG_NO_CAP outside blocks */
} elog_block_state;

#define ELOG_BLOCK_STATE_INIT {0, ELOG_NO_CAP}

/* Sets ev->cap from `bs` and advances `bs` past `ev`. With `strict`, returns
 * ELOG_E_BAD_BLOCK when a record crosses the end of its block or a new block
 * begins before the previous one ended; the state still advances as ghc-events
 * would. Returns ELOG_OK otherwise. */
ELOG_API elog_status elog_block_state_apply(elog_block_state *bs, elog_event *ev, bool strict);

/* ---------------------------------------------------------------------------
 * 6. Catalogue introspection (generated from libeventlog/catalogue.txt):
 * every layout libeventlog knows and its fields, for code that walks events
 * generically instead of naming ev->as.<name>.<field>.
 * ------------------------------------------------------------------------- */

typedef enum elog_field_kind {
    ELOG_FIELD_U8,
    ELOG_FIELD_U16,
    ELOG_FIELD_U32,
    ELOG_FIELD_U64,
    ELOG_FIELD_CSTR,   /* elog_slice without the NUL */
    ELOG_FIELD_TEXT,   /* elog_slice, UTF-8 by convention (not validated) */
    ELOG_FIELD_LATIN1, /* elog_slice, one byte per character */
    ELOG_FIELD_BYTES,  /* elog_slice, arbitrary bytes */
    ELOG_FIELD_STRVEC, /* elog_slice of NUL-separated strings: elog_strvec_next() */
    ELOG_FIELD_STACK   /* elog_u32_array */
} elog_field_kind;

/* One typed field of a layout: where it lives inside the event's `as` union. */
typedef struct elog_field_info {
    const char *name;
    elog_field_kind kind;
    uint16_t offset;       /* offsetof within the layout's struct in `as` */
    bool optional;         /* present only if payload bytes remained */
    bool derived;          /* computed, not read from the payload */
    uint16_t has_offset;   /* optional fields: offset of their `has_` flag (bool) */
} elog_field_info;

/* One layout of an event type. An id has several layouts when GHC changed its
 * size (GC_STATS_GHC 50/58, NONMOVING_HEAP_CENSUS 13/14): `variant` counts
 * them from 0, smallest first. */
struct elog_layout_info {
    uint16_t id;
    uint16_t size;         /* payload size, or ELOG_VARIABLE_SIZE */
    uint8_t variant;
    uint8_t n_fields;
    uint16_t index;        /* position in elog_catalogue() */
    const char *name;      /* e.g. "CREATE_THREAD" */
    const elog_field_info *fields;
};

/* Every layout libeventlog knows, ordered by (id, size). Never fails. */
ELOG_API const elog_layout_info *elog_catalogue(size_t *count);

/* The layout an event of `id` declared with `declared_size` bytes (or
 * ELOG_VARIABLE_SIZE) is decoded with: the largest fixed layout whose size is
 * <= declared_size, or the variable layout for a variable declaration. NULL
 * when libeventlog has none (the event is then delivered raw). */
ELOG_API const elog_layout_info *elog_catalogue_find(uint16_t id, uint16_t declared_size);

/* Generic access to a typed field of `ev`, for code that walks
 * ev->layout->fields instead of naming ev->as.<name>.<field>. `f` must be one
 * of ev->layout's fields. Inline (callbacks call them per field); pure. */

/* false only for an optional field the payload did not hold. */
static inline bool elog_field_present(const elog_event *ev, const elog_field_info *f)
{
    return !f->optional || *((const bool *)((const uint8_t *)&ev->as + f->has_offset));
}

/* The value of an integer field (ELOG_FIELD_U8..U64); 0 for other kinds. */
static inline uint64_t elog_field_uint(const elog_event *ev, const elog_field_info *f)
{
    const void *p = (const uint8_t *)&ev->as + f->offset;
    switch (f->kind) {
    case ELOG_FIELD_U8: return *(const uint8_t *)p;
    case ELOG_FIELD_U16: return *(const uint16_t *)p;
    case ELOG_FIELD_U32: return *(const uint32_t *)p;
    case ELOG_FIELD_U64: return *(const uint64_t *)p;
    default: return 0;
    }
}

/* A string or byte field (CSTR, TEXT, LATIN1, BYTES, STRVEC); {NULL, 0} for
 * other kinds. The slice is valid as long as the event's payload. */
static inline elog_slice elog_field_slice(const elog_event *ev, const elog_field_info *f)
{
    elog_slice s = {NULL, 0};
    if (f->kind >= ELOG_FIELD_CSTR && f->kind <= ELOG_FIELD_STRVEC)
        s = *(const elog_slice *)((const uint8_t *)&ev->as + f->offset);
    return s;
}

/* A STACK field; {NULL, 0} for other kinds. */
static inline elog_u32_array elog_field_stack(const elog_event *ev, const elog_field_info *f)
{
    elog_u32_array a = {NULL, 0};
    if (f->kind == ELOG_FIELD_STACK)
        a = *(const elog_u32_array *)((const uint8_t *)&ev->as + f->offset);
    return a;
}

/* ---------------------------------------------------------------------------
 * 7. The decoder's storage
 * ------------------------------------------------------------------------- */

/* The decoder's state. Allocate it anywhere (stack is fine); touch only
 * `data`, and only through the functions above for the rest. Its size is
 * part of the ABI (libeventlog/abi/); its private part is not. */
struct elog_decoder {
    void *data;                     /* yours: for the callbacks */

    /* Private to libeventlog: do not touch (fields, their meaning and
     * layout change between releases; the size changes only with the
     * soversion). */
    struct elog__decoder_private {
        const elog_settings *settings;
        uint64_t offset;                /* absolute offset of the next byte */
        uint64_t events;
        uint64_t item_offset;           /* start of the item being assembled */
        uint64_t end_offset;            /* first end-of-data marker, or UINT64_MAX */
        uint64_t error_offset;
        uint64_t block_offset;          /* offset of the current block marker */
        int64_t block_remaining;
        uint32_t state;
        uint32_t need;                  /* bytes of the current item still to read */
        uint32_t have;                  /* bytes of the current item already read */
        uint32_t item_total;            /* total size of the record, once known */
        uint32_t dlen, xlen;
        uint16_t block_cap;
        uint16_t ev_id;
        uint8_t flags;
        elog_status error;
        uint8_t small[8];               /* a header item (at most 8 bytes) */
        const elog_event *fast_ev;      /* in-place loop: its event (the offset is its end) */
        uint8_t *carry;
        elog_event_type *types;
        size_t n_types, cap_types;
        uint8_t *descs;
        size_t descs_len, descs_cap;
        uint32_t *by_id;
        uint32_t by_id_len;
        elog_header header;
        char reason[200];
    } priv_;
};


#ifdef __cplusplus
}
#endif

#endif /* ELOG_EVENTLOG_H */
