/*
 * Bridge to the library's analyses: see monitor_analysis.h.
 * Until include/eventlog/analysis.h is merged this bridge reports no
 * analysis figures (have_analysis stays false, so /metrics shows only the
 * monitor's own eventlog_* metrics).
 */
#include "monitor_analysis.h"

#include <string.h>

int mon_analysis_init(mon_analysis *a, unsigned span_labels)
{
    memset(a, 0, sizeof *a);
    a->span_labels = span_labels;
    return 0;
}

void mon_analysis_free(mon_analysis *a)
{
    (void)a;
}

void mon_analysis_settings(elog_settings *s)
{
    (void)s;
}

void mon_analysis_reset(mon_analysis *a)
{
    (void)a;
}

int mon_analysis_on_header(mon_analysis *a, elog_decoder *d, const elog_header *h)
{
    (void)a;
    (void)d;
    (void)h;
    return ELOG_CB_CONTINUE;
}

int mon_analysis_on_event(mon_analysis *a, elog_decoder *d, const elog_event *ev)
{
    (void)a;
    (void)d;
    (void)ev;
    return ELOG_CB_CONTINUE;
}

void mon_analysis_fill(mon_analysis *a, mon_snapshot *cur)
{
    (void)a;
    (void)cur;
}
