#include "server/server_metrics.h"

#include <httplib.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/status_util.h"

namespace metricdb {
namespace {

// A label value with \, " and newline escaped (Prometheus text format).
std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// "/metricdb.v1.MetricDB/Search" -> "MetricDB/Search".
std::string MethodLabel(const char* path) {
  std::string m = path == nullptr ? "" : path;
  const size_t slash = m.rfind('/');
  const size_t dot = m.rfind('.', slash);
  if (slash == std::string::npos || slash == 0) return m;
  return m.substr(dot == std::string::npos ? 1 : dot + 1);
}

class RpcMetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  RpcMetricsInterceptor(ServerMetrics* metrics, std::string method)
      : metrics_(metrics), method_(std::move(method)), start_(std::chrono::steady_clock::now()) {}
  // The call is over when its interceptors are destroyed.
  ~RpcMetricsInterceptor() override {
    metrics_->RecordRpc(
        method_, code_,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      code_ = int(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  ServerMetrics* const metrics_;
  const std::string method_;
  const std::chrono::steady_clock::time_point start_;
  int code_ = int(grpc::StatusCode::CANCELLED);  // no status sent: the call was cancelled
};

}  // namespace

void ServerMetrics::RecordRpc(const std::string& method, int code, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{method, code}];
  Histogram& h = durations_[method];
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  if (b < kBuckets.size()) ++h.counts[b];
  ++h.count;
  h.sum += seconds;
}

std::string ServerMetrics::Render(const Engine* engine) const {
  std::string out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    out +=
        "# HELP metricdb_rpc_requests_total gRPC calls by method and status code.\n"
        "# TYPE metricdb_rpc_requests_total counter\n";
    for (const auto& [key, n] : requests_) {
      absl::StrAppend(&out, "metricdb_rpc_requests_total{method=\"", Escape(key.first),
                      "\",code=\"", GrpcCodeName(static_cast<grpc::StatusCode>(key.second)), "\"} ",
                      n, "\n");
    }
    out +=
        "# HELP metricdb_rpc_duration_seconds gRPC call latency by method.\n"
        "# TYPE metricdb_rpc_duration_seconds histogram\n";
    for (const auto& [method, h] : durations_) {
      const std::string m = Escape(method);
      uint64_t cumulative = 0;
      for (size_t b = 0; b < kBuckets.size(); ++b) {
        cumulative += h.counts[b];
        absl::StrAppend(&out, "metricdb_rpc_duration_seconds_bucket{method=\"", m, "\",le=\"",
                        absl::StrFormat("%g", kBuckets[b]), "\"} ", cumulative, "\n");
      }
      absl::StrAppend(&out, "metricdb_rpc_duration_seconds_bucket{method=\"", m, "\",le=\"+Inf\"} ",
                      h.count, "\n");
      absl::StrAppend(&out, "metricdb_rpc_duration_seconds_sum{method=\"", m, "\"} ",
                      absl::StrFormat("%.9g", h.sum), "\n");
      absl::StrAppend(&out, "metricdb_rpc_duration_seconds_count{method=\"", m, "\"} ", h.count,
                      "\n");
    }
  }
  if (engine == nullptr) return out;
  std::string records, bytes, tombstones, build, expired;
  for (const auto& c : engine->ListCollections()) {
    const CollectionStats stats = c->Stats();
    const std::string label = absl::StrCat("{collection=\"", Escape(c->schema().name), "\"} ");
    absl::StrAppend(&records, "metricdb_collection_records", label, stats.record_count, "\n");
    absl::StrAppend(&expired, "metricdb_collection_expired_records_total", label,
                    stats.expired_records, "\n");
    absl::StrAppend(&bytes, "metricdb_collection_index_bytes", label, stats.index_memory_bytes,
                    "\n");
    absl::StrAppend(&tombstones, "metricdb_collection_index_tombstones", label,
                    stats.index.tombstones, "\n");
    absl::StrAppend(&build, "metricdb_collection_index_build_seconds", label,
                    absl::StrFormat("%.6g", stats.last_index_build_seconds), "\n");
  }
  out +=
      "# HELP metricdb_collection_records Records stored per collection.\n"
      "# TYPE metricdb_collection_records gauge\n" +
      records +
      "# HELP metricdb_collection_expired_records_total Records deleted because they "
      "expired (retention), since the server started.\n"
      "# TYPE metricdb_collection_expired_records_total counter\n" +
      expired +
      "# HELP metricdb_collection_index_bytes Memory held by each collection's index.\n"
      "# TYPE metricdb_collection_index_bytes gauge\n" +
      bytes +
      "# HELP metricdb_collection_index_tombstones Deleted entries still in the index.\n"
      "# TYPE metricdb_collection_index_tombstones gauge\n" +
      tombstones +
      "# HELP metricdb_collection_index_build_seconds Wall time of each collection's last "
      "index build (open, BuildIndex, tombstone rebuild, metric activation).\n"
      "# TYPE metricdb_collection_index_build_seconds gauge\n" +
      build;
  return out;
}

grpc::experimental::Interceptor* RpcMetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new RpcMetricsInterceptor(metrics_, MethodLabel(info->method()));
}

MetricsHttpServer::MetricsHttpServer(const ServerMetrics* metrics, const Engine* engine)
    : metrics_(metrics), engine_(engine), http_(std::make_unique<httplib::Server>()) {}

MetricsHttpServer::~MetricsHttpServer() {
  http_->stop();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<HttpAddress> MetricsHttpServer::Start(const std::string& host_port) {
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_->Render(engine_), "text/plain; version=0.0.4");
  });
  return ListenInBackground(http_.get(), host_port, &thread_);
}

}  // namespace metricdb
