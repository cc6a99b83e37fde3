#include "cluster/shard.h"

namespace metricdb {

absl::StatusOr<RecordSample> LocalShard::SampleRecords(const RecordSelection& which, int64_t max,
                                                       uint64_t seed, int64_t offset,
                                                       int64_t limit) const {
  return c_->SamplePage(which, max, seed, offset, limit);
}

}  // namespace metricdb
