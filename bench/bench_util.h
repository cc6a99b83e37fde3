// Small helpers shared by the benchmark programs.
#ifndef METRICDB_BENCH_BENCH_UTIL_H_
#define METRICDB_BENCH_BENCH_UTIL_H_

#include <sys/types.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/status/statusor.h"

namespace metricdb::bench {

using Clock = std::chrono::steady_clock;

inline double Seconds(Clock::time_point from, Clock::time_point to = Clock::now()) {
  return std::chrono::duration<double>(to - from).count();
}

// Exits with the status printed when a step of the benchmark fails.
template <typename T>
T Check(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) {
    std::cerr << what << ": " << v.status() << "\n";
    std::exit(1);
  }
  return std::move(*v);
}
inline void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::cerr << what << ": " << s << "\n";
    std::exit(1);
  }
}

// A "Vm...:" field of /proc/PID/status in KiB ("VmRSS:", "VmHWM:"), or -1.
inline long ProcStatusKiB(pid_t pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::strlen(field)));
  }
  return -1;
}

}  // namespace metricdb::bench

#endif  // METRICDB_BENCH_BENCH_UTIL_H_
