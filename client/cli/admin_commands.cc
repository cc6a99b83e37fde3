// create, list, info, drop, get, delete, cluster-status.
#include <iostream>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/commands.h"
#include "client/cli/json_format.h"
#include "engine/storage/backup_manifest.h"

namespace metricdb {
namespace {

void PrintInfo(const CliContext& ctx, const v1::CollectionInfo& info) {
  if (ctx.json) {
    std::cout << ToJson(info).dump() << "\n";
    return;
  }
  const nlohmann::json j = ToJson(info);
  std::cout << info.schema().name() << ": dim " << info.schema().dim() << ", "
            << MetricToString(info.schema().metric());
  if (info.schema().metric_version() > 0) {
    std::cout << " -> mahalanobis v" << info.schema().metric_version();
  }
  std::cout << ", " << j["index"].dump() << " index, " << info.stats().record_count()
            << " records, " << info.stats().label_count() << " labels, index "
            << info.stats().index_memory_bytes() << " bytes (graph "
            << info.stats().index_graph_bytes() << ", codes " << info.stats().index_code_bytes()
            << ", full vectors " << info.stats().index_vector_bytes()
            << (info.stats().index_vectors_mapped() ? " in a mapped file, not counted" : "") << ")";
  if (!info.stats().index_trained()) std::cout << ", not trained yet (exact search)";
  if (info.stats().index_trained_on() > 0) {
    std::cout << ", trained on " << info.stats().index_trained_on() << " records";
  }
  if (info.stats().index_building()) std::cout << ", building a new index";
  if (info.schema().shards() > 1) std::cout << ", " << info.schema().shards() << " shards";
  if (info.schema().ttl_seconds() > 0) {
    std::cout << ", records expire " << info.schema().ttl_seconds() << " s after writing ("
              << info.stats().expired_records() << " expired so far)";
  }
  if (info.stats().index_tombstones() > 0) {
    std::cout << ", " << info.stats().index_tombstones() << " tombstones";
  }
  std::cout << "\n";
}

absl::Status ToIndexSpec(const IndexArgs& a, v1::IndexSpec* spec) {
  if (a.type != "hnsw" && (a.quantization != "none" || a.rerank != 0 || a.code_dims != 0)) {
    return absl::InvalidArgumentError(
        "--quantization, --rerank and --code-dims: only with --index hnsw");
  }
  if (a.type == "flat") {
    spec->mutable_flat();
  } else if (a.type == "hnsw") {
    spec->mutable_hnsw()->set_m(a.m);
    spec->mutable_hnsw()->set_ef_construction(a.ef_construction);
    spec->mutable_hnsw()->set_ef_search(a.ef_search);
    spec->mutable_hnsw()->set_quantization(a.quantization == "sq8"   ? v1::SQ8
                                           : a.quantization == "sq4" ? v1::SQ4
                                                                     : v1::QUANTIZATION_NONE);
    spec->mutable_hnsw()->set_rerank(a.rerank);
    spec->mutable_hnsw()->set_code_dims(a.code_dims);
  } else if (a.type == "ivf_flat") {
    spec->mutable_ivf_flat()->set_nlist(a.nlist);
    spec->mutable_ivf_flat()->set_nprobe(a.nprobe);
  } else if (a.type == "ivf_pq") {
    spec->mutable_ivf_pq()->set_nlist(a.nlist);
    spec->mutable_ivf_pq()->set_nprobe(a.nprobe);
    spec->mutable_ivf_pq()->set_m(a.m);
    spec->mutable_ivf_pq()->set_nbits(a.nbits);
  } else {
    return absl::InvalidArgumentError("--index: must be flat, hnsw, ivf_flat or ivf_pq, got " +
                                      a.type);
  }
  return absl::OkStatus();
}

// "90s", "30m", "12h", "30d" or plain seconds, as seconds (> 0).
absl::StatusOr<int64_t> ParseDurationSeconds(const std::string& text) {
  static const std::map<char, int64_t> kUnit = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
  const bool has_unit = !text.empty() && kUnit.count(text.back());
  int64_t n = 0;
  if (!absl::SimpleAtoi(has_unit ? text.substr(0, text.size() - 1) : text, &n) || n <= 0) {
    return absl::InvalidArgumentError(
        "--ttl: expected a positive duration like 90s, 30m, 12h, 30d, got \"" + text + "\"");
  }
  return n * (has_unit ? kUnit.at(text.back()) : 1);
}

}  // namespace

int Fail(const absl::Status& s) {
  std::cerr << "error: " << absl::StatusCodeToString(s.code()) << ": " << s.message() << "\n";
  return 1;
}

int RunCreate(CliContext& ctx, const CreateArgs& args) {
  v1::CollectionSchema schema;
  schema.set_name(args.name);
  schema.set_dim(args.dim);
  if (args.metric == "l2" || args.metric == "euclidean") {
    schema.set_metric(v1::L2);
  } else if (args.metric == "cosine") {
    schema.set_metric(v1::COSINE);
  } else if (args.metric == "inner_product" || args.metric == "ip") {
    schema.set_metric(v1::INNER_PRODUCT);
  } else {
    return Fail(absl::InvalidArgumentError("--metric: must be l2, cosine or inner_product, got " +
                                           args.metric));
  }
  if (auto s = ToIndexSpec(args.index, schema.mutable_index()); !s.ok()) return Fail(s);
  schema.set_shards(args.shards);
  if (!args.ttl.empty()) {
    auto ttl = ParseDurationSeconds(args.ttl);
    if (!ttl.ok()) return Fail(ttl.status());
    schema.set_ttl_seconds(*ttl);
  }
  static const std::map<std::string, v1::AttributeType> kTypes = {
      {"string", v1::ATTRIBUTE_STRING},
      {"int64", v1::ATTRIBUTE_INT64},
      {"double", v1::ATTRIBUTE_DOUBLE},
      {"bool", v1::ATTRIBUTE_BOOL},
      {"timestamp", v1::ATTRIBUTE_TIMESTAMP}};
  for (const std::string& a : args.attributes) {
    const size_t colon = a.rfind(':');
    auto type = colon == std::string::npos ? kTypes.end() : kTypes.find(a.substr(colon + 1));
    if (type == kTypes.end()) {
      return Fail(absl::InvalidArgumentError(
          "--attribute: expected NAME:TYPE with TYPE string|int64|double|bool|timestamp, got " +
          a));
    }
    v1::AttributeField* field = schema.add_attributes();
    field->set_name(a.substr(0, colon));
    field->set_type(type->second);
  }
  auto info = ctx.client->CreateCollection(schema);
  if (!info.ok()) return Fail(info.status());
  PrintInfo(ctx, *info);
  return 0;
}

int RunBuildIndex(CliContext& ctx, const BuildIndexArgs& args) {
  v1::BuildIndexRequest req;
  req.set_name(args.name);
  if (args.change) {
    if (auto s = ToIndexSpec(args.index, req.mutable_index()); !s.ok()) return Fail(s);
  }
  auto info = ctx.client->BuildIndex(req);
  if (!info.ok()) return Fail(info.status());
  PrintInfo(ctx, *info);
  return 0;
}

int RunList(CliContext& ctx) {
  auto list = ctx.client->ListCollections();
  if (!list.ok()) return Fail(list.status());
  for (const auto& info : *list) PrintInfo(ctx, info);
  return 0;
}

int RunInfo(CliContext& ctx, const std::string& name) {
  auto info = ctx.client->GetCollection(name);
  if (!info.ok()) return Fail(info.status());
  PrintInfo(ctx, *info);
  return 0;
}

int RunDrop(CliContext& ctx, const std::string& name) {
  if (auto s = ctx.client->DropCollection(name); !s.ok()) return Fail(s);
  if (ctx.json) {
    std::cout << nlohmann::json{{"dropped", name}}.dump() << "\n";
  } else {
    std::cout << "dropped " << name << "\n";
  }
  return 0;
}

void PrintRecord(const CliContext& ctx, const v1::Record& r) {
  if (ctx.json) {
    std::cout << ToJson(r).dump() << "\n";
    return;
  }
  std::cout << r.key() << "\tlabel=" << (r.has_label() ? r.label() : "-");
  for (const auto& [k, v] : r.attributes()) std::cout << "\t" << k << "=" << v;
  if (r.vector_size() > 0) std::cout << "\t[" << absl::StrJoin(r.vector(), ",") << "]";
  std::cout << "\n";
}

int RunGet(CliContext& ctx, const GetArgs& args) {
  v1::GetRequest req;
  req.set_collection(args.collection);
  for (const auto& k : args.keys) req.add_keys(k);
  req.set_include_vectors(args.vectors);
  auto resp = ctx.client->Get(req);
  if (!resp.ok()) return Fail(resp.status());
  for (const auto& r : resp->records()) PrintRecord(ctx, r);
  if (resp->missing_keys_size() > 0) {
    return Fail(absl::NotFoundError(absl::StrCat(resp->missing_keys_size(), " keys not found: ",
                                                 absl::StrJoin(resp->missing_keys(), ", "))));
  }
  return 0;
}

int RunDelete(CliContext& ctx, const DeleteArgs& args) {
  v1::DeleteRequest req;
  req.set_collection(args.collection);
  for (const auto& k : args.keys) req.add_keys(k);
  for (const auto& l : args.labels) req.add_labels(l);
  req.set_filter(args.filter);
  auto deleted = ctx.client->Delete(req);
  if (!deleted.ok()) return Fail(deleted.status());
  if (ctx.json) {
    std::cout << nlohmann::json{{"deleted", *deleted}}.dump() << "\n";
  } else {
    std::cout << "deleted " << *deleted << " records\n";
  }
  return 0;
}

int RunCount(CliContext& ctx, const CountArgs& args) {
  v1::CountRequest req;
  req.set_collection(args.collection);
  req.set_filter(args.filter);
  auto count = ctx.client->Count(req);
  if (!count.ok()) return Fail(count.status());
  if (ctx.json) {
    std::cout << nlohmann::json{{"count", *count}}.dump() << "\n";
  } else {
    std::cout << *count << "\n";
  }
  return 0;
}

int RunClusterStatus(CliContext& ctx) {
  auto status = ctx.client->ClusterStatus();
  if (!status.ok()) return Fail(status.status());
  nlohmann::json nodes = nlohmann::json::array(), shards = nlohmann::json::array();
  for (const auto& n : status->nodes()) {
    nodes.push_back({{"id", n.id()},
                     {"address", n.address()},
                     {"lease_id", n.lease_id()},
                     {"lease_ttl_seconds", n.lease_ttl_seconds()},
                     {"self", n.self()}});
  }
  for (const auto& s : status->shards()) {
    shards.push_back({{"collection", s.collection()},
                      {"shard", s.shard()},
                      {"node", s.node()},
                      {"node_alive", s.node_alive()}});
  }
  if (ctx.json) {
    std::cout << nlohmann::json{{"cluster", status->cluster()},
                                {"node_id", status->node_id()},
                                {"prefix", status->prefix()},
                                {"nodes", nodes},
                                {"shards", shards}}
                     .dump()
              << "\n";
    return 0;
  }
  if (!status->cluster()) {
    std::cout << "not a cluster: an embedded single node\n";
    return 0;
  }
  std::cout << "cluster " << status->prefix() << ", answered by node " << status->node_id()
            << "\nnodes:\n";
  for (const auto& n : status->nodes()) {
    std::cout << "  " << n.id() << "\t" << n.address() << "\tlease " << n.lease_id() << " ("
              << n.lease_ttl_seconds() << "s left)" << (n.self() ? "\tself" : "") << "\n";
  }
  std::cout << "shards:\n";
  for (const auto& s : status->shards()) {
    std::cout << "  " << s.collection() << "/" << s.shard() << "\ton " << s.node()
              << (s.node_alive() ? "" : "\tDOWN") << "\n";
  }
  return 0;
}

int RunBackup(CliContext& ctx, const std::string& name) {
  auto backup = ctx.client->Backup(name);
  if (!backup.ok()) return Fail(backup.status());
  if (ctx.json) {
    std::cout << nlohmann::json{{"directory", backup->directory()},
                                {"files", backup->files()},
                                {"bytes", backup->bytes()},
                                {"seconds", backup->seconds()}}
                     .dump()
              << "\n";
  } else {
    std::cout << "backup " << backup->directory() << ": " << backup->files() << " files, "
              << backup->bytes() << " bytes in " << backup->seconds() << " s\n";
  }
  return 0;
}

int RunRestore(CliContext& ctx, const std::string& backup_dir, const std::string& data_dir) {
  auto restored = RestoreBackup(backup_dir, data_dir);
  if (!restored.ok()) return Fail(restored.status());
  if (ctx.json) {
    std::cout << nlohmann::json{{"data_dir", data_dir},
                                {"files", restored->files.size()},
                                {"bytes", restored->bytes()},
                                {"taken_unix_seconds", restored->taken_unix_seconds}}
                     .dump()
              << "\n";
  } else {
    std::cout << "restored " << restored->files.size() << " files (" << restored->bytes()
              << " bytes, verified) into " << data_dir << "\n";
  }
  return 0;
}

int RunAlias(CliContext& ctx, const AliasArgs& args) {
  if (args.action == "list") {
    auto listed = ctx.client->ListAliases();
    if (!listed.ok()) return Fail(listed.status());
    for (const auto& a : listed->aliases()) {
      if (ctx.json) {
        std::cout << nlohmann::json{{"alias", a.alias()}, {"collection", a.collection()}}.dump()
                  << "\n";
      } else {
        std::cout << a.alias() << " -> " << a.collection() << "\n";
      }
    }
    return 0;
  }
  const bool needs_collection = args.action != "delete";
  if (args.alias.empty() || needs_collection == args.collection.empty()) {
    return Fail(absl::InvalidArgumentError(needs_collection
                                               ? "alias " + args.action + " needs ALIAS COLLECTION"
                                               : "alias delete needs ALIAS (only)"));
  }
  absl::Status s = args.action == "create"   ? ctx.client->CreateAlias(args.alias, args.collection)
                   : args.action == "switch" ? ctx.client->SwitchAlias(args.alias, args.collection)
                                             : ctx.client->DeleteAlias(args.alias);
  if (!s.ok()) return Fail(s);
  if (ctx.json) {
    std::cout << nlohmann::json{{"alias", args.alias}, {args.action, true}}.dump() << "\n";
  } else {
    std::cout << "alias " << args.alias
              << (needs_collection ? " -> " + args.collection : std::string(" deleted")) << "\n";
  }
  return 0;
}

}  // namespace metricdb
