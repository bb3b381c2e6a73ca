/*
 * The README's example: GC pauses of an eventlog fed from stdin in 4 KiB
 * chunks (any chunk size gives the same result), with the analysis layer
 * (include/eventlog/analysis.h) doing the bookkeeping: time in GC per
 * capability, and the pause distribution.
 *
 *   build/examples/gc_pauses < corpus/conformance/hello-ghc-8.2.2.eventlog
 */
#include <eventlog.h>
#include <eventlog/analysis.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    elog_analysis *an = elog_analysis_new(NULL);
    elog_settings settings;
    elog_settings_init(&settings);
    elog_analysis_attach(&settings);            /* on_header/on_event feed d->data */
    elog_decoder dec;
    elog_decoder_init(&dec, &settings, an);

    unsigned char buf[4096];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0)
        if (elog_execute(&dec, buf, (size_t)n).status != ELOG_OK)
            break;                              /* the end says why */
    elog_end end = elog_finish(&dec);
    elog_analysis_on_end(an, &end, elog_get_error_reason(&dec));

    elog_stats *s = elog_analysis_snapshot(an);
    for (size_t i = 0; s != NULL && i < s->n_caps; i++)
        printf("cap %" PRIu32 ": %" PRIu64 " ns in GC\n", s->caps[i].cap, s->caps[i].gc_ns);
    if (s != NULL && s->pause.count > 0)
        printf("pauses: %" PRIu64 ", p50 %" PRIu64 " ns, p99 %" PRIu64 " ns, max %" PRIu64 " ns\n",
               s->pause.count, s->pause.p50_ns, s->pause.p99_ns, s->pause.max_ns);
    printf("end: %s after %" PRIu64 " events\n", elog_end_kind_name(end.kind), end.events);
    if (end.kind == ELOG_END_ERROR)
        fprintf(stderr, "error at byte %" PRIu64 ": %s\n", elog_get_error_offset(&dec),
                elog_get_error_reason(&dec));
    elog_stats_free(s);
    elog_analysis_free(an);
    elog_decoder_free(&dec);
    return end.kind == ELOG_END_ERROR;
}
