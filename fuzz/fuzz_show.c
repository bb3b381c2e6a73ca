/*
 * libFuzzer target: the `ghc-events show` formatter on every event a fuzzed
 * stream decodes to. Oracles: a sanitised binary message is valid UTF-8 with
 * no control characters; a Haskell-shown argument list is printable ASCII;
 * the snprintf-style API reports the same length whatever the buffer size.
 */
#include <stdlib.h>
#include <string.h>

#include "eventlog/show.h"
#include "fuzz_common.h"

static char big[1 << 20];

static int discard(elog_writer *w)
{
    w->len = 0;
    return 0;
}

static void check_text(const elog_event *ev)
{
    elog_writer w;
    elog_writer_init(&w, big, sizeof big, NULL, NULL);
    elog_show_event_text(&w, ev);
    if (w.dropped)
        abort(); /* 1 MiB exceeds any event's text */
    elog_slice out = {(const uint8_t *)big, w.len};
    if (ev->layout && ev->id == ELOG_EV_USER_BINARY_MSG) {
        if (!elog_utf8_valid(out))
            abort();
        for (size_t i = 0; i < w.len; i++)
            if ((uint8_t)big[i] < 0x20 || big[i] == 0x7f)
                abort();
    }
    if (ev->layout && (ev->id == ELOG_EV_PROGRAM_ARGS || ev->id == ELOG_EV_PROGRAM_ENV)) {
        const char *list = memchr(big, '[', w.len);
        if (!list)
            abort();
        for (const char *c = list; c < big + w.len; c++)
            if (*c < 0x20 || *c > 0x7e)
                abort();
    }
}

static int on_header(elog_decoder *d, const elog_header *h)
{
    (void)d;
    char buf[256];
    elog_writer w;
    elog_writer_init(&w, buf, sizeof buf, discard, NULL);
    elog_show_header(&w, h);
    return w.failed ? ELOG_CB_ABORT : ELOG_CB_CONTINUE;
}

static int on_event(elog_decoder *d, const elog_event *ev)
{
    (void)d;
    check_text(ev);
    char small[ELOG_WRITER_MIN_CAP];
    size_t need = elog_show_event_to(small, sizeof small, ev);
    size_t again = elog_show_event_to(big, sizeof big, ev);
    if (need != again || memcmp(small, big, need < sizeof small ? need : sizeof small) != 0)
        abort();
    return ELOG_CB_CONTINUE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_decode(data, size, ELOG_OPT_CONTINUE_AFTER_END | ELOG_OPT_LENIENT_BLOCKS, on_header,
                on_event, NULL);
    return 0;
}
