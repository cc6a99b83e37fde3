// What LearnMetric is asked to do: the method and its options, with their
// defaults and ranges in one place.
#ifndef METRICDB_ENGINE_METRIC_LEARN_OPTIONS_H_
#define METRICDB_ENGINE_METRIC_LEARN_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/status.h"

namespace metricdb {

enum class LearnMethod {
  // M = inverse (shrunk) covariance of the records: classic Mahalanobis.
  kWhitening = 1,
  // Whiten the within-identity covariance; the d_out kept directions are the
  // most discriminative ones (largest between/within ratio, as in LDA).
  kWithinClass = 2,
  // KISSME: M = inv(Cov of same-identity differences) - inv(Cov of
  // different-identity differences), projected onto the PSD cone. The
  // covariances are exact over all pairs (computed from per-identity
  // scatter in O(n dim^2)), not estimated from sampled pairs.
  kKissme = 3,
  // A linear map trained by minibatch Adam on batches of P identities x K
  // records: batch-hard triplet loss, or contrastive loss (all positive
  // pairs, negatives closer than the margin).
  kTriplet = 4,
  kContrastive = 5,
  // LMNN: pull each record's target neighbours (nearest records of its
  // identity) closer and push records of other identities out of their
  // margin; full-batch gradient descent from the identity map
  // (lmnn_learner.h).
  kLmnn = 6,
};

std::string_view LearnMethodName(LearnMethod method);
// The method named `name` (as LearnMethodName spells it), if any.
std::optional<LearnMethod> LearnMethodFromName(std::string_view name);

// How the labelled records are split into training and evaluation data.
enum class HoldoutSplit {
  kByIdentity = 0,  // evaluation identities are never seen in training
  kByRecord = 1,    // a stratified fraction of each identity's records
};

// A 0 / unset field takes the default shown.
struct LearnOptions {
  int32_t d_out = 0;  // rows of L, 1..dim; default dim
  // Covariance shrinkage a in [0, 1]: S' = (1 - a) S + a (tr S / dim) I, so
  // inverses exist on singular data. Default 0.01.
  std::optional<double> regularization;
  // Labelled records sampled; default 100000 (LMNN: 10000, its impostor
  // search is quadratic), fewer if they would not fit kMaxSampleValues
  // (collection.h).
  int64_t max_records = 0;
  std::optional<double> holdout_fraction;  // [0, 0.9]; default 0.2
  HoldoutSplit split = HoldoutSplit::kByIdentity;
  std::optional<uint64_t> seed;  // default 1
  int64_t max_eval_records = 0;  // evaluation sample; default 2000
  // Iterative methods.
  int32_t epochs = 0;  // default 10 (LMNN: 25 full-batch iterations); max 10000
  // Adam step; default 0.01. LMNN: gradient-descent step, default 0.1.
  std::optional<double> learning_rate;
  std::optional<double> margin;  // default 0.2 triplet, 1.0 contrastive and LMNN
  int32_t batch_identities = 0;  // P; default 32
  int32_t per_identity = 0;      // K; default 4
  int32_t target_neighbors = 0;  // LMNN's k, 1..64; default 3
};

// The largest dim a metric is learned for: the learners hold dim x dim
// matrices.
inline constexpr int32_t kMaxLearnDim = 4096;

// Fills the defaults and checks the ranges for vectors of `dim`;
// INVALID_ARGUMENT naming the field ("options.d_out: must be in [1, 128],
// got 300"); FAILED_PRECONDITION when dim > kMaxLearnDim.
absl::Status ResolveLearnOptions(LearnMethod method, int32_t dim, LearnOptions* options);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_METRIC_LEARN_OPTIONS_H_
