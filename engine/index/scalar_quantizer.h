// ScalarQuantizer: per-dimension scalar codes of 8 or 4 bits. Training takes
// each dimension's range over the vectors given, from a low to a high
// quantile (0.01% / 99.99% for 8 bits, 0.5% / 99.5% for 4: the rare values
// beyond clamp, the levels are finer for the rest); dimension d is stored on
// the grid min[d] + step * c, c in [0, 2^bits - 1], with one step for all
// dimensions (the widest range over 2^bits - 1), so that a squared distance
// on codes is a constant times an integer sum of squares (CodeKernels). A
// narrower dimension uses fewer of the levels.
//
// L2 queries are put on the kernels' grid (rounded, as int16): the codes'
// grid for 8 bits; for 4 bits one eight times finer (CodeGridScale), so that
// a query keeps most of its precision and only the codes are coarse (an
// asymmetric distance; with queries on the 4-bit levels too, re-ranking 20
// candidates kept 2.7% fewer true neighbours than exact candidates, against
// 1.1% on the finer grid, 100,000 synthetic 128-d embeddings). The distance
// is then exact between the rounded query and the code. Inner-product
// queries stay float: q . x = q . min + grid_step * sum_d q[d] c[d].
//
// A code row is the packed codes (packed_size(): dim bytes, or ceil(dim / 2))
// and, for 8 bits, the trailer the byte kernels need (code_kernels.h);
// code_size() counts both. Only the packed codes need keeping: FinishCode
// makes the rest from them.
#ifndef METRICDB_ENGINE_INDEX_SCALAR_QUANTIZER_H_
#define METRICDB_ENGINE_INDEX_SCALAR_QUANTIZER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/base/bytes.h"
#include "engine/index/code_kernels.h"

namespace metricdb {

class ScalarQuantizer {
 public:
  // bits: 8 or 4.
  ScalarQuantizer(int dim, int bits);

  int bits() const { return bits_; }
  int dim() const { return dim_; }
  // Bytes of a code row: the packed codes, dim (8 bits) or ceil(dim / 2)
  // (4 bits), then the 8-bit trailer.
  size_t code_size() const { return code_size_; }
  size_t packed_size() const { return packed_size_; }
  bool trained() const { return trained_; }

  // Sets each dimension's range from the n rows (n >= 1; at most 65,536 of
  // them, sampled evenly, are looked at).
  void Train(const float* x, size_t n);
  // Writes a whole row (code_size() bytes).
  void Encode(const float* x, uint8_t* code) const;
  // Completes a row whose packed codes are written (as read from storage).
  void FinishCode(uint8_t* code) const;
  void Decode(const uint8_t* code, float* x) const;

  // A query prepared for distances to codes.
  struct Query {
    std::vector<int16_t> grid;  // L2: the query on the grid
    ByteQuery bytes;            // L2: the same for the byte kernels, if use_bytes
    bool use_bytes = false;
    std::vector<float> values;  // inner product: q * grid step
    float bias = 0;             // inner product: q . min
  };
  // Squared L2 distance to the rounded query.
  void PrepareL2(const float* q, Query* out) const;
  // The same for a stored code as the query (exact: it is on the grid).
  void PrepareL2FromCode(const uint8_t* code, Query* out) const;
  float L2(const Query& q, const uint8_t* code) const {
    const size_t dim = size_t(dim_);
    int64_t sum;
    if (q.use_bytes) {
      sum = bits_ == 8 ? kernels_.l2_sq8_bytes(q.bytes, code, dim)
                       : kernels_.l2_sq4_bytes(q.bytes, code, dim);
    } else {
      sum = bits_ == 8 ? kernels_.l2_sq8(q.grid.data(), code, dim)
                       : kernels_.l2_sq4(q.grid.data(), code, dim);
    }
    return float(sum) * grid2_;
  }
  // Inner product.
  void PrepareDot(const float* q, Query* out) const;
  float Dot(const Query& q, const uint8_t* code) const {
    return q.bias + (bits_ == 8 ? kernels_.dot_sq8(q.values.data(), code, size_t(dim_))
                                : kernels_.dot_sq4(q.values.data(), code, size_t(dim_)));
  }

  // Appends the ranges; Deserialize reads them back (false if short).
  void Serialize(std::string* out) const;
  bool Deserialize(ByteReader* r);
  size_t MemoryBytes() const { return size_t(dim_) * sizeof(float); }

 private:
  int dim_;
  int bits_;
  size_t packed_size_;
  size_t code_size_;
  bool trained_ = false;
  std::vector<float> min_;
  float step_ = 0;       // between levels
  float grid_step_ = 0;  // between grid points: step_ / CodeGridScale(bits_)
  float grid2_ = 0;      // grid_step_^2
  const CodeKernels& kernels_;

  void SetStep(float step);
  // Fills q->bytes from q->grid where the byte kernels can take it.
  void PrepareBytes(Query* q) const;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_INDEX_SCALAR_QUANTIZER_H_
