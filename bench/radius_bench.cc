// Radius search (issue #20) on Fashion-MNIST (60k x 784; or --synthetic):
// every record within r of each query, at most --limit, through
// RadiusSearch (engine/identity/radius_search.h) on two collections on
// RocksDB, FLAT and HNSW (M 16, ef_construction 200), against FAISS's own
// range_search on an in-process IndexFlatL2 (the reference, same run). The
// radii are the median distance of each query's 20th, 100th and 400th
// nearest record, so that a query has about that many records within r.
// Reported: records within r (FAISS), FLAT's agreement with FAISS, HNSW's
// recall of FAISS's sets, and q/s (one query per call, one thread).
//   build/bench/radius_bench --data bench/data [--queries 200]
#include <faiss/IndexFlat.h>
#include <faiss/impl/AuxIndexStructures.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

#include "bench/bench_util.h"
#include "bench/synthetic_embeddings.h"
#include "engine/collection/engine.h"
#include "engine/identity/radius_search.h"

namespace {

using metricdb::Matrix;
using metricdb::bench::Check;
using metricdb::bench::Clock;
using metricdb::bench::Seconds;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"radius_bench: radius search on FLAT and HNSW against FAISS range_search"};
  std::string work = "/tmp/metricdb-radius-bench";
  metricdb::bench::DataSet set;
  set.data = "bench/data";
  set.queries = 200;
  int limit = 1024;
  metricdb::bench::AddDataSetOptions(app, &set);
  app.add_option("--limit", limit, "Most records returned per query")->capture_default_str();
  app.add_option("--work", work, "Data directory (emptied first)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  Matrix train, queries;
  metricdb::bench::LoadDataSet(&set, &train, &queries);
  const int64_t nq = set.queries, n = train.rows;
  const int dim = int(train.cols);
  std::filesystem::remove_all(work);
  metricdb::EngineOptions options;
  options.data_dir = work;
  options.limits.max_k = limit;
  auto engine = Check(metricdb::Engine::Open(options), "engine");
  std::vector<std::shared_ptr<metricdb::Collection>> collections;
  for (auto kind : {metricdb::IndexSpec::Kind::kFlat, metricdb::IndexSpec::Kind::kHnsw}) {
    metricdb::CollectionSchema schema;
    schema.name = std::string(metricdb::IndexKindName(kind));
    schema.dim = dim;
    schema.index.kind = kind;
    schema.index.m = kind == metricdb::IndexSpec::Kind::kHnsw ? 16 : 0;
    schema.index.ef_construction = kind == metricdb::IndexSpec::Kind::kHnsw ? 200 : 0;
    auto c = Check(engine->CreateCollection(schema), "create");
    for (int64_t at = 0; at < n; at += 5000) {
      std::vector<metricdb::Record> batch;
      for (int64_t i = at; i < std::min(n, at + 5000); ++i) {
        batch.push_back({std::to_string(i),
                         std::vector<float>(train.row(i), train.row(i) + dim),
                         std::nullopt,
                         {}});
      }
      Check(c->Upsert(std::move(batch)), "upsert");
    }
    collections.push_back(c);
  }
  faiss::IndexFlatL2 reference(dim);
  reference.add(n, train.values.data());
  // Radii from the queries' own neighbour distances.
  const int deepest = 400;
  std::vector<float> kd(nq * deepest);
  std::vector<faiss::Index::idx_t> ki(nq * deepest);
  reference.search(nq, queries.values.data(), deepest, kd.data(), ki.data());
  std::printf("### %lld x %d, %lld queries, limit %d\n\n", (long long)n, dim, (long long)nq, limit);
  std::printf(
      "| radius (median d of the j-th NN) | within r per query (FAISS) | FAISS range q/s | FLAT "
      "= FAISS | FLAT q/s | HNSW recall | HNSW q/s |\n|---|---|---|---|---|---|---|\n");
  for (int j : {20, 100, 400}) {
    std::vector<float> dj(nq);
    for (int64_t q = 0; q < nq; ++q) dj[q] = std::sqrt(kd[q * deepest + j - 1]);
    std::nth_element(dj.begin(), dj.begin() + nq / 2, dj.end());
    const float r = dj[nq / 2];
    // FAISS: squared L2 radius; one query per call, as the others.
    std::vector<std::set<std::string>> truth(nq);
    auto start = Clock::now();
    int64_t within = 0;
    for (int64_t q = 0; q < nq; ++q) {
      faiss::RangeSearchResult result(1);
      reference.range_search(1, queries.row(q), r * r, &result);
      for (size_t e = result.lims[0]; e < result.lims[1]; ++e) {
        truth[q].insert(std::to_string(result.labels[e]));
      }
      within += int64_t(truth[q].size());
    }
    const double faiss_qps = double(nq) / Seconds(start);
    double qps[2], agreement[2];
    for (int c = 0; c < 2; ++c) {
      metricdb::SearchOptions o;
      o.k = limit;
      int64_t hit = 0, expected = 0;
      start = Clock::now();
      std::vector<std::vector<std::string>> got(nq);
      for (int64_t q = 0; q < nq; ++q) {
        absl::Span<const float> one(queries.row(q), dim);
        auto results = Check(metricdb::RadiusSearch(*collections[c], {one}, o, {r, {}}), "radius");
        for (const auto& h : results[0]) got[q].push_back(h.key);
      }
      qps[c] = double(nq) / Seconds(start);
      for (int64_t q = 0; q < nq; ++q) {
        // Past the limit only the closest `limit` count (FLAT returns those).
        expected += std::min<int64_t>(limit, int64_t(truth[q].size()));
        for (const auto& key : got[q]) hit += truth[q].count(key);
      }
      agreement[c] = expected ? double(hit) / double(expected) : 1.0;
    }
    std::printf("| %.1f (j = %d) | %.1f | %.0f | %.4f | %.0f | %.4f | %.0f |\n", r, j,
                double(within) / double(nq), faiss_qps, agreement[0], qps[0], agreement[1], qps[1]);
    std::fflush(stdout);
  }
  return 0;
}
