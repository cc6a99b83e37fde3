// Closed-form metric learners: whitening, within-class whitening (LDA) and
// KISSME. Each returns L (options.d_out x dim) learned from `train`, whose
// options went through ResolveLearnOptions. FAILED_PRECONDITION when the data
// cannot support the method (a singular covariance with regularization 0, no
// positive direction left by KISSME).
#ifndef METRICDB_ENGINE_METRIC_CLOSED_FORM_LEARNERS_H_
#define METRICDB_ENGINE_METRIC_CLOSED_FORM_LEARNERS_H_

#include "absl/status/statusor.h"
#include "engine/base/linear_map.h"
#include "engine/metric/labelled_data.h"
#include "engine/metric/learn_options.h"

namespace metricdb {

// Rows: the d_out principal directions of the shrunk covariance S, each
// scaled by 1/sqrt(variance); with d_out = dim, L^T L = inverse(S).
absl::StatusOr<LinearMap> LearnWhitening(const LabelledData& train, const LearnOptions& options);

// L = V^T W: W whitens the shrunk within-identity covariance, V holds the
// eigenvectors of the whitened between-identity covariance, largest first.
absl::StatusOr<LinearMap> LearnWithinClass(const LabelledData& train, const LearnOptions& options);

absl::StatusOr<LinearMap> LearnKissme(const LabelledData& train, const LearnOptions& options);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_METRIC_CLOSED_FORM_LEARNERS_H_
