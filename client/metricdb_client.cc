#include "client/metricdb_client.h"

#include <grpcpp/health_check_service_interface.h>

namespace metricdb {

absl::Status FromGrpcStatus(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

UpsertStream::UpsertStream(v1::MetricDB::Stub* stub, int max_in_flight)
    : max_in_flight_(max_in_flight < 1 ? 1 : max_in_flight) {
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
    acked_cv_.wait(lock, [&] {
      return reader_done_ || written_ - totals_.batches < max_in_flight_;
    });
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
  auto channel = grpc::CreateCustomChannel(
      options.address, grpc::InsecureChannelCredentials(), args);
  return std::unique_ptr<Client>(new Client(options, std::move(channel)));
}

Client::Client(const ClientOptions& options, std::shared_ptr<grpc::Channel> channel)
    : options_(options),
      channel_(std::move(channel)),
      stub_(v1::MetricDB::NewStub(channel_)) {}

void Client::Prepare(grpc::ClientContext* context) const {
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

absl::StatusOr<v1::CollectionInfo> Client::CreateCollection(
    const v1::CollectionSchema& schema) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  v1::CreateCollectionRequest req;
  *req.mutable_schema() = schema;
  v1::CreateCollectionResponse resp;
  grpc::Status s = stub_->CreateCollection(&ctx, req, &resp);
  if (!s.ok()) return FromGrpcStatus(s);
  return resp.collection();
}

absl::StatusOr<v1::CollectionInfo> Client::GetCollection(const std::string& name) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  v1::GetCollectionRequest req;
  req.set_name(name);
  v1::GetCollectionResponse resp;
  grpc::Status s = stub_->GetCollection(&ctx, req, &resp);
  if (!s.ok()) return FromGrpcStatus(s);
  return resp.collection();
}

absl::StatusOr<std::vector<v1::CollectionInfo>> Client::ListCollections() {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  v1::ListCollectionsResponse resp;
  grpc::Status s = stub_->ListCollections(&ctx, v1::ListCollectionsRequest(), &resp);
  if (!s.ok()) return FromGrpcStatus(s);
  return std::vector<v1::CollectionInfo>(resp.collections().begin(),
                                         resp.collections().end());
}

absl::Status Client::DropCollection(const std::string& name) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  v1::DropCollectionRequest req;
  req.set_name(name);
  v1::DropCollectionResponse resp;
  return FromGrpcStatus(stub_->DropCollection(&ctx, req, &resp));
}

absl::StatusOr<v1::CollectionInfo> Client::BuildIndex(
    const v1::BuildIndexRequest& request) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  v1::BuildIndexResponse resp;
  grpc::Status s = stub_->BuildIndex(&ctx, request, &resp);
  if (!s.ok()) return FromGrpcStatus(s);
  return resp.collection();
}

std::unique_ptr<UpsertStream> Client::OpenUpsertStream(int max_in_flight) {
  return std::unique_ptr<UpsertStream>(new UpsertStream(stub_.get(), max_in_flight));
}

absl::StatusOr<v1::UpsertResponse> Client::UpsertBatch(
    const v1::UpsertRequest& batch) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  v1::UpsertResponse resp;
  grpc::Status s = stub_->UpsertBatch(&ctx, batch, &resp);
  if (!s.ok()) return FromGrpcStatus(s);
  return resp;
}

absl::StatusOr<v1::GetResponse> Client::Get(const v1::GetRequest& request) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  v1::GetResponse resp;
  grpc::Status s = stub_->Get(&ctx, request, &resp);
  if (!s.ok()) return FromGrpcStatus(s);
  return resp;
}

absl::StatusOr<int64_t> Client::Delete(const v1::DeleteRequest& request) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  v1::DeleteResponse resp;
  grpc::Status s = stub_->Delete(&ctx, request, &resp);
  if (!s.ok()) return FromGrpcStatus(s);
  return resp.deleted();
}

absl::StatusOr<v1::SearchResponse> Client::Search(const v1::SearchRequest& request) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  v1::SearchResponse resp;
  grpc::Status s = stub_->Search(&ctx, request, &resp);
  if (!s.ok()) return FromGrpcStatus(s);
  return resp;
}

}  // namespace metricdb
