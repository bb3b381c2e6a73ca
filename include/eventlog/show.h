/*
 * The text of `ghc-events show` (ghc-events 0.21), byte for byte
 * (docs/SHOW-FORMAT.md).
 *
 * Output goes through an elog_writer: a buffer the caller owns plus a flush
 * function that empties it. Formatting allocates nothing.
 */
#ifndef ELOG_SHOW_H
#define ELOG_SHOW_H

#include "../eventlog.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct elog_writer elog_writer;

struct elog_writer {
    char *buf;          /* caller-owned, `cap` bytes, cap >= ELOG_WRITER_MIN_CAP */
    size_t len;         /* bytes pending in buf */
    size_t cap;
    /* Called when buf is full: write out buf[0..len) and set len = 0 (or make
     * room some other way). Return 0, or -1 to stop (sets `failed`, later output
     * is dropped). NULL: excess output is dropped and counted in `dropped`. */
    int (*flush)(elog_writer *w);
    void *ctx;          /* yours */
    bool failed;
    uint64_t dropped;   /* bytes dropped for lack of room (flush == NULL) */
};

#define ELOG_WRITER_MIN_CAP 64u

/* Sets up `w` over `buf`. */
ELOG_API void elog_writer_init(elog_writer *w, char *buf, size_t cap,
                               int (*flush)(elog_writer *w), void *ctx);

/* Appends bytes; calls flush as needed. */
ELOG_API void elog_writer_put(elog_writer *w, const void *p, size_t n);

/* Flushes what is pending (flush must be set). Returns 0 or -1. */
ELOG_API int elog_writer_flush(elog_writer *w);

/* "Event Types:\n", one line per header record, "\n", "Events:\n". */
ELOG_API void elog_show_header(elog_writer *w, const elog_header *h);

/* One event line, with its trailing "\n": "{time}: [cap N: ]{text}\n".
 * Pure apart from `w`; safe from callbacks. */
ELOG_API void elog_show_event(elog_writer *w, const elog_event *ev);

/* The lines of the n records laid end to end in recs[0..len), declared in
 * `h`, the i-th in a block of capability caps[i] (ELOG_NO_CAP outside
 * blocks): what elog_decode_record() and then elog_show_event() with
 * ev.cap = caps[i] would print for each, without filling an elog_event for
 * most. Returns n with *status ELOG_OK, or the index of the first record
 * that does not decode, with elog_decode_record()'s status in *status (the
 * records before it printed, nothing of it). `recs`, `caps` and `h` stay the
 * caller's and are only read. Pure apart from `w`: safe from callbacks, and
 * from several threads at once given different writers. */
ELOG_API size_t elog_show_records(elog_writer *w, const elog_header *h, const uint8_t *recs,
                                  size_t len, const uint16_t *caps, size_t n, elog_status *status);

/* The event's {text} only (no time, cap or newline). */
ELOG_API void elog_show_event_text(elog_writer *w, const elog_event *ev);

/* snprintf-style: writes at most `cap` bytes of the event line (no NUL
 * added) and returns the full length it needs. */
ELOG_API size_t elog_show_event_to(char *buf, size_t cap, const elog_event *ev);

#ifdef __cplusplus
}
#endif

#endif /* ELOG_SHOW_H */
