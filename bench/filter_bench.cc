// Filtered search (issue #20) on Fashion-MNIST (60k x 784; or --synthetic) in a collection on
// RocksDB (HNSW, M 16, ef_construction 200), each record with a synthetic
// attribute bucket = row % 1000. For the filters bucket < 500, 100, 10, 1
// (50%, 10%, 1%, 0.1% of the records), recall@10 and q/s (one query per
// call, one thread) of three ways, against brute force over the allowed rows:
//   filtered   Search with the filter: the policy of collection_search.cc
//              (a bitmap checked inside the HNSW walk, or an exact scan of the
//              allowed records read from the store when they are few);
//   post-filter Search without it for k' = 20 / selectivity (at most
//              --max-post), ef_search = k', then the first 10 allowed hits;
//   scan       an exact scan of the allowed rows held in memory (gathered per
//              query, then ExactScan).
//   build/bench/filter_bench --data bench/data [--queries 200]
#include <faiss/IndexFlat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <set>

#include "bench/bench_util.h"
#include "bench/synthetic_embeddings.h"
#include "engine/collection/engine.h"
#include "engine/index/exact_scan.h"

namespace {

using metricdb::Matrix;
using metricdb::bench::Check;
using metricdb::bench::Clock;
using metricdb::bench::Seconds;

constexpr int kK = 10;

struct Point {
  double qps = 0, recall = 0;
};

double RecallOf(const std::vector<std::vector<int64_t>>& got,
                const std::vector<std::vector<int64_t>>& truth) {
  int64_t hit = 0, total = 0;
  for (size_t q = 0; q < truth.size(); ++q) {
    std::set<int64_t> t(truth[q].begin(), truth[q].end());
    for (int64_t id : got[q]) hit += t.count(id);
    total += int64_t(truth[q].size());
  }
  return total ? double(hit) / double(total) : 1.0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"filter_bench: filtered HNSW search vs post-filtering vs an exact scan"};
  std::string work = "/tmp/metricdb-filter-bench";
  metricdb::bench::DataSet set;
  set.data = "bench/data";
  set.queries = 200;
  int max_post = 4000;
  metricdb::bench::AddDataSetOptions(app, &set);
  app.add_option("--max-post", max_post, "Largest k' of post-filtering")->capture_default_str();
  app.add_option("--work", work, "Data directory (emptied first)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  Matrix train, queries;
  metricdb::bench::LoadDataSet(&set, &train, &queries);
  const int64_t nq = set.queries;
  const int dim = int(train.cols);
  const int64_t n = train.rows;
  std::filesystem::remove_all(work);
  metricdb::EngineOptions options;
  options.data_dir = work;
  options.limits.max_k = max_post;
  auto engine = Check(metricdb::Engine::Open(options), "engine");
  metricdb::CollectionSchema schema;
  schema.name = "f";
  schema.dim = dim;
  schema.index.kind = metricdb::IndexSpec::Kind::kHnsw;
  schema.index.m = 16;
  schema.index.ef_construction = 200;
  auto c = Check(engine->CreateCollection(schema), "create");
  const auto t0 = Clock::now();
  for (int64_t at = 0; at < n; at += 5000) {
    std::vector<metricdb::Record> batch;
    for (int64_t i = at; i < std::min(n, at + 5000); ++i) {
      metricdb::Record r;
      r.key = std::to_string(i);
      r.vector.assign(train.row(i), train.row(i) + dim);
      r.attributes["bucket"] = std::to_string(i % 1000);
      batch.push_back(std::move(r));
    }
    Check(c->Upsert(std::move(batch)), "upsert");
  }
  std::printf("### Fashion-MNIST %lld x %d, HNSW M=16 ef_construction=200, %lld queries, k=%d\n\n",
              (long long)n, dim, (long long)nq, kK);
  std::printf("load + graph: %.1f s\n\n", Seconds(t0));
  std::printf(
      "| selectivity | allowed | filtered recall | filtered q/s | post-filter k' | recall | q/s "
      "| scan recall | scan q/s |\n|---|---|---|---|---|---|---|---|---|\n");
  for (int below : {500, 100, 10, 1}) {
    const double selectivity = below / 1000.0;
    std::vector<int64_t> allowed;
    for (int64_t i = 0; i < n; ++i) {
      if (i % 1000 < below) allowed.push_back(i);
    }
    std::vector<float> rows(allowed.size() * size_t(dim));
    for (size_t j = 0; j < allowed.size(); ++j) {
      std::copy(train.row(allowed[j]), train.row(allowed[j]) + dim, rows.begin() + j * dim);
    }
    faiss::IndexFlatL2 flat(dim);
    flat.add(int64_t(allowed.size()), rows.data());
    std::vector<float> td(nq * kK);
    std::vector<faiss::Index::idx_t> ti(nq * kK);
    flat.search(nq, queries.values.data(), kK, td.data(), ti.data());
    std::vector<std::vector<int64_t>> truth(nq);
    for (int64_t q = 0; q < nq; ++q) {
      for (int j = 0; j < kK; ++j) {
        if (ti[q * kK + j] >= 0) truth[q].push_back(allowed[ti[q * kK + j]]);  // -1: fewer than k
      }
    }

    auto search = [&](const std::string& filter, int k, int ef) {
      std::vector<std::vector<int64_t>> got(nq);
      metricdb::SearchOptions o;
      o.k = k;
      o.filter = filter;
      o.tuning.ef_search = ef;
      const auto start = Clock::now();
      for (int64_t q = 0; q < nq; ++q) {
        absl::Span<const float> one(queries.row(q), dim);
        auto results = Check(c->Search({one}, o), "search");
        for (const auto& hit : results[0]) {
          const int64_t id = std::stoll(hit.key);
          if (id % 1000 < below && int(got[q].size()) < kK) got[q].push_back(id);
        }
      }
      return std::make_pair(double(nq) / Seconds(start), RecallOf(got, truth));
    };
    const std::string filter = "bucket < " + std::to_string(below);
    const auto filtered = search(filter, kK, 0);
    const int k_post = std::min(max_post, int(2 * kK / selectivity));
    const auto post = search("", k_post, k_post);

    std::vector<std::vector<int64_t>> scanned(nq);
    const auto start = Clock::now();
    for (int64_t q = 0; q < nq; ++q) {
      std::vector<float> gathered(allowed.size() * size_t(dim));
      for (size_t j = 0; j < allowed.size(); ++j) {
        std::copy(train.row(allowed[j]), train.row(allowed[j]) + dim, gathered.begin() + j * dim);
      }
      metricdb::ScanMatrix m{gathered.data(), allowed.size(), size_t(dim), false};
      metricdb::ScanOptions so;
      so.max_threads = 1;
      float d[kK];
      int64_t rows_out[kK];
      metricdb::ExactScan(m, queries.row(q), 1, kK, so, d, rows_out);
      for (int j = 0; j < kK; ++j) {
        if (rows_out[j] >= 0) scanned[q].push_back(allowed[rows_out[j]]);
      }
    }
    const double scan_qps = double(nq) / Seconds(start);
    std::printf("| %.1f%% | %zu | %.4f | %.0f | %d | %.4f | %.0f | %.4f | %.0f |\n",
                selectivity * 100, allowed.size(), filtered.second, filtered.first, k_post,
                post.second, post.first, RecallOf(scanned, truth), scan_qps);
    std::fflush(stdout);
  }
  return 0;
}
