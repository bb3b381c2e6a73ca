/*
 * LD_PRELOAD shim for tests/show_shrink.sh: truncates the file named by
 * $ELOG_TEST_SHRINK_ON_MMAP to nothing right after the program maps a file
 * read-only, so that the program's first touch of the mapping meets a file
 * that shrank under it (SIGBUS), at a known point rather than by timing.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    static void *(*real)(void *, size_t, int, int, int, off_t);
    if (real == NULL)
        real = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
    void *p = real(addr, len, prot, flags, fd, off);
    const char *path = getenv("ELOG_TEST_SHRINK_ON_MMAP");
    if (p != MAP_FAILED && path != NULL && fd >= 0 && prot == PROT_READ &&
        !(flags & MAP_ANONYMOUS) && truncate(path, 0) != 0)
        _exit(99);
    return p;
}
