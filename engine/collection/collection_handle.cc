#include "engine/collection/collection_handle.h"

namespace metricdb {

absl::StatusOr<UpsertResult> CollectionHandle::Upsert(std::vector<Record> records) {
  std::vector<std::vector<Record>> batches;
  batches.push_back(std::move(records));
  GroupUpsertResult group = UpsertGroup(std::move(batches));
  if (!group.error.ok()) return group.error;
  return group.results[0];
}

}  // namespace metricdb
