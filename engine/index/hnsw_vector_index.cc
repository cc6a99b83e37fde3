#include "engine/index/hnsw_vector_index.h"

// hnswlib 0.6.2's own SSE prefetches read one link past the end of an
// upper-layer link list during inserts (a 4-byte heap over-read, found by
// AddressSanitizer); without them its code stays in bounds. Distances and the
// search loop (with its in-bounds prefetches) are ours either way.
#define NO_MANUAL_VECTORIZATION
#include <hnswlib/hnswlib.h>
#include <omp.h>
#include <xmmintrin.h>  // _mm_prefetch (SSE, every x86-64 CPU)

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <queue>

#include "absl/strings/str_cat.h"
#include "engine/base/bytes.h"
#include "engine/base/faiss_call.h"
#include "engine/base/metric.h"
#include "engine/index/distance_kernels.h"
#include "engine/index/huge_pages.h"
#include "engine/index/query_loop.h"

namespace metricdb {
namespace {

using hnswlib::linklistsizeint;
using hnswlib::tableint;

constexpr size_t kInitialCapacity = 1024;
// Batches at least this large are inserted by every core.
constexpr size_t kParallelAddMin = 256;
constexpr char kMagic[] = "HNSWLIB1";

}  // namespace

// hnswlib's view of a vector space: element size and the distance function
// (ours, for this CPU).
class HnswVectorIndex::Space final : public hnswlib::SpaceInterface<float> {
 public:
  Space(size_t dim, bool inner_product)
      : dim_(dim),
        distance_(inner_product ? Kernels().one_minus_dot_by_ref : Kernels().l2sqr_by_ref) {}
  size_t get_data_size() override { return dim_ * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return distance_; }
  void* get_dist_func_param() override { return &dim_; }

 private:
  size_t dim_;
  const hnswlib::DISTFUNC<float> distance_;
};

HnswVectorIndex::HnswVectorIndex(int dim, Metric metric, const IndexSpec& spec)
    : dim_(dim),
      inner_product_(UsesInnerProduct(metric)),
      spec_(spec),
      space_(std::make_unique<Space>(size_t(dim), inner_product_)),
      graph_(std::make_unique<Graph>(space_.get(), kInitialCapacity, size_t(spec.m),
                                     size_t(spec.ef_construction))) {}

HnswVectorIndex::~HnswVectorIndex() = default;

int64_t HnswVectorIndex::size() const {
  return int64_t(graph_->cur_element_count - graph_->num_deleted_);
}

absl::Status HnswVectorIndex::Reserve(size_t elements) {
  if (elements <= graph_->max_elements_) return absl::OkStatus();
  const size_t capacity = std::max(elements, graph_->max_elements_ * 2);
  absl::Status grown = FaissCall("growing HNSW index", [&] { graph_->resizeIndex(capacity); });
  if (grown.ok()) {
    // resizeIndex reallocates the vectors-and-links block (see huge_pages.h).
    PreferHugePages(graph_->data_level0_memory_, capacity * graph_->size_data_per_element_,
                    graph_->cur_element_count * graph_->size_data_per_element_);
  }
  return grown;
}

absl::Status HnswVectorIndex::Add(absl::Span<const int64_t> ids, const float* vectors) {
  for (int64_t id : ids) {
    auto it = graph_->label_lookup_.find(hnswlib::labeltype(id));
    if (it != graph_->label_lookup_.end() && !graph_->isMarkedDeleted(it->second)) {
      return absl::InternalError(absl::StrCat("record id ", id, " indexed twice"));
    }
  }
  absl::Status s = Reserve(graph_->cur_element_count + ids.size());
  if (!s.ok()) return s;
  // Levels are drawn here, in order, so the graph's random generator is
  // never shared by the inserting threads.
  std::vector<int> levels(ids.size());
  for (int& level : levels) level = graph_->getRandomLevel(graph_->mult_);
  std::atomic<bool> failed{false};
  std::string error;
  auto insert = [&](size_t i) {
    absl::Status st = FaissCall("adding to HNSW index", [&] {
      graph_->addPoint(vectors + i * size_t(dim_), hnswlib::labeltype(ids[i]), levels[i]);
    });
    if (!st.ok() && !failed.exchange(true)) error = std::string(st.message());
  };
  if (ids.size() < kParallelAddMin) {
    for (size_t i = 0; i < ids.size() && !failed; ++i) insert(i);
  } else {
#pragma omp parallel for schedule(dynamic, 16)
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!failed) insert(i);
    }
  }
  // hnswlib fails only when it cannot allocate; the caller rebuilds.
  if (failed) return absl::ResourceExhaustedError(error);
  return absl::OkStatus();
}

absl::Status HnswVectorIndex::Remove(absl::Span<const int64_t> ids) {
  for (int64_t id : ids) {
    auto it = graph_->label_lookup_.find(hnswlib::labeltype(id));
    if (it == graph_->label_lookup_.end() || graph_->isMarkedDeleted(it->second)) continue;
    graph_->markDeletedInternal(it->second);
  }
  return absl::OkStatus();
}

bool HnswVectorIndex::NeedsRebuild() const {
  return double(graph_->num_deleted_) > kRebuildFraction * double(graph_->cur_element_count);
}

void HnswVectorIndex::SearchOne(const float* query, int k, size_t ef, const IdFilter* filter,
                                float* distances, int64_t* ids) const {
  const Graph& g = *graph_;
  const hnswlib::DISTFUNC<float> dist = g.fstdistfunc_;
  const void* param = g.dist_func_param_;

  // Upper layers: greedy descent to the closest node.
  tableint cur = g.enterpoint_node_;
  float cur_d = dist(query, g.getDataByInternalId(cur), param);
  for (int level = g.maxlevel_; level > 0; --level) {
    for (bool changed = true; changed;) {
      changed = false;
      linklistsizeint* list = g.get_linklist(cur, level);
      const size_t count = g.getListCount(list);
      const tableint* next = reinterpret_cast<const tableint*>(list + 1);
      for (size_t i = 0; i < count; ++i) {
        const float d = dist(query, g.getDataByInternalId(next[i]), param);
        if (d < cur_d) {
          cur_d = d;
          cur = next[i];
          changed = true;
        }
      }
    }
  }

  // Base layer: beam search of width ef. Every node routes; only live nodes
  // the filter allows enter the results.
  const bool restricted = filter != nullptr || g.num_deleted_ > 0;
  auto allowed = [&](tableint node) {
    return !g.isMarkedDeleted(node) &&
           (filter == nullptr || filter->Allows(int64_t(g.getExternalLabel(node))));
  };
  using Entry = std::pair<float, tableint>;
  std::priority_queue<Entry> top;  // farthest on top
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> frontier;
  hnswlib::VisitedList* visited = g.visited_list_pool_->getFreeVisitedList();
  hnswlib::vl_type* mark = visited->mass;
  const hnswlib::vl_type tag = visited->curV;
  float bound = std::numeric_limits<float>::max();
  if (!restricted || allowed(cur)) {
    top.emplace(cur_d, cur);
    bound = cur_d;
  }
  frontier.emplace(cur_d, cur);
  mark[cur] = tag;
  while (!frontier.empty()) {
    const Entry nearest = frontier.top();
    if (nearest.first > bound && (top.size() == ef || !restricted)) break;
    frontier.pop();
    linklistsizeint* list = g.get_linklist0(nearest.second);
    const size_t count = g.getListCount(list);
    const tableint* next = reinterpret_cast<const tableint*>(list + 1);
    if (count > 0) {
      _mm_prefetch(reinterpret_cast<const char*>(mark + next[0]), _MM_HINT_T0);
      _mm_prefetch(g.getDataByInternalId(next[0]), _MM_HINT_T0);
    }
    for (size_t i = 0; i < count; ++i) {
      const tableint node = next[i];
      if (i + 1 < count) {
        _mm_prefetch(reinterpret_cast<const char*>(mark + next[i + 1]), _MM_HINT_T0);
        _mm_prefetch(g.getDataByInternalId(next[i + 1]), _MM_HINT_T0);
      }
      if (mark[node] == tag) continue;
      mark[node] = tag;
      const float d = dist(query, g.getDataByInternalId(node), param);
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
  g.visited_list_pool_->releaseVisitedList(visited);

  while (top.size() > size_t(k)) top.pop();
  for (int i = int(top.size()) - 1; i >= 0; --i, top.pop()) {
    const float d = top.top().first;
    distances[i] = inner_product_ ? 1.0f - d : d;
    ids[i] = int64_t(g.getExternalLabel(top.top().second));
  }
}

absl::Status HnswVectorIndex::Search(const float* queries, int64_t n, int k, const IdFilter* filter,
                                     const SearchTuning& tuning, std::vector<float>* distances,
                                     std::vector<int64_t>* ids) const {
  distances->assign(n * k, 0.0f);
  ids->assign(n * k, -1);
  if (size() == 0) return absl::OkStatus();
  const size_t ef = size_t(std::max(k, tuning.ef_search > 0 ? tuning.ef_search : spec_.ef_search));
  return RunQueries(n, "searching HNSW index", [&](int64_t q) {
    SearchOne(queries + q * dim_, k, ef, filter, distances->data() + q * k, ids->data() + q * k);
  });
}

size_t HnswVectorIndex::MemoryBytes() const {
  const Graph& g = *graph_;
  size_t upper = 0;
  for (size_t i = 0; i < g.cur_element_count; ++i) {
    upper += size_t(g.element_levels_[i]) * g.size_links_per_element_;
  }
  return g.max_elements_ * (g.size_data_per_element_ + sizeof(void*) + sizeof(int) +
                            sizeof(std::mutex) + sizeof(hnswlib::vl_type)) +
         upper +
         g.label_lookup_.size() *
             (sizeof(hnswlib::labeltype) + sizeof(tableint) + 2 * sizeof(void*));
}

IndexMemory HnswVectorIndex::Memory() const {
  IndexMemory m;
  // hnswlib keeps each element's vector inside its base-layer block.
  m.vector_bytes = graph_->max_elements_ * size_t(dim_) * sizeof(float);
  m.graph_bytes = MemoryBytes() - m.vector_bytes;
  return m;
}

// Snapshot layout: magic, dim, M, the counts and entry point, the base layer
// block (links, vector, label per element) and each element's upper links.
absl::Status HnswVectorIndex::Serialize(std::string* out) const {
  const Graph& g = *graph_;
  out->append(kMagic, 8);
  PutPod<uint64_t>(out, uint64_t(dim_));
  PutPod<uint64_t>(out, g.M_);
  PutPod<uint64_t>(out, g.cur_element_count);
  PutPod<int32_t>(out, int32_t(g.maxlevel_));
  PutPod<uint32_t>(out, g.enterpoint_node_);
  PutPod<double>(out, g.mult_);
  out->append(g.data_level0_memory_, g.cur_element_count * g.size_data_per_element_);
  for (size_t i = 0; i < g.cur_element_count; ++i) {
    const int32_t level = g.element_levels_[i];
    PutPod<int32_t>(out, level);
    if (level > 0) out->append(g.linkLists_[i], size_t(level) * g.size_links_per_element_);
  }
  return absl::OkStatus();
}

absl::Status HnswVectorIndex::Deserialize(std::string_view bytes) {
  auto corrupt = [](const char* why) {
    return absl::DataLossError(absl::StrCat("HNSW snapshot: ", why));
  };
  if (bytes.size() < 8 || bytes.substr(0, 8) != std::string_view(kMagic, 8)) {
    return corrupt("not an hnswlib graph");
  }
  ByteReader r(bytes.substr(8));
  uint64_t dim = 0, m = 0, count = 0;
  int32_t max_level = 0;
  uint32_t entry = 0;
  double mult = 0;
  if (!r.Pod(&dim) || !r.Pod(&m) || !r.Pod(&count) || !r.Pod(&max_level) || !r.Pod(&entry) ||
      !r.Pod(&mult)) {
    return corrupt("short header");
  }
  if (dim != uint64_t(dim_) || m != uint64_t(spec_.m)) return corrupt("different schema");
  if (count > (uint64_t(1) << 32) - 2 || max_level < -1 || max_level > 64 ||
      (count > 0 && entry >= count)) {
    return corrupt("bad header values");
  }
  // Every element takes at least its base-layer block in the payload: a
  // damaged count must not size the graph (found by ASan: 62 GB).
  const size_t per_element = 2 * size_t(m) * sizeof(tableint) + sizeof(linklistsizeint) +
                             size_t(dim_) * sizeof(float) + sizeof(hnswlib::labeltype);
  if (count > r.rest().size() / per_element) return corrupt("more elements than bytes");
  std::unique_ptr<Graph> graph;
  absl::Status s = FaissCall("reading HNSW snapshot", [&] {
    graph = std::make_unique<Graph>(space_.get(), std::max<size_t>(count, kInitialCapacity),
                                    size_t(spec_.m), size_t(spec_.ef_construction));
  });
  if (!s.ok()) return s;
  Graph& g = *graph;
  const size_t base_bytes = count * g.size_data_per_element_;
  if (!r.Raw(base_bytes, g.data_level0_memory_)) return corrupt("short base layer");
  g.maxlevel_ = max_level;
  g.enterpoint_node_ = count > 0 ? entry : tableint(-1);
  g.mult_ = mult;
  // A list at `level` may only hold ids of elements that reach that level
  // (a search walks their lists there).
  auto links_ok = [&](linklistsizeint* list, size_t max_links, int level) {
    const size_t n = g.getListCount(list);
    if (n > max_links) return false;
    const tableint* next = reinterpret_cast<const tableint*>(list + 1);
    for (size_t j = 0; j < n; ++j) {
      if (next[j] >= count || g.element_levels_[next[j]] < level) return false;
    }
    return true;
  };
  // Upper links per element. cur_element_count counts the elements whose
  // links are owned by the graph so far (its destructor frees them).
  for (size_t i = 0; i < count; ++i) {
    int32_t level = 0;
    if (!r.Pod(&level) || level < 0 || level > max_level) return corrupt("bad element level");
    g.linkLists_[i] = nullptr;
    if (level > 0) {
      const size_t n = size_t(level) * g.size_links_per_element_;
      char* block = static_cast<char*>(std::malloc(n));
      if (block == nullptr) {
        return absl::ResourceExhaustedError("reading HNSW snapshot: out of memory");
      }
      g.linkLists_[i] = block;
    }
    g.element_levels_[i] = level;
    g.cur_element_count = i + 1;
    if (level > 0 && !r.Raw(size_t(level) * g.size_links_per_element_, g.linkLists_[i])) {
      return corrupt("short links");
    }
  }
  if (!r.done()) return corrupt("trailing bytes");
  for (size_t i = 0; i < count; ++i) {
    if (!links_ok(g.get_linklist0(tableint(i)), g.maxM0_, 0)) return corrupt("bad base links");
    for (int l = 1; l <= g.element_levels_[i]; ++l) {
      if (!links_ok(g.get_linklist(tableint(i), l), g.maxM_, l)) {
        return corrupt("bad upper-layer links");
      }
    }
    const hnswlib::labeltype label = g.getExternalLabel(tableint(i));
    if (!g.label_lookup_.emplace(label, tableint(i)).second) return corrupt("repeated id");
    if (g.isMarkedDeleted(tableint(i))) ++g.num_deleted_;
  }
  if (count > 0 && g.element_levels_[entry] != max_level) return corrupt("bad entry point");
  graph_ = std::move(graph);
  return absl::OkStatus();
}

std::vector<int64_t> HnswVectorIndex::Ids() const {
  std::vector<int64_t> ids;
  ids.reserve(size_t(size()));
  for (const auto& [label, node] : graph_->label_lookup_) {
    if (!graph_->isMarkedDeleted(node)) ids.push_back(int64_t(label));
  }
  return ids;
}

IndexStatus HnswVectorIndex::status() const {
  IndexStatus st;
  st.tombstones = int64_t(graph_->num_deleted_);
  return st;
}

bool HnswVectorIndex::CopyVectors(absl::Span<const int64_t> ids, float* out) const {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (graph_ == nullptr) return false;
    auto it = graph_->label_lookup_.find(hnswlib::labeltype(ids[i]));
    if (it == graph_->label_lookup_.end() || graph_->isMarkedDeleted(it->second)) return false;
    std::memcpy(out + i * size_t(dim_), graph_->getDataByInternalId(it->second),
                size_t(dim_) * sizeof(float));
  }
  return true;
}

}  // namespace metricdb
