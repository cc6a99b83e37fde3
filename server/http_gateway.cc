#include "server/http_gateway.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "metricdb/v1/metricdb.pb.h"
#include "server/console_assets.h"
#include "server/generic_call.h"
#include "server/http_routes.h"
#include "server/status_util.h"

namespace metricdb {
namespace {

namespace pb = google::protobuf;

// Calls over HTTP have this long, as gRPC clients without a deadline would.
constexpr auto kCallDeadline = std::chrono::minutes(30);

const pb::ServiceDescriptor& Service() {
  return *v1::SearchRequest::descriptor()->file()->FindServiceByName("MetricDB");
}

// The HTTP status of a gRPC code (as grpc-gateway maps them).
int HttpStatus(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    default:
      return 500;
  }
}

std::string ErrorJson(const grpc::Status& s) {
  return nlohmann::json{
      {"error", {{"code", GrpcCodeName(s.error_code())}, {"message", s.error_message()}}}}
      // A message may quote bytes that are not UTF-8: they become U+FFFD.
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void ReplyError(httplib::Response& res, const grpc::Status& s) {
  res.status = HttpStatus(s.error_code());
  res.set_content(ErrorJson(s), "application/json");
}

grpc::Status BadRequest(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

std::string ToJson(const pb::Message& message) {
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  (void)pb::util::MessageToJsonString(message, &json, options);
  return json;
}

grpc::Status FromJson(const std::string& json, pb::Message* message, const std::string& where) {
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto s = pb::util::JsonStringToMessage(json, message, options);
  if (!s.ok()) return BadRequest(absl::StrCat(where, ": ", std::string(s.message())));
  return grpc::Status::OK;
}

// Sets scalar field `name` of `message` from text (a path segment or a
// query parameter); 400 naming it if it has no such field or kind.
grpc::Status SetField(pb::Message* message, const std::string& name, const std::string& text) {
  const pb::FieldDescriptor* field = message->GetDescriptor()->FindFieldByName(name);
  const pb::Reflection* r = message->GetReflection();
  if (field == nullptr || field->is_repeated()) {
    return BadRequest(absl::StrCat(name, ": not a field of ", message->GetTypeName()));
  }
  bool ok = true;
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING:
      if (r->HasField(*message, field) && r->GetString(*message, field) != text) {
        return BadRequest(absl::StrCat(name, ": the path says \"", text, "\", the body \"",
                                       r->GetString(*message, field), "\""));
      }
      r->SetString(message, field, text);
      break;
    case pb::FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      ok = absl::SimpleAtoi(text, &v);
      if (ok) r->SetInt32(message, field, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      ok = absl::SimpleAtoi(text, &v);
      if (ok) r->SetInt64(message, field, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_BOOL: {
      bool v;
      ok = absl::SimpleAtob(text, &v);
      if (ok) r->SetBool(message, field, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: {
      double v;
      ok = absl::SimpleAtod(text, &v);
      if (ok) r->SetDouble(message, field, v);
      break;
    }
    default:
      ok = false;
  }
  if (!ok) return BadRequest(absl::StrCat(name, ": \"", text, "\" is not a ", field->type_name()));
  return grpc::Status::OK;
}

}  // namespace

HttpGateway::HttpGateway(std::shared_ptr<grpc::Channel> channel, HttpGatewayOptions options)
    : channel_(std::move(channel)), options_(std::move(options)) {}

HttpGateway::~HttpGateway() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

void HttpGateway::AddRoutes() {
  for (const HttpRoute& route : HttpRoutes()) {
    const pb::MethodDescriptor* method = Service().FindMethodByName(std::string(route.rpc));
    if (method == nullptr) continue;  // http_routes_test keeps the table and service equal
    const std::string full = absl::StrCat("/", Service().full_name(), "/", method->name());
    const std::vector<std::string> fields = PathFields(route.path);
    const bool body = route.verb == "POST" || route.verb == "PUT";
    const pb::Message* prototype =
        pb::MessageFactory::generated_factory()->GetPrototype(method->input_type());
    const pb::Message* out_prototype =
        pb::MessageFactory::generated_factory()->GetPrototype(method->output_type());
    auto handler = [this, method, full, fields, body, prototype, out_prototype](
                       const httplib::Request& req, httplib::Response& res) {
      // The request messages: one, or (Upsert) one per line of the body.
      std::vector<std::unique_ptr<pb::Message>> requests;
      grpc::Status s;
      if (method->client_streaming()) {
        int line_no = 0;
        for (absl::string_view line : absl::StrSplit(req.body, '\n', absl::SkipWhitespace())) {
          requests.emplace_back(prototype->New());
          s = FromJson(std::string(line), requests.back().get(), absl::StrCat("line ", ++line_no));
          if (!s.ok()) break;
        }
      } else {
        requests.emplace_back(prototype->New());
        if (body && !req.body.empty()) s = FromJson(req.body, requests.back().get(), "body");
        // GET and DELETE: scalar fields from the query string. (A POST's
        // params would be its body read as a form.)
        for (const auto& [name, value] : req.params) {
          if (!body && s.ok()) s = SetField(requests.back().get(), name, value);
        }
      }
      for (auto& request : requests) {
        for (size_t i = 0; s.ok() && i < fields.size(); ++i) {
          s = SetField(request.get(), fields[i], req.matches[i + 1]);
        }
      }
      if (!s.ok()) return ReplyError(res, s);
      std::multimap<std::string, std::string> metadata;
      if (req.has_header("Authorization")) {
        metadata.emplace("authorization", req.get_header_value("Authorization"));
      }
      auto call = std::make_shared<GenericCall>(channel_, full, metadata,
                                                std::chrono::system_clock::now() + kCallDeadline);
      for (const auto& request : requests) {
        if (!call->Write(request->SerializeAsString())) break;
      }
      call->WritesDone();
      std::unique_ptr<pb::Message> response(out_prototype->New());
      std::string bytes;
      if (!call->Read(&bytes)) {
        const grpc::Status done = call->Finish();
        // A stream that ended well without a message (an empty upsert body).
        if (done.ok()) return res.set_content("", "application/x-ndjson");
        return ReplyError(res, done);
      }
      response->ParseFromString(bytes);
      if (!method->server_streaming() && !method->client_streaming()) {
        const grpc::Status done = call->Finish();
        if (!done.ok()) return ReplyError(res, done);
        return res.set_content(ToJson(*response), "application/json");
      }
      // JSON lines: the first message now, the others as they come.
      res.set_chunked_content_provider(
          "application/x-ndjson",
          [call, first = ToJson(*response) + "\n", out_prototype](size_t, httplib::DataSink& sink) {
            if (!sink.write(first.data(), first.size())) return false;
            std::string next;
            std::unique_ptr<pb::Message> message(out_prototype->New());
            while (call->Read(&next)) {
              message->ParseFromString(next);
              const std::string line = ToJson(*message) + "\n";
              if (!sink.write(line.data(), line.size())) return false;
            }
            const grpc::Status done = call->Finish();
            if (!done.ok()) {
              const std::string line = ErrorJson(done) + "\n";
              sink.write(line.data(), line.size());
            }
            sink.done();
            return true;
          });
    };
    const std::string regex = PathRegex(route.path);
    if (route.verb == "GET") {
      http_->Get(regex, handler);
    } else if (route.verb == "POST") {
      http_->Post(regex, handler);
    } else if (route.verb == "PUT") {
      http_->Put(regex, handler);
    } else {
      http_->Delete(regex, handler);
    }
  }
  http_->Get("/v1/openapi.json",
             [document = OpenApiDocument()](const httplib::Request&, httplib::Response& res) {
               res.set_content(document, "application/json");
             });
  // The web console: static files; its calls to the API carry the token.
  for (const ConsoleAsset& asset : ConsoleAssets()) {
    auto serve = [asset](const httplib::Request&, httplib::Response& res) {
      res.set_content(asset.body.data(), asset.body.size(), std::string(asset.content_type));
    };
    http_->Get(std::string(asset.path), serve);
    if (asset.path == "/index.html") http_->Get("/", serve);
  }
}

absl::StatusOr<HttpAddress> HttpGateway::Start(const std::string& host_port) {
  if (!options_.tls_cert_file.empty()) {
    http_ = std::make_unique<httplib::SSLServer>(
        options_.tls_cert_file.c_str(), options_.tls_key_file.c_str(),
        options_.tls_client_ca_file.empty() ? nullptr : options_.tls_client_ca_file.c_str());
  } else {
    http_ = std::make_unique<httplib::Server>();
  }
  if (!http_->is_valid()) return absl::InvalidArgumentError("cannot load the TLS files for HTTP");
  http_->set_payload_max_length(size_t(options_.max_body_mib) << 20);
  // Answers go out at once (Nagle's algorithm would hold small ones back for
  // the client's delayed acknowledgement: ~40 ms a request).
  http_->set_tcp_nodelay(true);
  AddRoutes();
  http_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404 && res.body.empty()) {
      ReplyError(res, grpc::Status(grpc::StatusCode::NOT_FOUND, "no such route"));
      res.status = 404;
    } else if (res.status == 413) {
      res.set_content(ErrorJson(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                             "request body beyond --max-message-mib")),
                      "application/json");
    }
  });
  return ListenInBackground(http_.get(), host_port, &thread_);
}

}  // namespace metricdb
