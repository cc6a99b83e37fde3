// The learned-metric methods of MetricDbService.
#include <spdlog/spdlog.h>

#include "engine/metric/learn_metric.h"
#include "proto/convert/proto_convert.h"
#include "server/metric_convert.h"
#include "server/metricdb_service.h"
#include "server/status_util.h"

namespace metricdb {

grpc::Status MetricDbService::LearnMetric(grpc::ServerContext* context,
                                          const v1::LearnMetricRequest* request,
                                          grpc::ServerWriter<v1::LearnMetricResponse>* writer) {
  if (auto s = Authorize(context, __func__, request->collection()); !s.ok()) return s;
  LongOperationLimit::Slot slot(&long_ops_);
  if (auto s = slot.status("LearnMetric"); !s.ok()) return s;
  auto collection = collections_->GetCollection(request->collection());
  if (!collection.ok()) return Reply("LearnMetric", collection.status());
  auto method = FromProto(request->method());
  if (!method.ok()) return Reply("LearnMetric", method.status());
  auto options = FromProto(request->options());
  if (!options.ok()) return Reply("LearnMetric", options.status());
  // A client that goes away cancels the run; so does a failed write.
  auto progress = [&](const LearnProgress& p) {
    if (context->IsCancelled()) return false;
    v1::LearnMetricResponse message;
    ToProto(p, message.mutable_progress());
    return writer->Write(message);
  };
  auto version =
      metricdb::LearnMetric(**collection, *method, *options, request->activate(), progress);
  if (!version.ok()) return Reply("LearnMetric", version.status());
  spdlog::info(
      "collection {}: learned metric version {} ({}, {:.2f}s, hold-out P@1 {:.3f} -> "
      "{:.3f}){}",
      request->collection(), version->version, version->report.method,
      version->report.training_seconds, version->report.before.precision_at_1,
      version->report.after.precision_at_1, request->activate() ? ", active" : "");
  v1::LearnMetricResponse last;
  ToProto(*version, request->activate(), false, last.mutable_result());
  writer->Write(last);
  return grpc::Status::OK;
}

grpc::Status MetricDbService::ListMetrics(grpc::ServerContext* context,
                                          const v1::ListMetricsRequest* request,
                                          v1::ListMetricsResponse* response) {
  if (auto s = Authorize(context, __func__, request->collection()); !s.ok()) return s;
  auto collection = collections_->GetCollection(request->collection());
  if (!collection.ok()) return Reply("ListMetrics", collection.status());
  auto versions = ListMetricVersions(**collection, false);
  if (!versions.ok()) return Reply("ListMetrics", versions.status());
  const int32_t active = (*collection)->schema().metric_version;
  for (const MetricVersion& v : *versions) {
    ToProto(v, v.version == active, false, response->add_versions());
  }
  response->set_active_version(active);
  return grpc::Status::OK;
}

grpc::Status MetricDbService::GetMetric(grpc::ServerContext* context,
                                        const v1::GetMetricRequest* request,
                                        v1::MetricVersion* response) {
  if (auto s = Authorize(context, __func__, request->collection()); !s.ok()) return s;
  auto collection = collections_->GetCollection(request->collection());
  if (!collection.ok()) return Reply("GetMetric", collection.status());
  auto version = GetMetricVersion(**collection, request->version());
  if (!version.ok()) return Reply("GetMetric", version.status());
  ToProto(*version, version->version == (*collection)->schema().metric_version,
          request->include_map(), response);
  return grpc::Status::OK;
}

grpc::Status MetricDbService::ActivateMetric(grpc::ServerContext* context,
                                             const v1::ActivateMetricRequest* request,
                                             v1::ActivateMetricResponse* response) {
  if (auto s = Authorize(context, __func__, request->collection()); !s.ok()) return s;
  LongOperationLimit::Slot slot(&long_ops_);
  if (auto s = slot.status("ActivateMetric"); !s.ok()) return s;
  auto collection = collections_->GetCollection(request->collection());
  if (!collection.ok()) return Reply("ActivateMetric", collection.status());
  if (auto s = (*collection)->ActivateMetric(request->version()); !s.ok()) {
    return Reply("ActivateMetric", s);
  }
  spdlog::info("collection {}: metric version {} in force", request->collection(),
               request->version());
  if (auto s = ToProto(**collection, response->mutable_collection()); !s.ok()) {
    return Reply(__func__, s);
  }
  return grpc::Status::OK;
}

grpc::Status MetricDbService::SetMetric(grpc::ServerContext* context,
                                        const v1::SetMetricRequest* request,
                                        v1::MetricVersion* response) {
  if (auto s = Authorize(context, __func__, request->collection()); !s.ok()) return s;
  auto collection = collections_->GetCollection(request->collection());
  if (!collection.ok()) return Reply("SetMetric", collection.status());
  LinearMap map;
  map.d_out = request->d_out();
  map.dim = (*collection)->schema().dim;
  map.rows.assign(request->map().begin(), request->map().end());
  auto version = UploadMetric(**collection, std::move(map), request->activate());
  if (!version.ok()) return Reply("SetMetric", version.status());
  ToProto(*version, request->activate(), false, response);
  return grpc::Status::OK;
}

}  // namespace metricdb
