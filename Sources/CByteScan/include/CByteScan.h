#ifndef SWITCHYARD_CBYTESCAN_H
#define SWITCHYARD_CBYTESCAN_H
/* Byte scans on the request's way that Swift's SIMD types compile lane by lane: sixteen bytes a
   step with SSE2 where the target has it, eight a step otherwise (the word tests `JSONStringWord`
   uses too). `static inline`, so that Swift compiles them into the loops that call them. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The offset in bytes[0 ..< count] of the first control byte (below 0x20, or DEL), or count when
   there is none. In a head every line ends at one (CR), and nothing else on a line should be one. */
static inline size_t switchyard_first_control(const uint8_t *bytes, size_t count) {
    size_t index = 0;
#if defined(__SSE2__)
    const __m128i highestControl = _mm_set1_epi8(0x1F);
    const __m128i del = _mm_set1_epi8(0x7F);
    for (; index + 16 <= count; index += 16) {
        __m128i chunk = _mm_loadu_si128((const __m128i *)(bytes + index));
        /* max(byte, 0x1F) == 0x1F exactly for the bytes up to 0x1F, unsigned. */
        __m128i controls = _mm_or_si128(_mm_cmpeq_epi8(_mm_max_epu8(chunk, highestControl), highestControl),
                                        _mm_cmpeq_epi8(chunk, del));
        unsigned mask = (unsigned)_mm_movemask_epi8(controls);
        if (mask != 0) return index + (size_t)__builtin_ctz(mask);
    }
#endif
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    for (; index + 8 <= count; index += 8) {
        uint64_t word;
        memcpy(&word, bytes + index, 8); /* an unaligned load */
        /* A byte's high bit set where it is below 0x20 or DEL ("Bit Twiddling Hacks": hasless(x,
           0x20) | haszero(x ^ 0x7F...)); exact for the first one, which is all that is read (a
           borrow carries only past a byte that is itself one). Little-endian: x86_64, arm64. */
        uint64_t below = (word - ones * 0x20) & ~word & highs;
        uint64_t xored = word ^ (ones * 0x7F);
        uint64_t isDel = (xored - ones) & ~xored & highs;
        uint64_t found = below | isDel;
        if (found != 0) return index + (size_t)(__builtin_ctzll(found) >> 3);
    }
    for (; index < count; index++) {
        if (bytes[index] < 0x20 || bytes[index] == 0x7F) return index;
    }
    return count;
}

#endif
