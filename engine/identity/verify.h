// Verify (1:1): "same identity?". Each side of a pair is a vector, a stored
// key, or a label (an identity: the other side is compared with that
// identity's records by kMin or kMeanTopN, through the index). The decision
// is distance <= threshold; the threshold is explicit, or calibrated (at a
// given FAR, else the calibration's first), and FAILED_PRECONDITION saying
// how to calibrate when there is none.
#ifndef METRICDB_ENGINE_IDENTITY_VERIFY_H_
#define METRICDB_ENGINE_IDENTITY_VERIFY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/collection/record_source.h"
#include "engine/identity/aggregation.h"

namespace metricdb {

struct VerifySide {
  enum class Kind { kVector, kKey, kLabel };
  Kind kind = Kind::kVector;
  std::vector<float> vector;
  std::string key;
  std::string label;
};

struct VerifyPair {
  VerifySide a, b;
};

struct VerifyOptions {
  Aggregation aggregation = Aggregation::kMin;  // for label sides; kVotes does not apply
  int32_t top_n = 3;
  std::optional<double> threshold;
  std::optional<double> calibrated_far;
  // Not blank: a label side stands for its records that match it
  // (filter_expression.h).
  std::string filter;
};

struct VerifyResult {
  double distance = 0;
  bool same = false;
};

struct VerifyResponse {
  std::vector<VerifyResult> results;  // one per pair
  double threshold = 0;
};

// INVALID_ARGUMENT naming the field (a bad vector, two label sides, kVotes);
// NOT_FOUND for an unknown key or a label without records.
absl::StatusOr<VerifyResponse> Verify(const RecordSource& collection,
                                      const std::vector<VerifyPair>& pairs,
                                      const VerifyOptions& options);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_IDENTITY_VERIFY_H_
