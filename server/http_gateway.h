// HttpGateway: metricdb.v1.MetricDB over HTTP/JSON (--http-listen).
//
// Every route of HttpRoutes() is transcoded with protobuf's JSON mapping
// (proto field names in answers; both those and lowerCamelCase accepted)
// and made as a gRPC call to this server's own service over its in-process
// channel, so HTTP meets the same handlers, bearer-token auth and roles,
// and message limits as gRPC. Answers:
//   unary RPCs        200 and the response message as JSON;
//   streaming RPCs    200 and JSON lines (application/x-ndjson): Upsert's
//                     request body is JSON lines too (one UpsertRequest per
//                     line), and it answers one acknowledgement per line;
//                     LearnMetric and Cluster stream their messages. An
//                     error after the first message is a last line
//                     {"error": {"code": ..., "message": ...}};
//   errors            {"error": {"code": "INVALID_ARGUMENT", "message": ...}}
//                     with the matching HTTP status (400, 401, 403, 404,
//                     409, 429, 499, 500, 501, 503, 504); a body that is not
//                     JSON, an unknown field or a value of the wrong type is
//                     400 naming the field.
// GET /v1/openapi.json describes every route (OpenApiDocument); GET / is the
// web console (console_assets.h).
#ifndef METRICDB_SERVER_HTTP_GATEWAY_H_
#define METRICDB_SERVER_HTTP_GATEWAY_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "server/http_listen.h"

namespace httplib {
class Server;
}

namespace metricdb {

struct HttpGatewayOptions {
  int max_body_mib = 64;  // larger bodies: 413
  // TLS (both or neither): serve HTTPS; with client_ca, client certificates
  // signed by it are required, as on gRPC.
  std::string tls_cert_file, tls_key_file, tls_client_ca_file;
};

class HttpGateway {
 public:
  // `channel` reaches the MetricDB service (the server's in-process channel).
  HttpGateway(std::shared_ptr<grpc::Channel> channel, HttpGatewayOptions options);
  ~HttpGateway();  // stops serving

  // Binds HOST:PORT (port 0: a free one) and serves (ListenInBackground).
  absl::StatusOr<HttpAddress> Start(const std::string& host_port);

 private:
  void AddRoutes();

  const std::shared_ptr<grpc::Channel> channel_;
  const HttpGatewayOptions options_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
};

// The OpenAPI 3 document of every route, with the request and response
// messages' schemas from the proto descriptors.
std::string OpenApiDocument();

}  // namespace metricdb

#endif  // METRICDB_SERVER_HTTP_GATEWAY_H_
