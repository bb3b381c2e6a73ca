/*
 * The library's one status space (elog_status in eventlog.h): the name and
 * the sentence of every value, in one table so that a new status cannot get
 * one without the other (tests/test_status.c walks every value).
 */
#include <stddef.h>

#include "eventlog.h"
#include "eventlog/reader.h"
#include "eventlog/socket.h"

typedef struct status_text {
    elog_status status;
    const char *name;
    const char *sentence;
} status_text;

#define S(v, text) {v, #v, text}

static const status_text statuses[] = {
    S(ELOG_OK, "success (no error)"),
    S(ELOG_PAUSED, "a callback paused the decoder: call elog_resume() and feed the rest"),
    S(ELOG_NEED_MORE, "the record is incomplete: more bytes are needed to decode it"),
    S(ELOG_E_NOT_EVENTLOG, "the input is not a GHC eventlog (it does not start with \"hdrb\"): "
                           "check the file name, or that -l was given to the program's RTS"),
    S(ELOG_E_BAD_HEADER, "the eventlog's header is malformed: the file is corrupt"),
    S(ELOG_E_LIMIT, "the eventlog's header exceeds a limit (elog_settings.max_header_bytes): "
                    "raise the limit if the file is trusted"),
    S(ELOG_E_UNDECLARED, "an event's id is not declared in the header: the data are corrupt"),
    S(ELOG_E_BAD_EVENT, "an event's fields overrun its length: the data are corrupt"),
    S(ELOG_E_BAD_BLOCK, "a block marker disagrees with the events it holds: the data are "
                        "corrupt (ELOG_OPT_LENIENT_BLOCKS accepts such blocks)"),
    S(ELOG_E_CALLBACK, "a callback stopped decoding (it returned ELOG_CB_ABORT)"),
    S(ELOG_E_NOMEM, "out of memory: the allocator failed"),
    S(ELOG_E_USAGE, "API misuse: the call is not allowed in the decoder's state (after "
                    "elog_finish(), from a callback, while paused)"),

    S(ELOG_READER_PAUSED, "a decoder callback paused the reader: call elog_reader_run() again"),
    S(ELOG_READER_E_DECODE, "the decoder stopped at an error in the input (elog_get_error() "
                            "says what and where)"),
    S(ELOG_READER_E_IO, "reading the input failed (open, stat or read), or a followed file "
                        "shrank: check the path and permissions"),
    S(ELOG_READER_E_GZIP, "the compressed input (gzip, zstd or xz) is corrupt or needs more "
                          "memory than the reader's limits"),
    S(ELOG_READER_E_NOMEM, "out of memory in the reader: the allocator failed"),
    S(ELOG_READER_E_USAGE, "reader API misuse (elog_reader_error() says which)"),

    S(ELOG_SOCKET_WOULD_BLOCK, "nothing to do until the socket is ready: poll "
                               "elog_socket_fd() for elog_socket_events()"),
    S(ELOG_SOCKET_EOF, "the eventlog-socket session ended"),
    S(ELOG_SOCKET_PAUSED, "a decoder callback paused the socket client: pump or run again "
                          "to resume"),
    S(ELOG_SOCKET_STOPPED, "the socket client was stopped by its stop flag"),
    S(ELOG_SOCKET_TIMEOUT, "the socket client's timeout elapsed"),
    S(ELOG_SOCKET_CLOSED, "the socket client is closed: nothing more will happen"),
    S(ELOG_SOCKET_E_ADDRESS, "the socket address is malformed or its host is unknown (expected "
                             "unix:PATH or tcp:HOST:PORT)"),
    S(ELOG_SOCKET_E_CONNECT, "could not connect to the eventlog socket within the retry "
                             "limits: is the program running with eventlog-socket?"),
    S(ELOG_SOCKET_E_IO, "a socket call failed (elog_socket_error_message() says which)"),
    S(ELOG_SOCKET_E_DECODE, "the decoder stopped at an error in the socket's stream; the "
                            "session was closed (elog_socket_decoder() has details)"),
    S(ELOG_SOCKET_E_CALLBACK, "a decoder callback stopped the socket client (it returned "
                              "ELOG_CB_ABORT); the client is closed"),
    S(ELOG_SOCKET_E_ARG, "an invalid argument to the socket client; nothing was done or sent"),
    S(ELOG_SOCKET_E_NOMEM, "out of memory in the socket client: the allocator failed"),
    S(ELOG_SOCKET_E_USAGE, "socket API misuse: not connected, or called from a callback"),

    S(ELOG_CONTROL_E_EMPTY_NAMESPACE, "the namespace is empty (1 to 255 bytes expected)"),
    S(ELOG_CONTROL_E_LONG_NAMESPACE, "the namespace is longer than 255 bytes"),
    S(ELOG_CONTROL_E_BAD_ID, "the command id is outside 1..255"),
    S(ELOG_CONTROL_E_NO_ROOM, "the buffer is too small for the frame"),
    S(ELOG_CONTROL_E_UNKNOWN_COMMAND,
      "unknown command (expected start-profiling, stop-profiling, start-heap-profiling, "
      "stop-heap-profiling, request-heap-census, or NAMESPACE:ID)"),
    S(ELOG_CONTROL_E_SYNTAX, "malformed command id in NAMESPACE:ID (a decimal number 1..255 "
                             "expected)"),
};

#undef S

static const status_text *find(int status)
{
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if ((int)statuses[i].status == status)
            return &statuses[i];
    return NULL;
}

const char *elog_strerror(int status)
{
    const status_text *t = find(status);
    return t ? t->sentence : "unknown libeventlog status (a newer library's value?)";
}

const char *elog_status_name(elog_status s)
{
    const status_text *t = find((int)s);
    return t ? t->name : "ELOG_UNKNOWN_STATUS";
}

const char *elog_reader_status_name(elog_reader_status s)
{
    return elog_status_name(s);
}

const char *elog_socket_status_name(elog_socket_status st)
{
    return elog_status_name(st);
}

const char *elog_control_error_message(elog_control_error e)
{
    return elog_strerror(e);
}
