/* Helpers shared by the fuzz targets: chunking patterns and field hashing. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "eventlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Chunk sizes for a feed: fixed sizes 1, 2, 3, 7, 64, 4096 or a seeded
 * pseudo-random walk over 1..512. */
typedef struct fuzz_chunker {
    unsigned pattern;
    uint64_t state;
} fuzz_chunker;

void fuzz_chunker_init(fuzz_chunker *c, unsigned pattern, const uint8_t seed[8]);
size_t fuzz_chunker_next(fuzz_chunker *c, size_t left);

uint64_t fuzz_hash_bytes(const uint8_t *p, size_t n);

/* Hashes every typed field of ev (walks ev->layout->fields), reading every
 * byte of every slice so sanitizers catch bad pointers. */
uint64_t fuzz_hash_fields(const elog_event *ev);

#endif
