/*
 * The trivial-consumer baseline of bench/run.sh (not a test): reads FILE in
 * 1 MiB read(2) calls and sums its bytes, i.e. the least any program that
 * looks at every byte of the file must do. Prints the sum (so the loop cannot
 * be optimised away) and the byte count:
 *
 *   byte_loop FILE [OFFSET]   ->  "sum=N bytes=N"
 *
 * OFFSET (default 0, below 4096) places the buffer that many bytes past a
 * page boundary: 16 is where glibc's malloc puts a 1 MiB block, which makes
 * read(2) several times slower on some CPUs (see the comment on buf).
 *
 * Timed from outside (bench/runstat), like `cat FILE > /dev/null`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1u << 20)

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: byte_loop FILE [OFFSET]\n");
        return 2;
    }
    size_t offset = argc == 3 ? strtoul(argv[2], NULL, 10) : 0;
    if (offset >= 4096) {
        fprintf(stderr, "byte_loop: OFFSET must be below 4096\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "byte_loop: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    /* Page-aligned: on this project's AMD EPYC (Zen 3) machines read(2) into a
     * buffer 1-31 bytes past a page boundary (where malloc puts a 1 MiB
     * block) copies 4-5x slower; the floor is the fast case. */
    static _Alignas(4096) uint8_t area[CHUNK + 4096];
    uint8_t *buf = area + offset;
    uint64_t sum = 0, total = 0;
    for (;;) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "byte_loop: %s: %s\n", argv[1], strerror(errno));
            return 1;
        }
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            sum += buf[i];
        total += (uint64_t)n;
    }
    close(fd);
    printf("sum=%llu bytes=%llu\n", (unsigned long long)sum, (unsigned long long)total);
    return 0;
}
