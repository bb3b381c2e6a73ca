/*
 * libeventlog filter: a selection of events (types, capabilities, threads,
 * a time range) copied from a decoder into an elog_log_writer. It is what
 * `eventlog filter`, `eventlog repair` and Python's libeventlog.filter()
 * run: feed it the decoder's header and every event (block markers
 * included: leave settings.on_block NULL, or call it from there too).
 *
 * With nothing selected away (elog_filter_selects_all), open the writer with
 * ELOG_LOG_WRITER_VERBATIM: the output is then the input, byte for byte
 * (a log cut short gets its last block's size corrected and an end marker).
 * Otherwise open it in blocks mode: the selected events of each input block
 * are written as one block of the same capability, so the output keeps the
 * input's order.
 *
 * Memory: the struct itself (no allocation); the writer's budget applies.
 * Thread safety: one filter per decoder; the functions are safe to call
 * from that decoder's callbacks.
 */
#ifndef ELOG_FILTER_H
#define ELOG_FILTER_H

#include "eventlog.h"
#include "eventlog/writer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct elog_filter {
    /* The selection (caller-owned arrays, read during the calls). An empty
     * list selects everything on that axis. */
    const uint16_t *types;      /* event type ids */
    size_t n_types;
    bool exclude_types;         /* true: every type except `types` */
    const uint16_t *caps;       /* capabilities (ELOG_NO_CAP: events of no cap) */
    size_t n_caps;
    const uint32_t *threads;    /* thread ids: events with a `thread` field
                                   (catalogue) equal to one of them */
    size_t n_threads;
    uint64_t from, to;          /* times, inclusive: [from, to] */

    /* private */
    elog_log_writer *w_;
    bool verbatim_;
    bool in_block_;
    uint16_t block_cap_;
    uint64_t kept_, seen_;
    uint16_t thread_off_[ELOG_CATALOGUE_LAYOUTS]; /* offset of `thread` in `as` + 1 */
} elog_filter;

/* Selects everything (no lists, from 0 to UINT64_MAX). */
ELOG_API void elog_filter_init(elog_filter *f);

/* true if the filter selects every event (use the verbatim writer). */
ELOG_API bool elog_filter_selects_all(const elog_filter *f);

/* true if `ev` (not a block marker) is selected. Pure. */
ELOG_API bool elog_filter_match(const elog_filter *f, const elog_event *ev);

/* false if no event of type `t` can be selected (by the type list, or
 * because it names no thread while threads are selected): return it from
 * settings.select so the decoder steps over those events without decoding
 * them. Block markers are always wanted. Pure. */
ELOG_API bool elog_filter_wants_type(const elog_filter *f, const elog_event_type *t);

/* Writes the header `h` to `w` (every declaration) and remembers `w` and
 * whether it is verbatim. Returns the writer's status. */
ELOG_API elog_status elog_filter_begin(elog_filter *f, elog_log_writer *w, bool verbatim,
                                       const elog_header *h);

/* Copies `ev` to the writer if selected (block markers: verbatim copies
 * them, blocks mode closes the previous block there). Returns the writer's
 * status (its error reason says more). */
ELOG_API elog_status elog_filter_event(elog_filter *f, const elog_event *ev);

/* Events seen (block markers aside) and kept. */
ELOG_API uint64_t elog_filter_seen(const elog_filter *f);
ELOG_API uint64_t elog_filter_kept(const elog_filter *f);

#ifdef __cplusplus
}
#endif

#endif /* ELOG_FILTER_H */
