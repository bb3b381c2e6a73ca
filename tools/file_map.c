/*
 * Read-only views of a file through mmap(2), for the first pass of the
 * sorted `show` on a large regular file: the kernel then copies nothing
 * (read(2) and pread(2) copy every byte out of the page cache, a sixth of the
 * CPU time of `show` on a heap-profile log).
 *
 * Two things come with a mapping and are handled here:
 *  - Memory. Every page touched through a mapping counts in the resident set
 *    until it is unmapped, so the callers give back what they are done with
 *    (cli_map_drop: MADV_DONTNEED, which for a read-only file mapping only
 *    drops our page-table entries; touching the range again faults the same
 *    bytes back in from the page cache, so dropping too much is never wrong).
 *  - A file that shrinks while mapped. Touching a page past its new end
 *    raises SIGBUS instead of a short read. The handler says which file and
 *    exits, as a short pread would have ended the command with an error.
 */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t page_size(void)
{
    static size_t page;
    if (page == 0) {
        long p = sysconf(_SC_PAGESIZE);
        page = p > 0 ? (size_t)p : 4096;
    }
    return page;
}

/* The name of the mapped file, for the SIGBUS message (one at a time: the
 * sorted `show` maps one input). */
static char bus_message[512];
static size_t bus_message_len;
static unsigned maps_open;
static struct sigaction old_bus;

static void on_sigbus(int sig)
{
    (void)sig;
    ssize_t w = write(2, bus_message, bus_message_len);
    (void)w;
    _exit(CLI_EXIT_BAD_INPUT);
}

static void arm_sigbus(const char *name)
{
    int n = snprintf(bus_message, sizeof bus_message,
                     CLI_NAME ": %s: file shrank while being read (SIGBUS on a mapped "
                     "page)\n",
                     name);
    bus_message_len = n < 0 ? 0 : (size_t)n < sizeof bus_message ? (size_t)n : sizeof bus_message - 1;
    if (maps_open++ > 0)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigbus;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGBUS, &sa, &old_bus);
}

bool cli_map_open(cli_map *m, int fd, uint64_t base, uint64_t len, const char *name)
{
    memset(m, 0, sizeof *m);
    if (len == 0 || base > UINT64_MAX - len || base + len > SIZE_MAX)
        return false;
    /* mmap wants a page-aligned file offset: map from the page holding base. */
    uint64_t start = base & ~(uint64_t)(page_size() - 1);
    size_t size = (size_t)(base + len - start);
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, (off_t)start);
    if (p == MAP_FAILED)
        return false;
    m->addr = p;
    m->size = size;
    m->data = (const uint8_t *)p + (base - start);
    m->len = len;
    arm_sigbus(name);
    return true;
}

uint64_t cli_map_drop(cli_map *m, uint64_t from, uint64_t to)
{
    if (m->addr == NULL || to > m->len || from >= to)
        return from;
    /* The whole pages in [from, to): the page holding `to` may still be
     * read, and is dropped by the next call, which starts where this one
     * stopped. */
    uintptr_t page = page_size();
    uintptr_t a = (uintptr_t)(m->data + from), z = (uintptr_t)(m->data + to);
    a &= ~(page - 1);
    z &= ~(page - 1);
    if (a < (uintptr_t)m->addr)
        a = (uintptr_t)m->addr;
    if (a >= z)
        return from;
    (void)madvise((void *)a, z - a, MADV_DONTNEED);
    return (uint64_t)((const uint8_t *)z - m->data);
}

void cli_map_close(cli_map *m)
{
    if (m->addr == NULL)
        return;
    munmap(m->addr, m->size);
    m->addr = NULL;
    m->data = NULL;
    if (--maps_open == 0)
        (void)sigaction(SIGBUS, &old_bus, NULL);
}
