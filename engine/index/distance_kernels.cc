#include "engine/index/distance_kernels.h"

// GCC 12 warns inside its own avx512fintrin.h (_mm512_undefined_ps) when
// masked loads are inlined; the warning is about the header, not this code.
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace metricdb {
namespace {

// Portable code: four independent accumulators so the compiler vectorises
// with SSE2 without reassociating one long dependency chain.
float L2sqrGeneric(const float* a, const float* b, size_t dim) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= dim; i += 8) {
    for (int j = 0; j < 8; ++j) {
      const float d = a[i + j] - b[i + j];
      acc[j] += d * d;
    }
  }
  float sum = 0;
  for (; i < dim; ++i) sum += (a[i] - b[i]) * (a[i] - b[i]);
  for (float v : acc) sum += v;
  return sum;
}

float DotGeneric(const float* a, const float* b, size_t dim) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= dim; i += 8) {
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  }
  float sum = 0;
  for (; i < dim; ++i) sum += a[i] * b[i];
  for (float v : acc) sum += v;
  return sum;
}

__attribute__((target("avx2,fma"))) float HorizontalSum256(__m256 v) {
  const __m128 lo = _mm256_castps256_ps128(v);
  const __m128 hi = _mm256_extractf128_ps(v, 1);
  __m128 s = _mm_add_ps(lo, hi);
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 0x55));
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) float L2sqrAvx2(const float* a, const float* b, size_t dim) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    const __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
    s0 = _mm256_fmadd_ps(d0, d0, s0);
    s1 = _mm256_fmadd_ps(d1, d1, s1);
  }
  if (i + 8 <= dim) {
    const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    s0 = _mm256_fmadd_ps(d0, d0, s0);
    i += 8;
  }
  float sum = HorizontalSum256(_mm256_add_ps(s0, s1));
  for (; i < dim; ++i) sum += (a[i] - b[i]) * (a[i] - b[i]);
  return sum;
}

__attribute__((target("avx2,fma"))) float DotAvx2(const float* a, const float* b, size_t dim) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
  }
  if (i + 8 <= dim) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    i += 8;
  }
  float sum = HorizontalSum256(_mm256_add_ps(s0, s1));
  for (; i < dim; ++i) sum += a[i] * b[i];
  return sum;
}

__attribute__((target("avx512f"))) float L2sqrAvx512(const float* a, const float* b, size_t dim) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= dim; i += 32) {
    const __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    const __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
    s0 = _mm512_fmadd_ps(d0, d0, s0);
    s1 = _mm512_fmadd_ps(d1, d1, s1);
  }
  if (i < dim) {  // the remaining < 32 values, masked
    const size_t left = dim - i;
    const __mmask16 m0 = left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
    const __m512 d0 =
        _mm512_sub_ps(_mm512_maskz_loadu_ps(m0, a + i), _mm512_maskz_loadu_ps(m0, b + i));
    s0 = _mm512_fmadd_ps(d0, d0, s0);
    if (left > 16) {
      const __mmask16 m1 = __mmask16((1u << (left - 16)) - 1);
      const __m512 d1 = _mm512_sub_ps(_mm512_maskz_loadu_ps(m1, a + i + 16),
                                      _mm512_maskz_loadu_ps(m1, b + i + 16));
      s1 = _mm512_fmadd_ps(d1, d1, s1);
    }
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

__attribute__((target("avx512f"))) float DotAvx512(const float* a, const float* b, size_t dim) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= dim; i += 32) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
  }
  if (i < dim) {
    const size_t left = dim - i;
    const __mmask16 m0 = left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
    s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, a + i), _mm512_maskz_loadu_ps(m0, b + i), s0);
    if (left > 16) {
      const __mmask16 m1 = __mmask16((1u << (left - 16)) - 1);
      s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m1, a + i + 16),
                           _mm512_maskz_loadu_ps(m1, b + i + 16), s1);
    }
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

template <float (*F)(const float*, const float*, size_t)>
float ByRef(const void* a, const void* b, const void* dim) {
  return F(static_cast<const float*>(a), static_cast<const float*>(b),
           *static_cast<const size_t*>(dim));
}

template <float (*F)(const float*, const float*, size_t)>
float OneMinusByRef(const void* a, const void* b, const void* dim) {
  return 1.0f - ByRef<F>(a, b, dim);
}

constexpr DistanceKernels kGeneric{L2sqrGeneric, DotGeneric, ByRef<L2sqrGeneric>,
                                   OneMinusByRef<DotGeneric>, "generic"};
constexpr DistanceKernels kAvx2{L2sqrAvx2, DotAvx2, ByRef<L2sqrAvx2>, OneMinusByRef<DotAvx2>,
                                "avx2"};
constexpr DistanceKernels kAvx512{L2sqrAvx512, DotAvx512, ByRef<L2sqrAvx512>,
                                  OneMinusByRef<DotAvx512>, "avx512"};

bool CpuHas(const DistanceKernels& k) {
  __builtin_cpu_init();
  if (&k == &kAvx512) return __builtin_cpu_supports("avx512f");
  if (&k == &kAvx2) {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }
  return true;
}

const DistanceKernels& Resolve() {
  const char* cap = std::getenv("METRICDB_SIMD");
  const DistanceKernels* order[] = {&kAvx512, &kAvx2, &kGeneric};
  bool allowed = cap == nullptr;
  for (const DistanceKernels* k : order) {
    if (!allowed && std::strcmp(cap, k->name) == 0) allowed = true;
    if (allowed && CpuHas(*k)) return *k;
  }
  return kGeneric;  // an unknown METRICDB_SIMD value: the safe choice
}

}  // namespace

const DistanceKernels& Kernels() {
  static const DistanceKernels& chosen = Resolve();
  return chosen;
}

const DistanceKernels* KernelsFor(const char* name) {
  for (const DistanceKernels* k : {&kAvx512, &kAvx2, &kGeneric}) {
    if (std::strcmp(name, k->name) == 0) return CpuHas(*k) ? k : nullptr;
  }
  return nullptr;
}

}  // namespace metricdb
