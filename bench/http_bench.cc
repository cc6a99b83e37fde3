// http_bench: the same search batches through gRPC (the C++ client) and
// through the HTTP/JSON API (cpp-httplib, one keep-alive connection), one
// request in flight, against one server holding Fashion-MNIST (HNSW).
// HTTP's time includes what a JSON client does: encode the request as JSON
// and parse the answer back into messages. Both answers are compared.
//   build/bench/http_bench --data bench/data [--queries 2000] [--batch 1 --batch 100]
#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "bench/bench_util.h"
#include "bench/server_helpers.h"
#include "bench/synthetic_embeddings.h"
#include "client/metricdb_client.h"
#include "tests/testing/server_process.h"

namespace {

using metricdb::Matrix;
using metricdb::bench::Check;
using metricdb::bench::Clock;
using metricdb::bench::Seconds;
namespace v1 = metricdb::v1;
namespace pbu = google::protobuf::util;

std::vector<v1::SearchRequest> Batches(const Matrix& q, int64_t nq, int batch, int k) {
  std::vector<v1::SearchRequest> out;
  for (int64_t s = 0; s < nq; s += batch) {
    v1::SearchRequest req;
    req.set_collection("c");
    req.set_k(k);
    for (int64_t i = s; i < std::min(nq, s + batch); ++i) {
      req.add_queries()->mutable_values()->Add(q.row(i), q.row(i) + q.cols);
    }
    out.push_back(std::move(req));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"http_bench: search over gRPC and over HTTP/JSON, same batches"};
  std::string work = "/tmp/metricdb-http-bench";
  metricdb::bench::DataSet set;
  set.queries = 2000;
  std::vector<int> batches{1, 10, 100};
  int k = 10, rounds = 3;
  metricdb::bench::AddDataSetOptions(app, &set);
  app.add_option("--batch", batches, "Queries per request (sweep)")->capture_default_str();
  app.add_option("-k", k, "Neighbours per query")->capture_default_str();
  app.add_option("--rounds", rounds, "Passes per point (best kept)")->capture_default_str();
  app.add_option("--work", work, "Directory for the server's data")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  Matrix train, queries;
  metricdb::bench::LoadDataSet(&set, &train, &queries);
  const int dim = int(train.cols);
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  metricdb::testing::ServerProcess server(
      work + "/data", {"--log-level", "warn", "--http-listen", "127.0.0.1:0", "--http-port-file",
                       work + "/http-port"});
  Check(server.Start(), "server");
  int http_port = 0;
  std::ifstream(work + "/http-port") >> http_port;
  metricdb::ClientOptions co;
  co.address = server.address();
  auto client = metricdb::Client::Connect(co);
  v1::CollectionSchema schema;
  schema.set_name("c");
  schema.set_dim(dim);
  schema.set_metric(v1::L2);
  schema.mutable_index()->mutable_hnsw()->set_m(16);
  Check(client->CreateCollection(schema), "create");
  metricdb::bench::Load(*client, "c", train.values.data(), train.rows, dim);
  metricdb::bench::WaitIdle(server.pid());

  httplib::Client http("127.0.0.1", http_port);
  http.set_keep_alive(true);
  http.set_tcp_nodelay(true);
  http.set_read_timeout(300, 0);
  std::printf("### %lld x %d, HNSW M 16, %lld queries, k %d, one request in flight\n\n",
              (long long)train.rows, dim, (long long)set.queries, k);
  std::printf(
      "| queries per request | gRPC q/s | HTTP/JSON q/s | HTTP / gRPC | of which the client's JSON "
      "encode + parse, µs/query | JSON bytes per query (request + answer) | answers equal "
      "|\n|---|---|---|---|---|---|---|\n");
  for (int batch : batches) {
    const auto requests = Batches(queries, set.queries, batch, k);
    double grpc_best = 0, http_best = 0;
    std::vector<v1::SearchResponse> over_grpc(requests.size()), over_http(requests.size());
    size_t json_bytes = 0;
    double json_seconds = 0;
    for (int r = 0; r < rounds; ++r) {
      auto t0 = Clock::now();
      for (size_t i = 0; i < requests.size(); ++i) {
        over_grpc[i] = Check(client->Search(requests[i]), "grpc search");
      }
      grpc_best = std::max(grpc_best, double(set.queries) / Seconds(t0));
      t0 = Clock::now();
      json_bytes = 0;
      json_seconds = 0;
      for (size_t i = 0; i < requests.size(); ++i) {
        std::string body;
        auto j0 = Clock::now();
        (void)pbu::MessageToJsonString(requests[i], &body);
        json_seconds += Seconds(j0);
        auto res = http.Post("/v1/collections/c:search", body, "application/json");
        if (!res || res->status != 200) {
          std::fprintf(stderr, "http search failed: %s\n", res ? res->body.c_str() : "no answer");
          return 1;
        }
        over_http[i].Clear();
        j0 = Clock::now();
        if (!pbu::JsonStringToMessage(res->body, &over_http[i]).ok()) return 1;
        json_seconds += Seconds(j0);
        json_bytes += body.size() + res->body.size();
      }
      http_best = std::max(http_best, double(set.queries) / Seconds(t0));
    }
    bool equal = true;
    for (size_t i = 0; i < requests.size(); ++i) {
      for (int q = 0; q < over_grpc[i].results_size(); ++q) {
        for (int h = 0; h < over_grpc[i].results(q).hits_size(); ++h) {
          equal &= over_grpc[i].results(q).hits(h).key() == over_http[i].results(q).hits(h).key();
        }
      }
    }
    std::printf("| %d | %.0f | %.0f | %.2f | %.0f | %.0f | %s |\n", batch, grpc_best, http_best,
                http_best / grpc_best, 1e6 * json_seconds / double(set.queries),
                double(json_bytes) / double(set.queries), equal ? "yes" : "NO");
  }
  return 0;
}
