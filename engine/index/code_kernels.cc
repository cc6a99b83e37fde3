#include "engine/index/code_kernels.h"

// GCC 12 warns inside its own avx512fintrin.h (_mm512_undefined_ps); the
// warning is about the header, not this code.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <initializer_list>

#include "engine/index/code_kernels_vnni.h"
#include "engine/index/distance_kernels.h"

namespace metricdb {
namespace {

// Dimensions summed in 32 bits before a flush to 64: per 32-bit lane at most
// kFlushDims / 8 pair sums of 2 * 1023^2, far below 2^31.
constexpr size_t kFlushDims = 1024;

// The code layout (code_kernels.h), the one place it is written: calls
// f(d, byte, high) for every dimension d >= first_block * 64, with the byte
// holding it and, for 4-bit codes, whether in the high nibble; block by
// block, no division per dimension.
template <bool kFour, typename F>
inline void ForEachSlot(size_t dim, size_t first_block, F&& f) {
  if (!kFour) {
    for (size_t d = first_block * 64; d < dim; ++d) f(d, d, false);
    return;
  }
  for (size_t base = first_block * 64; base < dim; base += 64) {
    const size_t half = base + 64 <= dim ? 32 : (dim - base + 1) / 2;
    for (size_t j = 0; j < half; ++j) {
      f(base + j, base / 2 + j, false);
      if (base + half + j < dim) f(base + half + j, base / 2 + j, true);
    }
  }
}

// Calls f(d, c) for every dimension d >= first_block * 64 with its code's
// grid value c.
template <bool kFour, typename F>
inline void ForEachCode(const uint8_t* code, size_t dim, size_t first_block, F&& f) {
  constexpr int32_t kScale = CodeGridScale(kFour ? 4 : 8);
  ForEachSlot<kFour>(dim, first_block, [&](size_t d, size_t byte, bool high) {
    f(d,
      kScale * (high ? int32_t(code[byte] >> 4) : int32_t(kFour ? code[byte] & 0x0F : code[byte])));
  });
}

template <bool kFour>
int64_t L2Tail(const int16_t* a, const uint8_t* code, size_t dim, size_t first_block) {
  int64_t sum = 0;
  ForEachCode<kFour>(code, dim, first_block, [&](size_t d, int32_t c) {
    const int32_t diff = int32_t(a[d]) - c;
    sum += diff * diff;
  });
  return sum;
}

template <bool kFour>
float DotTail(const float* qs, const uint8_t* code, size_t dim, size_t first_block) {
  float sum = 0;
  ForEachCode<kFour>(code, dim, first_block, [&](size_t d, int32_t c) { sum += qs[d] * float(c); });
  return sum;
}

// Portable code (auto-vectorised where the compiler can).
template <bool kFour>
int64_t L2Generic(const int16_t* a, const uint8_t* code, size_t dim) {
  return L2Tail<kFour>(a, code, dim, 0);
}

template <bool kFour>
float DotGeneric(const float* qs, const uint8_t* code, size_t dim) {
  return DotTail<kFour>(qs, code, dim, 0);
}

// The grid values of the 64 dimensions of full block b as two runs of 32
// bytes, in dimension order (4 bits: level << 3, at most 120).
template <bool kFour>
__attribute__((target("avx2"))) inline void Block64(const uint8_t* code, size_t b, __m256i* lo,
                                                    __m256i* hi) {
  if (!kFour) {
    *lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(code + b * 64));
    *hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(code + b * 64 + 32));
    return;
  }
  const __m256i packed = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(code + b * 32));
  static_assert(CodeGridScale(4) == 8, "the shifts below scale by 8");
  const __m256i mask = _mm256_set1_epi8(0x78);
  *lo = _mm256_and_si256(_mm256_slli_epi16(packed, 3), mask);
  *hi = _mm256_and_si256(_mm256_srli_epi16(packed, 1), mask);
}

__attribute__((target("avx2"))) inline int64_t SumEpi32(__m256i v) {
  alignas(32) int32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), v);
  int64_t s = 0;
  for (int32_t x : lanes) s += x;
  return s;
}

// sum (a - c)^2 over 32 dimensions at a, codes as 32 bytes.
__attribute__((target("avx2"))) inline __m256i L2Run32(const int16_t* a, __m256i c, __m256i acc) {
  const __m256i c0 = _mm256_cvtepu8_epi16(_mm256_castsi256_si128(c));
  const __m256i c1 = _mm256_cvtepu8_epi16(_mm256_extracti128_si256(c, 1));
  const __m256i d0 = _mm256_sub_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a)), c0);
  const __m256i d1 =
      _mm256_sub_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + 16)), c1);
  return _mm256_add_epi32(acc,
                          _mm256_add_epi32(_mm256_madd_epi16(d0, d0), _mm256_madd_epi16(d1, d1)));
}

template <bool kFour>
__attribute__((target("avx2"))) int64_t L2Avx2(const int16_t* a, const uint8_t* code, size_t dim) {
  const size_t blocks = dim / 64;
  int64_t total = 0;
  for (size_t b = 0; b < blocks;) {
    const size_t end = std::min(blocks, b + kFlushDims / 64);
    __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
    for (; b < end; ++b) {
      __m256i lo, hi;
      Block64<kFour>(code, b, &lo, &hi);
      s0 = L2Run32(a + b * 64, lo, s0);
      s1 = L2Run32(a + b * 64 + 32, hi, s1);
    }
    total += SumEpi32(_mm256_add_epi32(s0, s1));
  }
  return total + L2Tail<kFour>(a, code, dim, blocks);
}

__attribute__((target("avx2,fma"))) inline float Sum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 0x55));
  return _mm_cvtss_f32(s);
}

// acc + qs . c over 16 dimensions, codes as 16 bytes.
__attribute__((target("avx2,fma"))) inline __m256 DotRun16(const float* qs, __m128i c, __m256 acc) {
  const __m256 c0 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(c));
  const __m256 c1 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(c, 8)));
  acc = _mm256_fmadd_ps(_mm256_loadu_ps(qs), c0, acc);
  return _mm256_fmadd_ps(_mm256_loadu_ps(qs + 8), c1, acc);
}

template <bool kFour>
__attribute__((target("avx2,fma"))) float DotAvx2(const float* qs, const uint8_t* code,
                                                  size_t dim) {
  const size_t blocks = dim / 64;
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  for (size_t b = 0; b < blocks; ++b) {
    __m256i lo, hi;
    Block64<kFour>(code, b, &lo, &hi);
    const float* q = qs + b * 64;
    s0 = DotRun16(q, _mm256_castsi256_si128(lo), s0);
    s1 = DotRun16(q + 16, _mm256_extracti128_si256(lo, 1), s1);
    s0 = DotRun16(q + 32, _mm256_castsi256_si128(hi), s0);
    s1 = DotRun16(q + 48, _mm256_extracti128_si256(hi, 1), s1);
  }
  float sum = Sum256(_mm256_add_ps(s0, s1));
  return sum + DotTail<kFour>(qs, code, dim, blocks);
}

// sum (a - c)^2 over 32 dimensions at a, codes as 32 bytes (AVX-512BW).
__attribute__((target("avx512f,avx512bw,avx2"))) inline __m512i L2Run32x512(const int16_t* a,
                                                                            __m256i c,
                                                                            __m512i acc) {
  const __m512i d = _mm512_sub_epi16(_mm512_loadu_si512(a), _mm512_cvtepu8_epi16(c));
  return _mm512_add_epi32(acc, _mm512_madd_epi16(d, d));
}

template <bool kFour>
__attribute__((target("avx512f,avx512bw,avx2"))) int64_t L2Avx512(const int16_t* a,
                                                                  const uint8_t* code, size_t dim) {
  const size_t blocks = dim / 64;
  int64_t total = 0;
  for (size_t b = 0; b < blocks;) {
    const size_t end = std::min(blocks, b + kFlushDims / 64);
    __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
    for (; b < end; ++b) {
      __m256i lo, hi;
      Block64<kFour>(code, b, &lo, &hi);
      s0 = L2Run32x512(a + b * 64, lo, s0);
      s1 = L2Run32x512(a + b * 64 + 32, hi, s1);
    }
    total += _mm512_reduce_add_epi32(_mm512_add_epi32(s0, s1));
  }
  size_t d = blocks * 64;
  if (!kFour) {  // 8-bit tails are plain bytes: 16 at a time
    __m256i acc = _mm256_setzero_si256();
    for (; d + 16 <= dim; d += 16) {
      const __m256i c =
          _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(code + d)));
      const __m256i diff =
          _mm256_sub_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + d)), c);
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(diff, diff));
    }
    total += SumEpi32(acc);
    for (; d < dim; ++d) total += (int32_t(a[d]) - code[d]) * (int32_t(a[d]) - code[d]);
    return total;
  }
  return total + L2Tail<kFour>(a, code, dim, blocks);
}

// acc + qs . c over 16 dimensions, codes as 16 bytes (AVX-512).
__attribute__((target("avx512f,avx2,fma"))) inline __m512 DotRun16x512(const float* qs, __m128i c,
                                                                       __m512 acc) {
  return _mm512_fmadd_ps(_mm512_loadu_ps(qs), _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(c)), acc);
}

template <bool kFour>
__attribute__((target("avx512f,avx512bw,avx2,fma"))) float DotAvx512(const float* qs,
                                                                     const uint8_t* code,
                                                                     size_t dim) {
  const size_t blocks = dim / 64;
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  for (size_t b = 0; b < blocks; ++b) {
    __m256i lo, hi;
    Block64<kFour>(code, b, &lo, &hi);
    const float* q = qs + b * 64;
    s0 = DotRun16x512(q, _mm256_castsi256_si128(lo), s0);
    s1 = DotRun16x512(q + 16, _mm256_extracti128_si256(lo, 1), s1);
    s0 = DotRun16x512(q + 32, _mm256_castsi256_si128(hi), s0);
    s1 = DotRun16x512(q + 48, _mm256_extracti128_si256(hi, 1), s1);
  }
  float sum = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
  return sum + DotTail<kFour>(qs, code, dim, blocks);
}

constexpr CodeKernels kGeneric{L2Generic<false>, DotGeneric<false>, L2Generic<true>,
                               DotGeneric<true>, nullptr,           nullptr,
                               "generic"};
constexpr CodeKernels kAvx2{L2Avx2<false>, DotAvx2<false>, L2Avx2<true>, DotAvx2<true>,
                            nullptr,       nullptr,        "avx2"};
constexpr CodeKernels kAvx512{L2Avx512<false>, DotAvx512<false>, L2Avx512<true>, DotAvx512<true>,
                              nullptr,         nullptr,          "avx512"};
constexpr CodeKernels kAvx512Vnni{L2Avx512<false>, DotAvx512<false>, L2Avx512<true>,
                                  DotAvx512<true>, L2Sq8Vnni,        L2Sq4Vnni,
                                  "avx512"};

}  // namespace

void UnpackCodes(const uint8_t* code, size_t dim, int bits, int16_t* out) {
  auto put = [out](size_t d, int32_t c) { out[d] = int16_t(c); };
  if (bits == 8) {
    ForEachCode<false>(code, dim, 0, put);
  } else {
    ForEachCode<true>(code, dim, 0, put);
  }
}

void PackCodes(const uint8_t* levels, size_t dim, int bits, uint8_t* code) {
  if (bits == 8) {
    std::memcpy(code, levels, dim);
    return;
  }
  std::memset(code, 0, (dim + 1) / 2);
  ForEachSlot<true>(dim, 0, [&](size_t d, size_t byte, bool high) {
    code[byte] |= high ? uint8_t(levels[d] << 4) : levels[d];
  });
}

bool PrepareByteQuery(const int16_t* a, size_t dim, int bits, ByteQuery* out) {
  const int32_t top = bits == 8 ? 255 : 127;
  const size_t lanes = (dim + 63) / 64 * 64;
  out->q.assign(lanes, 0);
  out->excess.assign(lanes, 0);
  out->constant = 0;
  bool any_excess = false, fits = true;
  auto put = [&](size_t d, size_t lane) {
    const int32_t q = std::clamp<int32_t>(a[d], 0, top);
    const int32_t e = int32_t(a[d]) - q;
    fits = fits && e >= -127 && e <= 127;
    any_excess = any_excess || e != 0;
    out->q[lane] = int8_t(bits == 8 ? q - 128 : q);
    out->excess[lane] = int8_t(std::clamp(e, -127, 127));
    out->constant += bits == 8 ? int64_t(a[d]) * a[d] : int64_t(2 * e * q + e * e);
  };
  if (bits == 8) {
    for (size_t d = 0; d < dim; ++d) put(d, d);
  } else {
    // Lane of a 4-bit slot: byte j of block b is lane 64 b + j (low nibble)
    // or 64 b + 32 + j (high), and byte j of block b is code byte 32 b + j.
    ForEachSlot<true>(dim, 0, [&](size_t d, size_t byte, bool high) {
      put(d, byte + 32 * (byte / 32 + (high ? 1 : 0)));
    });
  }
  if (!any_excess) out->excess.clear();
  return fits;
}

void PutSq8Trailer(uint8_t* code, size_t dim) {
  int32_t sum = 0;
  for (size_t d = 0; d < dim; ++d) sum += int32_t(code[d]) * (int32_t(code[d]) - 256);
  std::memcpy(code + dim, &sum, sizeof(sum));
}

const CodeKernels* CodeKernelsFor(const char* name) {
  if (KernelsFor(name) == nullptr) return nullptr;  // the CPU cannot run that level
  if (std::strcmp(name, "avx512") == 0) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512bw")) return nullptr;
    return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl") ? &kAvx512Vnni
                                                                                      : &kAvx512;
  }
  for (const CodeKernels* k : {&kAvx2, &kGeneric}) {
    if (std::strcmp(name, k->name) == 0) return k;
  }
  return nullptr;
}

const CodeKernels& CodeKernelsNow() {
  static const CodeKernels& chosen = [] {
    const CodeKernels* k = CodeKernelsFor(Kernels().name);
    return k != nullptr ? *k : kAvx2;  // AVX-512F without BW: AVX2 (which it has)
  }();
  return chosen;
}

}  // namespace metricdb
