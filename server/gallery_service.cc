// The identity-and-record methods of MetricDbService: Scan, ListLabels,
// Relabel.
#include <spdlog/spdlog.h>

#include "proto/convert/proto_convert.h"
#include "server/metricdb_service.h"
#include "server/status_util.h"

namespace metricdb {

grpc::Status MetricDbService::Scan(grpc::ServerContext* context, const v1::ScanRequest* request,
                                   v1::ScanResponse* response) {
  if (auto s = Authorize(context, __func__, request->collection()); !s.ok()) return s;
  auto collection = collections_->GetCollection(request->collection());
  if (!collection.ok()) return Reply(__func__, collection.status());
  auto which = SelectionFromProto(*request);
  if (!which.ok()) return Reply(__func__, which.status());
  auto page = (*collection)
                  ->Scan(*which, request->after(), ScanLimit(*request), request->include_vectors());
  if (!page.ok()) return Reply(__func__, page.status());
  ToProto(std::move(*page), response);
  return grpc::Status::OK;
}

grpc::Status MetricDbService::ListLabels(grpc::ServerContext* context,
                                         const v1::ListLabelsRequest* request,
                                         v1::ListLabelsResponse* response) {
  if (auto s = Authorize(context, __func__, request->collection()); !s.ok()) return s;
  auto collection = collections_->GetCollection(request->collection());
  if (!collection.ok()) return Reply(__func__, collection.status());
  auto page =
      (*collection)->ListLabels(request->filter(), request->after(), ListLabelsLimit(*request));
  if (!page.ok()) return Reply(__func__, page.status());
  ToProto(std::move(*page), response);
  return grpc::Status::OK;
}

grpc::Status MetricDbService::Relabel(grpc::ServerContext* context,
                                      const v1::RelabelRequest* request,
                                      v1::RelabelResponse* response) {
  if (auto s = Authorize(context, __func__, request->collection()); !s.ok()) return s;
  auto collection = collections_->GetCollection(request->collection());
  if (!collection.ok()) return Reply(__func__, collection.status());
  std::vector<std::string> from(request->from().begin(), request->from().end());
  auto relabelled = (*collection)->Relabel(from, request->to());
  if (!relabelled.ok()) return Reply(__func__, relabelled.status());
  spdlog::info("relabelled {} records of collection {} to \"{}\"", *relabelled,
               request->collection(), request->to());
  response->set_relabelled(*relabelled);
  return grpc::Status::OK;
}

}  // namespace metricdb
