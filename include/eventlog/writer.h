/*
 * libeventlog writer: produces GHC RTS eventlogs, losslessly.
 *
 * A writer (elog_log_writer; `elog_writer` is show.h's text buffer) takes
 *   1. a header: copied from a decoded elog_header (elog_log_writer_header),
 *      or built from declarations (elog_log_writer_declare*, then
 *      elog_log_writer_begin_data);
 *   2. events, in one of two modes chosen at open:
 *      - blocks (default): each event goes to the block of its capability;
 *        the writer makes the block markers itself (size, start time = the
 *        earliest event of the block, end time = the latest) and drops the
 *        block markers it is given. Events are given as decoded events
 *        (elog_log_writer_copy: the record's bytes are reproduced exactly,
 *        unknown types, bytes beyond the known fields and invalid UTF-8
 *        included), as raw record bytes (elog_log_writer_record), or as typed
 *        fields (elog_log_writer_event, encoded by code generated from
 *        catalogue.txt like the decoder's field readers);
 *      - ELOG_LOG_WRITER_VERBATIM: records, block markers included, are
 *        written in the order given, unchanged, except that the size of the
 *        last block is corrected at finish if it disagrees with the bytes it
 *        holds (a log cut short). Decoding a complete log and copying every
 *        record (block markers too) this way gives back the same bytes.
 *        Events may also be given as parts (elog_log_writer_raw).
 *   3. elog_log_writer_finish: the pending blocks, the end-of-data marker, a
 *      last flush.
 * A third way copies a whole log fastest: the pass-through copy
 * (elog_log_writer_bytes, below) takes the input's bytes as they are read
 * and only needs the block markers from the decoder.
 * Output goes to a caller callback, a file descriptor, or a path.
 *
 * Memory budget (for any input): blocks mode holds one block buffer per
 * capability that has pending events; a buffer grows up to `block_bytes`
 * (default 256 KiB, at least one maximal record plus its marker) and all of
 * them together stay within `budget_bytes` (default 4 MiB): a block is
 * written out when its buffer is full, and every pending block when the
 * budget would be exceeded. Verbatim mode with a patch function (a
 * seekable fd or path) holds nothing; without one it holds the current
 * block (up to `block_bytes`, default 4 MiB there: GHC's blocks are 2 MiB
 * by default) so its size can be corrected; a longer block is written
 * through and cannot be corrected. Plus a 64 KiB output buffer. Nothing is
 * allocated per event.
 *
 * Errors: functions return elog_status. ELOG_E_USAGE for calls out of order
 * (an event before the header was complete, anything after finish);
 * ELOG_E_UNDECLARED for an event whose id the header does not declare;
 * ELOG_E_BAD_EVENT for a record whose length disagrees with its declared
 * size or fields that do not fit; ELOG_E_BAD_HEADER from begin_data in
 * blocks mode when block markers are declared with another size than 14;
 * ELOG_E_NOMEM; ELOG_E_CALLBACK when the
 * output failed (the sink returned non-zero; elog_log_writer_errno() has the
 * errno). Every error has a sentence in elog_log_writer_error_reason().
 * Errors of an event leave the writer usable; an output error is sticky.
 *
 * Thread safety: one writer per thread at a time; writers are independent.
 * Every function may be called from a decoder's callbacks (the writer never
 * calls into a decoder); none may be called from the writer's own sink,
 * patch or truncate functions.
 */
#ifndef ELOG_WRITER_H
#define ELOG_WRITER_H

#include "eventlog.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct elog_log_writer elog_log_writer;

/* Receives the output bytes in order. Returns 0, or non-zero on failure
 * (set errno first: it is kept for elog_log_writer_errno()). Called from the
 * writer's functions only; it must not call the writer. */
typedef int (*elog_log_sink)(void *ctx, const uint8_t *buf, size_t len);

enum {
    /* Records and block markers are written as given (see above). */
    ELOG_LOG_WRITER_VERBATIM = 1u << 0
};

/* Optional: overwrites `len` bytes at output offset `offset` (bytes already
 * given to the sink). Returns 0, or non-zero with errno set. With it,
 * verbatim mode streams blocks straight through and corrects a last block's
 * size in place instead of holding each block in memory. */
typedef int (*elog_log_patch)(void *ctx, uint64_t offset, const uint8_t *buf, size_t len);

/* Optional: cuts the output to its first `size` bytes; later output goes
 * on from there. Returns 0, or non-zero with errno set. Needed by the
 * pass-through copy below. */
typedef int (*elog_log_truncate)(void *ctx, uint64_t size);

typedef struct elog_log_writer_options {
    unsigned flags;                  /* ELOG_LOG_WRITER_* */
    size_t block_bytes;              /* 0: the default of the mode (see above) */
    size_t budget_bytes;             /* blocks mode, 0: 4 MiB */
    const elog_allocator *allocator; /* NULL: malloc/free */
    elog_log_patch patch;            /* NULL: none (see above); called with the
                                        sink's ctx. open_fd/open_path use pwrite(2)
                                        when the descriptor is seekable */
    elog_log_truncate truncate;      /* NULL: none; open_fd/open_path use
                                        ftruncate(2) when seekable */
} elog_log_writer_options;

/* Opens a writer over `sink` (called with `ctx`). `opt` may be NULL (the
 * defaults). On success *out is the writer (free it with
 * elog_log_writer_free). Returns ELOG_OK, ELOG_E_NOMEM, or ELOG_E_USAGE
 * (a NULL sink, a budget too small for two maximal blocks). */
ELOG_API elog_status elog_log_writer_open(elog_log_writer **out, const elog_log_writer_options *opt,
                                          elog_log_sink sink, void *ctx);

/* The same writing to `fd` with write(2) (EINTR and short writes handled).
 * The caller keeps the descriptor: it is not closed. */
ELOG_API elog_status elog_log_writer_open_fd(elog_log_writer **out, const elog_log_writer_options *opt,
                                             int fd);

/* The same creating (or truncating) `path` with mode 0666 & ~umask. The
 * file is closed by elog_log_writer_finish / elog_log_writer_free. Returns
 * ELOG_E_CALLBACK if it cannot be created (*out is then NULL, errno set). */
ELOG_API elog_status elog_log_writer_open_path(elog_log_writer **out, const elog_log_writer_options *opt,
                                               const char *path);

/* Writes the whole header of `h` (every declaration in its order, with its
 * size and description) and begins the data section. The header's extension
 * bytes (xlen, always 0 from GHC) are not kept by the decoder and are
 * written as 0. `h` is only read during the call. */
ELOG_API elog_status elog_log_writer_header(elog_log_writer *w, const elog_header *h);

/* Declares event type `id` with payload `size` (ELOG_VARIABLE_SIZE for a
 * variable type) and a description (copied). Before begin_data only. */
ELOG_API elog_status elog_log_writer_declare(elog_log_writer *w, uint16_t id, uint16_t size,
                                             elog_slice description);

/* Declares `id` as libeventlog's catalogue knows it (its largest layout),
 * described by the catalogue name ("CREATE_THREAD"). ELOG_E_UNDECLARED if
 * the catalogue has no such id. */
ELOG_API elog_status elog_log_writer_declare_known(elog_log_writer *w, uint16_t id);

/* Declares every type of the catalogue (as elog_log_writer_declare_known). */
ELOG_API elog_status elog_log_writer_declare_catalogue(elog_log_writer *w);

/* Ends the header (writes the end of the type table and the data begin
 * marker). Events may follow. In blocks mode the header must declare block
 * markers (id 18) with their 14 bytes: if it does not declare id 18 at all,
 * it is declared here ("Block marker"); declared with another size, this
 * returns ELOG_E_BAD_HEADER (write such a log in verbatim mode). */
ELOG_API elog_status elog_log_writer_begin_data(elog_log_writer *w);

/* Appends a decoded event: id, time, the length prefix for a type declared
 * variable, and ev->payload byte for byte, in the block of ev->cap. The
 * writer's header must declare ev->id with ev->payload's size (fixed types)
 * or a variable size. Block markers (id 18) are dropped in blocks mode,
 * written in verbatim mode. `ev` is only read during the call. */
ELOG_API elog_status elog_log_writer_copy(elog_log_writer *w, const elog_event *ev);

/* Appends an event given by its parts: id, time and raw payload (`len`
 * bytes at `payload`, copied), in the block of `cap`. Checked against the
 * header as elog_log_writer_copy(). */
ELOG_API elog_status elog_log_writer_raw(elog_log_writer *w, uint16_t cap, uint16_t id, uint64_t time,
                                         const void *payload, size_t len);

/* Appends one raw record, `len` bytes at `rec` (id, time, [length], payload:
 * docs/FORMAT.md §4.1), in the block of `cap` (ELOG_NO_CAP: the global block).
 * It is checked against the header's declared size. */
ELOG_API elog_status elog_log_writer_record(elog_log_writer *w, uint16_t cap, const void *rec, size_t len);

/* Appends an event built from typed fields: `fields` holds the member of
 * the catalogue struct of `id` (fields->create_thread, ...). The layout is
 * the one the header's declared size selects (elog_catalogue_find); a fixed
 * declared size larger than the layout is padded with zero bytes. Optional
 * fields are written when their has_ flag is set. Returns
 * ELOG_E_UNDECLARED if the header does not declare `id` or no catalogue
 * layout fits its declaration, ELOG_E_BAD_EVENT if the fields do not fit in
 * 65535 bytes. Strings are copied during the call. */
ELOG_API elog_status elog_log_writer_event(elog_log_writer *w, uint16_t cap, uint16_t id, uint64_t time,
                                           const elog_fields *fields);

/* Blocks mode: writes out the pending block of `cap` now (nothing if it has
 * none). A filter calls it where its input's block ended, so the output
 * keeps the input's order of blocks. */
ELOG_API elog_status elog_log_writer_end_block(elog_log_writer *w, uint16_t cap);

/* Hands the buffered output to the sink now (pending blocks stay pending):
 * for a live reader, or to take a header alone. Returns the writer's
 * status (ELOG_E_CALLBACK if the output failed). */
ELOG_API elog_status elog_log_writer_flush(elog_log_writer *w);

/* What finish did to the last block in verbatim mode (for a repair report). */
typedef struct elog_log_writer_fix {
    bool fixed;                /* the last block's size was corrected */
    uint64_t marker_offset;    /* output offset of that block's marker */
    uint32_t declared;         /* the size it declared */
    uint32_t actual;           /* the size written */
} elog_log_writer_fix;

/* Writes the pending blocks (in the order of their earliest event), the
 * end-of-data marker, and flushes; closes a path's file. `fix` (may be NULL)
 * receives what was corrected. After it only free is allowed. */
ELOG_API elog_status elog_log_writer_finish(elog_log_writer *w, elog_log_writer_fix *fix);

/* Pass-through copy, the fast way to copy a whole log (verbatim mode with
 * a patch and a truncate function, e.g. a regular file): instead of a
 * header and events, give the input stream's bytes as they come, header
 * included (any chunking), and elog_log_writer_copy() each block marker the
 * decoder delivers (other events may be stepped over with settings.select:
 * the decoder only frames them). Then elog_log_writer_finish_bytes() with
 * the offset where the complete records end (elog_end.offset of a clean,
 * truncated-between-events or truncated-in-event end): the output is cut
 * there, the last block's size corrected if the cut shortened it, and the
 * end marker appended. Output offsets equal input offsets throughout.
 * Returns ELOG_E_USAGE if the writer cannot do this (not verbatim, no
 * patch or truncate function, a header already written). */
ELOG_API elog_status elog_log_writer_bytes(elog_log_writer *w, const void *p, size_t n);

/* Ends a pass-through copy at stream offset `valid_end` (see above); `fix`
 * as for elog_log_writer_finish. */
ELOG_API elog_status elog_log_writer_finish_bytes(elog_log_writer *w, uint64_t valid_end,
                                                  elog_log_writer_fix *fix);

/* Bytes handed to the sink so far (plus what is buffered). Safe any time. */
ELOG_API uint64_t elog_log_writer_offset(const elog_log_writer *w);

/* The last error's sentence ("" if none), and the errno of an output
 * failure (0 if none). Valid until the next call on `w`. */
ELOG_API const char *elog_log_writer_error_reason(const elog_log_writer *w);
ELOG_API int elog_log_writer_errno(const elog_log_writer *w);

/* Releases the writer without writing anything more (a path's file is
 * closed as it is). NULL is a no-op. */
ELOG_API void elog_log_writer_free(elog_log_writer *w);

#ifdef __cplusplus
}
#endif

#endif /* ELOG_WRITER_H */
