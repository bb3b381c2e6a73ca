/*
 * libeventlog merge: several eventlog files into one time-ordered eventlog,
 * with ghc-events' merge semantics, on any GHC's logs (`eventlog merge`,
 * Python libeventlog.merge()).
 *
 *   - the output's header is the union of the inputs' declarations, by id;
 *     a type id declared differently (size or description) in two inputs
 *     is an error naming the id and both inputs;
 *   - the capabilities, capsets and thread ids of each input are shifted
 *     past the largest used by the inputs before it (as ghc-events does for
 *     two logs, applied from left to right). Which fields are shifted comes
 *     from the event catalogue's field names (thread, spark_thread; cap,
 *     new_cap, other_cap, victim_cap; capset, heap_capset); a capability
 *     field holding 0xffff (no capability) is left alone;
 *   - events are written in time order, ties to the earlier input, by the
 *     library's writer (include/eventlog/writer.h) into blocks per
 *     capability; the inputs' block markers are not copied.
 *
 * Each input is read twice: elog_merge_open() scans it for the ids it uses
 * (only the types naming one are decoded), then opens the library's
 * time-ordered iteration of it (include/eventlog/order.h: pass 1).
 * elog_merge_write() then pulls every input's events in time order.
 *
 * Memory budget (any input size): per input, one elog_sorter with
 * elog_merge_options.memory_budget (default 4 MiB) plus the sorter's fixed
 * part; 1 MiB of declaration tables; one 64 KiB scratch record; plus the
 * writer's own budget (writer.h). The sorters may use temporary disk as
 * order.h states.
 *
 * Ownership: elog_merge_open() copies the paths' names it needs for
 * messages; the caller's array may go afterwards. The merge owns its
 * sorters and headers until elog_merge_close(). The writer given to
 * elog_merge_write() stays the caller's (opened, and freed after, by the
 * caller); elog_merge_write() finishes it.
 *
 * Errors: functions return elog_status; elog_merge_error() has a sentence
 * naming the input and, for corrupt data, the byte offset:
 *   ELOG_E_USAGE       fewer than one input, NULL arguments, write twice;
 *   ELOG_E_NOMEM       out of memory;
 *   ELOG_E_BAD_HEADER  two inputs declare one type id differently;
 *   ELOG_E_CALLBACK    an input cannot be read, is not an eventlog, is
 *                      corrupt (the decoder's reason and offset), or the
 *                      writer's output failed (the writer's reason);
 * A truncated input is not an error: its complete events are merged, and
 * elog_merge_input_end() says how it ended.
 *
 * Callback safety: the merge calls no user callback of its own; the
 * writer's sink (and patch/truncate) are called from elog_merge_write()
 * and must not call the merge or the writer. One merge per thread at a
 * time; merges are independent.
 */
#ifndef ELOG_MERGE_H
#define ELOG_MERGE_H

#include "eventlog.h"
#include "eventlog/writer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct elog_merge elog_merge;

typedef struct elog_merge_options {
    size_t memory_budget;      /* per input's sorter; 0: 4 MiB */
    unsigned decoder_options;  /* ELOG_OPT_* for decoding the inputs */
    const char *tmpdir;        /* the sorters' temporary files; NULL: $TMPDIR */
} elog_merge_options;

/* The defaults (all zero). */
ELOG_API void elog_merge_options_init(elog_merge_options *o);

/* How far an input's ids are shifted in the output. */
typedef struct elog_merge_shift {
    uint64_t caps;
    uint64_t capsets;
    uint64_t threads;
} elog_merge_shift;

/* Scans the `n` input files, opens their time-ordered iteration and joins
 * their headers. `opt` may be NULL. On return *out is the merge, also on
 * failure when it could be allocated (read elog_merge_error(), then
 * elog_merge_close()); NULL only when out of memory at once. */
ELOG_API elog_status elog_merge_open(elog_merge **out, const char *const *paths, size_t n,
                            const elog_merge_options *opt);

/* The number of inputs. */
ELOG_API size_t elog_merge_inputs(const elog_merge *m);

/* The shift of input `k` (input 0: all zero). */
ELOG_API void elog_merge_shift_of(const elog_merge *m, size_t k, elog_merge_shift *s);

/* How input `k` ended (clean, or truncated: see eventlog.h), and its header
 * (owned by the merge, valid until close). Valid after a successful open. */
ELOG_API void elog_merge_input_end(const elog_merge *m, size_t k, elog_end *end);
ELOG_API const elog_header *elog_merge_input_header(const elog_merge *m, size_t k);

/* Writes the merged log into `w`, which must be open (blocks mode: no
 * ELOG_LOG_WRITER_VERBATIM) with nothing written yet: the joined header,
 * every event in time order, then elog_log_writer_finish(). Once per
 * merge. */
ELOG_API elog_status elog_merge_write(elog_merge *m, elog_log_writer *w);

/* The last error's sentence ("" if none). Valid until the next call. */
ELOG_API const char *elog_merge_error(const elog_merge *m);

/* Releases the merge (NULL: no-op). */
ELOG_API void elog_merge_close(elog_merge *m);

#ifdef __cplusplus
}
#endif

#endif /* ELOG_MERGE_H */
