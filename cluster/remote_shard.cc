#include "cluster/remote_shard.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "proto/convert/proto_convert.h"
#include "proto/convert/status_convert.h"

namespace metricdb {

namespace cv1 = cluster::v1;
using Stub = cv1::ShardNode::Stub;

namespace {
constexpr int kReconnectWaitMs = 1000;
}  // namespace

std::shared_ptr<grpc::Channel> NodeChannel(const std::string& address,
                                           const ShardCallOptions& options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  if (options.tls_root_pem.empty()) {
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.tls_root_pem;
  ssl.pem_cert_chain = options.tls_cert_pem;
  ssl.pem_private_key = options.tls_key_pem;
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(ssl), args);
}

std::unique_ptr<grpc::ClientContext> NodeCallContext(const ShardCallOptions& options,
                                                     int timeout_ms) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  if (!options.token.empty()) context->AddMetadata("authorization", "Bearer " + options.token);
  return context;
}

template <typename Request, typename Response>
grpc::Status RemoteShard::Invoke(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                              Response*),
                                 const Request& request, Response* response, int timeout_ms) const {
  auto context = Context(timeout_ms);
  const grpc::Status first = (stub_.get()->*method)(context.get(), request, response);
  if (first.error_code() != grpc::StatusCode::UNAVAILABLE) return first;
  // A node that has just come back may find this channel still backing off
  // from its absence: one more try that waits up to a second for the
  // connection. (Every node-to-node call is idempotent.)
  auto retry = Context(std::min(timeout_ms, kReconnectWaitMs));
  retry->set_wait_for_ready(true);
  const grpc::Status second = (stub_.get()->*method)(retry.get(), request, response);
  return second.ok() ? second : first;
}

absl::Status RemoteShard::Failed(const grpc::Status& s) const {
  absl::StatusCode code = static_cast<absl::StatusCode>(s.error_code());
  // A node that is gone or too slow: the shard is unavailable, whatever the
  // transport called it.
  if (code == absl::StatusCode::kDeadlineExceeded || code == absl::StatusCode::kCancelled) {
    code = absl::StatusCode::kUnavailable;
  }
  // The caller's own mistakes read as on a single node; anything else names
  // the shard and its node.
  if (code == absl::StatusCode::kInvalidArgument) return absl::Status(code, s.error_message());
  return absl::Status(code, absl::StrCat(where_, ": ", s.error_message()));
}

absl::StatusOr<v1::CollectionInfo> RemoteShard::Info() const {
  cv1::ShardRef request;
  request.set_collection(collection_);
  v1::CollectionInfo info;
  if (auto s = Invoke(&Stub::GetShard, request, &info, options_.read_timeout_ms); !s.ok()) {
    return Failed(s);
  }
  return info;
}

absl::StatusOr<CollectionSchema> RemoteShard::ReadSchema() const {
  auto info = Info();
  if (!info.ok()) return info.status();
  return FromProto(info->schema());
}

absl::StatusOr<CollectionStats> RemoteShard::ReadStats() const {
  auto info = Info();
  if (!info.ok()) return info.status();
  return FromProto(info->stats());
}

absl::StatusOr<SearchResults> RemoteShard::Search(absl::Span<const absl::Span<const float>> queries,
                                                  const SearchOptions& options) const {
  cv1::ShardSearchRequest request;
  v1::SearchRequest* r = request.mutable_request();
  r->set_collection(collection_);
  for (const auto& q : queries) r->add_queries()->mutable_values()->Add(q.begin(), q.end());
  r->set_k(options.k);
  for (const auto& l : options.labels) r->add_labels(l);
  r->set_include_vectors(options.include_vectors);
  r->set_include_attributes(options.include_attributes);
  r->set_filter(options.filter);
  r->mutable_params()->set_ef_search(options.tuning.ef_search);
  r->mutable_params()->set_nprobe(options.tuning.nprobe);
  r->mutable_params()->set_rerank(options.tuning.rerank);
  request.set_scope(int(options.scope));
  if (options.metric_version) request.set_metric_version(*options.metric_version);
  v1::SearchResponse response;
  int timeout_ms = options_.read_timeout_ms;
  if (options.deadline) {  // the caller's, when sooner
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        *options.deadline - std::chrono::system_clock::now());
    timeout_ms = int(std::clamp<int64_t>(left.count(), 1, timeout_ms));
  }
  if (auto s = Invoke(&Stub::Search, request, &response, timeout_ms); !s.ok()) return Failed(s);
  SearchResults results(response.results_size());
  for (int q = 0; q < response.results_size(); ++q) {
    for (auto& hit : *response.mutable_results(q)->mutable_hits()) {
      results[q].push_back(FromProto(std::move(hit)));
    }
  }
  return results;
}

absl::StatusOr<GetResult> RemoteShard::Get(absl::Span<const std::string> keys,
                                           bool include_vectors) const {
  v1::GetRequest request;
  request.set_collection(collection_);
  for (const auto& k : keys) request.add_keys(k);
  request.set_include_vectors(include_vectors);
  v1::GetResponse response;
  if (auto s = Invoke(&Stub::Get, request, &response, options_.read_timeout_ms); !s.ok())
    return Failed(s);
  GetResult result;
  for (const auto& r : response.records()) result.records.push_back(FromProto(r));
  result.missing_keys.assign(response.missing_keys().begin(), response.missing_keys().end());
  return result;
}

GroupUpsertResult RemoteShard::UpsertGroup(std::vector<std::vector<Record>> batches) {
  cv1::UpsertGroupRequest request;
  request.set_collection(collection_);
  for (const auto& batch : batches) {
    auto* b = request.add_batches();
    for (const Record& r : batch) ToProto(r, b->add_records());
  }
  cv1::UpsertGroupResponse response;
  if (auto s = Invoke(&Stub::UpsertGroup, request, &response, options_.write_timeout_ms); !s.ok()) {
    return {{}, Failed(s)};
  }
  GroupUpsertResult out;
  for (const auto& r : response.results()) out.results.push_back({r.inserted(), r.replaced()});
  if (response.error_code() != 0) {
    out.error = absl::Status(static_cast<absl::StatusCode>(response.error_code()),
                             absl::StrCat(where_, ": ", response.error_message()));
  }
  return out;
}

absl::StatusOr<int64_t> RemoteShard::Delete(absl::Span<const std::string> keys,
                                            absl::Span<const std::string> labels,
                                            const std::string& filter) {
  v1::DeleteRequest request;
  request.set_collection(collection_);
  for (const auto& k : keys) request.add_keys(k);
  for (const auto& l : labels) request.add_labels(l);
  request.set_filter(filter);
  v1::DeleteResponse response;
  if (auto s = Invoke(&Stub::Delete, request, &response, options_.write_timeout_ms); !s.ok())
    return Failed(s);
  return response.deleted();
}

absl::StatusOr<int64_t> RemoteShard::Count(const std::string& filter) const {
  v1::CountRequest request;
  request.set_collection(collection_);
  request.set_filter(filter);
  v1::CountResponse response;
  if (auto s = Invoke(&Stub::Count, request, &response, options_.read_timeout_ms); !s.ok())
    return Failed(s);
  return response.count();
}

absl::StatusOr<RecordPage> RemoteShard::Scan(const RecordSelection& which, const std::string& after,
                                             int64_t limit, bool include_vectors) const {
  v1::ScanRequest request;
  request.set_collection(collection_);
  ToProto(which, &request);
  request.set_after(after);
  request.set_limit(int32_t(limit));
  request.set_include_vectors(include_vectors);
  v1::ScanResponse response;
  if (auto s = Invoke(&Stub::Scan, request, &response, options_.read_timeout_ms); !s.ok())
    return Failed(s);
  return FromProto(response);
}

absl::StatusOr<LabelPage> RemoteShard::ListLabels(const std::string& filter,
                                                  const std::string& after, int64_t limit) const {
  v1::ListLabelsRequest request;
  request.set_collection(collection_);
  request.set_filter(filter);
  request.set_after(after);
  request.set_limit(int32_t(limit));
  v1::ListLabelsResponse response;
  if (auto s = Invoke(&Stub::ListLabels, request, &response, options_.read_timeout_ms); !s.ok())
    return Failed(s);
  return FromProto(response);
}

absl::StatusOr<int64_t> RemoteShard::Relabel(absl::Span<const std::string> from,
                                             const std::string& to) {
  v1::RelabelRequest request;
  request.set_collection(collection_);
  for (const auto& l : from) request.add_from(l);
  request.set_to(to);
  v1::RelabelResponse response;
  if (auto s = Invoke(&Stub::Relabel, request, &response, options_.write_timeout_ms); !s.ok())
    return Failed(s);
  return response.relabelled();
}

absl::Status RemoteShard::BuildIndex(const std::optional<IndexSpec>& spec) {
  v1::BuildIndexRequest request;
  request.set_name(collection_);
  if (spec) ToProto(*spec, request.mutable_index());
  cv1::Empty response;
  if (auto s = Invoke(&Stub::BuildIndex, request, &response, options_.long_timeout_ms); !s.ok())
    return Failed(s);
  return absl::OkStatus();
}

absl::StatusOr<RecordSample> RemoteShard::SampleRecords(const RecordSelection& which, int64_t max,
                                                        uint64_t seed, int64_t offset,
                                                        int64_t limit) const {
  cv1::SampleRequest request;
  request.set_collection(collection_);
  request.set_scope(int(which.scope));
  for (const auto& l : which.labels) request.add_labels(l);
  request.set_filter(which.filter);
  request.set_max(max);
  request.set_seed(seed);
  request.set_offset(offset);
  request.set_limit(limit);
  cv1::SampleResponse response;
  if (auto s = Invoke(&Stub::SampleRecords, request, &response, options_.read_timeout_ms);
      !s.ok()) {
    return Failed(s);
  }
  RecordSample sample;
  sample.dim = response.dim();
  sample.population = response.population();
  sample.keys.assign(response.keys().begin(), response.keys().end());
  sample.x.assign(response.x().begin(), response.x().end());
  for (int i = 0; i < response.labels_size(); ++i) {
    if (response.has_label(i)) {
      sample.labels.emplace_back(response.labels(i));
    } else {
      sample.labels.emplace_back();
    }
  }
  return sample;
}

absl::StatusOr<int32_t> RemoteShard::AddMetricVersion(StoredMetricVersion version) {
  cv1::MetricVersionBytes request;
  request.set_collection(collection_);
  request.set_encoded(EncodeStoredMetricVersion(version));
  cv1::MetricVersionRef response;
  if (auto s = Invoke(&Stub::AddMetricVersion, request, &response, options_.write_timeout_ms);
      !s.ok()) {
    return Failed(s);
  }
  return response.version();
}

absl::StatusOr<std::vector<StoredMetricVersion>> RemoteShard::ListMetricVersions(
    bool include_maps) const {
  cv1::ListVersionsRequest request;
  request.set_collection(collection_);
  request.set_include_maps(include_maps);
  cv1::ListVersionsResponse response;
  if (auto s = Invoke(&Stub::ListMetricVersions, request, &response, options_.read_timeout_ms);
      !s.ok()) {
    return Failed(s);
  }
  std::vector<StoredMetricVersion> out;
  for (const auto& bytes : response.encoded()) {
    auto v = DecodeStoredMetricVersion(bytes);
    if (!v.ok()) return v.status();
    if (!include_maps) v->map.rows.clear();
    out.push_back(std::move(*v));
  }
  return out;
}

absl::StatusOr<StoredMetricVersion> RemoteShard::GetMetricVersion(int32_t version) const {
  cv1::MetricVersionRef request;
  request.set_collection(collection_);
  request.set_version(version);
  cv1::MetricVersionBytes response;
  if (auto s = Invoke(&Stub::GetMetricVersion, request, &response, options_.read_timeout_ms);
      !s.ok()) {
    return Failed(s);
  }
  return DecodeStoredMetricVersion(response.encoded());
}

absl::Status RemoteShard::PrepareMetric(int32_t version) {
  cv1::MetricVersionRef request;
  request.set_collection(collection_);
  request.set_version(version);
  cv1::Empty response;
  if (auto s = Invoke(&Stub::PrepareMetric, request, &response, options_.long_timeout_ms); !s.ok())
    return Failed(s);
  return absl::OkStatus();
}

absl::Status RemoteShard::ActivateMetric(int32_t version) {
  cv1::MetricVersionRef request;
  request.set_collection(collection_);
  request.set_version(version);
  cv1::Empty response;
  if (auto s = Invoke(&Stub::ActivateMetric, request, &response, options_.long_timeout_ms);
      !s.ok()) {
    return Failed(s);
  }
  return absl::OkStatus();
}

absl::Status RemoteShard::DiscardStagedMetric() {
  cv1::ShardRef request;
  request.set_collection(collection_);
  cv1::Empty response;
  if (auto s = Invoke(&Stub::DiscardStagedMetric, request, &response, options_.write_timeout_ms);
      !s.ok()) {
    return Failed(s);
  }
  return absl::OkStatus();
}

}  // namespace metricdb
