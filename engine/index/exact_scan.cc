#include "engine/index/exact_scan.h"

#include <faiss/utils/Heap.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <utility>
#include <vector>

#include "engine/index/distance_kernels.h"

namespace metricdb {
namespace {

// The kernel a scan of `m` compares with: inner product or squared L2.
auto DistanceOf(const ScanMatrix& m) {
  const DistanceKernels& kernels = Kernels();
  return m.inner_product ? kernels.dot : kernels.l2sqr;
}

std::atomic<int> g_running_scans{0};

// Counts this scan among the running ones for as long as it lives.
class RunningScan {
 public:
  RunningScan() : others_(g_running_scans.fetch_add(1)) {}
  ~RunningScan() { g_running_scans.fetch_sub(1); }
  int others() const { return others_; }

 private:
  const int others_;
};

int HardwareThreads() {
  static const int n = std::max(1, int(std::thread::hardware_concurrency()));
  return n;
}

// Scans rows [begin, end) into per-query heaps (k slots each, heapified).
template <class C>
void ScanRange(const ScanMatrix& m, const float* queries, size_t nq, size_t k,
               const ScanOptions& options, size_t begin, size_t end, float* heap_d,
               int64_t* heap_i) {
  const auto distance = DistanceOf(m);
  // Rows per block: ~128 KiB, re-read from cache by each query of the batch.
  const size_t block = nq == 1 ? end - begin : std::max<size_t>(1, 32768 / m.dim);
  for (size_t b0 = begin; b0 < end; b0 += block) {
    const size_t b1 = std::min(end, b0 + block);
    for (size_t q = 0; q < nq; ++q) {
      const float* query = queries + q * m.dim;
      float* hd = heap_d + q * k;
      int64_t* hi = heap_i + q * k;
      for (size_t r = b0; r < b1; ++r) {
        if (options.allow != nullptr && !(*options.allow)(r)) continue;
        const float d = distance(query, m.rows + r * m.dim, m.dim);
        if (C::cmp(hd[0], d)) faiss::heap_replace_top<C>(k, hd, hi, d, int64_t(r));
      }
    }
  }
}

template <class C>
void Scan(const ScanMatrix& m, const float* queries, size_t nq, size_t k,
          const ScanOptions& options, float* distances, int64_t* rows_out) {
  RunningScan running;
  const int budget = options.max_threads > 0 ? options.max_threads : HardwareThreads();
  int threads = std::max(1, budget / (running.others() + 1));
  if (m.n * m.dim < kMinSplitFloats) threads = 1;
  threads = int(std::min<size_t>(size_t(threads), std::max<size_t>(1, m.n / 1024)));

  for (size_t q = 0; q < nq; ++q) {
    faiss::heap_heapify<C>(k, distances + q * k, rows_out + q * k);
  }
  if (threads == 1) {
    ScanRange<C>(m, queries, nq, k, options, 0, m.n, distances, rows_out);
  } else {
    // Each thread fills its own heaps over a contiguous range of rows; the
    // extra heaps are then merged into the first.
    std::vector<float> part_d(size_t(threads - 1) * nq * k);
    std::vector<int64_t> part_i(part_d.size());
#pragma omp parallel for num_threads(threads) schedule(static, 1)
    for (int t = 0; t < threads; ++t) {
      const size_t begin = m.n * size_t(t) / size_t(threads);
      const size_t end = m.n * size_t(t + 1) / size_t(threads);
      float* hd = t == 0 ? distances : part_d.data() + size_t(t - 1) * nq * k;
      int64_t* hi = t == 0 ? rows_out : part_i.data() + size_t(t - 1) * nq * k;
      if (t > 0) {
        for (size_t q = 0; q < nq; ++q) faiss::heap_heapify<C>(k, hd + q * k, hi + q * k);
      }
      ScanRange<C>(m, queries, nq, k, options, begin, end, hd, hi);
    }
    for (size_t p = 0; p < part_d.size(); ++p) {
      const size_t q = (p % (nq * k)) / k;
      if (part_i[p] < 0) continue;
      float* hd = distances + q * k;
      if (C::cmp(hd[0], part_d[p])) {
        faiss::heap_replace_top<C>(k, hd, rows_out + q * k, part_d[p], part_i[p]);
      }
    }
  }
  for (size_t q = 0; q < nq; ++q) {
    faiss::heap_reorder<C>(k, distances + q * k, rows_out + q * k);
  }
}

}  // namespace

void ExactScan(const ScanMatrix& m, const float* queries, size_t nq, size_t k,
               const ScanOptions& options, float* distances, int64_t* rows_out) {
  if (m.inner_product) {
    Scan<faiss::CMin<float, int64_t>>(m, queries, nq, k, options, distances, rows_out);
  } else {
    Scan<faiss::CMax<float, int64_t>>(m, queries, nq, k, options, distances, rows_out);
  }
}

void RemeasureFound(const ScanMatrix& m, const float* queries, size_t nq, size_t k,
                    float* distances, int64_t* rows) {
  const auto distance = DistanceOf(m);
  std::vector<std::pair<float, int64_t>> found(k);
  for (size_t q = 0; q < nq; ++q) {
    size_t n = 0;
    for (size_t j = 0; j < k && rows[q * k + j] >= 0; ++j) {
      const int64_t r = rows[q * k + j];
      found[n++] = {distance(queries + q * m.dim, m.rows + size_t(r) * m.dim, m.dim), r};
    }
    const auto closer = [&](const std::pair<float, int64_t>& a,
                            const std::pair<float, int64_t>& b) {
      return m.inner_product ? a.first > b.first : a.first < b.first;
    };
    std::stable_sort(found.begin(), found.begin() + ptrdiff_t(n), closer);
    for (size_t j = 0; j < n; ++j) {
      distances[q * k + j] = found[j].first;
      rows[q * k + j] = found[j].second;
    }
  }
}

}  // namespace metricdb
