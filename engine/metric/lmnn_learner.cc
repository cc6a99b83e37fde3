#include "engine/metric/lmnn_learner.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <unordered_map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/metric/iterative_learning.h"

namespace metricdb {
namespace {

using MatrixXf = Eigen::MatrixXf;
using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

constexpr float kPushWeight = 0.5f;  // mu
constexpr int kRefreshEvery = 10;    // iterations between impostor searches
constexpr int kMaxImpostors = 128;   // candidates kept per record

// Rows per block of a distance computation: blocks of at most 16 M floats.
Eigen::Index BlockRows(Eigen::Index n) {
  return std::max<Eigen::Index>(1, std::min<Eigen::Index>(n, (Eigen::Index{1} << 24) / n));
}

// Calls fn(begin, d) for consecutive blocks of rows of z, d(r, l) holding
// ||z_l||^2 - 2 z_r . z_l: the squared distance from row begin + r to row l
// less ||z_r||^2, which orders each row as the squared distances do.
template <typename Fn>
void ForEachDistanceBlock(const RowMatrixXf& z, Fn fn) {
  const Eigen::Index n = z.rows();
  const Eigen::VectorXf sq = z.rowwise().squaredNorm();
  const Eigen::Index block = BlockRows(n);
  RowMatrixXf d;
  for (Eigen::Index begin = 0; begin < n; begin += block) {
    const Eigen::Index rows = std::min(block, n - begin);
    d.resize(rows, n);
    d.noalias() = -2 * (z.middleRows(begin, rows) * z.transpose());
    d.rowwise() += sq.transpose();
    fn(begin, static_cast<const RowMatrixXf&>(d));
  }
}

// target[i * k + t]: the t-th nearest record of i's identity (Euclidean on
// x), -1 past the identity's other records.
std::vector<int64_t> TargetNeighbours(const RowMatrixXf& x, const std::vector<int32_t>& label,
                                      int k) {
  const int64_t n = x.rows();
  std::vector<int64_t> target(size_t(n) * k, -1);
  std::unordered_map<int32_t, std::vector<int64_t>> members;
  for (int64_t i = 0; i < n; ++i) members[label[i]].push_back(i);
  std::vector<int64_t> order;
  for (const auto& identity : members) {
    const std::vector<int64_t>& rows = identity.second;  // (lambdas cannot capture bindings)
    const Eigen::Index s = Eigen::Index(rows.size());
    if (s < 2) continue;
    RowMatrixXf own(s, x.cols());
    for (Eigen::Index r = 0; r < s; ++r) own.row(r) = x.row(rows[r]);
    const int kk = int(std::min<Eigen::Index>(k, s - 1));
    ForEachDistanceBlock(own, [&](Eigen::Index begin, const RowMatrixXf& d) {
      for (Eigen::Index r = 0; r < d.rows(); ++r) {
        order.resize(s);
        std::iota(order.begin(), order.end(), 0);
        order.erase(order.begin() + (begin + r));  // not itself
        std::partial_sort(order.begin(), order.begin() + kk, order.end(),
                          [&](int64_t a, int64_t c) { return d(r, a) < d(r, c); });
        for (int t = 0; t < kk; ++t) target[size_t(rows[begin + r]) * k + t] = rows[order[t]];
      }
    });
  }
  return target;
}

struct PairWeight {
  int64_t a, b;
  float w;
};

// Impostor candidates of every record with a target, in CSR form: the up to
// kMaxImpostors nearest records of other identities closer (in z) than its
// farthest target plus the margin.
struct Impostors {
  std::vector<int64_t> begin;  // n + 1 offsets into `row`
  std::vector<int64_t> row;
};

void FindImpostors(const RowMatrixXf& z, const std::vector<int32_t>& label,
                   const std::vector<int64_t>& target, int k, float margin,
                   Impostors* impostors) {
  Impostors& out = *impostors;
  out.begin.assign(size_t(z.rows()) + 1, 0);
  out.row.clear();
  std::vector<std::pair<float, int64_t>> found;
  std::vector<int64_t> hit(size_t(z.rows()));
  ForEachDistanceBlock(z, [&](Eigen::Index begin, const RowMatrixXf& d) {
    for (Eigen::Index r = 0; r < d.rows(); ++r) {
      const int64_t i = begin + r;
      out.begin[i + 1] = out.begin[i];
      if (target[size_t(i) * k] < 0) continue;
      // In d's terms (less ||z_i||^2, as the limit is).
      float reach = -std::numeric_limits<float>::infinity();
      for (int t = 0; t < k && target[size_t(i) * k + t] >= 0; ++t) {
        reach = std::max(reach, d(r, target[size_t(i) * k + t]));
      }
      const float limit = reach + margin;
      // Branch-free: many entries of i's own identity are within the limit,
      // so a branch on each would often be mispredicted.
      const float* row = &d(r, 0);
      const int32_t own = label[i];
      size_t hits = 0;
      for (Eigen::Index l = 0; l < d.cols(); ++l) {
        hit[hits] = l;
        hits += size_t((row[l] < limit) & (label[l] != own));
      }
      found.clear();
      for (size_t h = 0; h < hits; ++h) found.emplace_back(row[hit[h]], hit[h]);
      if (found.size() > size_t(kMaxImpostors)) {
        std::nth_element(found.begin(), found.begin() + kMaxImpostors, found.end());
        found.resize(kMaxImpostors);
      }
      for (const auto& f : found) out.row.push_back(f.second);
      out.begin[i + 1] = int64_t(out.row.size());
    }
  });
}

}  // namespace

absl::StatusOr<LinearMap> LearnLmnn(const LabelledData& train, const LearnOptions& o,
                                    const ProgressFn& progress) {
  const int dim = train.dim;
  const int64_t n = train.size();
  const int k = o.target_neighbors;
  const float margin = float(*o.margin), lr = float(*o.learning_rate);

  Eigen::Map<const RowMatrixXf> raw(train.x.data(), n, dim);
  RowMatrixXf x = raw.rowwise() - raw.colwise().mean();
  const std::vector<int64_t> target = TargetNeighbours(x, train.label, k);

  // Scale: mean squared distance to a target neighbour 1.
  double target_sq = 0;
  int64_t pairs = 0, anchors = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (target[size_t(i) * k] >= 0) ++anchors;
    for (int t = 0; t < k && target[size_t(i) * k + t] >= 0; ++t) {
      target_sq += double((x.row(i) - x.row(target[size_t(i) * k + t])).squaredNorm());
      ++pairs;
    }
  }
  if (anchors == 0) {
    return absl::FailedPreconditionError(
        "LMNN needs an identity with two or more records in the training part");
  }
  double scale = std::sqrt(target_sq / double(pairs));
  if (!(scale > 1e-20)) scale = std::sqrt(double(x.squaredNorm()) / double(n));
  if (!(scale > 1e-20)) {
    return absl::FailedPreconditionError("LMNN: every training record is the same vector");
  }
  x /= float(scale);

  MatrixXf l = o.d_out == dim
                   ? MatrixXf(MatrixXf::Identity(dim, dim))
                   : PrincipalDirections(x.topRows(std::min<int64_t>(n, 20000)), o.d_out);

  Impostors impostors;
  std::vector<PairWeight> weights;
  Eigen::VectorXf degree(n);
  std::vector<float> target_d(k);
  std::vector<int> active(k);  // impostors active against each target
  RowMatrixXf z(n, o.d_out), lap_x(n, dim);
  Eigen::VectorXf sq(n);
  for (int it = 0; it < o.epochs; ++it) {
    z.noalias() = x * l.transpose();
    sq = z.rowwise().squaredNorm();
    if (it % kRefreshEvery == 0) FindImpostors(z, train.label, target, k, margin, &impostors);
    // Squared distance between rows a and b of z.
    auto distance = [&](int64_t a, int64_t b) {
      return sq[a] + sq[b] - 2 * z.row(a).dot(z.row(b));
    };
    // Loss and the pair weights w_ab of its gradient,
    // sum_ab w_ab L (x_a - x_b)(x_a - x_b)^T.
    weights.clear();
    degree.setZero();
    auto add = [&](int64_t a, int64_t b, float w) {
      weights.push_back({a, b, w});
      degree[a] += w;
      degree[b] += w;
    };
    double loss = 0;
    for (int64_t i = 0; i < n; ++i) {
      int targets = 0;
      for (; targets < k && target[size_t(i) * k + targets] >= 0; ++targets) {
        target_d[targets] = distance(i, target[size_t(i) * k + targets]);
        loss += (1 - kPushWeight) * target_d[targets];
        active[targets] = 0;
      }
      // Each active triplet (i, j, m) adds C_ij - C_im to the push term.
      for (int64_t c = impostors.begin[i]; c < impostors.begin[i + 1]; ++c) {
        const int64_t m = impostors.row[c];
        const float d_im = distance(i, m);
        int pushes = 0;
        for (int t = 0; t < targets; ++t) {
          const float hinge = margin + target_d[t] - d_im;
          if (hinge <= 0) continue;
          loss += kPushWeight * hinge;
          ++active[t];
          ++pushes;
        }
        if (pushes > 0) add(i, m, -kPushWeight * float(pushes));
      }
      for (int t = 0; t < targets; ++t) {
        add(i, target[size_t(i) * k + t], 1 - kPushWeight + kPushWeight * float(active[t]));
      }
    }
    loss /= double(anchors);
    if (!std::isfinite(loss)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "LMNN diverged at iteration ", it + 1, " (loss ", loss,
          "); lower options.learning_rate"));
    }
    // sum_ab w_ab (x_a - x_b)(x_a - x_b)^T = x^T (diag(degree) - w - w^T) x.
    lap_x = degree.asDiagonal() * x;
    for (const PairWeight& p : weights) {
      lap_x.row(p.a) -= p.w * x.row(p.b);
      lap_x.row(p.b) -= p.w * x.row(p.a);
    }
    l.noalias() -= (2 * lr / float(anchors)) * (z.transpose() * lap_x);
    if (!l.allFinite()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "LMNN diverged at iteration ", it + 1, "; lower options.learning_rate"));
    }
    if (auto s = ReportIteration(progress, it + 1, o.epochs, loss); !s.ok()) return s;
  }
  return MapOfRawVectors(l, scale);
}

}  // namespace metricdb
