// Iterative metric learner: a linear map trained by minibatch Adam with the
// losses of the deep-metric-learning literature.
//
// Batches hold P identities x K records (options.batch_identities x
// options.per_identity; an identity with fewer than K records is sampled
// with replacement). Losses on distances d = ||L (x_i - x_j)||:
//   kTriplet      batch-hard triplet loss: for each anchor, its farthest
//                 positive and closest negative in the batch,
//                 max(0, margin + d_ap - d_an), averaged over anchors;
//   kContrastive  mean d^2 over positive pairs + mean max(0, margin - d)^2
//                 over the negative pairs closer than the margin (hard-negative
//                 mining: easy negatives do not dilute the gradient).
// Vectors are centred and scaled to unit mean squared norm first, so margins
// and learning rates do not depend on the data's scale; L starts as the PCA
// projection onto d_out directions (Euclidean when d_out = dim).
#ifndef METRICDB_ENGINE_METRIC_GRADIENT_LEARNER_H_
#define METRICDB_ENGINE_METRIC_GRADIENT_LEARNER_H_

#include "absl/status/statusor.h"
#include "engine/base/linear_map.h"
#include "engine/base/progress.h"
#include "engine/metric/labelled_data.h"
#include "engine/metric/learn_options.h"

namespace metricdb {

// `method` is kTriplet or kContrastive; `options` went through
// ResolveLearnOptions. Reports each epoch through `progress` (phase
// "training"; elapsed_seconds is left for the caller to fill).
// FAILED_PRECONDITION without two identities of two records, or if the loss
// diverges; CANCELLED if `progress` returns false.
absl::StatusOr<LinearMap> LearnByGradient(LearnMethod method, const LabelledData& train,
                                          const LearnOptions& options, const ProgressFn& progress);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_METRIC_GRADIENT_LEARNER_H_
