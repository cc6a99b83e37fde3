#include "server/metricdb_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "absl/strings/str_cat.h"
#include "cluster/cluster_node.h"
#include "engine/identity/radius_search.h"
#include "proto/convert/proto_convert.h"
#include "server/rpc_roles.h"
#include "server/status_util.h"
#include "server/upsert_stream_reactor.h"

namespace metricdb {

grpc::Status MetricDbService::CreateCollection(grpc::ServerContext* context,
                                               const v1::CreateCollectionRequest* request,
                                               v1::CreateCollectionResponse* response) {
  if (auto s = Authorize(context, __func__, request->schema().name()); !s.ok()) return s;
  auto schema = FromProto(request->schema());
  if (!schema.ok()) return Reply("CreateCollection", schema.status());
  auto collection = collections_->CreateCollection(*schema);
  if (!collection.ok()) return Reply("CreateCollection", collection.status());
  if (auto s = ToProto(**collection, response->mutable_collection()); !s.ok()) {
    return Reply(__func__, s);
  }
  spdlog::info("created collection {} (dim {}, {})", schema->name, schema->dim,
               std::string(MetricName(schema->metric)));
  return grpc::Status::OK;
}

grpc::Status MetricDbService::GetCollection(grpc::ServerContext* context,
                                            const v1::GetCollectionRequest* request,
                                            v1::GetCollectionResponse* response) {
  if (auto s = Authorize(context, __func__, request->name()); !s.ok()) return s;
  auto collection = collections_->GetCollection(request->name());
  if (!collection.ok()) return Reply("GetCollection", collection.status());
  if (auto s = ToProto(**collection, response->mutable_collection()); !s.ok()) {
    return Reply(__func__, s);
  }
  return grpc::Status::OK;
}

grpc::Status MetricDbService::ListCollections(grpc::ServerContext* context,
                                              const v1::ListCollectionsRequest*,
                                              v1::ListCollectionsResponse* response) {
  const TokenGrant* grant = nullptr;
  if (auto s = Authorize(context, __func__, &grant); !s.ok()) return s;
  auto collections = collections_->ListCollections();
  if (!collections.ok()) return Reply(__func__, collections.status());
  for (const auto& c : *collections) {
    if (grant != nullptr && !grant->AllowsCollection(c->schema().name)) continue;
    if (auto s = ToProto(*c, response->add_collections()); !s.ok()) return Reply(__func__, s);
  }
  return grpc::Status::OK;
}

grpc::Status MetricDbService::DropCollection(grpc::ServerContext* context,
                                             const v1::DropCollectionRequest* request,
                                             v1::DropCollectionResponse*) {
  if (auto s = Authorize(context, __func__, request->name()); !s.ok()) return s;
  absl::Status s = collections_->DropCollection(request->name());
  if (s.ok()) spdlog::info("dropped collection {}", request->name());
  return Reply("DropCollection", s);
}

grpc::Status MetricDbService::BuildIndex(grpc::ServerContext* context,
                                         const v1::BuildIndexRequest* request,
                                         v1::BuildIndexResponse* response) {
  if (auto s = Authorize(context, __func__, request->name()); !s.ok()) return s;
  LongOperationLimit::Slot slot(&long_ops_);
  if (auto s = slot.status("BuildIndex"); !s.ok()) return s;
  auto collection = collections_->GetCollection(request->name());
  if (!collection.ok()) return Reply("BuildIndex", collection.status());
  std::optional<IndexSpec> spec;
  if (request->has_index()) spec = FromProto(request->index());
  const auto start = std::chrono::steady_clock::now();
  if (auto s = (*collection)->BuildIndex(spec); !s.ok()) return Reply("BuildIndex", s);
  spdlog::info("built {} index of collection {} in {:.2f}s",
               std::string(IndexKindName((*collection)->schema().index.kind)), request->name(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (auto s = ToProto(**collection, response->mutable_collection()); !s.ok()) {
    return Reply(__func__, s);
  }
  return grpc::Status::OK;
}

namespace {

// The stream of a caller without the write role: ends at once.
class RejectedUpsertStream final
    : public grpc::ServerBidiReactor<v1::UpsertRequest, v1::UpsertResponse> {
 public:
  explicit RejectedUpsertStream(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerBidiReactor<v1::UpsertRequest, v1::UpsertResponse>* MetricDbService::Upsert(
    grpc::CallbackServerContext* context) {
  const TokenGrant* grant = nullptr;
  if (auto s = Authorize(context, __func__, &grant); !s.ok()) return new RejectedUpsertStream(s);
  // Each batch names its collection: the token's scope is checked per batch.
  UpsertStreamReactor::CollectionCheck check;
  if (grant != nullptr) {
    check = [grant](std::string_view collection) { return grant->CheckCollection(collection); };
  }
  return new UpsertStreamReactor(collections_, std::move(check));  // deletes itself in OnDone
}

grpc::Status MetricDbService::UpsertBatch(grpc::ServerContext* context,
                                          const v1::UpsertRequest* request,
                                          v1::UpsertResponse* response) {
  if (auto s = Authorize(context, __func__, request->collection()); !s.ok()) return s;
  auto collection = collections_->GetCollection(request->collection());
  if (!collection.ok()) return Reply("UpsertBatch", collection.status());
  std::vector<Record> records;
  records.reserve(request->records_size());
  for (const v1::Record& r : request->records()) records.push_back(FromProto(r));
  auto result = (*collection)->Upsert(std::move(records));
  if (!result.ok()) return Reply("UpsertBatch", result.status());
  response->set_inserted(result->inserted);
  response->set_replaced(result->replaced);
  return grpc::Status::OK;
}

grpc::Status MetricDbService::Get(grpc::ServerContext* context, const v1::GetRequest* request,
                                  v1::GetResponse* response) {
  if (auto s = Authorize(context, __func__, request->collection()); !s.ok()) return s;
  auto collection = collections_->GetCollection(request->collection());
  if (!collection.ok()) return Reply("Get", collection.status());
  std::vector<std::string> keys(request->keys().begin(), request->keys().end());
  auto result = (*collection)->Get(keys, request->include_vectors());
  if (!result.ok()) return Reply("Get", result.status());
  ToProto(std::move(*result), response);
  return grpc::Status::OK;
}

grpc::Status MetricDbService::Delete(grpc::ServerContext* context, const v1::DeleteRequest* request,
                                     v1::DeleteResponse* response) {
  if (auto s = Authorize(context, __func__, request->collection()); !s.ok()) return s;
  auto collection = collections_->GetCollection(request->collection());
  if (!collection.ok()) return Reply("Delete", collection.status());
  std::vector<std::string> keys(request->keys().begin(), request->keys().end());
  std::vector<std::string> labels(request->labels().begin(), request->labels().end());
  auto deleted = (*collection)->Delete(keys, labels, request->filter());
  if (!deleted.ok()) return Reply("Delete", deleted.status());
  response->set_deleted(*deleted);
  return grpc::Status::OK;
}

grpc::Status MetricDbService::Count(grpc::ServerContext* context, const v1::CountRequest* request,
                                    v1::CountResponse* response) {
  if (auto s = Authorize(context, __func__, request->collection()); !s.ok()) return s;
  auto collection = collections_->GetCollection(request->collection());
  if (!collection.ok()) return Reply("Count", collection.status());
  auto count = (*collection)->Count(request->filter());
  if (!count.ok()) return Reply("Count", count.status());
  response->set_count(*count);
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* MetricDbService::Search(grpc::CallbackServerContext* context,
                                                  const v1::SearchRequest* request,
                                                  v1::SearchResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (auto s = Authorize(context, __func__, request->collection()); !s.ok()) {
    reactor->Finish(s);
    return reactor;
  }
  auto collection = collections_->GetCollection(request->collection());
  if (!collection.ok()) {
    reactor->Finish(Reply("Search", collection.status()));
  } else if ((*collection)->IsQuickSearch(request->queries_size())) {
    reactor->Finish(SearchNow(**collection, request, response));
  } else {
    // The request, response and reactor stay valid until Finish.
    const bool queued =
        search_pool_.Submit([context, reactor, request, response, c = std::move(*collection)] {
          reactor->Finish(context->IsCancelled() ? grpc::Status::CANCELLED
                                                 : SearchNow(*c, request, response, context));
        });
    if (!queued) {
      reactor->Finish(
          Reply("Search", absl::ResourceExhaustedError("server busy: too many searches waiting")));
    }
  }
  return reactor;
}

grpc::Status MetricDbService::SearchNow(const RecordSource& collection,
                                        const v1::SearchRequest* request,
                                        v1::SearchResponse* response,
                                        grpc::CallbackServerContext* context) {
  SearchOptions options = SearchOptionsFromProto(*request);
  if (context != nullptr) {
    options.cancelled = [context] { return context->IsCancelled(); };
    options.deadline = context->deadline();
  }
  absl::StatusOr<SearchResults> results;
  if (request->has_max_distance() || request->has_far()) {
    RadiusOptions radius;
    if (request->has_max_distance()) radius.max_distance = request->max_distance();
    if (request->has_far()) radius.far = request->far();
    results = RadiusSearch(collection, QueriesOf(*request), options, radius);
  } else {
    results = collection.Search(QueriesOf(*request), options);
  }
  if (!results.ok()) return Reply("Search", results.status());
  ToProto(std::move(*results), response);
  return grpc::Status::OK;
}

grpc::Status MetricDbService::Authorize(const grpc::ServerContextBase* context,
                                        std::string_view method, const TokenGrant** grant) const {
  if (grant != nullptr) *grant = nullptr;
  if (auth_ == nullptr) return grpc::Status::OK;
  const std::optional<Role> role = RequiredRole(method);
  if (!role) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat("no role is defined for ", std::string(method), "; refused"));
  }
  return auth_->Check(*context, *role, grant);
}

grpc::Status MetricDbService::Authorize(const grpc::ServerContextBase* context,
                                        std::string_view method,
                                        std::string_view collection) const {
  const TokenGrant* grant = nullptr;
  if (auto s = Authorize(context, method, &grant); !s.ok() || grant == nullptr) return s;
  return ToGrpcStatus(grant->CheckCollection(collection));
}

grpc::Status MetricDbService::ClusterStatus(grpc::ServerContext* context,
                                            const v1::ClusterStatusRequest*,
                                            v1::ClusterStatusResponse* response) {
  const TokenGrant* grant = nullptr;
  if (auto s = Authorize(context, __func__, &grant); !s.ok()) return s;
  if (cluster_ == nullptr) {
    response->set_cluster(false);
    return grpc::Status::OK;
  }
  if (auto s = cluster_->Status(response); !s.ok()) return Reply(__func__, s);
  if (grant != nullptr) {  // only the shards of the token's collections
    auto* shards = response->mutable_shards();
    shards->erase(std::remove_if(shards->begin(), shards->end(),
                                 [grant](const v1::ClusterShardStatus& shard) {
                                   return !grant->AllowsCollection(shard.collection());
                                 }),
                  shards->end());
  }
  return grpc::Status::OK;
}

}  // namespace metricdb
