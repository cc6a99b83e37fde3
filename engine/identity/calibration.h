// Calibration: distance thresholds of a collection at target false-accept
// rates, measured on its own labelled pairs under one metric version, and
// how a query's threshold is chosen from it.
#ifndef METRICDB_ENGINE_IDENTITY_CALIBRATION_H_
#define METRICDB_ENGINE_IDENTITY_CALIBRATION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/base/roc.h"
#include "engine/collection/record_source.h"

namespace metricdb {

struct CalibrationPoint {
  double target_far = 0;
  double threshold = 0;  // same identity when distance <= threshold
  double far = 0;        // achieved on the calibration pairs
  double tar = 0;
  // On the held-out identities' pairs (when calibrated with a hold-out).
  double holdout_far = 0;
  double holdout_tar = 0;
};

struct Calibration {
  int32_t metric_version = 0;  // the metric version it was measured under
  int64_t created_unix_ms = 0;
  std::vector<CalibrationPoint> points;  // one per target FAR, in request order
  double roc_auc = 0;
  double eer = 0;
  double eer_threshold = 0;
  int64_t genuine_pairs = 0;
  int64_t impostor_pairs = 0;
  int64_t holdout_genuine_pairs = 0;  // 0 without a hold-out
  int64_t holdout_impostor_pairs = 0;
  std::vector<RocPoint> curve;  // compact ROC for plotting
};

std::string EncodeCalibration(const Calibration& c);
absl::StatusOr<Calibration> DecodeCalibration(std::string_view bytes);

// The stored calibration of `collection`, or nullopt if it has none.
absl::StatusOr<std::optional<Calibration>> LoadCalibration(const RecordSource& collection);
absl::Status StoreCalibration(RecordSource& collection, const Calibration& calibration);

// The threshold for a query: `explicit_threshold` if given (INVALID_ARGUMENT
// unless finite); else, with `calibrated_far`, the stored calibration's
// threshold at that target FAR (INVALID_ARGUMENT if that FAR was not
// calibrated); else, if `required`, the calibration's threshold at its first
// target FAR; else nullopt. Using the calibration is FAILED_PRECONDITION when
// there is none or it was made under another metric version than the one in
// force (the message says how to calibrate).
absl::StatusOr<std::optional<double>> ResolveThreshold(const RecordSource& collection,
                                                       std::optional<double> explicit_threshold,
                                                       std::optional<double> calibrated_far,
                                                       bool required);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_IDENTITY_CALIBRATION_H_
