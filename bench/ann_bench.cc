// Approximate-index benchmark (issue #3), measured in one run:
//   --mode curves   Fashion-MNIST: recall@10 vs QPS for an HNSW ef_search sweep
//                   and an IVF_FLAT nprobe sweep, through the server (batched, and
//                   one query per RPC from concurrent clients) beside faiss
//                   in-process with identical parameters.
//   --mode rpc      one query per RPC with 1, 2, 4 client threads against an
//                   HNSW collection: q/s and the server's CPU time per query.
//   --mode restart  seeded synthetic N x 128 HNSW collection: server restart
//                   time from its snapshot vs a full rebuild, and peak RSS.
// hnswlib's side of the curves comes from bench/hnswlib_reference.py.
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>
#include <omp.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>

#include "bench/bench_util.h"
#include "bench/server_helpers.h"
#include "client/loaders/npy_file.h"
#include "client/metricdb_client.h"
#include "tests/testing/oracle.h"
#include "tests/testing/proc_stat.h"
#include "tests/testing/server_process.h"

namespace {

using metricdb::Matrix;
using metricdb::bench::Check;
using metricdb::bench::Clock;
using metricdb::bench::Load;
using metricdb::bench::ProcessCpuSeconds;
using metricdb::bench::Seconds;
using metricdb::bench::WaitIdle;

double Recall(const std::vector<int64_t>& got, const std::vector<faiss::Index::idx_t>& truth,
              int64_t nq, int k) {
  int64_t hit = 0;
  for (int64_t q = 0; q < nq; ++q) {
    std::set<int64_t> t(truth.begin() + q * k, truth.begin() + (q + 1) * k);
    for (int j = 0; j < k; ++j) hit += t.count(got[q * k + j]);
  }
  return double(hit) / double(nq * k);
}

struct ServerRun {
  double batched_qps, single_qps, recall;
};

// An HNSW collection schema (L2) as every mode of this benchmark creates it.
metricdb::v1::CollectionSchema HnswSchema(const std::string& name, int dim, int m, int efc) {
  metricdb::v1::CollectionSchema schema;
  schema.set_name(name);
  schema.set_dim(dim);
  schema.set_metric(metricdb::v1::L2);
  schema.mutable_index()->mutable_hnsw()->set_m(m);
  schema.mutable_index()->mutable_hnsw()->set_ef_construction(efc);
  return schema;
}

// Queries per second with one query per RPC from `clients` threads, each an
// independent client with its own connection (as separate client processes
// would be), connected before the clock starts.
double OneQueryPerRpc(const metricdb::ClientOptions& options, const std::string& name,
                      const Matrix& q, int64_t nq, int k, const metricdb::v1::SearchParams& params,
                      int clients) {
  metricdb::ClientOptions own = options;
  own.own_connection = true;
  std::vector<std::unique_ptr<metricdb::Client>> connected;
  for (int c = 0; c < clients; ++c) {
    connected.push_back(metricdb::Client::Connect(own));
    Check(connected.back()->GetCollection(name), "connect");
  }
  std::atomic<int64_t> next{0};
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (auto& client : connected) {
    threads.emplace_back([&, c = client.get()] {
      for (int64_t i; (i = next++) < nq;) {
        metricdb::v1::SearchRequest one;
        one.set_collection(name);
        one.set_k(k);
        *one.mutable_params() = params;
        one.add_queries()->mutable_values()->Add(q.row(i), q.row(i) + q.cols);
        Check(c->Search(one), "search");
      }
    });
  }
  for (auto& t : threads) t.join();
  return nq / Seconds(t0);
}

// All queries in one RPC, then one query per RPC from `clients` threads.
ServerRun RunServer(metricdb::Client& client, const metricdb::ClientOptions& options,
                    const std::string& name, const Matrix& q, int64_t nq, int k,
                    const metricdb::v1::SearchParams& params,
                    const std::vector<faiss::Index::idx_t>& truth, int clients) {
  metricdb::v1::SearchRequest req;
  req.set_collection(name);
  req.set_k(k);
  *req.mutable_params() = params;
  for (int64_t i = 0; i < nq; ++i) {
    req.add_queries()->mutable_values()->Add(q.row(i), q.row(i) + q.cols);
  }
  auto t0 = Clock::now();
  auto resp = Check(client.Search(req), "search");
  const double batched = nq / Seconds(t0);
  std::vector<int64_t> got(nq * k, -1);
  for (int64_t i = 0; i < nq; ++i) {
    const auto& hits = resp.results(int(i)).hits();
    for (int j = 0; j < hits.size() && j < k; ++j)
      got[i * k + j] = std::stoll(hits[j].key().substr(1));
  }
  return {batched, OneQueryPerRpc(options, name, q, nq, k, params, clients),
          Recall(got, truth, nq, k)};
}

// faiss in-process: all queries in one call, and one at a time on one thread.
std::pair<double, double> RunFaiss(faiss::Index& index, const Matrix& q, int64_t nq, int k,
                                   const faiss::SearchParameters& params,
                                   const std::vector<faiss::Index::idx_t>& truth, double* recall) {
  std::vector<float> d(nq * k);
  std::vector<faiss::Index::idx_t> ids(nq * k);
  auto t0 = Clock::now();
  index.search(nq, q.values.data(), k, d.data(), ids.data(), &params);
  const double batched = nq / Seconds(t0);
  std::vector<int64_t> got(ids.begin(), ids.end());
  *recall = Recall(got, truth, nq, k);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  t0 = Clock::now();
  for (int64_t i = 0; i < nq; ++i) {
    index.search(1, q.row(i), k, d.data(), ids.data(), &params);
  }
  const double single = nq / Seconds(t0);
  omp_set_num_threads(threads);
  return {batched, single};
}

int Curves(const std::string& data, const std::string& work, int64_t nq) {
  const auto train = Check(metricdb::ReadNpy(data + "/train.npy"), "train");
  auto test = Check(metricdb::ReadNpy(data + "/test.npy"), "test");
  test.rows = std::min(test.rows, nq);
  test.values.resize(test.rows * test.cols);
  const int dim = int(train.cols), k = 10;
  // Exact ground truth.
  faiss::IndexFlatL2 flat(dim);
  flat.add(train.rows, train.values.data());
  std::vector<float> gd(nq * k);
  std::vector<faiss::Index::idx_t> truth(nq * k);
  flat.search(nq, test.values.data(), k, gd.data(), truth.data());

  metricdb::testing::ServerProcess server(work + "/curves", {"--log-level", "warn"});
  Check(server.Start(), "server");
  metricdb::ClientOptions co;
  co.address = server.address();
  auto client = metricdb::Client::Connect(co);

  std::printf("\n### HNSW, M=32, ef_construction=200 (%lld train, %lld queries)\n\n",
              (long long)train.rows, (long long)nq);
  metricdb::v1::CollectionSchema schema = HnswSchema("hnsw", dim, 32, 200);
  Check(client->CreateCollection(schema), "create");
  auto t0 = Clock::now();
  Load(*client, "hnsw", train.values.data(), train.rows, dim);
  const double server_build = Seconds(t0);
  faiss::IndexHNSWFlat hnsw(dim, 32);
  hnsw.hnsw.efConstruction = 200;
  t0 = Clock::now();
  hnsw.add(train.rows, train.values.data());
  const double faiss_build = Seconds(t0);
  std::printf("build: server (streamed load, incl. storage) %.1f s, faiss in-process %.1f s\n\n",
              server_build, faiss_build);
  std::printf(
      "| ef_search | recall@10 server | recall@10 faiss | server batched q/s | faiss batched q/s | "
      "ratio | server 1/RPC, 2 clients q/s | faiss 1 thread 1 query q/s |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (int ef : {16, 32, 64, 128, 256}) {
    metricdb::v1::SearchParams p;
    p.set_ef_search(ef);
    const ServerRun s = RunServer(*client, co, "hnsw", test, nq, k, p, truth, 2);
    // How a faiss user sets ef_search: on the index (faiss 1.7.3 sizes its
    // queue from the index's own efSearch, see HnswVectorIndex::Search).
    hnsw.hnsw.efSearch = ef;
    faiss::SearchParametersHNSW fp;
    fp.efSearch = ef;
    double frecall;
    const auto [fb, fs] = RunFaiss(hnsw, test, nq, k, fp, truth, &frecall);
    std::printf("| %d | %.4f | %.4f | %.0f | %.0f | %.2f | %.0f | %.0f |\n", ef, s.recall, frecall,
                s.batched_qps, fb, s.batched_qps / fb, s.single_qps, fs);
  }

  std::printf("\n### IVF_FLAT, nlist=256 (trained on all %lld records, same seed)\n\n",
              (long long)train.rows);
  schema.set_name("ivf");
  schema.mutable_index()->mutable_ivf_flat()->set_nlist(256);
  Check(client->CreateCollection(schema), "create");
  Load(*client, "ivf", train.values.data(), train.rows, dim);
  metricdb::v1::BuildIndexRequest build;
  build.set_name("ivf");
  t0 = Clock::now();
  Check(client->BuildIndex(build), "build");
  const double server_train = Seconds(t0);
  faiss::IndexFlatL2 quantizer(dim);
  faiss::IndexIVFFlat ivf(&quantizer, dim, 256);
  ivf.cp.seed = 1234;
  t0 = Clock::now();
  ivf.train(train.rows, train.values.data());
  ivf.add(train.rows, train.values.data());
  std::printf("build (train + add): server BuildIndex %.1f s, faiss in-process %.1f s\n\n",
              server_train, Seconds(t0));
  std::printf(
      "| nprobe | recall@10 server | recall@10 faiss | server batched q/s | faiss batched q/s | "
      "ratio | server 1/RPC, 2 clients q/s | faiss 1 thread 1 query q/s |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (int nprobe : {1, 2, 4, 8, 16, 32}) {
    metricdb::v1::SearchParams p;
    p.set_nprobe(nprobe);
    const ServerRun s = RunServer(*client, co, "ivf", test, nq, k, p, truth, 2);
    faiss::SearchParametersIVF fp;
    fp.nprobe = nprobe;
    double frecall;
    const auto [fb, fs] = RunFaiss(ivf, test, nq, k, fp, truth, &frecall);
    std::printf("| %d | %.4f | %.4f | %.0f | %.0f | %.2f | %.0f | %.0f |\n", nprobe, s.recall,
                frecall, s.batched_qps, fb, s.batched_qps / fb, s.single_qps, fs);
  }
  server.Stop();
  return 0;
}

// One query per RPC against an HNSW collection of Fashion-MNIST: throughput
// with 1, 2 and 4 client threads, and the server's CPU time per query (what
// a query costs the server, whoever else shares the cores).
int Rpc(const std::string& data, const std::string& work, int64_t nq) {
  const auto train = Check(metricdb::ReadNpy(data + "/train.npy"), "train");
  auto test = Check(metricdb::ReadNpy(data + "/test.npy"), "test");
  nq = std::min(nq, test.rows);
  const int dim = int(train.cols), k = 10;
  metricdb::testing::ServerProcess server(work + "/rpc", {"--log-level", "warn"});
  Check(server.Start(), "server");
  metricdb::ClientOptions co;
  co.address = server.address();
  auto client = metricdb::Client::Connect(co);
  metricdb::v1::CollectionSchema schema = HnswSchema("hnsw", dim, 32, 200);
  Check(client->CreateCollection(schema), "create");
  Load(*client, "hnsw", train.values.data(), train.rows, dim);
  std::printf(
      "\n### One query per RPC, HNSW M=32, ef_construction=200 (%lld train, %lld "
      "queries)\n\n",
      (long long)train.rows, (long long)nq);
  std::printf("(server idle %.1f s after the load before the first query)\n\n",
              WaitIdle(server.pid()));
  std::printf("| ef_search | client threads | q/s | server CPU per query (us) |\n");
  std::printf("|---|---|---|---|\n");
  for (int ef : {16, 32}) {
    metricdb::v1::SearchParams p;
    p.set_ef_search(ef);
    OneQueryPerRpc(co, "hnsw", test, std::min<int64_t>(nq, 200), k, p, 2);  // warm-up
    for (int clients : {1, 2, 4}) {
      const double cpu0 = ProcessCpuSeconds(server.pid());
      const double qps = OneQueryPerRpc(co, "hnsw", test, nq, k, p, clients);
      const double cpu = ProcessCpuSeconds(server.pid()) - cpu0;
      std::printf("| %d | %d | %.0f | %.0f |\n", ef, clients, qps, cpu / double(nq) * 1e6);
    }
  }
  server.Stop();
  return 0;
}

int Restart(const std::string& work, int64_t n) {
  const int dim = 128;
  std::printf("\n### Restart of a %lld x %d HNSW collection (M=16, ef_construction=100)\n\n",
              (long long)n, dim);
  const std::string dir = work + "/restart";
  auto start_server = [&]() {
    auto s = std::make_unique<metricdb::testing::ServerProcess>(
        dir, std::vector<std::string>{"--log-level", "warn", "--snapshot-interval-s", "0"});
    auto t0 = Clock::now();
    Check(s->Start(std::chrono::hours(2)), "server");  // a rebuild takes long
    const double secs = Seconds(t0);
    return std::make_pair(std::move(s), secs);
  };
  auto [server, first_start] = start_server();
  metricdb::ClientOptions co;
  co.address = server->address();
  auto client = metricdb::Client::Connect(co);
  metricdb::v1::CollectionSchema schema = HnswSchema("big", dim, 16, 100);
  Check(client->CreateCollection(schema), "create");
  auto t0 = Clock::now();
  for (int64_t s = 0; s < n; s += 100000) {  // generate and stream in slices
    const int64_t m = std::min<int64_t>(100000, n - s);
    const auto rows = metricdb::testing::RandomVectors(m, dim, uint32_t(1000 + s / 100000));
    auto stream = client->OpenUpsertStream(8);
    const int64_t batch = 8000;
    for (int64_t b = 0; b < m; b += batch) {
      metricdb::v1::UpsertRequest req;
      req.set_collection("big");
      for (int64_t i = b; i < std::min(m, b + batch); ++i) {
        auto* r = req.add_records();
        r->set_key("r" + std::to_string(s + i));
        r->mutable_vector()->Add(rows.begin() + i * dim, rows.begin() + (i + 1) * dim);
      }
      Check(stream->Write(req), "upsert");
    }
    Check(stream->Finish(), "upsert finish");
  }
  const double load = Seconds(t0);
  client.reset();  // an open channel would hold the shutdown for its grace period
  t0 = Clock::now();
  server->Stop();  // writes the snapshot
  const double stop = Seconds(t0);

  auto [from_snapshot, snap_start] = start_server();
  const long snap_hwm = metricdb::bench::ProcStatusKiB(from_snapshot->pid(), "VmHWM:");
  from_snapshot->Stop();
  for (const auto& e : std::filesystem::directory_iterator(dir + "/snapshots")) {
    std::filesystem::remove(e.path());
  }
  auto [rebuilt, rebuild_start] = start_server();
  const long rebuild_hwm = metricdb::bench::ProcStatusKiB(rebuilt->pid(), "VmHWM:");
  rebuilt->Kill();

  std::printf("| measure | value |\n|---|---|\n");
  std::printf("| load (streamed, index built as it arrives) | %.1f s |\n", load);
  std::printf("| graceful stop (writes the snapshot) | %.1f s |\n", stop);
  std::printf("| restart from snapshot, until serving | %.1f s |\n", snap_start);
  std::printf("| restart with a full rebuild, until serving | %.1f s |\n", rebuild_start);
  std::printf("| snapshot restart / rebuild | %.3f (target <= 0.10) |\n",
              snap_start / rebuild_start);
  std::printf("| peak RSS, restart from snapshot | %.0f MiB |\n", snap_hwm / 1024.0);
  std::printf("| peak RSS, restart with rebuild | %.0f MiB |\n", rebuild_hwm / 1024.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"metricdb approximate-index benchmark"};
  std::string mode = "curves", data = "bench/data", work = "/tmp/metricdb-ann-bench";
  int64_t queries = 1000, n = 1000000;
  app.add_option("--mode", mode, "curves|rpc|restart")
      ->check(CLI::IsMember({"curves", "rpc", "restart"}));
  app.add_option("--data", data, "Directory made by prepare_fashion_mnist.py");
  app.add_option("--work", work, "Scratch directory (wiped)");
  app.add_option("--queries", queries, "Test queries used by the curves");
  app.add_option("--records", n, "Records of the restart collection");
  CLI11_PARSE(app, argc, argv);
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  if (mode == "curves") return Curves(data, work, queries);
  if (mode == "rpc") return Rpc(data, work, queries);
  return Restart(work, n);
}
