// A one-line progress bar with throughput, redrawn at most 10 times a second:
//   [##########----------]  50%  30000/60000  41,234 vectors/s
// Disabled (every call a no-op) when constructed with enabled = false.
#ifndef METRICDB_CLIENT_CLI_PROGRESS_BAR_H_
#define METRICDB_CLIENT_CLI_PROGRESS_BAR_H_

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace metricdb {

class ProgressBar {
 public:
  ProgressBar(int64_t total, const char* unit, bool enabled, FILE* out = stdout);
  void Update(int64_t done);
  // Draws the final state and ends the line.
  void Finish(int64_t done);

 private:
  void Draw(int64_t done);

  const int64_t total_;
  const char* unit_;
  const bool enabled_;
  FILE* out_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace metricdb

#endif  // METRICDB_CLIENT_CLI_PROGRESS_BAR_H_
