// DistanceKernels: the float32 distance functions of the hot loops (HNSW
// graph walks, exact scans), chosen once at run time for the CPU the process
// runs on: AVX-512, AVX2+FMA, or portable code (SSE2, which every x86-64 CPU
// has). The binary is built for generic x86-64; the wider kernels are
// compiled with per-function target attributes and only called when
// __builtin_cpu_supports says the CPU has them, so no illegal instruction on
// older CPUs.
//
// METRICDB_SIMD=generic|avx2|avx512 in the environment caps the choice (for
// tests and benchmarks); a level the CPU lacks falls back to the best one it
// has.
#ifndef METRICDB_ENGINE_INDEX_DISTANCE_KERNELS_H_
#define METRICDB_ENGINE_INDEX_DISTANCE_KERNELS_H_

#include <cstddef>

namespace metricdb {

struct DistanceKernels {
  // Squared Euclidean distance and inner product of two dim-vectors.
  float (*l2sqr)(const float* a, const float* b, size_t dim);
  float (*dot)(const float* a, const float* b, size_t dim);
  // The same with hnswlib's DISTFUNC signature (the dimension passed as a
  // const size_t*), so graph walks call the kernel directly; the inner
  // product one returns 1 - dot (hnswlib minimises).
  float (*l2sqr_by_ref)(const void* a, const void* b, const void* dim);
  float (*one_minus_dot_by_ref)(const void* a, const void* b, const void* dim);
  const char* name;  // "avx512", "avx2" or "generic"
};

// The kernels for this CPU (resolved on first use, thread-safe).
const DistanceKernels& Kernels();

// Kernels of one level, for tests comparing levels; nullptr when the CPU
// cannot run them.
const DistanceKernels* KernelsFor(const char* name);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_INDEX_DISTANCE_KERNELS_H_
