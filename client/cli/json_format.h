// JSON forms of API messages, as the CLI prints them with --json (one object
// per line).
#ifndef METRICDB_CLIENT_CLI_JSON_FORMAT_H_
#define METRICDB_CLIENT_CLI_JSON_FORMAT_H_

#include <nlohmann/json.hpp>

#include "metricdb/v1/metricdb.pb.h"

namespace metricdb {

// {"name","dim","metric","active_metric","metric_version","index":{"type",...},
//  "records","labels","index_memory_bytes",...}
nlohmann::json ToJson(const v1::CollectionInfo& info);
// {"key","label"?,"attributes"?,"vector"?}
nlohmann::json ToJson(const v1::Record& record);
// {"key","label"?,"distance","attributes"?,"vector"?}
nlohmann::json ToJson(const v1::Hit& hit);

std::string MetricToString(v1::Metric metric);

// Any API message as one line of JSON: every field present, proto field
// names (what --json prints for learn, metrics, calibrate, cluster).
std::string ToJsonLine(const google::protobuf::Message& message);

}  // namespace metricdb

#endif  // METRICDB_CLIENT_CLI_JSON_FORMAT_H_
