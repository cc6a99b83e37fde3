// Cluster: groups a collection's records (all, a label subset, or only the
// unlabelled ones) under the metric in force.
//   kKmeans     faiss::Clustering on the metric-space vectors (spherical
//               under cosine; every record is used, none subsampled):
//               centroids (metric space), an assignment per key, inertia =
//               sum of squared distances to the assigned centroid.
//   kThreshold  identity clustering without k: each record's `neighbors`
//               nearest in the index (same scope) are linked when closer than
//               the threshold (explicit or calibrated); links are taken
//               closest first and, with kSingle, every link merges (clusters
//               are the connected components); with kAverage, two clusters
//               merge only if the mean distance over all their cross pairs is
//               within the threshold (no chaining through one close pair;
//               clusters over 256 records are compared on an even subset).
// When records carry labels the result compares the clusters with them
// (cluster_quality.h). write_labels stores "<label_prefix><cluster>" as the
// label of every unlabelled clustered record, in one atomic write (a record
// changed by a concurrent writer in between is overwritten).
#ifndef METRICDB_ENGINE_CLUSTERING_CLUSTER_H_
#define METRICDB_ENGINE_CLUSTERING_CLUSTER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/base/progress.h"
#include "engine/clustering/cluster_quality.h"
#include "engine/collection/record_source.h"

namespace metricdb {

enum class ClusterMethod { kKmeans = 1, kThreshold = 2 };
enum class Linkage { kSingle = 0, kAverage = 1 };

struct ClusterOptions {
  ClusterMethod method = ClusterMethod::kKmeans;
  LabelScope scope = LabelScope::kAll;
  std::vector<std::string> labels;  // non-empty: only records of these labels
  std::string filter;               // not blank: only records matching it
  int32_t k = 0;                    // kKmeans: clusters, 1..records
  int32_t iterations = 0;           // kKmeans: default 25 (1..1000)
  uint64_t seed = 1;
  std::optional<double> threshold;       // kThreshold: explicit, or
  std::optional<double> calibrated_far;  // calibrated (default: its first FAR)
  int32_t neighbors = 0;                 // kThreshold: default 10 (1..max_k - 1)
  Linkage linkage = Linkage::kSingle;    // kThreshold
  int64_t max_records = 0;               // default 1000000 (a seeded sample beyond;
                                         // see ResolveSampleSize)
  bool write_labels = false;
  std::string label_prefix = "cluster-";
};

struct ClusterResult {
  std::vector<std::string> keys;
  std::vector<int32_t> assignment;  // cluster of each key, 0-based
  int32_t clusters = 0;
  int32_t centroid_dim = 0;               // kKmeans
  std::vector<float> centroids;           // kKmeans: clusters x centroid_dim
  double inertia = 0;                     // kKmeans
  double threshold = 0;                   // kThreshold
  std::optional<ClusterQuality> quality;  // over the clustered records with labels
  int64_t labels_written = 0;
};

// INVALID_ARGUMENT naming the option (k > records, threshold NaN, ...);
// FAILED_PRECONDITION when there is nothing to cluster, or no threshold for
// kThreshold; CANCELLED if `progress` returns false.
absl::StatusOr<ClusterResult> Cluster(RecordSource& collection, const ClusterOptions& options,
                                      const ProgressFn& progress);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_CLUSTERING_CLUSTER_H_
