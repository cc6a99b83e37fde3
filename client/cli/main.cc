// metricdb: command-line client of a metricdb server.
//
//   metricdb [--addr HOST:PORT] [--json] COMMAND ...
//   metricdb create faces --dim 128 --metric cosine
//   metricdb load faces embeddings.npy --labels names.txt
//   metricdb search faces queries.npy -k 10 --json
//   metricdb learn faces --method kissme --activate
#include <CLI/CLI.hpp>
#include <cctype>
#include <fstream>
#include <iostream>
#include <iterator>

#include "client/cli/commands.h"
#include "common/process_setup.h"

using metricdb::CliContext;
namespace v1 = metricdb::v1;

namespace {

void AddFileOptions(CLI::App* cmd, metricdb::MatrixFileOptions* o,
                    const std::string& default_dataset) {
  o->hdf5_dataset = default_dataset;
  cmd->add_option("--format", o->format, "npy|fvecs|csv|hdf5 (default: by extension)")
      ->check(CLI::IsMember({"npy", "fvecs", "csv", "hdf5"}));
  cmd->add_option("--dataset", o->hdf5_dataset, "HDF5 dataset to read")->capture_default_str();
  cmd->add_option("--label-column", o->csv.label_column,
                  "CSV column (header name or 0-based index) holding labels");
}

void AddIndexOptions(CLI::App* cmd, metricdb::IndexArgs* a) {
  cmd->add_option("--index", a->type, "flat|hnsw|ivf_flat|ivf_pq")->capture_default_str();
  cmd->add_option("--m", a->m, "HNSW links per node, or IVF_PQ sub-quantisers");
  cmd->add_option("--ef-construction", a->ef_construction, "HNSW build depth");
  cmd->add_option("--ef-search", a->ef_search, "HNSW search depth");
  cmd->add_option("--quantization", a->quantization,
                  "HNSW: none, or walk the graph on sq8 / sq4 codes and re-rank")
      ->check(CLI::IsMember({"none", "sq8", "sq4"}))
      ->capture_default_str();
  cmd->add_option("--rerank", a->rerank, "Quantised HNSW: candidates re-ranked exactly");
  cmd->add_option("--code-dims", a->code_dims,
                  "Quantised HNSW: codes of this many principal axes (0: every dimension)");
  cmd->add_option("--nlist", a->nlist, "IVF lists");
  cmd->add_option("--nprobe", a->nprobe, "IVF lists searched");
  cmd->add_option("--nbits", a->nbits, "IVF_PQ bits per code");
}

// --progress auto (when the output is a terminal) | always | never.
void AddProgressOption(CLI::App* cmd, std::string* mode) {
  cmd->add_option("--progress", *mode, "auto|always|never")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "always", "never"}));
}

}  // namespace

int main(int argc, char** argv) {
  metricdb::ReexecWithTunedEnvironment(argv);
  CLI::App app{"metricdb: client of the metricdb vector search server"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags may follow the command
  metricdb::ClientOptions client_options;
  int64_t timeout_ms = 0;
  CliContext ctx;
  app.add_option("--addr", client_options.address, "Server address HOST:PORT")
      ->capture_default_str()
      ->envname("METRICDB_ADDR");
  app.add_option("--token", client_options.token, "Bearer token of a server run with --auth-tokens")
      ->envname("METRICDB_TOKEN");
  std::string token_file;
  app.add_option("--token-file", token_file, "Read the bearer token from this file")
      ->envname("METRICDB_TOKEN_FILE")
      ->check(CLI::ExistingFile);
  std::string tls_ca, tls_cert, tls_key;
  app.add_option("--tls-ca", tls_ca, "Connect with TLS; CA certificates (PEM) of the server's")
      ->envname("METRICDB_TLS_CA")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-cert", tls_cert, "Client certificate (PEM), for servers that ask")
      ->envname("METRICDB_TLS_CERT")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", tls_key, "Key of --tls-cert (PEM)")
      ->envname("METRICDB_TLS_KEY")
      ->check(CLI::ExistingFile);
  app.add_option("--timeout-ms", timeout_ms, "Deadline of each call (0: none)");
  app.add_flag("--json", ctx.json, "One JSON object per line");
  int code = 0;

  metricdb::CreateArgs create;
  auto* c = app.add_subcommand("create", "Create a collection");
  c->add_option("name", create.name, "Collection name")->required();
  c->add_option("--dim", create.dim, "Vector dimension")->required();
  c->add_option("--metric", create.metric, "l2|cosine|inner_product")->capture_default_str();
  AddIndexOptions(c, &create.index);
  c->add_option("--shards", create.shards,
                "Shards to split the records over (a cluster: servers with --cluster-etcd)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  c->add_option("--attribute", create.attributes,
                "Declare an attribute field NAME:TYPE, TYPE string|int64|double|bool|timestamp "
                "(repeatable; then writes are checked and filters name only declared fields)");
  c->add_option("--ttl", create.ttl,
                "Retention: records expire this long after they are written (90s, 30m, 12h, 30d)");
  auto* cs = app.add_subcommand("cluster-status", "Cluster nodes, their leases and shards");
  metricdb::AliasArgs alias_args;
  auto* al = app.add_subcommand("alias", "create|switch ALIAS COLLECTION, delete ALIAS, list");
  al->add_option("action", alias_args.action)
      ->required()
      ->check(CLI::IsMember({"create", "switch", "delete", "list"}));
  al->add_option("alias", alias_args.alias);
  al->add_option("collection", alias_args.collection);
  std::string backup_name, backup_dir, data_dir;
  auto* bk = app.add_subcommand("backup", "Online backup of the server's data, named NAME");
  bk->add_option("name", backup_name, "Backup name (a directory of the server's --backup-dir)")
      ->required();
  auto* rs = app.add_subcommand("restore", "Verify a backup, copy it into a new data directory");
  rs->add_option("backup_dir", backup_dir)->required()->check(CLI::ExistingDirectory);
  rs->add_option("data_dir", data_dir, "Absent or empty; then serve it with --data-dir")
      ->required();

  metricdb::BuildIndexArgs build;
  auto* b = app.add_subcommand(
      "build-index", "Rebuild a collection's index (train IVF now), or switch to --index");
  b->add_option("name", build.name, "Collection name")->required();
  AddIndexOptions(b, &build.index);

  auto* list = app.add_subcommand("list", "List collections");

  std::string name;
  auto* info = app.add_subcommand("info", "Show a collection's schema and stats");
  info->add_option("name", name, "Collection name")->required();
  auto* drop = app.add_subcommand("drop", "Drop a collection and all its records");
  drop->add_option("name", name, "Collection name")->required();

  metricdb::LoadArgs load;
  auto* l = app.add_subcommand("load", "Load vectors from a file (.npy .fvecs .csv .hdf5)");
  l->add_option("collection", load.collection)->required();
  l->add_option("file", load.file)->required();
  AddFileOptions(l, &load.file_options, "train");
  l->add_option("--labels", load.labels_file, "Text file, one label per row");
  l->add_option("--keys", load.keys_file, "Text file, one key per row");
  l->add_option("--key-prefix", load.key_prefix, "Without --keys, key = prefix + row number");
  l->add_option("--attributes", load.attributes_file,
                "JSON-lines file, one object of attributes per row (e.g. {\"camera\": \"c1\", "
                "\"ts\": 1700000000})");
  l->add_option("--attribute-column", load.file_options.csv.attribute_columns,
                "CSV column (header name) holding an attribute (repeatable)");
  l->add_option("--batch-size", load.batch_size,
                "Records per atomic batch (default: ~4 MiB worth)");
  AddProgressOption(l, &load.progress);

  metricdb::ExportArgs export_args;
  auto* ex = app.add_subcommand("export", "A collection to files that `load` reads back");
  ex->add_option("collection", export_args.collection)->required();
  ex->add_option("dir", export_args.dir, "Output directory")->required();
  ex->add_option("--page-size", export_args.page_size, "Records per request")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));

  metricdb::GetArgs get;
  auto* g = app.add_subcommand("get", "Get records by key");
  g->add_option("collection", get.collection)->required();
  g->add_option("keys", get.keys, "Keys")->required();
  g->add_flag("--vectors", get.vectors, "Include the vectors");

  metricdb::DeleteArgs del;
  auto* d = app.add_subcommand("delete", "Delete records by key or label");
  d->add_option("collection", del.collection)->required();
  d->add_option("--key", del.keys, "Key to delete (repeatable)");
  d->add_option("--label", del.labels, "Delete every record of this label (repeatable)");
  d->add_option("--filter", del.filter,
                "Only records matching this filter expression; alone: every such record");

  metricdb::CountArgs count;
  auto* cnt = app.add_subcommand("count", "Count the records matching a filter");
  cnt->add_option("collection", count.collection)->required();
  cnt->add_option("--filter", count.filter, "Filter expression (default: every record)");

  metricdb::LabelsArgs labels;
  auto* lb = app.add_subcommand("labels", "The identities held, with their numbers of records");
  lb->add_option("collection", labels.collection)->required();
  lb->add_option("--filter", labels.filter, "Count only records matching it");
  lb->add_option("--limit", labels.limit, "At most this many labels (default: all)");

  metricdb::ScanArgs scan;
  auto* sc = app.add_subcommand("scan", "Every record, in key order, a page at a time");
  sc->add_option("collection", scan.collection)->required();
  sc->add_option("--filter", scan.filter, "Only records matching it");
  sc->add_option("--scope", scan.scope, "all|labelled|unlabelled")
      ->capture_default_str()
      ->check(CLI::IsMember({"all", "labelled", "unlabelled"}));
  sc->add_option("--label", scan.labels, "Only records of this label (repeatable)");
  sc->add_flag("--vectors", scan.vectors, "Include the vectors");
  sc->add_option("--limit", scan.limit, "At most this many records (default: all)");
  sc->add_option("--page-size", scan.page_size, "Records per request")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));

  metricdb::RelabelArgs relabel;
  auto* rl = app.add_subcommand("relabel", "Rename an identity, or merge several into one");
  rl->add_option("collection", relabel.collection)->required();
  rl->add_option("--from", relabel.from, "A label to relabel (repeatable)")->required();
  rl->add_option("--to", relabel.to, "The new label")->required();

  metricdb::SearchArgs search;
  auto* s = app.add_subcommand("search", "k nearest neighbours of query vectors");
  s->add_option("collection", search.collection)->required();
  s->add_option("file", search.file, "Queries file (.npy .fvecs .csv .hdf5)");
  AddFileOptions(s, &search.file_options, "test");
  s->add_option("--vector", search.vector, "One query: comma-separated values");
  s->add_option("-k,--limit", search.k, "Neighbours per query (with a radius: at most this many)")
      ->capture_default_str();
  s->add_option("--max-distance", search.max_distance,
                "Radius search: every record within this distance (up to --limit)");
  s->add_option("--far", search.far, "Radius search within the threshold calibrated at this FAR");
  s->add_option("--label", search.labels, "Only records of this label (repeatable)");
  s->add_option("--filter", search.filter,
                "Only records matching this filter expression, e.g. 'camera IN (\"c1\") AND ts "
                ">= 1700000000'");
  s->add_option("--batch-size", search.batch_size, "Queries per call")->capture_default_str();
  s->add_option("--ef-search", search.ef_search, "HNSW search depth for these queries");
  s->add_option("--nprobe", search.nprobe, "IVF lists searched for these queries");
  s->add_option("--rerank", search.rerank,
                "Quantised HNSW: candidates re-ranked exactly for these queries");
  s->add_flag("--include-vectors", search.include_vectors, "Return stored vectors");
  s->add_flag("--include-attributes", search.include_attributes, "Return attributes");

  metricdb::LearnArgs learn;
  CLI::App* lm = metricdb::AddLearnCommand(app, &learn);
  AddProgressOption(lm, &learn.progress);

  std::string metrics_of;
  auto* ms = app.add_subcommand("metrics", "List a collection's metric versions");
  ms->add_option("collection", metrics_of)->required();

  std::string activate_of;
  int activate_version = 0;
  auto* am = app.add_subcommand("activate-metric",
                                "Put a metric version in force (0: the creation metric)");
  am->add_option("collection", activate_of)->required();
  am->add_option("version", activate_version)->required();

  metricdb::SetMetricArgs set_metric;
  auto* sm = app.add_subcommand("set-metric", "Upload a map L (d_out x dim) from a file");
  sm->add_option("collection", set_metric.collection)->required();
  sm->add_option("file", set_metric.file, ".npy .fvecs .csv .hdf5")->required();
  sm->add_flag("--activate", set_metric.activate, "Put it in force");

  auto add_threshold = [](CLI::App* cmd, metricdb::ThresholdArgs* t) {
    cmd->add_option("--threshold", t->threshold, "Distance threshold (same when <=)");
    cmd->add_option("--far", t->far, "Use the calibrated threshold at this target FAR");
  };

  metricdb::IdentifyArgs identify;
  auto* id = app.add_subcommand("identify", "Who is this? Top identities per query (open set)");
  id->add_option("collection", identify.collection)->required();
  id->add_option("file", identify.file, "Queries file (.npy .fvecs .csv .hdf5)");
  AddFileOptions(id, &identify.file_options, "test");
  id->add_option("--vector", identify.vector, "One query: comma-separated values");
  id->add_option("--key", identify.keys, "A stored record as query (repeatable)");
  id->add_option("--top", identify.top, "Identities per query")->capture_default_str();
  id->add_option("--depth", identify.depth, "Candidates from the index (default 100)");
  id->add_option("--aggregation", identify.aggregation, "min|mean|votes")
      ->capture_default_str()
      ->check(CLI::IsMember({"min", "mean", "votes"}));
  id->add_option("--top-n", identify.top_n, "Records averaged by mean")->capture_default_str();
  add_threshold(id, &identify.threshold);
  id->add_option("--filter", identify.filter, "Only records matching it are candidates");

  metricdb::VerifyArgs verify;
  auto* vf = app.add_subcommand("verify", "Same identity? Pairs of key:K, label:L or vec:V,...");
  vf->add_option("collection", verify.collection)->required();
  vf->add_option("sides", verify.sides, "SIDE SIDE [SIDE SIDE ...]")->required();
  vf->add_option("--aggregation", verify.aggregation, "min|mean (for label sides)")
      ->capture_default_str()
      ->check(CLI::IsMember({"min", "mean"}));
  vf->add_option("--top-n", verify.top_n, "Records averaged by mean")->capture_default_str();
  add_threshold(vf, &verify.threshold);
  vf->add_option("--filter", verify.filter, "A label side stands for its records matching it");

  metricdb::CalibrateArgs calibrate;
  auto* cb = app.add_subcommand("calibrate", "Thresholds at target FARs from the labels");
  cb->add_option("collection", calibrate.collection)->required();
  cb->add_option("--far", calibrate.fars, "Target FAR (repeatable; default 1e-2 1e-3 1e-4)");
  cb->add_option("--holdout", calibrate.holdout, "Identities held out to check the FAR");
  cb->add_option("--seed", calibrate.seed, "Sampling seed (1)");
  cb->add_option("--max-records", calibrate.max_records, "Labelled records sampled (20000)");
  cb->add_flag("--show", calibrate.show, "Print the stored calibration");
  cb->add_option("--filter", calibrate.filter, "Only records matching it are sampled");

  metricdb::ClusterArgs cluster;
  auto* cl = app.add_subcommand("cluster", "k-means, or threshold clustering into identities");
  cl->add_option("collection", cluster.collection)->required();
  cl->add_option("--method", cluster.method, "kmeans|threshold")
      ->capture_default_str()
      ->check(CLI::IsMember({"kmeans", "threshold"}));
  cl->add_option("--scope", cluster.scope, "all|labelled|unlabelled")
      ->capture_default_str()
      ->check(CLI::IsMember({"all", "labelled", "unlabelled"}));
  cl->add_option("--label", cluster.labels, "Only records of this label (repeatable)");
  cl->add_option("-k", cluster.k, "k-means clusters");
  cl->add_option("--iterations", cluster.iterations, "k-means iterations (25)");
  cl->add_option("--seed", cluster.seed, "Seed (1)");
  add_threshold(cl, &cluster.threshold);
  cl->add_option("--neighbors", cluster.neighbors, "Threshold: neighbours per record (10)");
  cl->add_option("--linkage", cluster.linkage, "Threshold: single|average")
      ->capture_default_str()
      ->check(CLI::IsMember({"single", "average"}));
  cl->add_flag("--write-labels", cluster.write_labels, "Label the unlabelled clustered records");
  cl->add_option("--label-prefix", cluster.label_prefix, "Label prefix (cluster-)");
  AddProgressOption(cl, &cluster.progress);
  cl->add_option("--filter", cluster.filter, "Only records matching it are clustered");

  CLI11_PARSE(app, argc, argv);
  client_options.timeout = std::chrono::milliseconds(timeout_ms);
  if (!token_file.empty() && client_options.token.empty()) {
    std::ifstream in(token_file);
    std::getline(in, client_options.token);
    while (!client_options.token.empty() && std::isspace(uint8_t(client_options.token.back()))) {
      client_options.token.pop_back();
    }
  }
  auto slurp = [](const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  if (!tls_ca.empty() || !tls_cert.empty()) {
    client_options.tls = true;
    if (!tls_ca.empty()) client_options.tls_root_pem = slurp(tls_ca);
    if (!tls_cert.empty()) client_options.tls_cert_pem = slurp(tls_cert);
    if (!tls_key.empty()) client_options.tls_key_pem = slurp(tls_key);
  }
  auto client = metricdb::Client::Connect(client_options);
  ctx.client = client.get();

  if (c->parsed())
    code = metricdb::RunCreate(ctx, create);
  else if (b->parsed()) {
    build.change = b->count("--index") > 0;
    code = metricdb::RunBuildIndex(ctx, build);
  } else if (list->parsed())
    code = metricdb::RunList(ctx);
  else if (info->parsed())
    code = metricdb::RunInfo(ctx, name);
  else if (drop->parsed())
    code = metricdb::RunDrop(ctx, name);
  else if (l->parsed())
    code = metricdb::RunLoad(ctx, load);
  else if (g->parsed())
    code = metricdb::RunGet(ctx, get);
  else if (ex->parsed())
    code = metricdb::RunExport(ctx, export_args);
  else if (d->parsed())
    code = metricdb::RunDelete(ctx, del);
  else if (cnt->parsed())
    code = metricdb::RunCount(ctx, count);
  else if (lb->parsed())
    code = metricdb::RunLabels(ctx, labels);
  else if (sc->parsed())
    code = metricdb::RunScan(ctx, scan);
  else if (rl->parsed())
    code = metricdb::RunRelabel(ctx, relabel);
  else if (s->parsed())
    code = metricdb::RunSearch(ctx, search);
  else if (lm->parsed())
    code = metricdb::RunLearn(ctx, learn);
  else if (ms->parsed())
    code = metricdb::RunMetrics(ctx, metrics_of);
  else if (am->parsed())
    code = metricdb::RunActivateMetric(ctx, activate_of, activate_version);
  else if (sm->parsed())
    code = metricdb::RunSetMetric(ctx, set_metric);
  else if (id->parsed())
    code = metricdb::RunIdentify(ctx, identify);
  else if (vf->parsed())
    code = metricdb::RunVerify(ctx, verify);
  else if (cb->parsed())
    code = metricdb::RunCalibrate(ctx, calibrate);
  else if (cl->parsed())
    code = metricdb::RunCluster(ctx, cluster);
  else if (al->parsed())
    code = metricdb::RunAlias(ctx, alias_args);
  else if (bk->parsed())
    code = metricdb::RunBackup(ctx, backup_name);
  else if (rs->parsed())
    code = metricdb::RunRestore(ctx, backup_dir, data_dir);
  else if (cs->parsed())
    code = metricdb::RunClusterStatus(ctx);
  return code;
}
