/*
 * Generates eventlogs with millions of time-ordered runs, the worst case of
 * the sorted `show`, and the body of what `show` must print for them (the
 * lines after "Events:"), worked out from how they are built:
 *
 *   gen_runs alternating N LOG EXPECTED   N events whose times alternate
 *       between 2000 and 3000 (N/2 runs); block markers (time 1000) every
 *       BLOCK events, capabilities 0 and 1 in turn. Sorted: the markers,
 *       then the events at 2000, then those at 3000, each in file order.
 *   gen_runs decreasing N LOG EXPECTED    N events and their block markers
 *       with strictly decreasing times (one run per record). Sorted: the
 *       file backwards.
 *
 * The events are CREATE_THREAD with thread = their index, so that every
 * line tells where it came from.
 */
#include "synth.h"
#include "eventlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 1000u

static void put_block(FILE *log, synth *blk)
{
    fwrite(blk->buf, 1, blk->len, log);
    synth_clear(blk);
}

static uint64_t dec_event_time(uint64_t n, uint64_t i)
{
    return 2 * (n - i) + 2;
}

static uint64_t dec_marker_time(uint64_t n, uint64_t first)
{
    return 2 * (n - first) + 3;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: gen_runs alternating|decreasing N LOG EXPECTED\n");
        return 2;
    }
    bool alt = strcmp(argv[1], "alternating") == 0;
    uint64_t n = strtoull(argv[2], NULL, 10);
    FILE *log = fopen(argv[3], "wb"), *exp = fopen(argv[4], "wb");
    if (log == NULL || exp == NULL) {
        perror("gen_runs");
        return 1;
    }
    static char lbuf[1 << 20], ebuf[1 << 20];
    setvbuf(log, lbuf, _IOFBF, sizeof lbuf);
    setvbuf(exp, ebuf, _IOFBF, sizeof ebuf);
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    fwrite(s.buf, 1, s.len, log);
    synth_clear(&s);

    uint64_t blocks = (n + BLOCK - 1) / BLOCK;
    for (uint64_t b = 0; b < blocks; b++) {
        uint64_t first = b * BLOCK, last = first + BLOCK < n ? first + BLOCK : n;
        uint16_t cap = (uint16_t)(b % 2);
        uint64_t mt = alt ? 1000 : dec_marker_time(n, first);
        uint64_t end_time = alt ? 3000 : dec_event_time(n, last - 1);
        synth_block_begin(&s, mt, cap, end_time);
        for (uint64_t i = first; i < last; i++) {
            uint8_t pl[4] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8),
                             (uint8_t)i};
            uint64_t t = alt ? (i % 2 == 0 ? 2000 : 3000) : dec_event_time(n, i);
            synth_event(&s, ELOG_EV_CREATE_THREAD, t, pl, sizeof pl);
        }
        synth_block_end(&s);
        put_block(log, &s);
    }
    synth_data_end(&s);
    put_block(log, &s);

    if (alt) {
        for (uint64_t b = 0; b < blocks; b++)
            fprintf(exp, "1000: cap %u: event block: cap %u, end time: 3000\n\n",
                    (unsigned)(b % 2), (unsigned)(b % 2));
        for (int odd = 0; odd < 2; odd++)
            for (uint64_t i = (uint64_t)odd; i < n; i += 2)
                fprintf(exp, "%d: cap %u: creating thread %llu\n", odd ? 3000 : 2000,
                        (unsigned)((i / BLOCK) % 2), (unsigned long long)i);
    } else {
        for (uint64_t i = n; i-- > 0;) {
            unsigned cap = (unsigned)((i / BLOCK) % 2);
            fprintf(exp, "%llu: cap %u: creating thread %llu\n",
                    (unsigned long long)dec_event_time(n, i), cap, (unsigned long long)i);
            if (i % BLOCK == 0) {
                uint64_t last = i + BLOCK < n ? i + BLOCK : n;
                fprintf(exp, "%llu: cap %u: event block: cap %u, end time: %llu\n\n",
                        (unsigned long long)dec_marker_time(n, i), cap, cap,
                        (unsigned long long)dec_event_time(n, last - 1));
            }
        }
    }
    fputs("\n", exp);
    synth_free(&s);
    if (fclose(log) != 0 || fclose(exp) != 0) {
        perror("gen_runs");
        return 1;
    }
    return 0;
}
