// ServerMetrics: what the server exports to Prometheus (text format 0.0.4).
//
//   metricdb_rpc_requests_total{method,code}      counter, every gRPC call
//   metricdb_rpc_duration_seconds{method}         histogram of call latency
//                                                 (BuildIndex, LearnMetric,
//                                                 ActivateMetric, Calibrate,
//                                                 Cluster: build/learn times)
//   metricdb_collection_records{collection}       gauge, read at scrape time
//   metricdb_collection_index_bytes{collection}   gauge, read at scrape time
//   metricdb_collection_index_tombstones{collection}
//
// Calls are timed by RpcMetricsInterceptorFactory (a gRPC server
// interceptor, so every handler is covered, synchronous or callback). The
// text is served over HTTP by MetricsHttpServer (cpp-httplib). Collection
// names appear as labels; keys, labels and attributes never do.
#ifndef METRICDB_SERVER_SERVER_METRICS_H_
#define METRICDB_SERVER_SERVER_METRICS_H_

#include <grpcpp/support/server_interceptor.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "engine/collection/engine.h"
#include "server/http_listen.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace metricdb {

class ServerMetrics {
 public:
  // Upper bounds (seconds) of the latency histogram buckets; +Inf is added.
  static constexpr std::array<double, 16> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                      1,      2.5,     10,     60};

  void RecordRpc(const std::string& method, int code, double seconds);
  // The whole exposition: RPC metrics, then the gauges of `engine`'s
  // collections (nullptr: none).
  std::string Render(const Engine* engine) const;

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};  // per bucket, not cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;  // (method, code)
  std::map<std::string, Histogram> durations_;                // by method
};

// Times every call into `metrics`; method label = "Service/Method" without
// the package ("MetricDB/Search", "Health/Check").
class RpcMetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcMetricsInterceptorFactory(ServerMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  ServerMetrics* const metrics_;
};

// Serves GET /metrics from its own thread.
class MetricsHttpServer {
 public:
  MetricsHttpServer(const ServerMetrics* metrics, const Engine* engine);
  ~MetricsHttpServer();  // stops serving
  // Binds HOST:PORT (port 0: a free one) and serves (ListenInBackground).
  absl::StatusOr<HttpAddress> Start(const std::string& host_port);

 private:
  const ServerMetrics* const metrics_;
  const Engine* const engine_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
};

}  // namespace metricdb

#endif  // METRICDB_SERVER_SERVER_METRICS_H_
