// metricdb-server: serves metricdb.v1.MetricDB, grpc.health.v1.Health and
// server reflection on one port.
//
//   metricdb-server --listen 127.0.0.1:50051 --data-dir ./data
//
// SIGINT/SIGTERM shut down gracefully: in-flight calls finish (up to
// --shutdown-grace-ms), then the store is closed.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <optional>
#include <thread>

#include <unistd.h>
#include <cerrno>

#include "common/process_setup.h"
#include "engine/collection/engine.h"
#include "server/metricdb_service.h"
#include "server/server_metrics.h"

namespace {

int g_signal_pipe[2] = {-1, -1};

void OnSignal(int sig) {
  const char byte = static_cast<char>(sig);
  [[maybe_unused]] ssize_t n = write(g_signal_pipe[1], &byte, 1);
}

// Writes the bound port to `path` atomically (write + rename), so a process
// that started the server on port 0 can find it.
bool WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << port << "\n";
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

int main(int argc, char** argv) {
  metricdb::ReexecWithTunedEnvironment(argv);
  CLI::App app{"metricdb-server: vector similarity search for learned embeddings"};
  std::string listen = "127.0.0.1:50051";
  std::string log_level = "info";
  std::string port_file;
  int max_message_mib = 64;
  int shutdown_grace_ms = 5000;
  metricdb::SearchPoolOptions search_pool;
  std::string auth_tokens;
  std::string metrics_listen;
  std::string tls_cert, tls_key, tls_client_ca;
  int max_long_operations = 2;
  bool no_auth = false;
  metricdb::EngineOptions options;
  options.data_dir = "./metricdb-data";
  app.add_option("--listen", listen, "Address to serve on (port 0 picks a free one)")
      ->capture_default_str();
  app.add_option("--data-dir", options.data_dir, "Directory of the RocksDB store")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_option("--max-message-mib", max_message_mib,
                 "Largest request or response message in MiB; larger ones get "
                 "RESOURCE_EXHAUSTED")
      ->capture_default_str()
      ->check(CLI::Range(1, 2047));
  app.add_option("--max-k", options.limits.max_k, "Largest k of a search")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-queries", options.limits.max_queries,
                 "Most query vectors in one search")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-batch-records", options.limits.max_batch_records,
                 "Most records in one upsert batch")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--snapshot-interval-s", options.snapshot_interval_seconds,
                 "Seconds between index snapshots of changed collections (0: only on "
                 "shutdown)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_flag("!--no-sync", options.store.sync_writes,
               "Acknowledge writes before the WAL is fsynced (unsafe on crash)");
  app.add_option("--port-file", port_file,
                 "Write the bound port to this file once serving");
  auto* tokens_opt = app.add_option(
      "--auth-tokens", auth_tokens,
      "Token file (lines \"read|write|admin SHA256HEX [NAME]\"); calls need "
      "\"authorization: Bearer <token>\"");
  app.add_flag("--no-auth", no_auth, "Serve without authentication (logs a warning)")
      ->excludes(tokens_opt);
  auto* cert_opt = app.add_option("--tls-cert", tls_cert,
                                  "Server certificate chain (PEM): serve TLS")
                       ->check(CLI::ExistingFile);
  auto* key_opt = app.add_option("--tls-key", tls_key, "Private key of --tls-cert (PEM)")
                      ->check(CLI::ExistingFile);
  cert_opt->needs(key_opt);
  key_opt->needs(cert_opt);
  app.add_option("--tls-client-ca", tls_client_ca,
                 "CA certificates (PEM): require client certificates signed by them")
      ->check(CLI::ExistingFile)
      ->needs(cert_opt);
  app.add_option("--metrics-listen", metrics_listen,
                 "HOST:PORT for Prometheus metrics at /metrics (port 0: a free one; "
                 "empty: off)");
  app.add_option("--max-long-operations", max_long_operations,
                 "LearnMetric, Cluster, BuildIndex, Calibrate, ActivateMetric calls running "
                 "at once; more get RESOURCE_EXHAUSTED")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--search-threads", search_pool.threads,
                 "Threads for searches too long for gRPC's callback threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--max-queued-searches", search_pool.max_queued,
                 "Long searches that may wait for a thread; more get RESOURCE_EXHAUSTED")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--shutdown-grace-ms", shutdown_grace_ms,
                 "How long in-flight calls may finish on shutdown")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  spdlog::set_level(spdlog::level::from_str(log_level));
  std::optional<metricdb::TokenAuth> auth;
  if (!auth_tokens.empty()) {
    auto loaded = metricdb::TokenAuth::FromFile(auth_tokens);
    if (!loaded.ok()) {
      spdlog::critical("{}", loaded.status().ToString());
      return 2;
    }
    auth = std::move(*loaded);
    spdlog::info("authentication on: {} tokens", auth->size());
  } else if (no_auth) {
    spdlog::warn("--no-auth: every caller may read, write and administer the data");
  } else {
    spdlog::critical("give --auth-tokens FILE, or --no-auth to serve without authentication");
    return 2;
  }
  if (!options.store.sync_writes) {
    spdlog::warn("--no-sync: acknowledged writes can be lost on a crash");
  }

  // Shutdown signals are turned into a byte on a pipe (the only thing a
  // handler may safely do); a thread waits for it and stops the server.
  if (pipe(g_signal_pipe) != 0) {
    spdlog::critical("cannot create signal pipe");
    return 1;
  }
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  const auto t0 = std::chrono::steady_clock::now();
  auto engine = metricdb::Engine::Open(options);
  if (!engine.ok()) {
    spdlog::critical("cannot open engine: {}", engine.status().ToString());
    return 1;
  }
  const auto collections = (*engine)->ListCollections();
  int64_t records = 0;
  for (const auto& c : collections) records += c->Stats().record_count;
  spdlog::info("opened {} with {} collections, {} records in {:.2f}s",
               options.data_dir, collections.size(), records,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                   .count());

  metricdb::MetricDbService service(engine->get(), auth ? &*auth : nullptr, search_pool,
                                    max_long_operations);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!tls_cert.empty()) {
    grpc::SslServerCredentialsOptions ssl(
        tls_client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                              : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_key_cert_pairs.push_back({ReadFile(tls_key), ReadFile(tls_cert)});
    if (!tls_client_ca.empty()) ssl.pem_root_certs = ReadFile(tls_client_ca);
    credentials = grpc::SslServerCredentials(ssl);
    spdlog::info("TLS on{}", tls_client_ca.empty() ? "" : ", client certificates required");
  }
  builder.AddListeningPort(listen, credentials, &port);
  builder.SetMaxReceiveMessageSize(max_message_mib << 20);
  builder.SetMaxSendMessageSize(max_message_mib << 20);
  builder.RegisterService(&service);
  metricdb::ServerMetrics metrics;
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(std::make_unique<metricdb::RpcMetricsInterceptorFactory>(&metrics));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  std::unique_ptr<metricdb::MetricsHttpServer> metrics_http;
  if (!metrics_listen.empty()) {
    const size_t colon = metrics_listen.rfind(':');
    int metrics_port = -1;
    if (colon != std::string::npos) {
      metrics_port = std::atoi(metrics_listen.c_str() + colon + 1);
    }
    metrics_http = std::make_unique<metricdb::MetricsHttpServer>(&metrics, engine->get());
    auto bound = metrics_port < 0
                     ? absl::StatusOr<int>(absl::InvalidArgumentError("expected HOST:PORT"))
                     : metrics_http->Start(metrics_listen.substr(0, colon), metrics_port);
    if (!bound.ok()) {
      spdlog::critical("--metrics-listen {}: {}", metrics_listen, bound.status().ToString());
      return 1;
    }
    spdlog::info("Prometheus metrics on http://{}:{}/metrics", metrics_listen.substr(0, colon),
                 *bound);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    spdlog::critical("cannot listen on {}", listen);
    return 1;
  }
  server->GetHealthCheckService()->SetServingStatus(
      metricdb::v1::MetricDB::service_full_name(), true);
  spdlog::info("serving metricdb.v1.MetricDB on {} (port {})", listen, port);
  if (!port_file.empty() && !WritePortFile(port_file, port)) {
    spdlog::critical("cannot write port file {}", port_file);
    return 1;
  }

  std::thread waiter([&] {
    char sig = 0;
    while (read(g_signal_pipe[0], &sig, 1) < 0 && errno == EINTR) {
    }
    spdlog::info("signal {}: shutting down", int(sig));
    server->GetHealthCheckService()->Shutdown();
    server->Shutdown(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(shutdown_grace_ms));
  });
  server->Wait();
  waiter.join();
  metrics_http.reset();
  engine->reset();  // snapshots changed collections, closes the store
  spdlog::info("stopped");
  return 0;
}
