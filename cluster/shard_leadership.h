// ShardLeadership: who is a replicated shard's primary, in which epoch, and
// which replicas are in sync, kept in etcd (issue #19; the fencing half of
// Kafka's in-sync-replica design, with etcd as the controller).
//
// Two keys under the shard's prefix (e.g. /metricdb/shards/<collection>/<s>):
//   state    {"epoch", "primary", "in_sync": [...], "min_in_sync"}, changed
//            only by transactions that compare its mod revision, so of two
//            concurrent changes one wins and the other is told to re-read;
//   primary  {"node", "epoch"} on the primary's lease: it vanishes when the
//            primary stops renewing (dies, or is cut off from etcd).
// Claim writes both in one transaction that raises the epoch, and only while
// no primary key exists and the claimant is in sync; every later change by
// a primary names its epoch and is refused once the epoch has moved on, so
// a primary that lost its lease can no longer change the set (fencing).
// Members compare the epoch of every operation they receive with the state's
// and refuse older ones (that check lives with the data path).
//
// Any in-sync member may become primary without losing an acknowledged
// write: a write is acknowledged only once every in-sync member holds it.
// Among several, the caller should let the one with the highest log position
// claim first (fewer unacknowledged entries to discard).
//
// Errors: UNAVAILABLE when etcd cannot be reached; FAILED_PRECONDITION for a
// claim by a member not in sync or a change under a superseded epoch;
// ABORTED when the state changed between the read and the transaction (read
// again and retry); NOT_FOUND before Init.
#ifndef METRICDB_CLUSTER_SHARD_LEADERSHIP_H_
#define METRICDB_CLUSTER_SHARD_LEADERSHIP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cluster/etcd_client.h"

namespace metricdb {

struct ShardState {
  int64_t epoch = 0;    // raised by every claim; 0 before the first
  std::string primary;  // of `epoch` ("" before the first claim)
  std::vector<std::string> in_sync;
  int min_in_sync = 1;
  // As read: the state key's mod revision, and whether the primary's
  // lease-bound key exists (false once its lease expired).
  int64_t revision = 0;
  bool primary_alive = false;
};

class ShardLeadership {
 public:
  // `etcd` must outlive this; `prefix` has no trailing slash.
  ShardLeadership(EtcdClient* etcd, std::string prefix);

  // Creates the state: every member in sync, no primary yet. ALREADY_EXISTS
  // if it exists; INVALID_ARGUMENT if min_in_sync is not in [1, members].
  absl::Status Init(const std::vector<std::string>& members, int min_in_sync);
  absl::StatusOr<ShardState> Read() const;
  // Makes `node` the primary of epoch + 1 on `lease` when no primary is
  // alive. Returns the state after the claim, or, when a primary is alive,
  // the state as it is (its primary is not `node`).
  absl::StatusOr<ShardState> Claim(const std::string& node, int64_t lease);
  // By the primary of `epoch`, while its lease holds: the in-sync set
  // becomes `in_sync` (a laggard removed, a caught-up replica added). The
  // primary must stay in it.
  absl::StatusOr<ShardState> SetInSync(int64_t epoch, const std::vector<std::string>& in_sync);

  std::string state_key() const { return prefix_ + "/state"; }
  std::string primary_key() const { return prefix_ + "/primary"; }

 private:
  EtcdClient* etcd_;
  const std::string prefix_;
};

}  // namespace metricdb

#endif  // METRICDB_CLUSTER_SHARD_LEADERSHIP_H_
