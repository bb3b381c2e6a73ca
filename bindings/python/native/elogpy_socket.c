/*
 * The eventlog-socket client for the Python binding (appended to elogpy.c by
 * build_ffi.py when the C library has include/eventlog/socket.h). The client's
 * decoder runs the records-mode callbacks of an elogpy_state (its settings,
 * with the state as d->data), so events are batched exactly as for a file;
 * the session callbacks go to Python (they run once per session, not per
 * event).
 */
#include <eventlog/socket.h>

typedef struct elogpy_flag {
    volatile sig_atomic_t value;
} elogpy_flag;

/* Implemented in Python (@ffi.def_extern). */
static void elogpy_py_connected(elog_socket *s, const elog_socket_session *ss);
static void elogpy_py_disconnected(elog_socket *s, const elog_socket_session *ss,
                                   const elog_end *end);
static void elogpy_py_gap(elog_socket *s, const elog_socket_gap *gap);
static void elogpy_py_skipped(elog_socket *s, const elog_socket_session *ss, uint64_t bytes);

/* The client keeps a copy of its settings: its event callback looks up the
 * state's at each event, so that a tee (conn.analysis()) or a window put in
 * front of it after the client was created is used. */
static int elogpy_socket_event(elog_decoder *d, const elog_event *ev)
{
    elogpy_state *st = d->data;
    return st->settings.on_event(d, ev);
}

/* A client feeding the records-mode decoder settings of `st` (elogpy_init'ed),
 * with the Python session callbacks. NULL if out of memory or an option is
 * out of range. */
static elog_socket *elogpy_socket_new(elogpy_state *st, const elog_socket_addr *addr,
                                      elog_socket_options *o)
{
    o->on_connected = elogpy_py_connected;
    o->on_disconnected = elogpy_py_disconnected;
    o->on_gap = elogpy_py_gap;
    o->on_skipped = elogpy_py_skipped;
    elog_settings settings = st->settings; /* copied by the client */
    settings.on_event = elogpy_socket_event;
    return elog_socket_new(addr, o, &settings, st);
}

static void elogpy_flag_set(elogpy_flag *f, int v)
{
    f->value = v;
}

static elog_socket_status elogpy_socket_run(elog_socket *s, elogpy_flag *stop, int timeout_ms)
{
    return elog_socket_run(s, &stop->value, timeout_ms);
}
