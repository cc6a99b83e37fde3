// Quantised HNSW through the server (issue #23): for each index (float HNSW,
// sq8, sq4; same M and ef_construction) a server of its own on an embedded
// data directory, the rows streamed in, BuildIndex (the codes trained on all
// of them), then: the server's RSS once idle, the index memory by part from
// GetCollection, and batched searches (RPCs of --batch queries, one client)
// over an ef_search sweep (the quantised ones at --rerank) with recall@10
// against exact search. RSS is split into anonymous memory and mapped file
// pages (the quantised indexes' full vectors are the latter).
//   --data DIR          Fashion-MNIST (train.npy, test.npy)
//   --synthetic N       N x 128 embeddings (as quantized_bench --synthetic)
#include <faiss/IndexFlat.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "bench/bench_util.h"
#include "bench/server_helpers.h"
#include "bench/synthetic_embeddings.h"
#include "client/loaders/npy_file.h"
#include "client/metricdb_client.h"
#include "tests/testing/server_process.h"

namespace {

using metricdb::Matrix;
using metricdb::bench::Check;
using metricdb::bench::Clock;
using metricdb::bench::Seconds;
namespace v1 = metricdb::v1;

constexpr int kK = 10;

struct Point {
  double qps, recall;
};

// `clients` threads send the RPCs, each one at a time (so up to `clients`
// are in flight): with one, the server idles while an answer travels back
// and the next request comes in; with more, it is kept busy.
Point Batched(metricdb::Client& client, const Matrix& q, int64_t nq, int batch, int ef, int rerank,
              int clients, const std::vector<faiss::Index::idx_t>& truth) {
  std::vector<v1::SearchRequest> requests;
  for (int64_t s = 0; s < nq; s += batch) {
    v1::SearchRequest req;
    req.set_collection("c");
    req.set_k(kK);
    req.mutable_params()->set_ef_search(ef);
    req.mutable_params()->set_rerank(rerank);
    for (int64_t i = s; i < std::min(nq, s + batch); ++i) {
      req.add_queries()->mutable_values()->Add(q.row(i), q.row(i) + q.cols);
    }
    requests.push_back(std::move(req));
  }
  std::vector<v1::SearchResponse> responses(requests.size());
  std::atomic<size_t> next{0};
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      for (size_t i; (i = next++) < requests.size();) {
        responses[i] = Check(client.Search(requests[i]), "search");
      }
    });
  }
  for (auto& t : threads) t.join();
  const double qps = double(nq) / Seconds(t0);
  int64_t hit = 0, row = 0;
  for (const auto& resp : responses) {
    for (const auto& result : resp.results()) {
      std::set<int64_t> t(truth.begin() + row * kK, truth.begin() + (row + 1) * kK);
      for (const auto& h : result.hits()) hit += t.count(std::stoll(h.key().substr(1)));
      ++row;
    }
  }
  return {qps, double(hit) / double(nq * kK)};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"quantized_server_bench: float vs quantised HNSW through the server"};
  std::string work = "/tmp/metricdb-quantized-bench";
  metricdb::bench::DataSet set;
  int m = 32, ef_construction = 200, batch = 100, rounds = 3, rerank = 0, clients = 1;
  std::vector<int> efs{12, 16, 24, 32, 64};
  int code_dims = 0;
  std::vector<std::string> only;
  metricdb::bench::AddDataSetOptions(app, &set);
  app.add_option("--m", m, "HNSW M")->capture_default_str();
  app.add_option("--ef-construction", ef_construction, "HNSW ef_construction")
      ->capture_default_str();
  app.add_option("--ef", efs, "ef_search sweep")->capture_default_str();
  app.add_option("--batch", batch, "Queries per RPC")->capture_default_str();
  app.add_option("--clients", clients, "Client threads, one RPC in flight each")
      ->capture_default_str();
  app.add_option("--rerank", rerank, "Quantised indexes: re-rank depth per query (0: default)")
      ->capture_default_str();
  app.add_option("--rounds", rounds, "Passes per point (best kept)")->capture_default_str();
  app.add_option("--code-dims", code_dims,
                 "Also an sq8 graph on codes of this many principal axes (sq8-pN)");
  app.add_option("--only", only,
                 "Run only these variants (float, sq8, sq4, sq8-pN); float "
                 "always runs: the others are compared with it");
  app.add_option("--work", work, "Directory for the servers' data")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  Matrix train, queries;
  metricdb::bench::LoadDataSet(&set, &train, &queries);
  const int64_t nq = set.queries;
  const int dim = int(train.cols);
  faiss::IndexFlatL2 flat(dim);
  flat.add(train.rows, train.values.data());
  std::vector<float> gd(nq * kK);
  std::vector<faiss::Index::idx_t> truth(nq * kK);
  flat.search(nq, queries.values.data(), kK, gd.data(), truth.data());

  struct Variant {
    std::string name;
    v1::Quantization q;
    int code_dims;
    std::vector<Point> points;
  };
  std::vector<Variant> all = {
      {"float", v1::QUANTIZATION_NONE, 0, {}}, {"sq8", v1::SQ8, 0, {}}, {"sq4", v1::SQ4, 0, {}}};
  if (code_dims > 0) all.push_back({"sq8-p" + std::to_string(code_dims), v1::SQ8, code_dims, {}});
  std::vector<Variant> variants;
  for (Variant& v : all) {
    if (v.name == "float" || only.empty() ||
        std::find(only.begin(), only.end(), v.name) != only.end()) {
      variants.push_back(v);
    }
  }
  std::printf(
      "### %lld x %d through the server, M=%d, ef_construction=%d, %lld queries in RPCs "
      "of %d, %d client thread(s)\n\n",
      (long long)train.rows, dim, m, ef_construction, (long long)nq, batch, clients);
  std::printf(
      "| index | load + BuildIndex s | server RSS MiB (idle): anonymous + file | index "
      "process memory B/vec | graph | codes | full vectors |\n"
      "|---|---|---|---|---|---|---|\n");
  for (Variant& v : variants) {
    const std::string dir = work + "/" + v.name;
    std::filesystem::remove_all(dir);  // a fresh data directory per index
    metricdb::testing::ServerProcess server(dir, {"--log-level", "warn"});
    Check(server.Start(), "server");
    metricdb::ClientOptions co;
    co.address = server.address();
    auto client = metricdb::Client::Connect(co);
    v1::CollectionSchema schema;
    schema.set_name("c");
    schema.set_dim(dim);
    schema.set_metric(v1::L2);
    auto* hnsw = schema.mutable_index()->mutable_hnsw();
    hnsw->set_m(m);
    hnsw->set_ef_construction(ef_construction);
    hnsw->set_quantization(v.q);
    hnsw->set_code_dims(v.code_dims);
    Check(client->CreateCollection(schema), "create");
    const auto t0 = Clock::now();
    metricdb::bench::Load(*client, "c", train.values.data(), train.rows, dim);
    v1::BuildIndexRequest build;
    build.set_name("c");
    Check(client->BuildIndex(build), "build");
    const double built = Seconds(t0);
    metricdb::bench::WaitIdle(server.pid());
    const long anon_kib = metricdb::bench::ProcStatusKiB(server.pid(), "RssAnon:");
    const long file_kib = metricdb::bench::ProcStatusKiB(server.pid(), "RssFile:");
    const auto info = Check(client->GetCollection("c"), "info");
    const auto& st = info.stats();
    const double n = double(train.rows);
    std::printf("| %s | %.1f | %.0f + %.0f | %.0f | %.0f | %.0f | %.0f%s |\n", v.name.c_str(),
                built, anon_kib / 1024.0, file_kib / 1024.0, st.index_memory_bytes() / n,
                st.index_graph_bytes() / n, st.index_code_bytes() / n, st.index_vector_bytes() / n,
                st.index_vectors_mapped() ? " (mapped file)" : "");
    std::fflush(stdout);
    for (int ef : efs) {
      Point best{0, 0};
      for (int r = 0; r < rounds; ++r) {
        const Point p = Batched(*client, queries, nq, batch, ef,
                                v.q == v1::QUANTIZATION_NONE ? 0 : rerank, clients, truth);
        if (p.qps > best.qps) best = p;
      }
      v.points.push_back(best);
    }
  }
  std::printf("\n| ef_search | float recall | float q/s |");
  for (size_t j = 1; j < variants.size(); ++j) {
    std::printf(" %s recall | q/s | vs float |", variants[j].name.c_str());
  }
  std::printf("\n|---|---|---|");
  for (size_t j = 1; j < variants.size(); ++j) std::printf("---|---|---|");
  std::printf("\n");
  for (size_t i = 0; i < efs.size(); ++i) {
    const Point& f = variants[0].points[i];
    std::printf("| %d | %.4f | %.0f |", efs[i], f.recall, f.qps);
    for (size_t j = 1; j < variants.size(); ++j) {
      const Point& p = variants[j].points[i];
      std::printf(" %.4f | %.0f | %.2f |", p.recall, p.qps, p.qps / f.qps);
    }
    std::printf("\n");
  }
  return 0;
}
