// RunQueries: the per-query loop of the graph indexes' Search. One query
// runs on the calling thread; a batch is spread over every core (OpenMP).
// `one(q)` runs inside FaissCall, so an allocation failure in any query ends
// the batch as RESOURCE_EXHAUSTED instead of escaping as an exception.
#ifndef METRICDB_ENGINE_INDEX_QUERY_LOOP_H_
#define METRICDB_ENGINE_INDEX_QUERY_LOOP_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "engine/base/faiss_call.h"

namespace metricdb {

template <typename F>
absl::Status RunQueries(int64_t n, const char* what, const F& one) {
  std::atomic<bool> failed{false};
  std::string error;
  auto run = [&](int64_t q) {
    absl::Status s = FaissCall(what, [&] { one(q); });
    if (!s.ok() && !failed.exchange(true)) error = std::string(s.message());
  };
  if (n == 1) {
    run(0);
  } else {
#pragma omp parallel for schedule(dynamic, 4)
    for (int64_t q = 0; q < n; ++q) run(q);
  }
  if (failed) return absl::ResourceExhaustedError(error);
  return absl::OkStatus();
}

}  // namespace metricdb

#endif  // METRICDB_ENGINE_INDEX_QUERY_LOOP_H_
