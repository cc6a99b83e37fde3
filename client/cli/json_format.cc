#include "client/cli/json_format.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

namespace metricdb {

std::string MetricToString(v1::Metric metric) {
  switch (metric) {
    case v1::L2:
      return "l2";
    case v1::COSINE:
      return "cosine";
    case v1::INNER_PRODUCT:
      return "inner_product";
    case v1::MAHALANOBIS:
      return "mahalanobis";
    default:
      return "unspecified";
  }
}

std::string ToJsonLine(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions o;
  o.always_print_primitive_fields = true;
  o.preserve_proto_field_names = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  return out;
}

nlohmann::json ToJson(const v1::CollectionInfo& info) {
  const auto& s = info.schema();
  nlohmann::json index;
  switch (s.index().kind_case()) {
    case v1::IndexSpec::kHnsw:
      index = {{"type", "hnsw"},
               {"m", s.index().hnsw().m()},
               {"ef_construction", s.index().hnsw().ef_construction()},
               {"ef_search", s.index().hnsw().ef_search()},
               {"quantization", s.index().hnsw().quantization() == v1::SQ8   ? "sq8"
                                : s.index().hnsw().quantization() == v1::SQ4 ? "sq4"
                                                                             : "none"},
               {"rerank", s.index().hnsw().rerank()},
               {"code_dims", s.index().hnsw().code_dims()}};
      break;
    case v1::IndexSpec::kIvfFlat:
      index = {{"type", "ivf_flat"},
               {"nlist", s.index().ivf_flat().nlist()},
               {"nprobe", s.index().ivf_flat().nprobe()}};
      break;
    case v1::IndexSpec::kIvfPq:
      index = {{"type", "ivf_pq"},
               {"nlist", s.index().ivf_pq().nlist()},
               {"m", s.index().ivf_pq().m()},
               {"nbits", s.index().ivf_pq().nbits()},
               {"nprobe", s.index().ivf_pq().nprobe()}};
      break;
    default:
      index = {{"type", "flat"}};
  }
  return {{"name", s.name()},
          {"dim", s.dim()},
          {"metric", MetricToString(s.metric())},
          {"active_metric", MetricToString(s.active_metric())},
          {"metric_version", s.metric_version()},
          {"index", index},
          {"shards", std::max(1, s.shards())},
          {"records", info.stats().record_count()},
          {"labels", info.stats().label_count()},
          {"index_memory_bytes", info.stats().index_memory_bytes()},
          {"index_graph_bytes", info.stats().index_graph_bytes()},
          {"index_code_bytes", info.stats().index_code_bytes()},
          {"index_vector_bytes", info.stats().index_vector_bytes()},
          {"index_vectors_mapped", info.stats().index_vectors_mapped()},
          {"index_trained", info.stats().index_trained()},
          {"index_trained_on", info.stats().index_trained_on()},
          {"index_tombstones", info.stats().index_tombstones()},
          {"index_building", info.stats().index_building()},
          {"last_index_build_seconds", info.stats().last_index_build_seconds()},
          {"ttl_seconds", s.ttl_seconds()},
          {"expired_records", info.stats().expired_records()}};
}

namespace {

template <typename M>
void AddCommon(const M& m, nlohmann::json* j) {
  if (m.has_label()) (*j)["label"] = m.label();
  if (!m.attributes().empty()) {
    nlohmann::json attrs = nlohmann::json::object();
    for (const auto& [k, v] : m.attributes()) attrs[k] = v;
    (*j)["attributes"] = attrs;
  }
  if (m.vector_size() > 0) {
    (*j)["vector"] = std::vector<float>(m.vector().begin(), m.vector().end());
  }
}

}  // namespace

nlohmann::json ToJson(const v1::Record& record) {
  nlohmann::json j = {{"key", record.key()}};
  AddCommon(record, &j);
  if (record.expires_unix_ms() != 0) j["expires_unix_ms"] = record.expires_unix_ms();
  return j;
}

nlohmann::json ToJson(const v1::Hit& hit) {
  nlohmann::json j = {{"key", hit.key()}, {"distance", hit.distance()}};
  AddCommon(hit, &j);
  return j;
}

}  // namespace metricdb
