// Roc: the receiver operating characteristic of a distance threshold that
// decides "same identity" when distance <= threshold, from the distances of
// genuine (same-identity) and impostor (different-identity) pairs.
//   FAR(t) = impostor pairs with distance <= t / impostor pairs
//   TAR(t) = genuine pairs with distance <= t / genuine pairs
#ifndef METRICDB_ENGINE_BASE_ROC_H_
#define METRICDB_ENGINE_BASE_ROC_H_

#include <cstdint>
#include <vector>

namespace metricdb {

struct RocPoint {
  double threshold = 0;
  double far = 0;
  double tar = 0;
};

class Roc {
 public:
  // Both lists non-empty; NaN distances are not allowed.
  Roc(std::vector<float> genuine, std::vector<float> impostor);

  int64_t genuine_pairs() const { return int64_t(genuine_.size()); }
  int64_t impostor_pairs() const { return int64_t(impostor_.size()); }

  // Probability that a genuine pair is closer than an impostor pair (ties
  // count one half).
  double Auc() const;
  // Equal error rate: where FAR = 1 - TAR (the mean of the two at the
  // threshold where they are closest); *threshold receives that threshold.
  double Eer(double* threshold = nullptr) const;
  // The largest threshold whose FAR does not exceed `target_far`, with the
  // FAR and TAR it achieves.
  RocPoint AtFar(double target_far) const;
  // FAR and TAR at `threshold`.
  RocPoint At(double threshold) const;
  // At most `points` points spread evenly over log(FAR), from one impostor
  // pair to all of them, ascending.
  std::vector<RocPoint> Curve(int points) const;

 private:
  std::vector<float> genuine_, impostor_;  // sorted ascending
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_BASE_ROC_H_
