// The data sets of the quantised-HNSW and filter benchmarks: Fashion-MNIST,
// or synthetic embeddings.
#ifndef METRICDB_BENCH_SYNTHETIC_EMBEDDINGS_H_
#define METRICDB_BENCH_SYNTHETIC_EMBEDDINGS_H_

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "client/loaders/matrix.h"
#include "client/loaders/npy_file.h"

namespace metricdb::bench {

// N x 128 vectors around N / per_identity identity centres (centres of norm
// ~1 in a random 128-d space, per-sample noise of norm ~0.6), like a
// face-embedding gallery; queries are new samples of the same identities.
inline void SyntheticEmbeddings(int64_t n, int64_t per_identity, int64_t nq, Matrix* train,
                                Matrix* queries) {
  const int dim = 128;
  const int64_t ids = std::max<int64_t>(1, n / per_identity);
  std::mt19937_64 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> centres(ids * dim);
  for (float& v : centres) v = normal(rng) / std::sqrt(float(dim));
  auto fill = [&](Matrix* m, int64_t rows) {
    m->rows = rows;
    m->cols = dim;
    m->values.resize(rows * dim);
    for (int64_t i = 0; i < rows; ++i) {
      const float* c = centres.data() + (rng() % ids) * dim;
      for (int d = 0; d < dim; ++d) {
        m->values[i * dim + d] = c[d] + 0.6f * normal(rng) / std::sqrt(float(dim));
      }
    }
  };
  fill(train, n);
  fill(queries, nq);
}

// Which data set a benchmark runs on: SyntheticEmbeddings when `synthetic`
// > 0, else Fashion-MNIST's train.npy and test.npy in `data`.
struct DataSet {
  std::string data;
  int64_t synthetic = 0;
  int64_t per_identity = 100;
  int64_t queries = 1000;  // at most; lowered to what the file has
};

// --data, --synthetic, --per-identity, --queries.
inline void AddDataSetOptions(CLI::App& app, DataSet* d) {
  app.add_option("--data", d->data, "Directory with train.npy and test.npy (Fashion-MNIST)")
      ->capture_default_str();
  app.add_option("--synthetic", d->synthetic, "Use N x 128 synthetic embeddings instead");
  app.add_option("--per-identity", d->per_identity, "Synthetic: samples per identity")
      ->capture_default_str();
  app.add_option("--queries", d->queries, "Queries")->capture_default_str();
}

// The benchmark's rows and queries (d->queries lowered to what there are).
inline void LoadDataSet(DataSet* d, Matrix* train, Matrix* queries) {
  if (d->synthetic > 0) {
    SyntheticEmbeddings(d->synthetic, d->per_identity, d->queries, train, queries);
    return;
  }
  *train = Check(ReadNpy(d->data + "/train.npy"), "train");
  *queries = Check(ReadNpy(d->data + "/test.npy"), "test");
  d->queries = std::min(d->queries, queries->rows);
}
}  // namespace metricdb::bench

#endif  // METRICDB_BENCH_SYNTHETIC_EMBEDDINGS_H_
