#include "engine/index/code_kernels_vnni.h"

// GCC 12 warns inside its own avx512fintrin.h (_mm512_undefined_*); the
// warning is about the header, not this code.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#define METRICDB_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

namespace metricdb {
namespace {

// Blocks summed in the int32 lanes before a flush to 64 bits: a lane takes 4
// products a block, each below 2^15 (255 * 128), so 16 blocks stay far
// below 2^31.
constexpr size_t kFlushBlocks = 16;

// The 64 codes of 8-bit block b (`rest` >= 1 dimensions left), zero past dim.
METRICDB_VNNI inline __m512i Codes8(const uint8_t* code, size_t b, size_t rest) {
  if (rest >= 64) return _mm512_loadu_si512(code + b * 64);
  return _mm512_maskz_loadu_epi8((__mmask64(1) << rest) - 1, code + b * 64);
}

// The grid values (level << 3) of the 64 lanes of 4-bit block b in code
// order (low nibbles, then high ones), zero past the block's bytes (a block
// of 63 or 64 dimensions has 32).
METRICDB_VNNI inline __m512i Codes4(const uint8_t* code, size_t b, size_t rest) {
  const uint8_t* at = code + b * 32;
  const __m256i packed = rest >= 63
                             ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at))
                             : _mm256_maskz_loadu_epi8((__mmask32(1) << ((rest + 1) / 2)) - 1, at);
  const __m512i both = _mm512_broadcast_i64x4(packed);
  const __m512i split =
      _mm512_mask_blend_epi64(0xF0, _mm512_slli_epi16(both, 3), _mm512_srli_epi16(both, 1));
  return _mm512_and_si512(split, _mm512_set1_epi8(0x78));
}

template <bool kExcess>
METRICDB_VNNI int64_t Sq8Dots(const ByteQuery& q, const uint8_t* code, size_t dim) {
  const size_t blocks = (dim + 63) / 64;
  const int8_t* qq = q.q.data();
  const int8_t* e = q.excess.data();
  int64_t dot = 0;
  for (size_t b = 0; b < blocks;) {
    const size_t end = std::min(blocks, b + kFlushBlocks);
    __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
    for (; b < end; ++b) {
      const __m512i c = Codes8(code, b, dim - b * 64);
      __m512i& s = (b & 1) ? s1 : s0;  // two chains: dpbusd's latency overlaps
      s = _mm512_dpbusd_epi32(s, c, _mm512_loadu_si512(qq + b * 64));
      if (kExcess) s = _mm512_dpbusd_epi32(s, c, _mm512_loadu_si512(e + b * 64));
    }
    dot += _mm512_reduce_add_epi32(_mm512_add_epi32(s0, s1));
  }
  return dot;
}

template <bool kExcess>
METRICDB_VNNI int64_t Sq4Sums(const ByteQuery& q, const uint8_t* code, size_t dim,
                              int64_t* excess_dot) {
  const size_t blocks = (dim + 63) / 64;
  const int8_t* qq = q.q.data();
  const int8_t* e = q.excess.data();
  int64_t sum = 0, dot = 0;
  for (size_t b = 0; b < blocks;) {
    const size_t end = std::min(blocks, b + kFlushBlocks);
    __m512i s = _mm512_setzero_si512(), x = _mm512_setzero_si512();
    for (; b < end; ++b) {
      const __m512i c = Codes4(code, b, dim - b * 64);
      const __m512i d = _mm512_abs_epi8(_mm512_sub_epi8(c, _mm512_loadu_si512(qq + b * 64)));
      s = _mm512_dpbusd_epi32(s, d, d);
      if (kExcess) x = _mm512_dpbusd_epi32(x, c, _mm512_loadu_si512(e + b * 64));
    }
    sum += _mm512_reduce_add_epi32(s);
    if (kExcess) dot += _mm512_reduce_add_epi32(x);
  }
  *excess_dot = dot;
  return sum;
}

}  // namespace

int64_t L2Sq8Vnni(const ByteQuery& q, const uint8_t* code, size_t dim) {
  const int64_t dots =
      q.excess.empty() ? Sq8Dots<false>(q, code, dim) : Sq8Dots<true>(q, code, dim);
  int32_t trailer;
  std::memcpy(&trailer, code + dim, sizeof(trailer));
  return q.constant - 2 * dots + trailer;
}

int64_t L2Sq4Vnni(const ByteQuery& q, const uint8_t* code, size_t dim) {
  int64_t excess_dot = 0;
  const int64_t sum = q.excess.empty() ? Sq4Sums<false>(q, code, dim, &excess_dot)
                                       : Sq4Sums<true>(q, code, dim, &excess_dot);
  return sum + q.constant - 2 * excess_dot;
}

}  // namespace metricdb
