#include "engine/index/quantized_hnsw_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "engine/base/faiss_call.h"
#include "engine/base/metric.h"
#include "engine/index/distance_kernels.h"

namespace metricdb {
namespace {

// Batches at least this large are inserted by every core.
constexpr size_t kParallelAddMin = 256;
constexpr int kMaxLevel = 63;

}  // namespace

QuantizedHnswIndex::QuantizedHnswIndex(int dim, Metric metric, const IndexSpec& spec,
                                       std::string vectors_dir)
    : dim_(dim),
      inner_product_(UsesInnerProduct(metric)),
      code_dot_(inner_product_ && metric != Metric::kCosine),
      spec_(spec),
      max_m_(size_t(spec.m)),
      max_m0_(2 * size_t(spec.m)),
      level_mult_(1.0 / std::log(double(std::max(spec.m, 2)))),
      projection_(dim, spec.code_dims),
      quantizer_(projection_.out_dim(), spec.quantization == IndexSpec::Quantization::kSq4 ? 4 : 8),
      links0_(1 + max_m0_),
      codes_(quantizer_.code_size()),
      vectors_(size_t(dim) * sizeof(float), std::move(vectors_dir)),
      locks_(new std::mutex[kLockStripes]) {}

QuantizedHnswIndex::~QuantizedHnswIndex() {
  for (size_t i = 0; i < upper_.capacity(); ++i) delete[] * upper_.row(i);
}

uint32_t* QuantizedHnswIndex::links(uint32_t node, int level) {
  if (level == 0) return links0_.row(node);
  return *upper_.row(node) + size_t(level - 1) * (1 + max_m_);
}

const uint32_t* QuantizedHnswIndex::links(uint32_t node, int level) const {
  return const_cast<QuantizedHnswIndex*>(this)->links(node, level);
}

void QuantizedHnswIndex::Prepare(const float* x, Query* q) const {
  if (!projection_.on()) {
    if (code_dot_) {
      quantizer_.PrepareDot(x, q);
    } else {
      quantizer_.PrepareL2(x, q);
    }
    return;
  }
  std::vector<float> y(size_t(projection_.out_dim()));
  if (code_dot_) {
    // x . v = x . mean + (A x) . (A (v - mean)), the code being of A (v - mean).
    projection_.Rotate(x, y.data());
    quantizer_.PrepareDot(y.data(), q);
    q->bias += projection_.MeanDot(x);
  } else {
    projection_.Project(x, y.data());
    quantizer_.PrepareL2(y.data(), q);
  }
}

void QuantizedHnswIndex::PrepareFromNode(uint32_t node, Query* q) const {
  if (!code_dot_) {
    quantizer_.PrepareL2FromCode(code(node), q);  // on the grid: exact
  } else if (projection_.on()) {
    Prepare(vector(node), q);  // a projection's code lacks the mean's terms
  } else {
    std::vector<float> x(static_cast<size_t>(dim_));
    quantizer_.Decode(code(node), x.data());
    quantizer_.PrepareDot(x.data(), q);
  }
}

float QuantizedHnswIndex::CodeDistance(const Query& q, uint32_t node) const {
  return code_dot_ ? 1.0f - quantizer_.Dot(q, code(node)) : quantizer_.L2(q, code(node));
}

float QuantizedHnswIndex::ExactDistance(const float* x, uint32_t node) const {
  return inner_product_ ? 1.0f - Kernels().dot(x, vector(node), size_t(dim_))
                        : Kernels().l2sqr(x, vector(node), size_t(dim_));
}

absl::Status QuantizedHnswIndex::Reserve(size_t nodes) {
  if (nodes <= capacity_) return absl::OkStatus();  // every part holds this many
  if (nodes >= size_t(kNoNode)) {
    return absl::ResourceExhaustedError("quantised HNSW: more than 2^32 - 2 vectors");
  }
  if (auto s = vectors_.Reserve(nodes); !s.ok()) return s;
  return FaissCall("growing quantised HNSW index", [&] {
    links0_.Grow(nodes);
    upper_.Grow(nodes);
    levels_.Grow(nodes);
    codes_.Grow(nodes);
    labels_.Grow(nodes);
    deleted_.Grow(nodes);
    // Each part grows by its own chunk size: the index holds what all hold.
    capacity_ =
        std::min({links0_.capacity(), upper_.capacity(), levels_.capacity(), codes_.capacity(),
                  labels_.capacity(), deleted_.capacity(), vectors_.capacity()});
  });
}

void QuantizedHnswIndex::Retrain() {
  if (projection_.on()) {
    projection_.Train(vector(0), count_);
    // The quantiser trains on projections of rows taken evenly (it looks at
    // no more than this many), projected straight from the index's rows.
    const size_t rows = std::min<size_t>(count_, 65536);
    const size_t out = size_t(projection_.out_dim());
    std::vector<float> y(rows * out);
    for (size_t i = 0; i < rows; ++i) {
      projection_.Project(vector(uint32_t(i * count_ / rows)), y.data() + i * out);
    }
    quantizer_.Train(y.data(), rows);
  } else {
    quantizer_.Train(vector(0), count_);
  }
  trained_on_ = int64_t(count_);
#pragma omp parallel for schedule(static) if (count_ > 65536)
  for (size_t i = 0; i < count_; ++i) EncodeNode(uint32_t(i));
}

void QuantizedHnswIndex::EncodeNode(uint32_t node) {
  if (!projection_.on()) {
    quantizer_.Encode(vector(node), codes_.row(node));
    return;
  }
  thread_local std::vector<float> y;
  y.resize(size_t(projection_.out_dim()));
  projection_.Project(vector(node), y.data());
  quantizer_.Encode(y.data(), codes_.row(node));
}

absl::Status QuantizedHnswIndex::Add(absl::Span<const int64_t> ids, const float* vectors) {
  for (int64_t id : ids) {
    if (node_of_.contains(IdKey{id})) {
      return absl::InternalError(absl::StrCat("record id ", id, " indexed twice"));
    }
  }
  if (ids.empty()) return absl::OkStatus();
  if (auto s = Reserve(count_ + ids.size()); !s.ok()) return s;
  const size_t first = count_;
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  absl::Status made = FaissCall("adding to quantised HNSW index", [&] {
    node_of_.reserve(node_of_.size() + ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      const uint32_t node = uint32_t(first + i);
      std::memcpy(vectors_.row(node), vectors + i * size_t(dim_), size_t(dim_) * sizeof(float));
      const double u = std::max(uniform(rng_), std::numeric_limits<double>::min());
      const int level = std::min(kMaxLevel, int(-std::log(u) * level_mult_));
      *levels_.row(node) = uint8_t(level);
      if (level > 0) {
        delete[] * upper_.row(node);  // a failed Add's, if any
        *upper_.row(node) = new uint32_t[size_t(level) * (1 + max_m_)]();
        upper_levels_ += size_t(level);
      }
      *labels_.row(node) = ids[i];
      *deleted_.row(node) = 0;
      std::fill_n(links0_.row(node), 1 + max_m0_, 0u);
      node_of_.insert(node);  // an id deleted before: its old node stays a tombstone
    }
  });
  if (!made.ok()) return absl::ResourceExhaustedError(made.message());
  count_ = first + ids.size();
  if (!quantizer_.trained() || int64_t(count_) >= 2 * trained_on_) {
    Retrain();
  } else {
    for (size_t i = first; i < count_; ++i) EncodeNode(uint32_t(i));
  }
  if (ids.size() < kParallelAddMin) {
    for (size_t i = first; i < count_; ++i) Insert(uint32_t(i), *levels_.row(i));
  } else {
#pragma omp parallel for schedule(dynamic, 16)
    for (size_t i = first; i < count_; ++i) Insert(uint32_t(i), *levels_.row(i));
  }
  return absl::OkStatus();
}

absl::Status QuantizedHnswIndex::Remove(absl::Span<const int64_t> ids) {
  for (int64_t id : ids) {
    auto it = node_of_.find(IdKey{id});
    if (it == node_of_.end()) continue;
    *deleted_.row(*it) = 1;
    ++deleted_count_;
    node_of_.erase(it);
  }
  return absl::OkStatus();
}

bool QuantizedHnswIndex::NeedsRebuild() const {
  return double(deleted_count_) > kRebuildFraction * double(count_);
}

IndexMemory QuantizedHnswIndex::Memory() const {
  IndexMemory m;
  const size_t upper = upper_levels_ * (1 + max_m_) * sizeof(uint32_t);
  m.graph_bytes = links0_.bytes(count_) + upper + upper_.bytes(count_) + levels_.bytes(count_) +
                  labels_.bytes(count_) + deleted_.bytes(count_) +
                  node_of_.capacity() * (sizeof(uint32_t) + 1) + kLockStripes * sizeof(std::mutex);
  m.code_bytes = codes_.bytes(count_) + quantizer_.MemoryBytes() + projection_.MemoryBytes();
  // The rows written; the file's capacity beyond them is sparse.
  m.vector_bytes = count_ * size_t(dim_) * sizeof(float);
  m.vectors_mapped = vectors_.file_backed();
  return m;
}

size_t QuantizedHnswIndex::MemoryBytes() const {
  const IndexMemory m = Memory();
  return m.graph_bytes + m.code_bytes + (m.vectors_mapped ? 0 : m.vector_bytes);
}

std::vector<int64_t> QuantizedHnswIndex::Ids() const {
  std::vector<int64_t> ids;
  ids.reserve(node_of_.size());
  for (uint32_t node : node_of_) ids.push_back(*labels_.row(node));
  return ids;
}

IndexStatus QuantizedHnswIndex::status() const {
  IndexStatus st;
  st.trained = quantizer_.trained() || count_ == 0;
  st.trained_on = trained_on_;
  st.tombstones = deleted_count_;
  return st;
}

bool QuantizedHnswIndex::CopyVectors(absl::Span<const int64_t> ids, float* out) const {
  for (size_t i = 0; i < ids.size(); ++i) {
    auto it = node_of_.find(IdKey{ids[i]});
    if (it == node_of_.end()) return false;
    std::memcpy(out + i * size_t(dim_), vectors_.row(*it), size_t(dim_) * sizeof(float));
  }
  return true;
}

}  // namespace metricdb
