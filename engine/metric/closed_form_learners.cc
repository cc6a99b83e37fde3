#include "engine/metric/closed_form_learners.h"

#include <Eigen/Dense>
#include <cmath>
#include <unordered_map>

#include "absl/strings/str_cat.h"

namespace metricdb {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;
using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Scatter matrices of labelled data (sums, not averages):
//   within           sum_c sum_{i in c} (x_i - mu_c)(x_i - mu_c)^T
//   between          sum_c n_c (mu_c - mu)(mu_c - mu)^T
//   total            within + between = sum_i (x_i - mu)(x_i - mu)^T
//   weighted_within  sum_c n_c sum_{i in c} (x_i - mu_c)(x_i - mu_c)^T
//                    = sum over same-identity pairs {i, j} of d d^T, d = x_i - x_j
struct Scatter {
  int64_t n = 0;
  int64_t identities = 0;
  double same_pairs = 0;  // sum_c n_c (n_c - 1) / 2
  MatrixXd within, between, total, weighted_within;
};

Scatter ComputeScatter(const LabelledData& data, bool weighted) {
  const int64_t n = data.size();
  const int dim = data.dim;
  Scatter s;
  s.n = n;
  std::unordered_map<int32_t, int32_t> slot;
  std::vector<int32_t> cls(n);
  for (int64_t i = 0; i < n; ++i) {
    cls[i] = slot.emplace(data.label[i], int32_t(slot.size())).first->second;
  }
  const int64_t c = int64_t(slot.size());
  s.identities = c;
  RowMatrixXd means = RowMatrixXd::Zero(c, dim);
  VectorXd counts = VectorXd::Zero(c);
  Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> x(
      data.x.data(), n, dim);
  for (int64_t i = 0; i < n; ++i) {
    means.row(cls[i]) += x.row(i).cast<double>();
    counts[cls[i]] += 1;
  }
  for (int64_t k = 0; k < c; ++k) {
    means.row(k) /= counts[k];
    s.same_pairs += counts[k] * (counts[k] - 1) / 2;
  }
  const Eigen::RowVectorXd mu = (counts.transpose() * means) / double(n);
  RowMatrixXd centred(n, dim);
  for (int64_t i = 0; i < n; ++i) centred.row(i) = x.row(i).cast<double>() - means.row(cls[i]);
  s.within = centred.transpose() * centred;
  RowMatrixXd spread(c, dim);
  for (int64_t k = 0; k < c; ++k) spread.row(k) = std::sqrt(counts[k]) * (means.row(k) - mu);
  s.between = spread.transpose() * spread;
  s.total = s.within + s.between;
  if (weighted) {
    for (int64_t i = 0; i < n; ++i) centred.row(i) *= std::sqrt(counts[cls[i]]);
    s.weighted_within = centred.transpose() * centred;
  }
  return s;
}

MatrixXd Shrink(const MatrixXd& cov, double a) {
  const int dim = int(cov.rows());
  MatrixXd out = (1 - a) * cov;
  out.diagonal().array() += a * cov.trace() / dim;
  return out;
}

// Eigen-decomposition of a symmetric positive definite matrix (eigenvalues
// ascending); FAILED_PRECONDITION naming `what` if it is singular.
absl::StatusOr<Eigen::SelfAdjointEigenSolver<MatrixXd>> PositiveDefinite(const MatrixXd& m,
                                                                         const char* what) {
  Eigen::SelfAdjointEigenSolver<MatrixXd> eig(m);
  if (eig.info() != Eigen::Success) {
    return absl::FailedPreconditionError(absl::StrCat("the ", what, " has no eigen-decomposition"));
  }
  const VectorXd& l = eig.eigenvalues();
  const double top = l[l.size() - 1];
  if (!(top > 0) || !(l[0] > 1e-12 * top)) {
    return absl::FailedPreconditionError(absl::StrCat("the ", what, " is singular (eigenvalues ",
                                                      l[0], " .. ", top,
                                                      "); use options.regularization > 0"));
  }
  return eig;
}

MatrixXd InverseOf(const Eigen::SelfAdjointEigenSolver<MatrixXd>& eig) {
  return eig.eigenvectors() * eig.eigenvalues().cwiseInverse().asDiagonal() *
         eig.eigenvectors().transpose();
}

LinearMap ToLinearMap(const MatrixXd& l) {
  LinearMap map;
  map.d_out = int32_t(l.rows());
  map.dim = int32_t(l.cols());
  map.rows.resize(l.size());
  for (int r = 0; r < l.rows(); ++r) {
    for (int j = 0; j < l.cols(); ++j) map.rows[size_t(r) * l.cols() + j] = float(l(r, j));
  }
  return map;
}

absl::Status NeedPairs(const Scatter& s) {
  if (s.identities < 2) {
    return absl::FailedPreconditionError(absl::StrCat("the training records carry ", s.identities,
                                                      " label(s); at least 2 are needed"));
  }
  if (s.same_pairs == 0) {
    return absl::FailedPreconditionError(
        "every training identity has a single record: there are no same-identity pairs");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LinearMap> LearnWhitening(const LabelledData& train, const LearnOptions& o) {
  if (train.size() < 2) {
    return absl::FailedPreconditionError("whitening needs at least 2 records");
  }
  const Scatter s = ComputeScatter(train, false);
  auto eig = PositiveDefinite(Shrink(s.total / double(s.n - 1), *o.regularization), "covariance");
  if (!eig.ok()) return eig.status();
  const int dim = train.dim;
  MatrixXd l(o.d_out, dim);
  for (int r = 0; r < o.d_out; ++r) {
    const int i = dim - 1 - r;  // largest variance first
    l.row(r) = eig->eigenvectors().col(i).transpose() / std::sqrt(eig->eigenvalues()[i]);
  }
  return ToLinearMap(l);
}

absl::StatusOr<LinearMap> LearnWithinClass(const LabelledData& train, const LearnOptions& o) {
  const Scatter s = ComputeScatter(train, false);
  if (auto st = NeedPairs(s); !st.ok()) return st;
  auto eig = PositiveDefinite(Shrink(s.within / double(s.n - s.identities), *o.regularization),
                              "within-identity covariance");
  if (!eig.ok()) return eig.status();
  const MatrixXd w =
      eig->eigenvalues().cwiseSqrt().cwiseInverse().asDiagonal() * eig->eigenvectors().transpose();
  const MatrixXd b = w * (s.between / double(s.n)) * w.transpose();
  Eigen::SelfAdjointEigenSolver<MatrixXd> between(b);
  if (between.info() != Eigen::Success) {
    return absl::FailedPreconditionError(
        "the between-identity covariance has no eigen-decomposition");
  }
  const int dim = train.dim;
  MatrixXd l(o.d_out, dim);
  for (int r = 0; r < o.d_out; ++r) {
    l.row(r) = between.eigenvectors().col(dim - 1 - r).transpose() * w;
  }
  return ToLinearMap(l);
}

absl::StatusOr<LinearMap> LearnKissme(const LabelledData& train, const LearnOptions& o) {
  const Scatter s = ComputeScatter(train, true);
  if (auto st = NeedPairs(s); !st.ok()) return st;
  const double n = double(s.n);
  const double diff_pairs = n * (n - 1) / 2 - s.same_pairs;
  auto same = PositiveDefinite(Shrink(s.weighted_within / s.same_pairs, *o.regularization),
                               "covariance of same-identity differences");
  if (!same.ok()) return same.status();
  auto diff =
      PositiveDefinite(Shrink((n * s.total - s.weighted_within) / diff_pairs, *o.regularization),
                       "covariance of different-identity differences");
  if (!diff.ok()) return diff.status();
  const MatrixXd m = InverseOf(*same) - InverseOf(*diff);
  Eigen::SelfAdjointEigenSolver<MatrixXd> eig(m);
  const int dim = train.dim;
  if (eig.info() != Eigen::Success || !(eig.eigenvalues()[dim - 1] > 0)) {
    return absl::FailedPreconditionError(
        "KISSME found no direction along which same-identity pairs are closer than "
        "different-identity pairs");
  }
  // PSD projection: negative eigenvalues become 0 (their rows are zero).
  MatrixXd l = MatrixXd::Zero(o.d_out, dim);
  for (int r = 0; r < o.d_out; ++r) {
    const double lambda = eig.eigenvalues()[dim - 1 - r];
    if (lambda > 0) l.row(r) = std::sqrt(lambda) * eig.eigenvectors().col(dim - 1 - r).transpose();
  }
  return ToLinearMap(l);
}

}  // namespace metricdb
