// ShardedCollection: reads, writes and stats across shards.
#include "cluster/sharded_collection.h"

#include <algorithm>
#include <future>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/base/attribute_types.h"
#include "engine/collection/vector_form.h"

namespace metricdb {

absl::StatusOr<std::shared_ptr<ShardedCollection>> ShardedCollection::Make(
    ClusterCollection record, std::vector<absl::StatusOr<std::shared_ptr<Shard>>> shards,
    const CollectionLimits& limits, ClusterControl* control) {
  std::shared_ptr<ShardedCollection> c(
      new ShardedCollection(std::move(record), std::move(shards), limits, control));
  c->metric_version_ = c->record_.schema.metric_version;
  if (c->metric_version_ > 0) {
    auto v = c->AnyShardVersion(c->metric_version_);
    if (!v.ok()) return v.status();
    c->map_ = std::make_shared<const LinearMap>(std::move(v->map));
  }
  return c;
}

CollectionSchema ShardedCollection::schema() const {
  CollectionSchema schema = record_.schema;
  schema.metric_version = metric_version();
  return schema;
}

int32_t ShardedCollection::metric_version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return metric_version_;
}

absl::StatusOr<Shard*> ShardedCollection::At(int32_t i) const {
  if (!shards_[i].ok()) return shards_[i].status();
  return shards_[i]->get();
}

std::vector<int32_t> ShardedCollection::AllShards() const {
  std::vector<int32_t> all(shards_.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = int32_t(i);
  return all;
}

absl::Status ShardedCollection::ForEach(const std::vector<int32_t>& which,
                                        const std::function<absl::Status(int32_t)>& fn) {
  if (which.empty()) return absl::OkStatus();
  std::vector<std::future<absl::Status>> others;
  for (size_t j = 0; j + 1 < which.size(); ++j) {
    others.push_back(std::async(std::launch::async, fn, which[j]));
  }
  absl::Status last = fn(which.back());
  absl::Status first;
  for (auto& f : others) {
    absl::Status s = f.get();
    if (first.ok()) first = s;
  }
  return first.ok() ? last : first;
}

absl::Status ShardedCollection::ForEachShard(
    const std::vector<int32_t>& which,
    const std::function<absl::Status(int32_t, Shard&)>& fn) const {
  return ForEach(which, [&](int32_t i) -> absl::Status {
    auto shard = At(i);
    if (!shard.ok()) return shard.status();
    return fn(i, **shard);
  });
}

std::vector<std::vector<std::string>> ShardedCollection::KeysByShard(
    absl::Span<const std::string> keys, std::vector<int32_t>* which) const {
  const int32_t n = int32_t(shards_.size());
  std::vector<std::vector<std::string>> by_shard(n);
  for (const auto& k : keys) by_shard[ShardOfKey(k, n)].push_back(k);
  which->clear();
  for (int32_t i = 0; i < n; ++i) {
    if (!by_shard[i].empty()) which->push_back(i);
  }
  return by_shard;
}

bool ShardedCollection::IsVersionMismatch(const absl::Status& s) {
  return s.code() == absl::StatusCode::kFailedPrecondition &&
         absl::StrContains(s.message(), "metric_version");
}

absl::Status ShardedCollection::Scatter(absl::Span<const absl::Span<const float>> queries,
                                        const SearchOptions& options, int32_t version,
                                        std::vector<SearchResults>* parts) const {
  SearchOptions shard_options = options;
  shard_options.metric_version = version;
  parts->assign(shards_.size(), {});
  return ForEachShard(AllShards(), [&](int32_t i, Shard& shard) -> absl::Status {
    auto r = shard.Search(queries, shard_options);
    if (!r.ok()) return r.status();
    (*parts)[i] = std::move(*r);
    return absl::OkStatus();
  });
}

absl::Status ShardedCollection::FollowActiveVersion() const {
  auto version = control_->ActiveMetricVersion(record_.schema.name);
  if (!version.ok()) return version.status();
  if (*version == metric_version()) return absl::OkStatus();
  std::shared_ptr<const LinearMap> map;
  if (*version > 0) {
    auto v = AnyShardVersion(*version);
    if (!v.ok()) return v.status();
    map = std::make_shared<const LinearMap>(std::move(v->map));
  }
  std::lock_guard<std::mutex> lock(mu_);
  metric_version_ = *version;
  map_ = std::move(map);
  return absl::OkStatus();
}

absl::StatusOr<SearchResults> ShardedCollection::Search(
    absl::Span<const absl::Span<const float>> queries, const SearchOptions& options) const {
  // The checks of a single node, once here rather than once per shard.
  if (auto s = CheckSearchShape(limits_, queries.size(), options.k); !s.ok()) return s;
  std::vector<float> checked;
  if (auto s = CheckVectors(record_.schema, queries, "queries", &checked); !s.ok()) return s;
  // Every shard answers under the version in force when this call began. If
  // it changed meanwhile (another node flipped it and some shard swapped
  // already), the call follows the new version once.
  std::vector<SearchResults> parts;
  absl::Status s = Scatter(queries, options, metric_version(), &parts);
  if (IsVersionMismatch(s)) {
    if (auto followed = FollowActiveVersion(); !followed.ok()) return followed;
    s = Scatter(queries, options, metric_version(), &parts);
    if (IsVersionMismatch(s)) {
      return absl::AbortedError(absl::StrCat("collection \"", record_.schema.name,
                                             "\": the metric in force is changing; retry (",
                                             s.message(), ")"));
    }
  }
  if (!s.ok()) return s;
  SearchResults merged(queries.size());
  for (size_t q = 0; q < queries.size(); ++q) {
    std::vector<SearchHit>& out = merged[q];
    for (auto& part : parts) {
      if (q < part.size()) {
        for (auto& hit : part[q]) out.push_back(std::move(hit));
      }
    }
    std::sort(out.begin(), out.end(), [](const SearchHit& a, const SearchHit& b) {
      return a.distance != b.distance ? a.distance < b.distance : a.key < b.key;
    });
    if (out.size() > size_t(options.k)) out.resize(options.k);
  }
  return merged;
}

absl::StatusOr<GetResult> ShardedCollection::Get(absl::Span<const std::string> keys,
                                                 bool include_vectors) const {
  if (keys.size() > size_t(limits_.max_keys)) {
    return absl::InvalidArgumentError(
        absl::StrCat("keys: ", keys.size(), " keys, at most ", limits_.max_keys, " allowed"));
  }
  std::vector<int32_t> which;
  const auto by_shard = KeysByShard(keys, &which);
  std::vector<GetResult> parts(shards_.size());
  absl::Status s = ForEachShard(which, [&](int32_t i, Shard& shard) -> absl::Status {
    auto r = shard.Get(by_shard[i], include_vectors);
    if (!r.ok()) return r.status();
    parts[i] = std::move(*r);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  std::map<std::string_view, Record*> found;
  for (auto& part : parts) {
    for (auto& r : part.records) found[r.key] = &r;
  }
  GetResult result;
  for (const auto& k : keys) {
    auto it = found.find(k);
    if (it == found.end()) {
      result.missing_keys.push_back(k);
    } else {
      result.records.push_back(*it->second);
    }
  }
  return result;
}

GroupUpsertResult ShardedCollection::UpsertGroup(std::vector<std::vector<Record>> batches) {
  GroupUpsertResult out;
  // Every batch is checked whole first, so an invalid record rejects its
  // batch on every shard (and the error names its place in the batch).
  size_t valid = 0;
  std::vector<float> scratch;
  for (; valid < batches.size(); ++valid) {
    if (auto s = CheckBatch(record_.schema, limits_, batches[valid], &scratch); !s.ok()) {
      out.error = s;
      break;
    }
  }
  const int32_t n = int32_t(shards_.size());
  // Per shard: its non-empty parts of the valid batches, and which batch
  // each part came from.
  std::vector<std::vector<std::vector<Record>>> parts(n);
  std::vector<std::vector<size_t>> origin(n);
  for (size_t b = 0; b < valid; ++b) {
    std::vector<std::vector<Record>> split(n);
    for (Record& r : batches[b]) {
      const int32_t shard = ShardOfKey(r.key, n);
      split[shard].push_back(std::move(r));
    }
    for (int32_t i = 0; i < n; ++i) {
      if (split[i].empty()) continue;
      parts[i].push_back(std::move(split[i]));
      origin[i].push_back(b);
    }
  }
  std::vector<int32_t> which;
  for (int32_t i = 0; i < n; ++i) {
    if (!parts[i].empty()) which.push_back(i);
  }
  std::vector<GroupUpsertResult> results(n);
  ForEach(which, [&](int32_t i) -> absl::Status {
    auto shard = At(i);
    if (!shard.ok()) {
      results[i].error = shard.status();
    } else {
      results[i] = (*shard)->UpsertGroup(std::move(parts[i]));
    }
    return absl::OkStatus();
  }).IgnoreError();
  // A batch counts as stored when every shard stored its part; the first
  // batch some shard did not store ends the group's results (its error).
  std::vector<UpsertResult> sums(valid);
  size_t stored = valid;
  absl::Status first_error;
  for (int32_t i : which) {
    const GroupUpsertResult& r = results[i];
    for (size_t j = 0; j < r.results.size(); ++j) {
      sums[origin[i][j]].inserted += r.results[j].inserted;
      sums[origin[i][j]].replaced += r.results[j].replaced;
    }
    if (r.results.size() < origin[i].size()) {
      const size_t failed = origin[i][r.results.size()];
      if (failed < stored) {
        stored = failed;
        first_error = r.error.ok() ? absl::InternalError("shard stored too few batches") : r.error;
      }
    }
  }
  if (stored < valid) {
    sums.resize(stored);
    out.error = first_error;
  }
  out.results = std::move(sums);
  return out;
}

absl::StatusOr<int64_t> ShardedCollection::Delete(absl::Span<const std::string> keys,
                                                  absl::Span<const std::string> labels,
                                                  const std::string& filter) {
  if (auto s = CheckDeleteShape(limits_, keys.size(), labels.size(), filter); !s.ok()) return s;
  // Checked here too, so that a bad filter reaches no shard.
  if (auto parsed = ParseTypedFilter(filter, record_.schema.attributes); !parsed.ok())
    return parsed.status();
  // Keys go to their shards; labels, and a filter alone, to every shard.
  std::vector<int32_t> which;
  const auto by_shard = KeysByShard(keys, &which);
  if (!labels.empty() || keys.empty()) which = AllShards();
  return SumOverShards(
      which, [&](int32_t i, Shard& shard) { return shard.Delete(by_shard[i], labels, filter); });
}

absl::StatusOr<int64_t> ShardedCollection::SumOverShards(
    const std::vector<int32_t>& which,
    const std::function<absl::StatusOr<int64_t>(int32_t, Shard&)>& f) const {
  std::vector<int64_t> parts(shards_.size(), 0);
  absl::Status s = ForEachShard(which, [&](int32_t i, Shard& shard) -> absl::Status {
    auto n = f(i, shard);
    if (!n.ok()) return n.status();
    parts[i] = *n;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  int64_t total = 0;
  for (int64_t n : parts) total += n;
  return total;
}

absl::StatusOr<int64_t> ShardedCollection::Count(const std::string& filter) const {
  if (auto parsed = ParseTypedFilter(filter, record_.schema.attributes); !parsed.ok())
    return parsed.status();
  return SumOverShards(AllShards(), [&](int32_t, Shard& shard) { return shard.Count(filter); });
}

absl::StatusOr<CollectionStats> ShardedCollection::ReadStats() const {
  std::vector<CollectionStats> parts(shards_.size());
  absl::Status s = ForEachShard(AllShards(), [&](int32_t i, Shard& shard) -> absl::Status {
    auto st = shard.ReadStats();
    if (!st.ok()) return st.status();
    parts[i] = *st;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  CollectionStats total;
  for (const CollectionStats& p : parts) {
    total.record_count += p.record_count;
    total.label_count += p.label_count;
    total.expired_records += p.expired_records;
    total.index_memory_bytes += p.index_memory_bytes;
    total.index_graph_bytes += p.index_graph_bytes;
    total.index_code_bytes += p.index_code_bytes;
    total.index_vector_bytes += p.index_vector_bytes;
    total.index_vectors_mapped = total.index_vectors_mapped || p.index_vectors_mapped;
    total.index.trained = total.index.trained && p.index.trained;
    total.index.trained_on += p.index.trained_on;
    total.index.tombstones += p.index.tombstones;
    total.index_building = total.index_building || p.index_building;
    total.last_index_build_seconds =
        std::max(total.last_index_build_seconds, p.last_index_build_seconds);
  }
  return total;
}

absl::Status ShardedCollection::BuildIndex(const std::optional<IndexSpec>& spec) {
  auto lock = control_->LockCollection(record_.schema.name, "BuildIndex");
  if (!lock.ok()) return lock.status();
  if (auto s =
          ForEachShard(AllShards(), [&](int32_t, Shard& shard) { return shard.BuildIndex(spec); });
      !s.ok()) {
    return s;
  }
  if (!spec) return absl::OkStatus();
  // The spec as the shards resolved it.
  auto shard = At(0);
  if (!shard.ok()) return shard.status();
  auto schema = (*shard)->ReadSchema();
  if (!schema.ok()) return schema.status();
  return control_->UpdateCollection(record_.schema.name,
                                    [&](ClusterCollection* c) { c->schema.index = schema->index; });
}

std::vector<float> ShardedCollection::RowsToMetricSpace(const std::vector<float>& rows,
                                                        MetricSpace* space) const {
  std::shared_ptr<const LinearMap> map;
  {
    std::lock_guard<std::mutex> lock(mu_);
    map = map_;
  }
  std::vector<float> out = rows;
  ToIndexForm(record_.schema, map.get(), &out);
  *space = SpaceOf(record_.schema, map.get());
  return out;
}

}  // namespace metricdb
