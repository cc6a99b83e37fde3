// ExactScan: the k nearest rows of a row-major float matrix for a small
// batch of queries, reading the matrix once, at memory bandwidth.
//
// Rows are visited in blocks small enough to stay in cache while every query
// of the batch is compared with them (DistanceKernels, chosen for the CPU at
// run time); a bounded heap per query keeps the k best. Distances are exact
// (no norm expansion): squared L2, or the inner product for similarity
// search (larger is closer). When the matrix is large and few scans run at
// once, one scan splits its rows across threads (OpenMP) and merges the
// heaps, so a lone query on an idle server uses every core.
//
// For large batches a BLAS matrix product is faster (each row is reused by
// many queries): callers keep FAISS's sgemm path above kMaxScanQueries.
#ifndef METRICDB_ENGINE_INDEX_EXACT_SCAN_H_
#define METRICDB_ENGINE_INDEX_EXACT_SCAN_H_

#include <cstddef>
#include <cstdint>
#include <functional>

namespace metricdb {

struct ScanMatrix {
  const float* rows = nullptr;  // n x dim, row-major
  size_t n = 0;
  size_t dim = 0;
  bool inner_product = false;  // true: similarity (larger is closer)
};

struct ScanOptions {
  // Most threads one scan may use; 0 = the hardware's. The scan uses
  // max_threads / (scans running now), at least 1, and splits only matrices
  // of at least kMinSplitFloats values.
  int max_threads = 0;
  // Rows to skip (nullptr: none): called once per row with its index.
  const std::function<bool(size_t row)>* allow = nullptr;
};

// Batches up to this size go through ExactScan; larger ones are faster with
// a matrix product.
constexpr size_t kMaxScanQueries = 16;
constexpr size_t kMinSplitFloats = size_t(1) << 20;

// Fills distances[nq * k] and rows_out[nq * k], closest first per query;
// slots beyond the allowed row count get row -1. k >= 1.
void ExactScan(const ScanMatrix& m, const float* queries, size_t nq, size_t k,
               const ScanOptions& options, float* distances, int64_t* rows_out);

// Re-measures the rows found per query (rows[q * k + j], -1 for none, which
// stay last) with the kernels ExactScan uses, and reorders each query's k
// closest first: a matrix product's distances (FAISS expands |x|^2 + |y|^2 -
// 2 x.y, which rounds) become exactly those a scan gives.
void RemeasureFound(const ScanMatrix& m, const float* queries, size_t nq, size_t k,
                    float* distances, int64_t* rows);

}  // namespace metricdb

#endif  // METRICDB_ENGINE_INDEX_EXACT_SCAN_H_
