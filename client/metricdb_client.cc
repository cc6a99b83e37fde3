#include "client/metricdb_client.h"

#include <grpcpp/health_check_service_interface.h>

#include <optional>

namespace metricdb {

absl::Status FromGrpcStatus(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

UpsertStream::UpsertStream(v1::MetricDB::Stub* stub, int max_in_flight, const std::string& token)
    : max_in_flight_(max_in_flight < 1 ? 1 : max_in_flight) {
  if (!token.empty()) context_.AddMetadata("authorization", "Bearer " + token);
  stream_ = stub->Upsert(&context_);
  reader_ = std::thread([this] { ReadAcks(); });
}

UpsertStream::~UpsertStream() {
  if (!finished_) {
    context_.TryCancel();
    (void)Finish();
  }
}

void UpsertStream::ReadAcks() {
  v1::UpsertResponse ack;
  while (stream_->Read(&ack)) {
    std::lock_guard<std::mutex> lock(mu_);
    ++totals_.batches;
    totals_.inserted += ack.inserted();
    totals_.replaced += ack.replaced();
    acked_cv_.notify_all();
  }
  std::lock_guard<std::mutex> lock(mu_);
  reader_done_ = true;
  acked_cv_.notify_all();
}

absl::Status UpsertStream::Write(const v1::UpsertRequest& batch) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    acked_cv_.wait(lock,
                   [&] { return reader_done_ || written_ - totals_.batches < max_in_flight_; });
    if (reader_done_) {
      return absl::AbortedError("upsert stream ended; Finish() gives the reason");
    }
    ++written_;
  }
  if (!stream_->Write(batch)) {
    return absl::AbortedError("upsert stream ended; Finish() gives the reason");
  }
  return absl::OkStatus();
}

absl::Status UpsertStream::Finish() {
  if (finished_) return absl::FailedPreconditionError("Finish called twice");
  finished_ = true;
  stream_->WritesDone();
  reader_.join();
  return FromGrpcStatus(stream_->Finish());
}

UpsertStream::Totals UpsertStream::totals() const {
  std::lock_guard<std::mutex> lock(mu_);
  return totals_;
}

std::unique_ptr<Client> Client::Connect(const ClientOptions& options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options.max_message_mib << 20);
  args.SetMaxSendMessageSize(options.max_message_mib << 20);
  if (options.own_connection) args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (options.tls) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options.tls_root_pem;
    ssl.pem_cert_chain = options.tls_cert_pem;
    ssl.pem_private_key = options.tls_key_pem;
    credentials = grpc::SslCredentials(ssl);
  }
  auto channel = grpc::CreateCustomChannel(options.address, credentials, args);
  return std::unique_ptr<Client>(new Client(options, std::move(channel)));
}

Client::Client(const ClientOptions& options, std::shared_ptr<grpc::Channel> channel)
    : options_(options), channel_(std::move(channel)), stub_(v1::MetricDB::NewStub(channel_)) {}

void Client::AddToken(grpc::ClientContext* context) const {
  if (!options_.token.empty()) context->AddMetadata("authorization", "Bearer " + options_.token);
}

void Client::Prepare(grpc::ClientContext* context) const {
  AddToken(context);
  if (options_.timeout.count() > 0) {
    context->set_deadline(std::chrono::system_clock::now() + options_.timeout);
  }
}

absl::Status Client::WaitUntilReady(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::system_clock::now() + timeout;
  if (!channel_->WaitForConnected(deadline)) {
    return absl::UnavailableError("cannot connect to " + options_.address);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::CollectionInfo> Client::CreateCollection(const v1::CollectionSchema& schema) {
  v1::CreateCollectionRequest req;
  *req.mutable_schema() = schema;
  auto resp = Unary(&v1::MetricDB::Stub::CreateCollection, req);
  if (!resp.ok()) return resp.status();
  return resp->collection();
}

absl::StatusOr<v1::CollectionInfo> Client::GetCollection(const std::string& name) {
  v1::GetCollectionRequest req;
  req.set_name(name);
  auto resp = Unary(&v1::MetricDB::Stub::GetCollection, req);
  if (!resp.ok()) return resp.status();
  return resp->collection();
}

absl::StatusOr<std::vector<v1::CollectionInfo>> Client::ListCollections() {
  auto resp = Unary(&v1::MetricDB::Stub::ListCollections, v1::ListCollectionsRequest());
  if (!resp.ok()) return resp.status();
  return std::vector<v1::CollectionInfo>(resp->collections().begin(), resp->collections().end());
}

absl::Status Client::DropCollection(const std::string& name) {
  v1::DropCollectionRequest req;
  req.set_name(name);
  return Unary(&v1::MetricDB::Stub::DropCollection, req).status();
}

absl::StatusOr<v1::ClusterStatusResponse> Client::ClusterStatus() {
  return Unary(&v1::MetricDB::Stub::ClusterStatus, v1::ClusterStatusRequest());
}

absl::Status Client::CreateAlias(const std::string& alias, const std::string& collection) {
  v1::CreateAliasRequest request;
  request.set_alias(alias);
  request.set_collection(collection);
  return Unary(&v1::MetricDB::Stub::CreateAlias, request).status();
}

absl::Status Client::SwitchAlias(const std::string& alias, const std::string& collection) {
  v1::SwitchAliasRequest request;
  request.set_alias(alias);
  request.set_collection(collection);
  return Unary(&v1::MetricDB::Stub::SwitchAlias, request).status();
}

absl::Status Client::DeleteAlias(const std::string& alias) {
  v1::DeleteAliasRequest request;
  request.set_alias(alias);
  return Unary(&v1::MetricDB::Stub::DeleteAlias, request).status();
}

absl::StatusOr<v1::ListAliasesResponse> Client::ListAliases() {
  return Unary(&v1::MetricDB::Stub::ListAliases, v1::ListAliasesRequest());
}

absl::StatusOr<v1::BackupResponse> Client::Backup(const std::string& name) {
  v1::BackupRequest request;
  request.set_backup(name);
  return Unary(&v1::MetricDB::Stub::Backup, request);
}

absl::StatusOr<v1::CollectionInfo> Client::BuildIndex(const v1::BuildIndexRequest& request) {
  auto resp = Unary(&v1::MetricDB::Stub::BuildIndex, request);
  if (!resp.ok()) return resp.status();
  return resp->collection();
}

std::unique_ptr<UpsertStream> Client::OpenUpsertStream(int max_in_flight) {
  return std::unique_ptr<UpsertStream>(
      new UpsertStream(stub_.get(), max_in_flight, options_.token));
}

absl::StatusOr<v1::UpsertResponse> Client::UpsertBatch(const v1::UpsertRequest& batch) {
  return Unary(&v1::MetricDB::Stub::UpsertBatch, batch);
}

absl::StatusOr<v1::GetResponse> Client::Get(const v1::GetRequest& request) {
  return Unary(&v1::MetricDB::Stub::Get, request);
}

absl::StatusOr<int64_t> Client::Delete(const v1::DeleteRequest& request) {
  auto resp = Unary(&v1::MetricDB::Stub::Delete, request);
  if (!resp.ok()) return resp.status();
  return resp->deleted();
}

absl::StatusOr<int64_t> Client::Count(const v1::CountRequest& request) {
  auto resp = Unary(&v1::MetricDB::Stub::Count, request);
  if (!resp.ok()) return resp.status();
  return resp->count();
}

absl::StatusOr<v1::ScanResponse> Client::Scan(const v1::ScanRequest& request) {
  return Unary(&v1::MetricDB::Stub::Scan, request);
}

absl::StatusOr<v1::ListLabelsResponse> Client::ListLabels(const v1::ListLabelsRequest& request) {
  return Unary(&v1::MetricDB::Stub::ListLabels, request);
}

absl::StatusOr<int64_t> Client::Relabel(const v1::RelabelRequest& request) {
  auto resp = Unary(&v1::MetricDB::Stub::Relabel, request);
  if (!resp.ok()) return resp.status();
  return resp->relabelled();
}

absl::StatusOr<v1::SearchResponse> Client::Search(const v1::SearchRequest& request) {
  return Unary(&v1::MetricDB::Stub::Search, request);
}

absl::StatusOr<v1::MetricVersion> Client::LearnMetric(
    const v1::LearnMetricRequest& request,
    const std::function<void(const v1::LearnProgress&)>& on_progress) {
  return ProgressStream(&v1::MetricDB::Stub::LearnMetric, request, on_progress,
                        &v1::LearnMetricResponse::has_result, &v1::LearnMetricResponse::result);
}

absl::StatusOr<v1::ListMetricsResponse> Client::ListMetrics(const std::string& collection) {
  v1::ListMetricsRequest req;
  req.set_collection(collection);
  return Unary(&v1::MetricDB::Stub::ListMetrics, req);
}

absl::StatusOr<v1::MetricVersion> Client::GetMetric(const v1::GetMetricRequest& request) {
  return Unary(&v1::MetricDB::Stub::GetMetric, request);
}

absl::StatusOr<v1::CollectionInfo> Client::ActivateMetric(const std::string& collection,
                                                          int32_t version) {
  v1::ActivateMetricRequest req;
  req.set_collection(collection);
  req.set_version(version);
  auto resp = Unary(&v1::MetricDB::Stub::ActivateMetric, req);
  if (!resp.ok()) return resp.status();
  return resp->collection();
}

absl::StatusOr<v1::MetricVersion> Client::SetMetric(const v1::SetMetricRequest& request) {
  return Unary(&v1::MetricDB::Stub::SetMetric, request);
}

absl::StatusOr<v1::IdentifyResponse> Client::Identify(const v1::IdentifyRequest& request) {
  return Unary(&v1::MetricDB::Stub::Identify, request);
}

absl::StatusOr<v1::VerifyResponse> Client::Verify(const v1::VerifyRequest& request) {
  return Unary(&v1::MetricDB::Stub::Verify, request);
}

absl::StatusOr<v1::Calibration> Client::Calibrate(const v1::CalibrateRequest& request) {
  return Unary(&v1::MetricDB::Stub::Calibrate, request);
}

absl::StatusOr<v1::Calibration> Client::GetCalibration(const std::string& collection) {
  v1::GetCalibrationRequest req;
  req.set_collection(collection);
  return Unary(&v1::MetricDB::Stub::GetCalibration, req);
}

absl::StatusOr<v1::ClusterResult> Client::Cluster(
    const v1::ClusterRequest& request,
    const std::function<void(const v1::LearnProgress&)>& on_progress) {
  return ProgressStream(&v1::MetricDB::Stub::Cluster, request, on_progress,
                        &v1::ClusterResponse::has_result, &v1::ClusterResponse::result);
}

}  // namespace metricdb
