// MetricDbService: aliases. A token limited to collections must be allowed
// both the alias and the collection it points an alias at.
#include <spdlog/spdlog.h>

#include "server/metricdb_service.h"
#include "server/status_util.h"

namespace metricdb {

grpc::Status MetricDbService::CreateAlias(grpc::ServerContext* context,
                                          const v1::CreateAliasRequest* request,
                                          v1::AliasResponse*) {
  if (auto s = Authorize(context, __func__, request->collection()); !s.ok()) return s;
  if (auto s = Authorize(context, __func__, request->alias()); !s.ok()) return s;
  absl::Status s = collections_->CreateAlias(request->alias(), request->collection());
  if (s.ok()) spdlog::info("alias {} -> {}", request->alias(), request->collection());
  return Reply(__func__, s);
}

grpc::Status MetricDbService::SwitchAlias(grpc::ServerContext* context,
                                          const v1::SwitchAliasRequest* request,
                                          v1::AliasResponse*) {
  if (auto s = Authorize(context, __func__, request->collection()); !s.ok()) return s;
  if (auto s = Authorize(context, __func__, request->alias()); !s.ok()) return s;
  absl::Status s = collections_->SwitchAlias(request->alias(), request->collection());
  if (s.ok()) spdlog::info("alias {} switched to {}", request->alias(), request->collection());
  return Reply(__func__, s);
}

grpc::Status MetricDbService::DeleteAlias(grpc::ServerContext* context,
                                          const v1::DeleteAliasRequest* request,
                                          v1::AliasResponse*) {
  if (auto s = Authorize(context, __func__, request->alias()); !s.ok()) return s;
  return Reply(__func__, collections_->DeleteAlias(request->alias()));
}

grpc::Status MetricDbService::ListAliases(grpc::ServerContext* context,
                                          const v1::ListAliasesRequest*,
                                          v1::ListAliasesResponse* response) {
  const TokenGrant* grant = nullptr;
  if (auto s = Authorize(context, __func__, &grant); !s.ok()) return s;
  auto aliases = collections_->ListAliases();
  if (!aliases.ok()) return Reply(__func__, aliases.status());
  for (const CollectionAlias& a : *aliases) {
    if (grant != nullptr && !grant->AllowsCollection(a.alias)) continue;
    v1::Alias* out = response->add_aliases();
    out->set_alias(a.alias);
    out->set_collection(a.collection);
  }
  return grpc::Status::OK;
}

}  // namespace metricdb
