// metricdb-server: serves metricdb.v1.MetricDB, grpc.health.v1.Health and
// server reflection on one port (server/run_server.h).
//
//   metricdb-server --listen 127.0.0.1:50051 --data-dir ./data
//
// SIGINT/SIGTERM shut down gracefully: in-flight calls finish (up to
// --shutdown-grace-ms), then the store is closed.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "common/process_setup.h"
#include "server/run_server.h"

int main(int argc, char** argv) {
  metricdb::ReexecWithTunedEnvironment(argv);
  CLI::App app{"metricdb-server: vector similarity search for learned embeddings"};
  metricdb::ServerOptions o;
  metricdb::EngineOptions& options = o.engine;
  options.data_dir = "./metricdb-data";
  app.add_option("--listen", o.listen, "Address to serve on (port 0 picks a free one)")
      ->capture_default_str();
  app.add_option("--data-dir", options.data_dir, "Directory of the RocksDB store")
      ->capture_default_str();
  app.add_option("--backup-dir", o.backup_dir,
                 "Directory of the backups the Backup RPC writes (default: DATA_DIR-backups)");
  app.add_option("--log-level", o.log_level, "trace|debug|info|warn|error|off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_option("--max-message-mib", o.max_message_mib,
                 "Largest request or response message in MiB; larger ones get "
                 "RESOURCE_EXHAUSTED")
      ->capture_default_str()
      ->check(CLI::Range(1, 2047));
  app.add_option("--max-k", options.limits.max_k, "Largest k of a search")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-queries", options.limits.max_queries, "Most query vectors in one search")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-batch-records", options.limits.max_batch_records,
                 "Most records in one upsert batch")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--expiry-sweep-ms", options.expiry_sweep_ms,
                 "Milliseconds between sweeps deleting expired records (0: reads only)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--snapshot-interval-s", options.snapshot_interval_seconds,
                 "Seconds between index snapshots of changed collections (0: only on "
                 "shutdown)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_flag("!--no-sync", options.store.sync_writes,
               "Acknowledge writes before the WAL is fsynced (unsafe on crash)");
  app.add_option("--port-file", o.port_file, "Write the bound port to this file once serving");
  app.add_option("--http-listen", o.http_listen,
                 "HOST:PORT of the HTTP/JSON API and its OpenAPI document (port 0 picks one)");
  app.add_option("--http-port-file", o.http_port_file, "Write the HTTP API's port to this file");
  auto* tokens_opt = app.add_option(
      "--auth-tokens", o.auth_tokens,
      "Token file (lines \"read|write|admin SHA256HEX [NAME] [collections=P,...]\"); "
      "calls need "
      "\"authorization: Bearer <token>\"");
  app.add_flag("--no-auth", o.no_auth, "Serve without authentication (logs a warning)")
      ->excludes(tokens_opt);
  auto* cert_opt =
      app.add_option("--tls-cert", o.tls_cert, "Server certificate chain (PEM): serve TLS")
          ->check(CLI::ExistingFile);
  auto* key_opt = app.add_option("--tls-key", o.tls_key, "Private key of --tls-cert (PEM)")
                      ->check(CLI::ExistingFile);
  cert_opt->needs(key_opt);
  key_opt->needs(cert_opt);
  app.add_option("--tls-client-ca", o.tls_client_ca,
                 "CA certificates (PEM): require client certificates signed by them")
      ->check(CLI::ExistingFile)
      ->needs(cert_opt);
  app.add_option("--metrics-listen", o.metrics_listen,
                 "HOST:PORT for Prometheus metrics at /metrics (port 0: a free one; "
                 "empty: off)");
  app.add_option("--max-long-operations", o.max_long_operations,
                 "LearnMetric, Cluster, BuildIndex, Calibrate, ActivateMetric calls running "
                 "at once; more get RESOURCE_EXHAUSTED")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--search-threads", o.search_pool.threads,
                 "Threads for searches too long for gRPC's callback threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--max-queued-searches", o.search_pool.max_queued,
                 "Long searches that may wait for a thread; more get RESOURCE_EXHAUSTED")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--shutdown-grace-ms", o.shutdown_grace_ms,
                 "How long in-flight calls may finish on shutdown")
      ->capture_default_str();
  // Cluster mode (cluster/cluster_node.h): none of these given, the server is
  // the embedded single node and never touches etcd.
  metricdb::ClusterNodeOptions& c = o.cluster;
  auto* etcd_opt = app.add_option("--cluster-etcd", c.etcd,
                                  "Join a cluster coordinated by etcd at http://HOST:PORT[,...]");
  app.add_option("--node-id", c.node_id, "This node's id in the cluster ([A-Za-z0-9_-]{1,64})")
      ->needs(etcd_opt);
  app.add_option("--advertise", c.advertise,
                 "HOST:PORT where other nodes and clients reach this node (default: --listen)")
      ->needs(etcd_opt);
  app.add_option("--cluster-prefix", c.prefix, "The cluster's key prefix in etcd")
      ->capture_default_str()
      ->needs(etcd_opt);
  app.add_option("--cluster-lease-s", c.lease_ttl_seconds,
                 "Seconds without a keep-alive after which etcd declares this node down")
      ->capture_default_str()
      ->check(CLI::Range(2, 3600))
      ->needs(etcd_opt);
  app.add_option("--cluster-tls-ca", o.cluster_tls_ca,
                 "With --tls-cert: CA certificates (PEM) of the other nodes' certificates")
      ->check(CLI::ExistingFile)
      ->needs(etcd_opt)
      ->needs(cert_opt);
  std::string token_file;
  app.add_option("--cluster-token-file", token_file,
                 "File holding the bearer token this node presents to other nodes (an admin "
                 "token of their --auth-tokens)")
      ->check(CLI::ExistingFile)
      ->needs(etcd_opt);
  CLI11_PARSE(app, argc, argv);
  if (!c.etcd.empty()) {
    if (c.node_id.empty()) {
      std::fprintf(stderr, "--cluster-etcd needs --node-id\n");
      return 2;
    }
    if (c.advertise.empty()) c.advertise = o.listen;
    if (c.advertise.size() >= 2 && c.advertise.substr(c.advertise.size() - 2) == ":0") {
      std::fprintf(stderr, "--advertise (or --listen) needs a fixed port in cluster mode\n");
      return 2;
    }
    if (!token_file.empty()) {
      std::ifstream in(token_file);
      std::getline(in, c.calls.token);
    }
  }
  return metricdb::RunServer(o);
}
