#include "cluster/cluster_catalog.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace metricdb {

namespace {

using nlohmann::json;

json IndexToJson(const IndexSpec& s) {
  json j = {{"kind", std::string(IndexKindName(s.kind))},
            {"m", s.m},
            {"ef_construction", s.ef_construction},
            {"ef_search", s.ef_search},
            {"nlist", s.nlist},
            {"nprobe", s.nprobe},
            {"nbits", s.nbits},
            {"quantization", std::string(QuantizationName(s.quantization))},
            {"rerank", s.rerank}};
  if (s.code_dims != 0) j["code_dims"] = s.code_dims;  // older catalogues as before
  return j;
}

absl::StatusOr<IndexSpec> IndexFromJson(const json& j) {
  IndexSpec s;
  const std::string kind = j.at("kind").get<std::string>();
  bool known = false;
  for (auto k : {IndexSpec::Kind::kFlat, IndexSpec::Kind::kHnsw, IndexSpec::Kind::kIvfFlat,
                 IndexSpec::Kind::kIvfPq}) {
    if (IndexKindName(k) == kind) {
      s.kind = k;
      known = true;
    }
  }
  if (!known) return absl::DataLossError(absl::StrCat("unknown index kind \"", kind, "\""));
  s.m = j.at("m");
  s.ef_construction = j.at("ef_construction");
  s.ef_search = j.at("ef_search");
  s.nlist = j.at("nlist");
  s.nprobe = j.at("nprobe");
  s.nbits = j.at("nbits");
  // Absent in records written before quantised indexes.
  const std::string q = j.value("quantization", std::string("none"));
  known = false;
  for (auto k : {IndexSpec::Quantization::kNone, IndexSpec::Quantization::kSq8,
                 IndexSpec::Quantization::kSq4}) {
    if (QuantizationName(k) == q) {
      s.quantization = k;
      known = true;
    }
  }
  if (!known) return absl::DataLossError(absl::StrCat("unknown quantization \"", q, "\""));
  s.rerank = j.value("rerank", 0);
  s.code_dims = j.value("code_dims", 0);
  return s;
}

}  // namespace

std::string EncodeNode(const NodeRecord& node) { return json{{"address", node.address}}.dump(); }

absl::StatusOr<NodeRecord> DecodeNode(std::string_view id, std::string_view text) {
  try {
    const json j = json::parse(text);
    return NodeRecord{std::string(id), j.at("address").get<std::string>(), 0};
  } catch (const std::exception& e) {
    return absl::DataLossError(
        absl::StrCat("etcd record of node ", std::string(id), ": ", e.what()));
  }
}

std::string EncodeCollection(const ClusterCollection& c) {
  json attributes = json::array();
  for (const AttributeField& f : c.schema.attributes) {
    attributes.push_back({{"name", f.name}, {"type", int(f.type)}});
  }
  return json{{"name", c.schema.name},
              {"attributes", attributes},
              {"ttl_seconds", c.schema.ttl_seconds},
              {"dim", c.schema.dim},
              {"metric", int(c.schema.metric)},
              {"index", IndexToJson(c.schema.index)},
              {"metric_version", c.schema.metric_version},
              {"shards", c.schema.shards},
              {"placement", c.placement},
              {"ready", c.ready},
              {"created_unix_ms", c.created_unix_ms}}
      .dump();
}

absl::StatusOr<ClusterCollection> DecodeCollection(std::string_view text) {
  try {
    const json j = json::parse(text);
    ClusterCollection c;
    c.schema.name = j.at("name");
    c.schema.dim = j.at("dim");
    c.schema.metric = Metric(j.at("metric").get<int>());
    auto index = IndexFromJson(j.at("index"));
    if (!index.ok()) return index.status();
    c.schema.index = *index;
    c.schema.metric_version = j.at("metric_version");
    c.schema.shards = j.at("shards");
    for (const json& f : j.value("attributes", json::array())) {
      const int type = f.at("type").get<int>();
      if (type < 1 || type > 5) return absl::DataLossError("attribute type out of range");
      c.schema.attributes.push_back({f.at("name").get<std::string>(), AttributeType(type)});
    }
    c.schema.ttl_seconds = j.value("ttl_seconds", int64_t{0});
    c.placement = j.at("placement").get<std::vector<std::string>>();
    c.ready = j.at("ready");
    c.created_unix_ms = j.at("created_unix_ms");
    if (int64_t(c.placement.size()) != c.schema.shards) {
      return absl::DataLossError(absl::StrCat("collection ", c.schema.name, ": ",
                                              c.placement.size(), " shards placed, ",
                                              c.schema.shards, " expected"));
    }
    return c;
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("etcd record of a collection: ", e.what()));
  }
}

int32_t ShardOfKey(std::string_view key, int32_t shards) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return int32_t(h % uint64_t(shards));
}

std::vector<std::string> PlaceShards(std::string_view name, int32_t shards,
                                     std::vector<std::string> nodes) {
  std::sort(nodes.begin(), nodes.end());
  std::vector<std::string> placement;
  if (nodes.empty()) return placement;
  const size_t start = size_t(ShardOfKey(name, int32_t(nodes.size())));
  for (int32_t s = 0; s < shards; ++s) placement.push_back(nodes[(start + s) % nodes.size()]);
  return placement;
}

}  // namespace metricdb
