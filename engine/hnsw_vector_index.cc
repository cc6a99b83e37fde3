#include "engine/hnsw_vector_index.h"

#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>

#include "absl/strings/str_cat.h"
#include "engine/bytes.h"
#include "engine/faiss_call.h"
#include "engine/metric.h"

namespace metricdb {
namespace {

// Hides tombstones and applies the caller's filter (over record ids).
class LiveSelector final : public faiss::IDSelector {
 public:
  LiveSelector(const std::vector<int64_t>& slot_ids, const IdFilter* filter)
      : slot_ids_(slot_ids), filter_(filter) {}
  bool is_member(faiss::Index::idx_t slot) const override {
    const int64_t id = slot_ids_[slot];
    return id >= 0 && (filter_ == nullptr || filter_->Allows(id));
  }

 private:
  const std::vector<int64_t>& slot_ids_;
  const IdFilter* filter_;
};

}  // namespace

HnswVectorIndex::HnswVectorIndex(int dim, Metric metric, const IndexSpec& spec)
    : dim_(dim), metric_(metric), spec_(spec), graph_(NewGraph()) {}

std::unique_ptr<faiss::IndexHNSWFlat> HnswVectorIndex::NewGraph() const {
  auto graph = std::make_unique<faiss::IndexHNSWFlat>(
      dim_, spec_.m,
      UsesInnerProduct(metric_) ? faiss::METRIC_INNER_PRODUCT : faiss::METRIC_L2);
  graph->hnsw.efConstruction = spec_.ef_construction;
  graph->hnsw.efSearch = spec_.ef_search;
  return graph;
}

absl::Status HnswVectorIndex::Add(absl::Span<const int64_t> ids, const float* vectors) {
  for (int64_t id : ids) {
    if (id_slots_.count(id)) {
      return absl::InternalError(absl::StrCat("record id ", id, " indexed twice"));
    }
  }
  const int64_t first = graph_->ntotal;
  absl::Status s = FaissCall("adding to HNSW index", [&] {
    graph_->add(static_cast<faiss::Index::idx_t>(ids.size()), vectors);
  });
  if (!s.ok()) return s;
  slot_ids_.insert(slot_ids_.end(), ids.begin(), ids.end());
  for (size_t i = 0; i < ids.size(); ++i) id_slots_[ids[i]] = first + int64_t(i);
  return absl::OkStatus();
}

absl::Status HnswVectorIndex::Remove(absl::Span<const int64_t> ids) {
  for (int64_t id : ids) {
    auto it = id_slots_.find(id);
    if (it == id_slots_.end()) continue;
    slot_ids_[it->second] = -1;
    id_slots_.erase(it);
  }
  return absl::OkStatus();
}

bool HnswVectorIndex::NeedsRebuild() const {
  const double dead = double(slot_ids_.size() - id_slots_.size());
  return dead > kRebuildFraction * double(slot_ids_.size());
}

absl::Status HnswVectorIndex::Search(const float* queries, int64_t n, int k,
                                     const IdFilter* filter, const SearchTuning& tuning,
                                     std::vector<float>* distances,
                                     std::vector<int64_t>* ids) const {
  distances->assign(n * k, 0.0f);
  ids->assign(n * k, -1);
  if (id_slots_.empty()) return absl::OkStatus();
  // FAISS 1.7.3 sizes the candidate queue from the graph's own efSearch and
  // takes only the stopping rule from the per-call parameter, so the graph's
  // efSearch must equal the requested one. Searches with the graph's current
  // ef_search run concurrently; one that needs another value changes it under
  // an exclusive lock (one ef per workload, the usual case, never waits).
  const int ef = tuning.ef_search > 0 ? tuning.ef_search : spec_.ef_search;
  std::vector<faiss::Index::idx_t> slots(n * k, -1);
  LiveSelector selector(slot_ids_, filter);
  faiss::SearchParametersHNSW params;
  params.efSearch = ef;
  if (filter != nullptr || id_slots_.size() < slot_ids_.size()) params.sel = &selector;
  auto run = [&] {
    return FaissCall("searching HNSW index", [&] {
      graph_->search(n, queries, k, distances->data(), slots.data(), &params);
    });
  };
  absl::Status s;
  bool done = false;
  {
    std::shared_lock<WriterPriorityMutex> shared(ef_mu_);
    if (graph_->hnsw.efSearch == ef) {
      s = run();
      done = true;
    }
  }
  if (!done) {
    std::unique_lock<WriterPriorityMutex> exclusive(ef_mu_);
    graph_->hnsw.efSearch = ef;
    s = run();
  }
  if (!s.ok()) return s;
  for (int64_t i = 0; i < n * k; ++i) {
    (*ids)[i] = slots[i] < 0 ? -1 : slot_ids_[slots[i]];
  }
  return absl::OkStatus();
}

size_t HnswVectorIndex::MemoryBytes() const {
  const auto& h = graph_->hnsw;
  return size_t(graph_->ntotal) * dim_ * sizeof(float) +
         h.neighbors.capacity() * sizeof(h.neighbors[0]) +
         h.offsets.capacity() * sizeof(h.offsets[0]) + h.levels.capacity() * sizeof(int) +
         slot_ids_.capacity() * sizeof(int64_t) +
         id_slots_.size() * (sizeof(int64_t) * 2 + sizeof(void*) * 2);
}

absl::Status HnswVectorIndex::Serialize(std::string* out) const {
  faiss::VectorIOWriter writer;
  absl::Status s = FaissCall("serializing HNSW index",
                             [&] { faiss::write_index(graph_.get(), &writer); });
  if (!s.ok()) return s;
  PutArray(out, slot_ids_);
  PutArray(out, writer.data);
  return absl::OkStatus();
}

absl::Status HnswVectorIndex::Deserialize(std::string_view bytes) {
  ByteReader r(bytes);
  std::vector<int64_t> slot_ids;
  faiss::VectorIOReader reader;
  if (!r.Array(&slot_ids) || !r.Array(&reader.data) || !r.done()) {
    return absl::DataLossError("HNSW snapshot does not parse");
  }
  std::unique_ptr<faiss::Index> index;
  absl::Status s = FaissCall("reading HNSW snapshot",
                             [&] { index.reset(faiss::read_index(&reader)); });
  if (!s.ok()) return absl::DataLossError(s.message());
  auto* graph = dynamic_cast<faiss::IndexHNSWFlat*>(index.get());
  if (graph == nullptr || graph->d != dim_ || size_t(graph->ntotal) != slot_ids.size()) {
    return absl::DataLossError("HNSW snapshot holds a different index");
  }
  index.release();
  graph_.reset(graph);
  graph_->hnsw.efSearch = spec_.ef_search;
  slot_ids_ = std::move(slot_ids);
  id_slots_.clear();
  for (size_t slot = 0; slot < slot_ids_.size(); ++slot) {
    if (slot_ids_[slot] >= 0) id_slots_[slot_ids_[slot]] = int64_t(slot);
  }
  return absl::OkStatus();
}

std::vector<int64_t> HnswVectorIndex::Ids() const {
  std::vector<int64_t> ids;
  ids.reserve(id_slots_.size());
  for (const auto& [id, slot] : id_slots_) ids.push_back(id);
  return ids;
}

IndexStatus HnswVectorIndex::status() const {
  IndexStatus st;
  st.tombstones = int64_t(slot_ids_.size() - id_slots_.size());
  return st;
}

}  // namespace metricdb
