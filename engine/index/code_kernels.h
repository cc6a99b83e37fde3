// CodeKernels: distances between a prepared query and scalar-quantised codes
// (ScalarQuantizer), the hot loop of the quantised HNSW. 8-bit codes take a
// byte per dimension; 4-bit codes two dimensions per byte, in blocks of 64
// dimensions (32 bytes): byte j of a block holds dimension j in its low
// nibble and j + 32 in its high one, so that a mask and a shift give 32
// dimensions in order; a last block of r < 64 dimensions takes ceil(r / 2)
// bytes the same way.
//
// A code's value on the integer grid the kernels compute on is its level
// times CodeGridScale(bits): 1 for 8 bits, 8 for 4 bits, so that a 4-bit
// code is compared with a query rounded to an eighth of its step (an
// asymmetric distance: the query keeps 7 bits, the codes 4).
//
//   l2  = sum_d (a[d] - c[d])^2   a: the query on that grid, c the code's
//                                 grid value (int16, |a[d] - c[d]| <= 1023)
//   dot = sum_d qs[d] * c[d]      qs: float query weights
//
// l2 is exact integer arithmetic (16-bit differences, 32-bit sums, flushed
// to 64 bits every kFlushDims dimensions, so no dimension count overflows).
//
// Chosen at run time like DistanceKernels (AVX-512 with BW, AVX2, portable),
// at the same level (METRICDB_SIMD caps both).
//
// Byte kernels (AVX-512 VNNI: 64 byte products per instruction) take the
// query as bytes instead (ByteQuery); 8-bit rows then carry a trailer after
// their codes (Sq8Trailer), so that l2 = sum a^2 - 2 a . c + sum c^2 needs
// one product per dimension. Both forms give the same integer.
#ifndef METRICDB_ENGINE_INDEX_CODE_KERNELS_H_
#define METRICDB_ENGINE_INDEX_CODE_KERNELS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace metricdb {

// Grid units per level of a `bits`-bit code (see above).
constexpr int CodeGridScale(int bits) { return bits == 4 ? 8 : 1; }

// Packs `dim` levels (each < 2^bits) into a code of that layout.
void PackCodes(const uint8_t* levels, size_t dim, int bits, uint8_t* code);
// Writes the grid values (level * CodeGridScale(bits)) of the `dim` codes of
// `code` (8 or 4 bits) as int16 values.
void UnpackCodes(const uint8_t* code, size_t dim, int bits, int16_t* out);

// An L2 query for the byte kernels, made by PrepareByteQuery from the grid
// point a (int16, as above): a = Q + e, Q clamped to [0, 255] (8 bits) or
// [0, 127] (4 bits: within 127 of every grid value 8 c <= 120) and e the
// rest (|e| <= 127). 64 lanes per block of 64 dimensions (ceil(dim / 64)
// blocks), zero past dim:
//   8 bits: lane j of block b is dimension 64 b + j; q = Q - 128.
//   4 bits: lanes in code order: lane j is the low nibble of the block's byte
//           j, lane 32 + j its high nibble; q = Q.
//   8 bits: l2 = constant - 2 (q . c + e . c) + trailer(c), constant = sum a^2
//   4 bits: l2 = sum (Q - c)^2 + constant - 2 e . c, constant = sum (2 e Q + e^2)
//           (c the grid values 8 x level)
struct ByteQuery {
  std::vector<int8_t> q;
  std::vector<int8_t> excess;  // empty when every e is 0
  int64_t constant = 0;
};
// False when some |e| > 127 (the int16 kernels serve that query).
bool PrepareByteQuery(const int16_t* a, size_t dim, int bits, ByteQuery* out);

// Bytes an 8-bit row keeps after its dim codes, and their value: the int32
// sum c^2 - 256 sum c (= sum c (c - 256), so within int32 for any dim up to
// 2^17).
constexpr size_t kSq8TrailerBytes = sizeof(int32_t);
void PutSq8Trailer(uint8_t* code, size_t dim);

struct CodeKernels {
  int64_t (*l2_sq8)(const int16_t* a, const uint8_t* code, size_t dim);
  float (*dot_sq8)(const float* qs, const uint8_t* code, size_t dim);
  int64_t (*l2_sq4)(const int16_t* a, const uint8_t* code, size_t dim);
  float (*dot_sq4)(const float* qs, const uint8_t* code, size_t dim);
  // nullptr without AVX-512 VNNI. 8-bit rows must carry their trailer.
  int64_t (*l2_sq8_bytes)(const ByteQuery& q, const uint8_t* code, size_t dim);
  int64_t (*l2_sq4_bytes)(const ByteQuery& q, const uint8_t* code, size_t dim);
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
