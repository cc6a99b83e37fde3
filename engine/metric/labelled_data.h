// LabelledData: the labelled vectors a metric is learned from or evaluated
// on, and the seeded ways of splitting and sampling them.
#ifndef METRICDB_ENGINE_METRIC_LABELLED_DATA_H_
#define METRICDB_ENGINE_METRIC_LABELLED_DATA_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/collection/record_source.h"
#include "engine/metric/learn_options.h"

namespace metricdb {

struct LabelledData {
  int32_t dim = 0;
  std::vector<float> x;        // n x dim, row-major, raw stored vectors
  std::vector<int32_t> label;  // n identity numbers, >= 0

  int64_t size() const { return int64_t(label.size()); }
  const float* row(int64_t i) const { return x.data() + i * dim; }
  void Append(const LabelledData& from, int64_t i);
  int64_t CountIdentities() const;
  // Identities with at least two records (the ones that give same-identity
  // pairs).
  int64_t CountRepeatedIdentities() const;
};

// Splits `all` into training and evaluation data. kByIdentity puts
// round(fraction * identities) whole identities into `eval`; kByRecord puts
// round(fraction * n_i) of each identity's records there (at least one of
// every identity with two or more). fraction 0: `eval` is a copy of `train`.
void SplitHoldout(const LabelledData& all, HoldoutSplit split, double fraction, uint64_t seed,
                  LabelledData* train, LabelledData* eval);

// Up to `max` labelled records of `source`, sampled uniformly (seeded) from
// one consistent view, with raw vectors; labels are numbered in first-seen
// order. A non-blank `filter` (filter_expression.h) narrows the records.
absl::StatusOr<LabelledData> SampleLabelled(const RecordSource& source, int64_t max, uint64_t seed,
                                            const std::string& filter = "");

// At most `max` records of `data`, chosen uniformly (seeded), in their order.
LabelledData Subsample(const LabelledData& data, int64_t max, uint64_t seed);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_METRIC_LABELLED_DATA_H_
