// What the iterative learners (gradient_learner, lmnn_learner) share: their
// start, their progress report, and the map they return. Both train L on
// centred vectors divided by a scale.
#ifndef METRICDB_ENGINE_METRIC_ITERATIVE_LEARNING_H_
#define METRICDB_ENGINE_METRIC_ITERATIVE_LEARNING_H_

#include <Eigen/Dense>
#include <cstdint>

#include "absl/status/status.h"
#include "engine/base/linear_map.h"
#include "engine/base/progress.h"

namespace metricdb {

// Rows: the d_out principal directions of the vectors (raw - mean) / scale,
// largest variance first (unit length), from at most the first 20000 rows of
// `raw`. d_out = dim gives an orthonormal basis, which keeps Euclidean
// distances.
Eigen::MatrixXf PrincipalDirections(
    const Eigen::Ref<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>&
        raw,
    const Eigen::RowVectorXf& mean, double scale, int d_out);

// Reports iteration `iteration` of `iterations` (phase "training") with its
// mean loss; CANCELLED if `progress` returns false.
absl::Status ReportIteration(const ProgressFn& progress, int64_t iteration, int64_t iterations,
                             double loss);

// The map of raw vectors equal to `l` applied to vectors divided by `scale`:
// rows l / scale (centring does not change distances).
LinearMap MapOfRawVectors(const Eigen::MatrixXf& l, double scale);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_METRIC_ITERATIVE_LEARNING_H_
