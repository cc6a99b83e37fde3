// CodeProjection: the principal axes a quantised graph's codes are taken on.
// With `out_dim` < the vectors' dimension, Train finds the out_dim directions
// of largest variance (PCA) and Project maps x to y = A (x - mean), A's rows
// orthonormal; the codes then quantise y, so a code distance costs
// out_dim / dim of a full one and approximates it from below (the variance
// left out is lost). Off (out_dim == dim, or 0): Project copies.
//
// Why (Fashion-MNIST, 784 dimensions): 128 axes keep 93% of the variance,
// and 8-bit codes of them rank 97.7% of the true 10 nearest into the best 24
// by code distance, at a sixth of a 784-d code's distance cost.
#ifndef METRICDB_ENGINE_INDEX_CODE_PROJECTION_H_
#define METRICDB_ENGINE_INDEX_CODE_PROJECTION_H_

#include <cstddef>
#include <string>
#include <vector>

#include "engine/base/bytes.h"

namespace metricdb {

class CodeProjection {
 public:
  // out_dim 0 or >= dim: off.
  CodeProjection(int dim, int out_dim);

  bool on() const { return out_dim_ < dim_; }
  int dim() const { return dim_; }
  int out_dim() const { return out_dim_; }
  bool trained() const { return !on() || !a_.empty(); }

  // Finds the axes from the n rows (n >= 1; at most 65,536 of them, taken
  // evenly, are looked at). Off: nothing to do.
  void Train(const float* x, size_t n);
  // y = A (x - mean), out_dim floats (one row; after Train).
  void Project(const float* x, float* y) const;
  // The same for n rows.
  void ProjectRows(const float* x, size_t n, float* y) const;
  // Inner products: x . y = x . mean + (A x) . (A (y - mean)) for y in the
  // axes' span. Rotate writes A x; MeanDot returns x . mean.
  void Rotate(const float* x, float* out) const;
  float MeanDot(const float* x) const;

  // Appends the axes and the mean; Deserialize reads them back (false if
  // short or of another shape).
  void Serialize(std::string* out) const;
  bool Deserialize(ByteReader* r);
  size_t MemoryBytes() const { return (a_.size() + mean_.size()) * sizeof(float); }

 private:
  int dim_;
  int out_dim_;
  std::vector<float> a_;     // out_dim x dim, row-major
  std::vector<float> mean_;  // dim
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_INDEX_CODE_PROJECTION_H_
