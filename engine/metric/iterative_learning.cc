#include "engine/metric/iterative_learning.h"

#include <algorithm>

namespace metricdb {

Eigen::MatrixXf PrincipalDirections(
    const Eigen::Ref<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>&
        raw,
    const Eigen::RowVectorXf& mean, double scale, int d_out) {
  constexpr Eigen::Index kSampleRows = 20000;  // plenty for a dim x dim covariance
  const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> centred =
      (raw.topRows(std::min(raw.rows(), kSampleRows)).rowwise() - mean) / float(scale);
  const int dim = int(centred.cols());
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(
      (centred.transpose() * centred).cast<double>());
  Eigen::MatrixXf l(d_out, dim);
  for (int r = 0; r < d_out; ++r) {
    l.row(r) = eig.eigenvectors().col(dim - 1 - r).transpose().cast<float>();
  }
  return l;
}

absl::Status ReportIteration(const ProgressFn& progress, int64_t iteration, int64_t iterations,
                             double loss) {
  LearnProgress report;
  report.phase = "training";
  report.iteration = iteration;
  report.iterations = iterations;
  report.loss = loss;
  if (progress && !progress(report)) return absl::CancelledError("metric learning cancelled");
  return absl::OkStatus();
}

LinearMap MapOfRawVectors(const Eigen::MatrixXf& l, double scale) {
  LinearMap map;
  map.d_out = int32_t(l.rows());
  map.dim = int32_t(l.cols());
  map.rows.resize(size_t(map.d_out) * map.dim);
  for (int r = 0; r < map.d_out; ++r) {
    for (int j = 0; j < map.dim; ++j) {
      map.rows[size_t(r) * map.dim + j] = float(l(r, j) / scale);
    }
  }
  return map;
}

}  // namespace metricdb
