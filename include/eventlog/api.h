/*
 * ELOG_API marks the functions that make up libeventlog's ABI. The library is
 * compiled with hidden visibility (meson: gnu_symbol_visibility 'hidden'), so
 * only functions declared with ELOG_API in the public headers are exported
 * from libeventlog.so; internal helpers stay private to it and can change in
 * any release. A program linking the static libeventlog.a needs nothing
 * special (visibility does not matter to a static link). On Windows, define
 * ELOG_STATIC when linking the static library; ELOG_BUILDING is defined by
 * the library's own build.
 */
#ifndef ELOG_API_H
#define ELOG_API_H

#if defined(_WIN32) || defined(__CYGWIN__)
#  if defined(ELOG_STATIC)
#    define ELOG_API
#  elif defined(ELOG_BUILDING)
#    define ELOG_API __declspec(dllexport)
#  else
#    define ELOG_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define ELOG_API __attribute__((visibility("default")))
#else
#  define ELOG_API
#endif

#endif
