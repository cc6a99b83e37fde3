// RemoteShard: a shard held by another node, reached through its ShardNode
// service (proto/metricdb/cluster/v1/shard_node.proto). Every call has a
// deadline; a node that cannot be reached, or a call that runs past its
// deadline, is UNAVAILABLE naming the shard and the node, and the remote
// node's own errors keep their code with the shard named in front.
#ifndef METRICDB_CLUSTER_REMOTE_SHARD_H_
#define METRICDB_CLUSTER_REMOTE_SHARD_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "cluster/shard.h"
#include "metricdb/cluster/v1/shard_node.grpc.pb.h"

namespace metricdb {

// Deadlines of node-to-node calls.
struct ShardCallOptions {
  int read_timeout_ms = 30000;    // search, get, stats, sampling pages
  int write_timeout_ms = 60000;   // upserts, deletes
  int long_timeout_ms = 3600000;  // index builds, metric preparation
  std::string token;              // bearer token of node-to-node calls; empty: none
  // TLS of node-to-node calls (PEM); empty root: plaintext. With a cert and
  // key the node presents them (servers that require client certificates).
  std::string tls_root_pem, tls_cert_pem, tls_key_pem;
};

// The context of a node-to-node call: a deadline `timeout_ms` from now and
// the cluster token, if any.
std::unique_ptr<grpc::ClientContext> NodeCallContext(const ShardCallOptions& options,
                                                     int timeout_ms);

// A channel to a node for node-to-node calls: no message size limit (shards
// send samples of records), reconnecting within a second of a node's return,
// over TLS when `options` has a root certificate.
std::shared_ptr<grpc::Channel> NodeChannel(const std::string& address,
                                           const ShardCallOptions& options);

class RemoteShard final : public Shard {
 public:
  // `collection`: the shard's local collection name on that node; `where`
  // names the shard and node in errors ("shard 2 of \"faces\" on node n3
  // (127.0.0.1:7002)").
  RemoteShard(std::shared_ptr<cluster::v1::ShardNode::Stub> stub, std::string collection,
              std::string where, const ShardCallOptions& options)
      : stub_(std::move(stub)),
        collection_(std::move(collection)),
        where_(std::move(where)),
        options_(options) {}

  absl::StatusOr<CollectionSchema> ReadSchema() const override;
  absl::StatusOr<CollectionStats> ReadStats() const override;
  absl::StatusOr<SearchResults> Search(absl::Span<const absl::Span<const float>> queries,
                                       const SearchOptions& options) const override;
  absl::StatusOr<GetResult> Get(absl::Span<const std::string> keys,
                                bool include_vectors) const override;
  GroupUpsertResult UpsertGroup(std::vector<std::vector<Record>> batches) override;
  absl::StatusOr<int64_t> Delete(absl::Span<const std::string> keys,
                                 absl::Span<const std::string> labels,
                                 const std::string& filter) override;
  absl::StatusOr<int64_t> Count(const std::string& filter) const override;
  absl::StatusOr<RecordPage> Scan(const RecordSelection& which, const std::string& after,
                                  int64_t limit, bool include_vectors) const override;
  absl::StatusOr<LabelPage> ListLabels(const std::string& filter, const std::string& after,
                                       int64_t limit) const override;
  absl::StatusOr<int64_t> Relabel(absl::Span<const std::string> from,
                                  const std::string& to) override;
  absl::Status BuildIndex(const std::optional<IndexSpec>& spec) override;
  absl::StatusOr<RecordSample> SampleRecords(const RecordSelection& which, int64_t max,
                                             uint64_t seed, int64_t offset,
                                             int64_t limit) const override;
  absl::StatusOr<int32_t> AddMetricVersion(StoredMetricVersion version) override;
  absl::StatusOr<std::vector<StoredMetricVersion>> ListMetricVersions(
      bool include_maps) const override;
  absl::StatusOr<StoredMetricVersion> GetMetricVersion(int32_t version) const override;
  absl::Status PrepareMetric(int32_t version) override;
  absl::Status ActivateMetric(int32_t version) override;
  absl::Status DiscardStagedMetric() override;

 private:
  std::unique_ptr<grpc::ClientContext> Context(int timeout_ms) const {
    return NodeCallContext(options_, timeout_ms);
  }
  // The shard's schema and stats (GetShard).
  absl::StatusOr<v1::CollectionInfo> Info() const;
  // Calls `method` with a deadline of `timeout_ms`; after UNAVAILABLE, once
  // more, waiting up to a second for the connection.
  template <typename Request, typename Response>
  grpc::Status Invoke(grpc::Status (cluster::v1::ShardNode::Stub::*method)(grpc::ClientContext*,
                                                                           const Request&,
                                                                           Response*),
                      const Request& request, Response* response, int timeout_ms) const;
  absl::Status Failed(const grpc::Status& s) const;

  const std::shared_ptr<cluster::v1::ShardNode::Stub> stub_;
  const std::string collection_;
  const std::string where_;
  const ShardCallOptions options_;
};

}  // namespace metricdb

#endif  // METRICDB_CLUSTER_REMOTE_SHARD_H_
