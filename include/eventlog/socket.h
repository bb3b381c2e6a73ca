/*
 * The eventlog-socket client: receive a live eventlog from a GHC program
 * instrumented with eventlog-socket (docs/SOCKET-PROTOCOL.md), decode
 * it with an elog_decoder as it arrives, and send it control commands.
 *
 * Three parts, usable separately:
 *
 *   - Addresses: "unix:PATH" or "tcp:HOST:PORT" ("tcp:[::1]:PORT" for IPv6),
 *     or the program's own environment variables. Pure functions.
 *   - Control frames: build and parse the client -> server command frames.
 *     Pure functions on caller buffers (testable, fuzzable, usable by servers).
 *   - The client (elog_socket): connects with retries and exponential backoff,
 *     reads in chunks and feeds the decoder immediately, treats every
 *     connection as a new log (a "session": the decoder is reset, bytes before
 *     the "hdrb" magic are skipped and reported), optionally reconnects and
 *     reports the gap between sessions. It is a non-blocking state machine:
 *     drive it from your event loop with elog_socket_fd() /
 *     elog_socket_events() / elog_socket_timeout_ms() / elog_socket_pump(),
 *     or let elog_socket_run() block until the stream ends.
 *
 * Errors: functions return an elog_socket_status (or elog_control_error for
 * the frame functions); the client keeps a sentence describing the last
 * error (elog_socket_error_message()), e.g. "could not connect to
 * unix:/tmp/x after 5 attempts over 3.1 s: Connection refused".
 *
 * Thread safety: a client is used by one thread at a time. The address and
 * control-frame functions are pure and thread-safe. POSIX only.
 */
#ifndef ELOG_SOCKET_H
#define ELOG_SOCKET_H

#include <signal.h>

#include "../eventlog.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Status codes
 * ------------------------------------------------------------------------- */

/* The socket client's statuses (ELOG_SOCKET_OK = ELOG_OK, ELOG_SOCKET_WOULD_BLOCK,
 * _EOF, _PAUSED, _STOPPED, _TIMEOUT, _CLOSED, _E_ADDRESS, _E_CONNECT, _E_IO,
 * _E_DECODE, _E_CALLBACK, _E_ARG, _E_NOMEM, _E_USAGE, each described where
 * elog_status is defined in eventlog.h) are part of the library's one status
 * space; elog_socket_status is the same type. elog_strerror() describes each. */

/* An alias of elog_status_name(), kept for callers of earlier releases
 * (e.g. "ELOG_SOCKET_E_CONNECT"; "ELOG_OK" for ELOG_SOCKET_OK). Never NULL. */
ELOG_API const char *elog_socket_status_name(elog_socket_status st);

/* ---------------------------------------------------------------------------
 * Addresses
 * ------------------------------------------------------------------------- */

typedef enum elog_socket_addr_kind {
    ELOG_SOCKET_ADDR_UNIX,
    ELOG_SOCKET_ADDR_TCP
} elog_socket_addr_kind;

/* sun_path holds 108 bytes including the NUL. */
#define ELOG_SOCKET_UNIX_PATH_MAX 107u
#define ELOG_SOCKET_HOST_MAX 255u
/* Room for any formatted address ("tcp:[HOST]:65535"), NUL included. */
#define ELOG_SOCKET_ADDR_STRLEN 272u
/* Room for an error message of the address functions, NUL included. */
#define ELOG_SOCKET_ERRLEN 256u

/* A parsed address. Plain data: copy it freely. */
typedef struct elog_socket_addr {
    elog_socket_addr_kind kind;
    char path[ELOG_SOCKET_UNIX_PATH_MAX + 1]; /* UNIX: the path, NUL-terminated */
    char host[ELOG_SOCKET_HOST_MAX + 1];      /* TCP: a name or numeric address,
                                                 without IPv6 brackets */
    uint16_t port;                            /* TCP: 1..65535 */
} elog_socket_addr;

/* Parses "unix:PATH" (PATH: 1..107 bytes) or "tcp:HOST:PORT" (HOST: a name,
 * an IPv4 address, or an IPv6 address in brackets, "[::1]"; PORT: decimal
 * 1..65535). Returns ELOG_SOCKET_OK, or ELOG_SOCKET_E_ADDRESS with a sentence
 * in `err` (cap `errcap`, NUL-terminated and truncated to fit; `err` may be
 * NULL), e.g. "tcp:localhost: missing port (expected tcp:HOST:PORT)".
 * Resolves nothing. Pure. */
ELOG_API elog_socket_status elog_socket_addr_parse(elog_socket_addr *addr, const char *text,
                                                   char *err, size_t errcap);

/* The address an instrumented program would listen on, from its environment:
 * GHC_EVENTLOG_UNIX_PATH if set and non-empty, else GHC_EVENTLOG_INET_HOST and
 * GHC_EVENTLOG_INET_PORT (both required; the host may be a bare IPv6
 * address). Returns ELOG_SOCKET_OK; ELOG_SOCKET_E_ADDRESS with a sentence in
 * `err` when a variable is malformed, only one of HOST/PORT is set, or none is
 * set. Reads the environment (getenv): not thread-safe against setenv(). */
ELOG_API elog_socket_status elog_socket_addr_from_env(elog_socket_addr *addr, char *err, size_t errcap);

/* Writes the canonical text of `addr` ("unix:/tmp/x", "tcp:[::1]:4242") into
 * `buf` (NUL-terminated, truncated to `cap`); returns its full length, as
 * snprintf. ELOG_SOCKET_ADDR_STRLEN bytes always suffice. Pure. */
ELOG_API size_t elog_socket_addr_format(const elog_socket_addr *addr, char *buf, size_t cap);

/* ---------------------------------------------------------------------------
 * Control frames (client -> server)
 *
 *   F0 9E 97 8C   magic      00   version      LL   namespace length (1..255)
 *   LL bytes      namespace  CC   command id (1..255)
 * ------------------------------------------------------------------------- */

#define ELOG_CONTROL_NAMESPACE "eventlog-socket"   /* the built-in namespace */
#define ELOG_CONTROL_VERSION 0u
#define ELOG_CONTROL_MAGIC_LEN 4u
#define ELOG_CONTROL_NAMESPACE_MAX 255u
#define ELOG_CONTROL_ID_MAX 255u
/* The largest frame: 4 magic + 1 version + 1 length + 255 namespace + 1 id. */
#define ELOG_CONTROL_FRAME_MAX 262u

/* The five commands of the built-in namespace. */
enum {
    ELOG_CONTROL_START_PROFILING = 1,
    ELOG_CONTROL_STOP_PROFILING = 2,
    ELOG_CONTROL_START_HEAP_PROFILING = 3,
    ELOG_CONTROL_STOP_HEAP_PROFILING = 4,
    ELOG_CONTROL_REQUEST_HEAP_CENSUS = 5
};

/* Control-frame errors (ELOG_CONTROL_OK = ELOG_OK, ELOG_CONTROL_E_EMPTY_NAMESPACE,
 * _E_LONG_NAMESPACE, _E_BAD_ID, _E_NO_ROOM, _E_UNKNOWN_COMMAND, _E_SYNTAX) are
 * part of the library's one status space (elog_status in eventlog.h);
 * elog_control_error is the same type. */

/* An alias of elog_strerror(), kept for callers of earlier releases: a
 * static sentence ("the namespace is empty"). Never NULL. */
ELOG_API const char *elog_control_error_message(elog_control_error e);

/* A command to send: namespace bytes (not NUL-terminated, not necessarily
 * text) and an id. */
typedef struct elog_control_command {
    elog_slice ns;
    unsigned id;
} elog_control_command;

/* Checks a command: namespace 1..255 bytes, id 1..255. Pure. */
ELOG_API elog_control_error elog_control_validate(const void *ns, size_t ns_len, unsigned id);

/* Builds the frame of (ns, id) into buf[0..cap) and stores its size
 * (7 + ns_len) in *frame_len. Validates first; on any error nothing is
 * written to `buf` and *frame_len is 0. `ns` may be NULL only if ns_len is 0
 * (then the result is ELOG_CONTROL_E_EMPTY_NAMESPACE). Pure. */
ELOG_API elog_control_error elog_control_build(uint8_t *buf, size_t cap, const void *ns, size_t ns_len,
                                               unsigned id, size_t *frame_len);

/* Built-in command names. elog_control_builtin_id() accepts the kebab-case
 * name ("start-profiling", "stop-profiling", "start-heap-profiling",
 * "stop-heap-profiling", "request-heap-census") and the protocol's camelCase
 * name ("startProfiling", ..., "requestHeapCensus"), case-sensitive; returns
 * 1..5, or 0 if `name` is neither. elog_control_builtin_name() returns the
 * kebab-case name of 1..5, NULL otherwise. Pure. */
ELOG_API unsigned elog_control_builtin_id(const char *name);
ELOG_API const char *elog_control_builtin_name(unsigned id);

/* Parses a command as a user would type it: a built-in name (above), or
 * "NAMESPACE:ID" (split at the last ':'; ID decimal). The namespace slice
 * points into `text`. Validates the result (elog_control_validate). Pure. */
ELOG_API elog_control_error elog_control_parse_command(const char *text, elog_control_command *cmd);

/* An incremental parser of the client -> server byte stream (for servers and
 * test doubles): yields complete frames and runs of garbage. A frame is
 * recognised by its magic; a wrong version, a namespace length of 0 or an id
 * of 0 make its bytes garbage and scanning resumes at the byte that broke it.
 * Allocation-free; zero it with elog_control_reader_init(). */
typedef enum elog_control_item_kind {
    ELOG_CONTROL_NONE,       /* all input consumed, nothing to report */
    ELOG_CONTROL_FRAME,      /* a valid frame */
    ELOG_CONTROL_GARBAGE,    /* `length` bytes that are not part of a valid frame */
    ELOG_CONTROL_TRUNCATED   /* at the end: `length` bytes of an incomplete frame */
} elog_control_item_kind;

typedef struct elog_control_item {
    elog_control_item_kind kind;
    uint64_t offset;   /* stream offset of the frame / garbage / truncated frame */
    uint64_t length;   /* its size in bytes */
    elog_slice ns;     /* FRAME: the namespace, valid until the next call */
    uint8_t id;        /* FRAME: the command id */
} elog_control_item;

typedef struct elog_control_reader {
    struct {                      /* private: the parser's state */
        uint64_t offset;          /* stream offset of the next byte */
        uint64_t garbage;         /* pending garbage run */
        uint64_t garbage_offset;
        uint32_t state;
        uint32_t have;            /* bytes of the current candidate frame */
        uint8_t frame[ELOG_CONTROL_FRAME_MAX];
        uint8_t pending;          /* a frame waits to be returned after garbage */
    } priv_;
} elog_control_reader;

ELOG_API void elog_control_reader_init(elog_control_reader *r);

/* Consumes bytes of buf[0..len) and returns how many; stops after the first
 * item found (in *item). Call it again with the rest until it returns an item
 * of kind ELOG_CONTROL_NONE, which means every byte was consumed:
 *
 *     for (;;) {
 *         size_t n = elog_control_reader_feed(&r, p, len, &it);
 *         p += n; len -= n;
 *         if (it.kind == ELOG_CONTROL_NONE) break;
 *         handle(&it);
 *     }
 *
 * A garbage run is reported once it is known to end (when a valid frame
 * follows it, or at elog_control_reader_end()). */
ELOG_API size_t elog_control_reader_feed(elog_control_reader *r, const void *buf, size_t len,
                                         elog_control_item *item);

/* At the end of the stream: returns true with the pending garbage run, then
 * the incomplete frame (ELOG_CONTROL_TRUNCATED), one per call; false when
 * nothing is left. The reader can then be reused for a new stream. */
ELOG_API bool elog_control_reader_end(elog_control_reader *r, elog_control_item *item);

/* ---------------------------------------------------------------------------
 * The client
 * ------------------------------------------------------------------------- */

typedef struct elog_socket elog_socket;

/* One connection. Passed to the session callbacks; owned by the client, valid
 * during the callback (elog_socket_get_session() returns the latest one). Byte
 * counts include skipped bytes; times are the eventlog's (ns since RTS start). */
typedef struct elog_socket_session {
    unsigned number;        /* 1 for the first connection, then 2, ... */
    const char *address;    /* canonical text of the address, e.g. "unix:/tmp/x" */
    uint64_t bytes;         /* bytes received */
    uint64_t skipped;       /* bytes before "hdrb" that were skipped */
    uint64_t events;        /* events delivered (block markers included; with
                               settings.select, of the selected types only, and
                               the times below are theirs too) */
    bool has_time;          /* an event was delivered, so the times are set */
    uint64_t first_time;    /* time of the first event delivered */
    uint64_t max_time;      /* largest event time seen (events are not
                               time-ordered across capabilities) */
    int error;              /* errno that ended the session (ECONNRESET, ...),
                               0 for an orderly end of stream */
} elog_socket_session;

/* The gap between two sessions: events the program wrote while no client was
 * connected are lost. Reported once, just before the first event of the new
 * session is delivered, relative to the latest earlier session that
 * delivered any event (none: no report). */
typedef struct elog_socket_gap {
    unsigned prev_session;      /* the number of the previous session */
    unsigned session;           /* the number of the new session */
    uint64_t prev_max_time;     /* largest event time of the previous session */
    uint64_t first_time;        /* time of the first event of the new session */
    int64_t gap_ns;             /* first_time - prev_max_time; negative when the
                                   clock restarted (probably another process) */
    uint64_t disconnected_ns;   /* wall time (monotonic) from the end of the
                                   previous session to this connection */
} elog_socket_gap;

/* A connect attempt failed; the next one follows after `delay_ms`. */
typedef struct elog_socket_retry {
    unsigned attempt;           /* the attempt that failed, from 1 */
    int error;                  /* its errno */
    uint32_t delay_ms;          /* until the next attempt */
    uint64_t elapsed_ns;        /* since the first attempt of this connect */
} elog_socket_retry;

/* Session callbacks. They get the client (elog_socket_data() is your data)
 * and may call elog_socket_send_control/command(), the accessors, and
 * elog_socket_close() (which then takes effect when the callback returns).
 * Not elog_socket_free(), pump() or run(). */
typedef void (*elog_socket_session_cb)(elog_socket *s, const elog_socket_session *ss);
typedef void (*elog_socket_skipped_cb)(elog_socket *s, const elog_socket_session *ss,
                                       uint64_t bytes);
typedef void (*elog_socket_end_cb)(elog_socket *s, const elog_socket_session *ss,
                                   const elog_end *end);
typedef void (*elog_socket_gap_cb)(elog_socket *s, const elog_socket_gap *gap);
typedef void (*elog_socket_retry_cb)(elog_socket *s, const elog_socket_retry *r);
/* `len` raw bytes of the session's stream (see on_data), valid during the
 * callback only. */
typedef void (*elog_socket_data_cb)(elog_socket *s, const elog_socket_session *ss,
                                    const void *buf, size_t len);

typedef struct elog_socket_options {
    /* Connecting. A connect cycle (the first connection, and each reconnect)
     * makes attempts until one succeeds: the first at once, then after delays
     * that start at initial_delay_ms and double up to max_delay_ms. It fails
     * with ELOG_SOCKET_E_CONNECT after max_attempts attempts or once
     * max_wait_ms have passed since its first attempt (the last attempt is
     * made at that deadline), whichever comes first; 0 disables a limit, so
     * with both 0 the client waits forever. Errors no retry can fix (EACCES,
     * ENOTDIR, ENAMETOOLONG, EPROTOTYPE, ...) fail the cycle at once; an
     * unknown host fails it with ELOG_SOCKET_E_ADDRESS. */
    uint32_t initial_delay_ms;    /* default 100 */
    uint32_t max_delay_ms;        /* default 2000 */
    uint32_t max_attempts;        /* default 0 (no limit) */
    uint32_t max_wait_ms;         /* default 10000 */
    uint32_t connect_timeout_ms;  /* one TCP attempt; default 5000 */
    bool reconnect;               /* after a session ends, start a new connect
                                     cycle (default false: the client closes);
                                     its first attempt is immediate after a
                                     healthy session, else delayed (below) */
    /* Reconnect backoff. A session is healthy if it delivered at least one
     * event and lasted at least healthy_session_ms. After n consecutive
     * sessions that were not (a peer that closes at once, sends only a
     * header, cuts an event, fails to decode), the next connect waits
     * initial_delay_ms * 2^(n-1), capped at max_delay_ms; a healthy session
     * resets n to 0. So a hostile or crash-looping peer is reconnected to at
     * most about once per max_delay_ms, never in a tight loop. */
    uint32_t healthy_session_ms;  /* default 5000 */
    /* Every delay (retries and reconnects) is shortened by a random amount
     * of up to this percentage of itself, so that clients of one server do
     * not reconnect in lockstep; 0 for exact delays. Default 20. */
    uint32_t jitter_percent;

    /* Reading. */
    size_t read_size;             /* bytes per read(2), >= 64; default 65536 */
    size_t pump_budget;           /* bytes elog_socket_pump() reads before it
                                     returns ELOG_SOCKET_OK to let your loop run;
                                     default 1 MiB */
    uint32_t max_skip;            /* bytes before "hdrb" skipped at most; beyond,
                                     they go to the decoder, which reports a
                                     not-an-eventlog error; default 65536 */

    /* Control frames: how long a send may wait for room in the socket
     * buffer; default 5000. */
    uint32_t send_timeout_ms;

    /* Session callbacks, all optional. */
    elog_socket_session_cb on_connected;    /* a session began */
    elog_socket_skipped_cb on_skipped;      /* bytes before "hdrb" were skipped
                                               (when the header starts, or at the
                                               end if it never did) */
    elog_socket_end_cb on_disconnected;     /* a session ended; `end` is
                                               elog_finish() of its stream, offsets
                                               counted from "hdrb" */
    elog_socket_gap_cb on_gap;              /* see elog_socket_gap */
    elog_socket_retry_cb on_retry;          /* a connect attempt failed */
    /* The session's stream, raw: every byte the decoder is fed, in order,
     * each exactly once, just before the decoder sees it. That is the
     * eventlog from its "hdrb" on, as received (the bytes skipped before it
     * are not passed; past max_skip they are, since the decoder gets them).
     * For recording a session losslessly or spooling it. If it calls
     * elog_socket_close(), these bytes are not decoded. */
    elog_socket_data_cb on_data;
} elog_socket_options;

/* Fills `o` with the defaults above (no callbacks). */
ELOG_API void elog_socket_options_init(elog_socket_options *o);

/* Creates a client for `addr`. Copies `addr`, `opt` (NULL: defaults) and
 * `settings` (your decoder callbacks and options; the copy is what the
 * decoder uses, so `settings` need not outlive the call). Your callbacks are
 * called exactly as a bare decoder would call them (block markers go to
 * on_block if set, else on_event), from inside pump/run/connect; the client
 * sees each event first, to count it and note its time. `data` becomes the
 * decoder's d->data and elog_socket_data(). Memory comes from
 * settings->allocator if set (it must then outlive the client). Does not
 * connect: the first pump (or run, or connect) does. Returns NULL if the
 * allocation fails or an option is out of range (read_size < 64). */
ELOG_API elog_socket *elog_socket_new(const elog_socket_addr *addr, const elog_socket_options *opt,
                                      const elog_settings *settings, void *data);

/* Closes the connection without calling any callback, and frees everything.
 * NULL is accepted. Not from a callback. */
ELOG_API void elog_socket_free(elog_socket *s);

/* Advances the client without blocking (name resolution aside: use numeric
 * hosts to avoid it):
 *   - not connected: makes the connect attempt that is due, if any;
 *   - connected: reads what is available in read_size chunks and feeds each
 *     chunk to the decoder at once (callbacks run inside this call), until the
 *     socket would block, the session ends, a callback pauses, or
 *     pump_budget bytes were read.
 * Returns OK (budget used up: call again), WOULD_BLOCK (wait, see below),
 * EOF (a session ended: the server closed, or a read failed, e.g. with
 * ECONNRESET, see elog_socket_session.error), PAUSED, CLOSED, or an error: E_CONNECT or E_ADDRESS
 * (the connect cycle gave up; the client is idle again and the next pump
 * starts a new cycle), E_DECODE (the session was closed; with `reconnect` the
 * next pump starts a new cycle), E_CALLBACK (the client is closed), E_IO
 * (creating a socket failed; idle again). Not from a callback (E_USAGE).
 *
 * Event-loop use: after every pump, wait for elog_socket_events() on
 * elog_socket_fd() (which can change between calls: re-register it), or for
 * elog_socket_timeout_ms(), whichever comes first, then pump again. */
ELOG_API elog_socket_status elog_socket_pump(elog_socket *s);

/* The descriptor to wait on, or -1 when there is none (waiting between
 * attempts, or closed). Non-blocking; owned by the client: do not read,
 * write or close it. */
ELOG_API int elog_socket_fd(const elog_socket *s);

/* poll(2) events to wait for on elog_socket_fd(): POLLIN when connected,
 * POLLOUT while a TCP connect is in progress, 0 when there is no fd. */
ELOG_API short elog_socket_events(const elog_socket *s);

/* Milliseconds until pump must be called even if the fd is not ready: 0 if
 * it can make progress now (a pause was just resumed, the budget was used up,
 * an attempt is due), the time until the next connect attempt or attempt
 * timeout, or -1 for no deadline. */
ELOG_API int elog_socket_timeout_ms(const elog_socket *s);

/* Blocks, pumping, until the client is closed (returns EOF when the last
 * session ended without `reconnect`, CLOSED if it already was), a callback
 * pauses (PAUSED) or aborts, an error occurs, `*stop` becomes nonzero
 * (STOPPED; `stop` may be NULL; checked after every pump and at least every
 * 100 ms, and a signal interrupts the wait at once), or `timeout_ms` elapse
 * (TIMEOUT; -1 for none). With `reconnect`, session ends do not return.
 * Not from a callback. */
ELOG_API elog_socket_status elog_socket_run(elog_socket *s, const volatile sig_atomic_t *stop,
                                            int timeout_ms);

/* Blocks until connected (returns OK at once if already), running one
 * connect cycle with its retries: OK, E_CONNECT, E_ADDRESS, E_IO, CLOSED.
 * on_connected runs; no bytes are read. Not from a callback (E_USAGE). */
ELOG_API elog_socket_status elog_socket_connect(elog_socket *s);

/* elog_socket_connect(), but returns ELOG_SOCKET_TIMEOUT once `timeout_ms`
 * passed without the cycle being over (-1: no limit, as connect); the cycle
 * goes on from where it was at the next call (its retry delays and
 * max_wait_ms are unchanged). For callers that must regain control often,
 * e.g. to handle a signal: call it in a loop with a small timeout. */
ELOG_API elog_socket_status elog_socket_connect_for(elog_socket *s, int timeout_ms);

/* Ends the current session as if the server had closed it (on_disconnected
 * runs with the end of what was received) and closes the client: no
 * reconnect. From a callback it takes effect when the callback returns (a
 * decoder callback's CONTINUE then counts as PAUSE, so no further event is
 * delivered). Returns OK (CLOSED if already closed). */
ELOG_API elog_socket_status elog_socket_close(elog_socket *s);

/* Sends one control frame to the server. Validates first: an invalid
 * namespace or id returns E_ARG (message set) and sends nothing. The frame is
 * built in one buffer and written whole (retrying on EINTR and, waiting up to
 * send_timeout_ms, while the socket buffer is full). Returns OK, E_ARG,
 * E_USAGE (not connected), or E_IO (the write failed, or timed out; if part
 * of the frame was sent, the server would misread what follows, so the
 * sending side of the connection is shut down: no further command can be
 * sent in this session, which ends when the server closes). Safe from
 * callbacks. */
ELOG_API elog_socket_status elog_socket_send_control(elog_socket *s, const void *ns, size_t ns_len,
                                                     unsigned id);

/* elog_socket_send_control() of elog_control_parse_command(text): a
 * built-in name ("request-heap-census", "requestHeapCensus") or
 * "NAMESPACE:ID". Safe from callbacks. */
ELOG_API elog_socket_status elog_socket_send_command(elog_socket *s, const char *text);

typedef enum elog_socket_state {
    ELOG_SOCKET_STATE_IDLE,        /* created, no attempt yet */
    ELOG_SOCKET_STATE_WAITING,     /* between connect attempts */
    ELOG_SOCKET_STATE_CONNECTING,  /* a TCP connect is in progress */
    ELOG_SOCKET_STATE_CONNECTED,   /* a session is running */
    ELOG_SOCKET_STATE_CLOSED       /* closed: no more sessions */
} elog_socket_state;

/* Accessors, all safe from callbacks. */
ELOG_API elog_socket_state elog_socket_get_state(const elog_socket *s);
/* The latest session (current, or the one that just ended); NULL before the
 * first connection. Owned by the client. */
ELOG_API const elog_socket_session *elog_socket_get_session(const elog_socket *s);
/* The decoder the client feeds. Use it for elog_get_header(),
 * elog_get_error_reason(), ...; do not execute, finish or reset it. */
ELOG_API elog_decoder *elog_socket_decoder(elog_socket *s);
/* The client that owns `d`, for use inside decoder callbacks. `d` must be
 * the decoder of an elog_socket. */
ELOG_API elog_socket *elog_socket_from_decoder(elog_decoder *d);
ELOG_API void *elog_socket_data(const elog_socket *s);
ELOG_API const elog_socket_addr *elog_socket_address(const elog_socket *s);
/* A sentence about the last error ("" if none; never NULL), and its errno
 * (0 if none or not a system error). Valid until the next call that fails. */
ELOG_API const char *elog_socket_error_message(const elog_socket *s);
ELOG_API int elog_socket_errno(const elog_socket *s);

#ifdef __cplusplus
}
#endif

#endif /* ELOG_SOCKET_H */
