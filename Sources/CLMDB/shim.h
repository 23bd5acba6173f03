#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* CRC-32C with the SSE 4.2 instruction: the log's per-record checksum, checked on every read.
   Kept here, beside LMDB, so the storage module stays the only one that touches C. The
   software slicing-by-8 in CRC32C.swift is the fallback and the reference in the tests. */
#if defined(__x86_64__)
#include <cpuid.h>

static inline int callledger_crc32c_hw_available(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    return (c & bit_SSE4_2) != 0;
}

__attribute__((target("sse4.2")))
static inline uint32_t callledger_crc32c_hw(uint32_t crc, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    uint64_t c = (uint32_t)~crc;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n > 0) {
        c32 = __builtin_ia32_crc32qi(c32, *p);
        p++;
        n--;
    }
    return ~c32;
}
#else
static inline int callledger_crc32c_hw_available(void) { return 0; }
static inline uint32_t callledger_crc32c_hw(uint32_t crc, const void *data, size_t n) { (void)data; (void)n; return crc; }
#endif
