/*
 * The `ghc-events show` formatter (include/eventlog/show.h) on synthetic
 * events: each event is built as bytes (tests/synth.h), decoded with
 * elog_decode_record against a synthetic header, and formatted; the expected
 * texts come from docs/SHOW-FORMAT.md (§4-§8) and ghc-events' output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "eventlog/show.h"
#include "expect.h"
#include "synth.h"

#define VAR ELOG_VARIABLE_SIZE

/* ------------------------------------------------------------------------ */
/* Fixture: two headers (largest layouts / older layouts) and a record buffer */
/* ------------------------------------------------------------------------ */

typedef struct hdr {
    synth bytes;
    elog_settings st;
    elog_decoder d;
} hdr;

static hdr std_hdr, old_hdr;
static synth rec, pl;
static elog_event ev;

static const elog_header *load(hdr *h)
{
    elog_settings_init(&h->st);
    elog_decoder_init(&h->d, &h->st, NULL);
    elog_result r = elog_execute(&h->d, h->bytes.buf, h->bytes.len);
    if (r.status != ELOG_OK)
        return NULL;
    return elog_get_header(&h->d);
}

static int setup(void **state)
{
    (void)state;
    synth_init(&rec);
    synth_init(&pl);
    synth_init(&std_hdr.bytes);
    synth_std_header(&std_hdr.bytes);
    synth_init(&old_hdr.bytes);
    synth_header_begin(&old_hdr.bytes);
    synth_type(&old_hdr.bytes, 53, 50, "GC statistics");
    synth_type(&old_hdr.bytes, 207, 13, "Nonmoving heap census");
    synth_type(&old_hdr.bytes, 2, 6, "Stop thread");
    synth_type(&old_hdr.bytes, 7, 0, "Shutdown");
    synth_type(&old_hdr.bytes, 59, 0, "Empty event for bug #9003");
    synth_type(&old_hdr.bytes, 400, VAR, "A future event");
    synth_header_end(&old_hdr.bytes);
    synth_data_begin(&old_hdr.bytes);
    if (!load(&std_hdr) || !load(&old_hdr))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    elog_decoder_free(&std_hdr.d);
    elog_decoder_free(&old_hdr.d);
    synth_free(&std_hdr.bytes);
    synth_free(&old_hdr.bytes);
    synth_free(&rec);
    synth_free(&pl);
    return 0;
}

/* Decodes id/time with the payload in `pl` against header h into `ev`. */
static const elog_event *mk_in(hdr *h, uint16_t id, uint64_t time)
{
    const elog_header *hd = elog_get_header(&h->d);
    const elog_event_type *t = elog_header_lookup(hd, id);
    assert_non_null(t);
    synth_clear(&rec);
    if (t->size == VAR)
        synth_event_var(&rec, id, time, pl.buf, pl.len);
    else
        synth_event(&rec, id, time, pl.buf, pl.len);
    size_t rs = 0;
    elog_status st = elog_decode_record(hd, rec.buf, rec.len, 1000, &ev, &rs);
    if (st != ELOG_OK)
        fail_msg("id %u: elog_decode_record: %s", id, elog_status_name(st));
    assert_int_equal(rs, rec.len);
    return &ev;
}

static const elog_event *mk(uint16_t id)
{
    return mk_in(&std_hdr, id, 42);
}

static char text[1 << 17];
static size_t text_len;

static const char *show_text(const elog_event *e)
{
    elog_writer w;
    elog_writer_init(&w, text, sizeof text - 1, NULL, NULL);
    elog_show_event_text(&w, e);
    assert_int_equal(w.dropped, 0);
    text_len = w.len;
    text[w.len] = 0;
    return text;
}

static void check_text_n(const elog_event *e, const char *want, size_t want_len)
{
    show_text(e);
    size_t got_len = text_len;
    if (got_len != want_len || memcmp(text, want, want_len) != 0)
        fail_msg("id %u: got\n  [%s]\nexpected\n  [%.*s]", e->id, text, (int)want_len, want);
}

static void check_text(const elog_event *e, const char *want)
{
    check_text_n(e, want, strlen(want));
}

static void pl_clear(void)
{
    synth_clear(&pl);
}

/* ------------------------------------------------------------------------ */
/* §7 Haskell show of string lists                                           */
/* ------------------------------------------------------------------------ */

static void args_case(const char *area, size_t len, const char *want)
{
    pl_clear();
    synth_u32(&pl, 0);
    synth_raw(&pl, area, len);
    check_text(mk(ELOG_EV_PROGRAM_ARGS), want);
}

static void test_hs_list(void **state)
{
    (void)state;
    /* The verified example of docs/SHOW-FORMAT.md §7, element by element. */
    static const char area[] =
        "a\"b\0"
        "c\\d\0"
        "\xc3\xa9" "1\0"
        "\x01x\0"
        "\x0eH\0"
        "\0"
        "tab\tnl\n\0"
        "\x7f\0"
        "\xc3\xbc" "9x\0"
        "emoji\xf0\x9f\x98\x80\0";
    args_case(area, sizeof area - 1,
              "capset 0: args: [\"a\\\"b\",\"c\\\\d\",\"\\233\\&1\",\"\\SOHx\",\"\\SO\\&H\",\"\","
              "\"tab\\tnl\\n\",\"\\DEL\",\"\\252\\&9x\",\"emoji\\128512\"]");
    /* Empty area, only NULs, trailing NULs stripped, interior empties kept. */
    args_case("", 0, "capset 0: args: [\"\"]");
    args_case("\0\0", 2, "capset 0: args: [\"\"]");
    args_case("x\0\0\0", 4, "capset 0: args: [\"x\"]");
    args_case("a\0\0b\0", 5, "capset 0: args: [\"a\",\"\",\"b\"]");
    args_case("hellofib.exe\0+RTS\0-l\0", 21, "capset 0: args: [\"hellofib.exe\",\"+RTS\",\"-l\"]");
    /* The other escapes. */
    args_case("\x07\x08\x0b\x0c\x0d\0", 6, "capset 0: args: [\"\\a\\b\\v\\f\\r\"]");
    args_case("\x1b\x10\x1f\x02\x03\x7f" "1\0", 8,
              "capset 0: args: [\"\\ESC\\DLE\\US\\STX\\ETX\\DEL1\"]");
    args_case("\x0eX\x0e\0", 4, "capset 0: args: [\"\\SOX\\SO\"]");
    args_case("\xc3\xa9" "a\xf0\x9f\x98\x80" "1\0", 9,
              "capset 0: args: [\"\\233a\\128512\\&1\"]");
    args_case("C:\\Users\\x y\0", 13, "capset 0: args: [\"C:\\\\Users\\\\x y\"]");
    /* Env uses the same rules. */
    pl_clear();
    synth_u32(&pl, 7);
    static const char env[] = "PATH=/usr/bin\0HOME=/r\xc3\xb6" "d\0";
    synth_raw(&pl, env, sizeof env - 1);
    check_text(mk(ELOG_EV_PROGRAM_ENV), "capset 7: env: [\"PATH=/usr/bin\",\"HOME=/r\\246d\"]");
}

/* ------------------------------------------------------------------------ */
/* §8 binary messages                                                        */
/* ------------------------------------------------------------------------ */

static void bin_case(const void *bytes, size_t n, const char *want, size_t want_len)
{
    pl_clear();
    synth_raw(&pl, bytes, n);
    char full[2048];
    memcpy(full, "binary message ", 15);
    memcpy(full + 15, want, want_len);
    check_text_n(mk(ELOG_EV_USER_BINARY_MSG), full, 15 + want_len);
}

#define BIN(bytes, want) bin_case(bytes, sizeof bytes - 1, want, sizeof want - 1)

static void test_binary_sanitisation(void **state)
{
    (void)state;
    BIN("\x41\xe3\x81\x42", "A..B");          /* truncated sequence: a dot per byte */
    BIN("\xed\xa0\x80", "...");               /* surrogate */
    BIN("\xc0\x80", "..");                    /* overlong */
    BIN("\xf4\x90\x80\x80", "....");          /* > U+10FFFF */
    BIN("\x80\xbf", "..");                    /* stray continuation bytes */
    BIN("A\xe3", "A.");                       /* truncated at the end */
    BIN("\xff\xfe\xf5", "...");
    BIN("Hello, \0", "Hello, .");
    BIN("\x00\x09\x0a\x7f", "....");          /* NUL, TAB, LF, DEL */
    BIN("\xc2\xad", ".");                     /* U+00AD soft hyphen (Cf) */
    BIN("\xe2\x80\xa8", ".");                 /* U+2028 (Zl) */
    BIN("\xe2\x80\xa9", ".");                 /* U+2029 (Zp) */
    BIN("\xc2\x85", ".");                     /* C1 control */
    BIN("\xef\xbb\xbf", ".");                 /* U+FEFF (Cf) */
    BIN("\xee\x80\x80", ".");                 /* U+E000 private use (Co) */
    BIN("\xc2\xa0", "\xc2\xa0");              /* U+00A0 no-break space: kept */
    BIN("\xe3\x80\x80", "\xe3\x80\x80");      /* U+3000 ideographic space: kept */
    BIN("\xf0\x9f\x98\x80!", "\xf0\x9f\x98\x80!"); /* emoji kept */
    BIN("caf\xc3\xa9", "caf\xc3\xa9");
    BIN("", "");
    /* trace-binary-nonutf: bytes 0x00..0xff -> 32 dots, ASCII, 129 dots. */
    uint8_t all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    char want[256];
    size_t k = 0;
    for (int i = 0; i < 32; i++)
        want[k++] = '.';
    for (int c = 0x20; c < 0x7f; c++)
        want[k++] = (char)c;
    for (int i = 0; i < 129; i++)
        want[k++] = '.';
    bin_case(all, 256, want, k);
}

/* ------------------------------------------------------------------------ */
/* Latin-1, verbatim text                                                    */
/* ------------------------------------------------------------------------ */

static void test_latin1_and_verbatim(void **state)
{
    (void)state;
    pl_clear();
    synth_str(&pl, "\xc3\xbc");
    check_text(mk(ELOG_EV_VERSION), "compiler version is \xc3\x83\xc2\xbc"); /* Ã¼ */
    pl_clear();
    synth_str(&pl, "./a.out \xff\x41");
    check_text(mk(ELOG_EV_PROGRAM_INVOCATION), "program invocation: ./a.out \xc3\xbf" "A");
    pl_clear();
    synth_str(&pl, "caf\xe9");
    synth_u32(&pl, 5);
    check_text(mk(ELOG_EV_INTERN_STRING), "Interned string: \"caf\xc3\xa9\" with id 5");
    /* UTF-8 text fields are written verbatim: quotes, backslashes, newlines. */
    pl_clear();
    synth_str(&pl, "a\"b\nc\\ d\xc3\xa9");
    check_text(mk(ELOG_EV_USER_MSG), "a\"b\nc\\ d\xc3\xa9");
    pl_clear();
    synth_str(&pl, "log");
    check_text(mk(ELOG_EV_LOG_MSG), "log");
    pl_clear();
    synth_str(&pl, "phase 1");
    check_text(mk(ELOG_EV_USER_MARKER), "marker: phase 1");
    pl_clear();
    synth_u32(&pl, 12);
    synth_str(&pl, "worker \"x\"");
    check_text(mk(ELOG_EV_THREAD_LABEL), "thread 12 has label \"worker \"x\"\"");
    pl_clear();
    synth_u32(&pl, 0);
    synth_str(&pl, "GHC-9.6.1 rts_thr");
    check_text(mk(ELOG_EV_RTS_IDENTIFIER), "capset 0: RTS version \"GHC-9.6.1 rts_thr\"");
    pl_clear();
    synth_u32(&pl, 3);
    synth_str(&pl, "cycles");
    check_text(mk(ELOG_EV_PERF_NAME), "perf event 3 named \"cycles\"");
}

/* ------------------------------------------------------------------------ */
/* Heap profiling                                                            */
/* ------------------------------------------------------------------------ */

static const elog_event *heap_begin(uint32_t breakdown, const char *const filters[7])
{
    pl_clear();
    synth_u8(&pl, 1);
    synth_u64(&pl, 100000);
    synth_u32(&pl, breakdown);
    for (int i = 0; i < 7; i++)
        synth_cstr(&pl, filters ? filters[i] : "");
    return mk(ELOG_EV_HEAP_PROF_BEGIN);
}

static void test_heap_profile(void **state)
{
    (void)state;
    static const char *const names[] = {NULL,          "cost centre",      "module",
                                        "closure description", "type description", "retainer",
                                        "biography",   "closure type",     "info table",
                                        "era"};
    char want[256];
    for (uint32_t b = 1; b <= 9; b++) {
        snprintf(want, sizeof want,
                 "start heap profiling 1 at sampling period 100000 broken down by %s", names[b]);
        check_text(heap_begin(b, NULL), want);
    }
    static const char *const f1[7] = {"Main", "", "", "", "", "", ""};
    check_text(heap_begin(2, f1), "start heap profiling 1 at sampling period 100000 broken down by "
                                  "module filtered by Main, ");
    static const char *const f2[7] = {"", "descr", "", "cc", "", "", "bio"};
    check_text(heap_begin(7, f2), "start heap profiling 1 at sampling period 100000 broken down by "
                                  "closure type filtered by descr, cc, bio, ");
    static const char *const f3[7] = {"m", "d", "t", "c", "s", "r", "b"};
    check_text(heap_begin(1, f3), "start heap profiling 1 at sampling period 100000 broken down by "
                                  "cost centre filtered by m, d, t, c, s, r, b, ");

    /* Cost centres: " CAF" iff flags bit 0. */
    static const struct {
        uint8_t flags;
        const char *suffix;
    } caf[] = {{0, ""}, {1, " CAF"}, {2, ""}, {3, " CAF"}, {0xff, " CAF"}};
    for (size_t i = 0; i < sizeof caf / sizeof *caf; i++) {
        pl_clear();
        synth_u32(&pl, 9);
        synth_cstr(&pl, "main");
        synth_cstr(&pl, "Main");
        synth_cstr(&pl, "Main.hs:3:1-20");
        synth_u8(&pl, caf[i].flags);
        snprintf(want, sizeof want, "cost centre 9 main in Main at Main.hs:3:1-20%s", caf[i].suffix);
        check_text(mk(ELOG_EV_HEAP_PROF_COST_CENTRE), want);
    }

    pl_clear();
    synth_u64(&pl, 17);
    check_text(mk(ELOG_EV_HEAP_PROF_SAMPLE_BEGIN), "start heap prof sample 17");
    pl_clear();
    synth_u64(&pl, 17);
    check_text(mk(ELOG_EV_HEAP_PROF_SAMPLE_END), "end prof sample 17");
    pl_clear();
    synth_u64(&pl, 4);
    synth_u64(&pl, 99);
    check_text(mk(ELOG_EV_HEAP_BIO_PROF_SAMPLE_BEGIN), "start heap prof sample 4 at time 99");
    pl_clear();
    synth_u8(&pl, 1);
    synth_u64(&pl, 100);
    synth_u8(&pl, 0);
    check_text(mk(ELOG_EV_HEAP_PROF_SAMPLE_COST_CENTRE),
               "heap prof sample 1, residency 100, cost centre stack ");
    pl_clear();
    synth_u8(&pl, 1);
    synth_u64(&pl, 100);
    synth_u8(&pl, 3);
    synth_u32(&pl, 7);
    synth_u32(&pl, 8);
    synth_u32(&pl, 4000000000u);
    check_text(mk(ELOG_EV_HEAP_PROF_SAMPLE_COST_CENTRE),
               "heap prof sample 1, residency 100, cost centre stack 7, 8, 4000000000");
    pl_clear();
    synth_u8(&pl, 1);
    synth_u64(&pl, 2048);
    synth_cstr(&pl, "THUNK_1_0");
    check_text(mk(ELOG_EV_HEAP_PROF_SAMPLE_STRING),
               "heap prof sample 1, residency 2048, label THUNK_1_0");
    pl_clear();
    synth_u32(&pl, 0x10002); /* only the low 16 bits are shown */
    synth_u64(&pl, 3);
    synth_u8(&pl, 2);
    synth_u32(&pl, 11);
    synth_u32(&pl, 12);
    check_text(mk(ELOG_EV_PROF_SAMPLE_COST_CENTRE), "cap no 2, prof sample 3, cost centre stack 11, 12");
    pl_clear();
    synth_u64(&pl, 1000000);
    check_text(mk(ELOG_EV_PROF_BEGIN), "start time profiling, tick interval 1000000 (ns)");
}

/* ------------------------------------------------------------------------ */
/* Threads, stop statuses, enumerations                                      */
/* ------------------------------------------------------------------------ */

static void test_stop_status(void **state)
{
    (void)state;
    static const struct {
        uint16_t status;
        const char *text;
    } cases[] = {
        {0, "No stop thread status"},
        {1, "heap overflow"},
        {2, "stack overflow, size 4096"},
        {3, "thread yielding"},
        {5, "thread finished"},
        {6, "making a foreign call"},
        {7, "blocked on an MVar"},
        {8, "blocked on black hole owned by thread 4096"},
        {9, "blocked on I/O read"},
        {10, "blocked on I/O write"},
        {11, "blocked on threadDelay"},
        {12, "blocked in STM retry"},
        {13, "blocked on asyncDoProc"},
        {18, "blocked in throwTo"},
        {19, "No stop thread status"},
        {20, "blocked reading an MVar"},
    };
    char want[200];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        pl_clear();
        synth_u32(&pl, 77);
        synth_u16(&pl, cases[i].status);
        synth_u32(&pl, 4096);
        snprintf(want, sizeof want, "stopping thread 77 (%s)", cases[i].text);
        check_text(mk(ELOG_EV_STOP_THREAD), want);
    }
}

static void test_enumerations(void **state)
{
    (void)state;
    static const char *const capset[] = {"CapsetUnknown", "CapsetCustom", "CapsetOsProcess",
                                         "CapsetClockDomain", "CapsetUnknown"};
    char want[300];
    for (uint16_t t = 0; t < 5; t++) {
        pl_clear();
        synth_u32(&pl, 1);
        synth_u16(&pl, t == 4 ? 9 : t);
        snprintf(want, sizeof want, "created capset 1 of type %s", capset[t]);
        check_text(mk(ELOG_EV_CAPSET_CREATE), want);
    }
    static const char *const tags[] = {"Ready",   "NewPE",  "PETIDS", "Finish",    "FailPE",
                                       "RFork",   "Connect", "DataMes", "Head",     "Constr",
                                       "Part",    "Terminate", "Packet"};
    for (int i = 0; i < 13; i++) {
        pl_clear();
        synth_u8(&pl, (uint8_t)(0x50 + i));
        synth_u32(&pl, 2);
        synth_u32(&pl, 3);
        synth_u16(&pl, 4);
        synth_u32(&pl, 5);
        synth_u32(&pl, 6);
        snprintf(want, sizeof want,
                 "sending message with tag %s from process 2, thread 3 to machine 4, process 5 on "
                 "inport 6",
                 tags[i]);
        check_text(mk(ELOG_EV_SEND_MESSAGE), want);
    }
    pl_clear();
    synth_u8(&pl, 0x57);
    synth_u32(&pl, 1);
    synth_u32(&pl, 2);
    synth_u16(&pl, 3);
    synth_u32(&pl, 4);
    synth_u32(&pl, 5);
    synth_u32(&pl, 6);
    check_text(mk(ELOG_EV_RECEIVE_MESSAGE),
               "receiving message with tag DataMes at process 1, inport 2 from machine 3, process "
               "4, thread 5 with size 6");
    pl_clear();
    for (uint64_t v = 1; v <= 7; v++)
        synth_u64(&pl, v);
    check_text(mk(ELOG_EV_SPARK_COUNTERS),
               "spark stats: 1 created, 4 converted, 7 remaining (3 overflowed, 2 dud, 5 GC'd, 6 "
               "fizzled)");
}

/* ------------------------------------------------------------------------ */
/* Hexadecimal, +1, layouts                                                  */
/* ------------------------------------------------------------------------ */

static void test_hex_and_plus1(void **state)
{
    (void)state;
    pl_clear();
    synth_u64(&pl, 0x7f3a2c000b70u);
    synth_u16(&pl, 2);
    synth_u64(&pl, 12345);
    check_text(mk(ELOG_EV_TASK_CREATE),
               "task 0x7f3a2c000b70 created on cap 2 with OS kernel thread 12345");
    pl_clear();
    synth_u64(&pl, 0);
    check_text(mk(ELOG_EV_TASK_DELETE), "task 0x0 deleted");
    pl_clear();
    synth_u64(&pl, UINT64_MAX);
    synth_u16(&pl, 1);
    synth_u16(&pl, 3);
    check_text(mk(ELOG_EV_TASK_MIGRATE), "task 0xffffffffffffffff migrated from cap 1 to cap 3");
    pl_clear();
    synth_u64(&pl, 0xff);
    synth_u32(&pl, 10);
    check_text(mk(ELOG_EV_MER_CREATE_SPARK), "Create spark for conjunction: 0xff spark: 0xa");
    pl_clear();
    synth_u64(&pl, 0xABCDEF);
    synth_u32(&pl, 7);
    check_text(mk(ELOG_EV_MER_START_PAR_CONJUNCTION),
               "Start a parallel conjunction 0xabcdef, static_id: 7");
    /* IPE: info in hex without 0x, the closure description's leading number. */
    pl_clear();
    synth_u64(&pl, 0x409f78);
    synth_cstr(&pl, "sat_s154_info");
    synth_cstr(&pl, "21");
    synth_cstr(&pl, "Integer -> IO ()");
    synth_cstr(&pl, "main");
    synth_cstr(&pl, "Main");
    synth_cstr(&pl, "Test.hs:5:1-30");
    check_text(mk(ELOG_EV_IPE), "Info Table: 409f78:21:sat_s154_info - Test.hs:5:1-30");
    /* The closure description is read as a number: leading digits only. */
    static const struct {
        const char *desc, *num;
    } ipe[] = {{"007", "7"}, {"0", "0"}, {"12abc", "12"}, {"3 : x", "3"}};
    for (size_t i = 0; i < sizeof ipe / sizeof *ipe; i++) {
        pl_clear();
        synth_u64(&pl, 0x10);
        synth_cstr(&pl, "t");
        synth_cstr(&pl, ipe[i].desc);
        for (int k = 0; k < 4; k++)
            synth_cstr(&pl, k == 3 ? "F.hs:1:1" : "x");
        char want[100];
        snprintf(want, sizeof want, "Info Table: 10:%s:t - F.hs:1:1", ipe[i].num);
        check_text(mk(ELOG_EV_IPE), want);
    }
    /* Ticky: itbl in hex, 0 when absent. */
    pl_clear();
    synth_u64(&pl, 5);
    synth_u16(&pl, 1);
    synth_cstr(&pl, "P");
    synth_cstr(&pl, "f");
    check_text(mk(ELOG_EV_TICKY_COUNTER_DEF),
               "ticky counter definition 5, arity: 1, def kinds: P, name: f, itbl: 0");
    synth_u64(&pl, 0x4001a0);
    synth_cstr(&pl, "{\"json\":1}");
    check_text(mk(ELOG_EV_TICKY_COUNTER_DEF),
               "ticky counter definition 5, arity: 1, def kinds: P, name: f, itbl: 4001a0");
    /* PERF_COUNTER prints period + 1, modulo 2^64. */
    pl_clear();
    synth_u32(&pl, 3);
    synth_u64(&pl, 777);
    synth_u64(&pl, 41);
    check_text(mk(ELOG_EV_PERF_COUNTER), "perf event counter 3 incremented by 42 in OS thread 777");
    pl_clear();
    synth_u32(&pl, 3);
    synth_u64(&pl, 777);
    synth_u64(&pl, UINT64_MAX);
    check_text(mk(ELOG_EV_PERF_COUNTER), "perf event counter 3 incremented by 0 in OS thread 777");
    pl_clear();
    synth_u32(&pl, 4);
    synth_u64(&pl, UINT64_MAX);
    check_text(mk(ELOG_EV_PERF_TRACEPOINT),
               "perf event tracepoint 4 reached in OS thread 18446744073709551615");
}

static void census(hdr *h, uint8_t or_u16_hi, uint8_t lo)
{
    pl_clear();
    if (h == &std_hdr)
        synth_u8(&pl, or_u16_hi); /* 14-byte layout: u16 blk_size */
    synth_u8(&pl, lo);
    synth_u32(&pl, 1);
    synth_u32(&pl, 2);
    synth_u32(&pl, 3);
}

static void test_layout_variants(void **state)
{
    (void)state;
    census(&old_hdr, 0, 3);
    check_text(mk_in(&old_hdr, 207, 1),
               "nonmoving heap census 8: 1 active segments, 2 filled segments, 3 live blocks");
    census(&old_hdr, 0, 15);
    check_text(mk_in(&old_hdr, 207, 1),
               "nonmoving heap census 32768: 1 active segments, 2 filled segments, 3 live blocks");
    census(&old_hdr, 0, 16); /* 2^16 mod 2^16 */
    check_text(mk_in(&old_hdr, 207, 1),
               "nonmoving heap census 0: 1 active segments, 2 filled segments, 3 live blocks");
    census(&std_hdr, 0x12, 0x34);
    check_text(mk_in(&std_hdr, 207, 1),
               "nonmoving heap census 4660: 1 active segments, 2 filled segments, 3 live blocks");

    static const char gc50[] =
        "GC stats for heap capset 0: generation 1, 1000 bytes copied, 2000 bytes slop, 3000 bytes "
        "fragmentation, 4 par threads, 5000 bytes max par copied, 6000 bytes total par copied";
    for (int big = 0; big < 2; big++) {
        pl_clear();
        synth_u32(&pl, 0);
        synth_u16(&pl, 1);
        synth_u64(&pl, 1000);
        synth_u64(&pl, 2000);
        synth_u64(&pl, 3000);
        synth_u32(&pl, 4);
        synth_u64(&pl, 5000);
        synth_u64(&pl, 6000);
        if (big) {
            synth_u64(&pl, 7000);
            char want[400];
            snprintf(want, sizeof want, "%s, 7000 bytes balanced par copied", gc50);
            check_text(mk_in(&std_hdr, 53, 1), want);
        } else {
            check_text(mk_in(&old_hdr, 53, 1), gc50);
        }
    }
}

static void test_unknown_events(void **state)
{
    (void)state;
    pl_clear();
    check_text(mk_in(&old_hdr, 7, 1), "Shutdown");
    check_text(mk_in(&old_hdr, 59, 1), "Empty event for bug #9003");
    synth_raw(&pl, "\0\0\0\1\0\2", 6);
    check_text(mk_in(&old_hdr, 2, 1), "Stop thread"); /* GHC 6.12's 6-byte stop event */
    check_text(mk_in(&old_hdr, 400, 1), "A future event");
}

/* ------------------------------------------------------------------------ */
/* Lines, header, block markers, writer                                      */
/* ------------------------------------------------------------------------ */

static const char *show_line(const elog_event *e)
{
    elog_writer w;
    elog_writer_init(&w, text, sizeof text - 1, NULL, NULL);
    elog_show_event(&w, e);
    text[w.len] = 0;
    return text;
}

static void test_event_lines(void **state)
{
    (void)state;
    pl_clear();
    synth_u32(&pl, 5);
    elog_event *e = (elog_event *)mk_in(&std_hdr, ELOG_EV_CREATE_THREAD, 123);
    assert_string_equal(show_line(e), "123: creating thread 5\n");
    e->cap = 3;
    assert_string_equal(show_line(e), "123: cap 3: creating thread 5\n");
    e->cap = 0;
    e->time = UINT64_MAX;
    assert_string_equal(show_line(e), "18446744073709551615: cap 0: creating thread 5\n");
    e->time = 0;
    e->cap = ELOG_NO_CAP;
    assert_string_equal(show_line(e), "0: creating thread 5\n");

    /* Block markers: the text ends with its own newline (an empty line follows). */
    pl_clear();
    synth_u32(&pl, 436);
    synth_u64(&pl, 3019800);
    synth_u16(&pl, 0);
    e = (elog_event *)mk_in(&std_hdr, ELOG_EV_BLOCK_MARKER, 587000);
    e->cap = 0;
    assert_string_equal(show_line(e), "587000: cap 0: event block: cap 0, end time: 3019800\n\n");
    pl_clear();
    synth_u32(&pl, 24);
    synth_u64(&pl, 3020700);
    synth_u16(&pl, 0xffff);
    e = (elog_event *)mk_in(&std_hdr, ELOG_EV_BLOCK_MARKER, 586900);
    assert_int_equal(e->cap, ELOG_NO_CAP);
    assert_string_equal(show_line(e), "586900: event block: cap 65535, end time: 3020700\n\n");
    check_text(e, "event block: cap 65535, end time: 3020700\n");

    /* snprintf-style formatting. */
    pl_clear();
    synth_u32(&pl, 5);
    e = (elog_event *)mk_in(&std_hdr, ELOG_EV_CREATE_THREAD, 123);
    e->cap = 1;
    static const char line[] = "123: cap 1: creating thread 5\n";
    size_t n = sizeof line - 1;
    char buf[64];
    memset(buf, 'X', sizeof buf);
    assert_int_equal(elog_show_event_to(buf, sizeof buf, e), n);
    assert_memory_equal(buf, line, n);
    assert_int_equal(buf[n], 'X'); /* no NUL added */
    memset(buf, 'X', sizeof buf);
    assert_int_equal(elog_show_event_to(buf, 10, e), n);
    assert_memory_equal(buf, line, 10);
    assert_int_equal(buf[10], 'X');
    memset(buf, 'X', sizeof buf);
    assert_int_equal(elog_show_event_to(buf, 0, e), n);
    assert_int_equal(buf[0], 'X');
    assert_int_equal(elog_show_event_to(NULL, 0, e), n);
}

/* Decimal numbers at every length boundary, through the fast path (a
 * buffer with room: show_line) and the writer path (a buffer too small for
 * the fast path), against printf. */
static void test_decimal_boundaries(void **state)
{
    (void)state;
    uint64_t vals[64 * 3 + 1];
    size_t n = 0;
    vals[n++] = 0;
    for (uint64_t p = 10;; p *= 10) {
        vals[n++] = p - 1;
        vals[n++] = p;
        vals[n++] = p + 1;
        if (p > UINT64_MAX / 10)
            break;
    }
    vals[n++] = UINT32_MAX;
    vals[n++] = (uint64_t)UINT32_MAX + 1;
    vals[n++] = UINT64_MAX - 1;
    vals[n++] = UINT64_MAX;
    vals[n++] = 12345678901234567ull;
    pl_clear();
    synth_u32(&pl, 5);
    elog_event *e = (elog_event *)mk_in(&std_hdr, ELOG_EV_CREATE_THREAD, 0);
    e->cap = 1;
    for (size_t i = 0; i < n; i++) {
        char want[128], slow[256];
        e->time = vals[i];
        e->as.create_thread.thread = (uint32_t)vals[i];
        int len = snprintf(want, sizeof want, "%llu: cap 1: creating thread %u\n",
                           (unsigned long long)vals[i], (unsigned)(uint32_t)vals[i]);
        assert_string_equal(show_line(e), want);
        assert_int_equal(elog_show_event_to(slow, sizeof slow, e), (size_t)len);
        assert_memory_equal(slow, want, (size_t)len);
    }
}

static void test_show_header(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_header_begin(&s);
    synth_type(&s, 0, 4, "Create thread");
    synth_type(&s, 16, VAR, "Log message");
    synth_type(&s, 0, 6, "Create thread (again)");
    synth_type(&s, 300, 0, "caf\xc3\xa9 \"x\"");
    synth_header_end(&s);
    synth_data_begin(&s);
    elog_settings st;
    elog_settings_init(&st);
    elog_decoder d;
    elog_decoder_init(&d, &st, NULL);
    assert_int_equal(elog_execute(&d, s.buf, s.len).status, ELOG_OK);
    elog_writer w;
    elog_writer_init(&w, text, sizeof text - 1, NULL, NULL);
    elog_show_header(&w, elog_get_header(&d));
    text[w.len] = 0;
    assert_string_equal(text, "Event Types:\n"
                              "0: Create thread (size 4)\n"
                              "16: Log message (size variable)\n"
                              "0: Create thread (again) (size 6)\n"
                              "300: caf\xc3\xa9 \"x\" (size 0)\n"
                              "\n"
                              "Events:\n");
    elog_decoder_free(&d);
    synth_free(&s);
}

typedef struct sink {
    char data[1 << 16];
    size_t len;
    int flushes;
    int fail_after; /* flush fails from this call on (0 = never) */
} sink;

static int sink_flush(elog_writer *w)
{
    sink *k = w->ctx;
    k->flushes++;
    if (k->fail_after && k->flushes >= k->fail_after)
        return -1;
    assert_true(k->len + w->len <= sizeof k->data);
    memcpy(k->data + k->len, w->buf, w->len);
    k->len += w->len;
    w->len = 0;
    return 0;
}

static void test_writer(void **state)
{
    (void)state;
    char small[ELOG_WRITER_MIN_CAP];
    char big[200];
    for (int i = 0; i < 200; i++)
        big[i] = (char)('a' + i % 26);
    /* No flush: excess is dropped and counted. */
    elog_writer w;
    elog_writer_init(&w, small, sizeof small, NULL, NULL);
    elog_writer_put(&w, big, 100);
    assert_int_equal(w.len, sizeof small);
    assert_int_equal(w.dropped, 100 - sizeof small);
    assert_memory_equal(small, big, sizeof small);
    assert_false(w.failed);

    /* With a flush: everything arrives, in order. */
    static sink k;
    memset(&k, 0, sizeof k);
    elog_writer_init(&w, small, sizeof small, sink_flush, &k);
    char expect_all[1 << 14];
    size_t el = 0;
    for (int i = 0; i < 100; i++) {
        pl_clear();
        synth_u32(&pl, (uint32_t)i * 1000003u);
        elog_event *e = (elog_event *)mk_in(&std_hdr, ELOG_EV_RUN_THREAD, (uint64_t)i * 977);
        e->cap = i % 3 ? (uint16_t)(i % 5) : (uint16_t)ELOG_NO_CAP;
        elog_show_event(&w, e);
        size_t n = elog_show_event_to(expect_all + el, sizeof expect_all - el, e);
        el += n;
    }
    elog_writer_put(&w, big, 200);
    memcpy(expect_all + el, big, 200);
    el += 200;
    assert_int_equal(elog_writer_flush(&w), 0);
    assert_int_equal(w.len, 0);
    assert_int_equal(k.len, el);
    assert_memory_equal(k.data, expect_all, el);
    assert_true(k.flushes > 10);
    assert_int_equal(w.dropped, 0);

    /* A failing flush stops the output. */
    memset(&k, 0, sizeof k);
    k.fail_after = 2;
    elog_writer_init(&w, small, sizeof small, sink_flush, &k);
    elog_writer_put(&w, big, 200);
    assert_true(w.failed);
    assert_true(w.dropped > 0);
    assert_int_equal(k.len, sizeof small);
    assert_int_equal(elog_writer_flush(&w), -1);
}

/* elog_show_records() against elog_decode_record() + elog_show_event() on
 * the same records: fast and slow layouts, fixed and variable sizes, the
 * timestamp digit boundaries (its remembered leading digits), capabilities,
 * a writer too small for the fast path, and a record that does not decode. */
static synth recs;

static void add_rec(uint16_t id, uint64_t time)
{
    const elog_event_type *t = elog_header_lookup(elog_get_header(&std_hdr.d), id);
    assert_non_null(t);
    if (t->size == VAR)
        synth_event_var(&recs, id, time, pl.buf, pl.len);
    else
        synth_event(&recs, id, time, pl.buf, pl.len);
}

static char want_buf[1 << 16], got_buf[1 << 16];

static void check_records(size_t wcap, const uint16_t *caps, size_t n, size_t want_n,
                          elog_status want_st)
{
    const elog_header *hd = elog_get_header(&std_hdr.d);
    elog_writer want, got;
    elog_writer_init(&want, want_buf, wcap, NULL, NULL);
    elog_writer_init(&got, got_buf, wcap, NULL, NULL);
    size_t off = 0;
    for (size_t i = 0; i < want_n; i++) {
        elog_event e;
        size_t rs = 0;
        assert_int_equal(elog_decode_record(hd, recs.buf + off, recs.len - off, off, &e, &rs),
                         ELOG_OK);
        e.cap = caps[i];
        elog_show_event(&want, &e);
        off += rs;
    }
    elog_status st = ELOG_OK;
    size_t done = elog_show_records(&got, hd, recs.buf, recs.len, caps, n, &st);
    assert_int_equal(done, want_n);
    assert_int_equal(st, want_st);
    assert_int_equal(got.len, want.len);
    assert_int_equal(got.dropped, want.dropped);
    if (memcmp(got_buf, want_buf, want.len) != 0)
        fail_msg("got\n%.*s\nexpected\n%.*s", (int)got.len, got_buf, (int)want.len, want_buf);
}

static void test_show_records(void **state)
{
    (void)state;
    static const uint64_t times[] = {
        0, 9, 10, 99, 100, 99999999, 100000000, 100000001, 199999999, 200000000,
        200000000, 987654321, 9999999999, 10000000000, 100999999, 101000000,
        UINT64_C(123456999999), UINT64_C(123457000000), UINT64_C(123457000001),
        UINT64_C(999999999999), UINT64_C(1000000000000), UINT64_C(10000000000000000),
        UINT64_C(18446744073709551615)};
    static const uint16_t capv[] = {ELOG_NO_CAP, 0, 9, 10, 99, 100, 65534};
    enum { N = 3 * (sizeof times / sizeof times[0]) + 1 };
    uint16_t caps[N];
    synth_init(&recs);
    size_t n = 0;
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        pl_clear();
        synth_u32(&pl, (uint32_t)(i * 977));
        synth_u16(&pl, (uint16_t)(i % 3 ? 8 : 2));
        synth_u32(&pl, 123456);
        add_rec(ELOG_EV_STOP_THREAD, times[i]);
        caps[n] = capv[n % 7], n++;
        pl_clear();
        synth_u8(&pl, 1);
        synth_u64(&pl, times[i] / 3);
        synth_u8(&pl, 3);
        synth_u32(&pl, 5);
        synth_u32(&pl, 99);
        synth_u32(&pl, 100000);
        add_rec(ELOG_EV_HEAP_PROF_SAMPLE_COST_CENTRE, times[i]);
        caps[n] = capv[n % 7], n++;
        pl_clear();
        synth_u32(&pl, 7);
        synth_str(&pl, "worker \"x\"\n");
        add_rec(ELOG_EV_THREAD_LABEL, times[i]);
        caps[n] = capv[n % 7], n++;
    }
    check_records(sizeof want_buf, caps, n, n, ELOG_OK);
    check_records(ELOG_WRITER_MIN_CAP, caps, n, n, ELOG_OK); /* no room: the long way */
    /* A stack longer than its payload: shown up to it, then its status. */
    pl_clear();
    synth_u8(&pl, 1);
    synth_u64(&pl, 5);
    synth_u8(&pl, 4);
    synth_u32(&pl, 5);
    add_rec(ELOG_EV_HEAP_PROF_SAMPLE_COST_CENTRE, 77);
    caps[n] = 0;
    check_records(sizeof want_buf, caps, n + 1, n, ELOG_E_BAD_EVENT);
    synth_free(&recs);
}

/* The fast path's stack formatter (elog__fmt_stack(), which takes the
 * entries four at a time and has a table for ids below 128) against
 * snprintf: every stack length up to 13, stacks of small ids only and mixed
 * ones, values either side of 128 and of the digit counts. */
static void test_stack_lines(void **state)
{
    (void)state;
    static const uint32_t vals[] = {0,    9,     10,          99, 100, 127, 128,
                                    999,  1000,  65535, 4294967295u, 42,  7};
    const size_t nv = sizeof vals / sizeof vals[0];
    for (size_t count = 0; count <= 13; count++) {
        for (size_t rot = 0; rot < 2 * nv; rot++) {
            pl_clear();
            synth_u8(&pl, 1);
            synth_u64(&pl, 100);
            synth_u8(&pl, (uint8_t)count);
            char want[512];
            int k = snprintf(want, sizeof want, ": heap prof sample 1, residency 100, "
                                                "cost centre stack ");
            for (size_t j = 0; j < count; j++) {
                uint32_t v = rot % 2 ? vals[(rot + j * 5) % nv] : (uint32_t)((rot * 7 + j * 31) % 128);
                synth_u32(&pl, v);
                k += snprintf(want + k, sizeof want - (size_t)k, j ? ", %u" : "%u", v);
            }
            want[k++] = '\n';
            elog_writer w;
            elog_writer_init(&w, text, sizeof text - 1, NULL, NULL);
            elog_show_event(&w, mk(ELOG_EV_HEAP_PROF_SAMPLE_COST_CENTRE));
            if (w.len < (size_t)k || memcmp(text + w.len - (size_t)k, want, (size_t)k) != 0)
                fail_msg("stack of %zu: got\n%.*s\nexpected\n%.*s", count, (int)w.len, text, k,
                         want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hs_list),
        cmocka_unit_test(test_binary_sanitisation),
        cmocka_unit_test(test_latin1_and_verbatim),
        cmocka_unit_test(test_heap_profile),
        cmocka_unit_test(test_stop_status),
        cmocka_unit_test(test_enumerations),
        cmocka_unit_test(test_hex_and_plus1),
        cmocka_unit_test(test_layout_variants),
        cmocka_unit_test(test_unknown_events),
        cmocka_unit_test(test_event_lines),
        cmocka_unit_test(test_decimal_boundaries),
        cmocka_unit_test(test_show_header),
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_show_records),
        cmocka_unit_test(test_stack_lines),
    };
    return cmocka_run_group_tests_name("show", tests, setup, teardown);
}
