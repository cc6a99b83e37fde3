// Collection: reads (get, search with label filters and cancellation).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/base/attribute_types.h"
#include "engine/collection/collection.h"
#include "engine/collection/vector_checks.h"
#include "engine/collection/vector_form.h"
#include "engine/index/exact_scan.h"

namespace metricdb {
namespace {

// The filtered-search policy: an exact scan of the allowed records when they
// are at most kFilterScanRecords or kFilterScanFraction of the collection,
// where a graph walk would pass by most of them (bench/filter_bench: at 0.1%
// post-filtering keeps 0.40 of the neighbours, the scan all).
constexpr int64_t kFilterScanRecords = 2048;
constexpr double kFilterScanFraction = 0.02;

bool FilterScanPays(int64_t allowed, int64_t records) {
  return allowed <= kFilterScanRecords || double(allowed) <= kFilterScanFraction * double(records);
}

}  // namespace

absl::StatusOr<GetResult> Collection::Get(absl::Span<const std::string> keys,
                                          bool include_vectors) const {
  if (auto s = ExpireDue(); !s.ok()) return s;
  if (keys.size() > size_t(limits_.max_keys)) {
    return absl::InvalidArgumentError(
        absl::StrCat("keys: ", keys.size(), " keys, at most ", limits_.max_keys, " allowed"));
  }
  GetResult result;
  std::vector<int64_t> ids;
  std::shared_ptr<const StoreReadView> view;
  {
    std::shared_lock<WriterPriorityMutex> lock(mu_);
    if (dropped_) return NotFound();
    for (const std::string& key : keys) {
      if (int64_t id = catalogue_.IdOf(key); id < 0) {
        result.missing_keys.push_back(key);
      } else {
        ids.push_back(id);
      }
    }
    view = read_view_;
  }
  auto stored = store_->GetRecords(id_, ids, view.get());
  if (!stored.ok()) return stored.status();
  for (auto& rec : *stored) {
    if (!rec) return absl::InternalError("indexed record missing from store");
    if (!include_vectors) rec->vector.clear();
    result.records.push_back(std::move(*rec));
  }
  return result;
}

absl::StatusOr<SearchResults> Collection::Search(absl::Span<const absl::Span<const float>> queries,
                                                 const SearchOptions& options) const {
  if (auto s = ExpireDue(); !s.ok()) return s;
  if (auto s = CheckSearchShape(limits_, queries.size(), options.k); !s.ok()) return s;
  if (auto s = CheckTuning(options.tuning); !s.ok()) return s;
  const int64_t n = queries.size();
  std::vector<float> prepared;
  if (auto s = CheckVectors(schema_, queries, "queries", &prepared); !s.ok()) return s;

  auto parsed = ParseTypedFilter(options.filter, schema_.attributes);
  if (!parsed.ok()) return parsed.status();
  const int k = options.k;
  std::vector<float> raw;
  std::vector<int64_t> ids;
  SearchResults results(n);
  std::shared_ptr<const StoreReadView> view;
  {
    std::shared_lock<WriterPriorityMutex> lock(mu_);
    if (dropped_) return NotFound();
    bool none = false;
    const IdBitmap* allowed = nullptr;
    int64_t allowed_count = 0;
    const std::shared_ptr<const IdFilter> filter =
        AllowedLocked(options, parsed->get(), &none, &allowed, &allowed_count);
    // The index and map of the metric version asked for: the one in force,
    // or the staged one of a two-phase activation.
    const VectorIndex* index = index_.get();
    const LinearMap* map = map_.get();
    if (options.metric_version && *options.metric_version != metric_version_) {
      if (!staged_ || staged_->version != *options.metric_version) {
        return absl::FailedPreconditionError(
            absl::StrCat("metric_version: ", *options.metric_version, " is neither in force (",
                         metric_version_, ") nor staged on collection \"", schema_.name, "\""));
      }
      index = staged_->index.get();
      map = staged_->map.get();
    }
    if (none) return results;  // no record is in scope
    ToIndexForm(schema_, map, &prepared);
    if (map != nullptr) {
      if (auto o = FirstOverflow(prepared.data(), n, size_t(map->d_out))) {
        return absl::InvalidArgumentError(OverflowMessage(absl::StrCat("queries[", o->row, "]"),
                                                          "the active metric's map", o->norm));
      }
    }
    const Metric index_metric = map ? Metric::kL2 : schema_.metric;
    const size_t index_dim = prepared.size() / size_t(n);
    const int64_t chunk = options.cancelled ? kCancelCheckQueries : n;
    std::vector<float> chunk_raw;
    std::vector<int64_t> chunk_ids;
    const bool scan = allowed != nullptr && index_spec_.kind != IndexSpec::Kind::kFlat &&
                      FilterScanPays(allowed_count, catalogue_.size());
    for (int64_t first = 0; first < n; first += chunk) {
      if (options.cancelled && options.cancelled()) {
        return absl::CancelledError(
            absl::StrCat("search cancelled after ", first, " of ", n, " queries"));
      }
      const int64_t m = std::min(chunk, n - first);
      const float* at = prepared.data() + size_t(first) * index_dim;
      const absl::Status s =
          scan ? ScanAllowedLocked(*allowed, *index, map, at, m, k, &chunk_raw, &chunk_ids)
               : index->Search(at, m, k, filter.get(), options.tuning, &chunk_raw, &chunk_ids);
      if (!s.ok()) return s;
      raw.insert(raw.end(), chunk_raw.begin(), chunk_raw.end());
      ids.insert(ids.end(), chunk_ids.begin(), chunk_ids.end());
    }
    for (int64_t q = 0; q < n; ++q) {
      auto& hits = results[q];
      for (int j = 0; j < k; ++j) {
        const int64_t id = ids[q * k + j];
        if (id < 0) break;
        const RecordCatalogue::Entry& e = catalogue_.At(id);
        SearchHit hit;
        hit.key = e.key;
        if (e.label >= 0) hit.label = catalogue_.LabelName(e.label);
        hit.distance = ToApiDistance(index_metric, raw[q * k + j]);
        hits.push_back(std::move(hit));
      }
    }
    view = read_view_;
  }
  if (options.include_vectors || options.include_attributes) {
    std::vector<int64_t> hit_ids;
    for (int64_t id : ids) {
      if (id >= 0) hit_ids.push_back(id);
    }
    auto stored = store_->GetRecords(id_, hit_ids, view.get());
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

absl::Status Collection::CheckTuning(const SearchTuning& tuning) const {
  std::shared_lock<WriterPriorityMutex> lock(mu_);
  const IndexSpec& spec = index_spec_;
  if (tuning.ef_search != 0) {
    if (spec.kind != IndexSpec::Kind::kHnsw) {
      return absl::InvalidArgumentError(
          absl::StrCat("params.ef_search: only for hnsw indexes, the collection's index is ",
                       std::string(IndexKindName(spec.kind))));
    }
    if (tuning.ef_search < 1 || tuning.ef_search > 32768) {
      return absl::InvalidArgumentError(
          absl::StrCat("params.ef_search: must be in [1, 32768], got ", tuning.ef_search));
    }
  }
  if (tuning.nprobe != 0) {
    if (spec.kind != IndexSpec::Kind::kIvfFlat && spec.kind != IndexSpec::Kind::kIvfPq) {
      return absl::InvalidArgumentError(
          absl::StrCat("params.nprobe: only for ivf indexes, the collection's index is ",
                       std::string(IndexKindName(spec.kind))));
    }
    if (tuning.nprobe < 1 || tuning.nprobe > spec.nlist) {
      return absl::InvalidArgumentError(absl::StrCat(
          "params.nprobe: must be in [1, nlist = ", spec.nlist, "], got ", tuning.nprobe));
    }
  }
  if (tuning.rerank != 0) {
    if (spec.kind != IndexSpec::Kind::kHnsw ||
        spec.quantization == IndexSpec::Quantization::kNone) {
      return absl::InvalidArgumentError(
          absl::StrCat("params.rerank: only for quantised hnsw indexes, the collection's index is ",
                       std::string(IndexKindName(spec.kind)), " with quantization ",
                       std::string(QuantizationName(spec.quantization))));
    }
    if (tuning.rerank < 1 || tuning.rerank > 32768) {
      return absl::InvalidArgumentError(
          absl::StrCat("params.rerank: must be in [1, 32768], got ", tuning.rerank));
    }
  }
  return absl::OkStatus();
}

bool Collection::IsQuickSearch(int64_t queries) const {
  if (queries > int64_t(kMaxScanQueries)) return false;
  std::shared_lock<WriterPriorityMutex> lock(mu_);
  const bool exact = index_spec_.kind == IndexSpec::Kind::kFlat || !index_->status().trained;
  return !exact || uint64_t(index_->size()) * uint64_t(schema_.dim) < (uint64_t(1) << 20);
}

absl::StatusOr<int64_t> Collection::Count(const std::string& filter) const {
  if (auto s = ExpireDue(); !s.ok()) return s;
  auto parsed = ParseTypedFilter(filter, schema_.attributes);
  if (!parsed.ok()) return parsed.status();
  std::shared_lock<WriterPriorityMutex> lock(mu_);
  if (dropped_) return NotFound();
  return *parsed ? MatchingLocked(filter, **parsed)->Count() : catalogue_.size();
}

std::shared_ptr<const IdBitmap> Collection::MatchingLocked(const std::string& text,
                                                           const FilterNode& filter) const {
  return filter_cache_.Get(text, catalogue_.version(), [&] { return catalogue_.Matching(filter); });
}

std::shared_ptr<const IdFilter> Collection::AllowedLocked(const SearchOptions& options,
                                                          const FilterNode* filter, bool* none,
                                                          const IdBitmap** bitmap,
                                                          int64_t* count) const {
  std::shared_ptr<const IdFilter> labels =
      catalogue_.SearchFilter(options.scope, options.labels, none);
  *bitmap = nullptr;
  if (*none || filter == nullptr) return labels;
  std::shared_ptr<const IdBitmap> allowed = MatchingLocked(options.filter, *filter);
  if (labels != nullptr) {  // narrowed by the scope and labels: only the matches are tested
    IdBitmap in_scope;
    allowed->ForEach([&](int64_t id) {
      if (labels->Allows(id)) in_scope.Set(id);
    });
    allowed = std::make_shared<const IdBitmap>(std::move(in_scope));
  }
  *count = allowed->Count();
  *none = *count == 0;
  *bitmap = allowed.get();
  return allowed;
}

absl::Status Collection::ScanAllowedLocked(const IdBitmap& allowed, const VectorIndex& index,
                                           const LinearMap* map, const float* queries, int64_t n,
                                           int k, std::vector<float>* distances,
                                           std::vector<int64_t>* ids) const {
  std::vector<int64_t> record_ids;
  allowed.ForEach([&](int64_t id) { record_ids.push_back(id); });
  const MetricSpace space = SpaceOf(schema_, map);
  std::vector<float> rows(record_ids.size() * size_t(space.dim));
  if (!index.CopyVectors(record_ids, rows.data())) {
    auto stored = store_->GetRecords(id_, record_ids, read_view_.get());
    if (!stored.ok()) return stored.status();
    rows.clear();
    rows.reserve(record_ids.size() * size_t(schema_.dim));
    for (const auto& rec : *stored) {
      if (!rec) return absl::InternalError("catalogued record missing from store");
      rows.insert(rows.end(), rec->vector.begin(), rec->vector.end());
    }
    ToIndexForm(schema_, map, &rows);
  }
  ScanMatrix m;
  m.rows = rows.data();
  m.n = record_ids.size();
  m.dim = size_t(space.dim);
  m.inner_product = UsesInnerProduct(space.metric);
  distances->assign(size_t(n) * k, 0.0f);
  ids->assign(size_t(n) * k, -1);
  if (m.n == 0) return absl::OkStatus();
  ExactScan(m, queries, size_t(n), size_t(k), {}, distances->data(), ids->data());
  for (int64_t& row : *ids) {
    if (row >= 0) row = record_ids[size_t(row)];
  }
  return absl::OkStatus();
}

}  // namespace metricdb
