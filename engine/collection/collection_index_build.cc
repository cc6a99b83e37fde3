// Collection: index (re)builds beside the live index, metric activation, tombstone rebuilds.
#include <spdlog/spdlog.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "engine/collection/collection.h"
#include "engine/storage/record_codec.h"

namespace metricdb {

absl::Status Collection::BuildIndex(const std::optional<IndexSpec>& requested) {
  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return NotFound();
  const CollectionSchema current = schema();
  return RebuildIndex(requested ? *requested : current.index, current.metric_version, map_,
                      /*train=*/true);
}

absl::StatusOr<std::shared_ptr<const LinearMap>> Collection::LoadMap(int32_t version) const {
  if (version < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "version: must be 0 (the creation metric) or a metric version, got ", version));
  }
  if (version == 0) return std::shared_ptr<const LinearMap>();
  auto v = store_->GetMetricVersion(id_, version);
  if (!v.ok()) return v.status();
  if (auto s = v->map.Validate(schema_.dim, "map"); !s.ok()) {
    return absl::DataLossError(absl::StrCat("metric version ", version, ": ", s.message()));
  }
  return std::make_shared<const LinearMap>(std::move(v->map));
}

absl::Status Collection::ActivateMetric(int32_t version) {
  auto map = LoadMap(version);
  if (!map.ok()) return map.status();
  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return NotFound();
  const CollectionSchema current = schema();
  if (current.metric_version == version) return absl::OkStatus();
  if (staged_ && staged_->version == version) {
    CollectionSchema next = current;
    next.metric_version = version;
    if (auto s = store_->UpdateSchema(id_, next); !s.ok()) return s;
    std::unique_lock<WriterPriorityMutex> lock(mu_);
    index_ = std::move(staged_->index);
    map_ = std::move(staged_->map);
    metric_version_ = version;
    staged_.reset();
    ++changes_since_snapshot_;
    return absl::OkStatus();
  }
  return RebuildIndex(current.index, version, std::move(*map), /*train=*/false);
}

absl::Status Collection::PrepareMetric(int32_t version) {
  auto map = LoadMap(version);
  if (!map.ok()) return map.status();
  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return NotFound();
  if (staged_ && staged_->version == version) return absl::OkStatus();
  IndexSpec spec = schema().index;
  double seconds = 0;
  auto index = BuildBeside(&spec, map->get(), /*train=*/false, &seconds);
  if (!index.ok()) return index.status();
  auto staged = std::make_unique<Staged>();
  staged->version = version;
  staged->map = std::move(*map);
  staged->index = std::move(*index);
  std::unique_lock<WriterPriorityMutex> lock(mu_);
  staged_ = std::move(staged);
  return absl::OkStatus();
}

void Collection::DiscardStagedMetric() {
  std::lock_guard<std::mutex> write_lock(write_mu_);
  std::unique_lock<WriterPriorityMutex> lock(mu_);
  staged_.reset();
}

int32_t Collection::staged_metric_version() const {
  std::shared_lock<WriterPriorityMutex> lock(mu_);
  return staged_ ? staged_->version : 0;
}

absl::StatusOr<std::unique_ptr<VectorIndex>> Collection::BuildBeside(IndexSpec* spec,
                                                                     const LinearMap* map,
                                                                     bool train, double* seconds) {
  // Requires write_mu_: writers wait while the new index is built from the
  // store; searches keep using the old one.
  const CollectionSchema index_schema = IndexSchema(*spec, map);
  if (auto s = ResolveIndexSpec(index_schema.dim, spec); !s.ok()) {
    if (map == nullptr) return s;
    return absl::Status(s.code(), absl::StrCat(s.message(), " (the index holds vectors of the ",
                                               "metric's d_out = ", map->d_out, ")"));
  }
  const auto start = std::chrono::steady_clock::now();
  auto index = MakeVectorIndex(IndexSchema(*spec, map), Place());
  if (!index.ok()) return index.status();
  building_ = true;
  struct Done {
    std::atomic<bool>& flag;
    ~Done() { flag = false; }
  } done{building_};
  if (auto s = ScanIntoIndex(
          index->get(), map, [](int64_t) { return true; }, [](int64_t, Record&&) {});
      !s.ok()) {
    return s;
  }
  if (train) {
    if (auto s = (*index)->Train(); !s.ok()) return s;
  }
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return index;
}

absl::Status Collection::RebuildIndex(IndexSpec spec, int32_t metric_version,
                                      std::shared_ptr<const LinearMap> map, bool train) {
  // Requires write_mu_.
  double seconds = 0;
  auto index = BuildBeside(&spec, map.get(), train, &seconds);
  if (!index.ok()) return index.status();
  const CollectionSchema before = schema();
  CollectionSchema next = before;
  next.index = spec;
  next.metric_version = metric_version;
  if (EncodeSchema(next) != EncodeSchema(before)) {
    if (auto s = store_->UpdateSchema(id_, next); !s.ok()) return s;
  }
  std::unique_lock<WriterPriorityMutex> lock(mu_);
  index_ = std::move(*index);
  index_spec_ = spec;
  metric_version_ = metric_version;
  map_ = std::move(map);
  last_build_seconds_ = seconds;
  ++changes_since_snapshot_;
  return absl::OkStatus();
}

void Collection::MaybeScheduleRebuildLocked() {
  if (!index_->NeedsRebuild() || rebuild_scheduled_.exchange(true)) return;
  std::lock_guard<std::mutex> lock(rebuild_mu_);
  if (closing_) {
    rebuild_scheduled_ = false;
    return;
  }
  // The previous rebuild has cleared rebuild_scheduled_ as its last step, so
  // this join returns at once. The thread uses `this`: StopBackgroundWork
  // (from Drop or the destructor) joins it before the collection goes away.
  if (rebuild_thread_.joinable()) rebuild_thread_.join();
  rebuild_thread_ = std::thread([this] {
    spdlog::info("collection {}: rebuilding the index (tombstones)", schema_.name);
    if (auto s = BuildIndex(std::nullopt); !s.ok()) {
      spdlog::log(
          s.code() == absl::StatusCode::kCancelled ? spdlog::level::info : spdlog::level::err,
          "collection {}: rebuild ended: {}", schema_.name, s.ToString());
    }
    rebuild_scheduled_ = false;
  });
}

void Collection::StopBackgroundWork() {
  closing_ = true;
  std::lock_guard<std::mutex> lock(rebuild_mu_);
  if (rebuild_thread_.joinable()) rebuild_thread_.join();
}

Collection::~Collection() { StopBackgroundWork(); }

}  // namespace metricdb
