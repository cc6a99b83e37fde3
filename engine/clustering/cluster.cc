#include "engine/clustering/cluster.h"

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "engine/base/faiss_call.h"
#include "engine/base/out_of_memory.h"
#include "engine/identity/calibration.h"

namespace metricdb {
namespace {

using Clock = std::chrono::steady_clock;

int32_t Find(std::vector<int32_t>& parent, int32_t i) {
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

absl::Status KMeans(const std::vector<float>& x, const MetricSpace& space, int64_t n,
                    const ClusterOptions& o, ClusterResult* out) {
  const int iterations = o.iterations == 0 ? 25 : o.iterations;
  if (iterations < 1 || iterations > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("iterations: must be in [1, 1000], got ", o.iterations));
  }
  if (o.k < 1 || o.k > n) {
    return absl::InvalidArgumentError(
        absl::StrCat("k: must be in [1, records = ", n, "], got ", o.k));
  }
  const int d = space.dim;
  faiss::ClusteringParameters params;
  params.niter = iterations;
  params.seed = int(o.seed);
  params.spherical = space.metric == Metric::kCosine;
  params.max_points_per_centroid = 1 << 30;  // use every record
  faiss::Clustering clustering(d, o.k, params);
  faiss::IndexFlatL2 assigner(d);
  std::vector<faiss::Index::idx_t> assign(n);
  std::vector<float> dist(n);
  if (auto s = FaissCall("k-means",
                         [&] {
                           clustering.train(n, x.data(), assigner);
                           assigner.reset();
                           assigner.add(o.k, clustering.centroids.data());
                           assigner.search(n, x.data(), 1, dist.data(), assign.data());
                         });
      !s.ok()) {
    return s;
  }
  out->clusters = o.k;
  out->centroid_dim = d;
  out->centroids = clustering.centroids;
  out->assignment.assign(assign.begin(), assign.end());
  out->inertia = 0;
  for (int64_t i = 0; i < n; ++i) out->inertia += dist[i];
  return absl::OkStatus();
}

absl::Status Threshold(const RecordSource& c, const RecordSample& sample, const ClusterOptions& o,
                       const ProgressFn& progress, ClusterResult* out) {
  auto threshold = ResolveThreshold(c, o.threshold, o.calibrated_far, true);
  if (!threshold.ok()) return threshold.status();
  out->threshold = **threshold;
  const int32_t neighbors = o.neighbors == 0 ? 10 : o.neighbors;
  if (neighbors < 1 || neighbors >= c.limits().max_k) {
    return absl::InvalidArgumentError(
        absl::StrCat("neighbors: must be in [1, ", c.limits().max_k - 1, "], got ", o.neighbors));
  }
  const int64_t n = int64_t(sample.keys.size());
  std::unordered_map<std::string_view, int32_t> position;
  for (int64_t i = 0; i < n; ++i) position.emplace(sample.keys[i], int32_t(i));
  struct Edge {
    float distance;
    int32_t a, b;
  };
  std::vector<Edge> edges;  // k-NN pairs closer than the threshold
  SearchOptions search;
  search.k = neighbors + 1;  // the record itself comes back too
  search.scope = o.scope;
  search.labels = o.labels;
  search.filter = o.filter;
  const int64_t batch = std::min<int64_t>(1024, c.limits().max_queries);
  const int64_t batches = (n + batch - 1) / batch;
  for (int64_t start = 0, b = 0; start < n; start += batch, ++b) {
    std::vector<absl::Span<const float>> queries;
    for (int64_t i = start; i < std::min(n, start + batch); ++i) {
      queries.emplace_back(sample.x.data() + i * sample.dim, sample.dim);
    }
    auto hits = c.Search(queries, search);
    if (!hits.ok()) return hits.status();
    for (size_t q = 0; q < hits->size(); ++q) {
      for (const SearchHit& hit : (*hits)[q]) {
        if (hit.distance > out->threshold) break;  // closest first
        auto it = position.find(hit.key);
        if (it == position.end() || it->second == int32_t(start + q)) continue;
        edges.push_back({hit.distance, int32_t(start + q), it->second});
      }
    }
    if (progress && !progress({"neighbours", b + 1, batches, 0, 0})) {
      return absl::CancelledError("clustering cancelled");
    }
  }
  // Merge along the edges, closest first. Single linkage merges every edge's
  // clusters (connected components). Average linkage merges two clusters
  // only if the mean distance over all their cross pairs (computed from the
  // vectors) is within the threshold, so one close pair cannot chain two
  // identities together.
  std::sort(edges.begin(), edges.end(),
            [](const Edge& x, const Edge& y) { return x.distance < y.distance; });
  std::vector<int32_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  std::vector<std::vector<int32_t>> members;
  MetricSpace space;
  std::vector<float> x;
  if (o.linkage == Linkage::kAverage) {
    x = c.RowsToMetricSpace(sample.x, &space);
    members.resize(n);
    for (int32_t i = 0; i < n; ++i) members[i] = {i};
  }
  for (const Edge& e : edges) {
    const int32_t a = Find(parent, e.a), bb = Find(parent, e.b);
    if (a == bb) continue;
    if (o.linkage == Linkage::kAverage) {
      // The mean over all cross pairs; for large clusters over an even
      // subset of at most 256 members of each side, which bounds the work.
      const auto& ma = members[a];
      const auto& mb = members[bb];
      const size_t sa = std::max<size_t>(1, ma.size() / 256);
      const size_t sb = std::max<size_t>(1, mb.size() / 256);
      double sum = 0;
      int64_t pairs = 0;
      for (size_t i = 0; i < ma.size(); i += sa) {
        for (size_t j = 0; j < mb.size(); j += sb) {
          sum += space.Distance(x.data() + int64_t(ma[i]) * space.dim,
                                x.data() + int64_t(mb[j]) * space.dim);
          ++pairs;
        }
      }
      if (sum / double(pairs) > out->threshold) continue;
      const int32_t keep = std::min(a, bb), gone = std::max(a, bb);
      members[keep].insert(members[keep].end(), members[gone].begin(), members[gone].end());
      members[gone].clear();
      members[gone].shrink_to_fit();
    }
    parent[std::max(a, bb)] = std::min(a, bb);
  }
  std::unordered_map<int32_t, int32_t> number;
  out->assignment.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    out->assignment[i] =
        number.emplace(Find(parent, int32_t(i)), int32_t(number.size())).first->second;
  }
  out->clusters = int32_t(number.size());
  return absl::OkStatus();
}

absl::Status WriteLabels(RecordSource& c, const RecordSample& sample, const ClusterOptions& o,
                         ClusterResult* out) {
  std::vector<std::string> keys;
  std::vector<int32_t> cluster;
  for (size_t i = 0; i < sample.keys.size(); ++i) {
    if (!sample.labels[i]) {
      keys.push_back(sample.keys[i]);
      cluster.push_back(out->assignment[i]);
    }
  }
  std::vector<std::vector<Record>> batches;
  const size_t per_batch =
      size_t(std::min<int64_t>(c.limits().max_batch_records, c.limits().max_keys));
  for (size_t start = 0; start < keys.size(); start += per_batch) {
    const size_t end = std::min(keys.size(), start + per_batch);
    auto got = c.Get(absl::Span<const std::string>(keys).subspan(start, end - start), true);
    if (!got.ok()) return got.status();
    if (!got->missing_keys.empty()) {
      return absl::AbortedError(absl::StrCat("record \"", got->missing_keys.front(),
                                             "\" was deleted while clustering; nothing written"));
    }
    for (size_t i = 0; i < got->records.size(); ++i) {
      got->records[i].label = absl::StrCat(o.label_prefix, cluster[start + i]);
    }
    batches.push_back(std::move(got->records));
  }
  if (batches.empty()) return absl::OkStatus();
  GroupUpsertResult written = c.UpsertGroup(std::move(batches));
  if (!written.error.ok()) return written.error;
  out->labels_written = int64_t(keys.size());
  return absl::OkStatus();
}

absl::StatusOr<ClusterResult> ClusterUnguarded(RecordSource& c, const ClusterOptions& o,
                                               const ProgressFn& progress) {
  auto max_records = ResolveSampleSize(o.max_records, 1000000, c.schema().dim, "max_records");
  if (!max_records.ok()) return max_records.status();
  if (o.write_labels && (o.label_prefix.empty() || o.label_prefix.size() > 256)) {
    return absl::InvalidArgumentError("label_prefix: must be 1 to 256 bytes");
  }
  if (progress && !progress({"sampling", 0, 1, 0, 0})) {
    return absl::CancelledError("clustering cancelled");
  }
  auto sample = c.SampleRecords({o.scope, o.labels, o.filter}, *max_records, o.seed);
  if (!sample.ok()) return sample.status();
  const int64_t n = int64_t(sample->keys.size());
  if (n == 0) {
    return absl::FailedPreconditionError("there are no records to cluster in the chosen scope");
  }
  ClusterResult out;
  if (o.method == ClusterMethod::kKmeans) {
    if (progress && !progress({"k-means", 0, 1, 0, 0})) {
      return absl::CancelledError("clustering cancelled");
    }
    MetricSpace space;
    const std::vector<float> x = c.RowsToMetricSpace(sample->x, &space);
    if (auto s = KMeans(x, space, n, o, &out); !s.ok()) return s;
  } else {
    if (auto s = Threshold(c, *sample, o, progress, &out); !s.ok()) return s;
  }
  std::vector<int32_t> clusters, labels;
  std::unordered_map<std::string, int32_t> label_number;
  for (int64_t i = 0; i < n; ++i) {
    if (!sample->labels[i]) continue;
    clusters.push_back(out.assignment[i]);
    labels.push_back(
        label_number.emplace(*sample->labels[i], int32_t(label_number.size())).first->second);
  }
  if (!clusters.empty()) out.quality = CompareClusterings(clusters, labels);
  if (o.write_labels) {
    if (auto s = WriteLabels(c, *sample, o, &out); !s.ok()) return s;
  }
  out.keys = std::move(sample->keys);
  return out;
}

}  // namespace

absl::StatusOr<ClusterResult> Cluster(RecordSource& c, const ClusterOptions& options,
                                      const ProgressFn& progress) {
  return GuardMemory("clustering", [&] { return ClusterUnguarded(c, options, progress); });
}

}  // namespace metricdb
