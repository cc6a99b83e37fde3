// Progress of a long metric-learning or clustering run, reported to the
// caller while it runs.
#ifndef METRICDB_ENGINE_BASE_PROGRESS_H_
#define METRICDB_ENGINE_BASE_PROGRESS_H_

#include <cstdint>
#include <functional>
#include <string>

namespace metricdb {

struct LearnProgress {
  std::string phase;           // "sampling", "training", "evaluating", "activating"
  int64_t iteration = 0;       // within the phase (epochs while training)
  int64_t iterations = 0;      // expected in the phase; 0 when unknown
  double loss = 0;             // mean training loss of the last iteration, if any
  double elapsed_seconds = 0;  // since the run started
};

// Called with each progress report; returning false cancels the run, which
// then ends with CANCELLED and changes nothing.
using ProgressFn = std::function<bool(const LearnProgress&)>;

}  // namespace metricdb

#endif  // METRICDB_ENGINE_BASE_PROGRESS_H_
