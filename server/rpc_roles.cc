#include "server/rpc_roles.h"

namespace metricdb {
namespace {

constexpr std::pair<std::string_view, Role> kRpcRoles[] = {
    // Collections and records.
    {"CreateCollection", Role::kAdmin},
    {"GetCollection", Role::kRead},
    {"ListCollections", Role::kRead},
    {"DropCollection", Role::kAdmin},
    {"BuildIndex", Role::kAdmin},
    {"Upsert", Role::kWrite},
    {"UpsertBatch", Role::kWrite},
    {"Get", Role::kRead},
    {"Delete", Role::kWrite},
    {"Search", Role::kRead},
    {"Count", Role::kRead},
    {"Scan", Role::kRead},
    {"ListLabels", Role::kRead},
    {"Relabel", Role::kWrite},
    // Learned metrics.
    {"LearnMetric", Role::kAdmin},
    {"ListMetrics", Role::kRead},
    {"GetMetric", Role::kRead},
    {"ActivateMetric", Role::kAdmin},
    {"SetMetric", Role::kAdmin},
    // Identity queries.
    {"Identify", Role::kRead},
    {"Verify", Role::kRead},
    {"Calibrate", Role::kAdmin},
    {"GetCalibration", Role::kRead},
    {"Cluster", Role::kAdmin},
    // Aliases.
    {"CreateAlias", Role::kAdmin},
    {"SwitchAlias", Role::kAdmin},
    {"DeleteAlias", Role::kAdmin},
    {"ListAliases", Role::kRead},
    // Backup (only tokens limited to no collection).
    {"Backup", Role::kAdmin},
    // Cluster mode.
    {"ClusterStatus", Role::kRead},
};

}  // namespace

absl::Span<const std::pair<std::string_view, Role>> RpcRoles() { return kRpcRoles; }

std::optional<Role> RequiredRole(std::string_view method) {
  for (const auto& [name, role] : kRpcRoles) {
    if (name == method) return role;
  }
  return std::nullopt;
}

}  // namespace metricdb
