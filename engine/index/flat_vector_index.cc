#include "engine/index/flat_vector_index.h"

#include <faiss/impl/IDSelector.h>
#include <faiss/utils/distances.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/base/bytes.h"
#include "engine/base/faiss_call.h"
#include "engine/index/exact_scan.h"

namespace metricdb {
namespace {

// Extra neighbours a batched search finds per query before re-measuring.
constexpr size_t kBoundaryMargin = 16;

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
    : dim_(size_t(dim)), inner_product_(UsesInnerProduct(metric)) {}

absl::Status FlatVectorIndex::Add(absl::Span<const int64_t> ids, const float* vectors) {
  for (int64_t id : ids) {
    if (id_slots_.count(id)) {
      return absl::InternalError(absl::StrCat("record id ", id, " indexed twice"));
    }
  }
  const size_t first = slot_ids_.size();
  const size_t needed = first + ids.size();
  if (absl::Status s = rows_.Append(vectors, ids.size() * dim_); !s.ok()) return s;
  if (!inner_product_) {
    norms_.resize(needed);
    faiss::fvec_norms_L2sqr(norms_.data() + first, vectors, dim_, ids.size());
  }
  slot_ids_.insert(slot_ids_.end(), ids.begin(), ids.end());
  for (size_t i = 0; i < ids.size(); ++i) id_slots_[ids[i]] = int64_t(first + i);
  return absl::OkStatus();
}

absl::Status FlatVectorIndex::Remove(absl::Span<const int64_t> ids) {
  for (int64_t id : ids) {
    auto it = id_slots_.find(id);
    if (it == id_slots_.end()) continue;
    const size_t slot = size_t(it->second);
    const size_t last = slot_ids_.size() - 1;
    id_slots_.erase(it);
    if (slot != last) {
      std::memcpy(rows_.data() + slot * dim_, rows_.data() + last * dim_, dim_ * sizeof(float));
      if (!inner_product_) norms_[slot] = norms_[last];
      slot_ids_[slot] = slot_ids_[last];
      id_slots_[slot_ids_[slot]] = int64_t(slot);
    }
    slot_ids_.pop_back();
    rows_.Truncate(last * dim_);
    if (!inner_product_) norms_.pop_back();
  }
  return absl::OkStatus();
}

void FlatVectorIndex::Export(std::vector<int64_t>* ids, std::vector<float>* vectors) const {
  *ids = slot_ids_;
  vectors->assign(rows_.data(), rows_.data() + rows_.size());
}

absl::Status FlatVectorIndex::Search(const float* queries, int64_t n, int k, const IdFilter* filter,
                                     const SearchTuning&, std::vector<float>* distances,
                                     std::vector<int64_t>* ids) const {
  distances->assign(n * k, 0.0f);
  std::vector<int64_t> slots(n * k, -1);
  if (!slot_ids_.empty()) {
    std::unique_ptr<SlotSelector> selector;
    if (filter != nullptr) selector = std::make_unique<SlotSelector>(*filter, slot_ids_);
    const ScanMatrix matrix{rows_.data(), slot_ids_.size(), dim_, inner_product_};
    absl::Status s = FaissCall("searching flat index", [&] {
      if (size_t(n) <= kMaxScanQueries) {
        const std::function<bool(size_t)> allow = [&](size_t slot) {
          return selector->is_member(faiss::Index::idx_t(slot));
        };
        ScanOptions options;
        if (selector != nullptr) options.allow = &allow;
        ExactScan(matrix, queries, size_t(n), size_t(k), options, distances->data(), slots.data());
      } else {
        // A matrix product (FAISS), k + kBoundaryMargin found per query and
        // re-measured with the scan's kernels, the best k kept: a query gets
        // the same answer alone or in a batch (the product's rounding would
        // otherwise shift distances and swap near-ties at the k-th place).
        const size_t wide = size_t(k) + kBoundaryMargin;
        std::vector<float> wide_d(size_t(n) * wide);
        std::vector<int64_t> wide_s(size_t(n) * wide);
        if (inner_product_) {
          faiss::knn_inner_product(queries, rows_.data(), dim_, n, slot_ids_.size(), wide,
                                   wide_d.data(), wide_s.data(), selector.get());
        } else {
          faiss::knn_L2sqr(queries, rows_.data(), dim_, n, slot_ids_.size(), wide, wide_d.data(),
                           wide_s.data(), norms_.data(), selector.get());
        }
        RemeasureFound(matrix, queries, size_t(n), wide, wide_d.data(), wide_s.data());
        for (int64_t q = 0; q < n; ++q) {
          std::copy_n(wide_d.begin() + q * wide, k, distances->begin() + q * k);
          std::copy_n(wide_s.begin() + q * wide, k, slots.begin() + q * k);
        }
      }
    });
    if (!s.ok()) return s;
  }
  ids->resize(n * k);
  for (int64_t i = 0; i < n * k; ++i) {
    (*ids)[i] = slots[i] < 0 ? -1 : slot_ids_[slots[i]];
  }
  return absl::OkStatus();
}

absl::Status FlatVectorIndex::Serialize(std::string* out) const {
  PutArray(out, slot_ids_);
  PutArray(out, rows_.data(), rows_.size());
  return absl::OkStatus();
}

absl::Status FlatVectorIndex::Deserialize(std::string_view bytes) {
  ByteReader r(bytes);
  std::vector<int64_t> ids;
  std::vector<float> rows;
  if (!r.Array(&ids) || !r.Array(&rows) || !r.done() || rows.size() != ids.size() * dim_) {
    return absl::DataLossError("flat index snapshot does not parse");
  }
  slot_ids_.clear();
  rows_.Clear();
  norms_.clear();
  id_slots_.clear();
  return Add(ids, rows.data());
}

std::vector<int64_t> FlatVectorIndex::Ids() const { return slot_ids_; }

size_t FlatVectorIndex::MemoryBytes() const {
  return rows_.capacity_bytes() + norms_.capacity() * sizeof(float) +
         slot_ids_.capacity() * sizeof(int64_t) +
         id_slots_.size() * (sizeof(int64_t) * 2 + sizeof(void*) * 2) +
         id_slots_.bucket_count() * sizeof(void*);
}

}  // namespace metricdb
