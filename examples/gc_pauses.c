/*
 * The README's example: total GC pause time per capability, fed from stdin in
 * 4 KiB chunks (any chunk size gives the same result).
 *
 *   build/examples/gc_pauses < corpus/conformance/hello-ghc-8.2.2.eventlog
 */
#include <eventlog.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

typedef struct {
    uint64_t gc_start[64]; /* per capability: time of the open GC_START, or 0 */
    uint64_t paused[64];
} pauses;

static int on_event(elog_decoder *d, const elog_event *ev)
{
    pauses *p = d->data;
    if (ev->cap >= 64)
        return ELOG_CB_CONTINUE;
    if (ev->id == ELOG_EV_GC_START)
        p->gc_start[ev->cap] = ev->time;
    else if (ev->id == ELOG_EV_GC_END && p->gc_start[ev->cap]) {
        p->paused[ev->cap] += ev->time - p->gc_start[ev->cap];
        p->gc_start[ev->cap] = 0;
    }
    return ELOG_CB_CONTINUE;
}

int main(void)
{
    pauses p = {{0}, {0}};
    elog_settings settings;
    elog_settings_init(&settings);
    settings.on_event = on_event;

    elog_decoder dec;
    elog_decoder_init(&dec, &settings, &p);
    unsigned char buf[4096];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        elog_result r = elog_execute(&dec, buf, (size_t)n);
        if (r.status != ELOG_OK) {
            fprintf(stderr, "error at byte %" PRIu64 ": %s\n", elog_get_error_offset(&dec),
                    elog_get_error_reason(&dec));
            elog_decoder_free(&dec);
            return 1;
        }
    }
    elog_end end = elog_finish(&dec);
    for (int cap = 0; cap < 64; cap++)
        if (p.paused[cap])
            printf("cap %d: %" PRIu64 " ns in GC\n", cap, p.paused[cap]);
    printf("end: %s after %" PRIu64 " events\n", elog_end_kind_name(end.kind), end.events);
    elog_decoder_free(&dec);
    return end.kind == ELOG_END_ERROR;
}
