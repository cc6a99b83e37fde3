// Authorisation of every RPC, read from the service's own descriptor: the
// role table (server/rpc_roles.h) names each RPC exactly once, and against a
// real server with tokens, each RPC refuses a call without a token
// (UNAUTHENTICATED) and with the role below its own (PERMISSION_DENIED), and
// lets its own role through (whatever the empty request then earns).
#include "server/rpc_roles.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "metricdb/v1/metricdb.grpc.pb.h"
#include "server/generic_call.h"
#include "server/token_auth.h"
#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace metricdb {
namespace {

const google::protobuf::ServiceDescriptor& Service() {
  // Through a message of the same .proto file, whose descriptor is linked in.
  return *v1::SearchRequest::descriptor()->file()->FindServiceByName("MetricDB");
}

TEST(RpcRolesTest, TheTableNamesEveryRpcOfTheServiceOnce) {
  std::set<std::string> in_service, in_table;
  for (int i = 0; i < Service().method_count(); ++i) in_service.insert(Service().method(i)->name());
  for (const auto& [name, role] : RpcRoles()) {
    EXPECT_TRUE(in_table.insert(std::string(name)).second) << name << " appears twice";
  }
  EXPECT_EQ(in_table, in_service);
  EXPECT_FALSE(RequiredRole("NoSuchRpc").has_value());
}

// Calls `method` with `request` (serialized; whatever its arity: one message
// each way) and returns the final status.
grpc::Status CallWith(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                      const std::string& token, const std::string& request_bytes) {
  std::multimap<std::string, std::string> metadata;
  if (!token.empty()) metadata.emplace("authorization", "Bearer " + token);
  GenericCall call(channel, method, metadata,
                   std::chrono::system_clock::now() + std::chrono::seconds(20));
  call.Write(request_bytes);
  call.WritesDone();
  std::string response;  // every response is read before Finish
  while (call.Read(&response)) {
  }
  return call.Finish();
}

grpc::Status CallWithEmptyRequest(const std::shared_ptr<grpc::Channel>& channel,
                                  const std::string& method, const std::string& token) {
  return CallWith(channel, method, token, "");
}

TEST(RpcRolesTest, EveryRpcRefusesTheRolesBelowItsOwn) {
  testing::TempDir dir;
  const std::string tokens = dir.file("tokens");
  {
    std::ofstream out(tokens);
    out << "read " << TokenHash("reader-token") << " reader\n"
        << "write " << TokenHash("writer-token") << " writer\n"
        << "admin " << TokenHash("admin-token") << " admin\n";
  }
  testing::ServerProcess server(dir.file("db"), {"--auth-tokens", tokens});
  ASSERT_OK(server.Start());
  auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  const std::map<Role, std::string> token_of = {
      {Role::kRead, "reader-token"}, {Role::kWrite, "writer-token"}, {Role::kAdmin, "admin-token"}};
  for (int i = 0; i < Service().method_count(); ++i) {
    const std::string name = Service().method(i)->name();
    SCOPED_TRACE(name);
    const std::optional<Role> role = RequiredRole(name);
    ASSERT_TRUE(role.has_value());
    const std::string method = "/" + Service().full_name() + "/" + name;
    EXPECT_EQ(CallWithEmptyRequest(channel, method, "").error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(CallWithEmptyRequest(channel, method, "not-a-token").error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    if (*role != Role::kRead) {
      const Role below = static_cast<Role>(static_cast<int>(*role) - 1);
      EXPECT_EQ(CallWithEmptyRequest(channel, method, token_of.at(below)).error_code(),
                grpc::StatusCode::PERMISSION_DENIED);
    }
    const grpc::Status allowed = CallWithEmptyRequest(channel, method, token_of.at(*role));
    EXPECT_NE(allowed.error_code(), grpc::StatusCode::UNAUTHENTICATED) << allowed.error_message();
    EXPECT_NE(allowed.error_code(), grpc::StatusCode::PERMISSION_DENIED) << allowed.error_message();
  }
}

// The request of `method` naming `collection` in every field that names a
// collection ("collection", "name", "alias", or CreateCollection's
// "schema.name"), or nullopt for a request that names none.
std::optional<std::string> RequestNaming(const google::protobuf::MethodDescriptor& method,
                                         const std::string& collection) {
  const google::protobuf::Descriptor* input = method.input_type();
  std::unique_ptr<google::protobuf::Message> request(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(input)->New());
  google::protobuf::Message* target = request.get();
  if (const auto* schema = input->FindFieldByName("schema")) {
    target = request->GetReflection()->MutableMessage(request.get(), schema);
  }
  bool named = false;
  for (const char* field_name : {"collection", "name", "alias"}) {
    if (const auto* field = target->GetDescriptor()->FindFieldByName(field_name)) {
      target->GetReflection()->SetString(target, field, collection);
      named = true;
    }
  }
  if (!named) return std::nullopt;
  return request->SerializeAsString();
}

// Per-collection tokens: an admin token limited to "A" and "team-*" is
// refused every RPC naming collection "B" (each RPC of the descriptor, the
// upsert stream included), is let through on "A", and lists only its own.
TEST(RpcRolesTest, ATokenLimitedToCollectionsIsRefusedEveryRpcOnAnother) {
  testing::TempDir dir;
  const std::string tokens = dir.file("tokens");
  {
    std::ofstream out(tokens);
    out << "admin " << TokenHash("root-token") << " root\n"
        << "admin " << TokenHash("tenant-token") << " tenant collections=A,team-*\n";
  }
  testing::ServerProcess server(dir.file("db"), {"--auth-tokens", tokens});
  ASSERT_OK(server.Start());
  auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  auto client = v1::MetricDB::NewStub(channel);
  for (const char* name : {"A", "B", "team-x", "teamy"}) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer root-token");
    v1::CreateCollectionRequest request;
    request.mutable_schema()->set_name(name);
    request.mutable_schema()->set_dim(2);
    request.mutable_schema()->set_metric(v1::L2);
    v1::CreateCollectionResponse response;
    const grpc::Status created = client->CreateCollection(&context, request, &response);
    ASSERT_TRUE(created.ok()) << name << ": " << created.error_message();
  }
  std::set<std::string> without_collection;
  for (int i = 0; i < Service().method_count(); ++i) {
    const google::protobuf::MethodDescriptor& m = *Service().method(i);
    SCOPED_TRACE(m.name());
    const std::string method = "/" + Service().full_name() + "/" + m.name();
    const std::optional<std::string> on_b = RequestNaming(m, "B");
    if (!on_b) {
      without_collection.insert(m.name());
      continue;
    }
    const grpc::Status refused = CallWith(channel, method, "tenant-token", *on_b);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED) << refused.error_message();
    EXPECT_NE(refused.error_message().find("\"B\""), std::string::npos) << refused.error_message();
    // (DropCollection is let through last, below: it would drop them now.)
    for (const char* allowed : {"A", "team-x"}) {
      if (m.name() == "DropCollection") break;
      const grpc::Status s = CallWith(channel, method, "tenant-token", *RequestNaming(m, allowed));
      EXPECT_NE(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
          << allowed << ": " << s.error_message();
    }
    EXPECT_EQ(CallWith(channel, method, "tenant-token", *RequestNaming(m, "teamy")).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  // The RPCs that name no collection filter what they show instead, or (a
  // backup of every collection) refuse a limited token.
  EXPECT_EQ(without_collection,
            (std::set<std::string>{"Backup", "ClusterStatus", "ListAliases", "ListCollections"}));
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer tenant-token");
    v1::BackupRequest request;
    request.set_backup("all");
    v1::BackupResponse response;
    EXPECT_EQ(client->Backup(&context, request, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  for (const auto& [token, expected] : std::map<std::string, std::vector<std::string>>{
           {"tenant-token", {"A", "team-x"}}, {"root-token", {"A", "B", "team-x", "teamy"}}}) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    v1::ListCollectionsResponse listed;
    ASSERT_TRUE(client->ListCollections(&context, {}, &listed).ok());
    std::vector<std::string> names;
    for (const auto& c : listed.collections()) names.push_back(c.schema().name());
    EXPECT_EQ(names, expected) << token;
  }
  // Aliases: an admin may name an alias inside the token's patterns (a grant
  // of that collection by name); the token sees only such aliases, and
  // cannot point one of its own names at a collection outside its scope.
  auto alias_call = [&](const std::string& token, const std::string& rpc, const std::string& alias,
                        const std::string& collection) {
    v1::SwitchAliasRequest request;  // CreateAlias's has the same fields
    request.set_alias(alias);
    request.set_collection(collection);
    return CallWith(channel, "/" + Service().full_name() + "/" + rpc, token,
                    request.SerializeAsString());
  };
  ASSERT_TRUE(alias_call("root-token", "CreateAlias", "team-live", "B").ok());
  ASSERT_TRUE(alias_call("root-token", "CreateAlias", "other", "A").ok());
  EXPECT_EQ(alias_call("tenant-token", "CreateAlias", "team-new", "B").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(alias_call("tenant-token", "CreateAlias", "mine", "A").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(alias_call("tenant-token", "CreateAlias", "team-a", "A").ok());
  EXPECT_EQ(alias_call("tenant-token", "SwitchAlias", "team-a", "B").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer tenant-token");
    v1::ListAliasesResponse listed;
    ASSERT_TRUE(client->ListAliases(&context, {}, &listed).ok());
    std::vector<std::string> names;
    for (const auto& a : listed.aliases()) names.push_back(a.alias() + ">" + a.collection());
    EXPECT_EQ(names, (std::vector<std::string>{"team-a>A", "team-live>B"}));
  }
  // The stream checks every batch: one on A is stored, the next on B ends it.
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer tenant-token");
  auto stream = client->Upsert(&context);
  for (const char* name : {"A", "B"}) {
    v1::UpsertRequest batch;
    batch.set_collection(name);
    v1::Record* r = batch.add_records();
    r->set_key("k");
    r->set_label("l");
    r->add_vector(1);
    r->add_vector(2);
    ASSERT_TRUE(stream->Write(batch));
  }
  stream->WritesDone();
  v1::UpsertResponse ack;
  int acks = 0;
  while (stream->Read(&ack)) ++acks;
  const grpc::Status finished = stream->Finish();
  EXPECT_EQ(acks, 1);
  EXPECT_EQ(finished.error_code(), grpc::StatusCode::PERMISSION_DENIED) << finished.error_message();
  grpc::ClientContext drop_context;
  drop_context.AddMetadata("authorization", "Bearer tenant-token");
  v1::DropCollectionRequest drop;
  drop.set_name("team-x");
  v1::DropCollectionResponse dropped;
  EXPECT_TRUE(client->DropCollection(&drop_context, drop, &dropped).ok());
}

TEST(TokenAuthScopeTest, CollectionPatternsAreCheckedWhenTheFileIsRead) {
  const std::string hash = TokenHash("t");
  EXPECT_TRUE(TokenAuth::FromText("read " + hash + " n collections=a,b-*,c?").ok());
  EXPECT_TRUE(TokenAuth::FromText("read " + hash + " collections=a").ok());
  for (const std::string& bad :
       {"read " + hash + " n collections=", "read " + hash + " n collections=a,,b",
        "read " + hash + " n collections=a/b", "read " + hash + " n m x"}) {
    EXPECT_EQ(TokenAuth::FromText(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace metricdb
