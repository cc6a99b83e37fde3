// metricdb: command-line client of a metricdb server.
//
//   metricdb [--addr HOST:PORT] [--json] COMMAND ...
//   metricdb create faces --dim 128 --metric cosine
//   metricdb load faces embeddings.npy --labels names.txt
//   metricdb search faces queries.npy -k 10 --json
#include <CLI/CLI.hpp>
#include <iostream>

#include "client/cli/commands.h"
#include "common/huge_pages.h"

using metricdb::CliContext;

namespace {

void AddFileOptions(CLI::App* cmd, metricdb::MatrixFileOptions* o,
                    const std::string& default_dataset) {
  o->hdf5_dataset = default_dataset;
  cmd->add_option("--format", o->format, "npy|fvecs|csv|hdf5 (default: by extension)")
      ->check(CLI::IsMember({"npy", "fvecs", "csv", "hdf5"}));
  cmd->add_option("--dataset", o->hdf5_dataset, "HDF5 dataset to read")
      ->capture_default_str();
  cmd->add_option("--label-column", o->csv.label_column,
                  "CSV column (header name or 0-based index) holding labels");
}

void AddIndexOptions(CLI::App* cmd, metricdb::IndexArgs* a) {
  cmd->add_option("--index", a->type, "flat|hnsw|ivf_flat|ivf_pq")->capture_default_str();
  cmd->add_option("--m", a->m, "HNSW links per node, or IVF_PQ sub-quantisers");
  cmd->add_option("--ef-construction", a->ef_construction, "HNSW build depth");
  cmd->add_option("--ef-search", a->ef_search, "HNSW search depth");
  cmd->add_option("--nlist", a->nlist, "IVF lists");
  cmd->add_option("--nprobe", a->nprobe, "IVF lists searched");
  cmd->add_option("--nbits", a->nbits, "IVF_PQ bits per code");
}

}  // namespace

int main(int argc, char** argv) {
  metricdb::ReexecWithHugePages(argv);
  CLI::App app{"metricdb: client of the metricdb vector search server"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags may follow the command
  metricdb::ClientOptions client_options;
  int64_t timeout_ms = 0;
  CliContext ctx;
  app.add_option("--addr", client_options.address, "Server address HOST:PORT")
      ->capture_default_str()
      ->envname("METRICDB_ADDR");
  app.add_option("--timeout-ms", timeout_ms, "Deadline of each call (0: none)");
  app.add_flag("--json", ctx.json, "One JSON object per line");
  int code = 0;

  metricdb::CreateArgs create;
  auto* c = app.add_subcommand("create", "Create a collection");
  c->add_option("name", create.name, "Collection name")->required();
  c->add_option("--dim", create.dim, "Vector dimension")->required();
  c->add_option("--metric", create.metric, "l2|cosine|inner_product")->capture_default_str();
  AddIndexOptions(c, &create.index);

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
  l->add_option("--key-prefix", load.key_prefix,
                "Without --keys, key = prefix + row number");
  l->add_option("--batch-size", load.batch_size,
                "Records per atomic batch (default: ~4 MiB worth)");
  l->add_option("--progress", load.progress, "auto|always|never")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "always", "never"}));

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

  metricdb::SearchArgs search;
  auto* s = app.add_subcommand("search", "k nearest neighbours of query vectors");
  s->add_option("collection", search.collection)->required();
  s->add_option("file", search.file, "Queries file (.npy .fvecs .csv .hdf5)");
  AddFileOptions(s, &search.file_options, "test");
  s->add_option("--vector", search.vector, "One query: comma-separated values");
  s->add_option("-k", search.k, "Neighbours per query")->capture_default_str();
  s->add_option("--label", search.labels, "Only records of this label (repeatable)");
  s->add_option("--batch-size", search.batch_size, "Queries per call")->capture_default_str();
  s->add_option("--ef-search", search.ef_search, "HNSW search depth for these queries");
  s->add_option("--nprobe", search.nprobe, "IVF lists searched for these queries");
  s->add_flag("--include-vectors", search.include_vectors, "Return stored vectors");
  s->add_flag("--include-attributes", search.include_attributes, "Return attributes");

  CLI11_PARSE(app, argc, argv);
  client_options.timeout = std::chrono::milliseconds(timeout_ms);
  auto client = metricdb::Client::Connect(client_options);
  ctx.client = client.get();

  if (c->parsed()) code = metricdb::RunCreate(ctx, create);
  else if (b->parsed()) {
    build.change = b->count("--index") > 0;
    code = metricdb::RunBuildIndex(ctx, build);
  } else if (list->parsed()) code = metricdb::RunList(ctx);
  else if (info->parsed()) code = metricdb::RunInfo(ctx, name);
  else if (drop->parsed()) code = metricdb::RunDrop(ctx, name);
  else if (l->parsed()) code = metricdb::RunLoad(ctx, load);
  else if (g->parsed()) code = metricdb::RunGet(ctx, get);
  else if (d->parsed()) code = metricdb::RunDelete(ctx, del);
  else if (s->parsed()) code = metricdb::RunSearch(ctx, search);
  return code;
}
