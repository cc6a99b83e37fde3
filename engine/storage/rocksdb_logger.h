// RocksDB's information log, sent to spdlog instead of a LOG file in the data
// directory: one log for the operator, and no log file write to fail on a
// full disk (Debian's RocksDB aborts on an assertion when its LOG file is
// appended to after a failed append).
//
// Levels: RocksDB's DEBUG/INFO/HEADER -> spdlog debug, WARN -> warn,
// ERROR/FATAL -> error. RocksDB logs internal keys only (collection and
// record ids), never a record's key, label or attributes.
#ifndef METRICDB_ENGINE_STORAGE_ROCKSDB_LOGGER_H_
#define METRICDB_ENGINE_STORAGE_ROCKSDB_LOGGER_H_

#include <rocksdb/env.h>

#include <cstdarg>

namespace metricdb {

class RocksDbLogger : public rocksdb::Logger {
 public:
  RocksDbLogger();
  void Logv(const char* format, va_list ap) override;
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_STORAGE_ROCKSDB_LOGGER_H_
