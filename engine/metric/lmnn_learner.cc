#include "engine/metric/lmnn_learner.h"

#include <immintrin.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/index/distance_kernels.h"
#include "engine/metric/iterative_learning.h"

namespace metricdb {
namespace {

using MatrixXf = Eigen::MatrixXf;
using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowsRef = Eigen::Ref<const RowMatrixXf>;

constexpr float kPushWeight = 0.5f;   // mu
constexpr int kRefreshEvery = 10;     // iterations between impostor searches
constexpr int kMaxImpostors = 128;    // candidates kept per record
constexpr int64_t kPairBlock = 1024;  // rows per side of a block of the impostor search
// The preconditioner's floor, as a fraction of the features' mean curvature.
constexpr float kCurvatureFloor = 0.1f;

// Records in identity order: rows [begin[g], begin[g + 1]) are identity g's,
// row r is training record order[r].
struct Identities {
  std::vector<int64_t> order;
  std::vector<int64_t> begin;  // identities + 1 offsets
  std::vector<int64_t> of;     // the identity of each row
};

Identities GroupByIdentity(const std::vector<int32_t>& label) {
  Identities g;
  const int64_t n = int64_t(label.size());
  g.order.resize(size_t(n));
  std::iota(g.order.begin(), g.order.end(), 0);
  std::stable_sort(g.order.begin(), g.order.end(),
                   [&](int64_t a, int64_t b) { return label[a] < label[b]; });
  g.of.resize(size_t(n));
  for (int64_t r = 0; r < n; ++r) {
    if (r == 0 || label[g.order[r]] != label[g.order[r - 1]]) g.begin.push_back(r);
    g.of[r] = int64_t(g.begin.size()) - 1;
  }
  g.begin.push_back(n);
  return g;
}

// Rows per block of a distance computation: blocks of at most 256 K floats,
// which stay in cache while they are scanned.
Eigen::Index BlockRows(Eigen::Index n) {
  return std::max<Eigen::Index>(1, std::min<Eigen::Index>(n, (Eigen::Index{1} << 18) / n));
}

// Calls fn(begin, d) for consecutive blocks of rows of z, d(r, l) holding
// ||z_l||^2 - 2 z_r . z_l: the squared distance from row begin + r to row l
// less ||z_r||^2, which orders each row as the squared distances do.
template <typename Fn>
void ForEachDistanceBlock(const RowsRef& z, Fn fn) {
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

// target[i * k + t]: the t-th nearest row of i's identity (Euclidean on x),
// -1 past the identity's other rows.
std::vector<int64_t> TargetNeighbours(const RowMatrixXf& x, const Identities& ids, int k) {
  std::vector<int64_t> target(size_t(x.rows()) * k, -1);
  std::vector<int64_t> order;
  for (size_t g = 0; g + 1 < ids.begin.size(); ++g) {
    const int64_t first = ids.begin[g], s = ids.begin[g + 1] - first;
    if (s < 2) continue;
    const int kk = int(std::min<int64_t>(k, s - 1));
    ForEachDistanceBlock(x.middleRows(first, s), [&](Eigen::Index begin, const RowMatrixXf& d) {
      for (Eigen::Index r = 0; r < d.rows(); ++r) {
        order.resize(size_t(s));
        std::iota(order.begin(), order.end(), 0);
        order.erase(order.begin() + (begin + r));  // not itself
        std::partial_sort(order.begin(), order.begin() + kk, order.end(),
                          [&](int64_t a, int64_t c) { return d(r, a) < d(r, c); });
        for (int t = 0; t < kk; ++t) target[size_t(first + begin + r) * k + t] = first + order[t];
      }
    });
  }
  return target;
}

// Impostor candidates of every row with a target, in CSR form: the up to
// kMaxImpostors nearest rows of other identities closer (in z) than its
// farthest target plus the margin.
struct Impostors {
  std::vector<int64_t> begin;  // n + 1 offsets into `row`
  std::vector<int64_t> row;
};

// Per row, (squared distance less the row's own squared norm, other row).
using Found = std::vector<std::vector<std::pair<float, int64_t>>>;

// Tests the pairs (a, col0 + j), j in [from, to), of one row of
// e = -2 z_a . z_b for both of their ends: b is a's candidate if
// e + sq_b < limit_a, a is b's if e + sq_a < limit_b (limits less the row's
// own squared norm). Candidates are rare, so 8 pairs at a time are tested
// together (SSE2, which every x86-64 CPU has) and only a chunk with one is
// looked at again.
void ScanPairs(const float* e, int64_t a, int64_t col0, int64_t from, int64_t to,
               const std::vector<float>& sq, const std::vector<float>& limit, Found* found) {
  auto test = [&](int64_t j) {
    const int64_t b = col0 + j;
    if (e[j] + sq[b] < limit[a]) (*found)[a].emplace_back(e[j] + sq[b], b);
    if (e[j] + sq[a] < limit[b]) (*found)[b].emplace_back(e[j] + sq[a], a);
  };
  const __m128 sq_a = _mm_set1_ps(sq[a]), limit_a = _mm_set1_ps(limit[a]);
  auto hits4 = [&](int64_t j) {
    const __m128 v = _mm_loadu_ps(e + j);
    return _mm_or_ps(_mm_cmplt_ps(_mm_add_ps(v, _mm_loadu_ps(&sq[col0 + j])), limit_a),
                     _mm_cmplt_ps(_mm_add_ps(v, sq_a), _mm_loadu_ps(&limit[col0 + j])));
  };
  int64_t j = from;
  for (; j + 8 <= to; j += 8) {
    if (_mm_movemask_ps(_mm_or_ps(hits4(j), hits4(j + 4))) == 0) continue;
    for (int64_t t = j; t < j + 8; ++t) test(t);
  }
  for (; j < to; ++j) test(j);
}

void FindImpostors(const RowMatrixXf& z, const Identities& ids, const std::vector<int64_t>& target,
                   int k, float margin, Impostors* impostors) {
  const int64_t n = z.rows();
  const size_t d_out = size_t(z.cols());
  const auto l2sqr = Kernels().l2sqr;
  std::vector<float> sq(n), limit(n, -std::numeric_limits<float>::infinity());
  for (int64_t i = 0; i < n; ++i) {
    sq[i] = z.row(i).squaredNorm();
    float reach = -std::numeric_limits<float>::infinity();  // no target: no candidate
    for (int t = 0; t < k && target[size_t(i) * k + t] >= 0; ++t) {
      reach = std::max(reach, l2sqr(&z(i, 0), &z(target[size_t(i) * k + t], 0), d_out));
    }
    limit[i] = reach - sq[i] + margin;
  }
  // Each pair once: blocks of rows [a0, a0 + na) x [b0, b0 + nb), b0 >= a0,
  // and in them only b > a outside a's identity (rows are in identity
  // order, so those are the b past the end of a's identity).
  Found found{size_t(n)};
  RowMatrixXf e;
  for (int64_t a0 = 0; a0 < n; a0 += kPairBlock) {
    const int64_t na = std::min(kPairBlock, n - a0);
    for (int64_t b0 = a0; b0 < n; b0 += kPairBlock) {
      const int64_t nb = std::min(kPairBlock, n - b0);
      e.resize(na, nb);
      e.noalias() = -2 * (z.middleRows(a0, na) * z.middleRows(b0, nb).transpose());
      for (int64_t r = 0; r < na; ++r) {
        const int64_t a = a0 + r;
        const int64_t from = ids.begin[ids.of[a] + 1] - b0;  // a's identity ends there
        ScanPairs(&e(r, 0), a, b0, std::max<int64_t>(from, 0), nb, sq, limit, &found);
      }
    }
  }
  Impostors& out = *impostors;
  out.begin.assign(size_t(n) + 1, 0);
  out.row.clear();
  for (int64_t i = 0; i < n; ++i) {
    auto& f = found[i];
    if (f.size() > size_t(kMaxImpostors)) {
      std::nth_element(f.begin(), f.begin() + kMaxImpostors, f.end());
      f.resize(kMaxImpostors);
    }
    for (const auto& c : f) out.row.push_back(c.second);
    out.begin[i + 1] = int64_t(out.row.size());
  }
}

}  // namespace

absl::StatusOr<LinearMap> LearnLmnn(const LabelledData& train, const LearnOptions& o,
                                    const ProgressFn& progress) {
  const int dim = train.dim;
  const int64_t n = train.size();
  const int k = o.target_neighbors;
  const float margin = float(*o.margin), lr = float(*o.learning_rate);

  const Identities ids = GroupByIdentity(train.label);
  Eigen::Map<const RowMatrixXf> raw(train.x.data(), n, dim);
  const Eigen::RowVectorXf mean = raw.colwise().mean();
  RowMatrixXf x(n, dim);
  for (int64_t r = 0; r < n; ++r) x.row(r) = raw.row(ids.order[r]) - mean;
  const std::vector<int64_t> target = TargetNeighbours(x, ids, k);

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

  // The PCA start from the records in their stored order (x is in identity
  // order, and PrincipalDirections takes the first rows).
  MatrixXf l = o.d_out == dim ? MatrixXf(MatrixXf::Identity(dim, dim))
                              : PrincipalDirections(raw, mean, scale, o.d_out);

  // The gradient is 2 L x^T lap_x / anchors, lap_x = sum over weighted pairs
  // (a, b, w) of w (x_a - x_b) added to row a and subtracted from row b.
  Eigen::RowVectorXf diff(dim);
  auto add_pair = [&](RowMatrixXf& lap, int64_t a, int64_t b, float w) {
    diff = x.row(a) - x.row(b);
    lap.row(a) += w * diff;
    lap.row(b) -= w * diff;
  };
  // The pull on every target pair, the same at every iteration.
  RowMatrixXf pull_x = RowMatrixXf::Zero(n, dim);
  for (int64_t i = 0; i < n; ++i) {
    for (int t = 0; t < k && target[size_t(i) * k + t] >= 0; ++t) {
      add_pair(pull_x, i, target[size_t(i) * k + t], 1 - kPushWeight);
    }
  }

  // Diagonal preconditioner: the gradient's column f (input feature f) is
  // divided by the pull's curvature along f, c_f = the mean squared target
  // difference in f, floored at a tenth of the mean c, and scaled so that
  // features of one scale take the plain gradient step. Features on large
  // scales then no longer take steps too large to be stable, nor features on
  // small scales steps too small to matter.
  const Eigen::RowVectorXf curvature =  // the diagonal of x^T pull_x, over its weight
      (x.array() * pull_x.array()).colwise().sum() / float((1 - kPushWeight) * double(pairs));
  const float mean_curvature = curvature.mean();
  const Eigen::RowVectorXf step = (lr * mean_curvature * (1 + kCurvatureFloor)) /
                                  (curvature.array() + kCurvatureFloor * mean_curvature);

  Impostors impostors;
  std::vector<float> target_d(k);
  std::vector<int> active(k);  // impostors active against each target
  RowMatrixXf z(n, o.d_out), lap_x(n, dim);
  const auto l2sqr = Kernels().l2sqr;
  const size_t d_out = size_t(o.d_out);
  for (int it = 0; it < o.epochs; ++it) {
    z.noalias() = x * l.transpose();
    if (it % kRefreshEvery == 0) FindImpostors(z, ids, target, k, margin, &impostors);
    // Squared distance between rows a and b of z.
    auto distance = [&](int64_t a, int64_t b) { return l2sqr(&z(a, 0), &z(b, 0), d_out); };
    // Each active triplet (i, j, m) adds (x_i - x_j)(x_i - x_j)^T -
    // (x_i - x_m)(x_i - x_m)^T to the push term.
    lap_x = pull_x;
    double loss = 0;
    for (int64_t i = 0; i < n; ++i) {
      int targets = 0;
      for (; targets < k && target[size_t(i) * k + targets] >= 0; ++targets) {
        target_d[targets] = distance(i, target[size_t(i) * k + targets]);
        loss += (1 - kPushWeight) * target_d[targets];
        active[targets] = 0;
      }
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
        if (pushes > 0) add_pair(lap_x, i, m, -kPushWeight * float(pushes));
      }
      for (int t = 0; t < targets; ++t) {
        if (active[t] > 0) {
          add_pair(lap_x, i, target[size_t(i) * k + t], kPushWeight * float(active[t]));
        }
      }
    }
    loss /= double(anchors);
    if (!std::isfinite(loss)) {
      return absl::FailedPreconditionError(absl::StrCat("LMNN diverged at iteration ", it + 1,
                                                        " (loss ", loss,
                                                        "); lower options.learning_rate"));
    }
    l.noalias() -= ((2 / float(anchors)) * (z.transpose() * lap_x)) * step.asDiagonal();
    if (!l.allFinite()) {
      return absl::FailedPreconditionError(
          absl::StrCat("LMNN diverged at iteration ", it + 1, "; lower options.learning_rate"));
    }
    if (auto s = ReportIteration(progress, it + 1, o.epochs, loss); !s.ok()) return s;
  }
  return MapOfRawVectors(l, scale);
}

}  // namespace metricdb
