"""Builds libeventlog._native, the cffi (API mode, out-of-line) extension.

Where the C library comes from, first match wins:

  LIBEVENTLOG_BUILD=DIR   a meson build directory of libeventlog (headers from its
                          source tree's include/ and DIR/include, library from
                          DIR/libeventlog, rpath to it)
  ../../build             the default meson build directory of this repository
  pkg-config libeventlog  an installed libeventlog (LIBEVENTLOG_BUILD=pkg-config
                          chooses it even when ../../build exists)

Build in place (what build_inplace.sh does):

    LIBEVENTLOG_BUILD=build /usr/bin/python3 bindings/python/build_ffi.py

or install (offline, with Debian's python3-cffi and python3-setuptools):

    pip install --no-build-isolation ./bindings/python
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import cffi

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

CDEF = r"""
typedef struct elog_slice { const uint8_t *ptr; size_t len; } elog_slice;

typedef enum elog_field_kind {
    ELOG_FIELD_U8, ELOG_FIELD_U16, ELOG_FIELD_U32, ELOG_FIELD_U64,
    ELOG_FIELD_CSTR, ELOG_FIELD_TEXT, ELOG_FIELD_LATIN1, ELOG_FIELD_BYTES,
    ELOG_FIELD_STRVEC, ELOG_FIELD_STACK, ...
} elog_field_kind;

typedef struct elog_field_info {
    const char *name;
    elog_field_kind kind;
    uint16_t offset;
    bool optional;
    bool derived;
    uint16_t has_offset;
} elog_field_info;

typedef struct elog_layout_info {
    uint16_t id;
    uint16_t size;
    uint8_t variant;
    uint8_t n_fields;
    uint16_t index;
    const char *name;
    const elog_field_info *fields;
} elog_layout_info;

const elog_layout_info *elog_catalogue(size_t *count);
const elog_layout_info *elog_catalogue_find(uint16_t id, uint16_t declared_size);

typedef struct elog_event_type {
    uint16_t id;
    uint16_t size;
    uint32_t header_index;
    uint64_t offset;
    elog_slice description;
    const elog_layout_info *layout;
} elog_event_type;

typedef struct elog_header {
    const elog_event_type *types;
    size_t n_types;
    uint64_t data_offset;
    ...;
} elog_header;

bool elog_strvec_next(elog_slice vec, size_t *pos, elog_slice *item);
bool elog_utf8_valid(elog_slice s);

typedef enum elog_status {
    ELOG_OK, ELOG_PAUSED, ELOG_NEED_MORE, ELOG_E_NOT_EVENTLOG, ELOG_E_BAD_HEADER,
    ELOG_E_LIMIT, ELOG_E_UNDECLARED, ELOG_E_BAD_EVENT, ELOG_E_BAD_BLOCK,
    ELOG_E_CALLBACK, ELOG_E_NOMEM, ELOG_E_USAGE,
    ELOG_READER_PAUSED, ELOG_READER_E_DECODE, ELOG_READER_E_IO,
    ELOG_READER_E_GZIP, ELOG_READER_E_NOMEM, ELOG_READER_E_USAGE,
    ELOG_SOCKET_WOULD_BLOCK, ELOG_SOCKET_EOF, ELOG_SOCKET_PAUSED,
    ELOG_SOCKET_STOPPED, ELOG_SOCKET_TIMEOUT, ELOG_SOCKET_CLOSED, ELOG_SOCKET_E_ADDRESS,
    ELOG_SOCKET_E_CONNECT, ELOG_SOCKET_E_IO, ELOG_SOCKET_E_DECODE, ELOG_SOCKET_E_CALLBACK,
    ELOG_SOCKET_E_ARG, ELOG_SOCKET_E_NOMEM, ELOG_SOCKET_E_USAGE,
    ELOG_CONTROL_E_EMPTY_NAMESPACE, ELOG_CONTROL_E_LONG_NAMESPACE,
    ELOG_CONTROL_E_BAD_ID, ELOG_CONTROL_E_NO_ROOM, ELOG_CONTROL_E_UNKNOWN_COMMAND,
    ELOG_CONTROL_E_SYNTAX, ...
} elog_status;
/* one status space: the modules' types and names for success */
typedef elog_status elog_reader_status;
typedef elog_status elog_socket_status;
typedef elog_status elog_control_error;
#define ELOG_READER_OK ...
#define ELOG_SOCKET_OK ...
#define ELOG_CONTROL_OK ...
const char *elog_status_name(elog_status s);
const char *elog_strerror(int status);

typedef enum elog_end_kind {
    ELOG_END_CLEAN, ELOG_END_TRUNCATED_BETWEEN_EVENTS, ELOG_END_TRUNCATED_IN_EVENT,
    ELOG_END_TRUNCATED_IN_HEADER, ELOG_END_EMPTY, ELOG_END_ERROR, ...
} elog_end_kind;
const char *elog_end_kind_name(elog_end_kind k);

typedef struct elog_end {
    elog_end_kind kind;
    elog_status status;
    uint64_t offset;
    uint64_t total_bytes;
    bool id_known;
    uint16_t event_id;
    uint32_t bytes_missing;
    uint64_t trailing_bytes;
    uint64_t events;
} elog_end;

typedef struct elog_decoder { void *data; ...; } elog_decoder;

enum { ELOG_CB_CONTINUE, ELOG_CB_PAUSE, ELOG_CB_ABORT, ... };
enum { ELOG_OPT_CONTINUE_AFTER_END, ELOG_OPT_LENIENT_BLOCKS, ... };
#define ELOG_NO_CAP ...
#define ELOG_VARIABLE_SIZE ...
#define ELOG_CATALOGUE_LAYOUTS ...
const char *elog_version(void);

typedef struct elog_result { size_t read; elog_status status; size_t required; } elog_result;

elog_result elog_execute(elog_decoder *d, const void *buf, size_t len);
void elog_resume(elog_decoder *d);
elog_end elog_finish(elog_decoder *d);
elog_status elog_get_error(const elog_decoder *d);
const char *elog_get_error_reason(const elog_decoder *d);
uint64_t elog_get_error_offset(const elog_decoder *d);
uint64_t elog_get_offset(const elog_decoder *d);
const elog_header *elog_get_header(const elog_decoder *d);

/* native/elogpy.c */
#define ELOGPY_RECORDS ...
#define ELOGPY_COLUMNS ...
#define ELOGPY_RECORD_HEAD ...

typedef struct elogpy_state {
    int header_ready;
    int data_end_seen;
    uint64_t data_end_offset;
    int nomem;
    int mode;
    size_t n;
    size_t limit;
    uint8_t *arena;
    size_t arena_len;
    uint32_t *rec_pos;
    uint32_t *rec_kind;
    const uint8_t *keep;
    uint16_t *c_type;
    uint64_t *c_time;
    uint16_t *c_cap;
    uint64_t *c_offset;
    uint64_t **c_fields;
    size_t n_fields;
    const int16_t *field_map;
    uint64_t fill;
    void *handle;
    ...;
} elogpy_state;

int elogpy_init(elogpy_state *s, int mode, unsigned options, size_t limit, void *handle);
void elogpy_free(elogpy_state *s);
elog_decoder *elogpy_decoder(elogpy_state *s);
void elogpy_clear(elogpy_state *s);
void elogpy_reset(elogpy_state *s);
long elogpy_show(uint16_t id, uint16_t size, const uint8_t *desc, size_t desc_len,
                 uint64_t time, uint16_t cap, uint64_t offset, const uint8_t *payload,
                 size_t plen, int text_only, char *out, size_t out_cap);
size_t elogpy_show_header(const elog_header *h, char *out, size_t out_cap);

extern "Python" int elogpy_py_header(elog_decoder *d, const elog_header *h);

/* include/eventlog/order.h (part of it) */
typedef struct elog_order_options {
    size_t memory_budget;
    const char *tmpdir;
    unsigned decoder_options;
    bool no_threads;
    size_t max_runs;
} elog_order_options;
void elog_order_options_init(elog_order_options *o);
typedef struct elog_sorter elog_sorter;
int elog_sorter_open(elog_sorter **out, const char *path, const elog_order_options *opts);
int elog_sorter_open_fd(elog_sorter **out, int fd, const char *name,
                        const elog_order_options *opts);
void elog_sorter_end(const elog_sorter *s, elog_end *end);
const char *elog_sorter_error(const elog_sorter *s);
void elog_sorter_close(elog_sorter *s);
int elogpy_sorter_header(elogpy_state *s, elog_sorter *so);
int elogpy_sorter_fill(elogpy_state *s, elog_sorter *so);
int elogpy_window_enable(elogpy_state *s, uint64_t window_ns, size_t max_bytes);
int elogpy_window_flush(elogpy_state *s);
void elogpy_window_stats(elogpy_state *s, uint64_t out[5]);
"""
# The writer (include/eventlog/writer.h, filter.h) and the glue of
# native/elogpy_write.c: libeventlog.Writer and libeventlog.filter().
WRITER_CDEF = r"""
typedef struct elog_u32_array { const uint8_t *ptr; uint32_t count; } elog_u32_array;
typedef struct elog_log_writer elog_log_writer;
enum { ELOG_LOG_WRITER_VERBATIM, ... };
typedef struct elog_log_writer_options {
    unsigned flags;
    size_t block_bytes;
    size_t budget_bytes;
    ...;
} elog_log_writer_options;
elog_status elog_log_writer_open_fd(elog_log_writer **out, const elog_log_writer_options *opt,
                                    int fd);
elog_status elog_log_writer_open_path(elog_log_writer **out, const elog_log_writer_options *opt,
                                      const char *path);
elog_status elog_log_writer_header(elog_log_writer *w, const elog_header *h);
elog_status elog_log_writer_declare(elog_log_writer *w, uint16_t id, uint16_t size,
                                    elog_slice description);
elog_status elog_log_writer_declare_known(elog_log_writer *w, uint16_t id);
elog_status elog_log_writer_declare_catalogue(elog_log_writer *w);
elog_status elog_log_writer_begin_data(elog_log_writer *w);
elog_status elog_log_writer_raw(elog_log_writer *w, uint16_t cap, uint16_t id, uint64_t time,
                                const void *payload, size_t len);
elog_status elog_log_writer_end_block(elog_log_writer *w, uint16_t cap);
typedef struct elog_log_writer_fix {
    bool fixed;
    uint64_t marker_offset;
    uint32_t declared;
    uint32_t actual;
} elog_log_writer_fix;
elog_status elog_log_writer_finish(elog_log_writer *w, elog_log_writer_fix *fix);
uint64_t elog_log_writer_offset(const elog_log_writer *w);
const char *elog_log_writer_error_reason(const elog_log_writer *w);
int elog_log_writer_errno(const elog_log_writer *w);
void elog_log_writer_free(elog_log_writer *w);
elog_status elogpy_write_fields(elog_log_writer *w, uint16_t cap, uint16_t id, uint64_t time,
                                const elog_layout_info *lay, const uint64_t *ints,
                                const elog_slice *slices, const uint8_t *present);
int elogpy_filter(const char *src, const char *dst, const uint16_t *types, size_t n_types,
                  int exclude, const uint16_t *caps, size_t n_caps, const uint32_t *threads,
                  size_t n_threads, uint64_t from, uint64_t to, elog_end *end, char *err,
                  size_t errcap);
"""

# The library's merge (include/eventlog/merge.h) and native/elogpy_merge.c:
# libeventlog.merge().
MERGE_CDEF = r"""
int elogpy_merge(const char *const *srcs, size_t n, const char *dst, uint64_t *shifts,
                 elog_status *status, char *err, size_t errcap);
"""


# The C file reader (include/eventlog/reader.h): gzip and follow mode in C.
# Declared only when the header and the library both have it; the Python side
# falls back to its own reading (gzip module, polling) otherwise.
READER_CDEF = r"""
const char *elog_reader_status_name(elog_reader_status s);

typedef enum elog_reader_compression {
    ELOG_READER_AUTO, ELOG_READER_PLAIN, ELOG_READER_GZIP, ELOG_READER_ZSTD, ELOG_READER_XZ,
    ...
} elog_reader_compression;

typedef struct elog_reader_options {
    size_t read_buffer_size;
    size_t output_buffer_size;
    elog_reader_compression compression;
    bool follow;
    unsigned poll_interval_ms;
    unsigned idle_timeout_ms;
    bool no_read_ahead;
    ...;
} elog_reader_options;
void elog_reader_options_init(elog_reader_options *o);

typedef struct elog_reader elog_reader;
elog_reader_status elog_reader_open(elog_reader **out, const char *path,
                                    const elog_reader_options *opts);
elog_reader_status elog_reader_open_fd(elog_reader **out, int fd, const char *name,
                                       const elog_reader_options *opts);
void elog_reader_close(elog_reader *r);
elog_reader_status elog_reader_run(elog_reader *r, elog_decoder *d, elog_end *end);
void elog_reader_stop(elog_reader *r);
const char *elog_reader_error(const elog_reader *r);

typedef enum elog_reader_eof {
    ELOG_READER_EOF_NONE, ELOG_READER_EOF_END, ELOG_READER_EOF_DATA_END,
    ELOG_READER_EOF_IDLE, ELOG_READER_EOF_STOPPED, ...
} elog_reader_eof;
const char *elog_reader_eof_name(elog_reader_eof e);

typedef struct elog_reader_info {
    const char *name;
    int fd;
    bool regular;
    bool gzip;
    bool gzip_truncated;
    bool read_ahead;
    uint32_t gzip_members;
    uint64_t start;
    uint64_t size;
    uint64_t bytes_read;
    uint64_t bytes_out;
    elog_reader_eof eof;
    elog_reader_compression format;
    bool compressed_truncated;
    uint32_t compressed_members;
    uint64_t gzip_padding;
} elog_reader_info;
void elog_reader_get_info(const elog_reader *r, elog_reader_info *info);
"""


# The eventlog-socket client (include/eventlog/socket.h) and the glue of
# native/elogpy_socket.c; bound only when the header and the library have it.
SOCKET_CDEF = r"""
const char *elog_socket_status_name(elog_socket_status st);

typedef struct elog_socket_addr { ...; } elog_socket_addr;
#define ELOG_SOCKET_ADDR_STRLEN ...
#define ELOG_SOCKET_ERRLEN ...
elog_socket_status elog_socket_addr_parse(elog_socket_addr *addr, const char *text,
                                          char *err, size_t errcap);
elog_socket_status elog_socket_addr_from_env(elog_socket_addr *addr, char *err, size_t errcap);
size_t elog_socket_addr_format(const elog_socket_addr *addr, char *buf, size_t cap);

#define ELOG_CONTROL_FRAME_MAX ...
const char *elog_control_error_message(elog_control_error e);
typedef struct elog_control_command { elog_slice ns; unsigned id; } elog_control_command;
elog_control_error elog_control_validate(const void *ns, size_t ns_len, unsigned id);
elog_control_error elog_control_build(uint8_t *buf, size_t cap, const void *ns, size_t ns_len,
                                      unsigned id, size_t *frame_len);
unsigned elog_control_builtin_id(const char *name);
const char *elog_control_builtin_name(unsigned id);
elog_control_error elog_control_parse_command(const char *text, elog_control_command *cmd);

typedef struct elog_socket elog_socket;
typedef struct elog_socket_session {
    unsigned number;
    const char *address;
    uint64_t bytes;
    uint64_t skipped;
    uint64_t events;
    bool has_time;
    uint64_t first_time;
    uint64_t max_time;
    int error;
    ...;
} elog_socket_session;
typedef struct elog_socket_gap {
    unsigned prev_session;
    unsigned session;
    uint64_t prev_max_time;
    uint64_t first_time;
    int64_t gap_ns;
    uint64_t disconnected_ns;
    ...;
} elog_socket_gap;
typedef struct elog_socket_options {
    uint32_t initial_delay_ms;
    uint32_t max_delay_ms;
    uint32_t max_attempts;
    uint32_t max_wait_ms;
    uint32_t connect_timeout_ms;
    bool reconnect;
    uint32_t healthy_session_ms;
    uint32_t jitter_percent;
    size_t read_size;
    size_t pump_budget;
    uint32_t max_skip;
    uint32_t send_timeout_ms;
    ...;
} elog_socket_options;
void elog_socket_options_init(elog_socket_options *o);
void elog_socket_free(elog_socket *s);
elog_socket_status elog_socket_connect(elog_socket *s);
elog_socket_status elog_socket_connect_for(elog_socket *s, int timeout_ms);
elog_socket_status elog_socket_close(elog_socket *s);
elog_socket_status elog_socket_send_control(elog_socket *s, const void *ns, size_t ns_len,
                                            unsigned id);
elog_socket_status elog_socket_send_command(elog_socket *s, const char *text);
typedef enum elog_socket_state {
    ELOG_SOCKET_STATE_IDLE, ELOG_SOCKET_STATE_WAITING, ELOG_SOCKET_STATE_CONNECTING,
    ELOG_SOCKET_STATE_CONNECTED, ELOG_SOCKET_STATE_CLOSED, ...
} elog_socket_state;
elog_socket_state elog_socket_get_state(const elog_socket *s);
const elog_socket_session *elog_socket_get_session(const elog_socket *s);
elog_decoder *elog_socket_decoder(elog_socket *s);
const char *elog_socket_error_message(const elog_socket *s);
int elog_socket_errno(const elog_socket *s);

/* native/elogpy_socket.c */
typedef struct elogpy_flag { ...; } elogpy_flag;
elog_socket *elogpy_socket_new(elogpy_state *st, const elog_socket_addr *addr,
                               elog_socket_options *o);
void elogpy_flag_set(elogpy_flag *f, int v);
elog_socket_status elogpy_socket_run(elog_socket *s, elogpy_flag *stop, int timeout_ms);

extern "Python" void elogpy_py_connected(elog_socket *s, const elog_socket_session *ss);
extern "Python" void elogpy_py_disconnected(elog_socket *s, const elog_socket_session *ss,
                                            const elog_end *end);
extern "Python" void elogpy_py_gap(elog_socket *s, const elog_socket_gap *gap);
extern "Python" void elogpy_py_skipped(elog_socket *s, const elog_socket_session *ss,
                                       uint64_t bytes);
"""


# The exporters and the HTML report (include/eventlog/export.h, report.h) and
# native/elogpy_export.c; bound only when the headers and the library have them
# (and the C reader, which feeds them).
EXPORT_CDEF = r"""
typedef struct elogpy_export_result {
    int status;
    elog_end end;
    uint64_t count;
    char error[512];
} elogpy_export_result;
int elogpy_export(int in_fd, const char *name, int out_fd, int format, int table,
                  unsigned top_labels, unsigned options, const char *title,
                  elogpy_export_result *res);
"""


def _library_has(libdirs: list[str], symbol: str) -> bool:
    import ctypes
    import ctypes.util
    candidates = [os.path.join(d, "libeventlog.so") for d in libdirs]
    found = ctypes.util.find_library("eventlog")
    if found:
        candidates.append(found)
    for path in candidates:
        try:
            return hasattr(ctypes.CDLL(path), symbol)
        except OSError:
            continue
    return False


def has_reader(cfg: dict[str, list[str]]) -> bool:
    """Whether to bind the C reader: LIBEVENTLOG_NO_READER=1 turns it off."""
    if os.environ.get("LIBEVENTLOG_NO_READER"):
        return False
    header = any(os.path.exists(os.path.join(d, "eventlog", "reader.h"))
                 for d in cfg["include_dirs"])
    return header and _library_has(cfg["library_dirs"], "elog_reader_open")


def has_socket(cfg: dict[str, list[str]]) -> bool:
    """Whether to bind the eventlog-socket client: LIBEVENTLOG_NO_SOCKET=1 turns it off."""
    if os.environ.get("LIBEVENTLOG_NO_SOCKET"):
        return False
    header = any(os.path.exists(os.path.join(d, "eventlog", "socket.h"))
                 for d in cfg["include_dirs"])
    return header and _library_has(cfg["library_dirs"], "elog_socket_new")


def has_export(cfg: dict[str, list[str]]) -> bool:
    """Whether to bind the exporters: LIBEVENTLOG_NO_EXPORT=1 turns it off."""
    if os.environ.get("LIBEVENTLOG_NO_EXPORT"):
        return False
    header = all(any(os.path.exists(os.path.join(d, "eventlog", h)) for d in cfg["include_dirs"])
                 for h in ("export.h", "report.h", "order.h"))
    return header and all(_library_has(cfg["library_dirs"], s)
                          for s in ("elog_report_write", "elog_sorter_open_fd"))


# The analysis layer (include/eventlog/analysis.h) through native/elogpy_analysis.c:
# fed in C, snapshots as JSON; bound only when the header and library have it.
ANALYSIS_CDEF = r"""
typedef struct elog_analysis_config {
    uint32_t max_threads;
    uint32_t max_labels;
    uint32_t max_open_spans;
    ...;
} elog_analysis_config;
void elog_analysis_config_init(elog_analysis_config *c);
typedef struct elogpy_an elogpy_an;
elogpy_an *elogpy_an_new(const elog_analysis_config *cfg);
void elogpy_an_free(elogpy_an *p);
int elogpy_an_feed(elogpy_an *p, const uint8_t *buf, size_t len);
void elogpy_an_finish(elogpy_an *p);
char *elogpy_an_json(elogpy_an *p, size_t *len);
void elogpy_an_free_json(char *p);
elog_decoder *elogpy_an_decoder(elogpy_an *p);
void elogpy_an_finished(elogpy_an *p, const elog_end *end);
void elogpy_an_attach(elogpy_an *p, elogpy_state *s);
void elogpy_an_end(elogpy_an *p, const elog_end *end, const elog_decoder *d);
unsigned elogpy_an_headers(const elogpy_an *p);
"""
def has_analysis(cfg: dict[str, list[str]]) -> bool:
    """Whether to bind the analysis layer."""
    header = any(os.path.exists(os.path.join(d, "eventlog", "analysis.h"))
                 for d in cfg["include_dirs"])
    return header and _library_has(cfg["library_dirs"], "elog_analysis_new")


def _pkg_config(*args: str) -> list[str] | None:
    exe = shutil.which("pkg-config")
    if not exe:
        return None
    try:
        r = subprocess.run([exe, *args, "libeventlog"], capture_output=True, text=True, check=False)
    except OSError:
        return None
    if r.returncode != 0:
        return None
    return r.stdout.split()


def _source_dir(build: str) -> str:
    """The source tree a meson build directory was configured from (this
    repository unless the package was copied elsewhere)."""
    try:
        with open(os.path.join(build, "meson-info", "meson-info.json"), encoding="utf-8") as f:
            return str(json.load(f)["directories"]["source"])
    except (OSError, ValueError, KeyError):
        return REPO


def library_config() -> dict[str, list[str]]:
    """include_dirs, library_dirs, runtime_library_dirs for the C library."""
    build = os.environ.get("LIBEVENTLOG_BUILD")
    if build == "pkg-config":  # an installed libeventlog, even beside a build/
        build = None
    elif not build and os.path.exists(os.path.join(REPO, "build", "libeventlog", "libeventlog.so")):
        build = os.path.join(REPO, "build")
    if not build:
        cflags = _pkg_config("--cflags")
        libs = _pkg_config("--libs-only-L")
        if cflags is not None and libs is not None:
            incs = [f[2:] for f in cflags if f.startswith("-I")]
            libdirs = [f[2:] for f in libs if f.startswith("-L")]
            return {"include_dirs": incs, "library_dirs": libdirs, "runtime_library_dirs": libdirs}
        raise SystemExit(
            "build_ffi: libeventlog not found: build it (meson setup build && ninja -C build) "
            "and set LIBEVENTLOG_BUILD to the meson build directory, or install it (pkg-config)")
    build = os.path.abspath(build)
    libdir = os.path.join(build, "libeventlog")
    if not os.path.exists(os.path.join(libdir, "libeventlog.so")):
        raise SystemExit(
            f"build_ffi: {libdir}/libeventlog.so not found: build the C library first "
            f"(ninja -C {build}), or point LIBEVENTLOG_BUILD at the meson build directory")
    return {
        "include_dirs": [os.path.join(_source_dir(build), "include"),
                         os.path.join(build, "include")],
        "library_dirs": [libdir],
        "runtime_library_dirs": [libdir],
    }


def library_version(cfg: dict[str, list[str]]) -> str:
    """The version of the C library the extension is built against, from its
    generated eventlog/version.h (meson's project version): setup.py gives it
    to pip, so the package's version is the library's."""
    import re
    for d in cfg["include_dirs"]:
        try:
            with open(os.path.join(d, "eventlog", "version.h"), encoding="utf-8") as f:
                m = re.search(r'^#define ELOG_VERSION_STRING "([^"]+)"', f.read(), re.M)
        except OSError:
            continue
        if m:
            return m.group(1)
    raise SystemExit("build_ffi: eventlog/version.h not found in "
                     + ", ".join(cfg["include_dirs"])
                     + ": build or install libeventlog 0.3.0 or later first")


def _source(socket: bool = False, writer: bool = False, export: bool = False,
            analysis: bool = False, merge: bool = False) -> str:
    with open(os.path.join(HERE, "native", "elogpy.c"), encoding="utf-8") as f:
        text = f.read()
    if writer:
        with open(os.path.join(HERE, "native", "elogpy_write.c"), encoding="utf-8") as f:
            text += "\n" + f.read()
    if merge:
        with open(os.path.join(HERE, "native", "elogpy_merge.c"), encoding="utf-8") as f:
            text += "\n" + f.read()
    if socket:
        with open(os.path.join(HERE, "native", "elogpy_socket.c"), encoding="utf-8") as f:
            text += "\n" + f.read()
    if export:
        with open(os.path.join(HERE, "native", "elogpy_export.c"), encoding="utf-8") as f:
            text += "\n" + f.read()
    if analysis:
        with open(os.path.join(HERE, "native", "elogpy_analysis.c"), encoding="utf-8") as f:
            text += "\n" + f.read()
    return text


ffibuilder = cffi.FFI()
_cfg = library_config()
HAVE_READER = has_reader(_cfg)
HAVE_SOCKET = has_socket(_cfg)
HAVE_EXPORT = HAVE_READER and has_export(_cfg)
# the glue reads through elog_reader
HAVE_WRITER = HAVE_READER and _library_has(_cfg["library_dirs"], "elog_log_writer_open")
HAVE_ANALYSIS = has_analysis(_cfg)
HAVE_MERGE = HAVE_WRITER and _library_has(_cfg["library_dirs"], "elog_merge_open")
ffibuilder.cdef(CDEF + (READER_CDEF if HAVE_READER else "")
                + (SOCKET_CDEF if HAVE_SOCKET else "") + (WRITER_CDEF if HAVE_WRITER else "")
                + (MERGE_CDEF if HAVE_MERGE else "")
                + (EXPORT_CDEF if HAVE_EXPORT else "")
                + (ANALYSIS_CDEF if HAVE_ANALYSIS else ""))
ffibuilder.set_source(
    "libeventlog._native",
    ("#include <eventlog/reader.h>\n" if HAVE_READER else "")
    + _source(HAVE_SOCKET, HAVE_WRITER, HAVE_EXPORT, HAVE_ANALYSIS, HAVE_MERGE),
    libraries=["eventlog"],
    include_dirs=_cfg["include_dirs"],
    library_dirs=_cfg["library_dirs"],
    runtime_library_dirs=_cfg["runtime_library_dirs"],
    extra_compile_args=["-O2", "-std=gnu11", "-Wno-unused-function"],
)


def main() -> int:
    """Builds the extension next to the package (an in-place build)."""
    tmp = os.path.join(HERE, "build", "cffi")
    os.makedirs(tmp, exist_ok=True)
    so = ffibuilder.compile(tmpdir=tmp, verbose="-v" in sys.argv)
    dest = os.path.join(HERE, "libeventlog", os.path.basename(so))
    shutil.copyfile(so, dest + ".tmp")
    os.replace(dest + ".tmp", dest)
    reader = "with" if HAVE_READER else "without"
    sock = "with" if HAVE_SOCKET else "without"
    exp = "with" if HAVE_EXPORT else "without"
    print(f"built {os.path.relpath(dest)} against {_cfg['library_dirs'][0]} "
          f"({reader} the C reader, {sock} the socket client, {exp} the exporters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
