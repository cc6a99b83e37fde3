// A record as the engine stores it.
#ifndef METRICDB_ENGINE_BASE_RECORD_H_
#define METRICDB_ENGINE_BASE_RECORD_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace metricdb {

inline constexpr size_t kMaxKeyBytes = 1024;

struct Record {
  std::string key;                   // 1..kMaxKeyBytes bytes, unique per collection
  std::vector<float> vector;         // raw, as written by the client
  std::optional<std::string> label;  // identity; nullopt = unlabelled
  std::map<std::string, std::string> attributes;
  // When the record expires (Unix time, milliseconds); 0: never. From then
  // on no query returns it and it is deleted (retention: collection.h).
  int64_t expires_unix_ms = 0;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_BASE_RECORD_H_
