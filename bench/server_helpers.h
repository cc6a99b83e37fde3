// Helpers of the benchmarks that drive a server process: loading rows and
// waiting for the server's background work to settle.
#ifndef METRICDB_BENCH_SERVER_HELPERS_H_
#define METRICDB_BENCH_SERVER_HELPERS_H_

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include "bench/bench_util.h"
#include "client/metricdb_client.h"
#include "tests/testing/proc_stat.h"

namespace metricdb::bench {

// Streams rows as records "r<i>" in batches of ~4 MiB.
inline void Load(metricdb::Client& client, const std::string& name, const float* rows, int64_t n,
                 int dim) {
  auto stream = client.OpenUpsertStream(8);
  const int64_t batch = std::max<int64_t>(1, (4 << 20) / (dim * 4 + 32));
  for (int64_t s = 0; s < n; s += batch) {
    metricdb::v1::UpsertRequest req;
    req.set_collection(name);
    for (int64_t i = s; i < std::min(n, s + batch); ++i) {
      auto* r = req.add_records();
      r->set_key("r" + std::to_string(i));
      r->mutable_vector()->Add(rows + i * dim, rows + (i + 1) * dim);
    }
    Check(stream->Write(req), "upsert");
  }
  Check(stream->Finish(), "upsert finish");
}

// CPU seconds (user + system) a process has used so far.
inline double ProcessCpuSeconds(pid_t pid) {
  using testing::ProcStatField;
  const long long ticks = ProcStatField(pid, 14) + ProcStatField(pid, 15);  // utime, stime
  return double(ticks) / double(sysconf(_SC_CLK_TCK));
}

// Waits (at most `limit` s) until the process uses under 2% of a core over
// half a second: background work after a load (RocksDB flushes and
// compactions, the index snapshot) would otherwise be measured as query
// cost. Returns the seconds waited.
inline double WaitIdle(pid_t pid, double limit = 300) {
  auto t0 = Clock::now();
  double cpu = ProcessCpuSeconds(pid);
  while (Seconds(t0) < limit) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const double now = ProcessCpuSeconds(pid);
    if (now - cpu < 0.01) break;
    cpu = now;
  }
  return Seconds(t0);
}

}  // namespace metricdb::bench

#endif  // METRICDB_BENCH_SERVER_HELPERS_H_
