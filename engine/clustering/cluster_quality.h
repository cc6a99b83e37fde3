// ClusterQuality: agreement of a clustering with reference labels.
//   nmi         mutual information / arithmetic mean of the two entropies
//               (scikit-learn's default normalisation);
//   ami         adjusted for chance (Vinh, Epps & Bailey 2010); NaN when the
//               contingency table is too large to compute it (> 4M cells);
//   pairwise_f  F1 of "same cluster" over record pairs against "same label";
//   bcubed_f    F1 of BCubed precision and recall (per-record averages).
#ifndef METRICDB_ENGINE_CLUSTERING_CLUSTER_QUALITY_H_
#define METRICDB_ENGINE_CLUSTERING_CLUSTER_QUALITY_H_

#include <cstdint>
#include <vector>

namespace metricdb {

struct ClusterQuality {
  int64_t records = 0;
  double nmi = 0;
  double ami = 0;
  double pairwise_f = 0;
  double bcubed_f = 0;
};

// `clusters` and `labels` are per-record ids (any non-negative numbers).
ClusterQuality CompareClusterings(const std::vector<int32_t>& clusters,
                                  const std::vector<int32_t>& labels);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_CLUSTERING_CLUSTER_QUALITY_H_
