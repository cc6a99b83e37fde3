// ShardedCollection: samples across shards, metric versions (stored on every
// shard, activated in two phases) and named entries (in etcd).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "cluster/sharded_collection.h"

namespace metricdb {

namespace {

// Records per page of a shard's sample: about 32 MiB of vectors.
int64_t PageRecords(int32_t dim) { return std::max<int64_t>(1, (int64_t{32} << 20) / (4 * dim)); }

// `max` split over shards in proportion to their `population`s (largest
// remainders get the leftovers, ties to the lower shard).
std::vector<int64_t> Quotas(const std::vector<int64_t>& population, int64_t max) {
  const int64_t total = std::accumulate(population.begin(), population.end(), int64_t{0});
  std::vector<int64_t> quota(population.size(), 0);
  if (total <= max) return population;
  std::vector<std::pair<double, size_t>> remainders;
  int64_t given = 0;
  for (size_t i = 0; i < population.size(); ++i) {
    const double exact = double(max) * double(population[i]) / double(total);
    quota[i] = int64_t(std::floor(exact));
    given += quota[i];
    remainders.push_back({-(exact - double(quota[i])), i});
  }
  std::sort(remainders.begin(), remainders.end());
  for (size_t j = 0; given < max && j < remainders.size(); ++j, ++given) {
    ++quota[remainders[j].second];
  }
  return quota;
}

}  // namespace

absl::StatusOr<RecordSample> ShardedCollection::SampleRecords(const RecordSelection& which,
                                                              int64_t max, uint64_t seed) const {
  const int32_t n = int32_t(shards_.size());
  // Each shard samples with a seed of its own, from the seed asked for.
  auto shard_seed = [seed](int32_t i) { return seed + 0x9e3779b97f4a7c15ull * uint64_t(i); };
  // First the populations (an empty page carries them), then the pages.
  std::vector<int64_t> population(n, 0);
  if (auto s = ForEachShard(AllShards(),
                            [&](int32_t i, Shard& shard) -> absl::Status {
                              auto page = shard.SampleRecords(which, 0, shard_seed(i), 0, 0);
                              if (!page.ok()) return page.status();
                              population[i] = page->population;
                              return absl::OkStatus();
                            });
      !s.ok()) {
    return s;
  }
  const std::vector<int64_t> quota = Quotas(population, std::max<int64_t>(0, max));
  const int64_t page_records = PageRecords(record_.schema.dim);
  std::vector<RecordSample> parts(n);
  if (auto s = ForEachShard(
          AllShards(),
          [&](int32_t i, Shard& shard) -> absl::Status {
            RecordSample& part = parts[i];
            for (int64_t offset = 0; offset < quota[i]; offset += page_records) {
              auto page = shard.SampleRecords(which, quota[i], shard_seed(i), offset,
                                              std::min(page_records, quota[i] - offset));
              if (!page.ok()) return page.status();
              if (page->keys.empty()) break;  // the shard shrank meanwhile
              part.keys.insert(part.keys.end(), page->keys.begin(), page->keys.end());
              part.x.insert(part.x.end(), page->x.begin(), page->x.end());
              part.labels.insert(part.labels.end(), page->labels.begin(), page->labels.end());
            }
            return absl::OkStatus();
          });
      !s.ok()) {
    return s;
  }
  // Merged in key order: the same sample, in the same order, for any number
  // of shards (and a single node's order when keys were written in order).
  std::vector<std::pair<int32_t, int64_t>> order;
  for (int32_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < int64_t(parts[i].keys.size()); ++j) order.push_back({i, j});
  }
  std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    return parts[a.first].keys[a.second] < parts[b.first].keys[b.second];
  });
  RecordSample out;
  out.dim = record_.schema.dim;
  out.population = std::accumulate(population.begin(), population.end(), int64_t{0});
  out.x.reserve(order.size() * size_t(out.dim));
  for (const auto& [i, j] : order) {
    out.keys.push_back(std::move(parts[i].keys[j]));
    out.labels.push_back(std::move(parts[i].labels[j]));
    const float* row = parts[i].x.data() + j * out.dim;
    out.x.insert(out.x.end(), row, row + out.dim);
  }
  return out;
}

template <typename T>
absl::StatusOr<T> ShardedCollection::FirstAnswer(
    const std::function<absl::StatusOr<T>(Shard&)>& fn) const {
  absl::Status last = absl::UnavailableError("collection has no shards");
  for (int32_t i = 0; i < int32_t(shards_.size()); ++i) {
    auto shard = At(i);
    if (!shard.ok()) {
      last = shard.status();
      continue;
    }
    auto answer = fn(**shard);
    if (answer.ok() || answer.status().code() != absl::StatusCode::kUnavailable) return answer;
    last = answer.status();
  }
  return last;
}

absl::StatusOr<StoredMetricVersion> ShardedCollection::AnyShardVersion(int32_t version) const {
  return FirstAnswer<StoredMetricVersion>(
      [&](Shard& shard) { return shard.GetMetricVersion(version); });
}

absl::StatusOr<int32_t> ShardedCollection::AddMetricVersion(StoredMetricVersion version) {
  auto lock = control_->LockCollection(record_.schema.name, "AddMetricVersion");
  if (!lock.ok()) return lock.status();
  // The number comes from etcd, so every shard stores the version under the
  // same one even if a shard missed an earlier version.
  auto number = control_->ReserveMetricVersion(record_.schema.name, version);
  if (!number.ok()) return number.status();
  version.version = *number;
  if (auto s = ForEachShard(
          AllShards(),
          [&](int32_t, Shard& shard) { return shard.AddMetricVersion(version).status(); });
      !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("metric version ", *number,
                                               " not stored on every shard: ", s.message()));
  }
  return version.version;
}

absl::StatusOr<std::vector<StoredMetricVersion>> ShardedCollection::ListMetricVersions(
    bool include_maps) const {
  return FirstAnswer<std::vector<StoredMetricVersion>>(
      [&](Shard& shard) { return shard.ListMetricVersions(include_maps); });
}

absl::StatusOr<StoredMetricVersion> ShardedCollection::GetMetricVersion(int32_t version) const {
  return AnyShardVersion(version);
}

absl::Status ShardedCollection::ActivateMetric(int32_t version) {
  if (version < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "version: must be 0 (the creation metric) or a metric version, got ", version));
  }
  if (version == metric_version()) return absl::OkStatus();
  auto lock = control_->LockCollection(record_.schema.name, "ActivateMetric");
  if (!lock.ok()) return lock.status();
  // Phase 1: every shard builds the version's index beside its own; queries
  // go on under the version in force.
  if (auto s = ForEachShard(AllShards(),
                            [&](int32_t, Shard& shard) { return shard.PrepareMetric(version); });
      !s.ok()) {
    // Not all shards are ready: the activation does not go ahead, and the
    // shards that staged the version forget it (best effort).
    ForEachShard(AllShards(), [](int32_t, Shard& shard) {
      return shard.DiscardStagedMetric();
    }).IgnoreError();
    return s;
  }
  std::shared_ptr<const LinearMap> map;
  if (version > 0) {
    auto v = AnyShardVersion(version);
    if (!v.ok()) return v.status();
    map = std::make_shared<const LinearMap>(std::move(v->map));
  }
  // Phase 2: one transaction puts it in force; from here on coordinators
  // ask every shard for the new version, which each holds staged.
  if (auto s = control_->UpdateCollection(
          record_.schema.name, [&](ClusterCollection* c) { c->schema.metric_version = version; });
      !s.ok()) {
    return s;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    metric_version_ = version;
    map_ = std::move(map);
  }
  // The shards swap the staged index in (a node that misses this does it when
  // it sees the change: ClusterNode reconciles its shards).
  ForEachShard(AllShards(), [&](int32_t, Shard& shard) {
    return shard.ActivateMetric(version);
  }).IgnoreError();
  return absl::OkStatus();
}

absl::Status ShardedCollection::PutEntry(std::string_view name, std::string_view value) {
  return control_->PutEntry(record_.schema.name, name, value);
}

absl::StatusOr<std::optional<std::string>> ShardedCollection::GetEntry(
    std::string_view name) const {
  return control_->GetEntry(record_.schema.name, name);
}

}  // namespace metricdb
