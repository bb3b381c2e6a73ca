/*
 * Test helpers around the decoder's callbacks.
 *
 * 1. An expectation queue (in the style of libcbor's test assertions): the test
 *    states, in order, every callback it expects -- header, event, block marker,
 *    end of data -- with the arguments that matter (offset, id, time, cap, record
 *    size, layout, payload, typed fields by name) and what the callback should
 *    return; the callbacks pop the queue and assert with cmocka. Every callback
 *    is also recorded (expect.got) so a test can inspect what happened.
 *
 * 2. A trace recorder: serialises every callback with all its arguments and
 *    every typed field of every layout (walking elog_layout_info.fields by
 *    offset) into a byte string, entry by entry, so two decodes of the same
 *    bytes can be compared exactly (chunking, truncation). While recording it
 *    checks invariants every event must satisfy and counts violations.
 *
 * Include <stdarg.h>, <stddef.h>, <setjmp.h>, <stdint.h> and <cmocka.h> before
 * using the expectation queue (its callbacks assert with cmocka).
 */
#ifndef ELOG_TEST_EXPECT_H
#define ELOG_TEST_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "eventlog.h"

/* ------------------------------------------------------------------------ */
/* Expectation queue                                                         */
/* ------------------------------------------------------------------------ */

typedef enum exp_kind { EXP_HEADER, EXP_EVENT, EXP_BLOCK, EXP_DATA_END } exp_kind;

#define EXP_MAX_CHECKS 16
#define EXP_ANY_LAYOUT (-1)
#define EXP_RAW (-2) /* layout must be NULL */

typedef enum exp_check_kind { CHK_INT, CHK_SLICE, CHK_ABSENT, CHK_STACK } exp_check_kind;

typedef struct exp_check {
    const char *field;
    exp_check_kind kind;
    uint64_t u;
    uint8_t *p;        /* owned copy (slice bytes, or stack u32 values) */
    size_t n;
} exp_check;

typedef struct exp_item {
    exp_kind kind;
    size_t n_types;          /* header */
    uint64_t data_offset;    /* header */
    uint64_t offset;         /* event/block: record offset; data end: marker offset */
    uint16_t id;
    uint64_t time;
    uint16_t cap;
    int64_t size;            /* whole record size, -1 = unchecked */
    int layout;              /* EXP_ANY_LAYOUT, EXP_RAW, or the layout's size */
    bool check_payload;
    uint8_t *payload;
    size_t payload_len;
    exp_check checks[EXP_MAX_CHECKS];
    int n_checks;
    int ret;                 /* the callback returns this */
} exp_item;

/* One callback as it happened. */
typedef struct exp_got {
    exp_kind kind;
    bool via_on_block;
    uint64_t offset;
    uint16_t id;
    uint16_t cap;
    uint64_t time;
    uint32_t size;
    const elog_layout_info *layout;
    uint64_t decoder_offset;     /* elog_get_offset() during the callback */
} exp_got;

typedef struct expect {
    exp_item *items;
    size_t n, cap;
    size_t next;                 /* next expectation to match */
    bool strict;                 /* unexpected callbacks fail the test */
    bool use_on_block;
    int default_ret;             /* returned by unmatched callbacks (record mode) */
    exp_got *got;
    size_t n_got, cap_got;
    elog_settings settings;      /* callbacks installed; options and allocator yours */
} expect;

/* Sets up `e` and e->settings (on_header, on_event, on_data_end, and on_block
 * if use_on_block). `options` goes to e->settings.options. */
void expect_init(expect *e, unsigned options, bool use_on_block);
void expect_free(expect *e);
/* Forget expectations and recorded calls (settings kept). */
void expect_clear(expect *e);
/* Start matching from the first expectation again, forget recorded calls. */
void expect_rewind(expect *e);
/* Record only: callbacks are recorded, not asserted (after the queue runs out). */
void expect_record_only(expect *e);

void expect_header(expect *e, size_t n_types, uint64_t data_offset);
void expect_event(expect *e, uint64_t offset, uint16_t id, uint64_t time, uint16_t cap);
void expect_block(expect *e, uint64_t offset, uint64_t time, uint16_t cap);
void expect_data_end(expect *e, uint64_t offset);

/* Refine the last expectation. */
void expect_size(expect *e, uint32_t record_size);
void expect_raw(expect *e);                          /* layout NULL */
void expect_layout(expect *e, uint16_t layout_size); /* layout of that size */
void expect_payload(expect *e, const void *p, size_t n);
/* An event delivered without a layout: expect_event, expect_raw,
 * expect_size and expect_payload in one. */
void expect_raw_event(expect *e, uint64_t offset, uint16_t id, uint64_t time, uint16_t cap,
                      uint32_t record_size, const void *p, size_t n);
void expect_u(expect *e, const char *field, uint64_t v);
void expect_s(expect *e, const char *field, const char *str);
void expect_b(expect *e, const char *field, const void *p, size_t n);
void expect_absent(expect *e, const char *field);    /* optional field not present */
void expect_stack(expect *e, const char *field, const uint32_t *v, size_t n);
void expect_ret(expect *e, int ret);

/* Asserts that every expectation was met. */
void expect_all_seen(const expect *e);

/* The typed field `name` of ev's layout: pointer into ev->as, or NULL. */
const elog_field_info *expect_field(const elog_event *ev, const char *name);

/* ------------------------------------------------------------------------ */
/* Trace recorder                                                            */
/* ------------------------------------------------------------------------ */

typedef struct trace_ent {
    char kind;          /* 'H' header, 'E' event, 'B' block via on_block, 'D' data end,
                           'X' error, 'F' finish */
    uint16_t id;
    bool var;           /* the event's type is variable-size */
    uint64_t offset;
    uint32_t size;      /* record size ('D': 2) */
    size_t end;         /* end of the entry in buf */
} trace_ent;

typedef struct trace {
    uint8_t *buf;
    size_t len, cap;
    trace_ent *ents;
    size_t n_ents, cap_ents;
    elog_settings settings;
    unsigned pause_every;       /* callbacks return ELOG_CB_PAUSE every N-th call */
    unsigned long calls;
    uint64_t next_offset;       /* where the next record should start */
    elog_block_state bs;        /* independent capability attribution */
    unsigned violations;
    char first_violation[320];
} trace;

void trace_init(trace *t, unsigned options, bool use_on_block);
void trace_free(trace *t);
void trace_clear(trace *t);                               /* keeps settings */
void trace_add_error(trace *t, const elog_decoder *d);    /* 'X' entry */
void trace_add_finish(trace *t, const elog_end *end);     /* 'F' entry */

/* Index of the first entry among the first n that differs, or SIZE_MAX if the
 * first n entries of both are identical (both must have >= n entries). */
size_t trace_first_diff(const trace *a, const trace *b, size_t n);
/* Whether entry i of a and entry j of b are identical. */
bool trace_same_entry(const trace *a, size_t i, const trace *b, size_t j);
/* Entry i as hex, for failure messages. */
void trace_dump_entry(const trace *t, size_t i, FILE *f);

/* Feeds buf to d in chunks: chunk > 0 fixed size; chunk == 0 and seed NULL:
 * the whole buffer in one call; chunk == 0: random sizes (1..max_random) from
 * *seed. Resumes pauses. On an error, stops. If t is not
 * NULL, an error adds an 'X' entry. Returns the last status (ELOG_OK or error). */
elog_status trace_feed(elog_decoder *d, trace *t, const uint8_t *buf, size_t len, size_t chunk,
                       uint64_t *seed, size_t max_random);

/* Complete decode of buf (chunked as trace_feed) + finish: fills t (which must
 * be trace_init'ed) and returns the elog_end. Uses a fresh decoder. */
elog_end trace_decode(trace *t, const uint8_t *buf, size_t len, size_t chunk, uint64_t *seed,
                      size_t max_random);

uint64_t test_rand(uint64_t *seed);

/* Decodes the len bytes at buf in one piece with these callbacks (either
 * may be NULL), `options` and decoder data `ctx`; returns how it ended. */
elog_end decode_buffer(const uint8_t *buf, size_t len, unsigned options,
                       elog_header_cb on_header, elog_event_cb on_event, void *ctx);

/* ------------------------------------------------------------------------ */
/* Files                                                                     */
/* ------------------------------------------------------------------------ */

/* Reads a whole file; returns false if it cannot. */
bool read_file(const char *path, uint8_t **buf, size_t *len);
/* Directory of the conformance corpus: $ELOG_CORPUS_DIR, else argv-provided
 * fallback, else "corpus/conformance". */
const char *corpus_dir(void);
void set_corpus_dir(const char *dir);
/* Reads corpus_dir()/name; aborts the test program if missing. */
bool read_corpus(const char *name, uint8_t **buf, size_t *len);
/* Calls fn(dir/name, ctx) for every *.eventlog of dir, in directory order;
 * returns how many. A directory that cannot be opened fails the test. */
size_t each_eventlog(const char *dir, void (*fn)(const char *path, void *ctx), void *ctx);

#endif
