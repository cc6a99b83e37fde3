#include "engine/base/roc.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace metricdb {
namespace {

// Values of `sorted` that are <= t.
int64_t CountAtMost(const std::vector<float>& sorted, double t) {
  return std::upper_bound(sorted.begin(), sorted.end(), t,
                          [](double v, float x) { return v < double(x); }) -
         sorted.begin();
}

}  // namespace

Roc::Roc(std::vector<float> genuine, std::vector<float> impostor)
    : genuine_(std::move(genuine)), impostor_(std::move(impostor)) {
  std::sort(genuine_.begin(), genuine_.end());
  std::sort(impostor_.begin(), impostor_.end());
}

double Roc::Auc() const {
  if (genuine_.empty() || impostor_.empty()) return 0;
  // For each genuine distance: impostors farther, plus half the ties.
  double wins = 0;
  size_t lo = 0, hi = 0;
  for (float g : genuine_) {
    while (lo < impostor_.size() && impostor_[lo] < g) ++lo;
    if (hi < lo) hi = lo;
    while (hi < impostor_.size() && impostor_[hi] <= g) ++hi;
    wins += double(impostor_.size() - hi) + 0.5 * double(hi - lo);
  }
  return wins / (double(genuine_.size()) * double(impostor_.size()));
}

RocPoint Roc::At(double threshold) const {
  RocPoint p;
  p.threshold = threshold;
  p.far = impostor_.empty() ? 0 : double(CountAtMost(impostor_, threshold)) / impostor_.size();
  p.tar = genuine_.empty() ? 0 : double(CountAtMost(genuine_, threshold)) / genuine_.size();
  return p;
}

double Roc::Eer(double* threshold) const {
  if (genuine_.empty() || impostor_.empty()) return 0;
  // Sweep the distinct distances in ascending order with two cursors.
  double best_gap = std::numeric_limits<double>::infinity(), eer = 1, best_t = 0;
  size_t gi = 0, ii = 0;
  const double ng = double(genuine_.size()), ni = double(impostor_.size());
  while (gi < genuine_.size() || ii < impostor_.size()) {
    const float t =
        ii == impostor_.size() || (gi < genuine_.size() && genuine_[gi] <= impostor_[ii])
            ? genuine_[gi]
            : impostor_[ii];
    while (gi < genuine_.size() && genuine_[gi] <= t) ++gi;
    while (ii < impostor_.size() && impostor_[ii] <= t) ++ii;
    const double far = ii / ni, frr = 1 - gi / ng;
    if (std::abs(far - frr) < best_gap) {
      best_gap = std::abs(far - frr);
      eer = (far + frr) / 2;
      best_t = t;
    }
    if (far > frr) break;  // the gap only grows from here
  }
  if (threshold != nullptr) *threshold = best_t;
  return eer;
}

RocPoint Roc::AtFar(double target_far) const {
  if (impostor_.empty()) return At(std::numeric_limits<double>::infinity());
  const size_t allowed = size_t(std::floor(std::max(0.0, target_far) * impostor_.size()));
  if (allowed >= impostor_.size()) return At(double(impostor_.back()));
  // Just below the (allowed+1)-th smallest impostor distance.
  const double t =
      std::nextafter(double(impostor_[allowed]), -std::numeric_limits<double>::infinity());
  return At(t);
}

std::vector<RocPoint> Roc::Curve(int points) const {
  std::vector<RocPoint> out;
  if (impostor_.empty() || points < 2) return out;
  // Evenly spaced in log(FAR), from one impostor pair to all of them: ROC
  // curves are read on a log FAR axis.
  const double n = double(impostor_.size());
  for (int i = 0; i < points; ++i) {
    const double far = std::pow(n, double(i) / (points - 1) - 1);  // 1/n .. 1
    const size_t at = std::min(impostor_.size() - 1, size_t(std::llround(far * n)) - 1);
    RocPoint p = At(double(impostor_[at]));
    if (out.empty() || p.far > out.back().far) out.push_back(p);
  }
  return out;
}

}  // namespace metricdb
