// Retention: record expiry. A record expires at its expires_unix_ms, which a
// write sets from the collection's ttl_seconds when the record carries none.
// Collection::ExpireDue deletes expired records (ordinary deletes); every
// read of a collection calls it first, and the engine's sweep calls it once a
// second, so an expired record is returned by no query from its expiry on and
// is gone from the store soon after (a restart cannot bring it back).
#ifndef METRICDB_ENGINE_COLLECTION_RETENTION_H_
#define METRICDB_ENGINE_COLLECTION_RETENTION_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "engine/base/collection_schema.h"
#include "engine/base/record.h"

namespace metricdb {

// The wall clock, Unix milliseconds.
int64_t NowUnixMs();

// Gives each record of `batch` without an expiry the schema's ttl after
// `now_ms` (if the schema has one). INVALID_ARGUMENT naming
// records[i].expires_unix_ms for an expiry that is negative, not after
// `now_ms`, or beyond kMaxTtlSeconds from it.
absl::Status ApplyRetention(const CollectionSchema& schema, int64_t now_ms,
                            std::vector<Record>* batch);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_COLLECTION_RETENTION_H_
