// The HTTP/JSON API (server/http_gateway.h) against real servers on
// 127.0.0.1: the route table names every RPC of the service's descriptor
// once; one scripted session covering every RPC, sent to one fresh server
// over gRPC and to another over HTTP, gets equal answers (numbers within
// 1e-4, timings and paths left out); bad JSON, unknown fields and wrong
// types are 400 naming the field; no token is 401, a role too low 403.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "metricdb/v1/metricdb.pb.h"
#include "server/generic_call.h"
#include "server/http_routes.h"
#include "server/status_util.h"
#include "server/token_auth.h"
#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace metricdb {
namespace {

namespace pb = google::protobuf;
using nlohmann::json;

const pb::ServiceDescriptor& Service() {
  return *v1::SearchRequest::descriptor()->file()->FindServiceByName("MetricDB");
}

const HttpRoute* RouteOf(const std::string& rpc) {
  for (const HttpRoute& r : HttpRoutes()) {
    if (r.rpc == rpc) return &r;
  }
  return nullptr;
}

TEST(HttpRoutesTest, EveryRpcHasOneRouteWhosePathFieldsAreItsRequestFields) {
  std::set<std::string> rpcs, routed, paths;
  for (int i = 0; i < Service().method_count(); ++i) rpcs.insert(Service().method(i)->name());
  for (const HttpRoute& r : HttpRoutes()) {
    EXPECT_TRUE(routed.insert(std::string(r.rpc)).second) << r.rpc << " routed twice";
    EXPECT_TRUE(paths.insert(std::string(r.verb) + " " + std::string(r.path)).second) << r.path;
    const pb::MethodDescriptor* m = Service().FindMethodByName(std::string(r.rpc));
    ASSERT_NE(m, nullptr) << r.rpc << " is not an RPC";
    for (const std::string& field : PathFields(r.path)) {
      EXPECT_NE(m->input_type()->FindFieldByName(field), nullptr) << r.path;
    }
  }
  EXPECT_EQ(routed, rpcs);
  EXPECT_EQ(PathRegex("/v1/c/{collection}:search"), "^/v1/c/([^/:]+):search$");
}

// One step of the scripted session: an RPC and its request(s) as JSON
// (several lines for the upsert stream).
struct Step {
  std::string rpc;
  std::string request;
};

std::vector<Step> Session() {
  std::string records;
  for (int i = 0; i < 40; ++i) {
    const int id = i % 4;
    records += absl::StrCat(i ? "," : "", "{\"key\":\"k", i, "\",\"label\":\"id", id,
                            "\",\"vector\":[", id * 3 + (i % 7) * 0.1, ",", id - (i % 5) * 0.1, ",",
                            (i % 3) * 0.2, ",", id % 2, "]}");
  }
  const std::string g = "\"collection\":\"g\"";
  return {
      {"CreateCollection", R"({"schema":{"name":"g","dim":4,"metric":"L2"}})"},
      {"CreateCollection", R"({"schema":{"name":"g2","dim":4,"metric":"L2"}})"},
      {"UpsertBatch", "{" + g + ",\"records\":[" + records + "]}"},
      {"Upsert", "{" + g + R"(,"records":[{"key":"s1","vector":[1,1,1,1]}]})" + "\n{" + g +
                     R"(,"records":[{"key":"s2","vector":[2,2,2,2],"label":"id1"}]})"},
      {"GetCollection", R"({"name":"g"})"},
      {"ListCollections", "{}"},
      {"Get", "{" + g + R"(,"keys":["k1","nope"],"include_vectors":true})"},
      {"Search", "{" + g + R"(,"queries":[{"values":[0,0,0,0]},{"values":[3,1,0,1]}],"k":5})"},
      {"Count", "{" + g + R"(,"filter":"label = \"id2\""})"},
      {"Scan", "{" + g + R"(,"limit":7})"},
      {"ListLabels", "{" + g + "}"},
      {"Identify", "{" + g + R"(,"queries":[{"values":[3,1,0,1]}],"top_identities":2})"},
      {"Verify", "{" + g + R"(,"pairs":[{"a":{"key":"k0"},"b":{"key":"k4"}}],"threshold":1})"},
      {"Calibrate", "{" + g + R"(,"target_fars":[0.1],"seed":3})"},
      {"GetCalibration", "{" + g + "}"},
      {"LearnMetric", "{" + g + R"(,"method":"WHITENING","options":{"split":"BY_RECORD"}})"},
      {"ListMetrics", "{" + g + "}"},
      {"GetMetric", "{" + g + R"(,"version":1})"},
      {"ActivateMetric", "{" + g + R"(,"version":1})"},
      {"SetMetric", "{" + g + R"(,"d_out":4,"map":[1,0,0,0,0,2,0,0,0,0,1,0,0,0,0,1]})"},
      {"Cluster", "{" + g + R"(,"method":"KMEANS","k":4,"seed":2})"},
      {"BuildIndex", R"({"name":"g"})"},
      {"Relabel", "{" + g + R"(,"from":["id3"],"to":"id2"})"},
      {"Delete", "{" + g + R"(,"keys":["k1","k2"]})"},
      {"CreateAlias", R"({"alias":"live","collection":"g"})"},
      {"SwitchAlias", R"({"alias":"live","collection":"g2"})"},
      {"ListAliases", "{}"},
      {"DeleteAlias", R"({"alias":"live"})"},
      {"ClusterStatus", "{}"},
      {"Backup", R"({"backup":"b1"})"},
      {"DropCollection", R"({"name":"g2"})"},
  };
}

// Each answer as JSON (one per streamed message), or the error's code.
std::vector<json> OverGrpc(const testing::ServerProcess& server, const Step& step) {
  const pb::MethodDescriptor* m = Service().FindMethodByName(step.rpc);
  const pb::Message* in = pb::MessageFactory::generated_factory()->GetPrototype(m->input_type());
  const pb::Message* out = pb::MessageFactory::generated_factory()->GetPrototype(m->output_type());
  GenericCall call(grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()),
                   "/metricdb.v1.MetricDB/" + step.rpc, {{"authorization", "Bearer admin"}},
                   std::chrono::system_clock::now() + std::chrono::seconds(60));
  for (absl::string_view line : absl::StrSplit(step.request, '\n')) {
    std::unique_ptr<pb::Message> request(in->New());
    EXPECT_TRUE(pb::util::JsonStringToMessage(std::string(line), request.get()).ok()) << line;
    call.Write(request->SerializeAsString());
  }
  call.WritesDone();
  std::vector<json> answers;
  std::string bytes;
  while (call.Read(&bytes)) {
    std::unique_ptr<pb::Message> response(out->New());
    response->ParseFromString(bytes);
    pb::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    options.always_print_primitive_fields = true;
    std::string text;
    (void)pb::util::MessageToJsonString(*response, &text, options);
    answers.push_back(json::parse(text));
  }
  const grpc::Status s = call.Finish();
  if (!s.ok()) answers.push_back({{"error", {{"code", int(s.error_code())}}}});
  return answers;
}

// The step's route filled from its request: path fields come out of the
// body (the server puts them back).
std::vector<json> OverHttp(httplib::Client& http, const Step& step, int* status) {
  const HttpRoute& route = *RouteOf(step.rpc);
  std::string path(route.path);
  json body = json::parse(step.request.substr(0, step.request.find('\n')));
  for (const std::string& field : PathFields(route.path)) {
    const std::string value =
        body.at(field).is_string() ? body.at(field).get<std::string>() : body.at(field).dump();
    path.replace(path.find("{" + field + "}"), field.size() + 2, value);
    body.erase(field);
  }
  std::string text = body.dump();
  if (step.rpc == "Upsert") text = step.request;  // JSON lines, as they are
  httplib::Headers headers = {{"Authorization", "Bearer admin"}};
  httplib::Result res = route.verb == "GET"      ? http.Get(path, headers)
                        : route.verb == "DELETE" ? http.Delete(path, headers)
                        : route.verb == "PUT"    ? http.Put(path, headers, text, "application/json")
                                              : http.Post(path, headers, text, "application/json");
  EXPECT_TRUE(res) << step.rpc;
  if (!res) return {};
  *status = res->status;
  std::vector<json> answers;
  for (absl::string_view line : absl::StrSplit(res->body, '\n', absl::SkipWhitespace())) {
    json j = json::parse(line);
    if (j.contains("error")) {
      const std::string code = j["error"]["code"];
      for (int c = 0; c <= 16; ++c) {
        if (GrpcCodeName(static_cast<grpc::StatusCode>(c)) == code) j = {{"error", {{"code", c}}}};
      }
    }
    answers.push_back(j);
  }
  return answers;
}

// Equal but for timings, where the servers keep their files (a backup's
// directory, files and bytes: RocksDB's own files differ), and numbers
// within 1e-4 (relative).
void ExpectSame(const json& a, const json& b, const std::string& where) {
  if (a.is_number() && b.is_number()) {
    const double x = a.get<double>(), y = b.get<double>();
    EXPECT_LE(std::abs(x - y), 1e-4 * std::max({1.0, std::abs(x), std::abs(y)})) << where;
    return;
  }
  if (a.is_string() && b.is_string() && a != b) {  // int64s are JSON strings
    double x, y;
    if (absl::SimpleAtod(a.get<std::string>(), &x) && absl::SimpleAtod(b.get<std::string>(), &y)) {
      return ExpectSame(json(x), json(y), where);
    }
  }
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (auto it = a.begin(); it != a.end(); ++it) keys.insert(it.key());
    for (auto it = b.begin(); it != b.end(); ++it) keys.insert(it.key());
    for (const std::string& k : keys) {
      if (k == "directory" || k == "files" || k == "bytes" || k == "seconds" ||
          (absl::EndsWith(k, "_seconds") && k != "ttl_seconds")) {
        continue;
      }
      ASSERT_TRUE(a.contains(k) && b.contains(k)) << where << "." << k;
      ExpectSame(a[k], b[k], where + "." + k);
    }
    return;
  }
  if (a.is_array() && b.is_array()) {
    ASSERT_EQ(a.size(), b.size()) << where;
    for (size_t i = 0; i < a.size(); ++i) ExpectSame(a[i], b[i], absl::StrCat(where, "[", i, "]"));
    return;
  }
  EXPECT_EQ(a, b) << where;
}

class HttpGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.file("tokens")) << "admin " << TokenHash("admin") << "\n"
                                       << "read " << TokenHash("reader") << "\n";
  }
  std::unique_ptr<testing::ServerProcess> Start(const std::string& name, bool http) {
    std::vector<std::string> args = {"--auth-tokens", dir_.file("tokens"), "--backup-dir",
                                     dir_.file(name + "-backups")};
    if (http) {
      args.insert(args.end(), {"--http-listen", "127.0.0.1:0", "--http-port-file",
                               dir_.file(name + ".http-port")});
    }
    auto server = std::make_unique<testing::ServerProcess>(dir_.file(name), args);
    EXPECT_OK(server->Start());
    return server;
  }
  int HttpPort(const std::string& name) {
    int port = 0;
    std::ifstream(dir_.file(name + ".http-port")) >> port;
    return port;
  }
  testing::TempDir dir_;
};

TEST_F(HttpGatewayTest, EveryRpcAnswersOverHttpAsOverGrpc) {
  auto grpc_server = Start("grpc", false);
  auto http_server = Start("http", true);
  httplib::Client http("127.0.0.1", HttpPort("http"));
  http.set_read_timeout(60, 0);
  std::set<std::string> covered;
  for (const Step& step : Session()) {
    SCOPED_TRACE(step.rpc + " " + step.request.substr(0, 80));
    covered.insert(step.rpc);
    int status = 0;
    const std::vector<json> want = OverGrpc(*grpc_server, step);
    const std::vector<json> got = OverHttp(http, step, &status);
    ASSERT_FALSE(want.empty());
    ASSERT_EQ(got.size(), want.size());
    EXPECT_FALSE(want.back().contains("error")) << want.back().dump();
    EXPECT_EQ(status, 200);
    for (size_t i = 0; i < want.size(); ++i) ExpectSame(got[i], want[i], step.rpc);
  }
  std::set<std::string> rpcs;
  for (int i = 0; i < Service().method_count(); ++i) rpcs.insert(Service().method(i)->name());
  EXPECT_EQ(covered, rpcs) << "an RPC the session does not call";
}

TEST_F(HttpGatewayTest, BadRequestsNameTheFieldAndAuthIsTheServers) {
  auto server = Start("data", true);
  httplib::Client http("127.0.0.1", HttpPort("data"));
  const httplib::Headers admin = {{"Authorization", "Bearer admin"}};
  auto post = [&](const std::string& path, const std::string& body,
                  const httplib::Headers& headers) {
    return http.Post(path, headers, body, "application/json");
  };
  ASSERT_EQ(
      post("/v1/collections", R"({"schema":{"name":"c","dim":2,"metric":"L2"}})", admin)->status,
      200);
  struct Bad {
    std::string body, expect;
  } bad[] = {{"not json", "body"},
             {R"({"k":"ten"})", "k"},
             {R"({"queries":[{"valuez":[1,2]}]})", "valuez"},
             {R"({"collection":"other"})", "collection"},
             {R"({"queries":[{"values":[1]}],"k":1})", "queries[0]"}};
  for (const Bad& b : bad) {
    auto res = post("/v1/collections/c:search", b.body, admin);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << b.body;
    const json error = json::parse(res->body)["error"];
    EXPECT_EQ(error["code"], "INVALID_ARGUMENT") << b.body;
    EXPECT_NE(error["message"].get<std::string>().find(b.expect), std::string::npos)
        << b.body << " -> " << error["message"];
  }
  // An upsert stream of no batch stores nothing and answers no line.
  auto empty = post("/v1/collections/c:upsertStream", "", admin);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 200);
  EXPECT_EQ(empty->body, "");
  EXPECT_EQ(http.Get("/v1/collections/c")->status, 401);
  EXPECT_EQ(http.Get("/v1/collections/c", {{"Authorization", "Bearer wrong"}})->status, 401);
  auto denied = post("/v1/collections", R"({"schema":{"name":"d","dim":2,"metric":"L2"}})",
                     {{"Authorization", "Bearer reader"}});
  EXPECT_EQ(denied->status, 403);
  EXPECT_EQ(json::parse(denied->body)["error"]["code"], "PERMISSION_DENIED");
  EXPECT_EQ(http.Get("/v1/collections/nothing", admin)->status, 404);
  EXPECT_EQ(http.Get("/v1/no/such/route", admin)->status, 404);
  // The OpenAPI document lists every route.
  const json openapi = json::parse(http.Get("/v1/openapi.json")->body);
  for (const HttpRoute& r : HttpRoutes()) {
    EXPECT_TRUE(
        openapi["paths"][std::string(r.path)].contains(absl::AsciiStrToLower(std::string(r.verb))))
        << r.path;
  }
}

}  // namespace
}  // namespace metricdb
