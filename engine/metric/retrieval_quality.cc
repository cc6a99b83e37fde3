#include "engine/metric/retrieval_quality.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <utility>

#include "engine/base/roc.h"

namespace metricdb {
namespace {

constexpr int64_t kMaxPairsPerKind = 2000000;
constexpr int64_t kBlock = 256;

}  // namespace

RetrievalQuality EvaluateRetrieval(const float* vectors, int64_t n, int dim,
                                   const std::vector<int32_t>& labels, bool inner_product) {
  using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<const RowMatrixXf> v(vectors, n, dim);
  const Eigen::VectorXf sq = v.rowwise().squaredNorm();
  std::unordered_map<int32_t, int64_t> count;
  for (int64_t i = 0; i < n; ++i) ++count[labels[i]];
  // Pair sampling strides, so that each kind keeps at most kMaxPairsPerKind.
  int64_t genuine_total = 0;
  for (const auto& [l, c] : count) genuine_total += c * (c - 1) / 2;
  const int64_t impostor_total = n * (n - 1) / 2 - genuine_total;
  const int64_t genuine_stride =
      std::max<int64_t>(1, (genuine_total + kMaxPairsPerKind - 1) / kMaxPairsPerKind);
  const int64_t impostor_stride =
      std::max<int64_t>(1, (impostor_total + kMaxPairsPerKind - 1) / kMaxPairsPerKind);
  std::vector<float> genuine, impostor;
  int64_t genuine_seen = 0, impostor_seen = 0;

  RetrievalQuality q;
  q.records = n;
  double p1 = 0, rp = 0, map = 0;
  std::vector<std::pair<float, bool>> row;  // (distance, same label)
  for (int64_t start = 0; start < n; start += kBlock) {
    const int64_t rows = std::min(kBlock, n - start);
    const RowMatrixXf dot = v.middleRows(start, rows) * v.transpose();
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t i = start + r;
      row.clear();
      for (int64_t j = 0; j < n; ++j) {
        if (j == i) continue;
        const float d =
            inner_product ? -dot(r, j) : std::sqrt(std::max(0.0f, sq[i] + sq[j] - 2 * dot(r, j)));
        const bool same = labels[j] == labels[i];
        row.emplace_back(d, same);
        if (j > i) {
          if (same) {
            if (genuine_seen++ % genuine_stride == 0) genuine.push_back(d);
          } else if (impostor_seen++ % impostor_stride == 0) {
            impostor.push_back(d);
          }
        }
      }
      const int64_t r_count = count[labels[i]] - 1;
      if (r_count == 0) continue;
      std::partial_sort(row.begin(), row.begin() + r_count, row.end(),
                        [](const auto& a, const auto& b) { return a.first < b.first; });
      ++q.queries;
      p1 += row[0].second;
      int64_t hits = 0;
      double ap = 0;
      for (int64_t k = 0; k < r_count; ++k) {
        if (row[k].second) {
          ++hits;
          ap += double(hits) / double(k + 1);
        }
      }
      rp += double(hits) / double(r_count);
      map += ap / double(r_count);
    }
  }
  if (q.queries > 0) {
    q.precision_at_1 = p1 / q.queries;
    q.r_precision = rp / q.queries;
    q.map_at_r = map / q.queries;
  }
  if (!genuine.empty() && !impostor.empty()) {
    Roc roc(std::move(genuine), std::move(impostor));
    q.roc_auc = roc.Auc();
    q.eer = roc.Eer();
  }
  return q;
}

}  // namespace metricdb
