#include "engine/index/scalar_quantizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace metricdb {
namespace {

// Rows a training looks at (sampled evenly from those given).
constexpr size_t kTrainSample = 65536;
// The range of a dimension runs from its `tail` to its 1 - tail quantile:
// the few values beyond clamp to its ends, and the levels are finer for all
// the others. 16 levels, on Gaussian-like values: +-2.6 sigma, near the
// uniform quantiser of least squared error; 256 levels: +-3.7 sigma.
constexpr double kTail4 = 0.005;
constexpr double kTail8 = 0.0001;

// A rounded L2 query stays within 1023 levels of every code (CodeKernels'
// bound): grid values clamp to [-768, 1023].
constexpr float kGridLow = -768.0f;
constexpr float kGridHigh = 1023.0f;

}  // namespace

ScalarQuantizer::ScalarQuantizer(int dim, int bits)
    : dim_(dim),
      bits_(bits),
      packed_size_(bits == 8 ? size_t(dim) : (size_t(dim) + 1) / 2),
      code_size_(packed_size_ + (bits == 8 ? kSq8TrailerBytes : 0)),
      min_(size_t(dim), 0.0f),
      kernels_(CodeKernelsNow()) {}

void ScalarQuantizer::Train(const float* x, size_t n) {
  // Rows sampled evenly, and per dimension the quantiles at `tail` and
  // 1 - tail of the sample.
  const size_t rows = std::min(n, kTrainSample);
  const double tail = bits_ == 8 ? kTail8 : kTail4;
  const size_t lo_at = size_t(tail * double(rows - 1));
  const size_t hi_at = rows - 1 - lo_at;
  std::vector<float> column(rows);
  float widest = 0;
  for (int d = 0; d < dim_; ++d) {
    for (size_t i = 0; i < rows; ++i) column[i] = x[(i * n / rows) * size_t(dim_) + d];
    std::nth_element(column.begin(), column.begin() + lo_at, column.end());
    const float lo = column[lo_at];
    std::nth_element(column.begin() + lo_at, column.begin() + hi_at, column.end());
    const float hi = column[hi_at];
    min_[d] = lo;
    widest = std::max(widest, hi - lo);
  }
  SetStep(widest / float((1 << bits_) - 1));
  trained_ = true;
}

void ScalarQuantizer::SetStep(float step) {
  step_ = step;
  grid_step_ = step / float(CodeGridScale(bits_));
  grid2_ = grid_step_ * grid_step_;
}

void ScalarQuantizer::Encode(const float* x, uint8_t* code) const {
  const float levels = float((1 << bits_) - 1);
  uint8_t* out = code;
  std::vector<uint8_t> packed;  // 4 bits: the levels, then packed into `code`
  if (bits_ == 4) {
    packed.resize(size_t(dim_));
    out = packed.data();
  }
  for (int d = 0; d < dim_; ++d) {
    const float c = step_ > 0 ? std::nearbyint((x[d] - min_[d]) / step_) : 0.0f;
    out[d] = uint8_t(std::clamp(c, 0.0f, levels));
  }
  if (bits_ == 4) PackCodes(out, size_t(dim_), bits_, code);
  FinishCode(code);
}

void ScalarQuantizer::FinishCode(uint8_t* code) const {
  if (bits_ == 8) PutSq8Trailer(code, size_t(dim_));
}

void ScalarQuantizer::PrepareBytes(Query* q) const {
  q->use_bytes = kernels_.l2_sq8_bytes != nullptr &&
                 PrepareByteQuery(q->grid.data(), size_t(dim_), bits_, &q->bytes);
}

void ScalarQuantizer::Decode(const uint8_t* code, float* x) const {
  std::vector<int16_t> c(static_cast<size_t>(dim_));
  UnpackCodes(code, size_t(dim_), bits_, c.data());
  for (int d = 0; d < dim_; ++d) x[d] = min_[d] + grid_step_ * float(c[d]);
}

void ScalarQuantizer::PrepareL2(const float* q, Query* out) const {
  out->grid.resize(size_t(dim_));
  for (int d = 0; d < dim_; ++d) {
    const float a = grid_step_ > 0 ? std::nearbyint((q[d] - min_[d]) / grid_step_) : 0.0f;
    out->grid[d] = int16_t(std::clamp(a, kGridLow, kGridHigh));
  }
  PrepareBytes(out);
}

void ScalarQuantizer::PrepareL2FromCode(const uint8_t* code, Query* out) const {
  out->grid.resize(size_t(dim_));
  UnpackCodes(code, size_t(dim_), bits_, out->grid.data());
  PrepareBytes(out);
}

void ScalarQuantizer::PrepareDot(const float* q, Query* out) const {
  out->values.resize(size_t(dim_));
  double bias = 0;
  for (int d = 0; d < dim_; ++d) {
    out->values[d] = q[d] * grid_step_;
    bias += double(q[d]) * double(min_[d]);
  }
  out->bias = float(bias);
}

void ScalarQuantizer::Serialize(std::string* out) const {
  PutPod<uint8_t>(out, trained_ ? 1 : 0);
  PutPod<float>(out, step_);
  out->append(reinterpret_cast<const char*>(min_.data()), min_.size() * sizeof(float));
}

bool ScalarQuantizer::Deserialize(ByteReader* r) {
  uint8_t trained = 0;
  float step = 0;
  if (!r->Pod(&trained) || trained > 1 || !r->Pod(&step)) return false;
  if (!std::isfinite(step) || step < 0) return false;
  if (!r->Raw(min_.size() * sizeof(float), min_.data())) return false;
  for (float m : min_) {
    if (!std::isfinite(m)) return false;
  }
  SetStep(step);
  trained_ = trained == 1;
  return true;
}

}  // namespace metricdb
