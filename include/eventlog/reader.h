/*
 * The file reader: feeds an elog_decoder from a path, an open file
 * descriptor or stdin, transparently decompressing gzip, zstd and xz input,
 * optionally following a file that a running program is still writing
 * (tail -f).
 *
 *   elog_reader *r;
 *   if (elog_reader_open(&r, path, NULL) != ELOG_READER_OK) {   // "-" = stdin
 *       fprintf(stderr, "%s\n", elog_reader_error(r));          // r may be NULL
 *       elog_reader_close(r);
 *       return 1;
 *   }
 *   elog_end end;
 *   elog_reader_status st = elog_reader_run(r, &dec, &end);     // dec: yours
 *   if (st != ELOG_READER_OK)
 *       fprintf(stderr, "%s\n", elog_reader_error(r));          // path + offset
 *   elog_reader_close(r);
 *
 * Input: the format is recognised by its magic bytes, not by the file name,
 * also on stdin and pipes: gzip (1f 8b), zstd (28 b5 2f fd, or a skippable
 * frame) and xz (fd 37 7a 58 5a 00) are decompressed incrementally;
 * concatenated gzip members, zstd frames and xz streams are one stream, as
 * the gzip, zstd and xz tools read them. Any other input is passed through
 * unchanged (the decoder judges it).
 *
 * Memory: one read buffer (default 1 MiB) and, for compressed input, one
 * output buffer (default 1 MiB) plus the decompressor's state, allocated
 * once: zlib's ~7 KiB + a 32 KiB window; zstd's context with the frame's
 * window (2 MiB for `zstd -3`; frames needing more than 128 MiB, the zstd
 * tool's own default limit, are refused); xz's state with its dictionary
 * (9 MiB for `xz -6`, 65 MiB for `xz -9`; more than 128 MiB is refused).
 * zlib's memory comes from the reader's allocator; libzstd and liblzma
 * allocate theirs with malloc. Plain input is handed to the decoder straight
 * from the read buffer. Nothing is allocated per chunk.
 *
 * Read-ahead: a regular file that is not followed and is larger than a
 * quarter of the chunk buffer (the read buffer for plain input, the output
 * buffer for compressed input; at least 16 KiB) is read, and decompressed,
 * by a second
 * thread while yours decodes: the chunk buffer is cut into four slots that
 * it fills ahead of the decoder. It adds no memory, is started by the first
 * elog_reader_run()/elog_reader_read() and joined by elog_reader_close().
 * Callbacks, the progress hook and the allocator are only ever called on
 * your thread; the thread blocks every signal, so your handlers run where
 * they did. If the thread cannot be started, the reader reads on your thread.
 * The two threads hand slots over without system calls while each keeps up:
 * a side that waits polls for a fraction of a millisecond before it sleeps
 * (not when its last wait ended asleep: behind a decompressor slower than
 * the decoder, as zstd and xz are, the decoding thread sleeps at once),
 * so behind a consumer that uses up a slot within ~0.3 ms (~0.8 GB/s with
 * the default buffer) the thread keeps its core busy to the end of the file.
 * `no_read_ahead` turns it off (for example in a program that must not start
 * threads).
 *
 * Errors are sticky: once a function returned an error, later calls return it
 * again. elog_reader_error() gives a message naming the input and, where one
 * applies, the byte offset.
 *
 * Thread safety: a reader is used by one thread at a time, except
 * elog_reader_stop(), which any thread or a signal handler may call.
 */
#ifndef ELOG_READER_H
#define ELOG_READER_H

#include "../eventlog.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The reader's statuses (ELOG_READER_OK = ELOG_OK, ELOG_READER_PAUSED,
 * ELOG_READER_E_DECODE, _E_IO, _E_GZIP, _E_NOMEM, _E_USAGE) are part of the
 * library's one status space, elog_status in eventlog.h; elog_reader_status
 * is the same type. elog_strerror() describes each. */

/* An alias of elog_status_name(), kept for callers of earlier releases
 * ("ELOG_READER_E_GZIP"; "ELOG_OK" for ELOG_READER_OK). Never NULL. */
ELOG_API const char *elog_reader_status_name(elog_reader_status s);

typedef enum elog_reader_compression {
    ELOG_READER_AUTO = 0,     /* by the magic bytes: gzip, zstd, xz, else plain */
    ELOG_READER_PLAIN,        /* never decompress */
    ELOG_READER_GZIP,         /* always inflate (non-gzip input is ELOG_READER_E_GZIP) */
    ELOG_READER_ZSTD,         /* always zstd (other input is ELOG_READER_E_GZIP) */
    ELOG_READER_XZ            /* always xz (other input is ELOG_READER_E_GZIP) */
} elog_reader_compression;

/* Called after reads with the number of bytes read from the input so far
 * (compressed bytes for gzip input) and the input's size when known (a
 * regular file that is not followed), else 0. Called each time another
 * `progress_every` bytes have been read, and once more when the input ends.
 * It may call elog_reader_error(), elog_reader_get_info() and
 * elog_reader_stop(), nothing else of the reader. */
typedef void (*elog_reader_progress_cb)(void *ctx, uint64_t bytes_read, uint64_t total_or_0);

typedef struct elog_reader_options {
    size_t read_buffer_size;        /* 0: 1 MiB; at least 16 */
    size_t output_buffer_size;      /* decompressed-output buffer; 0: 1 MiB; at least 16 */
    elog_reader_compression compression;

    /* Follow mode (tail -f). At the end of a regular file, wait for it to
     * grow instead of stopping (re-checking every poll_interval_ms) until
     *   - elog_reader_run() sees its decoder pass the end-of-data marker
     *     (reading then stops at the file's current end), or
     *   - nothing new arrived for idle_timeout_ms (0: no limit), or
     *   - elog_reader_stop() is called.
     * Pipes, FIFOs and sockets are read until their writer closes them, as
     * without follow; with follow, idle_timeout_ms bounds the wait for data
     * and once the end marker was seen they are not read again (a writer that
     * keeps them open cannot block the reader). Followed or not, they are
     * waited on with poll(2) in poll_interval_ms slices, so that
     * elog_reader_stop() is noticed within one slice. A followed file that shrinks
     * is an error. gzip input can be followed too, if the compressed file
     * only grows by appending (as a streaming compressor writes it).
     * With elog_reader_read() the reader does not see the end marker: see
     * there. */
    bool follow;
    unsigned poll_interval_ms;      /* 0: 25 ms */
    unsigned idle_timeout_ms;       /* 0: wait for the end marker indefinitely */

    elog_reader_progress_cb progress; /* NULL: none */
    void *progress_ctx;
    uint64_t progress_every;        /* bytes between progress calls; 0: 4 MiB */

    const elog_allocator *allocator; /* NULL: malloc/free; must outlive the reader */

    bool no_read_ahead;             /* never start the read-ahead thread (above) */
} elog_reader_options;

/* Fills `o` with the defaults (all zero: 1 MiB buffers, auto-detected gzip,
 * no follow, no progress, malloc, read-ahead where it pays). */
ELOG_API void elog_reader_options_init(elog_reader_options *o);

typedef struct elog_reader elog_reader;

/* Opens `path` for reading; "-" means stdin (which is then not closed by
 * elog_reader_close()). `opts` may be NULL (defaults); it is copied. Nothing
 * is read yet: gzip detection happens on the first run/read, so opening a
 * followed file that is still empty works. Opening a FIFO blocks until a
 * writer opens it, as open(2) does. Not from a decoder callback.
 * Always sets *out: to the new reader, or on failure to a reader holding
 * the error (elog_reader_error(): "PATH: cannot open: <strerror>"), or to
 * NULL if even that could not be allocated (ELOG_READER_E_NOMEM). The caller
 * owns *out and calls elog_reader_close() on it in every case.
 * Returns ELOG_READER_OK, ELOG_READER_E_IO (cannot open or stat, or a
 * directory), ELOG_READER_E_NOMEM or ELOG_READER_E_USAGE (NULL path). */
ELOG_API elog_reader_status elog_reader_open(elog_reader **out, const char *path,
                                             const elog_reader_options *opts);

/* The same for an already-open descriptor `fd`, which stays the caller's:
 * elog_reader_close() does not close it. `name` is used in messages (copied;
 * NULL: "fd N"). A descriptor opened with O_NONBLOCK is waited on with
 * poll(2). */
ELOG_API elog_reader_status elog_reader_open_fd(elog_reader **out, int fd, const char *name,
                                                const elog_reader_options *opts);

/* Releases the reader, its buffers and (for elog_reader_open() of a path)
 * the descriptor. NULL is fine. The decoder given to elog_reader_run() is
 * not touched. Not from a decoder callback or the progress hook. */
ELOG_API void elog_reader_close(elog_reader *r);

/* Reads the input and feeds it to `d` (yours, set up with
 * elog_decoder_init(); the reader never frees or resets it) until:
 *   - the input ends: calls elog_finish(d), stores the result in *end (if not
 *     NULL) and returns ELOG_READER_OK;
 *   - a callback pauses: returns ELOG_READER_PAUSED, *end untouched. Calling
 *     elog_reader_run() again calls elog_resume(d) and feeds the bytes the
 *     decoder did not consume before reading more; elog_reader_read() would
 *     return those bytes instead;
 *   - the decoder fails: finishes it and returns ELOG_READER_E_DECODE, with
 *     *end of kind ELOG_END_ERROR; the message has the path and the offset;
 *   - reading or inflating fails: finishes the decoder (so *end classifies
 *     what was decoded, typically as truncated) and returns ELOG_READER_E_IO,
 *     _E_GZIP or _E_NOMEM.
 * After any return but PAUSED the run is over: later calls return the same
 * status and the same *end without touching `d`. Bytes the caller already
 * took with elog_reader_read() are not fed. Offsets the decoder reports are
 * offsets in the decompressed stream, counted from the reader's first byte.
 * Returns ELOG_READER_E_USAGE, consuming nothing, if the decoder refuses
 * input (called from one of its callbacks, or after elog_finish()), or if
 * `r` or `d` is NULL.
 * Not from a decoder callback or the progress hook. */
ELOG_API elog_reader_status elog_reader_run(elog_reader *r, elog_decoder *d, elog_end *end);

/* Pull interface, for callers that want the (decompressed) bytes themselves:
 * sets *p and *n to the next chunk, owned by the reader and valid until the
 * next call to elog_reader_read(), elog_reader_run() or elog_reader_close().
 * At the end of input returns ELOG_READER_OK with *n == 0 (and *p NULL).
 * In follow mode the reader cannot see the end marker in bytes it only hands
 * out: call elog_reader_stop() when your decoder reaches it (on_data_end), or
 * rely on idle_timeout_ms. Returns ELOG_READER_E_IO, _E_GZIP or _E_NOMEM on
 * failure (*n == 0), ELOG_READER_E_USAGE for a NULL reader. Not from a decoder callback or the progress hook. */
ELOG_API elog_reader_status elog_reader_read(elog_reader *r, const uint8_t **p, size_t *n);

/* Ends the input early: from now on the reader does not wait any more. A
 * regular file is still read up to its current end; a pipe, FIFO or socket
 * is not read again. A reader waiting for a pipe, FIFO or socket notices
 * within poll_interval_ms, in follow mode or not.
 * The input then ends with ELOG_READER_EOF_STOPPED (a regular file without
 * follow: ELOG_READER_EOF_END). Async-signal-safe and thread-safe; may be
 * called from decoder callbacks and the progress hook. */
ELOG_API void elog_reader_stop(elog_reader *r);

/* The last error: a sentence naming the input, e.g.
 * "x.eventlog.gz: corrupt gzip data at compressed byte 5123 (member 2):
 * invalid block type", or "" if there was none. Owned by the reader, valid
 * until the next call that fails or elog_reader_close(). NULL is accepted
 * (returns the message for a failed allocation of the reader). Safe from
 * callbacks. */
ELOG_API const char *elog_reader_error(const elog_reader *r);

typedef enum elog_reader_eof {
    ELOG_READER_EOF_NONE = 0,  /* the input has not ended yet */
    ELOG_READER_EOF_END,       /* end of input: end of the file, or the writer of a
                                  pipe/FIFO closed it */
    ELOG_READER_EOF_DATA_END,  /* follow: stopped after the end-of-data marker */
    ELOG_READER_EOF_IDLE,      /* follow: no new data for idle_timeout_ms */
    ELOG_READER_EOF_STOPPED    /* elog_reader_stop() was called */
} elog_reader_eof;

ELOG_API const char *elog_reader_eof_name(elog_reader_eof e); /* e.g. "idle-timeout" */

typedef struct elog_reader_info {
    const char *name;          /* the path, "<stdin>" or the fd's name; owned by the reader */
    int fd;                    /* the descriptor read from */
    bool regular;              /* a regular file */
    bool gzip;                 /* the input is gzip (known after the first chunk) */
    bool gzip_truncated;       /* the compressed data ended inside a gzip member */
    bool read_ahead;           /* a read-ahead thread reads (or read) the input */
    uint32_t gzip_members;     /* gzip members begun */
    uint64_t start;            /* file position of the input's first byte (stdin may
                                  not start at 0); plain regular input: decoder offset
                                  + start = file offset */
    uint64_t size;             /* regular file: its size at open, minus `start`; else 0 */
    uint64_t bytes_read;       /* bytes read from the input (compressed for gzip) */
    uint64_t bytes_out;        /* bytes delivered to the decoder or elog_reader_read() */
    elog_reader_eof eof;
    /* Any format (the gzip fields above are these for gzip only): */
    elog_reader_compression format; /* PLAIN, GZIP, ZSTD or XZ once the first chunk
                                       was read; AUTO before */
    bool compressed_truncated; /* the compressed data ended inside a gzip member,
                                  zstd frame or xz stream */
    uint32_t compressed_members; /* gzip members, zstd frames or xz streams begun */
    uint64_t gzip_padding;     /* zero bytes after the last gzip member (tape or
                                  block padding), ignored as gzip(1) does; worth a
                                  warning. Other bytes there are an error. */
} elog_reader_info;

/* A snapshot of the reader's state (all zero for a NULL reader). Safe from
 * callbacks. */
ELOG_API void elog_reader_get_info(const elog_reader *r, elog_reader_info *info);

#ifdef __cplusplus
}
#endif

#endif /* ELOG_READER_H */
