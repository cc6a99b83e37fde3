// RunServer: everything metricdb-server does once its flags are parsed.
#include "server/run_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "cluster/shard_node_service.h"
#include "engine/collection/local_directory.h"
#include "server/http_gateway.h"
#include "server/metricdb_service.h"
#include "server/rpc_roles.h"
#include "server/server_metrics.h"

namespace metricdb {
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

int RunServer(const ServerOptions& o) {
  spdlog::set_level(spdlog::level::from_str(o.log_level));
  std::optional<TokenAuth> auth;
  if (!o.auth_tokens.empty()) {
    auto loaded = TokenAuth::FromFile(o.auth_tokens);
    if (!loaded.ok()) {
      spdlog::critical("{}", loaded.status().ToString());
      return 2;
    }
    auth = std::move(*loaded);
    spdlog::info("authentication on: {} tokens", auth->size());
  } else if (o.no_auth) {
    spdlog::warn("--no-auth: every caller may read, write and administer the data");
  } else {
    spdlog::critical("give --auth-tokens FILE, or --no-auth to serve without authentication");
    return 2;
  }
  if (!o.engine.store.sync_writes) {
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
  // A peer that goes away mid-answer is an error on that connection, not
  // the end of the server: OpenSSL's writes (HTTPS) would raise SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);

  const auto t0 = std::chrono::steady_clock::now();
  auto engine = Engine::Open(o.engine);
  if (!engine.ok()) {
    spdlog::critical("cannot open engine: {}", engine.status().ToString());
    return 1;
  }
  const auto collections = (*engine)->ListCollections();
  int64_t records = 0;
  for (const auto& c : collections) records += c->Stats().record_count;
  spdlog::info("opened {} with {} collections, {} records in {:.2f}s", o.engine.data_dir,
               collections.size(), records,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());

  LocalDirectory local(engine->get());
  std::unique_ptr<ClusterNode> cluster;
  if (!o.cluster.etcd.empty()) {
    ClusterNodeOptions cluster_options = o.cluster;
    if (!o.tls_cert.empty()) {
      // Other nodes serve TLS too: verify them against the cluster CA, and
      // present this node's certificate where client certificates are required.
      if (o.cluster_tls_ca.empty()) {
        spdlog::critical("--tls-cert in cluster mode needs --cluster-tls-ca (the CA of the nodes)");
        return 2;
      }
      cluster_options.calls.tls_root_pem = ReadFile(o.cluster_tls_ca);
      cluster_options.calls.tls_cert_pem = ReadFile(o.tls_cert);
      cluster_options.calls.tls_key_pem = ReadFile(o.tls_key);
    }
    auto joined = ClusterNode::Join(cluster_options, engine->get());
    if (!joined.ok()) {
      spdlog::critical("cannot join the cluster: {}", joined.status().ToString());
      return 1;
    }
    cluster = std::move(*joined);
  }
  CollectionDirectory* directory = cluster ? static_cast<CollectionDirectory*>(cluster.get())
                                           : static_cast<CollectionDirectory*>(&local);
  MetricDbService service(directory, auth ? &*auth : nullptr, o.search_pool, o.max_long_operations);
  service.set_cluster(cluster.get());
  service.set_backups(engine->get(),
                      o.backup_dir.empty() ? o.engine.data_dir + "-backups" : o.backup_dir);
  // Cluster mode: the node-to-node service, which needs the admin role when
  // authentication is on.
  std::unique_ptr<ShardNodeService> shard_node;
  if (cluster) {
    const TokenAuth* node_auth = auth ? &*auth : nullptr;
    shard_node = std::make_unique<ShardNodeService>(
        engine->get(), [node_auth](const grpc::ServerContextBase* context) {
          return node_auth == nullptr ? grpc::Status::OK : node_auth->Check(*context, Role::kAdmin);
        });
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!o.tls_cert.empty()) {
    grpc::SslServerCredentialsOptions ssl(
        o.tls_client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_key_cert_pairs.push_back({ReadFile(o.tls_key), ReadFile(o.tls_cert)});
    if (!o.tls_client_ca.empty()) ssl.pem_root_certs = ReadFile(o.tls_client_ca);
    credentials = grpc::SslServerCredentials(ssl);
    spdlog::info("TLS on{}", o.tls_client_ca.empty() ? "" : ", client certificates required");
  }
  builder.AddListeningPort(o.listen, credentials, &port);
  builder.SetMaxReceiveMessageSize(o.max_message_mib << 20);
  builder.SetMaxSendMessageSize(o.max_message_mib << 20);
  builder.RegisterService(&service);
  if (shard_node) builder.RegisterService(shard_node.get());
  ServerMetrics metrics;
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<RpcMetricsInterceptorFactory>(&metrics));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  std::unique_ptr<MetricsHttpServer> metrics_http;
  if (!o.metrics_listen.empty()) {
    metrics_http = std::make_unique<MetricsHttpServer>(&metrics, engine->get());
    auto bound = metrics_http->Start(o.metrics_listen);
    if (!bound.ok()) {
      spdlog::critical("--metrics-listen {}: {}", o.metrics_listen, bound.status().ToString());
      return 1;
    }
    spdlog::info("Prometheus metrics on http://{}:{}/metrics", bound->host, bound->port);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    spdlog::critical("cannot listen on {}", o.listen);
    return 1;
  }
  std::unique_ptr<HttpGateway> http;
  if (!o.http_listen.empty()) {
    HttpGatewayOptions http_options;
    http_options.max_body_mib = o.max_message_mib;
    http_options.tls_cert_file = o.tls_cert;
    http_options.tls_key_file = o.tls_key;
    http_options.tls_client_ca_file = o.tls_client_ca;
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(o.max_message_mib << 20);
    args.SetMaxSendMessageSize(o.max_message_mib << 20);
    http = std::make_unique<HttpGateway>(server->InProcessChannel(args), http_options);
    auto bound = http->Start(o.http_listen);
    if (!bound.ok()) {
      spdlog::critical("--http-listen {}: {}", o.http_listen, bound.status().ToString());
      return 1;
    }
    spdlog::info("HTTP/JSON API on {}://{}:{}/v1/", o.tls_cert.empty() ? "http" : "https",
                 bound->host, bound->port);
    if (!o.http_port_file.empty() && !WritePortFile(o.http_port_file, bound->port)) {
      spdlog::critical("cannot write port file {}", o.http_port_file);
      return 1;
    }
  }
  server->GetHealthCheckService()->SetServingStatus(v1::MetricDB::service_full_name(), true);
  spdlog::info("serving metricdb.v1.MetricDB on {} (port {})", o.listen, port);
  if (!o.port_file.empty() && !WritePortFile(o.port_file, port)) {
    spdlog::critical("cannot write port file {}", o.port_file);
    return 1;
  }

  std::thread waiter([&] {
    char sig = 0;
    while (read(g_signal_pipe[0], &sig, 1) < 0 && errno == EINTR) {
    }
    spdlog::info("signal {}: shutting down", int(sig));
    server->GetHealthCheckService()->Shutdown();
    // Index builds in flight (a BuildIndex call, a tombstone rebuild) are
    // cancelled, so that neither holds the shutdown up.
    (*engine)->StopBackgroundWork();
    server->Shutdown(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(o.shutdown_grace_ms));
  });
  server->Wait();
  waiter.join();
  http.reset();     // its calls in flight have ended with the server
  cluster.reset();  // leaves the cluster: its lease is revoked
  metrics_http.reset();
  engine->reset();  // snapshots changed collections, closes the store
  spdlog::info("stopped");
  return 0;
}

}  // namespace metricdb
