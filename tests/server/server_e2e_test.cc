// End to end: the real metricdb-server process on 127.0.0.1, driven through
// the C++ client library over gRPC.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <type_traits>

#include "client/metricdb_client.h"
#include "tests/proto/health.grpc.pb.h"
#include "tests/proto/reflection.grpc.pb.h"
#include "tests/testing/huge_pages.h"
#include "tests/testing/oracle.h"
#include "tests/testing/proc_stat.h"
#include "tests/testing/requests.h"
#include "tests/testing/sanitizers.h"
#include "tests/testing/server_client.h"
#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace metricdb {
namespace {

using testing::OracleKnn;
using testing::OracleMetric;
using testing::RandomVectors;
using testing::ServerProcess;
using testing::TempDir;

using testing::Batch;
using testing::Query;
using testing::Schema;

constexpr int kDim = testing::kDefaultDim;

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> args = {}) {
    server_ = std::make_unique<ServerProcess>(dir_.file("data"), std::move(args));
    ASSERT_OK(server_->Start());
    Connect();
  }
  void Connect() { client_ = testing::ConnectTo(*server_); }
  void Restart() {
    ASSERT_OK(server_->Start());
    Connect();
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(ServerTest, HealthCheckingAndReflectionWork) {
  StartServer();
  auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  for (const char* service : {"", "metricdb.v1.MetricDB"}) {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    ASSERT_TRUE(health->Check(&ctx, req, &resp).ok()) << service;
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }

  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  grpc::ClientContext ctx;
  auto stream = reflection->ServerReflectionInfo(&ctx);
  grpc::reflection::v1alpha::ServerReflectionRequest req;
  req.set_list_services("");
  ASSERT_TRUE(stream->Write(req));
  grpc::reflection::v1alpha::ServerReflectionResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  std::set<std::string> services;
  for (const auto& s : resp.list_services_response().service()) services.insert(s.name());
  EXPECT_TRUE(services.count("metricdb.v1.MetricDB"));
  EXPECT_TRUE(services.count("grpc.health.v1.Health"));
  req.set_file_containing_symbol("metricdb.v1.MetricDB");
  ASSERT_TRUE(stream->Write(req));
  ASSERT_TRUE(stream->Read(&resp));
  EXPECT_GT(resp.file_descriptor_response().file_descriptor_proto_size(), 0);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(ServerTest, EveryRpcWorksAndSearchEqualsBruteForce) {
  StartServer();
  ASSERT_OK_AND_ASSIGN(auto created, client_->CreateCollection(Schema("emb")));
  EXPECT_EQ(created.schema().name(), "emb");
  EXPECT_EQ(created.schema().index().kind_case(), v1::IndexSpec::kFlat);
  ASSERT_OK(client_->CreateCollection(Schema("other", v1::COSINE, 3)));

  const int64_t n = 1500;
  const auto base = RandomVectors(n, kDim, 11);
  // Streamed upsert: three batches, each acknowledged.
  auto stream = client_->OpenUpsertStream();
  for (int b = 0; b < 3; ++b) ASSERT_OK(stream->Write(Batch("emb", base, b * 400, 400)));
  ASSERT_OK(stream->Finish());
  EXPECT_EQ(stream->totals().batches, 3);
  EXPECT_EQ(stream->totals().inserted, 1200);
  // Unary upsert: the rest, plus a replacement of k0 by itself.
  ASSERT_OK_AND_ASSIGN(auto unary, client_->UpsertBatch(Batch("emb", base, 1200, 300)));
  EXPECT_EQ(unary.inserted(), 300);
  ASSERT_OK_AND_ASSIGN(auto replaced, client_->UpsertBatch(Batch("emb", base, 0, 1)));
  EXPECT_EQ(replaced.replaced(), 1);

  ASSERT_OK_AND_ASSIGN(auto info, client_->GetCollection("emb"));
  EXPECT_EQ(info.stats().record_count(), n);
  EXPECT_EQ(info.stats().label_count(), 5);
  EXPECT_GE(info.stats().index_memory_bytes(), n * kDim * 4);
  ASSERT_OK_AND_ASSIGN(auto list, client_->ListCollections());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].schema().name(), "emb");
  EXPECT_EQ(list[1].schema().name(), "other");

  // Batched search equals the oracle, keys, labels and distances.
  const auto queries = RandomVectors(25, kDim, 12);
  v1::SearchRequest search;
  search.set_collection("emb");
  search.set_k(10);
  for (int q = 0; q < 25; ++q) {
    search.add_queries()->mutable_values()->Add(queries.begin() + q * kDim,
                                                queries.begin() + (q + 1) * kDim);
  }
  ASSERT_OK_AND_ASSIGN(auto found, client_->Search(search));
  ASSERT_EQ(found.results_size(), 25);
  for (int q = 0; q < 25; ++q) {
    auto expected = OracleKnn(OracleMetric::kL2, base, kDim, queries.data() + q * kDim, 10);
    ASSERT_EQ(found.results(q).hits_size(), 10);
    for (int j = 0; j < 10; ++j) {
      const auto& hit = found.results(q).hits(j);
      EXPECT_EQ(hit.key(), "k" + std::to_string(expected[j].second));
      EXPECT_EQ(hit.label(), "id" + std::to_string(expected[j].second % 5));
      EXPECT_NEAR(hit.distance(), expected[j].first, 1e-4);
      EXPECT_EQ(hit.vector_size(), 0);
    }
  }

  // Label restriction, vectors and attributes on request.
  auto filtered = Query("emb", queries.data(), 5);
  filtered.add_labels("id3");
  filtered.set_include_vectors(true);
  filtered.set_include_attributes(true);
  ASSERT_OK_AND_ASSIGN(auto fres, client_->Search(filtered));
  ASSERT_EQ(fres.results(0).hits_size(), 5);
  for (const auto& hit : fres.results(0).hits()) {
    EXPECT_EQ(hit.label(), "id3");
    const int64_t row = std::stoll(hit.attributes().at("row"));
    EXPECT_EQ(hit.key(), "k" + std::to_string(row));
    ASSERT_EQ(hit.vector_size(), kDim);
    for (int d = 0; d < kDim; ++d) EXPECT_EQ(hit.vector(d), base[row * kDim + d]);
  }

  // Get, with and without vectors; missing keys reported.
  v1::GetRequest get;
  get.set_collection("emb");
  get.add_keys("k42");
  get.add_keys("nope");
  ASSERT_OK_AND_ASSIGN(auto got, client_->Get(get));
  ASSERT_EQ(got.records_size(), 1);
  EXPECT_EQ(got.records(0).label(), "id2");
  EXPECT_EQ(got.records(0).vector_size(), 0);
  EXPECT_EQ(got.missing_keys(0), "nope");
  get.set_include_vectors(true);
  ASSERT_OK_AND_ASSIGN(got, client_->Get(get));
  EXPECT_EQ(got.records(0).vector(3), base[42 * kDim + 3]);

  // Delete by key and by label.
  v1::DeleteRequest del;
  del.set_collection("emb");
  del.add_keys("k42");
  del.add_labels("id0");
  ASSERT_OK_AND_ASSIGN(int64_t deleted, client_->Delete(del));
  EXPECT_EQ(deleted, 1 + n / 5);
  ASSERT_OK_AND_ASSIGN(info, client_->GetCollection("emb"));
  EXPECT_EQ(info.stats().record_count(), n - 1 - n / 5);
  EXPECT_EQ(info.stats().label_count(), 4);
  ASSERT_OK_AND_ASSIGN(fres, client_->Search(Query("emb", base.data() + 42 * kDim, 50)));
  for (const auto& hit : fres.results(0).hits()) {
    EXPECT_NE(hit.key(), "k42");
    EXPECT_NE(hit.label(), "id0");
  }

  // Switch to an IVF index; visiting every list (nprobe = nlist) is exact.
  v1::BuildIndexRequest build;
  build.set_name("emb");
  build.mutable_index()->mutable_ivf_flat()->set_nlist(4);
  ASSERT_OK_AND_ASSIGN(info, client_->BuildIndex(build));
  EXPECT_EQ(info.schema().index().kind_case(), v1::IndexSpec::kIvfFlat);
  EXPECT_EQ(info.schema().index().ivf_flat().nprobe(), 4);  // default min(16, nlist)
  EXPECT_TRUE(info.stats().index_trained());
  EXPECT_EQ(info.stats().index_trained_on(), info.stats().record_count());
  auto exact = Query("emb", queries.data(), 10);
  exact.mutable_params()->set_nprobe(4);
  ASSERT_OK_AND_ASSIGN(fres, client_->Search(exact));
  ASSERT_OK_AND_ASSIGN(auto flat_res, client_->Search(Query("emb", queries.data(), 10)));
  for (int j = 0; j < 10; ++j) {
    EXPECT_EQ(fres.results(0).hits(j).key(), flat_res.results(0).hits(j).key());
  }

  ASSERT_OK(client_->DropCollection("emb"));
  EXPECT_EQ(client_->GetCollection("emb").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ServerTest, BadInputGetsTheSpecificStatusAndWritesNothing) {
  StartServer({"--max-k", "50", "--max-message-mib", "1"});
  ASSERT_OK(client_->CreateCollection(Schema("c")));
  const auto base = RandomVectors(10, kDim, 13);
  ASSERT_OK(client_->UpsertBatch(Batch("c", base, 0, 1)));
  auto code = [](const auto& s) { return testing::GetStatus(s).code(); };
  using absl::StatusCode;

  absl::Status s;
  EXPECT_EQ(code(client_->CreateCollection(Schema("c"))), StatusCode::kAlreadyExists);
  EXPECT_EQ(code(client_->CreateCollection(Schema("bad name"))), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(client_->CreateCollection(Schema(""))), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(client_->CreateCollection(Schema(std::string(65, 'x')))),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(client_->CreateCollection(Schema("d", v1::METRIC_UNSPECIFIED))),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(client_->CreateCollection(Schema("d", v1::L2, 0))), StatusCode::kInvalidArgument);
  auto hnsw = Schema("d");
  hnsw.mutable_index()->mutable_hnsw()->set_m(1);
  s = client_->CreateCollection(hnsw).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "index.hnsw.m: must be in [2, 256], got 1");

  EXPECT_EQ(code(client_->GetCollection("missing")), StatusCode::kNotFound);
  v1::BuildIndexRequest build;
  build.set_name("missing");
  EXPECT_EQ(code(client_->BuildIndex(build)), StatusCode::kNotFound);
  build.set_name("c");
  build.mutable_index()->mutable_ivf_pq()->set_m(7);
  EXPECT_EQ(code(client_->BuildIndex(build)), StatusCode::kInvalidArgument);
  auto over = Query("c", base.data(), 1);
  over.mutable_params()->set_ef_search(10);  // "c" is flat
  EXPECT_EQ(code(client_->Search(over)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(client_->DropCollection("missing")), StatusCode::kNotFound);
  EXPECT_EQ(code(client_->UpsertBatch(Batch("missing", base, 0, 1))), StatusCode::kNotFound);
  EXPECT_EQ(code(client_->Search(Query("missing", base.data(), 1))), StatusCode::kNotFound);

  // Wrong dimension: the message names the field and both sizes.
  auto wrong_dim = Batch("c", base, 1, 2);
  wrong_dim.mutable_records(1)->mutable_vector()->RemoveLast();
  s = client_->UpsertBatch(wrong_dim).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "records[1].vector: has 15 values, collection \"c\" has dim 16");
  auto with_nan = Batch("c", base, 1, 2);
  with_nan.mutable_records(0)->set_vector(5, std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(code(client_->UpsertBatch(with_nan)), StatusCode::kInvalidArgument);
  auto with_inf = Batch("c", base, 1, 2);
  with_inf.mutable_records(0)->set_vector(5, std::numeric_limits<float>::infinity());
  EXPECT_EQ(code(client_->UpsertBatch(with_inf)), StatusCode::kInvalidArgument);
  v1::UpsertRequest empty;
  empty.set_collection("c");
  EXPECT_EQ(code(client_->UpsertBatch(empty)), StatusCode::kInvalidArgument);

  EXPECT_EQ(code(client_->Search(Query("c", base.data(), 0))), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(client_->Search(Query("c", base.data(), -3))), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(client_->Search(Query("c", base.data(), 51))), StatusCode::kInvalidArgument);
  EXPECT_OK(client_->Search(Query("c", base.data(), 50)));
  EXPECT_EQ(code(client_->Search(Query("c", base.data(), 3, kDim - 1))),
            StatusCode::kInvalidArgument);

  // A message over the server's 1 MiB limit.
  const auto big = RandomVectors(20000, kDim, 14);  // ~1.3 MB
  EXPECT_EQ(code(client_->UpsertBatch(Batch("c", big, 0, 20000))), StatusCode::kResourceExhausted);

  // A stream whose second batch is bad: the first stays, nothing of the second.
  auto stream = client_->OpenUpsertStream();
  ASSERT_OK(stream->Write(Batch("c", base, 1, 3)));
  auto bad = Batch("c", base, 4, 3);
  bad.mutable_records(2)->mutable_vector()->Add(1.0f);
  (void)stream->Write(bad);
  s = stream->Finish();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("batch 1"), std::string::npos) << s.message();
  EXPECT_EQ(stream->totals().batches, 1);

  // Only the one good record and the first stream batch are stored.
  ASSERT_OK_AND_ASSIGN(auto info, client_->GetCollection("c"));
  EXPECT_EQ(info.stats().record_count(), 4);
  v1::GetRequest get;
  get.set_collection("c");
  for (int i = 0; i < 7; ++i) get.add_keys("k" + std::to_string(i));
  ASSERT_OK_AND_ASSIGN(auto got, client_->Get(get));
  EXPECT_EQ(got.records_size(), 4);
  EXPECT_EQ(got.missing_keys_size(), 3);
  EXPECT_TRUE(server_->running());
}

// Crash loop: 24 seeded rounds of a bulk-load stream killed with -9 at a
// random moment. After every restart each acknowledged batch is there whole,
// every other batch is there whole or not at all, and searches equal brute
// force over exactly the batches that are there.
TEST_F(ServerTest, CrashLoopKeepsExactlyTheAcknowledgedBatches) {
  StartServer();
  ASSERT_OK(client_->CreateCollection(Schema("c")));
  constexpr int kPerBatch = 20, kRounds = 24;
  std::mt19937 rng(16);
  std::vector<std::vector<float>> batches;  // every batch ever sent, by number
  std::vector<bool> acknowledged;
  auto batch_request = [&](int64_t g) {
    return testing::NumberedBatch("c", g, kPerBatch, batches[g].data());
  };
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const int64_t first = int64_t(batches.size());
    for (int b = 0; b < 400; ++b) {
      batches.push_back(RandomVectors(kPerBatch, kDim, uint32_t(1000 + first + b)));
      acknowledged.push_back(false);
    }
    auto stream = client_->OpenUpsertStream(8);
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      for (int64_t g = first; g < first + 400 && !stop; ++g) {
        if (!stream->Write(batch_request(g)).ok()) break;
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 180));
    server_->Kill();
    stop = true;
    writer.join();
    (void)stream->Finish();
    // Batches are acknowledged in order: the first `acked` of this round.
    const int64_t acked = stream->totals().batches;
    for (int64_t g = first; g < first + acked; ++g) acknowledged[g] = true;
    ASSERT_NO_FATAL_FAILURE(Restart());

    // Which batches are there, and whole? (Gets of 100 batches at a time;
    // batches past this round's last acknowledged one + the stream's window
    // were never sent.)
    const int64_t sent_bound = std::min<int64_t>(first + 400, first + acked + 16);
    std::vector<int> found(size_t(sent_bound), 0);
    for (int64_t g0 = 0; g0 < sent_bound; g0 += 100) {
      v1::GetRequest get;
      get.set_collection("c");
      for (int64_t g = g0; g < std::min(sent_bound, g0 + 100); ++g) {
        for (int j = 0; j < kPerBatch; ++j) {
          get.add_keys("g" + std::to_string(g) + "-" + std::to_string(j));
        }
      }
      ASSERT_OK_AND_ASSIGN(auto got, client_->Get(get));
      for (const auto& r : got.records()) ++found[std::stoll(r.key().substr(1))];
    }
    std::vector<float> present_vectors;
    std::vector<std::string> present_keys;
    for (int64_t g = 0; g < sent_bound; ++g) {
      ASSERT_TRUE(found[g] == 0 || found[g] == kPerBatch)
          << "batch " << g << " partly stored: " << found[g];
      if (acknowledged[g]) {
        ASSERT_EQ(found[g], kPerBatch) << "acknowledged batch " << g << " lost";
      }
      if (found[g] == kPerBatch) {
        present_vectors.insert(present_vectors.end(), batches[g].begin(), batches[g].end());
        for (int j = 0; j < kPerBatch; ++j) {
          present_keys.push_back("g" + std::to_string(g) + "-" + std::to_string(j));
        }
      }
    }
    ASSERT_OK_AND_ASSIGN(auto info, client_->GetCollection("c"));
    ASSERT_EQ(info.stats().record_count(), int64_t(present_keys.size()));
    // Searches equal brute force over exactly what is there.
    const auto queries = RandomVectors(3, kDim, uint32_t(round));
    for (int q = 0; q < 3; ++q) {
      ASSERT_OK_AND_ASSIGN(auto res, client_->Search(Query("c", queries.data() + q * kDim, 5)));
      const auto want =
          OracleKnn(OracleMetric::kL2, present_vectors, kDim, queries.data() + q * kDim, 5);
      ASSERT_EQ(res.results(0).hits_size(), int(want.size()));
      for (size_t j = 0; j < want.size(); ++j) {
        EXPECT_EQ(res.results(0).hits(int(j)).key(), present_keys[size_t(want[j].second)]);
      }
    }
  }
  int64_t total = 0;
  for (bool a : acknowledged) total += a;
  std::printf("[ crash ] %d kill -9 rounds, %lld batches acknowledged, all kept\n", kRounds,
              (long long)total);
  EXPECT_GT(total, 0) << "no batch was acknowledged before the kills";
}

TEST_F(ServerTest, SigtermShutsDownCleanlyAndDataPersists) {
  StartServer({"--shutdown-grace-ms", "500"});
  ASSERT_OK(client_->CreateCollection(Schema("c", v1::INNER_PRODUCT)));
  const auto base = RandomVectors(300, kDim, 17);
  ASSERT_OK(client_->UpsertBatch(Batch("c", base, 0, 300)));
  EXPECT_EQ(server_->Stop(), 0) << server_->Log();
  ASSERT_NO_FATAL_FAILURE(Restart());
  // The shutdown wrote a snapshot and the restart used it.
  EXPECT_NE(server_->Log().find("collection c: index from snapshot, replayed 0 additions"),
            std::string::npos)
      << server_->Log();
  ASSERT_OK_AND_ASSIGN(auto res, client_->Search(Query("c", base.data(), 5)));
  auto expected = OracleKnn(OracleMetric::kInnerProduct, base, kDim, base.data(), 5);
  for (int j = 0; j < 5; ++j) {
    EXPECT_EQ(res.results(0).hits(j).key(), "k" + std::to_string(expected[j].second));
    EXPECT_NEAR(res.results(0).hits(j).distance(), expected[j].first, 1e-4);
  }

  // Writes after the snapshot, then kill -9: the restart replays them.
  const auto more = RandomVectors(300, kDim, 18);
  std::vector<float> all = base;
  all.insert(all.end(), more.begin(), more.end());
  ASSERT_OK(client_->UpsertBatch(Batch("c", all, 300, 300)));
  server_->Kill();
  ASSERT_NO_FATAL_FAILURE(Restart());
  EXPECT_NE(server_->Log().find("replayed 300 additions and 0 removals"), std::string::npos)
      << server_->Log();
  ASSERT_OK_AND_ASSIGN(auto info, client_->GetCollection("c"));
  EXPECT_EQ(info.stats().record_count(), 600);
  ASSERT_OK_AND_ASSIGN(res, client_->Search(Query("c", all.data() + 450 * kDim, 3)));
  expected = OracleKnn(OracleMetric::kInnerProduct, all, kDim, all.data() + 450 * kDim, 3);
  for (int j = 0; j < 3; ++j) {
    EXPECT_EQ(res.results(0).hits(j).key(), "k" + std::to_string(expected[j].second));
  }
}

// Established TCP connections whose local port is `port` (the server's side
// of each client connection), from /proc/net/tcp and tcp6 (the server's
// socket may be dual-stack).
int ServerConnections(int port) {
  int count = 0;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      if (!(fields >> slot >> local >> remote >> state)) continue;
      const int local_port = std::stoi(local.substr(local.rfind(':') + 1), nullptr, 16);
      if (local_port == port && state == "01") ++count;
    }
  }
  return count;
}

TEST_F(ServerTest, ClientsShareAConnectionUnlessTheyAskForTheirOwn) {
  StartServer();
  const int port = std::stoi(server_->address().substr(server_->address().rfind(':') + 1));
  ASSERT_OK(client_->CreateCollection(Schema("c")));
  EXPECT_EQ(ServerConnections(port), 1);
  ClientOptions options;
  options.address = server_->address();
  auto shared = Client::Connect(options);  // same address and options
  ASSERT_OK(shared->GetCollection("c").status());
  EXPECT_EQ(ServerConnections(port), 1);
  options.own_connection = true;
  auto first = Client::Connect(options), second = Client::Connect(options);
  ASSERT_OK(first->GetCollection("c").status());
  ASSERT_OK(second->GetCollection("c").status());
  EXPECT_EQ(ServerConnections(port), 3);
}

// A bulk load fills the server's memory (RocksDB's memtable, gRPC's receive
// buffers, the index) in transparent huge pages, not 4 KiB page by page:
// every thread allocates from glibc's main arena, which the server's
// environment backs with huge pages (common/process_setup.h). With glibc's
// per-thread arenas the same load took 1.6 faults per 4 KiB page of vectors
// (19,600-20,800), with one arena 58-872; page faults are what made loads slow
// on virtual machines.
TEST_F(ServerTest, BulkLoadFillsMemoryInHugePagesNotPageByPage) {
  if (testing::kSanitizedBuild) GTEST_SKIP() << "a sanitizer's allocator replaces glibc's";
  if (!testing::ThpAvailable()) GTEST_SKIP() << "the kernel offers no transparent huge pages";
  StartServer();
  const int dim = 256, per_batch = 1024, warm_up = 8, batches = 48;  // 1 MiB per batch
  ASSERT_OK(client_->CreateCollection(Schema("c", v1::L2, dim)));
  const std::vector<float> v = RandomVectors(per_batch * (warm_up + batches), dim, 7);
  auto load = [&](int first, int count) {
    std::vector<v1::UpsertRequest> requests;
    for (int b = first; b < first + count; ++b) {
      requests.push_back(Batch("c", v, int64_t(b) * per_batch, per_batch, dim));
    }
    auto stream = client_->OpenUpsertStream();
    for (const auto& request : requests) ASSERT_OK(stream->Write(request));
    ASSERT_OK(stream->Finish());
    EXPECT_EQ(stream->totals().inserted, per_batch * count);
  };
  // The first batches pay for what any first call sets up (threads, buffers,
  // files); the faults counted are those of the load after them.
  load(0, warm_up);
  const long long before = testing::ProcStatField(server_->pid(), 10);  // minflt
  load(warm_up, batches);
  const long long faults = testing::ProcStatField(server_->pid(), 10) - before;
  const long long pages = (long long)(batches)*per_batch * dim * sizeof(float) / 4096;  // 12,288
  EXPECT_LT(faults, pages / 4) << "the load took " << faults << " page faults for " << pages
                               << " pages of vectors";
}

// Searches too long for gRPC's callback threads run on the search pool; its
// queue is bounded (RESOURCE_EXHAUSTED beyond it, never unbounded memory),
// and quick searches are still answered while it is busy.
TEST_F(ServerTest, LongSearchesAreBoundedAndQuickOnesStillAnswered) {
  StartServer({"--search-threads", "1", "--max-queued-searches", "1"});
  const int dim = 64;
  const int64_t n = 20000;  // 1.28M values: an exact search here is not quick
  ASSERT_OK(client_->CreateCollection(Schema("big", v1::L2, dim)));
  const auto base = RandomVectors(n, dim, 61);
  for (int64_t first = 0; first < n; first += 5000) {
    ASSERT_OK(client_->UpsertBatch(Batch("big", base, first, 5000, dim)));
  }
  ASSERT_OK(client_->CreateCollection(Schema("small")));
  const auto small = RandomVectors(100, kDim, 62);
  ASSERT_OK(client_->UpsertBatch(Batch("small", small, 0, 100)));

  const auto queries = RandomVectors(4000, dim, 63);
  v1::SearchRequest batch;
  batch.set_collection("big");
  batch.set_k(5);
  for (int q = 0; q < 4000; ++q) {
    batch.add_queries()->mutable_values()->Add(queries.begin() + q * dim,
                                               queries.begin() + (q + 1) * dim);
  }
  std::atomic<int> ok{0}, busy{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      auto res = client_->Search(batch);
      if (res.ok()) {
        const auto want = OracleKnn(OracleMetric::kL2, base, dim, queries.data(), 1);
        EXPECT_EQ(res->results(0).hits(0).key(), "k" + std::to_string(want[0].second));
        ++ok;
      } else if (res.status().code() == absl::StatusCode::kResourceExhausted &&
                 res.status().message().find("busy") != std::string::npos) {
        ++busy;
      } else {
        ++other;
        ADD_FAILURE() << res.status();
      }
    });
  }
  // Meanwhile quick searches are answered (and right).
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK_AND_ASSIGN(auto res, client_->Search(Query("small", small.data() + i * kDim, 1)));
    EXPECT_EQ(res.results(0).hits(0).key(), "k" + std::to_string(i));
  }
  for (auto& t : threads) t.join();
  std::printf("[ pool ] 6 long searches, 1 thread + 1 queue slot: %d answered, %d busy\n",
              ok.load(), busy.load());
  EXPECT_GE(ok.load(), 2);  // the running one and the queued one
  EXPECT_GE(busy.load(), 1);
  EXPECT_EQ(other.load(), 0);
}

// A client's deadline stops a long batch search on the server: with one
// search thread, a 500-query search sent right after a 10,000-query batch
// timed out is answered in about its own time, not after the rest of that
// batch.
TEST_F(ServerTest, DeadlineStopsALongSearchOnTheServer) {
  StartServer({"--search-threads", "1"});
  const int dim = 64;
  const int64_t n = 20000;
  ASSERT_OK(client_->CreateCollection(Schema("big", v1::L2, dim)));
  const auto base = RandomVectors(n, dim, 71);
  for (int64_t first = 0; first < n; first += 5000) {
    ASSERT_OK(client_->UpsertBatch(Batch("big", base, first, 5000, dim)));
  }
  auto batch_of = [&](int count) {
    const auto queries = RandomVectors(count, dim, 72);
    v1::SearchRequest req;
    req.set_collection("big");
    req.set_k(5);
    for (int q = 0; q < count; ++q) {
      req.add_queries()->mutable_values()->Add(queries.begin() + q * dim,
                                               queries.begin() + (q + 1) * dim);
    }
    return req;
  };
  const v1::SearchRequest small = batch_of(500), large = batch_of(10000);
  using Clock = std::chrono::steady_clock;
  auto timed = [&](const v1::SearchRequest& req) {
    const auto t0 = Clock::now();
    EXPECT_OK(client_->Search(req));
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  (void)timed(small);  // warm up
  const double small_s = timed(small);

  ClientOptions hasty;
  hasty.address = server_->address();
  // Long enough for the batch to be received and started, short of its end.
  hasty.timeout = std::chrono::milliseconds(int(small_s * 2000) + 50);
  auto hasty_client = Client::Connect(hasty);
  EXPECT_EQ(hasty_client->Search(large).status().code(), absl::StatusCode::kDeadlineExceeded);
  const double after_s = timed(small);
  std::printf(
      "[ deadline ] 500 queries: %.3f s alone, %.3f s right after a timed-out "
      "10,000-query batch\n",
      small_s, after_s);
  // Had the batch run on, the thread would have been busy ~18x small_s more;
  // stopped, it is free within one chunk of 256 queries.
  EXPECT_LT(after_s, 6 * small_s + 0.05);
}

// Token authentication with roles: no or unknown token is UNAUTHENTICATED,
// a role below the call's is PERMISSION_DENIED, health checking stays open,
// and the token file holds only hashes.
TEST_F(ServerTest, TokensAuthenticateAndRolesAuthorise) {
  // SHA-256 of "reader-token", "writer-token", "admin-token" (sha256sum).
  const std::string tokens = dir_.file("tokens");
  {
    std::ofstream out(tokens);
    out << "# role sha256 name\n"
        << "read  "
        << "c6b7e8e8f8d1b5b6e0b6e0d4c1e3c2f3b0a1a7b0c4d2f1e3a5b6c7d8e9f0a1b2"
        << "\n";
  }
  // The line above is a well-formed hash of no known token; the real ones:
  auto sha256 = [&](const std::string& token) {
    const std::string f = dir_.file("t.txt");
    std::ofstream(f) << token;
    FILE* p = popen(("sha256sum " + f).c_str(), "r");
    char hex[65] = {0};
    EXPECT_EQ(fread(hex, 1, 64, p), 64u);
    pclose(p);
    return std::string(hex);
  };
  {
    std::ofstream out(tokens, std::ios::app);
    out << "read " << sha256("reader-token") << " reader  # a comment\n"
        << "write " << sha256("writer-token") << " writer\n"
        << "admin " << sha256("admin-token") << "\n";
  }
  StartServer({"--auth-tokens", tokens});
  EXPECT_NE(server_->Log().find("authentication on: 4 tokens"), std::string::npos)
      << server_->Log();
  auto as = [&](const std::string& token) {
    ClientOptions o;
    o.address = server_->address();
    o.token = token;
    return Client::Connect(o);
  };
  auto anonymous = as(""), stranger = as("guess"), reader = as("reader-token"),
       writer = as("writer-token"), admin = as("admin-token");
  const auto code = [](const auto& r) {
    if constexpr (std::is_same_v<std::decay_t<decltype(r)>, absl::Status>) {
      return r.code();
    } else {
      return r.status().code();
    }
  };

  EXPECT_EQ(code(anonymous->ListCollections()), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(code(stranger->ListCollections()), absl::StatusCode::kUnauthenticated);
  // Health checking needs no token.
  {
    auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckResponse resp;
    EXPECT_TRUE(grpc::health::v1::Health::NewStub(channel)
                    ->Check(&ctx, grpc::health::v1::HealthCheckRequest(), &resp)
                    .ok());
  }

  auto denied = reader->CreateCollection(Schema("c"));
  EXPECT_EQ(code(denied), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.status().message(), "this call needs the admin role; the token has read");
  EXPECT_EQ(code(writer->CreateCollection(Schema("c"))), absl::StatusCode::kPermissionDenied);
  ASSERT_OK(admin->CreateCollection(Schema("c")));

  const auto base = RandomVectors(20, kDim, 71);
  EXPECT_EQ(code(reader->UpsertBatch(Batch("c", base, 0, 10))),
            absl::StatusCode::kPermissionDenied);
  {
    auto stream = reader->OpenUpsertStream();
    (void)stream->Write(Batch("c", base, 0, 10));
    EXPECT_EQ(stream->Finish().code(), absl::StatusCode::kPermissionDenied);
  }
  ASSERT_OK(writer->UpsertBatch(Batch("c", base, 0, 10)));
  {
    auto stream = writer->OpenUpsertStream();
    ASSERT_OK(stream->Write(Batch("c", base, 10, 10)));
    ASSERT_OK(stream->Finish());
  }
  v1::DeleteRequest del;
  del.set_collection("c");
  del.add_keys("k0");
  EXPECT_EQ(code(reader->Delete(del)), absl::StatusCode::kPermissionDenied);
  ASSERT_OK(writer->Delete(del));

  ASSERT_OK_AND_ASSIGN(auto res, reader->Search(Query("c", base.data() + 5 * kDim, 1)));
  EXPECT_EQ(res.results(0).hits(0).key(), "k5");
  EXPECT_EQ(code(anonymous->Search(Query("c", base.data(), 1))),
            absl::StatusCode::kUnauthenticated);
  ASSERT_OK_AND_ASSIGN(auto info, reader->GetCollection("c"));
  EXPECT_EQ(info.stats().record_count(), 19);
  v1::BuildIndexRequest build;
  build.set_name("c");
  EXPECT_EQ(code(writer->BuildIndex(build)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(code(writer->DropCollection("c")), absl::StatusCode::kPermissionDenied);
  ASSERT_OK(admin->DropCollection("c"));
}

// The server refuses to start without --auth-tokens or --no-auth, and with a
// malformed token file, saying why.
TEST_F(ServerTest, AuthIsOffOnlyByAnExplicitFlag) {
  const std::string tokens = dir_.file("bad-tokens");
  std::ofstream(tokens) << "# header\nsuperuser 1234\n";
  ServerProcess bad(dir_.file("data"), {"--auth-tokens", tokens});
  EXPECT_FALSE(bad.Start(std::chrono::seconds(10)).ok());
  EXPECT_NE(bad.Log().find("token file line 2"), std::string::npos) << bad.Log();

  const std::string log = dir_.file("plain.log");
  const std::string cmd = std::string(testing::ServerBinary()) +
                          " --listen 127.0.0.1:0 --data-dir " + dir_.file("data2") + " > " + log +
                          " 2>&1";
  EXPECT_EQ(WEXITSTATUS(std::system(cmd.c_str())), 2);
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("give --auth-tokens FILE, or --no-auth"), std::string::npos) << text;
}

// Prometheus metrics over HTTP: per-RPC counts by status code, latency
// histograms, and per-collection gauges, exactly as the calls made them.
TEST_F(ServerTest, PrometheusMetricsCountEveryCallAndShowCollections) {
  StartServer({"--metrics-listen", "127.0.0.1:0"});
  const std::string log = server_->Log();
  const std::string marker = "Prometheus metrics on http://127.0.0.1:";
  const size_t at = log.find(marker);
  ASSERT_NE(at, std::string::npos) << log;
  const int port = std::atoi(log.c_str() + at + marker.size());
  ASSERT_GT(port, 0);

  ASSERT_OK(client_->CreateCollection(Schema("m")));
  const auto base = RandomVectors(40, kDim, 81);
  ASSERT_OK(client_->UpsertBatch(Batch("m", base, 0, 40)));
  for (int i = 0; i < 3; ++i) ASSERT_OK(client_->Search(Query("m", base.data(), 2)));
  EXPECT_EQ(client_->GetCollection("missing").status().code(), absl::StatusCode::kNotFound);

  httplib::Client http("127.0.0.1", port);
  const std::vector<std::string> lines = {
      "metricdb_rpc_requests_total{method=\"MetricDB/Search\",code=\"OK\"} 3\n",
      "metricdb_rpc_requests_total{method=\"MetricDB/GetCollection\",code=\"NOT_FOUND\"} 1\n",
      "metricdb_rpc_requests_total{method=\"MetricDB/UpsertBatch\",code=\"OK\"} 1\n",
      "metricdb_rpc_duration_seconds_count{method=\"MetricDB/Search\"} 3\n",
      "metricdb_rpc_duration_seconds_bucket{method=\"MetricDB/Search\",le=\"+Inf\"} 3\n",
      "# TYPE metricdb_rpc_duration_seconds histogram\n",
      "metricdb_collection_records{collection=\"m\"} 40\n"};
  // A call is counted when the server is done with it, which can be just
  // after the client has its answer, and calls served by different threads
  // finish in any order: scrape until every expected line shows (5 s at most).
  std::string text;
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto res = http.Get("/metrics");
    ASSERT_TRUE(res) << "no HTTP answer";
    EXPECT_EQ(res->status, 200);
    text = res->body;
    const bool all = std::all_of(lines.begin(), lines.end(), [&](const std::string& line) {
      return text.find(line) != std::string::npos;
    });
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (const std::string& line : lines) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  // No record key appears anywhere.
  EXPECT_EQ(text.find("k0"), std::string::npos);

  // An index build shows its duration.
  v1::BuildIndexRequest build;
  build.set_name("m");
  ASSERT_OK(client_->BuildIndex(build));
  auto res = http.Get("/metrics");
  ASSERT_TRUE(res);
  const std::string gauge = "metricdb_collection_index_build_seconds{collection=\"m\"} ";
  const size_t g = res->body.find(gauge);
  ASSERT_NE(g, std::string::npos) << res->body;
  const double seconds = std::atof(res->body.c_str() + g + gauge.size());
  EXPECT_GT(seconds, 0);
  EXPECT_LT(seconds, 60);
}

// TLS with a CA made here by the openssl tool: a plaintext client cannot
// talk to a TLS server, a client trusting the CA can; with client
// verification on, only a client presenting a certificate of that CA can.
TEST_F(ServerTest, TlsAndClientCertificatesAreEnforced) {
  const std::string d = dir_.file("pki");
  const std::string script =
      "set -e; mkdir -p " + d + "; cd " + d +
      "; "
      "K='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'; "
      "openssl req -x509 $K -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca; "
      "openssl req $K -keyout server.key -out server.csr -subj /CN=127.0.0.1; "
      "printf 'subjectAltName=IP:127.0.0.1' > san.ext; "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
      "-out server.pem -days 2 -extfile san.ext; "
      "openssl req $K -keyout client.key -out client.csr -subj /CN=client; "
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
      "-out client.pem -days 2";
  std::ofstream(d + ".sh") << script << "\n";
  ASSERT_EQ(std::system(("bash " + d + ".sh > " + d + ".log 2>&1").c_str()), 0) << "openssl failed";
  auto read = [&](const std::string& name) {
    std::ifstream in(d + "/" + name);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  auto connect = [&](const ServerProcess& server, bool tls, bool with_cert) {
    ClientOptions o;
    o.address = server.address();
    o.timeout = std::chrono::seconds(10);
    o.tls = tls;
    if (tls) o.tls_root_pem = read("ca.pem");
    if (with_cert) {
      o.tls_cert_pem = read("client.pem");
      o.tls_key_pem = read("client.key");
    }
    return Client::Connect(o);
  };

  ServerProcess tls_server(dir_.file("data-tls"),
                           {"--tls-cert", d + "/server.pem", "--tls-key", d + "/server.key"});
  ASSERT_OK(tls_server.Start());
  EXPECT_FALSE(connect(tls_server, false, false)->ListCollections().ok());
  ASSERT_OK(connect(tls_server, true, false)->CreateCollection(Schema("t")));
  ASSERT_OK_AND_ASSIGN(auto list, connect(tls_server, true, false)->ListCollections());
  EXPECT_EQ(list.size(), 1u);
  tls_server.Stop();

  ServerProcess mtls_server(
      dir_.file("data-mtls"),
      {"--tls-cert", d + "/server.pem", "--tls-key", d + "/server.key", "--tls-client-ca",
       d + "/ca.pem", "--http-listen", "127.0.0.1:0", "--http-port-file", d + "/http-port"});
  ASSERT_OK(mtls_server.Start());
  EXPECT_NE(mtls_server.Log().find("client certificates required"), std::string::npos);
  EXPECT_FALSE(connect(mtls_server, true, false)->ListCollections().ok());
  ASSERT_OK(connect(mtls_server, true, true)->ListCollections());
  // The HTTP/JSON API takes the same TLS files: HTTPS with a client
  // certificate only. (The refused handshakes close the connection under
  // the client's writes: SIGPIPE must not end the test, as it does not end
  // the server.)
  std::signal(SIGPIPE, SIG_IGN);
  int http_port = 0;
  std::ifstream(d + "/http-port") >> http_port;
  httplib::SSLClient with_cert("127.0.0.1", http_port, d + "/client.pem", d + "/client.key");
  with_cert.set_ca_cert_path((d + "/ca.pem").c_str());
  auto listed = with_cert.Get("/v1/collections");
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->status, 200);
  httplib::SSLClient without_cert("127.0.0.1", http_port);
  without_cert.set_ca_cert_path((d + "/ca.pem").c_str());
  EXPECT_FALSE(without_cert.Get("/v1/collections"));
  httplib::Client plain("127.0.0.1", http_port);
  auto refused = plain.Get("/v1/collections");
  EXPECT_TRUE(!refused || refused->status != 200);
}

// Long operations beyond --max-long-operations are refused with
// RESOURCE_EXHAUSTED while searches go on; the slot frees when the running
// one ends.
TEST_F(ServerTest, LongOperationsBeyondTheLimitAreRefused) {
  StartServer({"--max-long-operations", "1"});
  const int dim = 32, identities = 100, per = 30;
  ASSERT_OK(client_->CreateCollection(Schema("ids", v1::L2, dim)));
  const auto centres = RandomVectors(identities, dim, 91);
  const auto noise = RandomVectors(identities * per, dim, 92);
  v1::UpsertRequest batch;
  batch.set_collection("ids");
  for (int i = 0; i < identities * per; ++i) {
    v1::Record* r = batch.add_records();
    r->set_key("r" + std::to_string(i));
    r->set_label("id" + std::to_string(i / per));
    for (int j = 0; j < dim; ++j) {
      r->add_vector(3 * centres[(i / per) * dim + j] + noise[i * dim + j]);
    }
  }
  ASSERT_OK(client_->UpsertBatch(batch).status());

  v1::LearnMetricRequest learn;
  learn.set_collection("ids");
  learn.set_method(v1::TRIPLET);
  learn.mutable_options()->set_epochs(40);
  std::promise<void> started, release;
  std::shared_future<void> released = release.get_future().share();
  auto start = std::chrono::steady_clock::now();
  std::thread running([&] {
    bool first = true;
    auto version = client_->LearnMetric(learn, [&](const v1::LearnProgress&) {
      if (!first) return;
      first = false;
      started.set_value();
      released.wait();
    });
    EXPECT_OK(version);
  });
  started.get_future().wait();

  v1::BuildIndexRequest build;
  build.set_name("ids");
  auto refused = client_->BuildIndex(build);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(refused.status().message().find("--max-long-operations"), std::string::npos);
  v1::ClusterRequest cluster;
  cluster.set_collection("ids");
  cluster.set_method(v1::KMEANS);
  cluster.set_k(10);
  EXPECT_EQ(client_->Cluster(cluster, {}).status().code(), absl::StatusCode::kResourceExhausted);
  ASSERT_OK(client_->Search(Query("ids", noise.data(), 3, dim)));  // searches go on
  release.set_value();
  running.join();
  std::printf("[ limit ] learn held the slot for %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  ASSERT_OK(client_->BuildIndex(build));
}

// Load: client threads mixing upserts, deletes, searches and identifies
// against one HNSW collection for a bounded time. No unexpected error; no
// search or identify ever returns a record whose delete was acknowledged
// before the query started, or a key never written; server RSS stays bounded.
TEST_F(ServerTest, MixedLoadHasNoErrorsAndNeverReturnsDeletedRecords) {
  StartServer();
  auto schema = Schema("load");
  schema.mutable_index()->mutable_hnsw()->set_m(16);
  ASSERT_OK(client_->CreateCollection(schema));
  using Clock = std::chrono::steady_clock;
  constexpr int kWriters = 2, kReaders = 3;
  const auto deadline = Clock::now() + std::chrono::seconds(8);
  std::mutex mu;
  std::map<std::string, Clock::time_point> deleted_at;  // acknowledged deletes
  std::set<std::string> written;                        // every key ever upserted
  std::atomic<int64_t> ops{0}, errors{0}, violations{0};
  std::vector<double> latencies;  // seconds, every call
  auto record_latency = [&](Clock::time_point t0) {
    std::lock_guard<std::mutex> lock(mu);
    latencies.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  };
  auto check_key = [&](const std::string& key, Clock::time_point started) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = deleted_at.find(key);
    if (!written.count(key) || (it != deleted_at.end() && it->second < started)) {
      ++violations;
      ADD_FAILURE() << key << " returned after its delete was acknowledged, or never written";
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937 rng(100 + w);
      std::vector<std::string> live;
      for (int64_t n = 0; Clock::now() < deadline; ++n) {
        if (live.size() > 200 && rng() % 3 == 0) {  // delete a few live keys
          v1::DeleteRequest del;
          del.set_collection("load");
          for (int i = 0; i < 5; ++i) {
            const size_t at = rng() % live.size();
            del.add_keys(live[at]);
            live[at] = live.back();
            live.pop_back();
          }
          const auto t0 = Clock::now();
          if (client_->Delete(del).ok()) {
            std::lock_guard<std::mutex> lock(mu);
            for (const auto& k : del.keys()) deleted_at[k] = Clock::now();
          } else {
            ++errors;
          }
          record_latency(t0);
        } else {  // upsert a batch of new keys
          v1::UpsertRequest up;
          up.set_collection("load");
          const auto v = RandomVectors(20, kDim, uint32_t(w * 1000003 + n));
          for (int i = 0; i < 20; ++i) {
            const std::string key = "w" + std::to_string(w) + "-" + std::to_string(n * 20 + i);
            v1::Record* r = up.add_records();
            r->set_key(key);
            r->set_label("id" + std::to_string((n * 20 + i) % 50));
            r->mutable_vector()->Add(v.begin() + i * kDim, v.begin() + (i + 1) * kDim);
            std::lock_guard<std::mutex> lock(mu);
            written.insert(key);
          }
          const auto t0 = Clock::now();
          if (client_->UpsertBatch(up).ok()) {
            for (const auto& r : up.records()) live.push_back(r.key());
          } else {
            ++errors;
          }
          record_latency(t0);
        }
        ++ops;
      }
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      for (int64_t n = 0; Clock::now() < deadline; ++n) {
        const auto q = RandomVectors(1, kDim, uint32_t(7000000 + r * 100000 + n));
        const auto t0 = Clock::now();
        if (n % 2 == 0) {
          auto res = client_->Search(Query("load", q.data(), 10));
          if (!res.ok()) {
            ++errors;
            ADD_FAILURE() << res.status();
          } else {
            for (const auto& h : res->results(0).hits()) check_key(h.key(), t0);
          }
        } else {
          v1::IdentifyRequest id;
          id.set_collection("load");
          id.add_queries()->mutable_values()->Add(q.begin(), q.end());
          id.set_threshold(100.0);
          auto res = client_->Identify(id);
          // An empty collection has no labels yet: FAILED_PRECONDITION is expected then.
          if (!res.ok() && res.status().code() != absl::StatusCode::kFailedPrecondition) {
            ++errors;
            ADD_FAILURE() << res.status();
          } else if (res.ok()) {
            for (const auto& m : res->results(0).identities()) {
              for (const auto& k : m.keys()) check_key(k, t0);
            }
          }
        }
        record_latency(t0);
        ++ops;
      }
    });
  }
  long max_rss_kib = 0;
  while (Clock::now() < deadline) {
    std::ifstream status("/proc/" + std::to_string(server_->pid()) + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("VmRSS:", 0) == 0)
        max_rss_kib = std::max(max_rss_kib, std::stol(line.substr(6)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (auto& t : threads) t.join();
  std::sort(latencies.begin(), latencies.end());
  const double p99 = latencies.empty() ? 0 : latencies[latencies.size() * 99 / 100];
  std::printf(
      "[ load ] 8 s, %d writers + %d readers: %lld ops (%.0f ops/s), %lld errors, "
      "%lld violations, p99 %.1f ms, server max RSS %ld MiB, %zu keys written\n",
      kWriters, kReaders, (long long)ops.load(), ops.load() / 8.0, (long long)errors.load(),
      (long long)violations.load(), p99 * 1e3, max_rss_kib / 1024, written.size());
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(violations.load(), 0);
  EXPECT_GT(ops.load(), 100);
  EXPECT_LT(max_rss_kib, 1024 * 1024) << "server RSS above 1 GiB";
}

}  // namespace
}  // namespace metricdb
