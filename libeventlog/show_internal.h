/* Private glue between show.c and the generated per-layout writers. */
#ifndef ELOG_SHOW_INTERNAL_H
#define ELOG_SHOW_INTERNAL_H

#include "eventlog/show.h"

typedef void (*elog__show_fn)(elog_writer *w, const elog_event *ev);
extern const elog__show_fn elog__show_fns[ELOG_CATALOGUE_LAYOUTS];

/* Haskell's isPrint for a code point (unicode_print.c). */
bool elog__is_print(uint32_t cp);

void elog__put_lit(elog_writer *w, const char *s, size_t n);
void elog__put_dec(elog_writer *w, uint64_t v);
void elog__put_hex(elog_writer *w, uint64_t v);
void elog__put_latin1(elog_writer *w, elog_slice s);
void elog__put_hs_list(elog_writer *w, elog_slice vec);
void elog__put_bin(elog_writer *w, elog_slice s);
void elog__put_leading_num(elog_writer *w, elog_slice s);
void elog__put_stack(elog_writer *w, elog_u32_array a);
void elog__put_stop_status(elog_writer *w, uint16_t status, uint32_t info);
void elog__put_capset_type(elog_writer *w, uint16_t type);
void elog__put_breakdown(elog_writer *w, uint32_t breakdown);
void elog__put_eden_tag(elog_writer *w, uint8_t tag);
void elog__put_heap_filters(elog_writer *w, const elog_ev_heap_prof_begin *b);

#endif
