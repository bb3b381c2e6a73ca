/*
 * Time-ordered iteration: the events of an eventlog in the order of
 * `ghc-events show` (stably sorted by timestamp: equal times keep file
 * order), in memory that does not grow with the input, plus a bounded
 * reordering window for live streams.
 *
 * Three levels:
 *
 *   1. elog_sorter: the simple one. Open a path (or fd), then either pull
 *      events one at a time with elog_sorter_next() or have them delivered
 *      to the usual elog_settings callbacks with elog_sorter_run().
 *
 *        elog_sorter *s;
 *        if (elog_sorter_open(&s, path, NULL) != 0) { puts(elog_sorter_error(s)); ... }
 *        elog_event ev;
 *        int rc;
 *        while ((rc = elog_sorter_next(s, &ev)) == 1)
 *            use(&ev);                         // time order, ev.cap set
 *        if (rc < 0) puts(elog_sorter_error(s));
 *        elog_sorter_close(s);
 *
 *      Several sorters merge several logs in time order (what `eventlog
 *      merge` needs): elog_sorter_set.
 *
 *   2. elog_order: the engine under it, for callers that read the input
 *      themselves (the CLI's sources: sockets, progress, spooling) and want
 *      raw records in batches (`eventlog show` formats them on two threads):
 *        pass 1: elog_order_note() for every event the decoder delivers, in
 *                stream order (or elog_order_scan_fd() for a plain file: two
 *                halves on two threads);
 *        pass 2: elog_order_merge_begin() with a positional read function over
 *                the same stream bytes, then elog_order_merge_fill() until it
 *                returns an empty batch.
 *
 *   3. elog_window: a push-style reordering window for live streams.
 *
 * Memory (elog_order and elog_sorter): run buffers within
 * elog_order_options.memory_budget (default 64 MiB) plus about 10 MiB
 * whatever the input: the table of time-ordered runs that pass 1 finds is bounded,
 * and when a log has more runs than the merge can read at once they are
 * merged in passes of bounded fan-in through temporary files (see
 * elog_order_options.tmpdir for the disk it may use).
 *
 * Thread safety: an elog_order / elog_sorter / elog_window is used by one
 * thread at a time; distinct ones are independent. elog_order_scan_fd() (and
 * so elog_sorter_open() on a plain file of 8 MiB or more) decodes on a second
 * thread meanwhile, and the sorter's reader may read ahead on one (see
 * reader.h); callbacks are only ever called on the caller's thread.
 */
#ifndef ELOG_ORDER_H
#define ELOG_ORDER_H

#include "../eventlog.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct elog_order_options {
    /* Bytes for the merge's run buffers (0: 64 MiB). Peak memory is this
     * plus about 10 MiB for any input (pass 1's table of 32768 runs, a merge
     * pass's list of runs, 1 MiB buffers); the sorter adds its reader's. */
    size_t memory_budget;
    /* Where temporary files go (spooled input that cannot be re-read, and
     * intermediate runs of a merge in several passes); NULL: $TMPDIR, else
     * /tmp. They are unlinked at once: nothing is left behind. Disk used:
     * a copy of the decompressed stream for non-seekable input, and, only for
     * logs with more runs than one merge can take (or whose pass 1 had to
     * coalesce runs), intermediate runs: each record plus a 10-byte tag,
     * written once per merge level, the space of merged runs given back as
     * it goes (at most about twice the stream plus the tags at a time). */
    const char *tmpdir;
    /* Decoder options of pass 1 (ELOG_OPT_*; the CLI uses
     * ELOG_OPT_CONTINUE_AFTER_END | ELOG_OPT_LENIENT_BLOCKS like ghc-events). */
    unsigned decoder_options;
    /* Never start threads. */
    bool no_threads;
    /* Most runs merged at once, and the bound of pass 1's run table (0:
     * 32768, also at most memory_budget / 512). Smaller values only serve
     * tests, which use them to force merges in several passes on small
     * inputs. */
    size_t max_runs;
} elog_order_options;

/* Fills `o` with the defaults (all zero). */
ELOG_API void elog_order_options_init(elog_order_options *o);

/* ---------------------------------------------------------------------------
 * 1. Sorted iteration over a file
 * ------------------------------------------------------------------------- */

typedef struct elog_sorter elog_sorter;

/* Opens `path` ("-": stdin; gzip recognised by its magic) and runs pass 1
 * (the whole input is decoded once: a plain regular file is re-read in
 * place, anything else is spooled to a temporary file). Always sets *out
 * (NULL only if even the error could not be allocated); the caller closes
 * it in every case. Returns 0, or -1 with elog_sorter_error() saying why
 * (path and byte offset included): cannot open, not an eventlog, corrupt
 * before any usable end (like ghc-events, nothing is delivered then),
 * out of memory or disk. A truncated log is not an error: its complete
 * events are delivered and elog_sorter_end() says how it ended. `opts` may
 * be NULL; it is copied. */
ELOG_API int elog_sorter_open(elog_sorter **out, const char *path, const elog_order_options *opts);

/* The same for an open descriptor, which stays the caller's. `name` is for
 * messages (NULL: "fd N"). */
ELOG_API int elog_sorter_open_fd(elog_sorter **out, int fd, const char *name,
                                 const elog_order_options *opts);

/* The header (owned by the sorter, valid until elog_sorter_close()). */
ELOG_API const elog_header *elog_sorter_header(const elog_sorter *s);

/* How pass 1 found the input to end (clean, truncated, ...). Before pass 1
 * ended (a failure to open or read it, out of memory): kind ELOG_END_ERROR
 * with status ELOG_E_CALLBACK. */
ELOG_API void elog_sorter_end(const elog_sorter *s, elog_end *end);

/* The next event in time order into *ev (cap set; slices valid until the
 * next call or close). Returns 1, 0 at the end, or -1 on an error (the input
 * changed between the passes, a read failed, out of memory):
 * elog_sorter_error(). */
ELOG_API int elog_sorter_next(elog_sorter *s, elog_event *ev);

/* Delivers the remaining events in time order through settings->on_event
 * (and on_block for block markers, if set; on_header first if set and not
 * yet delivered). The callbacks' decoder argument is the sorter's pass-1
 * decoder with d->data = `data`: elog_get_header(d) works. A callback may
 * return ELOG_CB_ABORT to stop (returns -1 with error "stopped by a
 * callback") or ELOG_CB_PAUSE (returns 1: call again to go on). Returns 0
 * when all were delivered. */
ELOG_API int elog_sorter_run(elog_sorter *s, const elog_settings *settings, void *data);

/* The last error ("" if none), owned by the sorter. NULL accepted. */
ELOG_API const char *elog_sorter_error(const elog_sorter *s);

ELOG_API void elog_sorter_close(elog_sorter *s);

/* Several sorted logs merged into one time order (e.g. `eventlog merge`):
 * ties go to the earlier source in `sorters`, then to each source's own
 * order. The sorters stay the caller's (opened, and closed after
 * elog_sorter_set_free()); pull them only through the set meanwhile. Each
 * keeps its own budget: with many sources, give each a smaller
 * memory_budget. NULL if out of memory. */
typedef struct elog_sorter_set elog_sorter_set;
ELOG_API elog_sorter_set *elog_sorter_set_new(elog_sorter *const *sorters, size_t n);

/* The next event of all sources in time order into *ev, and its source's
 * index into *source (may be NULL). The event belongs to that source's
 * header (elog_sorter_header()); its slices are valid until the next call.
 * Returns 1, 0 when all are done, or -1 when a source failed:
 * elog_sorter_error() of sorters[elog_sorter_set_failed()]. */
ELOG_API int elog_sorter_set_next(elog_sorter_set *m, elog_event *ev, size_t *source);
ELOG_API size_t elog_sorter_set_failed(const elog_sorter_set *m);
ELOG_API void elog_sorter_set_free(elog_sorter_set *m);

/* ---------------------------------------------------------------------------
 * 2. The engine: run recording (pass 1) and the merge (pass 2)
 * ------------------------------------------------------------------------- */

typedef struct elog_order elog_order;

/* NULL if out of memory. `opts` may be NULL; it is copied. */
ELOG_API elog_order *elog_order_new(const elog_order_options *opts);
ELOG_API void elog_order_free(elog_order *o);

/* Pass 1: records `ev` (every event the decoder delivers, block markers
 * included, in stream order; ev->offset is its stream offset). Returns
 * ELOG_CB_CONTINUE, or ELOG_CB_ABORT (elog_order_error() says why: out of
 * memory or disk, or an internal disagreement about capabilities). Safe to
 * call from a decoder callback (it is meant to be called from one). */
ELOG_API int elog_order_note(elog_order *o, const elog_event *ev);

/* Pass 1 over the plain (uncompressed) eventlog in regular file `fd`,
 * `size` bytes from file position `base`, in two halves decoded on two
 * threads. `map`: NULL (read with pread(2)), or the caller's read-only
 * mapping of those `size` bytes, which is then read instead and whose pages
 * are given back as it goes (madvise MADV_DONTNEED: they stay readable; a
 * file that shrinks raises SIGBUS, the caller's to handle). Returns 1 when
 * it did the whole of pass 1 (*end then says how the input ended, and
 * elog_order_header() has the header), 0 when it is not applicable or did
 * not work out (small or odd input, one CPU, a decoding error: nothing is
 * recorded then, run pass 1 sequentially with elog_order_note() instead,
 * which will report any error), -1 on out of memory. */
ELOG_API int elog_order_scan_fd(elog_order *o, int fd, uint64_t base, uint64_t size,
                                const uint8_t *map, elog_end *end);

/* The header that elog_order_scan_fd() decoded (NULL otherwise). Owned by
 * `o`. */
ELOG_API const elog_header *elog_order_header(const elog_order *o);

/* Events recorded by pass 1. */
ELOG_API uint64_t elog_order_events(const elog_order *o);

/* Reads exactly `len` bytes at stream offset `offset` into `buf`. Returns 0,
 * or -1 (the merge stops with "read failed"). */
typedef int (*elog_order_read_cb)(void *ctx, void *buf, size_t len, uint64_t offset);

/* Pass 2: prepares the merge of what pass 1 recorded, decoding with `h`
 * (which must outlive the merge) and re-reading the stream through `read`.
 * When there are more runs than one pass can merge within the budget, this
 * first merges them in passes of bounded fan-in into temporary files (it
 * can take a while then). Returns ELOG_OK, ELOG_E_NOMEM, or ELOG_E_USAGE
 * (twice, or no header), or ELOG_E_CALLBACK (a failed read, a temporary file
 * that cannot be written, out of memory in a pass): elog_order_error() says
 * which, with what to do. */
ELOG_API elog_status elog_order_merge_begin(elog_order *o, const elog_header *h,
                                            elog_order_read_cb read, void *ctx);

/* A batch of raw records in time order, laid end to end, with the
 * capability each was attributed (as elog_block_state_apply() does) and its
 * stream offset. The caller owns the arrays: `raw` holds raw_cap bytes
 * (>= 2 * ELOG_MAX_RECORD_SIZE), `caps` and `offsets` `max` entries. */
typedef struct elog_order_batch {
    uint8_t *raw;
    size_t raw_cap;
    uint16_t *caps;
    uint64_t *offsets;
    size_t max;
    size_t n;           /* records in the batch (set by fill) */
    size_t raw_len;     /* bytes of them */
} elog_order_batch;

/* Appends the next records in time order to `b` until it is full (n == max
 * or less than ELOG_MAX_RECORD_SIZE bytes left) or the merge is done.
 * Returns true if it appended any. Once it returns false: done, or stopped
 * at an inconsistency (elog_order_merge_status()). Feed the records to
 * elog_show_records() or elog_decode_record(). */
ELOG_API bool elog_order_merge_fill(elog_order *o, elog_order_batch *b);

/* ELOG_OK, or why the merge stopped early: the input differs from what pass
 * 1 saw (the status of the record that failed to decode, or ELOG_E_BAD_EVENT
 * for a size or time that changed; *offset its stream offset), or
 * ELOG_E_CALLBACK for a failed read. */
ELOG_API elog_status elog_order_merge_status(const elog_order *o, uint64_t *offset);

/* The last error as a sentence ("" if none). Owned by `o`. */
ELOG_API const char *elog_order_error(const elog_order *o);

/* ---------------------------------------------------------------------------
 * 3. The live reordering window
 *
 * Events pushed from any decoder callback (several capabilities, whose
 * buffers GHC flushes at different times) come out through `emit` in time
 * order, once they are older than the newest time seen by more than
 * `window_ns`, or when the window holds more than `max_bytes`. An event
 * older than one already released is delivered at once, flagged late, and
 * counted: nothing is dropped. Ties keep push order.
 * ------------------------------------------------------------------------- */

typedef struct elog_window elog_window;

/* Called for each released event, in order. `ev` (slices included) is valid
 * during the call; ev->cap is the cap it was pushed with; `late`: it came
 * after the window had moved past its time. Return ELOG_CB_CONTINUE, or
 * anything else to make the push/flush return -1 (the event counts as
 * released; a flush stops there and can be called again). It must not call
 * the window's functions. */
typedef int (*elog_window_cb)(void *ctx, const elog_event *ev, bool late);

typedef struct elog_window_options {
    uint64_t window_ns;     /* eventlog time held back */
    size_t max_bytes;       /* 0: 16 MiB; events are released early beyond it */
} elog_window_options;

/* `h`: the header of the stream the events come from (must outlive the
 * window; after a new session's header call elog_window_flush() and
 * elog_window_set_header()). NULL if out of memory. */
ELOG_API elog_window *elog_window_new(const elog_window_options *opts, const elog_header *h,
                                      elog_window_cb emit, void *ctx);
ELOG_API void elog_window_set_header(elog_window *w, const elog_header *h);

/* Takes a copy of `ev` (anything the decoder delivers: the window keeps no
 * pointer into it) and releases what is due. Returns 0, or -1: out of memory
 * (`ev` was delivered at once, unordered: not lost), or `emit` aborted.
 * Memory: the records held (at most about max_bytes: beyond it the oldest
 * go out early) plus one 64 KiB buffer. */
ELOG_API int elog_window_push(elog_window *w, const elog_event *ev);

/* Releases everything held, in order (at the end of the stream). */
ELOG_API int elog_window_flush(elog_window *w);

typedef struct elog_window_stats {
    uint64_t pushed, released, late;
    uint64_t max_late_ns;   /* how far behind the latest late event was */
    size_t held, held_bytes, peak_bytes;
} elog_window_stats;

ELOG_API void elog_window_get_stats(const elog_window *w, elog_window_stats *st);

ELOG_API void elog_window_free(elog_window *w);

#ifdef __cplusplus
}
#endif

#endif /* ELOG_ORDER_H */
