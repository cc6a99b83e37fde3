// GuardMemory: runs `fn` (returning a Status or StatusOr) and turns an
// allocation failure inside it into RESOURCE_EXHAUSTED instead of a crash.
// For the operations whose memory grows with the request (learning,
// calibration, clustering); FAISS calls have FaissCall.
#ifndef METRICDB_ENGINE_BASE_OUT_OF_MEMORY_H_
#define METRICDB_ENGINE_BASE_OUT_OF_MEMORY_H_

#include <new>
#include <string>

#include "absl/status/status.h"

namespace metricdb {

template <typename F>
auto GuardMemory(const char* what, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(std::string(what) + ": out of memory");
  }
}

}  // namespace metricdb

#endif  // METRICDB_ENGINE_BASE_OUT_OF_MEMORY_H_
