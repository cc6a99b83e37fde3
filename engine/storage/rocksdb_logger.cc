#include "engine/storage/rocksdb_logger.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>

namespace metricdb {

RocksDbLogger::RocksDbLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL) {}

void RocksDbLogger::Logv(const char* format, va_list ap) {
  Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
}

void RocksDbLogger::Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) {
  spdlog::level::level_enum to = spdlog::level::debug;
  if (level == rocksdb::InfoLogLevel::WARN_LEVEL) to = spdlog::level::warn;
  if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL && level != rocksdb::InfoLogLevel::HEADER_LEVEL) {
    to = spdlog::level::err;
  }
  if (!spdlog::should_log(to)) return;
  char buffer[1024];
  va_list copy;
  va_copy(copy, ap);
  const int n = std::vsnprintf(buffer, sizeof(buffer), format, copy);
  va_end(copy);
  if (n < 0) return;
  std::string text;
  if (size_t(n) < sizeof(buffer)) {
    text.assign(buffer, size_t(n));
  } else {
    text.resize(size_t(n) + 1);
    std::vsnprintf(text.data(), text.size(), format, ap);
    text.resize(size_t(n));
  }
  spdlog::log(to, "rocksdb: {}", text);
}

}  // namespace metricdb
