// Collection: sampling for learners, metric versions, named entries.
#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "engine/base/attribute_types.h"
#include "engine/collection/collection.h"

namespace metricdb {

absl::StatusOr<RecordSample> Collection::SampleRecords(const RecordSelection& which, int64_t max,
                                                       uint64_t seed) const {
  return SamplePage(which, max, seed, 0, max);
}

absl::StatusOr<RecordSample> Collection::SamplePage(const RecordSelection& which, int64_t max,
                                                    uint64_t seed, int64_t offset,
                                                    int64_t limit) const {
  if (auto s = ExpireDue(); !s.ok()) return s;
  auto filter = ParseTypedFilter(which.filter, schema_.attributes);
  if (!filter.ok()) return filter.status();
  std::vector<int64_t> ids;
  std::shared_ptr<const StoreReadView> view;
  {
    std::shared_lock<WriterPriorityMutex> lock(mu_);
    if (dropped_) return NotFound();
    ids = catalogue_.Select(which.scope, which.labels);
    if (*filter) {
      const auto matching = MatchingLocked(which.filter, **filter);
      ids.erase(
          std::remove_if(ids.begin(), ids.end(), [&](int64_t id) { return !matching->Allows(id); }),
          ids.end());
    }
    view = read_view_;
  }
  std::sort(ids.begin(), ids.end());
  const int64_t population = int64_t(ids.size());
  if (int64_t(ids.size()) > max) {
    std::mt19937_64 rng(seed);
    std::shuffle(ids.begin(), ids.end(), rng);
    ids.resize(max);
    std::sort(ids.begin(), ids.end());
  }
  const int64_t from = std::min(int64_t(ids.size()), std::max<int64_t>(0, offset));
  const int64_t to = std::min(int64_t(ids.size()), from + std::max<int64_t>(0, limit));
  ids = std::vector<int64_t>(ids.begin() + from, ids.begin() + to);
  auto stored = store_->GetRecords(id_, ids, view.get());
  if (!stored.ok()) return stored.status();
  RecordSample out;
  out.dim = schema_.dim;
  out.population = population;
  out.x.reserve(ids.size() * size_t(out.dim));
  for (auto& rec : *stored) {
    if (!rec) return absl::InternalError("indexed record missing from store");
    out.keys.push_back(std::move(rec->key));
    out.x.insert(out.x.end(), rec->vector.begin(), rec->vector.end());
    out.labels.push_back(std::move(rec->label));
  }
  return out;
}

absl::StatusOr<int32_t> Collection::AddMetricVersion(StoredMetricVersion version) {
  return AddMetricVersionAt(std::move(version), 0);
}

absl::StatusOr<int32_t> Collection::AddMetricVersionAt(StoredMetricVersion version,
                                                       int32_t number) {
  if (auto s = version.map.Validate(schema_.dim, "map"); !s.ok()) return s;
  if (auto s = CheckNotDropped(); !s.ok()) return s;
  return store_->AddMetricVersion(id_, std::move(version), number);
}

absl::StatusOr<std::vector<StoredMetricVersion>> Collection::ListMetricVersions(
    bool include_maps) const {
  if (auto s = CheckNotDropped(); !s.ok()) return s;
  return store_->ListMetricVersions(id_, include_maps);
}

absl::Status Collection::PutEntry(std::string_view name, std::string_view value) {
  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return NotFound();
  return store_->PutCollectionEntry(id_, name, value);
}

absl::StatusOr<std::optional<std::string>> Collection::GetEntry(std::string_view name) const {
  if (auto s = CheckNotDropped(); !s.ok()) return s;
  return store_->GetCollectionEntry(id_, name);
}

absl::StatusOr<StoredMetricVersion> Collection::GetMetricVersion(int32_t version) const {
  if (auto s = CheckNotDropped(); !s.ok()) return s;
  return store_->GetMetricVersion(id_, version);
}

}  // namespace metricdb
