// Quantised HNSW benchmark (issue #23), in-process, one run: float HNSW
// (HnswVectorIndex) beside the quantised graphs (QuantizedHnswIndex, sq8 and
// sq4) with the same M and ef_construction, on Fashion-MNIST (--data) or a
// synthetic set of learned-embedding-like vectors (--synthetic N: N x 128,
// a mixture of N / --per-identity identities). Reports build time (all cores), index
// memory per vector by part, the recall@10 / q/s curve one query per call on
// one thread (the indexes' passes interleaved, best of --rounds), and recall at the same ef under a
// label filter and after 10% deletes. Ground truth: exact search (FlatVectorIndex).
#include <omp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <numeric>
#include <random>
#include <set>
#include <unordered_set>
#include <vector>

#include "bench/bench_util.h"
#include "bench/synthetic_embeddings.h"
#include "client/loaders/npy_file.h"
#include "engine/index/vector_index.h"

namespace {

using metricdb::IndexSpec;
using metricdb::Matrix;
using metricdb::bench::Check;
using metricdb::bench::Clock;
using metricdb::bench::Seconds;

constexpr int kK = 10;

struct Filter final : metricdb::IdFilter {
  std::function<bool(int64_t)> f;
  bool Allows(int64_t id) const override { return f(id); }
};

// Exact top-k ids per query among the ids `allowed` accepts.
std::vector<int64_t> Truth(const Matrix& train, const Matrix& queries, int64_t nq,
                           const metricdb::IdFilter* allowed) {
  metricdb::CollectionSchema s;
  s.dim = int32_t(train.cols);
  auto flat = Check(metricdb::MakeVectorIndex(s), "flat");
  std::vector<int64_t> ids(train.rows);
  std::iota(ids.begin(), ids.end(), 0);
  Check(flat->Add(ids, train.values.data()), "flat add");
  std::vector<float> d;
  std::vector<int64_t> got;
  Check(flat->Search(queries.values.data(), nq, kK, allowed, {}, &d, &got), "flat search");
  return got;
}

double Recall(const std::vector<int64_t>& got, const std::vector<int64_t>& truth, int64_t nq) {
  int64_t hit = 0;
  for (int64_t q = 0; q < nq; ++q) {
    std::set<int64_t> t(truth.begin() + q * kK, truth.begin() + (q + 1) * kK);
    for (int j = 0; j < kK; ++j) hit += t.count(got[q * kK + j]);
  }
  return double(hit) / double(nq * kK);
}

struct Run {
  double seconds_per_query;
  double recall;
};

// One pass: each query in its own call, on one thread.
Run Pass(const metricdb::VectorIndex& index, const Matrix& queries, int64_t nq,
         const metricdb::SearchTuning& tuning, const metricdb::IdFilter* filter,
         const std::vector<int64_t>& truth) {
  std::vector<int64_t> got(nq * kK);
  std::vector<float> d;
  std::vector<int64_t> ids;
  const auto t0 = Clock::now();
  for (int64_t i = 0; i < nq; ++i) {
    Check(index.Search(queries.row(i), 1, kK, filter, tuning, &d, &ids), "search");
    std::copy(ids.begin(), ids.end(), got.begin() + i * kK);
  }
  const double seconds = Seconds(t0) / double(nq);
  return {seconds, Recall(got, truth, nq)};
}

// Each configuration's best pass of `rounds`, the configurations' passes
// interleaved (round by round), so that a slow spell of a shared machine
// falls on all of them alike; each timed pass follows an untimed one of the
// same configuration, so that it finds its index in the caches as a steady
// stream of queries would.
struct Config {
  const metricdb::VectorIndex* index;
  metricdb::SearchTuning tuning;
};
std::vector<Run> MeasureInterleaved(const std::vector<Config>& configs, const Matrix& queries,
                                    int64_t nq, const std::vector<int64_t>& truth, int rounds) {
  std::vector<Run> best(configs.size(), Run{1e30, 0});
  for (int r = 0; r < rounds; ++r) {
    for (size_t c = 0; c < configs.size(); ++c) {
      Pass(*configs[c].index, queries, nq, configs[c].tuning, nullptr, truth);
      const Run run = Pass(*configs[c].index, queries, nq, configs[c].tuning, nullptr, truth);
      if (run.seconds_per_query < best[c].seconds_per_query) best[c] = run;
    }
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"quantized_bench: quantised vs float HNSW, in-process"};
  std::string scratch = ".", cache;
  metricdb::bench::DataSet set;
  int m = 32, ef_construction = 200, rounds = 5;
  std::vector<int> efs{8, 12, 16, 24, 32, 48, 64, 128};
  std::vector<int> reranks{16, 32};
  bool filters = true;
  std::vector<int> code_dims;
  metricdb::bench::AddDataSetOptions(app, &set);
  app.add_option("--m", m, "HNSW M")->capture_default_str();
  app.add_option("--ef-construction", ef_construction, "HNSW ef_construction")
      ->capture_default_str();
  app.add_option("--ef", efs, "ef_search sweep")->capture_default_str();
  app.add_option("--rerank", reranks, "rerank depths")->capture_default_str();
  app.add_option("--rounds", rounds, "Passes per timing (best kept)")->capture_default_str();
  app.add_option("--scratch", scratch, "Directory for the mapped full vectors")
      ->capture_default_str();
  app.add_option("--cache", cache,
                 "Directory keeping each built index's snapshot: later runs load it instead of "
                 "building (for search experiments; build times then read 'cached')");
  app.add_option("--code-dims", code_dims,
                 "Also sq8 and sq4 graphs on codes of this many principal axes (each value)");
  app.add_option("--filters", filters, "Also measure recall under a filter and after deletes")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  Matrix train, queries;
  metricdb::bench::LoadDataSet(&set, &train, &queries);
  const int64_t nq = set.queries;
  const int dim = int(train.cols);
  std::printf("### %lld x %d, M=%d, ef_construction=%d, %lld queries, k=%d\n\n",
              (long long)train.rows, dim, m, ef_construction, (long long)nq, kK);
  const std::vector<int64_t> truth = Truth(train, queries, nq, nullptr);

  struct Variant {
    std::string name;
    IndexSpec::Quantization q;
    int code_dims;
    std::unique_ptr<metricdb::VectorIndex> index;
    double build = 0;
  };
  std::vector<Variant> variants;
  variants.push_back({"float", IndexSpec::Quantization::kNone, 0, nullptr});
  variants.push_back({"sq8", IndexSpec::Quantization::kSq8, 0, nullptr});
  variants.push_back({"sq4", IndexSpec::Quantization::kSq4, 0, nullptr});
  for (int c : code_dims) {
    variants.push_back({"sq8-p" + std::to_string(c), IndexSpec::Quantization::kSq8, c, nullptr});
    variants.push_back({"sq4-p" + std::to_string(c), IndexSpec::Quantization::kSq4, c, nullptr});
  }
  std::vector<int64_t> ids(train.rows);
  std::iota(ids.begin(), ids.end(), 0);
  std::printf(
      "| index | build s (%d threads) | graph B/vec | codes B/vec | full vectors B/vec "
      "| process memory B/vec | vs float |\n|---|---|---|---|---|---|---|\n",
      omp_get_max_threads());
  double float_bytes = 0;
  for (Variant& v : variants) {
    metricdb::CollectionSchema s;
    s.dim = dim;
    s.index.kind = IndexSpec::Kind::kHnsw;
    s.index.m = m;
    s.index.ef_construction = ef_construction;
    s.index.quantization = v.q;
    s.index.code_dims = v.code_dims;
    Check(metricdb::ResolveIndexSpec(dim, &s.index), "spec");
    v.index = Check(metricdb::MakeVectorIndex(s, {scratch}), "index");
    const std::string cached = cache.empty()
                                   ? ""
                                   : cache + "/" + v.name + "-" + std::to_string(train.rows) + "x" +
                                         std::to_string(dim) + "-m" + std::to_string(m) + ".index";
    std::string bytes;
    if (!cached.empty() && std::ifstream(cached)) {
      std::ifstream in(cached, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), {});
      Check(v.index->Deserialize(bytes), "cached index");
      v.build = -1;
    } else {
      const auto t0 = Clock::now();
      for (int64_t at = 0; at < train.rows; at += 65536) {  // as BuildIndex feeds it, in chunks
        const int64_t n = std::min<int64_t>(65536, train.rows - at);
        Check(v.index->Add(absl::MakeConstSpan(ids).subspan(at, n), train.row(at)), "add");
      }
      v.build = Seconds(t0);
      if (!cached.empty()) {
        Check(v.index->Serialize(&bytes), "serialize");
        std::ofstream(cached, std::ios::binary) << bytes;
      }
    }
    const metricdb::IndexMemory mem = v.index->Memory();
    const double per = double(v.index->MemoryBytes()) / double(train.rows);
    if (v.q == IndexSpec::Quantization::kNone) float_bytes = per;
    const std::string build = v.build < 0 ? "cached" : std::to_string(v.build).substr(0, 5);
    std::printf("| %s | %s | %.0f | %.0f | %.0f%s | %.0f | %.3f |\n", v.name.c_str(), build.c_str(),
                double(mem.graph_bytes) / train.rows, double(mem.code_bytes) / train.rows,
                double(mem.vector_bytes) / train.rows, mem.vectors_mapped ? " (mapped file)" : "",
                per, per / float_bytes);
  }

  omp_set_num_threads(1);
  std::printf("\n| ef | float recall | float q/s |");
  for (size_t i = 1; i < variants.size(); ++i) {
    for (int r : reranks)
      std::printf(" %s r%d recall | q/s | vs float |", variants[i].name.c_str(), r);
  }
  std::printf("\n|---|---|---|");
  for (size_t i = 1; i < variants.size(); ++i) {
    for (size_t j = 0; j < reranks.size(); ++j) std::printf("---|---|---|");
  }
  std::printf("\n");
  for (int ef : efs) {
    metricdb::SearchTuning t;
    t.ef_search = ef;
    std::vector<Config> configs{{variants[0].index.get(), t}};
    for (size_t i = 1; i < variants.size(); ++i) {
      for (int r : reranks) {
        t.rerank = r;
        configs.push_back({variants[i].index.get(), t});
      }
      t.rerank = 0;
    }
    const std::vector<Run> runs = MeasureInterleaved(configs, queries, nq, truth, rounds);
    const Run& base = runs[0];
    std::printf("| %d | %.4f | %.0f |", ef, base.recall, 1 / base.seconds_per_query);
    for (size_t c = 1; c < runs.size(); ++c) {
      std::printf(" %.4f | %.0f | %.2f |", runs[c].recall, 1 / runs[c].seconds_per_query,
                  base.seconds_per_query / runs[c].seconds_per_query);
    }
    std::printf("\n");
    std::fflush(stdout);
  }

  if (!filters) return 0;
  // Label filter (ids of 2 classes in 10: id % 10 < 2), then 10% deletes.
  Filter two_classes;
  two_classes.f = [](int64_t id) { return id % 10 < 2; };
  const std::vector<int64_t> filtered_truth = Truth(train, queries, nq, &two_classes);
  std::mt19937_64 rng(11);
  std::vector<int64_t> gone;
  for (int64_t id : ids) {
    if (rng() % 10 == 0) gone.push_back(id);
  }
  std::unordered_set<int64_t> gone_set(gone.begin(), gone.end());
  Filter live;
  live.f = [&](int64_t id) { return !gone_set.count(id); };
  const std::vector<int64_t> deleted_truth = Truth(train, queries, nq, &live);
  std::printf(
      "\n| ef | index | recall, no filter | recall, filter 20%% | recall after 10%% deletes |"
      "\n|---|---|---|---|---|\n");
  std::vector<std::vector<double>> rows;
  for (int ef : {16, 64}) {
    metricdb::SearchTuning t;
    t.ef_search = ef;
    for (Variant& v : variants) {
      const Run plain = Pass(*v.index, queries, nq, t, nullptr, truth);
      const Run filtered = Pass(*v.index, queries, nq, t, &two_classes, filtered_truth);
      rows.push_back({plain.recall, filtered.recall});
    }
  }
  for (Variant& v : variants) Check(v.index->Remove(gone), "remove");
  size_t row = 0;
  for (int ef : {16, 64}) {
    metricdb::SearchTuning t;
    t.ef_search = ef;
    for (Variant& v : variants) {
      const Run after = Pass(*v.index, queries, nq, t, nullptr, deleted_truth);
      std::printf("| %d | %s | %.4f | %.4f | %.4f |\n", ef, v.name.c_str(), rows[row][0],
                  rows[row][1], after.recall);
      ++row;
    }
  }
  return 0;
}
