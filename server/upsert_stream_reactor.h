// UpsertStreamReactor: serves one Upsert stream (callback API).
//
// Reads run ahead of the engine: up to kMaxQueued batches are buffered while
// the previous group is being written. A worker thread (one per stream)
// takes every queued batch of the same collection and commits them as one
// group (Collection::UpsertGroup: one durable write, each batch still all or
// nothing), then acknowledges them in order. On the first rejected batch the
// batches before it are acknowledged and the stream finishes with that
// batch's error: "batch 7: records[3].vector: ...".
#ifndef METRICDB_SERVER_UPSERT_STREAM_REACTOR_H_
#define METRICDB_SERVER_UPSERT_STREAM_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "engine/collection/collection_handle.h"
#include "metricdb/v1/metricdb.pb.h"

namespace metricdb {

class UpsertStreamReactor final
    : public grpc::ServerBidiReactor<v1::UpsertRequest, v1::UpsertResponse> {
 public:
  // Batches buffered ahead of the engine.
  static constexpr size_t kMaxQueued = 4;

  // Called with each batch's collection before it is written; a non-OK
  // status (PERMISSION_DENIED) rejects the batch like any other error.
  using CollectionCheck = std::function<absl::Status(std::string_view collection)>;

  // An empty `check` lets every collection through.
  UpsertStreamReactor(CollectionDirectory* collections, CollectionCheck check = {});

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  void Work();
  // The calls below require mu_.
  void StartReadLocked();
  void StartNextWriteLocked();
  void MaybeFinishLocked();

  CollectionDirectory* const collections_;
  const CollectionCheck check_;
  std::thread worker_;

  std::mutex mu_;  // guards everything below and every reactor operation
  std::condition_variable wake_;
  v1::UpsertRequest incoming_;
  std::deque<v1::UpsertRequest> queued_;
  bool reading_ = false;     // a read is outstanding
  bool reads_done_ = false;  // the client has half-closed
  bool cancelled_ = false;
  std::deque<v1::UpsertResponse> acks_;  // acks_.front() is being written
  bool writing_ = false;
  bool worker_done_ = false;  // final_status_ is decided
  bool finished_ = false;
  absl::Status final_status_;
  int64_t next_batch_ = 0;
};

}  // namespace metricdb

#endif  // METRICDB_SERVER_UPSERT_STREAM_REACTOR_H_
