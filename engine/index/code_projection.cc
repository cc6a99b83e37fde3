#include "engine/index/code_projection.h"

#include <faiss/VectorTransform.h>

#include <algorithm>
#include <cstring>

#include "engine/index/distance_kernels.h"

namespace metricdb {
namespace {

constexpr size_t kTrainSample = 65536;

}  // namespace

CodeProjection::CodeProjection(int dim, int out_dim)
    : dim_(dim), out_dim_(out_dim > 0 && out_dim < dim ? out_dim : dim) {}

void CodeProjection::Train(const float* x, size_t n) {
  if (!on() || n == 0) return;
  const size_t rows = std::min(n, kTrainSample);
  std::vector<float> sample(rows * size_t(dim_));
  for (size_t i = 0; i < rows; ++i) {
    std::memcpy(sample.data() + i * size_t(dim_), x + (i * n / rows) * size_t(dim_),
                size_t(dim_) * sizeof(float));
  }
  // Fewer rows than dimensions leave some axes undetermined; FAISS still
  // returns an orthonormal basis, whose extra axes carry no variance.
  faiss::PCAMatrix pca(dim_, out_dim_);
  pca.train(faiss::Index::idx_t(rows), sample.data());
  mean_ = pca.mean;
  a_.assign(pca.A.begin(), pca.A.begin() + size_t(out_dim_) * size_t(dim_));
}

void CodeProjection::Rotate(const float* x, float* out) const {
  const DistanceKernels& k = Kernels();
  for (int j = 0; j < out_dim_; ++j) {
    out[j] = k.dot(a_.data() + size_t(j) * size_t(dim_), x, size_t(dim_));
  }
}

float CodeProjection::MeanDot(const float* x) const {
  return on() ? Kernels().dot(mean_.data(), x, size_t(dim_)) : 0.0f;
}

void CodeProjection::Project(const float* x, float* y) const {
  if (!on()) {
    std::memcpy(y, x, size_t(dim_) * sizeof(float));
    return;
  }
  thread_local std::vector<float> centred;
  centred.resize(size_t(dim_));
  for (int d = 0; d < dim_; ++d) centred[size_t(d)] = x[d] - mean_[size_t(d)];
  Rotate(centred.data(), y);
}

void CodeProjection::ProjectRows(const float* x, size_t n, float* y) const {
  const size_t out = size_t(out_dim_);
  for (size_t i = 0; i < n; ++i) Project(x + i * size_t(dim_), y + i * out);
}

void CodeProjection::Serialize(std::string* out) const {
  PutPod<uint32_t>(out, uint32_t(out_dim_));
  PutArray(out, a_);
  PutArray(out, mean_);
}

bool CodeProjection::Deserialize(ByteReader* r) {
  uint32_t out_dim = 0;
  std::vector<float> a, mean;
  if (!r->Pod(&out_dim) || !r->Array(&a) || !r->Array(&mean)) return false;
  if (int(out_dim) != out_dim_) return false;
  const bool empty = a.empty() && mean.empty();
  if (!empty && (a.size() != size_t(out_dim_) * size_t(dim_) || mean.size() != size_t(dim_))) {
    return false;
  }
  if (!on() && !empty) return false;
  a_ = std::move(a);
  mean_ = std::move(mean);
  return true;
}

}  // namespace metricdb
