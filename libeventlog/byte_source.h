/*
 * Byte sources: the layers elog_reader stacks to turn a descriptor into the
 * bytes of an eventlog. One small interface (read into a buffer, close,
 * describe), implemented by
 *
 *   fd_source.c      read(2) of a descriptor: follow mode, poll, idle timeout
 *   gzip_source.c    inflate (zlib) of the source below, concatenated members
 *   zstd_source.c    zstd frames (libzstd), concatenated and skippable frames
 *   xz_source.c      xz streams (liblzma), concatenated, with stream padding
 *   read_ahead.c     the source below, read on a second thread into slots
 *
 * Each owns its state and the source below it (closing a source closes the
 * one below); none includes another's internals: a layer knows the one below
 * only through these operations. reader.c builds the stack and is the only
 * caller of the constructors.
 *
 * Threads: a source is used by one thread at a time. read_ahead.c calls the
 * source below on its own thread, so those sources never call the caller's
 * allocator in read() (they allocate at open) and never call back.
 */
#ifndef ELOG_BYTE_SOURCE_H
#define ELOG_BYTE_SOURCE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eventlog/reader.h"

/* Not part of the library's ABI. */
#if defined(__GNUC__)
#define BSRC_INTERNAL __attribute__((visibility("hidden")))
#else
#define BSRC_INTERNAL
#endif

typedef struct byte_source byte_source;

/* What a stack reports about itself (elog_reader_get_info, progress). */
typedef struct bsrc_desc {
    uint64_t bytes_in;             /* bytes read from the descriptor at the bottom */
    elog_reader_eof eof;           /* why the bottom ended; NONE while it has not */
    elog_reader_compression format; /* PLAIN, GZIP, ZSTD or XZ */
    uint32_t members;              /* gzip members, zstd frames or xz streams begun */
    bool truncated;                /* the compressed data end inside one of them */
    uint64_t padding;              /* gzip: zero bytes after the last member */
    bool read_ahead;               /* read by a second thread */
} bsrc_desc;

typedef struct byte_source_ops {
    /* Reads the next bytes into buf[0, cap) (cap > 0): *n > 0 bytes, or 0 at
     * the end of the input. Returns ELOG_READER_OK or an error whose sentence
     * (without the input's name) is in s->err; errors are sticky. */
    elog_reader_status (*read)(byte_source *s, uint8_t *buf, size_t cap, size_t *n);
    /* Optional (NULL: use read): the next bytes in the source's own buffer,
     * valid until the next call; same results as read. */
    elog_reader_status (*lend)(byte_source *s, const uint8_t **p, size_t *n);
    /* Releases the source, then the one below it. */
    void (*close)(byte_source *s);
    /* The figures as of the bytes returned so far. */
    void (*describe)(const byte_source *s, bsrc_desc *d);
} byte_source_ops;

/* The part every source starts with. */
struct byte_source {
    const byte_source_ops *ops;
    elog_allocator alloc;          /* for the source's own memory, at open only */
    char err[600];                 /* the last error's sentence */
};

/* Helpers shared by the sources (byte_source.c). */
BSRC_INTERNAL void *bsrc_alloc(const elog_allocator *a, size_t size);
BSRC_INTERNAL void bsrc_free(const elog_allocator *a, void *p, size_t size);
/* A page-aligned buffer (read(2) into a buffer just past a page boundary is
 * up to ~5x slower on some CPUs); *raw is what bsrc_free_page() takes. */
BSRC_INTERNAL void *bsrc_alloc_page(const elog_allocator *a, size_t size, void **raw);
BSRC_INTERNAL void bsrc_free_page(const elog_allocator *a, void *raw, size_t size);
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
/* Records the error sentence in s->err; returns st. */
BSRC_INTERNAL elog_reader_status bsrc_fail(byte_source *s, elog_reader_status st,
                                           const char *fmt, ...);

/* ---- fd_source.c ---- */

/* Bits of the stop word the reader shares with its fd source. */
enum { BSRC_STOP = 1, BSRC_DATA_END = 2 };

typedef struct bsrc_fd_config {
    int fd;
    bool own_fd;                   /* close() closes it */
    bool regular;                  /* a regular file */
    uint64_t start;                /* its offset at open (regular files) */
    bool follow;
    unsigned poll_ms, idle_ms;
    /* BSRC_STOP: elog_reader_stop(); BSRC_DATA_END: the decoder passed the
     * end-of-data marker (follow mode stops there). Owned by the reader. */
    const atomic_int *stop;
} bsrc_fd_config;

BSRC_INTERNAL byte_source *bsrc_fd_open(const elog_allocator *a, const bsrc_fd_config *c);
/* Bytes read ahead to recognise the format, returned by the next reads
 * before the descriptor's (n <= 16). */
BSRC_INTERNAL void bsrc_fd_unread(byte_source *s, const uint8_t *p, size_t n);

/* ---- the decompressors: each takes over `below` (closed with it, also
 * when opening fails). in_cap: the compressed-input buffer. NULL when out of
 * memory or the library refused: the status and sentence are in *e. ---- */

typedef struct bsrc_open_error {
    elog_reader_status st;
    char msg[200];
} bsrc_open_error;

BSRC_INTERNAL byte_source *bsrc_gzip_open(const elog_allocator *a, byte_source *below,
                                          size_t in_cap, bsrc_open_error *e);
BSRC_INTERNAL byte_source *bsrc_zstd_open(const elog_allocator *a, byte_source *below,
                                          size_t in_cap, bsrc_open_error *e);
BSRC_INTERNAL byte_source *bsrc_xz_open(const elog_allocator *a, byte_source *below,
                                        size_t in_cap, bsrc_open_error *e);

/* ---- read_ahead.c ---- */

/* Reads `below` on a second thread into `slots` slices of buf[0, cap) (the
 * caller's buffer, which must outlive the source); lend() hands them out in
 * order. Returns NULL (and leaves `below` to the caller) when the thread
 * cannot start or a slice would be too small to pay. */
BSRC_INTERNAL byte_source *bsrc_ahead_open(const elog_allocator *a, byte_source *below,
                                           uint8_t *buf, size_t cap);
/* The smallest buffer bsrc_ahead_open() accepts. */
BSRC_INTERNAL size_t bsrc_ahead_min_buffer(void);

#endif
