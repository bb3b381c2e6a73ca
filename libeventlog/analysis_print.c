/*
 * The two renderings of an elog_stats: the JSON object of `eventlog stats
 * --json` (its keys are an interface: README.md "eventlog stats") and the
 * human summary whose first block is laid out like `+RTS -s`.
 */
#include "analysis_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void put(elog_writer *w, const char *s)
{
    elog_writer_put(w, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) pf(elog_writer *w, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        elog_writer_put(w, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* A JSON string: UTF-8 passed through (invalid bytes as U+FFFD), control
 * characters escaped. */
static void put_json_str(elog_writer *w, const char *s)
{
    elog_slice sl = { (const uint8_t *)s, strlen(s) };
    bool valid = elog_utf8_valid(sl);
    put(w, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned c = *p;
        if (c == '"' || c == '\\') {
            char e[2] = { '\\', (char)c };
            elog_writer_put(w, e, 2);
        } else if (c < 0x20 || c == 0x7f) {
            pf(w, "\\u%04x", c);
        } else if (c >= 0x80 && !valid) {
            put(w, "\xef\xbf\xbd");
        } else {
            elog_writer_put(w, p, 1);
        }
    }
    put(w, "\"");
}

static void put_u64(elog_writer *w, uint64_t v)
{
    pf(w, "%llu", (unsigned long long)v);
}

static void put_durations(elog_writer *w, const elog_duration_stats *d)
{
    pf(w, "{\"total\":%llu,\"mean\":%llu,\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,\"max\":%llu}",
       (unsigned long long)d->total_ns, (unsigned long long)d->mean_ns,
       (unsigned long long)d->p50_ns, (unsigned long long)d->p90_ns,
       (unsigned long long)d->p99_ns, (unsigned long long)d->max_ns);
}

static void put_end_json(elog_writer *w, const elog_stats *s)
{
    if (!s->has_end) {
        put(w, "{\"kind\":\"live\"}");
        return;
    }
    const elog_end *e = &s->end;
    put(w, "{\"kind\":");
    put_json_str(w, elog_end_kind_name(e->kind));
    pf(w, ",\"offset\":%llu", (unsigned long long)e->offset);
    if (e->kind == ELOG_END_TRUNCATED_IN_EVENT) {
        if (e->id_known)
            pf(w, ",\"event_id\":%u", (unsigned)e->event_id);
        pf(w, ",\"bytes_missing\":%u", (unsigned)e->bytes_missing);
    }
    if (e->kind == ELOG_END_ERROR) {
        put(w, ",\"status\":");
        put_json_str(w, elog_status_name(e->status));
        put(w, ",\"reason\":");
        put_json_str(w, s->end_reason);
    }
    put(w, "}");
}

void elog_stats_write_json(elog_writer *w, const elog_stats *s)
{
    put(w, "{\"gc\":{\"generations\":[");
    for (size_t i = 0; i < s->n_generations; i++) {
        const elog_gen_stats *g = &s->generations[i];
        pf(w, "%s{\"generation\":%u,\"collections\":%llu,\"parallel\":%llu,\"copied_bytes\":%llu,"
              "\"pause_ns\":",
           i ? "," : "", (unsigned)g->generation, (unsigned long long)g->collections,
           (unsigned long long)g->parallel, (unsigned long long)g->copied_bytes);
        put_durations(w, &g->pause);
        put(w, "}");
    }
    put(w, "],\"pause_ns\":");
    put_durations(w, &s->pause);
    pf(w, "},\"heap\":{\"allocated_bytes\":%llu,\"max_live_bytes\":%llu,\"max_size_bytes\":%llu}",
       (unsigned long long)s->allocated_bytes, (unsigned long long)s->max_live_bytes,
       (unsigned long long)s->max_size_bytes);
    if (s->has_sparks)
        pf(w, ",\"sparks\":{\"created\":%llu,\"converted\":%llu,\"overflowed\":%llu,\"dud\":%llu,"
              "\"gcd\":%llu,\"fizzled\":%llu}",
           (unsigned long long)s->sparks.created, (unsigned long long)s->sparks.converted,
           (unsigned long long)s->sparks.overflowed, (unsigned long long)s->sparks.dud,
           (unsigned long long)s->sparks.gcd, (unsigned long long)s->sparks.fizzled);
    pf(w, ",\"time\":{\"start_ns\":%llu,\"end_ns\":%llu,\"mutator_ns\":%llu,\"gc_ns\":%llu,"
          "\"productivity\":%.6f}",
       (unsigned long long)s->start_ns, (unsigned long long)s->end_ns,
       (unsigned long long)s->mutator_ns, (unsigned long long)s->gc_ns, s->productivity);
    put(w, ",\"capabilities\":[");
    for (size_t i = 0; i < s->n_caps; i++) {
        const elog_cap_stats *c = &s->caps[i];
        pf(w, "%s{\"cap\":%u,\"mutator_ns\":%llu,\"gc_ns\":%llu,\"idle_ns\":%llu}", i ? "," : "",
           (unsigned)c->cap, (unsigned long long)c->mutator_ns, (unsigned long long)c->gc_ns,
           (unsigned long long)c->idle_ns);
    }
    put(w, "],\"threads\":[");
    for (size_t i = 0; i < s->n_threads; i++) {
        const elog_thread_stats *t = &s->threads[i];
        pf(w, "%s{\"thread\":%u,\"label\":", i ? "," : "", (unsigned)t->thread);
        put_json_str(w, t->label);
        pf(w, ",\"runs\":%llu,\"running_ns\":%llu,\"stop_reasons\":{",
           (unsigned long long)t->runs, (unsigned long long)t->running_ns);
        /* Codes 0 and 19 both mean "no status": one key. */
        uint64_t reasons[ELOG_STOP_REASONS];
        memcpy(reasons, t->stop_reasons, sizeof reasons);
        reasons[0] += reasons[19];
        reasons[19] = 0;
        bool first = true;
        for (uint16_t r = 0; r < ELOG_STOP_REASONS; r++) {
            if (reasons[r] == 0)
                continue;
            pf(w, "%s\"%s\":", first ? "" : ",", elog_stop_reason_name(r));
            put_u64(w, reasons[r]);
            first = false;
        }
        put(w, "}}");
    }
    put(w, "],\"spans\":[");
    for (size_t i = 0; i < s->n_spans; i++) {
        const elog_span_stats *sp = &s->spans[i];
        pf(w, "%s{\"label\":", i ? "," : "");
        put_json_str(w, sp->label);
        pf(w, ",\"count\":%llu,\"total_ns\":%llu,\"max_ns\":%llu}", (unsigned long long)sp->count,
           (unsigned long long)sp->total_ns, (unsigned long long)sp->max_ns);
    }
    put(w, "],\"end\":");
    put_end_json(w, s);
    put(w, "}");
}

/* ------------------------------------------------------------ text */

/* 1234567 -> "1,234,567" */
static void put_commas(elog_writer *w, uint64_t v, int width)
{
    char digits[32], out[48];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[k++] = ',';
        out[k++] = digits[i];
    }
    out[k] = '\0';
    pf(w, "%*s", width, out);
}

static double sec(uint64_t ns)
{
    return (double)ns / 1e9;
}

static const char *dur(char *buf, size_t cap, uint64_t ns)
{
    if (ns < 1000)
        snprintf(buf, cap, "%llu ns", (unsigned long long)ns);
    else if (ns < 1000000)
        snprintf(buf, cap, "%.1f us", (double)ns / 1e3);
    else if (ns < 1000000000)
        snprintf(buf, cap, "%.2f ms", (double)ns / 1e6);
    else
        snprintf(buf, cap, "%.3f s", (double)ns / 1e9);
    return buf;
}

void elog_stats_write_text(elog_writer *w, const elog_stats *s, size_t top)
{
    char b1[32], b2[32], b3[32], b4[32], b5[32];
    /* The +RTS -s block. */
    put_commas(w, s->allocated_bytes, 16);
    put(w, " bytes allocated in the heap\n");
    put_commas(w, s->copied_bytes, 16);
    put(w, " bytes copied during GC\n");
    put_commas(w, s->max_live_bytes, 16);
    put(w, " bytes maximum residency\n");
    put_commas(w, s->max_size_bytes / (1024 * 1024), 16);
    put(w, " MiB total memory in use\n\n");
    put(w, "                                     Tot time (elapsed)  Avg pause  Max pause\n");
    for (size_t i = 0; i < s->n_generations; i++) {
        const elog_gen_stats *g = &s->generations[i];
        /* Columns under the header as +RTS -s places them (elapsed only). */
        pf(w, "  Gen %2u    %6llu colls, %5llu par          %8.3fs %10.4fs %9.4fs\n",
           (unsigned)g->generation, (unsigned long long)g->collections,
           (unsigned long long)g->parallel, sec(g->pause.total_ns), sec(g->pause.mean_ns),
           sec(g->pause.max_ns));
    }
    if (s->has_sparks)
        pf(w, "\n  SPARKS: %llu (%llu converted, %llu overflowed, %llu dud, %llu GC'd, %llu fizzled)\n",
           (unsigned long long)s->sparks.created, (unsigned long long)s->sparks.converted,
           (unsigned long long)s->sparks.overflowed, (unsigned long long)s->sparks.dud,
           (unsigned long long)s->sparks.gcd, (unsigned long long)s->sparks.fizzled);
    uint64_t span = s->end_ns - s->start_ns;
    pf(w, "\n  MUT     time  (%8.3fs elapsed)\n", sec(s->mutator_ns));
    pf(w, "  GC      time  (%8.3fs elapsed)\n", sec(s->gc_ns));
    pf(w, "  Total   time  (%8.3fs elapsed)\n\n", sec(span));
    if (s->mutator_ns > 0) {
        put(w, "  Alloc rate    ");
        double rate = (double)s->allocated_bytes / sec(s->mutator_ns);
        if (rate < 1.8e19) /* absurd timestamps must not overflow the cast */
            put_commas(w, (uint64_t)rate, 0);
        else
            pf(w, "%.3e", rate);
        put(w, " bytes per MUT second\n\n");
    }
    pf(w, "  Productivity %5.1f%% of total elapsed\n", s->productivity * 100.0);

    /* Pauses. */
    pf(w, "\nGC pauses: %llu%s\n", (unsigned long long)s->pause.count,
       s->pause_open ? " (the last one still running at the end of the input)" : "");
    pf(w, "  %-8s %8s %10s %10s %10s %10s %10s %10s\n", "gen", "count", "total", "mean", "p50",
       "p90", "p99", "max");
    for (size_t i = 0; i <= s->n_generations; i++) {
        const elog_duration_stats *d = i < s->n_generations ? &s->generations[i].pause : &s->pause;
        char name[16];
        if (i < s->n_generations)
            snprintf(name, sizeof name, "%u", (unsigned)s->generations[i].generation);
        else
            snprintf(name, sizeof name, "all");
        pf(w, "  %-8s %8llu %10s %10s %10s %10s %10s ", name, (unsigned long long)d->count,
           dur(b1, sizeof b1, d->total_ns), dur(b2, sizeof b2, d->mean_ns),
           dur(b3, sizeof b3, d->p50_ns), dur(b4, sizeof b4, d->p90_ns),
           dur(b5, sizeof b5, d->p99_ns));
        pf(w, "%10s\n", dur(b1, sizeof b1, d->max_ns));
    }
    if (s->n_longest > 0) {
        put(w, "  longest (duration at start time, generation):\n");
        for (size_t i = 0; i < s->n_longest; i++) {
            const elog_pause *p = &s->longest[i];
            pf(w, "%s%9s at %9.6fs", i % 3 ? "  " : "   ",
               dur(b1, sizeof b1, p->end_ns - p->start_ns), sec(p->start_ns));
            if (p->generation != UINT32_MAX)
                pf(w, " g%u", (unsigned)p->generation);
            else
                put(w, p->open ? " open" : " g?");
            if (i % 3 == 2 || i + 1 == s->n_longest)
                put(w, "\n");
        }
    }

    /* Capabilities. */
    if (s->n_caps > 0) {
        pf(w, "\nCapabilities:\n  %-5s %12s %12s %12s %8s\n", "cap", "mutator", "GC", "idle",
           "busy");
        for (size_t i = 0; i < s->n_caps; i++) {
            const elog_cap_stats *c = &s->caps[i];
            double busy = span ? (double)(c->mutator_ns + c->gc_ns) / (double)span * 100.0 : 0;
            pf(w, "  %-5u %12s %12s %12s %7.1f%%\n", (unsigned)c->cap,
               dur(b1, sizeof b1, c->mutator_ns), dur(b2, sizeof b2, c->gc_ns),
               dur(b3, sizeof b3, c->idle_ns), busy);
        }
    }

    /* Threads. */
    pf(w, "\nThreads: %llu created, %llu finished, now %llu running, %llu runnable, %llu blocked\n",
       (unsigned long long)s->threads_created, (unsigned long long)s->threads_finished,
       (unsigned long long)s->thread_states[ELOG_THREAD_RUNNING],
       (unsigned long long)s->thread_states[ELOG_THREAD_RUNNABLE],
       (unsigned long long)s->thread_states[ELOG_THREAD_BLOCKED]);
    if (s->n_threads > 0) {
        pf(w, "  %-8s %-20s %8s %12s  %s\n", "thread", "label", "runs", "running", "stops");
        for (size_t i = 0; i < s->n_threads && i < top; i++) {
            const elog_thread_stats *t = &s->threads[i];
            pf(w, "  %-8u %-20.20s %8llu %12s  ", (unsigned)t->thread, t->label,
               (unsigned long long)t->runs, dur(b1, sizeof b1, t->running_ns));
            bool first = true;
            for (uint16_t r = 0; r < ELOG_STOP_REASONS; r++) {
                if (t->stop_reasons[r] == 0)
                    continue;
                pf(w, "%s%s %llu", first ? "" : ", ", elog_stop_reason_name(r),
                   (unsigned long long)t->stop_reasons[r]);
                first = false;
            }
            put(w, "\n");
        }
        if (s->n_threads > top)
            pf(w, "  ... %zu more\n", s->n_threads - top);
    }

    /* Heap. */
    if (s->n_census_labels > 0) {
        pf(w, "\nHeap profile: %llu censuses; top labels by bytes summed over censuses:\n",
           (unsigned long long)s->censuses_seen);
        for (size_t i = 0; i < s->n_census_labels && i < top; i++) {
            const elog_label_bytes *l = &s->census_labels[i];
            put(w, "  ");
            put_commas(w, l->max_bytes, 14);
            pf(w, " bytes max  %s\n", l->label);
        }
    }

    /* Spans. */
    if (s->n_spans > 0 || s->unmatched_starts || s->unmatched_stops) {
        pf(w, "\nSpans (user messages START/STOP):\n  %-24s %8s %12s %12s %12s\n", "label",
           "count", "total", "mean", "max");
        for (size_t i = 0; i < s->n_spans && i < top; i++) {
            const elog_span_stats *sp = &s->spans[i];
            pf(w, "  %-24.24s %8llu %12s %12s %12s%s\n", sp->label, (unsigned long long)sp->count,
               dur(b1, sizeof b1, sp->total_ns), dur(b2, sizeof b2, sp->mean_ns),
               dur(b3, sizeof b3, sp->max_ns), sp->open ? " (open at the end)" : "");
        }
        if (s->unmatched_starts || s->unmatched_stops)
            pf(w, "  unmatched: %llu START, %llu STOP\n", (unsigned long long)s->unmatched_starts,
               (unsigned long long)s->unmatched_stops);
    }

    /* End. */
    put(w, "\nEnd: ");
    if (!s->has_end) {
        put(w, "live (still reading)\n");
    } else {
        pf(w, "%s at offset %llu", elog_end_kind_name(s->end.kind),
           (unsigned long long)s->end.offset);
        if (s->end.kind == ELOG_END_ERROR)
            pf(w, " (%s)", s->end_reason);
        put(w, "\n");
    }
}
