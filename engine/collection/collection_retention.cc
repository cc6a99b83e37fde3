// Retention (retention.h): expiry on write, and deletion of expired records.
#include <spdlog/spdlog.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "engine/collection/collection.h"
#include "engine/collection/retention.h"

namespace metricdb {

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

absl::Status ApplyRetention(const CollectionSchema& schema, int64_t now_ms,
                            std::vector<Record>* batch) {
  constexpr int64_t kMaxTtlMs = kMaxTtlSeconds * 1000;
  for (size_t i = 0; i < batch->size(); ++i) {
    Record& r = (*batch)[i];
    if (r.expires_unix_ms == 0) {
      if (schema.ttl_seconds > 0) r.expires_unix_ms = now_ms + schema.ttl_seconds * 1000;
      continue;
    }
    if (r.expires_unix_ms <= now_ms || r.expires_unix_ms - now_ms > kMaxTtlMs) {
      return absl::InvalidArgumentError(
          absl::StrCat("records[", i, "].expires_unix_ms: ", r.expires_unix_ms,
                       r.expires_unix_ms <= now_ms ? " is not in the future (now "
                                                   : " is beyond 100 years (now ",
                       now_ms, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status Collection::ExpireDue() const {
  const int64_t now = NowUnixMs();
  if (next_expiry_ms_.load(std::memory_order_acquire) > now) return absl::OkStatus();
  // Logically const: an expired record is already gone for every reader;
  // this makes the store agree.
  return const_cast<Collection*>(this)->DeleteExpired(now);
}

absl::Status Collection::DeleteExpired(int64_t now_ms) {
  std::lock_guard<std::mutex> write_lock(write_mu_);
  // A read-only store cannot delete: its records stay as they were written.
  if (dropped_ || store_->read_only()) return absl::OkStatus();
  std::vector<int64_t> ids = catalogue_.ExpiredBy(now_ms);
  if (!ids.empty()) {
    auto deleted = DeleteIdsLocked(std::move(ids));
    if (!deleted.ok()) {
      return absl::Status(deleted.status().code(),
                          absl::StrCat("deleting expired records: ", deleted.status().message()));
    }
    expired_records_ += *deleted;
    spdlog::debug("collection {}: {} records expired", schema_.name, *deleted);
  }
  // Writers add expiries under write_mu_, which this holds.
  next_expiry_ms_.store(catalogue_.NextExpiry(), std::memory_order_release);
  return absl::OkStatus();
}

}  // namespace metricdb
