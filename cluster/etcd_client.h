// EtcdClient: the few etcd v3 calls a cluster needs (KV, transactions that
// compare, leases, watches), over gRPC stubs generated from etcd's own
// .proto files (proto/etcd). Every call has a deadline; a failure to reach
// etcd is UNAVAILABLE naming the endpoints.
//
//   auto etcd = EtcdClient::Connect("http://127.0.0.1:2379,http://127.0.0.1:22379");
//   bool created = *(*etcd)->PutIfAbsent("/metricdb/nodes/n1", "...", lease);
#ifndef METRICDB_CLUSTER_ETCD_CLIENT_H_
#define METRICDB_CLUSTER_ETCD_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"

namespace metricdb {

struct EtcdKv {
  std::string key;
  std::string value;
  int64_t mod_revision = 0;
  int64_t lease = 0;
};

class EtcdClient {
 public:
  // `endpoints`: comma-separated http://HOST:PORT (the scheme may be left
  // out); calls go to the first that answers. Connects lazily: a wrong
  // address shows on the first call.
  static absl::StatusOr<std::unique_ptr<EtcdClient>> Connect(const std::string& endpoints,
                                                             int timeout_ms = 5000);
  const std::string& endpoints() const { return endpoints_; }

  absl::StatusOr<std::optional<EtcdKv>> Get(const std::string& key) const;
  // Every key starting with `prefix`, sorted; *revision: the store's revision
  // the answer is from (a watch started after it misses nothing).
  absl::StatusOr<std::vector<EtcdKv>> GetPrefix(const std::string& prefix,
                                                int64_t* revision = nullptr) const;
  absl::Status Put(const std::string& key, const std::string& value, int64_t lease = 0);
  // One transaction: puts `key` only if it does not exist; false if it did.
  absl::StatusOr<bool> PutIfAbsent(const std::string& key, const std::string& value,
                                   int64_t lease = 0);
  // One transaction: replaces `key` only if its mod_revision is still
  // `revision`; false if it changed (or was deleted) meanwhile.
  absl::StatusOr<bool> PutIfRevision(const std::string& key, const std::string& value,
                                     int64_t revision);
  // A condition of PutIfAll: `key` exists, or does not.
  struct KeyCondition {
    std::string key;
    bool exists = true;
  };
  // One transaction: puts `key` only if every condition holds; false if one
  // did not.
  absl::StatusOr<bool> PutIfAll(const std::vector<KeyCondition>& conditions, const std::string& key,
                                const std::string& value);
  // The general form: one transaction that makes every put (each on its
  // lease, 0: none) only if every compare holds; false if one did not.
  struct Compare {
    std::string key;
    // kModRevision: the key's mod_revision equals `revision` (0: the key
    // does not exist).
    enum class Kind { kExists, kAbsent, kModRevision } kind = Kind::kExists;
    int64_t revision = 0;
  };
  struct PutOp {
    std::string key;
    std::string value;
    int64_t lease = 0;
  };
  absl::StatusOr<bool> Commit(const std::vector<Compare>& compares, const std::vector<PutOp>& puts);
  absl::Status Delete(const std::string& key);
  absl::Status DeletePrefix(const std::string& prefix);

  // Leases: granted with a TTL, kept alive, revoked (its keys go with it).
  absl::StatusOr<int64_t> GrantLease(int64_t ttl_seconds);
  // The lease's remaining TTL after the refresh; NOT_FOUND once it expired.
  absl::StatusOr<int64_t> KeepAlive(int64_t lease);
  // Remaining TTL (-1: expired or unknown).
  absl::StatusOr<int64_t> LeaseTtl(int64_t lease) const;
  absl::Status RevokeLease(int64_t lease);

  // Calls `on_change` (on a thread of its own) after every change under
  // `prefix` made after `revision`, and after every reconnection (when
  // changes may have been missed), until the watch is destroyed.
  class Watch {
   public:
    ~Watch();

   private:
    friend class EtcdClient;
    void Run(etcdserverpb::Watch::Stub* stub, std::string prefix, int64_t revision);
    std::function<void()> on_change_;
    std::atomic<bool> stop_{false};
    std::mutex mu_;
    grpc::ClientContext* context_ = nullptr;  // of the open stream, under mu_
    std::thread thread_;
  };
  std::unique_ptr<Watch> WatchPrefix(const std::string& prefix, int64_t revision,
                                     std::function<void()> on_change);

 private:
  EtcdClient(std::string endpoints, std::shared_ptr<grpc::Channel> channel, int timeout_ms);
  void SetDeadline(grpc::ClientContext* context) const;
  absl::Status Failed(const char* what, const grpc::Status& s) const;
  absl::Status DeleteRange(const std::string& key, const std::string& range_end);

  const std::string endpoints_;
  const int timeout_ms_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<etcdserverpb::KV::Stub> kv_;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease_;
  std::unique_ptr<etcdserverpb::Watch::Stub> watch_;
};

// The key just after every key starting with `prefix` (etcd's range_end).
std::string PrefixEnd(const std::string& prefix);

}  // namespace metricdb

#endif  // METRICDB_CLUSTER_ETCD_CLIENT_H_
