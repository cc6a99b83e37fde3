// create, list, info, drop, get, delete.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/commands.h"
#include "client/cli/json_format.h"

namespace metricdb {
namespace {

void PrintInfo(const CliContext& ctx, const v1::CollectionInfo& info) {
  if (ctx.json) {
    std::cout << ToJson(info).dump() << "\n";
    return;
  }
  const nlohmann::json j = ToJson(info);
  std::cout << info.schema().name() << ": dim " << info.schema().dim() << ", "
            << MetricToString(info.schema().metric()) << ", "
            << j["index"]["type"].get<std::string>() << " index, "
            << info.stats().record_count() << " records, "
            << info.stats().label_count() << " labels, index "
            << info.stats().index_memory_bytes() << " bytes\n";
}

}  // namespace

int Fail(const absl::Status& s) {
  std::cerr << "error: " << absl::StatusCodeToString(s.code()) << ": "
            << s.message() << "\n";
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
    return Fail(absl::InvalidArgumentError(
        "--metric: must be l2, cosine or inner_product, got " + args.metric));
  }
  if (args.index == "flat") {
    schema.mutable_index()->mutable_flat();
  } else if (args.index == "hnsw") {
    schema.mutable_index()->mutable_hnsw();
  } else if (args.index == "ivf_flat") {
    schema.mutable_index()->mutable_ivf_flat();
  } else if (args.index == "ivf_pq") {
    schema.mutable_index()->mutable_ivf_pq();
  } else {
    return Fail(absl::InvalidArgumentError("--index: unknown index " + args.index));
  }
  auto info = ctx.client->CreateCollection(schema);
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

int RunGet(CliContext& ctx, const GetArgs& args) {
  v1::GetRequest req;
  req.set_collection(args.collection);
  for (const auto& k : args.keys) req.add_keys(k);
  req.set_include_vectors(args.vectors);
  auto resp = ctx.client->Get(req);
  if (!resp.ok()) return Fail(resp.status());
  for (const auto& r : resp->records()) {
    if (ctx.json) {
      std::cout << ToJson(r).dump() << "\n";
    } else {
      std::cout << r.key() << "\tlabel=" << (r.has_label() ? r.label() : "-");
      for (const auto& [k, v] : r.attributes()) std::cout << "\t" << k << "=" << v;
      if (r.vector_size() > 0) {
        std::cout << "\t[" << absl::StrJoin(r.vector(), ",") << "]";
      }
      std::cout << "\n";
    }
  }
  if (resp->missing_keys_size() > 0) {
    return Fail(absl::NotFoundError(absl::StrCat(
        resp->missing_keys_size(), " keys not found: ",
        absl::StrJoin(resp->missing_keys(), ", "))));
  }
  return 0;
}

int RunDelete(CliContext& ctx, const DeleteArgs& args) {
  v1::DeleteRequest req;
  req.set_collection(args.collection);
  for (const auto& k : args.keys) req.add_keys(k);
  for (const auto& l : args.labels) req.add_labels(l);
  auto deleted = ctx.client->Delete(req);
  if (!deleted.ok()) return Fail(deleted.status());
  if (ctx.json) {
    std::cout << nlohmann::json{{"deleted", *deleted}}.dump() << "\n";
  } else {
    std::cout << "deleted " << *deleted << " records\n";
  }
  return 0;
}

}  // namespace metricdb
