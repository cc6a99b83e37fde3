// LMNN, large margin nearest neighbour (Weinberger & Saul, JMLR 2009): the
// metric learner made for nearest-neighbour retrieval. Each record's
// `options.target_neighbors` nearest records of its own identity (found
// once, under Euclidean distance) are pulled closer, and every record of
// another identity that comes within a margin of a target neighbour (an
// impostor) is pushed out:
//   loss = (1 - mu) sum_ij d_ij^2 + mu sum_ijl max(0, margin + d_ij^2 - d_il^2)
// over records i, their targets j and impostors l, averaged over the records
// that have a target (mu = 0.5). L starts at the identity (the PCA
// projection when d_out < dim), so LMNN refines Euclidean retrieval rather
// than replacing it, and is trained by full-batch gradient descent with a
// fixed step (options.learning_rate) for options.epochs iterations, the
// step along each input feature divided by the pull's curvature along it (a
// diagonal preconditioner, so features on very different scales converge
// together; features of one scale take the plain step).
// Vectors are centred and scaled so that the mean squared distance to a
// target neighbour is 1: margins and steps do not depend on the data's scale.
// Impostor candidates are the up to 128 nearest records of other identities
// within the margin, recomputed every 10 iterations (exact in between:
// O(n^2 d_out / 2) per refresh, each pair once, in blocks; O(n (k + 128)
// d_out) per iteration).
#ifndef METRICDB_ENGINE_METRIC_LMNN_LEARNER_H_
#define METRICDB_ENGINE_METRIC_LMNN_LEARNER_H_

#include "absl/status/statusor.h"
#include "engine/base/linear_map.h"
#include "engine/base/progress.h"
#include "engine/metric/labelled_data.h"
#include "engine/metric/learn_options.h"

namespace metricdb {

// `options` went through ResolveLearnOptions. Reports each iteration through
// `progress` (phase "training", the mean loss). FAILED_PRECONDITION without
// an identity of two records and a second identity, or if the loss
// diverges; CANCELLED if `progress` returns false.
absl::StatusOr<LinearMap> LearnLmnn(const LabelledData& train, const LearnOptions& options,
                                    const ProgressFn& progress);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_METRIC_LMNN_LEARNER_H_
