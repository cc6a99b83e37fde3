// metricdb C++ client library: a thin, typed layer over the metricdb.v1 gRPC
// stubs. Requests and replies are the API's own messages; errors come back as
// absl::Status with the server's gRPC code and message.
//
//   auto client = metricdb::Client::Connect({.address = "127.0.0.1:50051"});
//   v1::SearchRequest req;  ...
//   auto reply = (*client)->Search(req);
//
// Thread-safe: one Client may be shared by many threads.
#ifndef METRICDB_CLIENT_METRICDB_CLIENT_H_
#define METRICDB_CLIENT_METRICDB_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "metricdb/v1/metricdb.grpc.pb.h"

namespace metricdb {

struct ClientOptions {
  // host:port of the server. Default: 127.0.0.1:50051.
  std::string address = "127.0.0.1:50051";
  // Largest message sent or received, MiB. Default: 64.
  int max_message_mib = 64;
  // Deadline of each unary call; 0 = none. Default: 0.
  std::chrono::milliseconds timeout{0};
  // Bearer token sent as "authorization: Bearer <token>" on every call;
  // empty = none (a server run with --no-auth). Default: empty.
  std::string token;
  // TLS: on when `tls` is set. tls_root_pem: the CA certificates (PEM) that
  // sign the server's certificate (empty: the system's roots);
  // tls_cert_pem / tls_key_pem: this client's certificate and key, for a
  // server that verifies clients. Default: plaintext.
  bool tls = false;
  std::string tls_root_pem;
  std::string tls_cert_pem;
  std::string tls_key_pem;
  // true: this client opens a TCP connection of its own. By default gRPC
  // shares one connection among the clients of a process that connect to
  // the same address with the same options, and their calls then queue on
  // it; independent clients in one process (e.g. one per thread) want their
  // own. Default: false (shared).
  bool own_connection = false;
};

absl::Status FromGrpcStatus(const grpc::Status& s);

// A streamed upsert: batches are sent as they are written and acknowledged
// by the server once durable. Write() blocks while `max_in_flight` batches
// are unacknowledged. Not thread-safe: one writer.
class UpsertStream {
 public:
  ~UpsertStream();
  // Sends one atomic batch. A non-OK status means the stream has failed;
  // Finish() then gives the server's reason.
  absl::Status Write(const v1::UpsertRequest& batch);
  // Ends the stream and waits for every acknowledgement. The totals count
  // acknowledged batches only; on error they say what was stored before it.
  struct Totals {
    int64_t batches = 0;
    int64_t inserted = 0;
    int64_t replaced = 0;
  };
  absl::Status Finish();
  Totals totals() const;

 private:
  friend class Client;
  UpsertStream(v1::MetricDB::Stub* stub, int max_in_flight, const std::string& token);
  void ReadAcks();

  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::UpsertRequest, v1::UpsertResponse>> stream_;
  const int max_in_flight_;
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable acked_cv_;
  int64_t written_ = 0;
  bool reader_done_ = false;
  bool finished_ = false;
  Totals totals_;
};

class Client {
 public:
  // Creates a channel; no call is made yet (see WaitUntilReady).
  static std::unique_ptr<Client> Connect(const ClientOptions& options);

  // UNAVAILABLE if the server does not answer health checks within `timeout`.
  absl::Status WaitUntilReady(std::chrono::milliseconds timeout);

  absl::StatusOr<v1::CollectionInfo> CreateCollection(const v1::CollectionSchema& schema);
  absl::StatusOr<v1::CollectionInfo> GetCollection(const std::string& name);
  absl::StatusOr<std::vector<v1::CollectionInfo>> ListCollections();
  absl::Status DropCollection(const std::string& name);
  // Nodes, leases and shard placement of a cluster (cluster() false on a
  // single node).
  absl::StatusOr<v1::ClusterStatusResponse> ClusterStatus();
  // Aliases (metricdb.proto, "Aliases").
  absl::Status CreateAlias(const std::string& alias, const std::string& collection);
  absl::Status SwitchAlias(const std::string& alias, const std::string& collection);
  absl::Status DeleteAlias(const std::string& alias);
  absl::StatusOr<v1::ListAliasesResponse> ListAliases();
  // An online backup of the server's data directory, named `name` under its
  // --backup-dir (BackupRequest).
  absl::StatusOr<v1::BackupResponse> Backup(const std::string& name);
  absl::StatusOr<v1::CollectionInfo> BuildIndex(const v1::BuildIndexRequest& request);

  std::unique_ptr<UpsertStream> OpenUpsertStream(int max_in_flight = 4);
  absl::StatusOr<v1::UpsertResponse> UpsertBatch(const v1::UpsertRequest& batch);
  absl::StatusOr<v1::GetResponse> Get(const v1::GetRequest& request);
  absl::StatusOr<int64_t> Delete(const v1::DeleteRequest& request);
  absl::StatusOr<int64_t> Count(const v1::CountRequest& request);
  // One page of records / identities; ask again with `after` = `next`
  // while `more`.
  absl::StatusOr<v1::ScanResponse> Scan(const v1::ScanRequest& request);
  absl::StatusOr<v1::ListLabelsResponse> ListLabels(const v1::ListLabelsRequest& request);
  // The number of records relabelled.
  absl::StatusOr<int64_t> Relabel(const v1::RelabelRequest& request);
  absl::StatusOr<v1::SearchResponse> Search(const v1::SearchRequest& request);

  // Learned metrics. LearnMetric calls `on_progress` (may be empty) with each
  // progress message and returns the stored version; it has no deadline.
  absl::StatusOr<v1::MetricVersion> LearnMetric(
      const v1::LearnMetricRequest& request,
      const std::function<void(const v1::LearnProgress&)>& on_progress);
  absl::StatusOr<v1::ListMetricsResponse> ListMetrics(const std::string& collection);
  absl::StatusOr<v1::MetricVersion> GetMetric(const v1::GetMetricRequest& request);
  // version 0: back to the collection's creation metric.
  absl::StatusOr<v1::CollectionInfo> ActivateMetric(const std::string& collection, int32_t version);
  absl::StatusOr<v1::MetricVersion> SetMetric(const v1::SetMetricRequest& request);

  // Identity queries. Cluster calls `on_progress` (may be empty) with each
  // progress message; it has no deadline.
  absl::StatusOr<v1::IdentifyResponse> Identify(const v1::IdentifyRequest& request);
  absl::StatusOr<v1::VerifyResponse> Verify(const v1::VerifyRequest& request);
  absl::StatusOr<v1::Calibration> Calibrate(const v1::CalibrateRequest& request);
  absl::StatusOr<v1::Calibration> GetCalibration(const std::string& collection);
  absl::StatusOr<v1::ClusterResult> Cluster(
      const v1::ClusterRequest& request,
      const std::function<void(const v1::LearnProgress&)>& on_progress);

 private:
  Client(const ClientOptions& options, std::shared_ptr<grpc::Channel> channel);
  // The token (if any) and the deadline (if any) of a unary call.
  void Prepare(grpc::ClientContext* context) const;
  // The token only (streams have no deadline).
  void AddToken(grpc::ClientContext* context) const;
  // One unary call with the client's deadline.
  template <typename Request, typename Response>
  absl::StatusOr<Response> Unary(grpc::Status (v1::MetricDB::Stub::*method)(grpc::ClientContext*,
                                                                            const Request&,
                                                                            Response*),
                                 const Request& request) {
    grpc::ClientContext ctx;
    Prepare(&ctx);
    Response response;
    grpc::Status s = (stub_.get()->*method)(&ctx, request, &response);
    if (!s.ok()) return FromGrpcStatus(s);
    return response;
  }
  // A server stream of progress messages ending with one result.
  template <typename Request, typename Message, typename Result>
  absl::StatusOr<Result> ProgressStream(
      std::unique_ptr<grpc::ClientReader<Message>> (v1::MetricDB::Stub::*method)(
          grpc::ClientContext*, const Request&),
      const Request& request, const std::function<void(const v1::LearnProgress&)>& on_progress,
      bool (Message::*has_result)() const, const Result& (Message::*result)() const) {
    grpc::ClientContext ctx;  // no deadline: these runs may take long
    AddToken(&ctx);
    auto reader = (stub_.get()->*method)(&ctx, request);
    Message message;
    std::optional<Result> last;
    while (reader->Read(&message)) {
      if ((message.*has_result)()) {
        last = (message.*result)();
      } else if (message.has_progress() && on_progress) {
        on_progress(message.progress());
      }
    }
    grpc::Status s = reader->Finish();
    if (!s.ok()) return FromGrpcStatus(s);
    if (!last) return absl::InternalError("the stream ended without a result");
    return *last;
  }

  const ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::MetricDB::Stub> stub_;
};

}  // namespace metricdb

#endif  // METRICDB_CLIENT_METRICDB_CLIENT_H_
