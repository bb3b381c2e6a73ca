/*
 * Exports: decoded events written out in formats other programs read.
 *
 *   ndjson   one JSON object per event (block markers are not events here):
 *            {"t": ns, "cap": N or null, "type": "RUN_THREAD", "id": 1,
 *             ...typed fields by their catalogue names...}
 *   chrome   the Chrome trace-event JSON format (Perfetto UI, chrome://tracing):
 *            a track per capability with thread runs and GC slices, user
 *            spans, user markers, counters for the heap and heap profile
 *   csv      one table (elog_export_table) with a header row
 *
 * An exporter is a consumer of decoded events: feed it the header and the
 * events from any source (a reader, a socket session, a push decoder, a
 * time-ordered iteration) and finish it at the end of input. It writes
 * through an elog_writer (show.h) the caller owns, and keeps nothing of an
 * event after elog_exporter_event() returns.
 *
 *   elog_exporter *x;
 *   elog_export_options o;
 *   elog_export_options_init(&o);
 *   o.format = ELOG_EXPORT_CHROME;
 *   if (elog_exporter_new(&x, &o, &writer) != ELOG_OK) ...;
 *   settings.on_header = ...elog_exporter_header(x, h)...;
 *   settings.on_event  = ...elog_exporter_event(x, ev)...;
 *   ... run the decoder ...
 *   elog_exporter_finish(x);        // closes what is open, flushes the writer
 *   elog_exporter_free(x);
 *
 * (elog_exporter_settings() fills the two callbacks for a decoder whose
 * `data` is the exporter.)
 *
 * JSON: integers are JSON numbers (u64 values above 2^53 lose precision in
 * readers that parse numbers as doubles, jq among them). Text fields are
 * JSON strings; bytes that are not well-formed UTF-8 become the code point
 * of the byte (0x80..0xff), as `show` writes them in program arguments, so
 * every output is valid UTF-8 JSON. Latin-1 fields map each byte to its code
 * point. `bytes` fields are lowercase hex strings, string vectors arrays of
 * strings, cost-centre stacks arrays of numbers (innermost first), optional
 * fields absent from the payload null. A field named like one of the
 * envelope's keys (t, cap, type, id) gets a trailing underscore ("cap_"), as
 * in the Python binding. Events libeventlog has no layout for are
 * {"t", "cap", "type": null, "id", "description", "payload": hex}.
 *
 * Chrome trace: timestamps ("ts") are microseconds with the nanoseconds as
 * three decimals. One process (pid 1) named after the program (its
 * arguments, else its RTS identifier); one track (tid = capability) per
 * capability, named "cap N", with a slice per thread run (named by the
 * thread's label, else "thread N"; args: thread, stop reason), a slice "GC"
 * from each GC_START to the GC_END on that capability, and user markers as
 * instant events; user spans (messages "START label" / "STOP label", with
 * an optional numeric subscript "START 3 label", the ghc-events-analyze
 * convention) as async slices named by their label; counters "heap size",
 * "live bytes", "allocated bytes" (sum over capabilities) and "heap profile"
 * (per census: the bytes of up to `top_labels` labels and "other"). Slices
 * on one track nest: a slice that ends while another opened after it is
 * still open closes that one and reopens it at the same time. At finish
 * every slice still open is closed at the last timestamp seen, so every
 * "B" has its "E" (and every "b" its "e") also for truncated logs.
 *
 * CSV (RFC 4180, "\n" line ends, fields quoted when needed):
 *   heap-profile  time,census,label,bytes: a row per heap-profile sample;
 *                 time is the census start (ns), census its era, label the
 *                 sample's label or its cost-centre stack (labels joined by
 *                 "/", innermost first)
 *   gc-pauses     start,end,generation,capability: a row per GC_START ..
 *                 GC_END of a capability, written once the collection is
 *                 over (every capability's GC ended, and a GC_START comes
 *                 after the last of those ends, or the input ends);
 *                 generation from the collection's GC_STATS_GHC (empty if
 *                 none)
 *   thread-runs   thread,capability,start,end,stop reason: a row per
 *                 RUN_THREAD .. STOP_THREAD on a capability; the reason as
 *                 `show` words it
 *   Intervals still open at finish end at the last timestamp seen, with
 *   stop reason "open at end of log" (thread runs).
 *
 * Memory: bounded, independently of the log's length: per capability a few
 * words of open state; thread labels (chrome) up to ELOG_EXPORT_LABEL_BUDGET
 * bytes and 65536 labels (threads labelled beyond them are named by id);
 * cost-centre names within the same bounds (beyond them a stack frame is
 * shown as its id); open user spans up to 4096 (more are not drawn);
 * heap-profile labels of one census up to 4096 and 512 KiB (the rest count
 * as "other"). In all: about 16 KiB for ndjson, at most ~2.5 MiB for csv
 * and ~7 MiB for chrome (every table full, thousands of capabilities), a
 * few KiB plus the open capabilities in practice. Formatting allocates
 * nothing per event.
 *
 * Errors: functions return ELOG_OK, ELOG_E_NOMEM (the allocator failed; the
 * exporter can still be freed) or ELOG_E_USAGE (NULL arguments, use after
 * finish). Output errors are the writer's: w->failed is set by its flush,
 * the exporter keeps going (writes are dropped) and the caller checks it.
 *
 * Thread safety: an exporter is used by one thread at a time. Its
 * functions may be called from decoder callbacks (they never call the
 * decoder).
 */
#ifndef ELOG_EXPORT_H
#define ELOG_EXPORT_H

#include "../eventlog.h"
#include "show.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum elog_export_format {
    ELOG_EXPORT_NDJSON = 0,
    ELOG_EXPORT_CHROME,
    ELOG_EXPORT_CSV
} elog_export_format;

typedef enum elog_export_table {
    ELOG_EXPORT_TABLE_HEAP_PROFILE = 0,
    ELOG_EXPORT_TABLE_GC_PAUSES,
    ELOG_EXPORT_TABLE_THREAD_RUNS
} elog_export_table;

/* Bytes of thread labels and of cost-centre names an exporter keeps. */
#define ELOG_EXPORT_LABEL_BUDGET (1u << 20)

typedef struct elog_export_options {
    elog_export_format format;
    elog_export_table table;          /* csv: which table */
    unsigned top_labels;              /* chrome: heap-profile series; 0: 10 */
    const elog_allocator *allocator;  /* NULL: malloc/free; must outlive the exporter */
} elog_export_options;

/* Defaults: ndjson, heap-profile table, 10 labels, malloc. */
ELOG_API void elog_export_options_init(elog_export_options *o);

/* Names as the CLI spells them: "ndjson", "chrome", "csv"; "heap-profile",
 * "gc-pauses", "thread-runs". The parse functions return false for an
 * unknown name (leaving *out alone); the name functions return a static
 * string, "?" for an unknown value. Pure. */
ELOG_API bool elog_export_format_parse(const char *name, elog_export_format *out);
ELOG_API bool elog_export_table_parse(const char *name, elog_export_table *out);
ELOG_API const char *elog_export_format_name(elog_export_format f);
ELOG_API const char *elog_export_table_name(elog_export_table t);

typedef struct elog_exporter elog_exporter;

/* Creates an exporter writing to `w` (the caller's; it must outlive the
 * exporter, and its flush must be set for output larger than its buffer).
 * `o` is copied; NULL means the defaults. Sets *out to the exporter or
 * NULL. Returns ELOG_OK, ELOG_E_NOMEM or ELOG_E_USAGE (NULL out or w, an
 * unknown format or table). Writes nothing yet. */
ELOG_API elog_status elog_exporter_new(elog_exporter **out, const elog_export_options *o,
                                       elog_writer *w);

/* The log's header, before its events (optional: an exporter fed events
 * without it works from the events' own layouts). Returns ELOG_OK,
 * ELOG_E_NOMEM or ELOG_E_USAGE (after finish). `h` is only read during
 * the call. */
ELOG_API elog_status elog_exporter_header(elog_exporter *x, const elog_header *h);

/* One event, in the order the consumer wants them written: for chrome and
 * csv, per-capability time order is enough (what a decoder delivers);
 * ndjson writes in the order given. Block markers (BLOCK_MARKER) are
 * ignored. `ev` and its slices are only read during the call. Returns
 * ELOG_OK, ELOG_E_NOMEM or ELOG_E_USAGE (after finish). */
ELOG_API elog_status elog_exporter_event(elog_exporter *x, const elog_event *ev);

/* The end of the input: closes what is still open (at the last timestamp
 * seen), writes the format's trailer and flushes the writer. Call once.
 * Returns ELOG_OK, ELOG_E_NOMEM or ELOG_E_USAGE (second call); check
 * w->failed for output errors. */
ELOG_API elog_status elog_exporter_finish(elog_exporter *x);

/* Releases the exporter (NULL is fine). Does not finish it. */
ELOG_API void elog_exporter_free(elog_exporter *x);

/* Events written (ndjson: objects; chrome: trace events; csv: data rows). */
ELOG_API uint64_t elog_exporter_count(const elog_exporter *x);

/* Fills on_header and on_event of `s` with callbacks that pass the header
 * and events to the exporter in d->data (so the decoder's `data` must be
 * the exporter); a failure aborts the decoder (ELOG_E_CALLBACK). Leaves
 * the other members alone. */
ELOG_API void elog_exporter_settings(elog_settings *s);

#ifdef __cplusplus
}
#endif

#endif /* ELOG_EXPORT_H */
