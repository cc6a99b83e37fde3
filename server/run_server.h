// RunServer: serves metricdb.v1.MetricDB, grpc.health.v1.Health and server
// reflection on one port until SIGINT/SIGTERM, over an Engine opened on
// `engine.data_dir`. metricdb-server's main() parses flags into
// ServerOptions and calls it.
//
// Shutdown: health turns NOT_SERVING, index builds in flight are cancelled
// (Engine::StopBackgroundWork), in-flight calls finish (up to
// shutdown_grace_ms), then the engine snapshots changed collections and
// closes the store.
#ifndef METRICDB_SERVER_RUN_SERVER_H_
#define METRICDB_SERVER_RUN_SERVER_H_

#include <string>

#include "cluster/cluster_node.h"
#include "engine/collection/engine.h"
#include "server/search_pool.h"

namespace metricdb {

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";  // port 0 picks a free one
  std::string log_level = "info";          // spdlog level name
  std::string port_file;                   // if set, the bound port is written there once serving
  int max_message_mib = 64;                // largest request or response message
  int shutdown_grace_ms = 5000;            // how long in-flight calls may finish
  SearchPoolOptions search_pool;
  // Token file (TokenAuth); empty requires no_auth, which serves without
  // authentication (and logs a warning).
  std::string auth_tokens;
  bool no_auth = false;
  std::string metrics_listen;  // HOST:PORT of the Prometheus endpoint; empty: off
  // HOST:PORT of the HTTP/JSON API (http_gateway.h); empty: off. Its bound
  // port goes to http_port_file when that is set.
  std::string http_listen, http_port_file;
  // TLS: certificate chain and key (both or neither); with client_ca, client
  // certificates signed by it are required.
  std::string tls_cert, tls_key, tls_client_ca;
  // Cluster mode with TLS: the CA that signed the other nodes' certificates.
  std::string cluster_tls_ca;
  int max_long_operations = 2;  // LearnMetric, Cluster, BuildIndex, ... at once
  EngineOptions engine;
  // Where Backup RPCs write (each backup a directory of it); empty:
  // "<data_dir>-backups".
  std::string backup_dir;
  // Cluster mode when cluster.etcd is set (with node_id and advertise): the
  // engine holds this node's shards and every call is coordinated across the
  // cluster. Empty: the embedded single node, which never touches etcd.
  ClusterNodeOptions cluster;
};

// Returns the process exit code: 0 after a clean shutdown, 2 for an auth
// configuration error, 1 for any other failure to start.
int RunServer(const ServerOptions& options);

}  // namespace metricdb

#endif  // METRICDB_SERVER_RUN_SERVER_H_
