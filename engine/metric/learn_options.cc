#include "engine/metric/learn_options.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "engine/base/search_types.h"

namespace metricdb {
namespace {

template <typename T>
absl::Status InRange(const char* field, T value, T lo, T hi) {
  if (std::isnan(double(value)) || value < lo || value > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat("options.", field, ": must be in [", lo, ", ", hi, "], got ", value));
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view LearnMethodName(LearnMethod method) {
  switch (method) {
    case LearnMethod::kWhitening:
      return "whitening";
    case LearnMethod::kWithinClass:
      return "within_class";
    case LearnMethod::kKissme:
      return "kissme";
    case LearnMethod::kTriplet:
      return "triplet";
    case LearnMethod::kContrastive:
      return "contrastive";
    case LearnMethod::kLmnn:
      return "lmnn";
  }
  return "unknown";
}

std::optional<LearnMethod> LearnMethodFromName(std::string_view name) {
  for (LearnMethod m : {LearnMethod::kWhitening, LearnMethod::kWithinClass, LearnMethod::kKissme,
                        LearnMethod::kTriplet, LearnMethod::kContrastive, LearnMethod::kLmnn}) {
    if (LearnMethodName(m) == name) return m;
  }
  return std::nullopt;
}

absl::Status ResolveLearnOptions(LearnMethod method, int32_t dim, LearnOptions* o) {
  if (dim > kMaxLearnDim) {
    return absl::FailedPreconditionError(
        absl::StrCat("learning a metric supports dim <= ", kMaxLearnDim,
                     " (the learners hold dim x dim "
                     "matrices); this collection has dim ",
                     dim));
  }
  if (o->d_out == 0) o->d_out = dim;
  if (!o->regularization) o->regularization = 0.01;
  const bool lmnn = method == LearnMethod::kLmnn;
  auto records =
      ResolveSampleSize(o->max_records, lmnn ? 10000 : 100000, dim, "options.max_records");
  if (!records.ok()) return records.status();
  o->max_records = *records;
  if (!o->holdout_fraction) o->holdout_fraction = 0.2;
  if (!o->seed) o->seed = 1;
  if (o->max_eval_records == 0) o->max_eval_records = 2000;
  if (o->epochs == 0) o->epochs = lmnn ? 25 : 10;
  if (!o->learning_rate) o->learning_rate = lmnn ? 0.1 : 0.01;
  if (!o->margin) o->margin = method == LearnMethod::kContrastive || lmnn ? 1.0 : 0.2;
  if (o->batch_identities == 0) o->batch_identities = 32;
  if (o->per_identity == 0) o->per_identity = 4;
  if (o->target_neighbors == 0) o->target_neighbors = 3;
  absl::Status s;
  for (absl::Status check : {
           InRange("d_out", o->d_out, 1, dim),
           InRange("regularization", *o->regularization, 0.0, 1.0),
           InRange<int64_t>("max_records", o->max_records, 4, int64_t{1} << 31),
           InRange("holdout_fraction", *o->holdout_fraction, 0.0, 0.9),
           InRange<int64_t>("max_eval_records", o->max_eval_records, 10, 20000),
           InRange("epochs", o->epochs, 1, 10000),
           InRange("learning_rate", *o->learning_rate, 1e-9, 10.0),
           InRange("margin", *o->margin, 1e-6, 1e6),
           InRange("batch_identities", o->batch_identities, 2, 4096),
           InRange("per_identity", o->per_identity, 2, 1024),
           InRange("target_neighbors", o->target_neighbors, 1, 64),
       }) {
    if (!check.ok()) return check;
  }
  return absl::OkStatus();
}

}  // namespace metricdb
