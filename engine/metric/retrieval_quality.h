// RetrievalQuality: how well a metric separates identities on labelled
// vectors, by leave-one-out retrieval (each record queries all the others)
// and by verification over record pairs.
//   precision_at_1  the nearest other record has the query's label;
//   r_precision     with R = other records of the query's label: the
//                   fraction of the R nearest that have it;
//   map_at_r        mean over the R nearest of precision at each correct hit,
//                   divided by R (Musgrave et al., "A metric learning reality
//                   check", 2020);
//   roc_auc, eer    of the "same identity" decision by a distance threshold
//                   over record pairs (all pairs, or an even sample of at most
//                   2M genuine and 2M impostor pairs).
// Queries whose label no other record has are skipped.
#ifndef METRICDB_ENGINE_METRIC_RETRIEVAL_QUALITY_H_
#define METRICDB_ENGINE_METRIC_RETRIEVAL_QUALITY_H_

#include <cstdint>
#include <vector>

namespace metricdb {

struct RetrievalQuality {
  int64_t records = 0;
  int64_t queries = 0;
  double precision_at_1 = 0;
  double r_precision = 0;
  double map_at_r = 0;
  double roc_auc = 0;
  double eer = 0;
};

// `vectors`: n x dim, already in the form the metric compares (prepared or
// mapped by L). inner_product: distance -<x, y> instead of ||x - y||.
RetrievalQuality EvaluateRetrieval(const float* vectors, int64_t n, int dim,
                                   const std::vector<int32_t>& labels, bool inner_product);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_METRIC_RETRIEVAL_QUALITY_H_
