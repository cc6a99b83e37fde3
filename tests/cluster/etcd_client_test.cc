// EtcdClient against a real etcd: compare-and-set transactions, leases that
// expire with their keys, watches that see changes.
#include "cluster/etcd_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/testing/etcd_process.h"
#include "tests/testing/temp_dir.h"

namespace metricdb {
namespace {

class EtcdClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(etcd_.Start().ok());
    auto client = EtcdClient::Connect(etcd_.url());
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
  }
  testing::TempDir dir_;
  testing::EtcdProcess etcd_{dir_.file("etcd")};
  std::unique_ptr<EtcdClient> client_;
};

TEST_F(EtcdClientTest, PutIfAbsentClaimsAKeyOnce) {
  EXPECT_TRUE(*client_->PutIfAbsent("/t/a", "first"));
  EXPECT_FALSE(*client_->PutIfAbsent("/t/a", "second"));
  EXPECT_EQ((*client_->Get("/t/a"))->value, "first");
  EXPECT_FALSE(client_->Get("/t/missing")->has_value());
}

TEST_F(EtcdClientTest, PutIfRevisionLosesToAConcurrentChange) {
  ASSERT_TRUE(client_->Put("/t/c", "v1").ok());
  const int64_t rev = (*client_->Get("/t/c"))->mod_revision;
  ASSERT_TRUE(client_->Put("/t/c", "v2").ok());  // someone else
  EXPECT_FALSE(*client_->PutIfRevision("/t/c", "mine", rev));
  const int64_t now = (*client_->Get("/t/c"))->mod_revision;
  EXPECT_TRUE(*client_->PutIfRevision("/t/c", "mine", now));
  EXPECT_EQ((*client_->Get("/t/c"))->value, "mine");
}

TEST_F(EtcdClientTest, GetPrefixAndDeletePrefixStayInsideThePrefix) {
  for (const char* k : {"/p/a", "/p/b", "/p0", "/q/a"}) ASSERT_TRUE(client_->Put(k, k).ok());
  auto in = client_->GetPrefix("/p/");
  ASSERT_TRUE(in.ok());
  ASSERT_EQ(in->size(), 2u);
  EXPECT_EQ((*in)[0].key, "/p/a");
  ASSERT_TRUE(client_->DeletePrefix("/p/").ok());
  EXPECT_TRUE(client_->GetPrefix("/p/")->empty());
  EXPECT_TRUE(client_->Get("/p0")->has_value());
  EXPECT_TRUE(client_->Get("/q/a")->has_value());
}

TEST_F(EtcdClientTest, KeysOnALeaseGoWhenItIsNotKeptAlive) {
  auto lease = client_->GrantLease(2);
  ASSERT_TRUE(lease.ok()) << lease.status();
  ASSERT_TRUE(*client_->PutIfAbsent("/t/node", "alive", *lease));
  EXPECT_GT(*client_->KeepAlive(*lease), 0);
  EXPECT_GT(*client_->LeaseTtl(*lease), 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (client_->Get("/t/node")->has_value() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_FALSE(client_->Get("/t/node")->has_value());
  EXPECT_EQ(client_->KeepAlive(*lease).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(EtcdClientTest, RevokingALeaseDeletesItsKeysAtOnce) {
  auto lease = client_->GrantLease(60);
  ASSERT_TRUE(client_->Put("/t/held", "x", *lease).ok());
  ASSERT_TRUE(client_->RevokeLease(*lease).ok());
  EXPECT_FALSE(client_->Get("/t/held")->has_value());
}

TEST_F(EtcdClientTest, AWatchSeesChangesUnderItsPrefixOnly) {
  int64_t rev = 0;
  ASSERT_TRUE(client_->GetPrefix("/w/", &rev).ok());
  std::atomic<int> changes{0};
  auto watch = client_->WatchPrefix("/w/", rev, [&] { ++changes; });
  ASSERT_TRUE(client_->Put("/other", "x").ok());
  ASSERT_TRUE(client_->Put("/w/a", "x").ok());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (changes == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(changes, 1);
  watch.reset();  // stops and joins
}

TEST(EtcdClientUnreachable, CallsFailWithUnavailableNamingTheEndpoint) {
  auto client = EtcdClient::Connect("http://127.0.0.1:" + std::to_string(testing::FreePort()),
                                    /*timeout_ms=*/500);
  ASSERT_TRUE(client.ok());
  auto got = (*client)->Get("/x");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(got.status().message().find("etcd at http://127.0.0.1:"), std::string::npos);
  EXPECT_EQ(EtcdClient::Connect("https://127.0.0.1:1").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace metricdb
