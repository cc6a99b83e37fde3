// Authorisation of every RPC, read from the service's own descriptor: the
// role table (server/rpc_roles.h) names each RPC exactly once, and against a
// real server with tokens, each RPC refuses a call without a token
// (UNAUTHENTICATED) and with the role below its own (PERMISSION_DENIED), and
// lets its own role through (whatever the empty request then earns).
#include "server/rpc_roles.h"

#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "metricdb/v1/metricdb.grpc.pb.h"
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

// Calls `method` with an empty request message (whatever its arity: the
// generic stub streams one message each way) and returns the final status.
grpc::Status CallWithEmptyRequest(grpc::GenericStub& stub, const std::string& method,
                                  const std::string& token) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  grpc::CompletionQueue cq;
  void* tag;
  bool ok;
  auto call = stub.PrepareCall(&context, method, &cq);
  call->StartCall(reinterpret_cast<void*>(1));
  cq.Next(&tag, &ok);
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  cq.Next(&tag, &ok);
  call->WritesDone(reinterpret_cast<void*>(3));
  cq.Next(&tag, &ok);
  // Every response message is read before Finish (as the async API needs).
  grpc::ByteBuffer response;
  do {
    call->Read(&response, reinterpret_cast<void*>(5));
    cq.Next(&tag, &ok);
  } while (ok);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  while (cq.Next(&tag, &ok) && tag != reinterpret_cast<void*>(4)) {
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
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
  grpc::GenericStub stub(channel);
  const std::map<Role, std::string> token_of = {
      {Role::kRead, "reader-token"}, {Role::kWrite, "writer-token"}, {Role::kAdmin, "admin-token"}};
  for (int i = 0; i < Service().method_count(); ++i) {
    const std::string name = Service().method(i)->name();
    SCOPED_TRACE(name);
    const std::optional<Role> role = RequiredRole(name);
    ASSERT_TRUE(role.has_value());
    const std::string method = "/" + Service().full_name() + "/" + name;
    EXPECT_EQ(CallWithEmptyRequest(stub, method, "").error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(CallWithEmptyRequest(stub, method, "not-a-token").error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    if (*role != Role::kRead) {
      const Role below = static_cast<Role>(static_cast<int>(*role) - 1);
      EXPECT_EQ(CallWithEmptyRequest(stub, method, token_of.at(below)).error_code(),
                grpc::StatusCode::PERMISSION_DENIED);
    }
    const grpc::Status allowed = CallWithEmptyRequest(stub, method, token_of.at(*role));
    EXPECT_NE(allowed.error_code(), grpc::StatusCode::UNAUTHENTICATED) << allowed.error_message();
    EXPECT_NE(allowed.error_code(), grpc::StatusCode::PERMISSION_DENIED) << allowed.error_message();
  }
}

}  // namespace
}  // namespace metricdb
