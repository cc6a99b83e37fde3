// OpenApiDocument (http_gateway.h): the routes of http_routes.cc with the
// JSON schemas of their messages, generated from the proto descriptors, so
// the document cannot drift from the API.
#include <google/protobuf/descriptor.h>

#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/ascii.h"
#include "metricdb/v1/metricdb.pb.h"
#include "server/http_gateway.h"
#include "server/http_routes.h"

namespace metricdb {
namespace {

namespace pb = google::protobuf;
using nlohmann::json;

std::string Ref(const pb::Descriptor* d) { return "#/components/schemas/" + d->full_name(); }

json FieldSchema(const pb::FieldDescriptor* f, std::vector<const pb::Descriptor*>* pending) {
  json type;
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32:
    case pb::FieldDescriptor::CPPTYPE_UINT32:
      type = {{"type", "integer"}, {"format", "int32"}};
      break;
    case pb::FieldDescriptor::CPPTYPE_INT64:
    case pb::FieldDescriptor::CPPTYPE_UINT64:  // proto3 JSON: a decimal string or a number
      type = {{"type", "string"}, {"format", "int64"}};
      break;
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
      type = {{"type", "number"}};
      break;
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      type = {{"type", "boolean"}};
      break;
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      json values = json::array();
      for (int i = 0; i < f->enum_type()->value_count(); ++i) {
        values.push_back(f->enum_type()->value(i)->name());
      }
      type = {{"type", "string"}, {"enum", values}};
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      if (f->is_map()) {
        return {{"type", "object"},
                {"additionalProperties", FieldSchema(f->message_type()->map_value(), pending)}};
      }
      pending->push_back(f->message_type());
      type = {{"$ref", Ref(f->message_type())}};
      break;
    default:
      type = {{"type", "string"}};
  }
  if (f->is_repeated()) return {{"type", "array"}, {"items", type}};
  return type;
}

}  // namespace

std::string OpenApiDocument() {
  const pb::ServiceDescriptor& service =
      *v1::SearchRequest::descriptor()->file()->FindServiceByName("MetricDB");
  json paths = json::object();
  std::vector<const pb::Descriptor*> pending;
  for (const HttpRoute& route : HttpRoutes()) {
    const pb::MethodDescriptor* m = service.FindMethodByName(std::string(route.rpc));
    if (m == nullptr) continue;
    const bool lines = m->client_streaming() || m->server_streaming();
    json op = {{"operationId", m->name()}, {"tags", {"MetricDB"}}};
    json parameters = json::array();
    for (const std::string& field : PathFields(route.path)) {
      parameters.push_back(
          {{"name", field}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    }
    if (!parameters.empty()) op["parameters"] = parameters;
    pending.push_back(m->input_type());
    pending.push_back(m->output_type());
    if (route.verb == "POST" || route.verb == "PUT") {
      op["requestBody"] = {{"content",
                            {{m->client_streaming() ? "application/x-ndjson" : "application/json",
                              {{"schema", {{"$ref", Ref(m->input_type())}}}}}}}};
    }
    op["responses"] = {
        {"200",
         {{"description", lines ? "one message per line" : "the response message"},
          {"content",
           {{lines ? "application/x-ndjson" : "application/json",
             {{"schema", {{"$ref", Ref(m->output_type())}}}}}}}}},
        {"default",
         {{"description", "{\"error\": {\"code\": GRPC_CODE_NAME, \"message\": ...}}"}}}};
    // OpenAPI paths name parameters the same way; a custom verb stays as is.
    paths[std::string(route.path)][absl::AsciiStrToLower(std::string(route.verb))] = op;
  }
  json schemas = json::object();
  std::set<std::string> done;
  while (!pending.empty()) {
    const pb::Descriptor* d = pending.back();
    pending.pop_back();
    if (!done.insert(d->full_name()).second) continue;
    json properties = json::object();
    for (int i = 0; i < d->field_count(); ++i) {
      properties[d->field(i)->name()] = FieldSchema(d->field(i), &pending);
    }
    schemas[d->full_name()] = {{"type", "object"}, {"properties", properties}};
  }
  return json{{"openapi", "3.0.3"},
              {"info",
               {{"title", "metricdb"},
                {"version", "v1"},
                {"description",
                 "metricdb.v1.MetricDB over HTTP/JSON: each route is the RPC of its "
                 "operationId, transcoded with protobuf's JSON mapping. Authorization: Bearer "
                 "<token>."}}},
              {"paths", paths},
              {"components",
               {{"schemas", schemas},
                {"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}},
              {"security", {{{"bearer", json::array()}}}}}
      .dump();
}

}  // namespace metricdb
