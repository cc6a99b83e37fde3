// ShardLeadership against a real etcd (issue #19): a claim raises the epoch
// once, only in-sync members claim, a primary whose lease is gone is
// replaced and fenced off, and concurrent claims or set changes have exactly
// one winner.
#include "cluster/shard_leadership.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/testing/etcd_process.h"
#include "tests/testing/temp_dir.h"

namespace metricdb {
namespace {

using Members = std::vector<std::string>;

class ShardLeadershipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(etcd_.Start().ok());
    auto client = EtcdClient::Connect(etcd_.url());
    ASSERT_TRUE(client.ok()) << client.status();
    etcd_client_ = std::move(*client);
    shard_ = std::make_unique<ShardLeadership>(etcd_client_.get(), "/m/shards/faces/0");
  }
  int64_t Lease() {
    auto lease = etcd_client_->GrantLease(60);
    EXPECT_TRUE(lease.ok()) << lease.status();
    return lease.ok() ? *lease : 0;
  }
  testing::TempDir dir_;
  testing::EtcdProcess etcd_{dir_.file("etcd")};
  std::unique_ptr<EtcdClient> etcd_client_;
  std::unique_ptr<ShardLeadership> shard_;
};

TEST_F(ShardLeadershipTest, AClaimRaisesTheEpochOnceAndALivePrimaryKeepsIt) {
  EXPECT_EQ(shard_->Read().status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(shard_->Init({"n1", "n2"}, 3).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(shard_->Init({"n1", "n2", "n3"}, 2).ok());
  EXPECT_EQ(shard_->Init({"n1"}, 1).code(), absl::StatusCode::kAlreadyExists);
  auto s = shard_->Read();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->epoch, 0);
  EXPECT_FALSE(s->primary_alive);
  EXPECT_EQ(s->min_in_sync, 2);

  const int64_t lease1 = Lease();
  s = shard_->Claim("n1", lease1);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->epoch, 1);
  EXPECT_EQ(s->primary, "n1");
  EXPECT_TRUE(s->primary_alive);
  // n2 finds n1 alive: nothing changes.
  s = shard_->Claim("n2", Lease());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->epoch, 1);
  EXPECT_EQ(s->primary, "n1");
  EXPECT_EQ(s->in_sync, (Members{"n1", "n2", "n3"}));
}

TEST_F(ShardLeadershipTest, ALostLeaseIsReplacedAndTheOldPrimaryIsFencedOff) {
  ASSERT_TRUE(shard_->Init({"n1", "n2", "n3"}, 2).ok());
  const int64_t lease1 = Lease();
  ASSERT_EQ(shard_->Claim("n1", lease1)->epoch, 1);
  // n1 drops n3 (it stopped answering), as the primary of epoch 1.
  auto s = shard_->SetInSync(1, {"n1", "n2"});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->in_sync, (Members{"n1", "n2"}));
  EXPECT_EQ(shard_->SetInSync(1, {"n2"}).status().code(), absl::StatusCode::kInvalidArgument);

  // n1's lease goes (killed, or cut off from etcd).
  ASSERT_TRUE(etcd_client_->RevokeLease(lease1).ok());
  s = shard_->Read();
  EXPECT_FALSE(s->primary_alive);
  // Until someone claims, n1 may not change the set either.
  EXPECT_EQ(shard_->SetInSync(1, {"n1"}).status().code(), absl::StatusCode::kFailedPrecondition);
  // n3 left the set: it may lack acknowledged writes, so it may not claim.
  auto refused = shard_->Claim("n3", Lease());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("n3 is not in sync"), std::string::npos)
      << refused.status();
  s = shard_->Claim("n2", Lease());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->epoch, 2);
  EXPECT_EQ(s->primary, "n2");
  // n1 comes back still believing in epoch 1: refused.
  auto fenced = shard_->SetInSync(1, {"n1", "n2", "n3"});
  EXPECT_EQ(fenced.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(fenced.status().message().find("superseded by epoch 2"), std::string::npos)
      << fenced.status();
  // The new primary re-admits n3 once it has caught up.
  s = shard_->SetInSync(2, {"n2", "n1", "n3"});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->in_sync.size(), 3u);
}

TEST_F(ShardLeadershipTest, ConcurrentClaimsHaveExactlyOneWinner) {
  const Members members = {"n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7"};
  ASSERT_TRUE(shard_->Init(members, 2).ok());
  for (int round = 1; round <= 3; ++round) {
    std::vector<int64_t> leases;
    for (size_t i = 0; i < members.size(); ++i) leases.push_back(Lease());
    std::atomic<int> won{0}, aborted{0};
    std::vector<std::thread> threads;
    for (size_t i = 0; i < members.size(); ++i) {
      threads.emplace_back([&, i] {
        auto s = shard_->Claim(members[i], leases[i]);
        if (!s.ok()) {
          EXPECT_EQ(s.status().code(), absl::StatusCode::kAborted) << s.status();
          aborted++;
        } else if (s->primary == members[i] && s->epoch == round) {
          won++;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(won.load(), 1) << "round " << round;
    auto s = shard_->Read();
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->epoch, round);  // raised once per round, whoever won
    EXPECT_TRUE(s->primary_alive);
    // The winner dies; the next round elects again.
    for (size_t i = 0; i < members.size(); ++i) {
      if (members[i] == s->primary) ASSERT_TRUE(etcd_client_->RevokeLease(leases[i]).ok());
    }
  }
}

TEST_F(ShardLeadershipTest, OfTwoConcurrentSetChangesOneWinsAndTheOtherReadsAgain) {
  ASSERT_TRUE(shard_->Init({"n1", "n2", "n3"}, 1).ok());
  ASSERT_EQ(shard_->Claim("n1", Lease())->epoch, 1);
  // Many changes race; each that succeeds saw the latest state.
  std::atomic<int> ok{0}, aborted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto s = shard_->SetInSync(1, i % 2 ? Members{"n1", "n2"} : Members{"n1", "n3"});
      if (s.ok()) {
        ok++;
      } else {
        EXPECT_EQ(s.status().code(), absl::StatusCode::kAborted) << s.status();
        aborted++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GE(ok.load(), 1);
  EXPECT_EQ(ok.load() + aborted.load(), 8);
  auto s = shard_->Read();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->in_sync.size(), 2u);
  EXPECT_EQ(s->in_sync[0], "n1");
  EXPECT_EQ(s->epoch, 1);
}

}  // namespace
}  // namespace metricdb
