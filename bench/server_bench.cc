// Foundation benchmark on Fashion-MNIST: metricdb through its server versus
// the components it wraps, measured in one run (ratios, not absolute times).
//
//   bench/run_fashion_mnist.sh        (prepares the data, runs this, prints markdown)
//
// Measures:
//   load    `metricdb load` (the CLI streaming acknowledged, fsynced batches to
//           the server) vs writing the same records straight into RocksDB
//           in-process with the same batch size and the same fsync per batch;
//   search  all test queries batched through the server vs faiss IndexFlatL2
//           in-process; one query per RPC (p50/p99) vs one faiss search per
//           query; recall@10 of the server against faiss's exact results;
//   memory  server RSS after the load.
#include <faiss/IndexFlat.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <sys/wait.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "bench/bench_util.h"
#include "client/loaders/matrix_file.h"
#include "client/loaders/npy_file.h"
#include "client/metricdb_client.h"
#include "engine/collection/engine.h"
#include "tests/testing/server_process.h"

namespace {

using metricdb::bench::Check;
using metricdb::bench::Clock;
using metricdb::bench::Seconds;

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(p * v.size()))];
}

// Writes `rows` records (key, label, raw vector bytes) into a fresh RocksDB
// in batches of `batch`, each synced like metricdb's. Returns records/s.
double RawRocksDbWrite(const std::string& dir, const metricdb::Matrix& m,
                       const std::vector<std::string>& labels, int batch) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.IncreaseParallelism(2);
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(options, dir, &raw).ok()) std::exit(1);
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  const auto t0 = Clock::now();
  for (int64_t start = 0; start < m.rows; start += batch) {
    rocksdb::WriteBatch wb;
    for (int64_t i = start; i < std::min(m.rows, start + batch); ++i) {
      std::string value(reinterpret_cast<const char*>(m.row(i)), m.cols * 4);
      value += labels[i];
      wb.Put("row" + std::to_string(i), value);
    }
    if (!db->Write(wo, &wb).ok()) std::exit(1);
  }
  const double s = Seconds(t0, Clock::now());
  db->Close();
  return m.rows / s;
}

// The same batches through the engine in-process (no gRPC, no CLI): splits
// the gap between raw RocksDB and the server. Returns records/s.
double EngineUpsert(const std::string& dir, const metricdb::Matrix& m,
                    const std::vector<std::string>& labels, int batch) {
  metricdb::EngineOptions options;
  options.data_dir = dir;
  auto engine = Check(metricdb::Engine::Open(options), "engine");
  metricdb::CollectionSchema schema;
  schema.name = "fmnist";
  schema.dim = int32_t(m.cols);
  auto collection = Check(engine->CreateCollection(schema), "create");
  const auto t0 = Clock::now();
  for (int64_t start = 0; start < m.rows; start += batch) {
    std::vector<metricdb::Record> records;
    for (int64_t i = start; i < std::min(m.rows, start + batch); ++i) {
      metricdb::Record r;
      r.key = "row" + std::to_string(i);
      r.vector.assign(m.row(i), m.row(i) + m.cols);
      r.label = labels[i];
      records.push_back(std::move(r));
    }
    Check(collection->Upsert(std::move(records)), "upsert");
  }
  return m.rows / Seconds(t0, Clock::now());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"metricdb foundation benchmark (Fashion-MNIST)"};
  std::string data = "bench/data", work = "/tmp/metricdb-bench", cli_bin;
  int single_queries = 500;
  int repeats = 3;
  app.add_option("--data", data, "Directory made by prepare_fashion_mnist.py");
  app.add_option("--work", work, "Scratch directory (wiped)");
  app.add_option("--cli", cli_bin, "Path of the metricdb CLI")->required();
  app.add_option("--single-queries", single_queries, "Queries sent one per RPC");
  app.add_option("--repeats", repeats, "Load measurements are repeated; medians are reported");
  bool engine_only = false;
  app.add_flag("--engine-only", engine_only,
               "Only time raw RocksDB and the in-process engine load (for profiling)");
  CLI11_PARSE(app, argc, argv);

  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  const auto train = Check(metricdb::ReadNpy(data + "/train.npy"), "train.npy");
  const auto test = Check(metricdb::ReadNpy(data + "/test.npy"), "test.npy");
  const auto labels = Check(metricdb::ReadLines(data + "/train_labels.txt"), "labels");
  const int dim = int(train.cols);
  const int load_batch = std::max<int>(1, (4 << 20) / (dim * 4 + 64));  // the CLI's default
  std::printf("train %lld x %d, test %lld queries, load batch %d\n", (long long)train.rows, dim,
              (long long)test.rows, load_batch);

  if (engine_only) {
    for (int r = 0; r < repeats; ++r) {
      const std::string round = work + "/round" + std::to_string(r);
      std::printf("raw %.0f/s  engine %.0f/s\n",
                  RawRocksDbWrite(round + "-raw", train, labels, load_batch),
                  EngineUpsert(round + "-engine", train, labels, load_batch));
    }
    return 0;
  }
  // --- load: each variant `repeats` times, interleaved, into fresh stores --
  std::vector<double> raw_rates, engine_rates, stream_rates, wall_rates;
  std::unique_ptr<metricdb::testing::ServerProcess> server;
  std::string addr, base_cmd;
  for (int r = 0; r < repeats; ++r) {
    const std::string round = work + "/round" + std::to_string(r);
    raw_rates.push_back(RawRocksDbWrite(round + "-raw", train, labels, load_batch));
    engine_rates.push_back(EngineUpsert(round + "-engine", train, labels, load_batch));
    std::filesystem::remove_all(round + "-raw");
    std::filesystem::remove_all(round + "-engine");
    if (server) server->Stop();
    server = std::make_unique<metricdb::testing::ServerProcess>(
        round + "-server", std::vector<std::string>{"--log-level", "warn"});
    if (auto s = server->Start(); !s.ok()) {
      std::cerr << s << "\n";
      return 1;
    }
    addr = server->address();
    base_cmd = cli_bin + " --addr " + addr + " ";
    if (std::system(
            (base_cmd + "create fmnist --dim " + std::to_string(dim) + " --metric l2 > /dev/null")
                .c_str()) != 0) {
      return 1;
    }
    const auto t_load = Clock::now();
    FILE* p = popen((base_cmd + "load fmnist " + data + "/train.npy --labels " + data +
                     "/train_labels.txt --key-prefix row --json")
                        .c_str(),
                    "r");
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    if (pclose(p) != 0) return 1;
    wall_rates.push_back(train.rows / Seconds(t_load, Clock::now()));
    stream_rates.push_back(nlohmann::json::parse(out)["vectors_per_second"].get<double>());
  }
  const double raw_rate = Percentile(raw_rates, 0.5);
  const double engine_rate = Percentile(engine_rates, 0.5);
  const double stream_rate = Percentile(stream_rates, 0.5);
  const double wall_rate = Percentile(wall_rates, 0.5);
  const long rss_kib = metricdb::bench::ProcStatusKiB(server->pid(), "VmRSS:");

  // --- search: in-process reference -------------------------------------
  faiss::IndexFlatL2 flat(dim);
  flat.add(train.rows, train.values.data());
  const int k = 10;
  const int64_t nq = test.rows;
  std::vector<float> ref_d(nq * k);
  std::vector<faiss::Index::idx_t> ref_i(nq * k);
  auto t0 = Clock::now();
  flat.search(nq, test.values.data(), k, ref_d.data(), ref_i.data());
  const double faiss_batch_s = Seconds(t0, Clock::now());

  // --- search: batched through the server --------------------------------
  metricdb::ClientOptions co;
  co.address = addr;
  auto client = metricdb::Client::Connect(co);
  // Returns seconds for all test queries sent `per_rpc` at a time, and the
  // recall@10 of the answers against faiss's exact results.
  auto batched = [&](int per_rpc) {
    std::vector<std::vector<std::string>> got(nq);
    const auto start_time = Clock::now();
    for (int64_t start = 0; start < nq; start += per_rpc) {
      metricdb::v1::SearchRequest req;
      req.set_collection("fmnist");
      req.set_k(k);
      for (int64_t q = start; q < std::min(nq, start + per_rpc); ++q) {
        req.add_queries()->mutable_values()->Add(test.row(q), test.row(q) + dim);
      }
      auto resp = Check(client->Search(req), "search");
      for (int i = 0; i < resp.results_size(); ++i) {
        for (const auto& h : resp.results(i).hits()) got[start + i].push_back(h.key());
      }
    }
    const double seconds = Seconds(start_time, Clock::now());
    int64_t matched = 0;
    for (int64_t q = 0; q < nq; ++q) {
      std::set<std::string> truth;
      for (int j = 0; j < k; ++j) truth.insert("row" + std::to_string(ref_i[q * k + j]));
      for (const auto& key : got[q]) matched += truth.count(key);
    }
    return std::make_pair(seconds, double(matched) / double(nq * k));
  };
  const auto [server_all_s, recall] = batched(int(nq));
  const auto [server_1000_s, recall_1000] = batched(1000);

  // --- search: one query per call ----------------------------------------
  std::vector<double> faiss_lat, server_lat;
  for (int q = 0; q < single_queries; ++q) {
    float d[k];
    faiss::Index::idx_t ids[k];
    auto a = Clock::now();
    flat.search(1, test.row(q), k, d, ids);
    faiss_lat.push_back(Seconds(a, Clock::now()) * 1e3);
    metricdb::v1::SearchRequest req;
    req.set_collection("fmnist");
    req.set_k(k);
    req.add_queries()->mutable_values()->Add(test.row(q), test.row(q) + dim);
    a = Clock::now();
    Check(client->Search(req), "search");
    server_lat.push_back(Seconds(a, Clock::now()) * 1e3);
  }
  // The fixed cost of one Search RPC: the same query against a collection
  // of one record, where the scan itself takes microseconds.
  std::vector<double> tiny_lat;
  {
    metricdb::v1::CollectionSchema schema;
    schema.set_name("tiny");
    schema.set_dim(dim);
    schema.set_metric(metricdb::v1::L2);
    Check(client->CreateCollection(schema), "create tiny");
    metricdb::v1::UpsertRequest one;
    one.set_collection("tiny");
    auto* r = one.add_records();
    r->set_key("only");
    r->mutable_vector()->Add(train.row(0), train.row(0) + dim);
    Check(client->UpsertBatch(one), "upsert tiny");
    for (int q = 0; q < single_queries; ++q) {
      metricdb::v1::SearchRequest req;
      req.set_collection("tiny");
      req.set_k(k);
      req.add_queries()->mutable_values()->Add(test.row(q), test.row(q) + dim);
      const auto a = Clock::now();
      Check(client->Search(req), "search tiny");
      tiny_lat.push_back(Seconds(a, Clock::now()) * 1e6);
    }
  }
  server->Stop();

  const double f50 = Percentile(faiss_lat, 0.5), f99 = Percentile(faiss_lat, 0.99);
  const double s50 = Percentile(server_lat, 0.5), s99 = Percentile(server_lat, 0.99);
  std::printf("\nLoad rates are medians of %d interleaved rounds.\n", repeats);
  std::printf("\n| measure | metricdb | reference | ratio / overhead | target |\n");
  std::printf("|---|---|---|---|---|\n");
  std::printf(
      "| load, records/s (streaming, CLI's own clock) | %.0f | %.0f raw RocksDB | %.2f | >= 0.5 "
      "|\n",
      stream_rate, raw_rate, stream_rate / raw_rate);
  std::printf(
      "| load, records/s (engine Upsert in-process, no gRPC) | %.0f | %.0f raw RocksDB | %.2f | "
      "|\n",
      engine_rate, raw_rate, engine_rate / raw_rate);
  std::printf(
      "| load, records/s (whole `metricdb load` incl. reading the .npy) | %.0f | %.0f raw RocksDB "
      "| %.2f | |\n",
      wall_rate, raw_rate, wall_rate / raw_rate);
  std::printf(
      "| %lld queries in one RPC, queries/s | %.0f | %.0f faiss IndexFlatL2 (one call) | %.2f | >= "
      "0.85 |\n",
      (long long)nq, nq / server_all_s, nq / faiss_batch_s, faiss_batch_s / server_all_s);
  std::printf(
      "| %lld queries, 1000 per RPC, queries/s | %.0f | %.0f faiss IndexFlatL2 (one call) | %.2f | "
      "|\n",
      (long long)nq, nq / server_1000_s, nq / faiss_batch_s, faiss_batch_s / server_1000_s);
  std::printf("| one query per RPC, p50 latency ms | %.2f | %.2f faiss | +%.0f us | <= 200 us |\n",
              s50, f50, (s50 - f50) * 1e3);
  std::printf("| one query per RPC, p99 latency ms | %.2f | %.2f faiss | +%.0f us | |\n", s99, f99,
              (s99 - f99) * 1e3);
  std::printf(
      "| one query per RPC on a 1-record collection (fixed cost of a call), p50 / p99 us | %.0f / "
      "%.0f | | | |\n",
      Percentile(tiny_lat, 0.5), Percentile(tiny_lat, 0.99));
  std::printf("| recall@10 vs exact (both batchings) | %.4f, %.4f | 1.0 | | 1.0 |\n", recall,
              recall_1000);
  std::printf("| server RSS after load | %.0f MiB | %.0f MiB of raw vectors | | |\n",
              rss_kib / 1024.0, train.rows * dim * 4 / 1048576.0);
  return 0;
}
