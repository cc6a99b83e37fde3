#include "server/http_routes.h"

namespace metricdb {
namespace {

constexpr HttpRoute kRoutes[] = {
    {"CreateCollection", "POST", "/v1/collections"},
    {"GetCollection", "GET", "/v1/collections/{name}"},
    {"ListCollections", "GET", "/v1/collections"},
    {"DropCollection", "DELETE", "/v1/collections/{name}"},
    {"BuildIndex", "POST", "/v1/collections/{name}:buildIndex"},
    {"Upsert", "POST", "/v1/collections/{collection}:upsertStream"},
    {"UpsertBatch", "POST", "/v1/collections/{collection}:upsert"},
    {"Get", "POST", "/v1/collections/{collection}:get"},
    {"Delete", "POST", "/v1/collections/{collection}:delete"},
    {"Search", "POST", "/v1/collections/{collection}:search"},
    {"Count", "POST", "/v1/collections/{collection}:count"},
    {"Scan", "POST", "/v1/collections/{collection}:scan"},
    {"ListLabels", "POST", "/v1/collections/{collection}:listLabels"},
    {"Relabel", "POST", "/v1/collections/{collection}:relabel"},
    {"LearnMetric", "POST", "/v1/collections/{collection}:learnMetric"},
    {"ListMetrics", "GET", "/v1/collections/{collection}/metrics"},
    {"GetMetric", "GET", "/v1/collections/{collection}/metrics/{version}"},
    {"ActivateMetric", "POST", "/v1/collections/{collection}/metrics/{version}:activate"},
    {"SetMetric", "POST", "/v1/collections/{collection}/metrics"},
    {"Identify", "POST", "/v1/collections/{collection}:identify"},
    {"Verify", "POST", "/v1/collections/{collection}:verify"},
    {"Calibrate", "POST", "/v1/collections/{collection}:calibrate"},
    {"GetCalibration", "GET", "/v1/collections/{collection}/calibration"},
    {"Cluster", "POST", "/v1/collections/{collection}:cluster"},
    {"ClusterStatus", "GET", "/v1/cluster"},
    {"CreateAlias", "POST", "/v1/aliases"},
    {"SwitchAlias", "PUT", "/v1/aliases/{alias}"},
    {"DeleteAlias", "DELETE", "/v1/aliases/{alias}"},
    {"ListAliases", "GET", "/v1/aliases"},
    {"Backup", "POST", "/v1/backups"},
};

}  // namespace

absl::Span<const HttpRoute> HttpRoutes() { return kRoutes; }

std::vector<std::string> PathFields(std::string_view path) {
  std::vector<std::string> fields;
  for (size_t open = path.find('{'); open != std::string_view::npos;
       open = path.find('{', open + 1)) {
    const size_t close = path.find('}', open);
    fields.emplace_back(path.substr(open + 1, close - open - 1));
  }
  return fields;
}

std::string PathRegex(std::string_view path) {
  std::string out = "^";
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '{') {
      out += "([^/:]+)";
      i = path.find('}', i);
    } else if (std::string_view(".+*?()[]^$|\\").find(path[i]) != std::string_view::npos) {
      out += '\\';
      out += path[i];
    } else {
      out += path[i];
    }
  }
  return out + "$";
}

}  // namespace metricdb
