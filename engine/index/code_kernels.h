// CodeKernels: distances between a prepared query and scalar-quantised codes
// (ScalarQuantizer), the hot loop of the quantised HNSW. 8-bit codes take a
// byte per dimension; 4-bit codes two dimensions per byte, in blocks of 64
// dimensions (32 bytes): byte j of a block holds dimension j in its low
// nibble and j + 32 in its high one, so that a mask and a shift give 32
// dimensions in order; a last block of r < 64 dimensions takes ceil(r / 2)
// bytes the same way.
//
//   l2  = sum_d (a[d] - c[d])^2   a: the query on the codes' integer grid
//                                 (int16, |a[d] - c[d]| <= 1023)
//   dot = sum_d qs[d] * c[d]      qs: float query weights
//
// l2 is exact integer arithmetic (16-bit differences, 32-bit sums, flushed
// to 64 bits every kFlushDims dimensions, so no dimension count overflows).
//
// Chosen at run time like DistanceKernels (AVX-512 with BW, AVX2, portable),
// at the same level (METRICDB_SIMD caps both).
#ifndef METRICDB_ENGINE_INDEX_CODE_KERNELS_H_
#define METRICDB_ENGINE_INDEX_CODE_KERNELS_H_

#include <cstddef>
#include <cstdint>

namespace metricdb {

// Packs `dim` levels (each < 2^bits) into a code of that layout.
void PackCodes(const uint8_t* levels, size_t dim, int bits, uint8_t* code);
// Writes the `dim` codes of `code` (8 or 4 bits) as int16 values.
void UnpackCodes(const uint8_t* code, size_t dim, int bits, int16_t* out);

struct CodeKernels {
  int64_t (*l2_sq8)(const int16_t* a, const uint8_t* code, size_t dim);
  float (*dot_sq8)(const float* qs, const uint8_t* code, size_t dim);
  int64_t (*l2_sq4)(const int16_t* a, const uint8_t* code, size_t dim);
  float (*dot_sq4)(const float* qs, const uint8_t* code, size_t dim);
  const char* name;  // "avx512", "avx2" or "generic"
};

// The kernels of the level Kernels() chose (AVX2 when the CPU has AVX-512F
// without BW).
const CodeKernels& CodeKernelsNow();

// Kernels of one level, for tests comparing levels; nullptr when the CPU
// cannot run them.
const CodeKernels* CodeKernelsFor(const char* name);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_INDEX_CODE_KERNELS_H_
