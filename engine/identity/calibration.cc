#include "engine/identity/calibration.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "engine/base/bytes.h"

namespace metricdb {
namespace {

constexpr uint8_t kFormat = 1;
constexpr char kEntry[] = "calibration";

}  // namespace

std::string EncodeCalibration(const Calibration& c) {
  std::string out;
  PutPod<uint8_t>(&out, kFormat);
  PutPod(&out, c.metric_version);
  PutPod(&out, c.created_unix_ms);
  PutArray(&out, c.points);
  for (double v : {c.roc_auc, c.eer, c.eer_threshold}) PutPod(&out, v);
  for (int64_t v :
       {c.genuine_pairs, c.impostor_pairs, c.holdout_genuine_pairs, c.holdout_impostor_pairs}) {
    PutPod(&out, v);
  }
  PutArray(&out, c.curve);
  return out;
}

absl::StatusOr<Calibration> DecodeCalibration(std::string_view bytes) {
  ByteReader r(bytes);
  Calibration c;
  uint8_t format = 0;
  if (!r.U8(&format) || format != kFormat || !r.Pod(&c.metric_version) ||
      !r.Pod(&c.created_unix_ms) || !r.Array(&c.points) || !r.Pod(&c.roc_auc) || !r.Pod(&c.eer) ||
      !r.Pod(&c.eer_threshold) || !r.Pod(&c.genuine_pairs) || !r.Pod(&c.impostor_pairs) ||
      !r.Pod(&c.holdout_genuine_pairs) || !r.Pod(&c.holdout_impostor_pairs) || !r.Array(&c.curve) ||
      !r.done()) {
    return absl::DataLossError("corrupt stored calibration");
  }
  return c;
}

absl::StatusOr<std::optional<Calibration>> LoadCalibration(const RecordSource& collection) {
  auto bytes = collection.GetEntry(kEntry);
  if (!bytes.ok()) return bytes.status();
  if (!*bytes) return std::optional<Calibration>();
  auto c = DecodeCalibration(**bytes);
  if (!c.ok()) return c.status();
  return std::optional<Calibration>(std::move(*c));
}

absl::Status StoreCalibration(RecordSource& collection, const Calibration& calibration) {
  return collection.PutEntry(kEntry, EncodeCalibration(calibration));
}

absl::StatusOr<std::optional<double>> ResolveThreshold(const RecordSource& collection,
                                                       std::optional<double> explicit_threshold,
                                                       std::optional<double> calibrated_far,
                                                       bool required) {
  if (explicit_threshold) {
    if (!std::isfinite(*explicit_threshold)) {
      return absl::InvalidArgumentError(
          absl::StrCat("threshold: must be a finite number, got ", *explicit_threshold));
    }
    return explicit_threshold;
  }
  if (!calibrated_far && !required) return std::optional<double>();
  auto stored = LoadCalibration(collection);
  if (!stored.ok()) return stored.status();
  const int32_t version = collection.schema().metric_version;
  if (!*stored || (*stored)->points.empty()) {
    return absl::FailedPreconditionError(
        "no threshold: pass one, or calibrate the collection first (the Calibrate RPC, "
        "`metricdb calibrate COLLECTION`) and pass a calibrated far");
  }
  if (!calibrated_far) calibrated_far = (*stored)->points.front().target_far;
  if ((*stored)->metric_version != version) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the calibration is stale: it was made under metric version ", (*stored)->metric_version,
        ", version ", version, " is in force; run Calibrate again"));
  }
  std::string known;
  for (const CalibrationPoint& p : (*stored)->points) {
    if (std::abs(p.target_far - *calibrated_far) <= 1e-12 * std::max(1.0, p.target_far)) {
      return std::optional<double>(p.threshold);
    }
    absl::StrAppend(&known, known.empty() ? "" : ", ", p.target_far);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("far: ", *calibrated_far, " was not calibrated (calibrated: ", known, ")"));
}

}  // namespace metricdb
