/*
 * The library's one status space (elog_status, include/eventlog.h): every
 * enumerator — the list is generated from the header, so a new one is
 * checked too — has a value no other enumerator has, a name that is its own
 * spelling, and a sentence from elog_strerror() that is not the text for
 * unknown values. The modules' old names are the same values and types.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "eventlog.h"
#include "eventlog/reader.h"
#include "eventlog/socket.h"

typedef struct entry {
    int value;
    const char *name;
} entry;

static const entry all[] = {
#define X(n) {n, #n},
#include "status_list.h"
#undef X
};
enum { N_ALL = sizeof all / sizeof all[0] };

static void test_values_distinct(void **state)
{
    (void)state;
    assert_true(N_ALL >= 30);
    for (size_t i = 0; i < N_ALL; i++)
        for (size_t j = i + 1; j < N_ALL; j++)
            if (all[i].value == all[j].value)
                fail_msg("%s and %s are both %d", all[i].name, all[j].name, all[i].value);
}

static void test_every_value_described(void **state)
{
    (void)state;
    const char *unknown = elog_strerror(-12345);
    assert_non_null(unknown);
    assert_true(strlen(unknown) > 0);
    for (size_t i = 0; i < N_ALL; i++) {
        const char *s = elog_strerror(all[i].value);
        assert_non_null(s);
        if (strlen(s) < 10 || strcmp(s, unknown) == 0)
            fail_msg("elog_strerror(%s) = \"%s\"", all[i].name, s);
        if (strcmp(elog_status_name((elog_status)all[i].value), all[i].name) != 0)
            fail_msg("elog_status_name(%s) = \"%s\"", all[i].name,
                     elog_status_name((elog_status)all[i].value));
        /* the sentences differ too: each says something of its own */
        for (size_t j = 0; j < i; j++)
            if (strcmp(s, elog_strerror(all[j].value)) == 0)
                fail_msg("%s and %s share the sentence \"%s\"", all[i].name, all[j].name, s);
    }
    assert_string_equal(elog_status_name((elog_status)9999), "ELOG_UNKNOWN_STATUS");
}

/* The modules' names for success are ELOG_OK, their types are elog_status,
 * and the alias functions agree with the one table. */
static void test_module_aliases(void **state)
{
    (void)state;
    assert_int_equal(ELOG_READER_OK, ELOG_OK);
    assert_int_equal(ELOG_SOCKET_OK, ELOG_OK);
    assert_int_equal(ELOG_CONTROL_OK, ELOG_OK);
    elog_reader_status r = ELOG_READER_E_GZIP;
    elog_socket_status s = ELOG_SOCKET_E_CONNECT;
    elog_control_error c = ELOG_CONTROL_E_SYNTAX;
    elog_status *p = &r; /* the same type: no conversion */
    assert_int_equal(*p, ELOG_READER_E_GZIP);
    assert_string_equal(elog_reader_status_name(r), "ELOG_READER_E_GZIP");
    assert_string_equal(elog_socket_status_name(s), "ELOG_SOCKET_E_CONNECT");
    assert_string_equal(elog_control_error_message(c), elog_strerror(c));
    assert_non_null(strstr(elog_strerror(ELOG_CONTROL_E_EMPTY_NAMESPACE), "namespace is empty"));
    /* module ranges: a value says which module it came from */
    assert_true(ELOG_E_USAGE < 100);
    assert_true(ELOG_READER_PAUSED > 100 && ELOG_READER_E_USAGE < 200);
    assert_true(ELOG_SOCKET_WOULD_BLOCK > 200 && ELOG_SOCKET_E_USAGE < 300);
    assert_true(ELOG_CONTROL_E_EMPTY_NAMESPACE > 300);
}

/* A real failure's status, described: a reader on a missing file. */
static void test_real_failure(void **state)
{
    (void)state;
    elog_reader *rd = NULL;
    elog_status st = elog_reader_open(&rd, "/nonexistent/dir/x.eventlog", NULL);
    assert_int_equal(st, ELOG_READER_E_IO);
    assert_non_null(strstr(elog_strerror(st), "reading the input failed"));
    elog_reader_close(rd);
    elog_socket_addr a;
    char err[ELOG_SOCKET_ERRLEN];
    st = elog_socket_addr_parse(&a, "tcp:", err, sizeof err);
    assert_int_equal(st, ELOG_SOCKET_E_ADDRESS);
    assert_non_null(strstr(elog_strerror(st), "address"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_distinct),
        cmocka_unit_test(test_every_value_described),
        cmocka_unit_test(test_module_aliases),
        cmocka_unit_test(test_real_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
