/* The running library's version (include/eventlog/version.h): compiled into
 * the library, so a program can tell which release it was actually loaded with. */
#include "eventlog/version.h"

const char *elog_version(void)
{
    return ELOG_VERSION_STRING;
}
