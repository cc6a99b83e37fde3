// TokenAuth's token file and hashes (the per-call check is exercised through
// a real server for every RPC in rpc_roles_test).
#include "server/token_auth.h"

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace metricdb {
namespace {

TEST(TokenAuthTest, HashIsTheSha256OfTheToken) {
  // FIPS 180-2's test vector.
  EXPECT_EQ(TokenHash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(TokenAuthTest, ReadsRolesHashesNamesAndComments) {
  const std::string text = "# tokens\n\nread " + TokenHash("r") + " reader  # trailing\n" +
                           "admin " + TokenHash("a") + "\r\n" + "write\t" + TokenHash("w") + "\n";
  ASSERT_OK_AND_ASSIGN(TokenAuth auth, TokenAuth::FromText(text));
  EXPECT_EQ(auth.size(), 3u);
}

TEST(TokenAuthTest, RefusesMalformedFilesNamingTheLine) {
  const std::string good = "read " + TokenHash("r") + "\n";
  for (const std::string& bad : {good + "owner " + TokenHash("x"),  // unknown role
                                 good + "read abc",                 // not a digest
                                 good + "read " + TokenHash("x") + " name extra", good + "read"}) {
    auto auth = TokenAuth::FromText(bad);
    EXPECT_EQ(auth.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(auth.status().message().find("line 2"), std::string::npos) << auth.status();
  }
  EXPECT_EQ(TokenAuth::FromText("# nothing\n").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(TokenAuth::FromFile("/nonexistent/tokens").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace metricdb
