#include "cluster/shard_node_service.h"

#include "proto/convert/proto_convert.h"
#include "proto/convert/status_convert.h"

namespace metricdb {

namespace cv1 = cluster::v1;

grpc::Status ShardNodeService::Open(const grpc::ServerContext* context, const std::string& name,
                                    std::shared_ptr<Collection>* out) const {
  if (auto s = authorize_(context); !s.ok()) return s;
  auto c = engine_->GetCollection(name);
  if (!c.ok()) return ToGrpcStatus(c.status());
  *out = std::move(*c);
  return grpc::Status::OK;
}

grpc::Status ShardNodeService::CreateShard(grpc::ServerContext* context,
                                           const v1::CollectionSchema* request,
                                           v1::CollectionInfo* response) {
  if (auto s = authorize_(context); !s.ok()) return s;
  auto schema = FromProto(*request);
  if (!schema.ok()) return ToGrpcStatus(schema.status());
  auto c = engine_->CreateCollection(*schema);
  if (!c.ok()) return ToGrpcStatus(c.status());
  ToProto((*c)->schema(), (*c)->Stats(), response);
  return grpc::Status::OK;
}

grpc::Status ShardNodeService::DropShard(grpc::ServerContext* context, const cv1::ShardRef* request,
                                         cv1::Empty*) {
  if (auto s = authorize_(context); !s.ok()) return s;
  return ToGrpcStatus(engine_->DropCollection(request->collection()));
}

grpc::Status ShardNodeService::GetShard(grpc::ServerContext* context, const cv1::ShardRef* request,
                                        v1::CollectionInfo* response) {
  std::shared_ptr<Collection> c;
  if (auto s = Open(context, request->collection(), &c); !s.ok()) return s;
  ToProto(c->schema(), c->Stats(), response);
  return grpc::Status::OK;
}

grpc::Status ShardNodeService::BuildIndex(grpc::ServerContext* context,
                                          const v1::BuildIndexRequest* request, cv1::Empty*) {
  std::shared_ptr<Collection> c;
  if (auto s = Open(context, request->name(), &c); !s.ok()) return s;
  std::optional<IndexSpec> spec;
  if (request->has_index()) spec = FromProto(request->index());
  return ToGrpcStatus(c->BuildIndex(spec));
}

grpc::Status ShardNodeService::UpsertGroup(grpc::ServerContext* context,
                                           const cv1::UpsertGroupRequest* request,
                                           cv1::UpsertGroupResponse* response) {
  std::shared_ptr<Collection> c;
  if (auto s = Open(context, request->collection(), &c); !s.ok()) return s;
  std::vector<std::vector<Record>> batches;
  for (const auto& b : request->batches()) {
    batches.emplace_back();
    for (const auto& r : b.records()) batches.back().push_back(FromProto(r));
  }
  GroupUpsertResult result = c->UpsertGroup(std::move(batches));
  for (const UpsertResult& r : result.results) {
    auto* out = response->add_results();
    out->set_inserted(r.inserted);
    out->set_replaced(r.replaced);
  }
  response->set_error_code(int(result.error.code()));
  response->set_error_message(std::string(result.error.message()));
  return grpc::Status::OK;
}

grpc::Status ShardNodeService::Get(grpc::ServerContext* context, const v1::GetRequest* request,
                                   v1::GetResponse* response) {
  std::shared_ptr<Collection> c;
  if (auto s = Open(context, request->collection(), &c); !s.ok()) return s;
  std::vector<std::string> keys(request->keys().begin(), request->keys().end());
  auto result = c->Get(keys, request->include_vectors());
  if (!result.ok()) return ToGrpcStatus(result.status());
  ToProto(std::move(*result), response);
  return grpc::Status::OK;
}

grpc::Status ShardNodeService::Delete(grpc::ServerContext* context,
                                      const v1::DeleteRequest* request,
                                      v1::DeleteResponse* response) {
  std::shared_ptr<Collection> c;
  if (auto s = Open(context, request->collection(), &c); !s.ok()) return s;
  std::vector<std::string> keys(request->keys().begin(), request->keys().end());
  std::vector<std::string> labels(request->labels().begin(), request->labels().end());
  auto deleted = c->Delete(keys, labels, request->filter());
  if (!deleted.ok()) return ToGrpcStatus(deleted.status());
  response->set_deleted(*deleted);
  return grpc::Status::OK;
}

grpc::Status ShardNodeService::Count(grpc::ServerContext* context, const v1::CountRequest* request,
                                     v1::CountResponse* response) {
  std::shared_ptr<Collection> c;
  if (auto s = Open(context, request->collection(), &c); !s.ok()) return s;
  auto count = c->Count(request->filter());
  if (!count.ok()) return ToGrpcStatus(count.status());
  response->set_count(*count);
  return grpc::Status::OK;
}

grpc::Status ShardNodeService::Scan(grpc::ServerContext* context, const v1::ScanRequest* request,
                                    v1::ScanResponse* response) {
  std::shared_ptr<Collection> c;
  if (auto s = Open(context, request->collection(), &c); !s.ok()) return s;
  auto which = SelectionFromProto(*request);
  if (!which.ok()) return ToGrpcStatus(which.status());
  auto page = c->Scan(*which, request->after(), ScanLimit(*request), request->include_vectors());
  if (!page.ok()) return ToGrpcStatus(page.status());
  ToProto(std::move(*page), response);
  return grpc::Status::OK;
}

grpc::Status ShardNodeService::ListLabels(grpc::ServerContext* context,
                                          const v1::ListLabelsRequest* request,
                                          v1::ListLabelsResponse* response) {
  std::shared_ptr<Collection> c;
  if (auto s = Open(context, request->collection(), &c); !s.ok()) return s;
  auto page = c->ListLabels(request->filter(), request->after(), ListLabelsLimit(*request));
  if (!page.ok()) return ToGrpcStatus(page.status());
  ToProto(std::move(*page), response);
  return grpc::Status::OK;
}

grpc::Status ShardNodeService::Relabel(grpc::ServerContext* context,
                                       const v1::RelabelRequest* request,
                                       v1::RelabelResponse* response) {
  std::shared_ptr<Collection> c;
  if (auto s = Open(context, request->collection(), &c); !s.ok()) return s;
  std::vector<std::string> from(request->from().begin(), request->from().end());
  auto relabelled = c->Relabel(from, request->to());
  if (!relabelled.ok()) return ToGrpcStatus(relabelled.status());
  response->set_relabelled(*relabelled);
  return grpc::Status::OK;
}

grpc::Status ShardNodeService::Search(grpc::ServerContext* context,
                                      const cv1::ShardSearchRequest* request,
                                      v1::SearchResponse* response) {
  const v1::SearchRequest& r = request->request();
  std::shared_ptr<Collection> c;
  if (auto s = Open(context, r.collection(), &c); !s.ok()) return s;
  SearchOptions options = SearchOptionsFromProto(r);
  options.scope = LabelScope(request->scope());
  if (request->has_metric_version()) options.metric_version = request->metric_version();
  options.cancelled = [context] { return context->IsCancelled(); };
  auto results = c->Search(QueriesOf(r), options);
  if (!results.ok()) return ToGrpcStatus(results.status());
  ToProto(std::move(*results), response);
  return grpc::Status::OK;
}

grpc::Status ShardNodeService::SampleRecords(grpc::ServerContext* context,
                                             const cv1::SampleRequest* request,
                                             cv1::SampleResponse* response) {
  std::shared_ptr<Collection> c;
  if (auto s = Open(context, request->collection(), &c); !s.ok()) return s;
  RecordSelection which;
  which.scope = LabelScope(request->scope());
  which.labels.assign(request->labels().begin(), request->labels().end());
  which.filter = request->filter();
  auto sample =
      c->SamplePage(which, request->max(), request->seed(), request->offset(), request->limit());
  if (!sample.ok()) return ToGrpcStatus(sample.status());
  response->set_dim(sample->dim);
  response->set_population(sample->population);
  for (auto& k : sample->keys) response->add_keys(std::move(k));
  response->mutable_x()->Add(sample->x.begin(), sample->x.end());
  for (auto& l : sample->labels) {
    response->add_has_label(l.has_value());
    response->add_labels(l.value_or(""));
  }
  return grpc::Status::OK;
}

grpc::Status ShardNodeService::AddMetricVersion(grpc::ServerContext* context,
                                                const cv1::MetricVersionBytes* request,
                                                cv1::MetricVersionRef* response) {
  std::shared_ptr<Collection> c;
  if (auto s = Open(context, request->collection(), &c); !s.ok()) return s;
  auto version = DecodeStoredMetricVersion(request->encoded());
  if (!version.ok()) return ToGrpcStatus(version.status());
  const int32_t at = version->version;
  auto number = c->AddMetricVersionAt(std::move(*version), at);
  if (!number.ok()) return ToGrpcStatus(number.status());
  response->set_collection(request->collection());
  response->set_version(*number);
  return grpc::Status::OK;
}

grpc::Status ShardNodeService::ListMetricVersions(grpc::ServerContext* context,
                                                  const cv1::ListVersionsRequest* request,
                                                  cv1::ListVersionsResponse* response) {
  std::shared_ptr<Collection> c;
  if (auto s = Open(context, request->collection(), &c); !s.ok()) return s;
  // With their maps: the encoding carries a map's shape with its rows.
  auto versions = c->ListMetricVersions(/*include_maps=*/true);
  if (!versions.ok()) return ToGrpcStatus(versions.status());
  for (const auto& v : *versions) response->add_encoded(EncodeStoredMetricVersion(v));
  return grpc::Status::OK;
}

grpc::Status ShardNodeService::GetMetricVersion(grpc::ServerContext* context,
                                                const cv1::MetricVersionRef* request,
                                                cv1::MetricVersionBytes* response) {
  std::shared_ptr<Collection> c;
  if (auto s = Open(context, request->collection(), &c); !s.ok()) return s;
  auto version = c->GetMetricVersion(request->version());
  if (!version.ok()) return ToGrpcStatus(version.status());
  response->set_collection(request->collection());
  response->set_encoded(EncodeStoredMetricVersion(*version));
  return grpc::Status::OK;
}

grpc::Status ShardNodeService::PrepareMetric(grpc::ServerContext* context,
                                             const cv1::MetricVersionRef* request, cv1::Empty*) {
  std::shared_ptr<Collection> c;
  if (auto s = Open(context, request->collection(), &c); !s.ok()) return s;
  return ToGrpcStatus(c->PrepareMetric(request->version()));
}

grpc::Status ShardNodeService::ActivateMetric(grpc::ServerContext* context,
                                              const cv1::MetricVersionRef* request, cv1::Empty*) {
  std::shared_ptr<Collection> c;
  if (auto s = Open(context, request->collection(), &c); !s.ok()) return s;
  return ToGrpcStatus(c->ActivateMetric(request->version()));
}

grpc::Status ShardNodeService::DiscardStagedMetric(grpc::ServerContext* context,
                                                   const cv1::ShardRef* request, cv1::Empty*) {
  std::shared_ptr<Collection> c;
  if (auto s = Open(context, request->collection(), &c); !s.ok()) return s;
  c->DiscardStagedMetric();
  return grpc::Status::OK;
}

}  // namespace metricdb
