#include "engine/flat_vector_index.h"

#include <faiss/impl/IDSelector.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/faiss_call.h"

namespace metricdb {
namespace {

// Presents an IdFilter over record ids to FAISS, which sees slots.
class SlotSelector final : public faiss::IDSelector {
 public:
  SlotSelector(const IdFilter& filter, const std::vector<int64_t>& slot_ids)
      : filter_(filter), slot_ids_(slot_ids) {}
  bool is_member(faiss::Index::idx_t slot) const override {
    return filter_.Allows(slot_ids_[slot]);
  }

 private:
  const IdFilter& filter_;
  const std::vector<int64_t>& slot_ids_;
};

}  // namespace

FlatVectorIndex::FlatVectorIndex(int dim, Metric metric)
    : index_(dim, UsesInnerProduct(metric) ? faiss::METRIC_INNER_PRODUCT
                                           : faiss::METRIC_L2) {}

absl::Status FlatVectorIndex::Add(absl::Span<const int64_t> ids,
                                  const float* vectors) {
  for (int64_t id : ids) {
    if (id_slots_.count(id)) {
      return absl::InternalError(absl::StrCat("record id ", id, " indexed twice"));
    }
  }
  const int64_t first_slot = index_.ntotal;
  absl::Status s = FaissCall("adding to flat index", [&] {
    index_.add(static_cast<faiss::Index::idx_t>(ids.size()), vectors);
  });
  if (!s.ok()) return s;
  slot_ids_.insert(slot_ids_.end(), ids.begin(), ids.end());
  for (size_t i = 0; i < ids.size(); ++i) id_slots_[ids[i]] = first_slot + i;
  return absl::OkStatus();
}

absl::Status FlatVectorIndex::Remove(absl::Span<const int64_t> ids) {
  const size_t row_bytes = index_.code_size;
  for (int64_t id : ids) {
    auto it = id_slots_.find(id);
    if (it == id_slots_.end()) continue;
    const int64_t slot = it->second;
    const int64_t last = index_.ntotal - 1;
    id_slots_.erase(it);
    if (slot != last) {
      std::memcpy(index_.codes.data() + slot * row_bytes,
                  index_.codes.data() + last * row_bytes, row_bytes);
      slot_ids_[slot] = slot_ids_[last];
      id_slots_[slot_ids_[slot]] = slot;
    }
    slot_ids_.pop_back();
    index_.codes.resize(last * row_bytes);
    index_.ntotal = last;
  }
  return absl::OkStatus();
}

absl::Status FlatVectorIndex::Search(const float* queries, int64_t n, int k,
                                     const IdFilter* filter,
                                     std::vector<float>* distances,
                                     std::vector<int64_t>* ids) const {
  distances->assign(n * k, 0.0f);
  std::vector<faiss::Index::idx_t> slots(n * k, -1);
  if (index_.ntotal > 0) {
    std::unique_ptr<SlotSelector> selector;
    faiss::SearchParameters params;
    if (filter != nullptr) {
      selector = std::make_unique<SlotSelector>(*filter, slot_ids_);
      params.sel = selector.get();
    }
    absl::Status s = FaissCall("searching flat index", [&] {
      index_.search(n, queries, k, distances->data(), slots.data(),
                    filter != nullptr ? &params : nullptr);
    });
    if (!s.ok()) return s;
  }
  ids->resize(n * k);
  for (int64_t i = 0; i < n * k; ++i) {
    (*ids)[i] = slots[i] < 0 ? -1 : slot_ids_[slots[i]];
  }
  return absl::OkStatus();
}

size_t FlatVectorIndex::MemoryBytes() const {
  return index_.codes.capacity() + slot_ids_.capacity() * sizeof(int64_t) +
         id_slots_.size() * (sizeof(int64_t) * 2 + sizeof(void*) * 2) +
         id_slots_.bucket_count() * sizeof(void*);
}

}  // namespace metricdb
