#include "cluster/shard.h"

namespace metricdb {

absl::StatusOr<RecordSample> LocalShard::SampleRecords(LabelScope scope,
                                                       const std::vector<std::string>& labels,
                                                       int64_t max, uint64_t seed, int64_t offset,
                                                       int64_t limit) const {
  return c_->SamplePage(scope, labels, max, seed, offset, limit);
}

}  // namespace metricdb
