// Calibrate: thresholds from the collection's own labels. Genuine pairs
// (same label) and impostor pairs (different labels) of a seeded sample of
// labelled records are compared under the metric in force; the ROC gives the
// threshold at each target FAR with the TAR there, ROC AUC and EER. The
// result is stored with the metric version (a later metric makes it stale).
// With holdout_fraction, that share of identities is left out of the
// calibration and the thresholds' FAR/TAR are measured on their pairs too,
// to show how well a threshold generalises to unseen identities.
#ifndef METRICDB_ENGINE_IDENTITY_CALIBRATE_H_
#define METRICDB_ENGINE_IDENTITY_CALIBRATE_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/collection/record_source.h"
#include "engine/identity/calibration.h"

namespace metricdb {

// A 0 / empty / unset field takes the default shown.
struct CalibrateOptions {
  std::vector<double> target_fars;  // each in (0, 1); default 1e-2, 1e-3, 1e-4
  int64_t max_records = 0;          // labelled records sampled; 20000 (see
                                    // ResolveSampleSize)
  int64_t max_genuine_pairs = 0;    // 200000 (all of them if fewer)
  int64_t max_impostor_pairs = 0;   // 2000000
  std::optional<uint64_t> seed;     // 1
  double holdout_fraction = 0;      // identities held out, [0, 0.9]
  int32_t curve_points = 0;         // 50 (2..1000)
  std::string filter;               // not blank: only records matching it
};

// INVALID_ARGUMENT for options out of range (naming them);
// FAILED_PRECONDITION without 2 labelled identities and one with two records
// (on each side of a hold-out).
absl::StatusOr<Calibration> Calibrate(RecordSource& collection, CalibrateOptions options);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_IDENTITY_CALIBRATE_H_
