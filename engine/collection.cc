#include "engine/collection.h"

#include <limits>
#include <optional>

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>
#include <unordered_set>

#include "absl/strings/escaping.h"
#include "engine/flat_vector_index.h"
#include "engine/kernels/exact_scan.h"
#include "engine/record_codec.h"
#include "engine/kernels/distance_kernels.h"
#include "engine/snapshot_file.h"
#include "absl/strings/str_cat.h"

namespace metricdb {
namespace {

// Vectors are added to the index in chunks of this many rows when a
// collection is opened, bounding the temporary copy.
constexpr int64_t kLoadChunk = 8192;

// A zero vector has no direction: cosine collections refuse it.
bool AllZero(absl::Span<const float> v) {
  return std::all_of(v.begin(), v.end(), [](float x) { return x == 0; });
}

}  // namespace

Collection::Collection(uint32_t id, CollectionSchema schema,
                       std::shared_ptr<Store> store, const CollectionLimits& limits,
                       std::string snapshot_path)
    : id_(id),
      schema_(std::move(schema)),
      store_(std::move(store)),
      limits_(limits),
      snapshot_path_(std::move(snapshot_path)),
      index_spec_(schema_.index),
      metric_version_(schema_.metric_version) {}

absl::StatusOr<std::shared_ptr<Collection>> Collection::Open(
    uint32_t id, CollectionSchema schema, std::shared_ptr<Store> store,
    const CollectionLimits& limits, std::string snapshot_path) {
  std::shared_ptr<Collection> c(new Collection(id, std::move(schema), std::move(store),
                                               limits, std::move(snapshot_path)));
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
    return absl::Status(s.code(), absl::StrCat("collection \"", c->schema_.name,
                                               "\": ", s.message()));
  }
  return c;
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

namespace {

// Largest squared norm of a vector the index takes: the squared distance of
// two such vectors (at most 4x this) stays finite in float arithmetic.
constexpr double kMaxSquaredNorm = std::numeric_limits<float>::max() / 4.0;

double SquaredNorm(const float* v, size_t n) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += double(v[i]) * v[i];
  return sum;
}

// The first of `n` rows (row_dim floats each) whose squared norm is beyond
// kMaxSquaredNorm (or NaN), and that norm.
struct Overflow {
  int64_t row;
  double norm;
};
std::optional<Overflow> FirstOverflow(const float* rows, int64_t n, size_t row_dim) {
  for (int64_t i = 0; i < n; ++i) {
    const double norm = SquaredNorm(rows + size_t(i) * row_dim, row_dim);
    if (!(norm <= kMaxSquaredNorm)) return Overflow{i, norm};
  }
  return std::nullopt;
}

// "... sends it to squared norm N, beyond M (...)", after the map's name.
std::string OverflowMessage(const std::string& subject, const char* map_name, double norm) {
  return absl::StrCat(subject, ": ", map_name, " sends it to squared norm ", norm, ", beyond ",
                      kMaxSquaredNorm, " (distances would overflow float)");
}

}  // namespace

void Collection::ToIndexForm(const LinearMap* map, std::vector<float>* rows) const {
  const size_t dim = schema_.dim;
  if (map != nullptr) {
    const int64_t n = int64_t(rows->size() / dim);
    std::vector<float> out(size_t(n) * map->d_out);
    map->Apply(rows->data(), n, out.data());
    *rows = std::move(out);
  } else if (schema_.metric == Metric::kCosine) {
    // Cannot fail: CheckInput rejected zero vectors.
    for (size_t at = 0; at < rows->size(); at += dim) {
      PrepareVector(schema_.metric, rows->data() + at, dim).IgnoreError();
    }
  }
}

absl::Status Collection::ScanIntoIndex(
    VectorIndex* index, const LinearMap* map, const std::function<bool(int64_t)>& include,
    const std::function<void(int64_t, Record&&)>& on_record) {
  const size_t dim = schema_.dim;
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  auto flush = [&]() -> absl::Status {
    ToIndexForm(map, &vectors);
    // Stored vectors were checked raw at upsert; a map can still blow them up.
    if (map != nullptr) {
      if (auto o = FirstOverflow(vectors.data(), int64_t(ids.size()), size_t(map->d_out))) {
        return absl::FailedPreconditionError(OverflowMessage(
            absl::StrCat("record ", ids[size_t(o->row)]), "the metric's map", o->norm));
      }
    }
    absl::Status s = index->Add(ids, vectors.data());
    ids.clear();
    vectors.clear();
    return s;
  };
  absl::Status s = store_->ScanRecords(id_, [&](int64_t id, Record&& rec) {
    if (rec.vector.size() != dim) {
      return absl::DataLossError(absl::StrCat("record ", id, " has ",
                                              rec.vector.size(), " values"));
    }
    if (include(id)) {
      ids.push_back(id);
      vectors.insert(vectors.end(), rec.vector.begin(), rec.vector.end());
      if (schema_.metric == Metric::kCosine && AllZero(rec.vector)) {
        return absl::DataLossError(
            absl::StrCat("record ", id, ": a zero vector under the cosine metric"));
      }
    }
    on_record(id, std::move(rec));
    if (int64_t(ids.size()) >= kLoadChunk) return flush();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return ids.empty() ? absl::OkStatus() : flush();
}

absl::StatusOr<std::unique_ptr<VectorIndex>> Collection::RestoreSnapshot() const {
  auto snap = ReadSnapshotFile(snapshot_path_);
  if (!snap.ok()) return snap.status();
  const CollectionSchema current = schema();
  if (snap->schema.dim != current.dim || snap->schema.metric != current.metric ||
      EncodeSchema(snap->schema) != EncodeSchema(current)) {
    return absl::FailedPreconditionError("snapshot was taken under another schema or index");
  }
  auto index = MakeVectorIndex(IndexSchema(current.index, map_.get()));
  if (!index.ok()) return index.status();
  if (auto s = (*index)->Deserialize(snap->index_bytes); !s.ok()) return s;
  for (int64_t id : (*index)->Ids()) {
    if (id < 0 || id >= snap->next_record_id) {
      return absl::DataLossError("snapshot holds ids beyond the point it claims to reflect");
    }
  }
  return index;
}

absl::Status Collection::LoadFromStore() {
  const auto start = std::chrono::steady_clock::now();
  auto fresh = MakeVectorIndex(IndexSchema(schema().index, map_.get()));
  if (!fresh.ok()) return fresh.status();
  std::unique_ptr<VectorIndex> index = std::move(*fresh);
  std::unordered_set<int64_t> in_snapshot;
  if (!snapshot_path_.empty()) {
    auto restored = RestoreSnapshot();
    if (restored.ok()) {
      index = std::move(*restored);
      const std::vector<int64_t> ids = index->Ids();
      in_snapshot.insert(ids.begin(), ids.end());
      load_report_.from_snapshot = true;
    } else if (restored.status().code() != absl::StatusCode::kNotFound) {
      load_report_.fallback_reason = std::string(restored.status().message());
      spdlog::warn("collection {}: snapshot unusable ({}); rebuilding the index from the store",
                   schema_.name, load_report_.fallback_reason);
    }
  }

  std::unique_lock<WriterPriorityMutex> lock(mu_);
  auto next = store_->NextRecordId(id_);
  if (!next.ok()) return next.status();
  next_record_id_ = *next;
  // A stored record goes into the index unless the snapshot already has it;
  // what the snapshot has and the store no longer does is removed after.
  auto include = [&](int64_t id) { return !in_snapshot.count(id); };
  absl::Status s = ScanIntoIndex(index.get(), map_.get(), include, [&](int64_t id, Record&& rec) {
    if (id >= next_record_id_) next_record_id_ = id + 1;
    if (in_snapshot.erase(id) == 0 && load_report_.from_snapshot) {
      ++load_report_.replayed_adds;
    }
    Entry entry{std::move(rec.key), -1};
    if (rec.label) entry.label = InternLabel(*rec.label);
    IndexEntry(id, std::move(entry));
  });
  if (!s.ok()) return s;
  if (!in_snapshot.empty()) {
    const std::vector<int64_t> gone(in_snapshot.begin(), in_snapshot.end());
    if (auto st = index->Remove(gone); !st.ok()) return st;
    load_report_.replayed_removes = int64_t(gone.size());
  }
  index_ = std::move(index);
  last_build_seconds_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  snapshot_ = store_->TakeSnapshot();
  changes_since_snapshot_ = load_report_.from_snapshot
                                ? load_report_.replayed_adds + load_report_.replayed_removes
                                : int64_t(entries_.size());
  return absl::OkStatus();
}

absl::Status Collection::SaveSnapshot() {
  if (snapshot_path_.empty()) return absl::OkStatus();
  IndexSnapshot snap;
  {
    std::lock_guard<std::mutex> write_lock(write_mu_);
    if (dropped_ || changes_since_snapshot_ == 0) return absl::OkStatus();
    std::shared_lock<WriterPriorityMutex> lock(mu_);
    snap.schema = schema_;
    snap.schema.index = index_spec_;
    snap.schema.metric_version = metric_version_;
    snap.next_record_id = next_record_id_;
    if (auto s = index_->Serialize(&snap.index_bytes); !s.ok()) return s;
    changes_since_snapshot_ = 0;
  }
  absl::Status s = WriteSnapshotFile(snapshot_path_, snap);
  if (!s.ok()) {
    std::lock_guard<std::mutex> write_lock(write_mu_);
    ++changes_since_snapshot_;  // try again next time
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

absl::Status Collection::BuildIndex(const std::optional<IndexSpec>& requested) {
  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return NotFound();
  const CollectionSchema current = schema();
  return RebuildIndex(requested ? *requested : current.index, current.metric_version, map_,
                      /*train=*/true);
}

absl::Status Collection::ActivateMetric(int32_t version) {
  if (version < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("version: must be 0 (the creation metric) or a metric version, got ",
                     version));
  }
  std::shared_ptr<const LinearMap> map;
  if (version > 0) {
    auto v = store_->GetMetricVersion(id_, version);
    if (!v.ok()) return v.status();
    if (auto s = v->map.Validate(schema_.dim, "map"); !s.ok()) {
      return absl::DataLossError(absl::StrCat("metric version ", version, ": ", s.message()));
    }
    map = std::make_shared<const LinearMap>(std::move(v->map));
  }
  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return NotFound();
  const CollectionSchema current = schema();
  if (current.metric_version == version) return absl::OkStatus();
  return RebuildIndex(current.index, version, std::move(map), /*train=*/false);
}

absl::Status Collection::RebuildIndex(IndexSpec spec, int32_t metric_version,
                                      std::shared_ptr<const LinearMap> map, bool train) {
  // Requires write_mu_: writers wait while the new index is built from the
  // store; searches keep using the old one until the swap.
  const CollectionSchema index_schema = IndexSchema(spec, map.get());
  if (auto s = ResolveIndexSpec(index_schema.dim, &spec); !s.ok()) {
    if (map == nullptr) return s;
    return absl::Status(s.code(), absl::StrCat(s.message(), " (the index holds vectors of the ",
                                               "metric's d_out = ", map->d_out, ")"));
  }
  const auto start = std::chrono::steady_clock::now();
  auto index = MakeVectorIndex(IndexSchema(spec, map.get()));
  if (!index.ok()) return index.status();
  building_ = true;
  struct Done {
    std::atomic<bool>& flag;
    ~Done() { flag = false; }
  } done{building_};
  if (auto s = ScanIntoIndex(index->get(), map.get(), [](int64_t) { return true; },
                             [](int64_t, Record&&) {});
      !s.ok()) {
    return s;
  }
  if (train) {
    if (auto s = (*index)->Train(); !s.ok()) return s;
  }
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
  last_build_seconds_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++changes_since_snapshot_;
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ResolveSampleSize(int64_t requested, int64_t default_records,
                                          int32_t dim, const char* field) {
  const int64_t fits = std::max<int64_t>(1, kMaxSampleValues / std::max(1, dim));
  if (requested == 0) return std::min(default_records, fits);
  if (requested < 0 || requested > fits) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": must be in [1, ", fits, "] for vectors of dim ", dim, " (at most ",
        kMaxSampleValues, " values in memory), got ", requested));
  }
  return requested;
}

double MetricSpace::Distance(const float* a, const float* b) const {
  double dot = 0, l2 = 0;
  for (int32_t i = 0; i < dim; ++i) {
    dot += double(a[i]) * b[i];
    l2 += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  }
  switch (metric) {
    case Metric::kCosine:
      return 1 - dot;
    case Metric::kInnerProduct:
      return -dot;
    case Metric::kL2:
      break;
  }
  return std::sqrt(l2);
}

absl::StatusOr<std::vector<std::vector<float>>> Collection::StoredVectors(
    absl::Span<const std::string> keys, const std::string& field) const {
  auto got = Get(keys, true);
  if (!got.ok()) return got.status();
  if (!got->missing_keys.empty()) {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == got->missing_keys.front()) {
        return absl::NotFoundError(
            absl::StrCat(field, "[", i, "]: key \"", keys[i], "\" does not exist"));
      }
    }
  }
  std::vector<std::vector<float>> out;
  for (auto& r : got->records) out.push_back(std::move(r.vector));
  return out;
}

std::vector<float> Collection::RowsToMetricSpace(const std::vector<float>& rows,
                                                 MetricSpace* space) const {
  std::shared_ptr<const LinearMap> map;
  {
    std::shared_lock<WriterPriorityMutex> lock(mu_);
    map = map_;
  }
  std::vector<float> out = rows;
  ToIndexForm(map.get(), &out);
  space->dim = map ? map->d_out : schema_.dim;
  space->metric = map ? Metric::kL2 : schema_.metric;
  return out;
}

absl::StatusOr<std::vector<float>> Collection::ToMetricSpace(
    absl::Span<const absl::Span<const float>> vectors, const std::string& field,
    MetricSpace* space) const {
  const size_t dim = schema_.dim;
  std::vector<float> raw(vectors.size() * dim);
  for (size_t i = 0; i < vectors.size(); ++i) {
    if (auto s = CheckInput(vectors[i], raw.data() + i * dim,
                            [&] { return absl::StrCat(field, "[", i, "]"); });
        !s.ok()) {
      return s;
    }
  }
  return RowsToMetricSpace(raw, space);
}

absl::StatusOr<RecordSample> Collection::SampleRecords(LabelScope scope,
                                                       const std::vector<std::string>& labels,
                                                       int64_t max, uint64_t seed) const {
  std::vector<int64_t> ids;
  std::shared_ptr<const StoreSnapshot> snapshot;
  {
    std::shared_lock<WriterPriorityMutex> lock(mu_);
    if (dropped_) return NotFound();
    std::vector<bool> wanted;
    if (!labels.empty()) {
      wanted.assign(label_names_.size(), false);
      for (const std::string& l : labels) {
        auto it = label_ids_.find(l);
        if (it != label_ids_.end()) wanted[it->second] = true;
      }
    }
    for (const auto& [id, entry] : entries_) {
      const bool labelled = entry.label >= 0;
      if (scope == LabelScope::kLabelled && !labelled) continue;
      if (scope == LabelScope::kUnlabelled && labelled) continue;
      if (!wanted.empty() && !(labelled && wanted[entry.label])) continue;
      ids.push_back(id);
    }
    snapshot = snapshot_;
  }
  std::sort(ids.begin(), ids.end());
  if (int64_t(ids.size()) > max) {
    std::mt19937_64 rng(seed);
    std::shuffle(ids.begin(), ids.end(), rng);
    ids.resize(max);
    std::sort(ids.begin(), ids.end());
  }
  auto stored = store_->GetRecords(id_, ids, snapshot.get());
  if (!stored.ok()) return stored.status();
  RecordSample out;
  out.dim = schema_.dim;
  out.x.reserve(ids.size() * size_t(out.dim));
  for (auto& rec : *stored) {
    if (!rec) return absl::InternalError("indexed record missing from store");
    out.keys.push_back(std::move(rec->key));
    out.x.insert(out.x.end(), rec->vector.begin(), rec->vector.end());
    out.labels.push_back(std::move(rec->label));
  }
  return out;
}

absl::StatusOr<int32_t> Collection::AddMetricVersion(MetricVersion version) {
  if (auto s = version.map.Validate(schema_.dim, "map"); !s.ok()) return s;
  {
    std::shared_lock<WriterPriorityMutex> lock(mu_);
    if (dropped_) return NotFound();
  }
  return store_->AddMetricVersion(id_, std::move(version));
}

absl::StatusOr<std::vector<MetricVersion>> Collection::ListMetricVersions(
    bool include_maps) const {
  {
    std::shared_lock<WriterPriorityMutex> lock(mu_);
    if (dropped_) return NotFound();
  }
  return store_->ListMetricVersions(id_, include_maps);
}

absl::Status Collection::PutEntry(std::string_view name, std::string_view value) {
  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return NotFound();
  return store_->PutCollectionEntry(id_, name, value);
}

absl::StatusOr<std::optional<std::string>> Collection::GetEntry(std::string_view name) const {
  {
    std::shared_lock<WriterPriorityMutex> lock(mu_);
    if (dropped_) return NotFound();
  }
  return store_->GetCollectionEntry(id_, name);
}

absl::StatusOr<MetricVersion> Collection::GetMetricVersion(int32_t version) const {
  {
    std::shared_lock<WriterPriorityMutex> lock(mu_);
    if (dropped_) return NotFound();
  }
  return store_->GetMetricVersion(id_, version);
}

absl::StatusOr<LabelledData> Collection::SampleLabelled(int64_t max, uint64_t seed) const {
  auto sample = SampleRecords(LabelScope::kLabelled, {}, max, seed);
  if (!sample.ok()) return sample.status();
  LabelledData data;
  data.dim = schema_.dim;
  data.x = std::move(sample->x);
  std::unordered_map<std::string, int32_t> numbers;
  for (const auto& label : sample->labels) {
    data.label.push_back(numbers.emplace(*label, int32_t(numbers.size())).first->second);
  }
  return data;
}

absl::Status Collection::NotFound() const {
  return absl::NotFoundError(
      absl::StrCat("collection \"", schema_.name, "\" does not exist"));
}

absl::Status Collection::CheckInput(absl::Span<const float> v, float* out,
                                    absl::FunctionRef<std::string()> field) const {
  if (v.size() != size_t(schema_.dim)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field(), ": has ", v.size(), " values, collection \"",
                     schema_.name, "\" has dim ", schema_.dim));
  }
  // One SIMD pass settles every ordinary vector: a NaN or an infinity makes
  // the float sum of squares non-finite, and a sum near the limit (float
  // rounding) is rechecked exactly below.
  const float fast_norm = Kernels().dot(v.data(), v.data(), v.size());
  if (!(std::isfinite(fast_norm) && fast_norm <= float(0.999 * kMaxSquaredNorm))) {
    for (size_t i = 0; i < v.size(); ++i) {
      if (!std::isfinite(v[i])) {
        return absl::InvalidArgumentError(
            absl::StrCat(field(), "[", i, "]: ", v[i], " is not a finite number"));
      }
    }
    if (const double norm = SquaredNorm(v.data(), v.size()); norm > kMaxSquaredNorm) {
      return absl::InvalidArgumentError(absl::StrCat(
          field(), ": squared norm ", norm, " exceeds ", kMaxSquaredNorm,
          " (distances between such vectors overflow float)"));
    }
  }
  std::memcpy(out, v.data(), v.size() * sizeof(float));
  if (schema_.metric == Metric::kCosine && AllZero(v)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field(), ": a zero vector has no direction under the cosine metric"));
  }
  return absl::OkStatus();
}

int32_t Collection::InternLabel(const std::string& label) {
  auto [it, added] = label_ids_.emplace(label, int32_t(label_names_.size()));
  if (added) {
    label_names_.push_back(label);
    label_sizes_.push_back(0);
  }
  return it->second;
}

void Collection::IndexEntry(int64_t id, Entry entry) {
  if (entry.label >= 0 && label_sizes_[entry.label]++ == 0) ++label_count_;
  if (entry.label < 0) ++unlabelled_count_;
  key_ids_[entry.key] = id;
  entries_.emplace(id, std::move(entry));
}

void Collection::UnindexEntry(int64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  const int32_t label = it->second.label;
  if (label >= 0 && --label_sizes_[label] == 0) --label_count_;
  if (label < 0) --unlabelled_count_;
  key_ids_.erase(it->second.key);
  entries_.erase(it);
}

absl::Status Collection::ValidateBatch(const std::vector<Record>& records,
                                       std::vector<float>* prepared) const {
  if (records.empty()) {
    return absl::InvalidArgumentError("records: the batch is empty");
  }
  if (records.size() > size_t(limits_.max_batch_records)) {
    return absl::InvalidArgumentError(
        absl::StrCat("records: ", records.size(), " records in one batch, at most ",
                     limits_.max_batch_records, " allowed"));
  }
  const size_t dim = schema_.dim;
  prepared->resize(records.size() * dim);
  std::unordered_set<std::string_view> batch_keys;
  batch_keys.reserve(records.size());
  auto field = [](size_t i) { return absl::StrCat("records[", i, "]"); };
  for (size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    if (r.key.empty() || r.key.size() > kMaxKeyBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          field(i), ".key: must be 1 to ", kMaxKeyBytes, " bytes, got ", r.key.size()));
    }
    if (!batch_keys.insert(r.key).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field(i), ".key: \"", absl::CHexEscape(std::string(r.key)),
                       "\" appears twice in the batch"));
    }
    if (r.label && r.label->empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          field(i), ".label: must not be empty (omit it for an unlabelled record)"));
    }
    if (auto s = CheckInput(r.vector, prepared->data() + i * dim,
                              [&] { return field(i) + ".vector"; });
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<UpsertResult> Collection::Upsert(std::vector<Record> records) {
  std::vector<std::vector<Record>> batches;
  batches.push_back(std::move(records));
  GroupUpsertResult group = UpsertGroup(std::move(batches));
  if (!group.error.ok()) return group.error;
  return group.results[0];
}

GroupUpsertResult Collection::UpsertGroup(std::vector<std::vector<Record>> batches) {
  GroupUpsertResult out;
  std::vector<std::vector<float>> prepared;
  for (const auto& batch : batches) {
    prepared.emplace_back();
    if (auto s = ValidateBatch(batch, &prepared.back()); !s.ok()) {
      out.error = s;
      prepared.pop_back();
      break;
    }
  }
  if (prepared.empty()) return out;
  const size_t dim = schema_.dim;

  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return {{}, NotFound()};
  // The rows in index form under the map in force (map_ changes only under
  // write_mu_, which this writer holds); a batch the map sends beyond float
  // range is refused with those after it.
  for (size_t b = 0; b < prepared.size(); ++b) {
    ToIndexForm(map_.get(), &prepared[b]);
    if (map_ == nullptr) continue;
    if (auto o = FirstOverflow(prepared[b].data(), int64_t(batches[b].size()),
                               size_t(map_->d_out))) {
      out.error = absl::InvalidArgumentError(OverflowMessage(
          absl::StrCat("records[", o->row, "].vector"), "the active metric's map", o->norm));
      prepared.resize(b);
      break;
    }
  }
  const size_t valid = prepared.size();
  if (valid == 0) return out;
  // Only writers change the maps, and writers hold write_mu_: reading them
  // here without mu_ is safe. A key written twice in the group is resolved
  // through `group_ids`: the later record replaces the earlier one, which is
  // then never indexed (`superseded`).
  std::vector<UpsertResult> results(valid);
  std::vector<std::vector<int64_t>> new_ids(valid);
  std::vector<int64_t> old_ids;
  std::unordered_map<std::string_view, int64_t> group_ids;
  std::unordered_set<int64_t> superseded;
  size_t total = 0;
  for (size_t b = 0; b < valid; ++b) total += batches[b].size();
  RecordWriteBatch batch = store_->NewBatch(total * (dim * sizeof(float) + 64));
  int64_t next = next_record_id_;
  for (size_t b = 0; b < valid; ++b) {
    new_ids[b].reserve(batches[b].size());
    for (const Record& r : batches[b]) {
      int64_t old = -1;
      if (auto g = group_ids.find(r.key); g != group_ids.end()) {
        old = g->second;
        superseded.insert(old);
      } else if (auto it = key_ids_.find(r.key); it != key_ids_.end()) {
        old = it->second;
        old_ids.push_back(old);
      }
      if (old >= 0) {
        batch.Delete(id_, old);
        ++results[b].replaced;
      } else {
        ++results[b].inserted;
      }
      group_ids[r.key] = next;
      new_ids[b].push_back(next);
      batch.Put(id_, next, r);
      ++next;
    }
  }
  batch.SetNextRecordId(id_, next);
  if (auto s = store_->Commit(batch); !s.ok()) return {{}, s};
  next_record_id_ = next;
  changes_since_snapshot_ += int64_t(total);
  auto snapshot = store_->TakeSnapshot();

  const size_t index_dim = map_ ? size_t(map_->d_out) : dim;
  std::unique_lock<WriterPriorityMutex> lock(mu_);
  absl::Status s = index_->Remove(old_ids);
  for (int64_t id : old_ids) UnindexEntry(id);
  for (size_t b = 0; b < valid; ++b) {
    std::vector<int64_t>& ids = new_ids[b];
    std::vector<float>& rows = prepared[b];
    if (!superseded.empty()) {  // drop rows replaced later in the group
      size_t kept = 0;
      for (size_t i = 0; i < ids.size(); ++i) {
        if (superseded.count(ids[i])) continue;
        if (kept != i) {
          std::memcpy(rows.data() + kept * index_dim, rows.data() + i * index_dim,
                      index_dim * sizeof(float));
          batches[b][kept] = std::move(batches[b][i]);
        }
        ids[kept++] = ids[i];
      }
      ids.resize(kept);
    }
    if (s.ok()) s = index_->Add(ids, rows.data());
    for (size_t i = 0; i < ids.size(); ++i) {
      Record& r = batches[b][i];
      Entry entry{std::move(r.key), -1};
      if (r.label) entry.label = InternLabel(*r.label);
      IndexEntry(ids[i], std::move(entry));
    }
  }
  snapshot_ = std::move(snapshot);
  MaybeScheduleRebuildLocked();
  if (!s.ok()) {
    // The batches are durable; only the derived index failed (out of memory).
    return {{}, absl::Status(s.code(), absl::StrCat("batch stored but not indexed: ",
                                                    s.message()))};
  }
  out.results = std::move(results);
  return out;
}

absl::StatusOr<GetResult> Collection::Get(absl::Span<const std::string> keys,
                                          bool include_vectors) const {
  if (keys.size() > size_t(limits_.max_keys)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "keys: ", keys.size(), " keys, at most ", limits_.max_keys, " allowed"));
  }
  GetResult result;
  std::vector<int64_t> ids;
  std::shared_ptr<const StoreSnapshot> snapshot;
  {
    std::shared_lock<WriterPriorityMutex> lock(mu_);
    if (dropped_) return NotFound();
    for (const std::string& key : keys) {
      auto it = key_ids_.find(key);
      if (it == key_ids_.end()) {
        result.missing_keys.push_back(key);
      } else {
        ids.push_back(it->second);
      }
    }
    snapshot = snapshot_;
  }
  auto stored = store_->GetRecords(id_, ids, snapshot.get());
  if (!stored.ok()) return stored.status();
  for (auto& rec : *stored) {
    if (!rec) return absl::InternalError("indexed record missing from store");
    if (!include_vectors) rec->vector.clear();
    result.records.push_back(std::move(*rec));
  }
  return result;
}

absl::StatusOr<int64_t> Collection::Delete(absl::Span<const std::string> keys,
                                           absl::Span<const std::string> labels) {
  if (keys.empty() && labels.empty()) {
    return absl::InvalidArgumentError("keys, labels: nothing to delete");
  }
  if (keys.size() + labels.size() > size_t(limits_.max_keys)) {
    return absl::InvalidArgumentError(
        absl::StrCat("keys, labels: ", keys.size() + labels.size(),
                     " given, at most ", limits_.max_keys, " allowed"));
  }
  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return NotFound();
  std::unordered_set<int64_t> doomed;
  for (const std::string& key : keys) {
    auto it = key_ids_.find(key);
    if (it != key_ids_.end()) doomed.insert(it->second);
  }
  if (!labels.empty()) {
    std::vector<bool> wanted(label_names_.size(), false);
    bool any = false;
    for (const std::string& label : labels) {
      auto it = label_ids_.find(label);
      if (it != label_ids_.end()) wanted[it->second] = any = true;
    }
    if (any) {
      for (const auto& [id, entry] : entries_) {
        if (entry.label >= 0 && wanted[entry.label]) doomed.insert(id);
      }
    }
  }
  if (doomed.empty()) return 0;
  std::vector<int64_t> ids(doomed.begin(), doomed.end());
  RecordWriteBatch batch = store_->NewBatch();
  for (int64_t id : ids) batch.Delete(id_, id);
  if (auto s = store_->Commit(batch); !s.ok()) return s;
  changes_since_snapshot_ += int64_t(ids.size());
  auto snapshot = store_->TakeSnapshot();

  std::unique_lock<WriterPriorityMutex> lock(mu_);
  absl::Status s = index_->Remove(ids);
  for (int64_t id : ids) UnindexEntry(id);
  snapshot_ = std::move(snapshot);
  MaybeScheduleRebuildLocked();
  if (!s.ok()) return s;
  return int64_t(ids.size());
}

absl::StatusOr<SearchResults> Collection::Search(
    absl::Span<const absl::Span<const float>> queries,
    const SearchOptions& options) const {
  if (queries.empty()) {
    return absl::InvalidArgumentError("queries: at least one query is needed");
  }
  if (queries.size() > size_t(limits_.max_queries)) {
    return absl::InvalidArgumentError(
        absl::StrCat("queries: ", queries.size(), " queries, at most ",
                     limits_.max_queries, " allowed per request"));
  }
  if (options.k < 1 || options.k > limits_.max_k) {
    return absl::InvalidArgumentError(absl::StrCat(
        "k: must be in [1, ", limits_.max_k, "], got ", options.k));
  }
  if (auto s = CheckTuning(options.tuning); !s.ok()) return s;
  const size_t dim = schema_.dim;
  const int64_t n = queries.size();
  std::vector<float> prepared(n * dim);
  for (int64_t q = 0; q < n; ++q) {
    if (auto s = CheckInput(queries[q], prepared.data() + q * dim,
                            [&] { return absl::StrCat("queries[", q, "]"); });
        !s.ok()) {
      return s;
    }
  }

  const int k = options.k;
  std::vector<float> raw;
  std::vector<int64_t> ids;
  SearchResults results(n);
  std::shared_ptr<const StoreSnapshot> snapshot;
  {
    std::shared_lock<WriterPriorityMutex> lock(mu_);
    if (dropped_) return NotFound();
    // Label restriction: a filter over record ids, checked by the index.
    // An empty `allowed` admits every label.
    class Filter final : public IdFilter {
     public:
      Filter(const std::unordered_map<int64_t, Entry>& entries, std::vector<bool> allowed,
             LabelScope scope)
          : entries_(entries), allowed_(std::move(allowed)), scope_(scope) {}
      bool Allows(int64_t id) const override {
        auto it = entries_.find(id);
        if (it == entries_.end()) return false;
        const int32_t label = it->second.label;
        if (scope_ == LabelScope::kUnlabelled) return label < 0;
        if (label < 0) return scope_ == LabelScope::kAll && allowed_.empty();
        return allowed_.empty() || allowed_[label];
      }

     private:
      const std::unordered_map<int64_t, Entry>& entries_;
      std::vector<bool> allowed_;
      LabelScope scope_;
    };
    std::unique_ptr<Filter> filter;
    if (!options.labels.empty()) {
      std::vector<bool> allowed(label_names_.size(), false);
      bool any = false;
      for (const std::string& label : options.labels) {
        auto it = label_ids_.find(label);
        if (it != label_ids_.end()) allowed[it->second] = any = true;
      }
      if (!any || options.scope == LabelScope::kUnlabelled) {
        return results;  // no record carries any of these labels
      }
      filter = std::make_unique<Filter>(entries_, std::move(allowed), options.scope);
    } else if (options.scope != LabelScope::kAll) {
      // A filter slows the index down: skip it when the scope is everything.
      const int64_t in_scope = options.scope == LabelScope::kLabelled
                                   ? int64_t(entries_.size()) - unlabelled_count_
                                   : unlabelled_count_;
      if (in_scope == 0) return results;
      if (in_scope < int64_t(entries_.size())) {
        filter = std::make_unique<Filter>(entries_, std::vector<bool>(), options.scope);
      }
    }
    ToIndexForm(map_.get(), &prepared);
    if (map_ != nullptr) {
      if (auto o = FirstOverflow(prepared.data(), n, size_t(map_->d_out))) {
        return absl::InvalidArgumentError(OverflowMessage(
            absl::StrCat("queries[", o->row, "]"), "the active metric's map", o->norm));
      }
    }
    const Metric index_metric = map_ ? Metric::kL2 : schema_.metric;
    const size_t index_dim = prepared.size() / size_t(n);
    const int64_t chunk = options.cancelled ? kCancelCheckQueries : n;
    std::vector<float> chunk_raw;
    std::vector<int64_t> chunk_ids;
    for (int64_t first = 0; first < n; first += chunk) {
      if (options.cancelled && options.cancelled()) {
        return absl::CancelledError(
            absl::StrCat("search cancelled after ", first, " of ", n, " queries"));
      }
      const int64_t m = std::min(chunk, n - first);
      if (auto s = index_->Search(prepared.data() + size_t(first) * index_dim, m, k,
                                  filter.get(), options.tuning, &chunk_raw, &chunk_ids);
          !s.ok()) {
        return s;
      }
      raw.insert(raw.end(), chunk_raw.begin(), chunk_raw.end());
      ids.insert(ids.end(), chunk_ids.begin(), chunk_ids.end());
    }
    for (int64_t q = 0; q < n; ++q) {
      auto& hits = results[q];
      for (int j = 0; j < k; ++j) {
        const int64_t id = ids[q * k + j];
        if (id < 0) break;
        const Entry& e = entries_.at(id);
        SearchHit hit;
        hit.key = e.key;
        if (e.label >= 0) hit.label = label_names_[e.label];
        hit.distance = ToApiDistance(index_metric, raw[q * k + j]);
        hits.push_back(std::move(hit));
      }
    }
    snapshot = snapshot_;
  }
  if (options.include_vectors || options.include_attributes) {
    std::vector<int64_t> hit_ids;
    for (int64_t id : ids) {
      if (id >= 0) hit_ids.push_back(id);
    }
    auto stored = store_->GetRecords(id_, hit_ids, snapshot.get());
    if (!stored.ok()) return stored.status();
    size_t next = 0;
    for (auto& hits : results) {
      for (auto& hit : hits) {
        auto& rec = (*stored)[next++];
        if (!rec) return absl::InternalError("indexed record missing from store");
        if (options.include_vectors) hit.vector = std::move(rec->vector);
        if (options.include_attributes) hit.attributes = std::move(rec->attributes);
      }
    }
  }
  return results;
}

void Collection::MaybeScheduleRebuildLocked() {
  if (!index_->NeedsRebuild() || rebuild_scheduled_.exchange(true)) return;
  // The thread holds the collection (and so the store) until it is done.
  std::thread([self = shared_from_this()] {
    spdlog::info("collection {}: rebuilding the index (tombstones)", self->schema_.name);
    if (auto s = self->BuildIndex(std::nullopt); !s.ok()) {
      spdlog::error("collection {}: rebuild failed: {}", self->schema_.name, s.ToString());
    }
    self->rebuild_scheduled_ = false;
  }).detach();
}

absl::Status Collection::CheckTuning(const SearchTuning& tuning) const {
  std::shared_lock<WriterPriorityMutex> lock(mu_);
  const IndexSpec& spec = index_spec_;
  if (tuning.ef_search != 0) {
    if (spec.kind != IndexSpec::Kind::kHnsw) {
      return absl::InvalidArgumentError(absl::StrCat(
          "params.ef_search: only for hnsw indexes, the collection's index is ",
          std::string(IndexKindName(spec.kind))));
    }
    if (tuning.ef_search < 1 || tuning.ef_search > 32768) {
      return absl::InvalidArgumentError(absl::StrCat(
          "params.ef_search: must be in [1, 32768], got ", tuning.ef_search));
    }
  }
  if (tuning.nprobe != 0) {
    if (spec.kind != IndexSpec::Kind::kIvfFlat && spec.kind != IndexSpec::Kind::kIvfPq) {
      return absl::InvalidArgumentError(absl::StrCat(
          "params.nprobe: only for ivf indexes, the collection's index is ",
          std::string(IndexKindName(spec.kind))));
    }
    if (tuning.nprobe < 1 || tuning.nprobe > spec.nlist) {
      return absl::InvalidArgumentError(absl::StrCat(
          "params.nprobe: must be in [1, nlist = ", spec.nlist, "], got ", tuning.nprobe));
    }
  }
  return absl::OkStatus();
}

bool Collection::IsQuickSearch(int64_t queries) const {
  if (queries > int64_t(kMaxScanQueries)) return false;
  std::shared_lock<WriterPriorityMutex> lock(mu_);
  const bool exact =
      index_spec_.kind == IndexSpec::Kind::kFlat || !index_->status().trained;
  return !exact || uint64_t(index_->size()) * uint64_t(schema_.dim) < (uint64_t(1) << 20);
}

CollectionStats Collection::Stats() const {
  std::shared_lock<WriterPriorityMutex> lock(mu_);
  CollectionStats stats;
  stats.record_count = int64_t(entries_.size());
  stats.label_count = label_count_;
  stats.index_memory_bytes = int64_t(index_->MemoryBytes());
  stats.index = index_->status();
  stats.index_building = building_;
  stats.last_index_build_seconds = last_build_seconds_;
  return stats;
}

absl::Status Collection::Drop() {
  std::lock_guard<std::mutex> write_lock(write_mu_);
  if (dropped_) return NotFound();
  if (auto s = store_->DropCollection(id_); !s.ok()) return s;
  if (!snapshot_path_.empty()) std::remove(snapshot_path_.c_str());
  std::unique_lock<WriterPriorityMutex> lock(mu_);
  dropped_ = true;
  index_ = std::make_unique<FlatVectorIndex>(schema_.dim, schema_.metric);
  key_ids_.clear();
  entries_.clear();
  return absl::OkStatus();
}

}  // namespace metricdb
