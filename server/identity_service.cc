// The identity methods of MetricDbService: identify, verify, calibrate,
// cluster.
#include <spdlog/spdlog.h>

#include <chrono>

#include "engine/identity/calibration.h"
#include "server/identity_convert.h"
#include "server/metric_convert.h"
#include "server/metricdb_service.h"
#include "server/status_util.h"

namespace metricdb {

grpc::Status MetricDbService::Identify(grpc::ServerContext* context,
                                       const v1::IdentifyRequest* request,
                                       v1::IdentifyResponse* response) {
  if (auto s = Authorize(context, __func__, request->collection()); !s.ok()) return s;
  auto collection = collections_->GetCollection(request->collection());
  if (!collection.ok()) return Reply("Identify", collection.status());
  auto options = FromProto(*request);
  if (!options.ok()) return Reply("Identify", options.status());
  std::vector<absl::Span<const float>> queries;
  for (const v1::Vector& q : request->queries()) {
    queries.emplace_back(q.values().data(), q.values_size());
  }
  std::vector<std::string> keys(request->query_keys().begin(), request->query_keys().end());
  auto result = metricdb::Identify(**collection, queries, keys, *options);
  if (!result.ok()) return Reply("Identify", result.status());
  ToProto(*result, response);
  return grpc::Status::OK;
}

grpc::Status MetricDbService::Verify(grpc::ServerContext* context, const v1::VerifyRequest* request,
                                     v1::VerifyResponse* response) {
  if (auto s = Authorize(context, __func__, request->collection()); !s.ok()) return s;
  auto collection = collections_->GetCollection(request->collection());
  if (!collection.ok()) return Reply("Verify", collection.status());
  auto pairs = PairsFromProto(*request);
  if (!pairs.ok()) return Reply("Verify", pairs.status());
  auto options = FromProto(*request);
  if (!options.ok()) return Reply("Verify", options.status());
  auto result = metricdb::Verify(**collection, *pairs, *options);
  if (!result.ok()) return Reply("Verify", result.status());
  for (const VerifyResult& r : result->results) {
    v1::VerifyResult* out = response->add_results();
    out->set_distance(r.distance);
    out->set_same(r.same);
  }
  response->set_threshold(result->threshold);
  return grpc::Status::OK;
}

grpc::Status MetricDbService::Calibrate(grpc::ServerContext* context,
                                        const v1::CalibrateRequest* request,
                                        v1::Calibration* response) {
  if (auto s = Authorize(context, __func__, request->collection()); !s.ok()) return s;
  LongOperationLimit::Slot slot(&long_ops_);
  if (auto s = slot.status("Calibrate"); !s.ok()) return s;
  auto collection = collections_->GetCollection(request->collection());
  if (!collection.ok()) return Reply("Calibrate", collection.status());
  auto calibration = metricdb::Calibrate(**collection, FromProto(*request));
  if (!calibration.ok()) return Reply("Calibrate", calibration.status());
  spdlog::info("collection {}: calibrated on {} genuine and {} impostor pairs (EER {:.4f})",
               request->collection(), calibration->genuine_pairs, calibration->impostor_pairs,
               calibration->eer);
  ToProto(*calibration, false, response);
  return grpc::Status::OK;
}

grpc::Status MetricDbService::GetCalibration(grpc::ServerContext* context,
                                             const v1::GetCalibrationRequest* request,
                                             v1::Calibration* response) {
  if (auto s = Authorize(context, __func__, request->collection()); !s.ok()) return s;
  auto collection = collections_->GetCollection(request->collection());
  if (!collection.ok()) return Reply("GetCalibration", collection.status());
  auto calibration = LoadCalibration(**collection);
  if (!calibration.ok()) return Reply("GetCalibration", calibration.status());
  if (!*calibration) {
    return Reply("GetCalibration",
                 absl::NotFoundError("the collection has not been calibrated (Calibrate)"));
  }
  ToProto(**calibration, (*calibration)->metric_version != (*collection)->schema().metric_version,
          response);
  return grpc::Status::OK;
}

grpc::Status MetricDbService::Cluster(grpc::ServerContext* context,
                                      const v1::ClusterRequest* request,
                                      grpc::ServerWriter<v1::ClusterResponse>* writer) {
  if (auto s = Authorize(context, __func__, request->collection()); !s.ok()) return s;
  LongOperationLimit::Slot slot(&long_ops_);
  if (auto s = slot.status("Cluster"); !s.ok()) return s;
  auto collection = collections_->GetCollection(request->collection());
  if (!collection.ok()) return Reply("Cluster", collection.status());
  auto options = FromProto(*request);
  if (!options.ok()) return Reply("Cluster", options.status());
  const auto start = std::chrono::steady_clock::now();
  auto progress = [&](const LearnProgress& p) {
    if (context->IsCancelled()) return false;
    v1::ClusterResponse message;
    ToProto(p, message.mutable_progress());
    message.mutable_progress()->set_elapsed_seconds(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return writer->Write(message);
  };
  auto result = metricdb::Cluster(**collection, *options, progress);
  if (!result.ok()) return Reply("Cluster", result.status());
  v1::ClusterResponse last;
  ToProto(*result, request->include_centroids(), last.mutable_result());
  last.mutable_result()->set_seconds(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  writer->Write(last);
  return grpc::Status::OK;
}

}  // namespace metricdb
