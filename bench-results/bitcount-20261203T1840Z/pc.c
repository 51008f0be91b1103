#include <stdint.h>
#include <stddef.h>
uint64_t pc4(const uint64_t *p, size_t n) {
    uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0; size_t i = 0;
    for (; i + 4 <= n; i += 4) { c0 += __builtin_popcountll(p[i]); c1 += __builtin_popcountll(p[i+1]); c2 += __builtin_popcountll(p[i+2]); c3 += __builtin_popcountll(p[i+3]); }
    for (; i < n; i++) c0 += __builtin_popcountll(p[i]);
    return c0 + c1 + c2 + c3;
}
#include <immintrin.h>
__attribute__((target("avx2"))) uint64_t pcavx(const uint64_t *p, size_t n) {
    const __m256i lut = _mm256_setr_epi8(0,1,1,2,1,2,2,3,1,2,2,3,2,3,3,4, 0,1,1,2,1,2,2,3,1,2,2,3,2,3,3,4);
    const __m256i low = _mm256_set1_epi8(0x0f);
    __m256i acc = _mm256_setzero_si256();
    size_t i = 0;
    while (i + 4 <= n) {
        __m256i local = _mm256_setzero_si256();
        size_t stop = i + 4 * 31; if (stop > n - (n - i) % 4) stop = n - (n - i) % 4; /* at most 31 rounds: bytes stay < 256 */
        for (; i < stop; i += 4) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(p + i));
            __m256i lo = _mm256_and_si256(v, low), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
            local = _mm256_add_epi8(local, _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi)));
        }
        acc = _mm256_add_epi64(acc, _mm256_sad_epu8(local, _mm256_setzero_si256()));
    }
    uint64_t c = (uint64_t)_mm256_extract_epi64(acc,0) + (uint64_t)_mm256_extract_epi64(acc,1) + (uint64_t)_mm256_extract_epi64(acc,2) + (uint64_t)_mm256_extract_epi64(acc,3);
    for (; i < n; i++) c += __builtin_popcountll(p[i]);
    return c;
}
