// Collection: construction, the schema in force, stats, drop.
#include "engine/collection/collection.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "engine/index/flat_vector_index.h"

namespace metricdb {

Collection::Collection(uint32_t id, CollectionSchema schema, std::shared_ptr<Store> store,
                       const CollectionLimits& limits, std::string snapshot_path)
    : id_(id),
      schema_(std::move(schema)),
      store_(std::move(store)),
      limits_(limits),
      snapshot_path_(std::move(snapshot_path)),
      index_spec_(schema_.index),
      metric_version_(schema_.metric_version) {}

absl::StatusOr<std::shared_ptr<Collection>> Collection::Open(uint32_t id, CollectionSchema schema,
                                                             std::shared_ptr<Store> store,
                                                             const CollectionLimits& limits,
                                                             std::string snapshot_path) {
  std::shared_ptr<Collection> c(
      new Collection(id, std::move(schema), std::move(store), limits, std::move(snapshot_path)));
  if (c->metric_version_ > 0) {
    auto version = c->store_->GetMetricVersion(id, c->metric_version_);
    if (!version.ok()) {
      return absl::DataLossError(absl::StrCat("collection \"", c->schema_.name,
                                              "\": its metric version ", c->metric_version_,
                                              " cannot be read: ", version.status().message()));
    }
    c->map_ = std::make_shared<const LinearMap>(std::move(version->map));
  }
  if (auto s = c->LoadFromStore(); !s.ok()) {
    return absl::Status(s.code(),
                        absl::StrCat("collection \"", c->schema_.name, "\": ", s.message()));
  }
  return c;
}

IndexPlace Collection::Place() const {
  IndexPlace place;
  const size_t slash = snapshot_path_.rfind('/');
  if (slash != std::string::npos) place.scratch_dir = snapshot_path_.substr(0, slash);
  return place;
}

CollectionSchema Collection::IndexSchema(const IndexSpec& spec, const LinearMap* map) const {
  CollectionSchema s = schema_;
  s.index = spec;
  if (map != nullptr) {
    s.dim = map->d_out;
    s.metric = Metric::kL2;
  }
  return s;
}

CollectionSchema Collection::schema() const {
  std::shared_lock<WriterPriorityMutex> lock(mu_);
  CollectionSchema s = schema_;
  s.index = index_spec_;
  s.metric_version = metric_version_;
  return s;
}

absl::Status Collection::NotFound() const {
  return absl::NotFoundError(absl::StrCat("collection \"", schema_.name, "\" does not exist"));
}

absl::Status Collection::CheckNotDropped() const {
  std::shared_lock<WriterPriorityMutex> lock(mu_);
  return dropped_ ? NotFound() : absl::OkStatus();
}

CollectionStats Collection::Stats() const {
  // (Stats report no error: if expired records cannot be deleted now, they
  // are counted until they can.)
  ExpireDue().IgnoreError();
  std::shared_lock<WriterPriorityMutex> lock(mu_);
  CollectionStats stats;
  stats.record_count = catalogue_.size();
  stats.expired_records = expired_records_.load();
  stats.label_count = catalogue_.label_count();
  stats.index_memory_bytes = int64_t(index_->MemoryBytes());
  const IndexMemory memory = index_->Memory();
  stats.index_graph_bytes = int64_t(memory.graph_bytes);
  stats.index_code_bytes = int64_t(memory.code_bytes);
  stats.index_vector_bytes = int64_t(memory.vector_bytes);
  stats.index_vectors_mapped = memory.vectors_mapped;
  stats.index = index_->status();
  stats.index_building = building_;
  stats.last_index_build_seconds = last_build_seconds_;
  return stats;
}

absl::Status Collection::Drop() {
  // Before write_mu_: a running rebuild holds it until it sees closing_.
  StopBackgroundWork();
  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return NotFound();
  if (auto s = store_->DropCollection(id_); !s.ok()) {
    closing_ = false;  // still there: it may rebuild again
    return s;
  }
  if (!snapshot_path_.empty()) std::remove(snapshot_path_.c_str());
  std::unique_lock<WriterPriorityMutex> lock(mu_);
  dropped_ = true;
  index_ = std::make_unique<FlatVectorIndex>(schema_.dim, schema_.metric);
  catalogue_.Clear();
  return absl::OkStatus();
}

}  // namespace metricdb
