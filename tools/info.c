/*
 * `eventlog info SOURCE`: a summary of an eventlog (RTS, program, event
 * counts per type, time span, capabilities, how the stream ended) and the
 * decode throughput. Every event's typed fields are read, so the timing is
 * that of a real consumer of the library, not of a skipper.
 * `--json` prints the same as one JSON object.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_IDS 65536u

typedef struct info_ctx {
    uint64_t *counts;            /* N_IDS counters */
    uint8_t caps[N_IDS / 8];     /* capabilities seen (bitmap) */
    uint64_t events;
    uint64_t min_time, max_time;
    uint64_t acc;                /* fold of every typed field */
    /* Copies of the first occurrence of these payload parts. */
    uint8_t *ident;    size_t ident_len;   bool has_ident;
    uint8_t *args;     size_t args_len;    bool has_args;
    uint8_t *version;  size_t version_len; bool has_version;
    bool oom;
    elog_end end;                /* how the input ended */
    bool have_end;
} info_ctx;

/* Written once at the end so the field accesses cannot be optimised out. */
static volatile uint64_t info_sink;

/* Reads every typed field of the event through the catalogue's field
 * descriptions and folds them into one number. */
static uint64_t touch_fields(const elog_event *ev)
{
    const elog_layout_info *l = ev->layout;
    if (l == NULL)
        return ev->payload.len;
    uint64_t acc = l->id;
    for (unsigned i = 0; i < l->n_fields; i++) {
        const elog_field_info *f = &l->fields[i];
        if (!elog_field_present(ev, f))
            continue;
        switch (f->kind) {
        case ELOG_FIELD_U8:
        case ELOG_FIELD_U16:
        case ELOG_FIELD_U32:
        case ELOG_FIELD_U64:
            acc = acc * 31 + elog_field_uint(ev, f);
            break;
        case ELOG_FIELD_STACK: {
            elog_u32_array a = elog_field_stack(ev, f);
            acc = acc * 31 + a.count + (a.count > 0 ? elog_u32_array_get(a, 0) : 0);
            break;
        }
        default: {
            elog_slice sl = elog_field_slice(ev, f);
            acc = acc * 31 + sl.len + (sl.len > 0 ? sl.ptr[sl.len - 1] : 0);
            break;
        }
        }
    }
    return acc;
}

static bool keep_copy(info_ctx *c, elog_slice s, uint8_t **dst, size_t *len, bool *has)
{
    if (*has)
        return true;
    *dst = malloc(s.len > 0 ? s.len : 1);
    if (*dst == NULL) {
        c->oom = true;
        return false;
    }
    if (s.len > 0)
        memcpy(*dst, s.ptr, s.len);
    *len = s.len;
    *has = true;
    return true;
}

static int on_event(elog_decoder *d, const elog_event *ev)
{
    info_ctx *c = cli_source_ctx(d);
    c->counts[ev->id]++;
    if (c->events == 0 || ev->time < c->min_time)
        c->min_time = ev->time;
    if (c->events == 0 || ev->time > c->max_time)
        c->max_time = ev->time;
    c->events++;
    if (ev->cap != ELOG_NO_CAP)
        c->caps[ev->cap >> 3] |= (uint8_t)(1u << (ev->cap & 7));
    c->acc += touch_fields(ev);

    if (ev->layout == NULL)
        return ELOG_CB_CONTINUE;
    bool ok = true;
    switch (ev->id) {
    case ELOG_EV_RTS_IDENTIFIER:
        ok = keep_copy(c, ev->as.rts_identifier.ident, &c->ident, &c->ident_len, &c->has_ident);
        break;
    case ELOG_EV_PROGRAM_ARGS:
        ok = keep_copy(c, ev->as.program_args.args, &c->args, &c->args_len, &c->has_args);
        break;
    case ELOG_EV_VERSION:
        ok = keep_copy(c, ev->as.version.version, &c->version, &c->version_len,
                       &c->has_version);
        break;
    default:
        break;
    }
    return ok ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

/* ------------------------------------------------------------ text helpers */

/* Length of the well-formed UTF-8 sequence at p (1..4), or 0. */
static size_t utf8_seq(const uint8_t *p, size_t n, uint32_t *cp)
{
    uint8_t b = p[0];
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    size_t len;
    uint8_t lo = 0x80, hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
        len = 2;
        *cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
        len = 3;
        *cp = b & 0x0f;
        if (b == 0xe0) lo = 0xa0;
        if (b == 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
        len = 4;
        *cp = b & 0x07;
        if (b == 0xf0) lo = 0x90;
        if (b == 0xf4) hi = 0x8f;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        uint8_t x = p[i];
        if (i == 1 ? (x < lo || x > hi) : (x < 0x80 || x > 0xbf))
            return 0;
        *cp = (*cp << 6) | (x & 0x3f);
    }
    return len;
}

static void put_utf8(elog_writer *w, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (char)(0xf0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    elog_writer_put(w, b, n);
}

/* Writes bytes as text: UTF-8 (or Latin-1) decoded, invalid bytes as U+FFFD.
 * json: as the inside of a JSON string; otherwise control characters
 * become \xNN. */
static void put_text(elog_writer *w, const uint8_t *p, size_t n, bool latin1, bool json)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len;
        if (latin1) {
            cp = p[i];
            len = 1;
        } else {
            len = utf8_seq(p + i, n - i, &cp);
            if (len == 0) {
                cp = 0xfffd;
                len = 1;
            }
        }
        i += len;
        if (json) {
            switch (cp) {
            case '"': elog_writer_put(w, "\\\"", 2); continue;
            case '\\': elog_writer_put(w, "\\\\", 2); continue;
            case '\n': elog_writer_put(w, "\\n", 2); continue;
            case '\t': elog_writer_put(w, "\\t", 2); continue;
            case '\r': elog_writer_put(w, "\\r", 2); continue;
            default:
                if (cp < 0x20 || cp == 0x7f) {
                    cli_printf(w, "\\u%04x", (unsigned)cp);
                    continue;
                }
            }
        } else if (cp < 0x20 || cp == 0x7f) {
            cli_printf(w, "\\x%02x", (unsigned)cp);
            continue;
        }
        put_utf8(w, cp);
    }
}

static void put_json_str(elog_writer *w, const uint8_t *p, size_t n, bool latin1)
{
    elog_writer_put(w, "\"", 1);
    put_text(w, p, n, latin1, true);
    elog_writer_put(w, "\"", 1);
}

static void put_cstr(elog_writer *w, const char *s)
{
    elog_writer_put(w, s, strlen(s));
}

/* id -> catalogue name (any layout of the id), NULL where unknown. */
static const char **catalogue_names(void)
{
    const char **names = calloc(N_IDS, sizeof *names);
    if (names == NULL)
        return NULL;
    size_t n;
    const elog_layout_info *cat = elog_catalogue(&n);
    for (size_t i = 0; i < n; i++)
        names[cat[i].id] = cat[i].name;
    return names;
}

/* Capabilities seen, as ranges "0-3, 5"; returns how many. */
static unsigned put_caps(elog_writer *w, const info_ctx *c, bool json)
{
    unsigned count = 0;
    bool first = true;
    for (uint32_t i = 0; i < N_IDS; i++) {
        if (!(c->caps[i >> 3] & (1u << (i & 7))))
            continue;
        uint32_t j = i;
        while (j + 1 < N_IDS && (c->caps[(j + 1) >> 3] & (1u << ((j + 1) & 7))))
            j++;
        count += j - i + 1;
        if (json) {
            for (uint32_t k = i; k <= j; k++) {
                cli_printf(w, "%s%u", first ? "" : ",", (unsigned)k);
                first = false;
            }
        } else {
            if (j == i)
                cli_printf(w, "%s%u", first ? "" : ", ", (unsigned)i);
            else
                cli_printf(w, "%s%u-%u", first ? "" : ", ", (unsigned)i, (unsigned)j);
            first = false;
        }
        i = j;
    }
    return count;
}

static unsigned count_caps(const info_ctx *c)
{
    unsigned n = 0;
    for (size_t i = 0; i < sizeof c->caps; i++)
        n += (unsigned)__builtin_popcount(c->caps[i]);
    return n;
}

/* ------------------------------------------------------------ reports */

typedef struct info_run {
    const char *name;
    const elog_decoder *dec;
    const elog_header *h;
    const elog_end *end;
    uint64_t bytes;              /* bytes of the eventlog (decompressed) */
    const char **names;          /* from catalogue_names() */
    double wall;
} info_run;

static void print_text(elog_writer *w, const info_ctx *c, const info_run *r)
{
    const elog_end *end = r->end;
    cli_printf(w, "File:             %s\n", r->name);
    cli_printf(w, "Bytes:            %llu\n", (unsigned long long)r->bytes);

    put_cstr(w, "RTS identifier:   ");
    if (c->has_ident)
        put_text(w, c->ident, c->ident_len, false, false);
    else
        put_cstr(w, "(none)");
    put_cstr(w, "\nProgram args:     ");
    if (c->has_args) {
        elog_slice vec = { c->args, c->args_len }, item;
        size_t pos = 0;
        bool first = true;
        while (elog_strvec_next(vec, &pos, &item)) {
            if (!first)
                put_cstr(w, " ");
            first = false;
            bool quote = item.len == 0 || memchr(item.ptr, ' ', item.len) != NULL;
            if (quote)
                put_cstr(w, "\"");
            put_text(w, item.ptr, item.len, false, false);
            if (quote)
                put_cstr(w, "\"");
        }
    } else {
        put_cstr(w, "(none)");
    }
    put_cstr(w, "\nGHC version:      ");
    if (c->has_version)
        put_text(w, c->version, c->version_len, true, false);
    else
        put_cstr(w, "(none)");
    cli_printf(w, "\nEvent types:      %zu declared\n", r->h->n_types);
    cli_printf(w, "Events:           %llu\n", (unsigned long long)c->events);
    if (c->events > 0) {
        uint64_t span = c->max_time - c->min_time;
        cli_printf(w, "First timestamp:  %llu ns\n", (unsigned long long)c->min_time);
        cli_printf(w, "Last timestamp:   %llu ns\n", (unsigned long long)c->max_time);
        cli_printf(w, "Time span:        %llu ns (%.6f s)\n", (unsigned long long)span,
                   (double)span / 1e9);
    }
    put_cstr(w, "Capabilities:     ");
    unsigned ncaps = count_caps(c);
    if (ncaps == 0) {
        put_cstr(w, "(none)\n");
    } else {
        put_caps(w, c, false);
        cli_printf(w, " (%u)\n", ncaps);
    }

    cli_printf(w, "End:              %s at offset %llu", elog_end_kind_name(end->kind),
               (unsigned long long)end->offset);
    if (end->kind == ELOG_END_TRUNCATED_IN_EVENT && end->id_known)
        cli_printf(w, " (event id %u, %u bytes missing)", (unsigned)end->event_id,
                   (unsigned)end->bytes_missing);
    else if (end->kind == ELOG_END_ERROR)
        cli_printf(w, " (%s: %s)", elog_status_name(end->status),
                   elog_get_error_reason(r->dec));
    put_cstr(w, "\n");

    double mb = (double)r->bytes / 1e6;
    if (r->wall > 0)
        cli_printf(w, "Decode:           %.6f s, %.1f MB/s, %.0f events/s\n", r->wall,
                   mb / r->wall, (double)c->events / r->wall);
    else
        cli_printf(w, "Decode:           %.6f s\n", r->wall);

    put_cstr(w, "\nEvents by type:\n");
    cli_printf(w, "%7s  %-32s %12s  %s\n", "id", "name", "count", "description");
    for (uint32_t id = 0; id < N_IDS; id++) {
        if (c->counts[id] == 0)
            continue;
        const char *name = r->names[id];
        cli_printf(w, "%7u  %-32s %12llu  ", (unsigned)id, name != NULL ? name : "-",
                   (unsigned long long)c->counts[id]);
        const elog_event_type *t = elog_header_lookup(r->h, (uint16_t)id);
        if (t != NULL)
            put_text(w, t->description.ptr, t->description.len, false, false);
        put_cstr(w, "\n");
    }
}

static void print_json(elog_writer *w, const info_ctx *c, const info_run *r)
{
    const elog_end *end = r->end;
    put_cstr(w, "{\"file\":");
    put_json_str(w, (const uint8_t *)r->name, strlen(r->name), false);
    cli_printf(w, ",\"bytes\":%llu", (unsigned long long)r->bytes);

    put_cstr(w, ",\"rts_identifier\":");
    if (c->has_ident)
        put_json_str(w, c->ident, c->ident_len, false);
    else
        put_cstr(w, "null");
    put_cstr(w, ",\"program_args\":");
    if (c->has_args) {
        elog_slice vec = { c->args, c->args_len }, item;
        size_t pos = 0;
        bool first = true;
        put_cstr(w, "[");
        while (elog_strvec_next(vec, &pos, &item)) {
            if (!first)
                put_cstr(w, ",");
            first = false;
            put_json_str(w, item.ptr, item.len, false);
        }
        put_cstr(w, "]");
    } else {
        put_cstr(w, "null");
    }
    put_cstr(w, ",\"ghc_version\":");
    if (c->has_version)
        put_json_str(w, c->version, c->version_len, true);
    else
        put_cstr(w, "null");

    cli_printf(w, ",\"event_types_declared\":%zu", r->h->n_types);
    cli_printf(w, ",\"events\":%llu", (unsigned long long)c->events);
    if (c->events > 0)
        cli_printf(w, ",\"first_time\":%llu,\"last_time\":%llu,\"time_span_ns\":%llu",
                   (unsigned long long)c->min_time, (unsigned long long)c->max_time,
                   (unsigned long long)(c->max_time - c->min_time));
    else
        put_cstr(w, ",\"first_time\":null,\"last_time\":null,\"time_span_ns\":null");

    put_cstr(w, ",\"capabilities\":[");
    put_caps(w, c, true);
    put_cstr(w, "]");

    put_cstr(w, ",\"end\":{\"kind\":");
    const char *kn = elog_end_kind_name(end->kind);
    put_json_str(w, (const uint8_t *)kn, strlen(kn), false);
    cli_printf(w, ",\"offset\":%llu", (unsigned long long)end->offset);
    if (end->kind == ELOG_END_TRUNCATED_IN_EVENT) {
        if (end->id_known)
            cli_printf(w, ",\"event_id\":%u", (unsigned)end->event_id);
        cli_printf(w, ",\"bytes_missing\":%u", (unsigned)end->bytes_missing);
    }
    if (end->kind == ELOG_END_ERROR) {
        const char *sn = elog_status_name(end->status);
        const char *reason = elog_get_error_reason(r->dec);
        put_cstr(w, ",\"status\":");
        put_json_str(w, (const uint8_t *)sn, strlen(sn), false);
        put_cstr(w, ",\"reason\":");
        put_json_str(w, (const uint8_t *)reason, strlen(reason), false);
    }
    put_cstr(w, "}");

    cli_printf(w, ",\"decode\":{\"wall_seconds\":%.9f", r->wall);
    if (r->wall > 0)
        cli_printf(w, ",\"mb_per_second\":%.3f,\"events_per_second\":%.1f",
                   (double)r->bytes / 1e6 / r->wall, (double)c->events / r->wall);
    else
        put_cstr(w, ",\"mb_per_second\":null,\"events_per_second\":null");
    put_cstr(w, "}");

    put_cstr(w, ",\"event_counts\":[");
    bool first = true;
    for (uint32_t id = 0; id < N_IDS; id++) {
        if (c->counts[id] == 0)
            continue;
        cli_printf(w, "%s{\"id\":%u,\"name\":", first ? "" : ",", (unsigned)id);
        first = false;
        const char *name = r->names[id];
        if (name != NULL)
            put_json_str(w, (const uint8_t *)name, strlen(name), false);
        else
            put_cstr(w, "null");
        put_cstr(w, ",\"description\":");
        const elog_event_type *t = elog_header_lookup(r->h, (uint16_t)id);
        if (t != NULL)
            put_json_str(w, t->description.ptr, t->description.len, false);
        else
            put_cstr(w, "null");
        cli_printf(w, ",\"count\":%llu}", (unsigned long long)c->counts[id]);
    }
    put_cstr(w, "]}\n");
}

/* ------------------------------------------------------------ command */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_end(cli_source *src, const cli_stream_end *e)
{
    info_ctx *c = cli_source_ctx_of(src);
    c->end = *e->end;
    c->have_end = true;
}

int cli_info(const char *source, const cli_options *opt)
{
    static cli_output out;
    cli_output_init(&out, 1);

    static info_ctx ctx; /* the caps bitmap makes it a bit large for the stack */
    memset(&ctx, 0, sizeof ctx);
    ctx.counts = calloc(N_IDS, sizeof *ctx.counts);
    const char **names = catalogue_names();
    if (ctx.counts == NULL || names == NULL) {
        cli_error("%s: out of memory", source);
        free(ctx.counts);
        free(names);
        return CLI_EXIT_BAD_INPUT;
    }

    elog_settings settings;
    elog_settings_init(&settings);
    settings.on_event = on_event;
    settings.options = CLI_DECODER_OPTIONS;
    cli_source_config cfg = {
        .settings = &settings,
        .hooks = { .on_end = on_end },
        .ctx = &ctx,
        .follow = opt->follow,
        .idle_timeout_ms = opt->idle_timeout_ms,
        /* Live input: a signal ends it and what arrived is printed. */
        .interruptible = opt->follow || cli_source_is_socket(source),
        .connect_timeout_ms = opt->connect_timeout_ms,
        .progress = true,
    };
    cli_source *src = cli_source_open(source, &cfg);
    if (src == NULL) {
        free(ctx.counts);
        free(names);
        return CLI_EXIT_BAD_INPUT;
    }
    const char *name = cli_source_name(src);

    double t0 = now_seconds();
    int run = cli_source_run(src);
    double wall = now_seconds() - t0;
    info_sink = ctx.acc;

    int rc;
    elog_decoder *dec = cli_source_decoder(src);
    const elog_header *h = elog_get_header(dec);
    if (run != 0 || !ctx.have_end) {
        rc = CLI_EXIT_BAD_INPUT;
    } else if (ctx.oom) {
        cli_error("%s: out of memory", name);
        rc = CLI_EXIT_BAD_INPUT;
    } else if (h == NULL) {
        rc = cli_report_end(name, dec, &ctx.end, NULL, opt->strict);
        if (rc == CLI_EXIT_OK) /* cannot happen: no header means no usable end */
            rc = CLI_EXIT_BAD_INPUT;
    } else {
        info_run r = { .name = name, .dec = dec, .h = h, .end = &ctx.end,
                        .bytes = ctx.end.total_bytes, .names = names, .wall = wall };
        if (opt->json)
            print_json(&out.w, &ctx, &r);
        else
            print_text(&out.w, &ctx, &r);
        if (cli_output_flush(&out) != 0)
            rc = cli_output_report(&out);
        else
            rc = cli_report_end(name, dec, &ctx.end, h, opt->strict);
    }

    free(ctx.counts);
    free(ctx.ident);
    free(ctx.args);
    free(ctx.version);
    free(names);
    cli_source_close(src);
    return rc;
}
