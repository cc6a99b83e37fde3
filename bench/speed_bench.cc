// Speed benchmark (issue #8), in-process, every ratio measured in one run on
// Fashion-MNIST (60k x 784 train, test rows as queries):
//   exact   one query at a time and batched: metricdb's FlatVectorIndex
//           (ExactScan for small batches) vs faiss IndexFlatL2 vs a plain
//           OpenBLAS sgemv over the same matrix (1 and all threads);
//   hnsw    build time and an ef_search sweep, one query at a time on one
//           thread: metricdb's HnswVectorIndex vs faiss IndexHNSWFlat (same M,
//           ef_construction). python3-hnswlib's side: bench/hnswlib_reference.py.
#include <cblas.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <omp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <set>
#include <vector>

#include "bench/bench_util.h"
#include "client/loaders/npy_file.h"
#include "engine/index/distance_kernels.h"
#include "engine/index/exact_scan.h"
#include "engine/index/vector_index.h"

extern "C" void openblas_set_num_threads(int);
extern "C" int openblas_get_num_threads(void);

namespace {

using metricdb::Matrix;
using metricdb::bench::Check;
using metricdb::bench::Clock;
using metricdb::bench::Seconds;
using Ids = std::vector<faiss::Index::idx_t>;

constexpr int kK = 10;

double Recall(const std::vector<int64_t>& got, const Ids& truth, int64_t nq) {
  int64_t hit = 0;
  for (int64_t q = 0; q < nq; ++q) {
    std::set<int64_t> t(truth.begin() + q * kK, truth.begin() + (q + 1) * kK);
    for (int j = 0; j < kK; ++j) hit += t.count(got[q * kK + j]);
  }
  return double(hit) / double(nq * kK);
}

// Seconds per call of fn(i) over i in [0, n), best of `rounds` passes.
template <typename F>
double PerCall(int64_t n, int rounds, F&& fn) {
  double best = 1e30;
  for (int r = 0; r < rounds; ++r) {
    auto t0 = Clock::now();
    for (int64_t i = 0; i < n; ++i) fn(i);
    best = std::min(best, Seconds(t0) / double(n));
  }
  return best;
}

metricdb::CollectionSchema Schema(int dim, metricdb::IndexSpec::Kind kind, int m = 32,
                                  int efc = 200) {
  metricdb::CollectionSchema schema;
  schema.dim = dim;
  schema.metric = metricdb::Metric::kL2;
  schema.index.kind = kind;
  schema.index.m = m;
  schema.index.ef_construction = efc;
  schema.index.ef_search = 16;
  return schema;
}

void Exact(const Matrix& train, const Matrix& test, int64_t nq, int rounds) {
  const int dim = int(train.cols);
  const size_t bytes = size_t(train.rows) * dim * sizeof(float);
  faiss::IndexFlatL2 flat(dim);
  flat.add(train.rows, train.values.data());
  auto ours =
      Check(metricdb::MakeVectorIndex(Schema(dim, metricdb::IndexSpec::Kind::kFlat)), "flat index");
  std::vector<int64_t> ids(train.rows);
  std::iota(ids.begin(), ids.end(), 0);
  Check(ours->Add(ids, train.values.data()), "add");

  std::vector<float> d(nq * kK), y(train.rows);
  Ids truth(nq * kK);
  std::vector<int64_t> got(nq * kK);
  flat.search(nq, test.values.data(), kK, d.data(), truth.data());
  const int all = omp_get_max_threads();

  // faiss, one query per call (its single-query kernel runs on one thread).
  const double faiss_single = PerCall(nq, rounds, [&](int64_t i) {
    flat.search(1, test.row(i), kK, d.data(), truth.data() + i * kK);
  });
  // Plain sgemv over the matrix: y = X q (the scan's memory traffic, no top-k).
  auto sgemv = [&](int64_t i) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, int(train.rows), dim, 1.0f, train.values.data(), dim,
                test.row(i), 1, 0.0f, y.data(), 1);
  };
  const int blas_threads = openblas_get_num_threads();
  openblas_set_num_threads(1);
  const double sgemv_1 = PerCall(nq, rounds, sgemv);
  openblas_set_num_threads(blas_threads);
  const double sgemv_all = PerCall(nq, rounds, sgemv);
  // metricdb: ExactScan on one thread, then the index as the server runs it.
  metricdb::ScanOptions one_thread;
  one_thread.max_threads = 1;
  std::vector<float> sd(kK);
  const double ours_1 = PerCall(nq, rounds, [&](int64_t i) {
    metricdb::ExactScan({train.values.data(), size_t(train.rows), size_t(dim), false}, test.row(i),
                        1, kK, one_thread, sd.data(), got.data() + i * kK);
  });
  const double recall_1 = Recall(got, truth, nq);
  std::vector<float> od;
  std::vector<int64_t> oi;
  const double ours_all = PerCall(nq, rounds, [&](int64_t i) {
    Check(ours->Search(test.row(i), 1, kK, nullptr, {}, &od, &oi), "search");
    std::copy(oi.begin(), oi.end(), got.begin() + i * kK);
  });
  const double recall_all = Recall(got, truth, nq);

  std::printf(
      "### Exact search, one query per call (%lld queries, best of %d passes; "
      "kernels: %s; %d threads)\n\n",
      (long long)nq, rounds, metricdb::Kernels().name, all);
  std::printf("| method | ms/query | GB/s | vs faiss | vs sgemv (same threads) | recall@10 |\n");
  std::printf("|---|---|---|---|---|---|\n");
  auto row = [&](const char* name, double s, double vs_sgemv, const char* recall) {
    std::printf("| %s | %.2f | %.1f | %.2fx | %s | %s |\n", name, s * 1e3, bytes / s / 1e9,
                faiss_single / s,
                vs_sgemv > 0 ? (std::to_string(vs_sgemv).substr(0, 4) + "x").c_str() : "", recall);
  };
  char r1[16], r2[16];
  std::snprintf(r1, sizeof r1, "%.4f", recall_1);
  std::snprintf(r2, sizeof r2, "%.4f", recall_all);
  row("faiss IndexFlatL2", faiss_single, 0, "1 (reference)");
  row("OpenBLAS sgemv, 1 thread", sgemv_1, 0, "");
  row("OpenBLAS sgemv, all threads", sgemv_all, 0, "");
  row("metricdb ExactScan, 1 thread", ours_1, sgemv_1 / ours_1, r1);
  row("metricdb FlatVectorIndex (as served)", ours_all, sgemv_all / ours_all, r2);

  std::printf("\n### Exact search, batched (queries per call; q/s)\n\n");
  std::printf("| batch | faiss q/s | metricdb q/s | ratio |\n|---|---|---|---|\n");
  for (int64_t batch : {int64_t(4), int64_t(16), int64_t(64), int64_t(1000)}) {
    const int64_t calls = std::max<int64_t>(1, std::min<int64_t>(test.rows, 2000) / batch);
    std::vector<float> bd(batch * kK);
    Ids bi(batch * kK);
    const double f = PerCall(calls, rounds, [&](int64_t c) {
      flat.search(batch, test.row(c * batch), kK, bd.data(), bi.data());
    });
    const double o = PerCall(calls, rounds, [&](int64_t c) {
      Check(ours->Search(test.row(c * batch), batch, kK, nullptr, {}, &od, &oi), "search");
    });
    std::printf("| %lld | %.0f | %.0f | %.2f |\n", (long long)batch, batch / f, batch / o, f / o);
  }
  std::printf("\n");
}

void Hnsw(const Matrix& train, const Matrix& test, int64_t nq) {
  const int dim = int(train.cols);
  faiss::IndexFlatL2 flat(dim);
  flat.add(train.rows, train.values.data());
  std::vector<float> d(nq * kK);
  Ids truth(nq * kK);
  flat.search(nq, test.values.data(), kK, d.data(), truth.data());

  auto t0 = Clock::now();
  faiss::IndexHNSWFlat fh(dim, 32);
  fh.hnsw.efConstruction = 200;
  fh.add(train.rows, train.values.data());
  const double faiss_build = Seconds(t0);
  auto ours =
      Check(metricdb::MakeVectorIndex(Schema(dim, metricdb::IndexSpec::Kind::kHnsw)), "hnsw index");
  std::vector<int64_t> ids(train.rows);
  std::iota(ids.begin(), ids.end(), 0);
  t0 = Clock::now();
  Check(ours->Add(ids, train.values.data()), "add");
  const double ours_build = Seconds(t0);

  std::printf(
      "### HNSW M=32, ef_construction=200, one query at a time on one thread "
      "(%lld queries)\n\n",
      (long long)nq);
  std::printf("build (%d threads): metricdb %.1f s, faiss %.1f s\n\n", omp_get_max_threads(),
              ours_build, faiss_build);
  std::printf(
      "| ef_search | recall@10 metricdb | recall@10 faiss | metricdb q/s | faiss q/s "
      "| ratio |\n|---|---|---|---|---|---|\n");
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  for (int ef : {12, 16, 24, 32, 64, 128}) {
    Ids fi(nq * kK);
    fh.hnsw.efSearch = ef;
    const double f = PerCall(
        nq, 1, [&](int64_t i) { fh.search(1, test.row(i), kK, d.data(), fi.data() + i * kK); });
    std::vector<int64_t> got(nq * kK), fgot(fi.begin(), fi.end());
    metricdb::SearchTuning tuning;
    tuning.ef_search = ef;
    std::vector<float> od;
    std::vector<int64_t> oi;
    const double o = PerCall(nq, 1, [&](int64_t i) {
      Check(ours->Search(test.row(i), 1, kK, nullptr, tuning, &od, &oi), "search");
      std::copy(oi.begin(), oi.end(), got.begin() + i * kK);
    });
    std::printf("| %d | %.4f | %.4f | %.0f | %.0f | %.2f |\n", ef, Recall(got, truth, nq),
                Recall(fgot, truth, nq), 1 / o, 1 / f, f / o);
  }
  omp_set_num_threads(threads);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"speed_bench: metricdb's exact and HNSW search vs faiss and sgemv"};
  std::string data = "bench/data", mode = "all";
  int64_t nq = 1000;
  int rounds = 3;
  app.add_option("--data", data, "Directory with train.npy and test.npy")->capture_default_str();
  app.add_option("--mode", mode, "exact|hnsw|all")->capture_default_str();
  app.add_option("--queries", nq, "Test rows used as queries")->capture_default_str();
  app.add_option("--rounds", rounds, "Passes per timing (best kept)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  const auto train = Check(metricdb::ReadNpy(data + "/train.npy"), "train");
  auto test = Check(metricdb::ReadNpy(data + "/test.npy"), "test");
  nq = std::min(nq, test.rows);
  if (mode == "exact" || mode == "all") Exact(train, test, nq, rounds);
  if (mode == "hnsw" || mode == "all") Hnsw(train, test, nq);
  return 0;
}
