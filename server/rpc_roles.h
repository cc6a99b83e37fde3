// The role each RPC of metricdb.v1.MetricDB needs, as one table, and the one
// check every handler makes against it (MetricDbService::Authorize). An RPC
// missing from the table is refused to everyone (fail closed); a test calls
// every RPC of the service's descriptor with each role's token.
//   read  - reads and identity queries
//   write - read + Upsert, UpsertBatch, Delete
//   admin - write + collection, index, metric and calibration management
#ifndef METRICDB_SERVER_RPC_ROLES_H_
#define METRICDB_SERVER_RPC_ROLES_H_

#include <optional>
#include <string_view>
#include <utility>

#include "absl/types/span.h"
#include "server/token_auth.h"

namespace metricdb {

// Every RPC of metricdb.v1.MetricDB (by its method name) and its role.
absl::Span<const std::pair<std::string_view, Role>> RpcRoles();

// The role `method` (a MetricDB method name, "Search") needs; nullopt for a
// method the table does not know.
std::optional<Role> RequiredRole(std::string_view method);

}  // namespace metricdb

#endif  // METRICDB_SERVER_RPC_ROLES_H_
