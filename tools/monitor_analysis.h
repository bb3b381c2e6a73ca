/*
 * The monitor's bridge to the library's analyses (include/eventlog/analysis.h):
 * feeds them the session's events and copies their live snapshot into the
 * monitor's figures. It computes nothing itself; what it adds is the
 * monitor's own bookkeeping: the user-span label slots that stay stable
 * across sessions (a counter series cannot move to another label).
 */
#ifndef ELOG_TOOLS_MONITOR_ANALYSIS_H
#define ELOG_TOOLS_MONITOR_ANALYSIS_H

#include "eventlog.h"
#include "monitor.h"

typedef struct mon_analysis {
    unsigned span_labels;            /* slots for labels with their own series */
    unsigned n_labels;               /* slots in use (kept across sessions) */
    char labels[MON_MAX_SPAN_LABELS][MON_LABEL_MAX + 1];
    void *impl;                      /* the library's analysis state */
} mon_analysis;

/* 0, or -1 when out of memory. */
int mon_analysis_init(mon_analysis *a, unsigned span_labels);
void mon_analysis_free(mon_analysis *a);
/* Adjusts the decoder settings (event selection) for the analyses. */
void mon_analysis_settings(elog_settings *s);
/* A new session (a new eventlog) starts. */
void mon_analysis_reset(mon_analysis *a);
int mon_analysis_on_header(mon_analysis *a, elog_decoder *d, const elog_header *h);
int mon_analysis_on_event(mon_analysis *a, elog_decoder *d, const elog_event *ev);
/* The session's figures so far into `cur` (counters of this session only).
 * Capability time: while the session runs (`final` false) only finished
 * runs and GCs and the idle time between them, which never go down as
 * other capabilities' blocks arrive; at its end (`final` true) the
 * complete figures of `eventlog stats`, open intervals closed at the end
 * (never less than the finished ones). */
void mon_analysis_fill(mon_analysis *a, mon_snapshot *cur, bool final);

#endif
