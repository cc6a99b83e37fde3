// ShardNodeService: the node-to-node service of a cluster node — what
// coordinators (RemoteShard) call on the shards this node holds, answered by
// this node's Engine through LocalShard. Registered by the server beside
// metricdb.v1.MetricDB in cluster mode only.
#ifndef METRICDB_CLUSTER_SHARD_NODE_SERVICE_H_
#define METRICDB_CLUSTER_SHARD_NODE_SERVICE_H_

#include <functional>
#include <memory>

#include "cluster/shard.h"
#include "engine/collection/engine.h"
#include "metricdb/cluster/v1/shard_node.grpc.pb.h"

namespace metricdb {

class ShardNodeService final : public cluster::v1::ShardNode::Service {
 public:
  // `authorize` is every call's first step (the server requires the admin
  // role of node-to-node calls); `engine` must outlive the service.
  using Authorizer = std::function<grpc::Status(const grpc::ServerContextBase*)>;
  ShardNodeService(Engine* engine, Authorizer authorize)
      : engine_(engine), authorize_(std::move(authorize)) {}

  grpc::Status CreateShard(grpc::ServerContext*, const v1::CollectionSchema*,
                           v1::CollectionInfo*) override;
  grpc::Status DropShard(grpc::ServerContext*, const cluster::v1::ShardRef*,
                         cluster::v1::Empty*) override;
  grpc::Status GetShard(grpc::ServerContext*, const cluster::v1::ShardRef*,
                        v1::CollectionInfo*) override;
  grpc::Status BuildIndex(grpc::ServerContext*, const v1::BuildIndexRequest*,
                          cluster::v1::Empty*) override;
  grpc::Status UpsertGroup(grpc::ServerContext*, const cluster::v1::UpsertGroupRequest*,
                           cluster::v1::UpsertGroupResponse*) override;
  grpc::Status Get(grpc::ServerContext*, const v1::GetRequest*, v1::GetResponse*) override;
  grpc::Status Delete(grpc::ServerContext*, const v1::DeleteRequest*, v1::DeleteResponse*) override;
  grpc::Status Count(grpc::ServerContext* context, const v1::CountRequest* request,
                     v1::CountResponse* response) override;
  grpc::Status Scan(grpc::ServerContext* context, const v1::ScanRequest* request,
                    v1::ScanResponse* response) override;
  grpc::Status ListLabels(grpc::ServerContext* context, const v1::ListLabelsRequest* request,
                          v1::ListLabelsResponse* response) override;
  grpc::Status Relabel(grpc::ServerContext* context, const v1::RelabelRequest* request,
                       v1::RelabelResponse* response) override;
  grpc::Status Search(grpc::ServerContext*, const cluster::v1::ShardSearchRequest*,
                      v1::SearchResponse*) override;
  grpc::Status SampleRecords(grpc::ServerContext*, const cluster::v1::SampleRequest*,
                             cluster::v1::SampleResponse*) override;
  grpc::Status AddMetricVersion(grpc::ServerContext*, const cluster::v1::MetricVersionBytes*,
                                cluster::v1::MetricVersionRef*) override;
  grpc::Status ListMetricVersions(grpc::ServerContext*, const cluster::v1::ListVersionsRequest*,
                                  cluster::v1::ListVersionsResponse*) override;
  grpc::Status GetMetricVersion(grpc::ServerContext*, const cluster::v1::MetricVersionRef*,
                                cluster::v1::MetricVersionBytes*) override;
  grpc::Status PrepareMetric(grpc::ServerContext*, const cluster::v1::MetricVersionRef*,
                             cluster::v1::Empty*) override;
  grpc::Status ActivateMetric(grpc::ServerContext*, const cluster::v1::MetricVersionRef*,
                              cluster::v1::Empty*) override;
  grpc::Status DiscardStagedMetric(grpc::ServerContext*, const cluster::v1::ShardRef*,
                                   cluster::v1::Empty*) override;

 private:
  // The shard (a local collection) named `name`, after authorizing the call.
  grpc::Status Open(const grpc::ServerContext* context, const std::string& name,
                    std::shared_ptr<Collection>* out) const;

  Engine* const engine_;
  const Authorizer authorize_;
};

}  // namespace metricdb

#endif  // METRICDB_CLUSTER_SHARD_NODE_SERVICE_H_
