#include "engine/clustering/cluster_quality.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>

namespace metricdb {
namespace {

double Entropy(const std::vector<double>& sizes, double n) {
  double h = 0;
  for (double s : sizes) {
    if (s > 0) h -= (s / n) * std::log(s / n);
  }
  return h;
}

double Pairs(double m) { return m * (m - 1) / 2; }

// E[MI] under the hypergeometric model of random labellings with the same
// cluster sizes (the formula scikit-learn implements).
double ExpectedMutualInformation(const std::vector<double>& a, const std::vector<double>& b,
                                 double n) {
  double emi = 0;
  const double lg_n = std::lgamma(n + 1);
  for (double ai : a) {
    for (double bj : b) {
      const double lo = std::max(1.0, ai + bj - n), hi = std::min(ai, bj);
      for (double nij = lo; nij <= hi; ++nij) {
        const double term = (nij / n) * std::log(n * nij / (ai * bj));
        const double log_p = std::lgamma(ai + 1) + std::lgamma(bj + 1) + std::lgamma(n - ai + 1) +
                             std::lgamma(n - bj + 1) - lg_n - std::lgamma(nij + 1) -
                             std::lgamma(ai - nij + 1) - std::lgamma(bj - nij + 1) -
                             std::lgamma(n - ai - bj + nij + 1);
        emi += term * std::exp(log_p);
      }
    }
  }
  return emi;
}

}  // namespace

ClusterQuality CompareClusterings(const std::vector<int32_t>& clusters,
                                  const std::vector<int32_t>& labels) {
  ClusterQuality q;
  const size_t n = clusters.size();
  q.records = int64_t(n);
  if (n == 0) return q;
  std::unordered_map<int32_t, size_t> ci, li;
  std::vector<double> a, b;  // label sizes, cluster sizes
  std::map<std::pair<size_t, size_t>, double> table;
  std::vector<std::pair<size_t, size_t>> cell(n);
  for (size_t r = 0; r < n; ++r) {
    auto [l, l_new] = li.emplace(labels[r], a.size());
    if (l_new) a.push_back(0);
    auto [c, c_new] = ci.emplace(clusters[r], b.size());
    if (c_new) b.push_back(0);
    a[l->second] += 1;
    b[c->second] += 1;
    cell[r] = {l->second, c->second};
    table[cell[r]] += 1;
  }
  const double nn = double(n);
  double mi = 0, tp = 0;
  for (const auto& [ij, nij] : table) {
    mi += (nij / nn) * std::log(nn * nij / (a[ij.first] * b[ij.second]));
    tp += Pairs(nij);
  }
  const double ha = Entropy(a, nn), hb = Entropy(b, nn);
  const double mean_h = (ha + hb) / 2;
  q.nmi = mean_h > 0 ? mi / mean_h : 1.0;  // both trivial: identical
  if (double(a.size()) * double(b.size()) <= 4e6) {
    const double emi = ExpectedMutualInformation(a, b, nn);
    const double denominator = mean_h - emi;
    q.ami = std::abs(denominator) < 1e-12 ? 1.0 : (mi - emi) / denominator;
  } else {
    q.ami = std::numeric_limits<double>::quiet_NaN();
  }
  double same_cluster = 0, same_label = 0;
  for (double s : b) same_cluster += Pairs(s);
  for (double s : a) same_label += Pairs(s);
  const double precision = same_cluster > 0 ? tp / same_cluster : 1.0;
  const double recall = same_label > 0 ? tp / same_label : 1.0;
  q.pairwise_f = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
  double bp = 0, br = 0;
  for (size_t r = 0; r < n; ++r) {
    const double nij = table[cell[r]];
    bp += nij / b[cell[r].second];
    br += nij / a[cell[r].first];
  }
  bp /= nn;
  br /= nn;
  q.bcubed_f = bp + br > 0 ? 2 * bp * br / (bp + br) : 0;
  return q;
}

}  // namespace metricdb
