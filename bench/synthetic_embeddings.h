// The data sets of the quantised-HNSW benchmarks: Fashion-MNIST, or
// synthetic embeddings.
#ifndef METRICDB_BENCH_SYNTHETIC_EMBEDDINGS_H_
#define METRICDB_BENCH_SYNTHETIC_EMBEDDINGS_H_

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

// The benchmark's rows and queries: SyntheticEmbeddings when `synthetic` > 0,
// else Fashion-MNIST's train.npy and test.npy in `data` (at most *nq queries;
// *nq is lowered to what the file has).
inline void LoadDataSet(const std::string& data, int64_t synthetic, int64_t per_identity,
                        int64_t* nq, Matrix* train, Matrix* queries) {
  if (synthetic > 0) {
    SyntheticEmbeddings(synthetic, per_identity, *nq, train, queries);
    return;
  }
  *train = Check(ReadNpy(data + "/train.npy"), "train");
  *queries = Check(ReadNpy(data + "/test.npy"), "test");
  *nq = std::min(*nq, queries->rows);
}
}  // namespace metricdb::bench

#endif  // METRICDB_BENCH_SYNTHETIC_EMBEDDINGS_H_
