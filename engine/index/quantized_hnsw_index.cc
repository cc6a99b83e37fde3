#include "engine/index/quantized_hnsw_index.h"

#include <omp.h>
#include <xmmintrin.h>  // _mm_prefetch

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <queue>

#include "absl/strings/str_cat.h"
#include "engine/base/faiss_call.h"
#include "engine/base/metric.h"
#include "engine/index/distance_kernels.h"
#include "engine/index/query_loop.h"
#include "engine/index/visited_marks.h"

namespace metricdb {
namespace {

// Batches at least this large are inserted by every core.
constexpr size_t kParallelAddMin = 256;
constexpr int kMaxLevel = 63;
// Bytes of each neighbour's code prefetched when a node is expanded.
constexpr size_t kPrefetchBytes = 256;
// The most links a node has (2 * the largest M).
constexpr size_t kMaxLinks = 512;

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
      quantizer_(dim, spec.quantization == IndexSpec::Quantization::kSq4 ? 4 : 8),
      links0_(1 + max_m0_),
      codes_(quantizer_.code_size()),
      vectors_(size_t(dim) * sizeof(float), std::move(vectors_dir)),
      locks_(new std::mutex[kLockStripes]) {}

QuantizedHnswIndex::~QuantizedHnswIndex() = default;

uint32_t* QuantizedHnswIndex::links(uint32_t node, int level) {
  if (level == 0) return links0_.row(node);
  return upper_.row(node)->get() + size_t(level - 1) * (1 + max_m_);
}

const uint32_t* QuantizedHnswIndex::links(uint32_t node, int level) const {
  return const_cast<QuantizedHnswIndex*>(this)->links(node, level);
}

void QuantizedHnswIndex::Prepare(const float* x, Query* q) const {
  if (code_dot_) {
    quantizer_.PrepareDot(x, q);
  } else {
    quantizer_.PrepareL2(x, q);
  }
}

void QuantizedHnswIndex::PrepareFromNode(uint32_t node, Query* q) const {
  if (code_dot_) {
    std::vector<float> x(static_cast<size_t>(dim_));
    quantizer_.Decode(code(node), x.data());
    quantizer_.PrepareDot(x.data(), q);
  } else {
    quantizer_.PrepareL2FromCode(code(node), q);
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
    capacity_ = std::min(links0_.capacity(), vectors_.capacity());
  });
}

void QuantizedHnswIndex::Retrain() {
  quantizer_.Train(vector(0), count_);
  trained_on_ = int64_t(count_);
#pragma omp parallel for schedule(static) if (count_ > 65536)
  for (size_t i = 0; i < count_; ++i) {
    quantizer_.Encode(vector(uint32_t(i)), codes_.row(i));
  }
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
      if (level > 0) upper_.row(node)->reset(new uint32_t[size_t(level) * (1 + max_m_)]());
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
    for (size_t i = first; i < count_; ++i) {
      quantizer_.Encode(vector(uint32_t(i)), codes_.row(i));
    }
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

void QuantizedHnswIndex::SearchOne(const float* query, int k, size_t ef, size_t rerank,
                                   const IdFilter* filter, float* distances,
                                   int64_t* ids) const {
  Query q;
  Prepare(query, &q);
  const uint32_t start = GreedyClosest(q, entry_, max_level_, 0, /*locked=*/false);

  // Base layer: beam of width ef on codes. Every node routes; only live
  // nodes the filter allows enter the results.
  const bool restricted = filter != nullptr || deleted_count_ > 0;
  auto allowed = [&](uint32_t node) {
    return !*deleted_.row(node) && (filter == nullptr || filter->Allows(*labels_.row(node)));
  };
  VisitedMarks& marks = VisitedMarks::ForThisThread(capacity_);
  std::priority_queue<Candidate> top;  // farthest on top
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> frontier;
  float bound = std::numeric_limits<float>::max();
  const float d0 = CodeDistance(q, start);
  if (!restricted || allowed(start)) {
    top.emplace(d0, start);
    bound = d0;
  }
  frontier.emplace(d0, start);
  marks.Visit(start);
  // Each expansion first gathers the unvisited neighbours and asks for their
  // codes' first lines at once, so the cache misses overlap, then computes.
  const size_t prefetch_bytes = std::min<size_t>(quantizer_.code_size(), kPrefetchBytes);
  uint32_t fresh[kMaxLinks];
  while (!frontier.empty()) {
    const Candidate nearest = frontier.top();
    if (nearest.first > bound && (top.size() == ef || !restricted)) break;
    frontier.pop();
    const uint32_t* list = links(nearest.second, 0);
    const uint32_t count = list[0];
    size_t n_fresh = 0;
    for (uint32_t i = 1; i <= count; ++i) {
      const uint32_t node = list[i];
      if (!marks.Visit(node)) continue;
      fresh[n_fresh++] = node;
      const char* c = reinterpret_cast<const char*>(code(node));
      for (size_t off = 0; off < prefetch_bytes; off += 64) _mm_prefetch(c + off, _MM_HINT_T0);
    }
    for (size_t i = 0; i < n_fresh; ++i) {
      const uint32_t node = fresh[i];
      const float d = CodeDistance(q, node);
      if (top.size() < ef || d < bound) {
        frontier.emplace(d, node);
        if (!restricted || allowed(node)) {
          top.emplace(d, node);
          if (top.size() > ef) top.pop();
        }
        if (!top.empty()) bound = top.top().first;
      }
    }
  }

  // Re-rank the best `rerank` by exact distance on the full vectors.
  std::vector<Candidate> found(top.size());
  for (size_t i = found.size(); i-- > 0; top.pop()) found[i] = top.top();
  if (found.size() > rerank) found.resize(rerank);
  // The full vectors are cold (page cache): fetch the next one's lines while
  // computing on this one.
  const size_t row_bytes = size_t(dim_) * sizeof(float);
  auto prefetch = [&](uint32_t node) {
    const char* row = reinterpret_cast<const char*>(vector(node));
    for (size_t off = 0; off < row_bytes; off += 64) _mm_prefetch(row + off, _MM_HINT_T0);
  };
  if (!found.empty()) prefetch(found[0].second);
  for (size_t i = 0; i < found.size(); ++i) {
    if (i + 1 < found.size()) prefetch(found[i + 1].second);
    found[i].first = ExactDistance(query, found[i].second);
  }
  std::sort(found.begin(), found.end());
  const size_t out = std::min(found.size(), size_t(k));
  for (size_t i = 0; i < out; ++i) {
    distances[i] = inner_product_ ? 1.0f - found[i].first : found[i].first;
    ids[i] = *labels_.row(found[i].second);
  }
}

absl::Status QuantizedHnswIndex::Search(const float* queries, int64_t n, int k,
                                        const IdFilter* filter, const SearchTuning& tuning,
                                        std::vector<float>* distances,
                                        std::vector<int64_t>* ids) const {
  distances->assign(n * k, 0.0f);
  ids->assign(n * k, -1);
  if (size() == 0) return absl::OkStatus();
  const size_t rerank =
      size_t(std::max(k, tuning.rerank > 0 ? tuning.rerank : spec_.rerank));
  const size_t ef = std::max(
      rerank, size_t(std::max(k, tuning.ef_search > 0 ? tuning.ef_search : spec_.ef_search)));
  return RunQueries(n, "searching quantised HNSW index", [&](int64_t q) {
    SearchOne(queries + q * dim_, k, ef, rerank, filter, distances->data() + q * k,
              ids->data() + q * k);
  });
}

IndexMemory QuantizedHnswIndex::Memory() const {
  IndexMemory m;
  size_t upper = 0;
  for (size_t i = 0; i < count_; ++i) {
    upper += size_t(*levels_.row(i)) * (1 + max_m_) * sizeof(uint32_t);
  }
  m.graph_bytes = links0_.bytes() + upper + upper_.bytes() + levels_.bytes() + labels_.bytes() +
                  deleted_.bytes() + node_of_.capacity() * (sizeof(uint32_t) + 1) +
                  kLockStripes * sizeof(std::mutex);
  m.code_bytes = codes_.bytes() + quantizer_.MemoryBytes();
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

}  // namespace metricdb
