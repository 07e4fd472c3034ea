#ifndef SWITCHYARD_CBYTESCAN_H
#define SWITCHYARD_CBYTESCAN_H
/* Byte scans on the request's way that Swift's SIMD types compile lane by lane: sixteen bytes a
   step with SSE2 where the target has it, eight a step otherwise (word tests; the control bytes'
   is the one `JSONStringWord` uses too), then byte by byte: the head's lines and field names, and
   whether a JSON string the writer copies needs escaping. `static inline`, so that Swift compiles
   them into the loops that call them. */
#include <stdbool.h>
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

/* The offset in bytes[0 ..< count] of the first byte that is not a letter, a digit or `-`, or count:
   where a field name's usual run ends (at its colon, or at one of `tchar`'s rarer characters, which
   the caller reads on byte by byte). */
static inline size_t switchyard_name_run_end(const uint8_t *bytes, size_t count) {
    size_t index = 0;
#if defined(__SSE2__)
    /* Signed comparisons: a byte from 0x80 up is negative, so it passes none of the lower bounds. */
    const __m128i caseBit = _mm_set1_epi8(0x20);
    const __m128i beforeLowerA = _mm_set1_epi8(0x60), afterLowerZ = _mm_set1_epi8(0x7B);
    const __m128i beforeZero = _mm_set1_epi8(0x2F), afterNine = _mm_set1_epi8(0x3A);
    const __m128i dash = _mm_set1_epi8(0x2D);
    for (; index + 16 <= count; index += 16) {
        __m128i chunk = _mm_loadu_si128((const __m128i *)(bytes + index));
        /* A letter of either case is a lowercase letter with 0x20 set; nothing else below 0x80 is. */
        __m128i folded = _mm_or_si128(chunk, caseBit);
        __m128i letters = _mm_and_si128(_mm_cmpgt_epi8(folded, beforeLowerA), _mm_cmplt_epi8(folded, afterLowerZ));
        __m128i digits = _mm_and_si128(_mm_cmpgt_epi8(chunk, beforeZero), _mm_cmplt_epi8(chunk, afterNine));
        __m128i usual = _mm_or_si128(_mm_or_si128(letters, digits), _mm_cmpeq_epi8(chunk, dash));
        unsigned others = ~(unsigned)_mm_movemask_epi8(usual) & 0xFFFFu;
        if (others != 0) return index + (size_t)__builtin_ctz(others);
    }
#endif
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    for (; index + 8 <= count; index += 8) {
        uint64_t word;
        memcpy(&word, bytes + index, 8); /* an unaligned load */
        /* Exact in every byte: the high bits are cleared before the range tests, so no sum carries
           or borrows into the next byte. `lo <= b <= hi` for a byte below 0x80: b + (0x80 - lo)
           reaches the high bit, b + (0x7F - hi) doesn't. */
        uint64_t low7 = word & ~highs, folded = low7 | ones * 0x20;
        uint64_t letters = (folded + ones * (0x80 - 0x61)) & ~(folded + ones * (0x7F - 0x7A)) & highs;
        uint64_t digits = (low7 + ones * (0x80 - 0x30)) & ~(low7 + ones * (0x7F - 0x39)) & highs;
        uint64_t dashes = (low7 + ones * (0x80 - 0x2D)) & ~(low7 + ones * (0x7F - 0x2D)) & highs;
        uint64_t others = (~(letters | digits | dashes) | word) & highs;
        if (others != 0) return index + (size_t)(__builtin_ctzll(others) >> 3);
    }
    for (; index < count; index++) {
        uint8_t byte = bytes[index], folded = byte | 0x20;
        if (!((folded >= 'a' && folded <= 'z') || (byte >= '0' && byte <= '9') || byte == '-')) return index;
    }
    return count;
}

/* Whether any of the eight bytes of `word` can't stand in a JSON string as it is ("Bit Twiddling Hacks":
   hasless(word, 0x20) | haszero(word ^ each of '"', '\\' and DEL), a yes or no for the whole word). */
static inline bool switchyard_json_word_escapes(uint64_t word) {
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t quote = word ^ (ones * 0x22), backslash = word ^ (ones * 0x5C), del = word ^ (ones * 0x7F);
    return ((((word - ones * 0x20) & ~word) | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash)
             | ((del - ones) & ~del)) & highs) != 0;
}

#if defined(__SSE2__)
/* The same for sixteen bytes: max(byte, 0x1F) == 0x1F exactly for the bytes up to 0x1F, unsigned. */
static inline bool switchyard_json_chunk_escapes(__m128i chunk) {
    const __m128i highestControl = _mm_set1_epi8(0x1F);
    __m128i found = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(chunk, _mm_set1_epi8(0x22)), _mm_cmpeq_epi8(chunk, _mm_set1_epi8(0x5C))),
        _mm_or_si128(_mm_cmpeq_epi8(chunk, _mm_set1_epi8(0x7F)),
                     _mm_cmpeq_epi8(_mm_max_epu8(chunk, highestControl), highestControl)));
    return _mm_movemask_epi8(found) != 0;
}
#endif

/* Whether any byte of bytes[0 ..< count] can't stand in a JSON string as it is: a quote, a backslash,
   a control character (below 0x20) or DEL (which the writer escapes too). A yes or no for the whole
   text, not a position, so loads may overlap and a byte be tested twice: with SSE2, text of 8 to 15
   bytes (most of a device document's values) is its first and last eight bytes as one sixteen-byte
   chunk, longer text its whole chunks and then its last sixteen bytes; without, words the same way.
   Below 8 bytes, the first and last four, or the first, middle and last byte over letters. No byte
   outside the text is read. Always inlined: left to itself, LLVM called it from the writer's staged
   copy of every member (callgrind: 119 and 216 instructions a control-center and a gate request). */
__attribute__((always_inline)) static inline bool switchyard_json_needs_escape(const uint8_t *bytes, size_t count) {
    if (count >= 8) {
        uint64_t word;
#if defined(__SSE2__)
        if (count < 16) {
            uint64_t last;
            memcpy(&word, bytes, 8); /* unaligned loads */
            memcpy(&last, bytes + count - 8, 8);
            return switchyard_json_chunk_escapes(_mm_set_epi64x((long long)last, (long long)word));
        }
        for (size_t index = 0; index + 16 < count; index += 16) {
            if (switchyard_json_chunk_escapes(_mm_loadu_si128((const __m128i *)(bytes + index)))) return true;
        }
        return switchyard_json_chunk_escapes(_mm_loadu_si128((const __m128i *)(bytes + count - 16)));
#else
        for (size_t index = 0; index + 8 < count; index += 8) {
            memcpy(&word, bytes + index, 8);
            if (switchyard_json_word_escapes(word)) return true;
        }
        memcpy(&word, bytes + count - 8, 8);
        return switchyard_json_word_escapes(word);
#endif
    }
    if (count >= 4) {
        uint32_t first, last;
        memcpy(&first, bytes, 4);
        memcpy(&last, bytes + count - 4, 4);
        return switchyard_json_word_escapes((uint64_t)first | (uint64_t)last << 32);
    }
    if (count == 0) return false;
    return switchyard_json_word_escapes(0x6161616161000000ull | (uint64_t)bytes[0] | (uint64_t)bytes[count / 2] << 8
                                        | (uint64_t)bytes[count - 1] << 16);
}

#endif
