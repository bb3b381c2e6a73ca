/* The log-bucketed histogram behind pause percentiles: constant memory
 * (HIST_N counters), relative error of a reported quantile <= 1/128. */
#include "analysis_internal.h"

static unsigned msb(uint64_t v)
{
    return 63u - (unsigned)__builtin_clzll(v);
}

static size_t bucket_of(uint64_t v)
{
    if (v < HIST_EXACT)
        return (size_t)v;
    unsigned top = msb(v);
    if (top > HIST_TOP_BIT) /* beyond the range: the last bucket */
        return HIST_N - 1;
    unsigned shift = top - 6u; /* v >> shift in [64, 128) */
    return HIST_EXACT + (size_t)(shift - 1u) * HIST_SUB + (size_t)((v >> shift) - HIST_SUB);
}

/* [lo, hi] of the values bucket i holds. */
static void bucket_range(size_t i, uint64_t *lo, uint64_t *hi)
{
    if (i < HIST_EXACT) {
        *lo = *hi = i;
        return;
    }
    size_t k = i - HIST_EXACT;
    unsigned shift = (unsigned)(k / HIST_SUB) + 1u;
    uint64_t m = HIST_SUB + k % HIST_SUB;
    *lo = m << shift;
    *hi = ((m + 1) << shift) - 1;
}

void an_hist_add(hist *h, uint64_t v)
{
    if (h->count == 0 || v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    h->count++;
    h->total += v;
    h->b[bucket_of(v)]++;
}

uint64_t an_hist_quantile(const hist *h, double q)
{
    if (h->count == 0)
        return 0;
    /* The rank of the nearest-rank definition: ceil(q * count), at least 1. */
    uint64_t rank = (uint64_t)(q * (double)h->count);
    if ((double)rank < q * (double)h->count)
        rank++;
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < HIST_N; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            uint64_t lo, hi;
            bucket_range(i, &lo, &hi);
            uint64_t mid = lo + (hi - lo) / 2;
            if (mid < h->min)
                mid = h->min;
            if (mid > h->max)
                mid = h->max;
            return mid;
        }
    }
    return h->max;
}

uint64_t an_hist_count_le(const hist *h, uint64_t v)
{
    if (h->count == 0)
        return 0;
    if (v >= h->max)
        return h->count;
    uint64_t n = 0;
    size_t last = bucket_of(v);
    for (size_t i = 0; i <= last; i++)
        n += h->b[i];
    return n;
}

void an_hist_summary(const hist *h, elog_duration_stats *out)
{
    out->count = h->count;
    out->total_ns = h->total;
    out->mean_ns = h->count ? h->total / h->count : 0;
    out->p50_ns = an_hist_quantile(h, 0.50);
    out->p90_ns = an_hist_quantile(h, 0.90);
    out->p99_ns = an_hist_quantile(h, 0.99);
    out->max_ns = h->max;
    out->min_ns = h->count ? h->min : 0;
}
