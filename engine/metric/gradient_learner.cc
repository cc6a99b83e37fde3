#include "engine/metric/gradient_learner.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <random>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "engine/metric/iterative_learning.h"

namespace metricdb {
namespace {

using MatrixXf = Eigen::MatrixXf;
using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Loss of one batch and its coefficients a_ij: the gradient with respect to
// L is sum_ij a_ij L (x_i - x_j)(x_i - x_j)^T.
double BatchLoss(LearnMethod method, const std::vector<int32_t>& label, const MatrixXf& dist,
                 float margin, MatrixXf* a) {
  const int b = int(label.size());
  a->setZero(b, b);
  double loss = 0;
  if (method == LearnMethod::kTriplet) {
    int anchors = 0;
    for (int i = 0; i < b; ++i) {
      int pos = -1, neg = -1;
      for (int j = 0; j < b; ++j) {
        if (j == i) continue;
        if (label[j] == label[i]) {
          if (pos < 0 || dist(i, j) > dist(i, pos)) pos = j;
        } else if (neg < 0 || dist(i, j) < dist(i, neg)) {
          neg = j;
        }
      }
      if (pos < 0 || neg < 0) continue;
      ++anchors;
      const float violation = margin + dist(i, pos) - dist(i, neg);
      if (violation <= 0) continue;
      loss += violation;
      (*a)(i, pos) += 1 / dist(i, pos);
      (*a)(i, neg) -= 1 / dist(i, neg);
    }
    if (anchors == 0) return 0;
    *a /= float(anchors);
    return loss / anchors;
  }
  // Contrastive.
  double pos_loss = 0, neg_loss = 0;
  int positives = 0, hard_negatives = 0;
  MatrixXf pos = MatrixXf::Zero(b, b), neg = MatrixXf::Zero(b, b);
  for (int i = 0; i < b; ++i) {
    for (int j = i + 1; j < b; ++j) {
      const float d = dist(i, j);
      if (label[i] == label[j]) {
        ++positives;
        pos_loss += double(d) * d;
        pos(i, j) = 2;
      } else if (d < margin) {
        ++hard_negatives;
        neg_loss += double(margin - d) * (margin - d);
        neg(i, j) = -2 * (margin - d) / d;
      }
    }
  }
  if (positives > 0) {
    *a += pos / float(positives);
    loss += pos_loss / positives;
  }
  if (hard_negatives > 0) {
    *a += neg / float(hard_negatives);
    loss += neg_loss / hard_negatives;
  }
  return loss;
}

}  // namespace

absl::StatusOr<LinearMap> LearnByGradient(LearnMethod method, const LabelledData& train,
                                          const LearnOptions& o, const ProgressFn& progress) {
  const int dim = train.dim;
  const int64_t n = train.size();
  std::unordered_map<int32_t, std::vector<int64_t>> members;
  for (int64_t i = 0; i < n; ++i) members[train.label[i]].push_back(i);
  std::vector<int32_t> usable;  // identities with two or more records
  int64_t usable_records = 0;
  for (const auto& [label, rows] : members) {
    if (rows.size() >= 2) {
      usable.push_back(label);
      usable_records += int64_t(rows.size());
    }
  }
  std::sort(usable.begin(), usable.end());
  if (usable.size() < 2) {
    return absl::FailedPreconditionError(absl::StrCat(
        "training needs at least 2 identities with 2 or more records, found ", usable.size()));
  }

  // Centre and scale.
  Eigen::Map<const RowMatrixXf> x(train.x.data(), n, dim);
  const Eigen::RowVectorXf mean = x.colwise().mean();
  const double scale =
      std::sqrt(std::max(1e-30, double((x.rowwise() - mean).squaredNorm()) / double(n)));
  // Start: PCA directions (largest variance first).
  MatrixXf l = PrincipalDirections(x, mean, scale, o.d_out);

  const int p = std::min<int>(o.batch_identities, int(usable.size()));
  const int k = o.per_identity;
  const int b = p * k;
  const int64_t steps_per_epoch = std::max<int64_t>(1, (usable_records + b - 1) / b);
  const float lr = float(*o.learning_rate), margin = float(*o.margin);
  const float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  MatrixXf m1 = MatrixXf::Zero(o.d_out, dim), m2 = MatrixXf::Zero(o.d_out, dim);
  std::mt19937_64 rng(*o.seed);
  RowMatrixXf batch(b, dim);
  std::vector<int32_t> batch_label(b);
  MatrixXf a;
  std::vector<size_t> picked;
  int64_t step = 0;
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    double epoch_loss = 0;
    for (int64_t s = 0; s < steps_per_epoch; ++s) {
      // P distinct identities, K records each.
      for (int i = 0; i < p; ++i) {
        std::uniform_int_distribution<size_t> pick(i, usable.size() - 1);
        std::swap(usable[i], usable[pick(rng)]);
        const auto& rows = members[usable[i]];
        std::uniform_int_distribution<size_t> member(0, rows.size() - 1);
        picked.clear();
        for (int j = 0; j < k; ++j) {
          size_t at = member(rng);
          // Distinct records while the identity has enough of them.
          while (rows.size() >= size_t(k) &&
                 std::find(picked.begin(), picked.end(), at) != picked.end()) {
            at = member(rng);
          }
          picked.push_back(at);
          const int64_t row = rows[at];
          batch.row(i * k + j) = (x.row(row) - mean) / float(scale);
          batch_label[i * k + j] = usable[i];
        }
      }
      const RowMatrixXf z = batch * l.transpose();  // b x d_out
      const Eigen::VectorXf sq = z.rowwise().squaredNorm();
      MatrixXf dist = (-2 * (z * z.transpose())).colwise() + sq;
      dist.rowwise() += sq.transpose();
      dist = dist.cwiseMax(0).array().sqrt().max(1e-6f).matrix();
      const double loss = BatchLoss(method, batch_label, dist, margin, &a);
      if (!std::isfinite(loss)) {
        return absl::FailedPreconditionError(absl::StrCat("training diverged at epoch ", epoch,
                                                          " (loss ", loss,
                                                          "); lower options.learning_rate"));
      }
      epoch_loss += loss;
      // sum_ij a_ij (z_i - z_j)(x_i - x_j)^T = z^T (diag(r + c) - a - a^T) x.
      MatrixXf lap = -(a + a.transpose());
      lap.diagonal() += a.rowwise().sum() + a.colwise().sum().transpose();
      const MatrixXf grad = z.transpose() * (lap * batch);
      ++step;
      m1 = beta1 * m1 + (1 - beta1) * grad;
      m2 = beta2 * m2 + (1 - beta2) * grad.cwiseProduct(grad);
      const float c1 = 1 - std::pow(beta1, float(step)), c2 = 1 - std::pow(beta2, float(step));
      l.array() -= lr * (m1.array() / c1) / ((m2.array() / c2).sqrt() + eps);
    }
    const double mean_loss = epoch_loss / double(steps_per_epoch);
    if (auto s = ReportIteration(progress, epoch, o.epochs, mean_loss); !s.ok()) return s;
  }
  return MapOfRawVectors(l, scale);
}

}  // namespace metricdb
