// MetricDbService: the gRPC adapter of metricdb.v1.MetricDB. Each handler
// converts the request, calls the engine and maps its Status; no storage or
// search logic lives here.
#ifndef METRICDB_SERVER_METRICDB_SERVICE_H_
#define METRICDB_SERVER_METRICDB_SERVICE_H_

#include <string>

#include "engine/collection/collection_handle.h"
#include "engine/collection/engine.h"
#include "metricdb/v1/metricdb.grpc.pb.h"
#include "server/long_operation_limit.h"
#include "server/search_pool.h"
#include "server/token_auth.h"

namespace metricdb {

class ClusterNode;  // cluster/cluster_node.h

// Upsert (the bidi stream) uses the callback API so that reading, writing to
// the engine and acknowledging overlap. Search uses it too: a quick search
// (Collection::IsQuickSearch) is answered on the callback thread that
// received it, which costs far fewer thread hand-offs and system calls than
// the synchronous server (bench/RESULTS.md, "Speed"); longer ones go to a
// SearchPool. The other methods are synchronous.
class MetricDbService final : public v1::MetricDB::WithCallbackMethod_Search<
                                  v1::MetricDB::WithCallbackMethod_Upsert<v1::MetricDB::Service>> {
 public:
  // `collections` (this node's engine through LocalDirectory, or a
  // cluster's sharded collections) and `auth` must outlive the service; a
  // null `auth` lets every call through (the server's explicit --no-auth).
  // At most `max_long_operations` of LearnMetric, Cluster, BuildIndex,
  // Calibrate and ActivateMetric run at once.
  MetricDbService(CollectionDirectory* collections, const TokenAuth* auth,
                  const SearchPoolOptions& pool = {}, int max_long_operations = 2)
      : collections_(collections),
        auth_(auth),
        search_pool_(pool),
        long_ops_(max_long_operations) {}

  grpc::Status CreateCollection(grpc::ServerContext*, const v1::CreateCollectionRequest*,
                                v1::CreateCollectionResponse*) override;
  grpc::Status GetCollection(grpc::ServerContext*, const v1::GetCollectionRequest*,
                             v1::GetCollectionResponse*) override;
  grpc::Status ListCollections(grpc::ServerContext*, const v1::ListCollectionsRequest*,
                               v1::ListCollectionsResponse*) override;
  grpc::Status DropCollection(grpc::ServerContext*, const v1::DropCollectionRequest*,
                              v1::DropCollectionResponse*) override;
  grpc::Status BuildIndex(grpc::ServerContext*, const v1::BuildIndexRequest*,
                          v1::BuildIndexResponse*) override;
  grpc::ServerBidiReactor<v1::UpsertRequest, v1::UpsertResponse>* Upsert(
      grpc::CallbackServerContext*) override;
  grpc::Status UpsertBatch(grpc::ServerContext*, const v1::UpsertRequest*,
                           v1::UpsertResponse*) override;
  grpc::Status Get(grpc::ServerContext*, const v1::GetRequest*, v1::GetResponse*) override;
  grpc::Status Delete(grpc::ServerContext*, const v1::DeleteRequest*, v1::DeleteResponse*) override;
  grpc::Status Count(grpc::ServerContext*, const v1::CountRequest*, v1::CountResponse*) override;
  grpc::ServerUnaryReactor* Search(grpc::CallbackServerContext*, const v1::SearchRequest*,
                                   v1::SearchResponse*) override;

  // Identities and records (gallery_service.cc).
  grpc::Status Scan(grpc::ServerContext*, const v1::ScanRequest*, v1::ScanResponse*) override;
  grpc::Status ListLabels(grpc::ServerContext*, const v1::ListLabelsRequest*,
                          v1::ListLabelsResponse*) override;
  grpc::Status Relabel(grpc::ServerContext*, const v1::RelabelRequest*,
                       v1::RelabelResponse*) override;

  // Aliases (alias_service.cc).
  grpc::Status CreateAlias(grpc::ServerContext*, const v1::CreateAliasRequest*,
                           v1::AliasResponse*) override;
  grpc::Status SwitchAlias(grpc::ServerContext*, const v1::SwitchAliasRequest*,
                           v1::AliasResponse*) override;
  grpc::Status DeleteAlias(grpc::ServerContext*, const v1::DeleteAliasRequest*,
                           v1::AliasResponse*) override;
  grpc::Status ListAliases(grpc::ServerContext*, const v1::ListAliasesRequest*,
                           v1::ListAliasesResponse*) override;

  // Learned metrics (metric_service.cc).
  grpc::Status LearnMetric(grpc::ServerContext*, const v1::LearnMetricRequest*,
                           grpc::ServerWriter<v1::LearnMetricResponse>*) override;
  grpc::Status ListMetrics(grpc::ServerContext*, const v1::ListMetricsRequest*,
                           v1::ListMetricsResponse*) override;
  grpc::Status GetMetric(grpc::ServerContext*, const v1::GetMetricRequest*,
                         v1::MetricVersion*) override;
  grpc::Status ActivateMetric(grpc::ServerContext*, const v1::ActivateMetricRequest*,
                              v1::ActivateMetricResponse*) override;
  grpc::Status SetMetric(grpc::ServerContext*, const v1::SetMetricRequest*,
                         v1::MetricVersion*) override;

  // Identity queries (identity_service.cc).
  grpc::Status Identify(grpc::ServerContext*, const v1::IdentifyRequest*,
                        v1::IdentifyResponse*) override;
  grpc::Status Verify(grpc::ServerContext*, const v1::VerifyRequest*, v1::VerifyResponse*) override;
  grpc::Status Calibrate(grpc::ServerContext*, const v1::CalibrateRequest*,
                         v1::Calibration*) override;
  grpc::Status GetCalibration(grpc::ServerContext*, const v1::GetCalibrationRequest*,
                              v1::Calibration*) override;
  grpc::Status Cluster(grpc::ServerContext*, const v1::ClusterRequest*,
                       grpc::ServerWriter<v1::ClusterResponse>*) override;

  // Cluster mode: nodes and shards; a single node says it is not a cluster.
  grpc::Status ClusterStatus(grpc::ServerContext*, const v1::ClusterStatusRequest*,
                             v1::ClusterStatusResponse*) override;
  // Set once before serving, in cluster mode.
  void set_cluster(const ClusterNode* cluster) { cluster_ = cluster; }

  // Online backup of this node's engine (backup_service.cc) into
  // directories of `root`; set once before serving (unset: UNIMPLEMENTED).
  grpc::Status Backup(grpc::ServerContext*, const v1::BackupRequest*, v1::BackupResponse*) override;
  void set_backups(Engine* engine, std::string root) {
    backup_engine_ = engine;
    backup_root_ = std::move(root);
  }

 private:
  // `context` non-null: the search stops when the call is cancelled or its
  // deadline passes (polled every kCancelCheckQueries queries).
  static grpc::Status SearchNow(const RecordSource& collection, const v1::SearchRequest* request,
                                v1::SearchResponse* response,
                                grpc::CallbackServerContext* context = nullptr);
  // Every handler's first step, with its own name (__func__, so it cannot be
  // misspelt): OK when auth is off or the call's token has the role that
  // RpcRoles() gives `method`; a method missing from that table is refused.
  // `grant` (if not null) is set to the call's token grant, null when auth
  // is off. Only RPCs that name no collection call this form.
  grpc::Status Authorize(const grpc::ServerContextBase* context, std::string_view method,
                         const TokenGrant** grant = nullptr) const;
  // The form of every RPC on one collection (or alias): the token's
  // collection patterns must also match `collection`.
  grpc::Status Authorize(const grpc::ServerContextBase* context, std::string_view method,
                         std::string_view collection) const;

  CollectionDirectory* const collections_;
  const ClusterNode* cluster_ = nullptr;
  Engine* backup_engine_ = nullptr;
  std::string backup_root_;
  const TokenAuth* const auth_;
  SearchPool search_pool_;
  LongOperationLimit long_ops_;
};

}  // namespace metricdb

#endif  // METRICDB_SERVER_METRICDB_SERVICE_H_
