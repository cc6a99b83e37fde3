// The one place where FAISS and hnswlib exceptions become Status values. Every
// call into either library from the engine goes through FaissCall.
#ifndef METRICDB_ENGINE_BASE_FAISS_CALL_H_
#define METRICDB_ENGINE_BASE_FAISS_CALL_H_

#include <faiss/impl/FaissException.h>

#include <exception>
#include <new>
#include <string>

#include "absl/status/status.h"

namespace metricdb {

template <typename F>
absl::Status FaissCall(const char* what, F&& fn) {
  try {
    fn();
    return absl::OkStatus();
  } catch (const faiss::FaissException& e) {
    return absl::InternalError(std::string(what) + ": " + e.what());
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(std::string(what) + ": out of memory");
  } catch (const std::exception& e) {
    return absl::InternalError(std::string(what) + ": " + e.what());
  }
}

}  // namespace metricdb

#endif  // METRICDB_ENGINE_BASE_FAISS_CALL_H_
