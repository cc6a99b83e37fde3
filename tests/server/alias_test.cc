// Aliases through the real server on 127.0.0.1: four clients search through
// an alias while it is switched back and forth between two collections —
// no query fails, and every result set comes entirely from one collection;
// the names' rules (one namespace, no drop under an alias, no alias of an
// alias); and the alias survives kill -9 straight after its switch.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "client/metricdb_client.h"
#include "tests/testing/oracle.h"
#include "tests/testing/requests.h"
#include "tests/testing/server_client.h"
#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace metricdb {
namespace {

using testing::Query;
using testing::Schema;
using testing::ServerProcess;
using testing::TempDir;

constexpr int kDim = testing::kDefaultDim;

// 500 records whose keys start with `prefix`.
void Fill(Client& client, const std::string& name, const std::string& prefix, uint32_t seed) {
  ASSERT_OK(client.CreateCollection(Schema(name)));
  const auto v = testing::RandomVectors(500, kDim, seed);
  v1::UpsertRequest batch = testing::Batch(name, v, 0, 500);
  for (auto& r : *batch.mutable_records()) r.set_key(prefix + r.key());
  ASSERT_OK(client.UpsertBatch(batch).status());
}

TEST(AliasTest, ASwitchUnderConcurrentSearchesGivesEachQueryOneWholeCollection) {
  TempDir dir;
  ServerProcess server(dir.file("data"));
  ASSERT_OK(server.Start());
  auto client = testing::ConnectTo(server);
  ASSERT_NO_FATAL_FAILURE(Fill(*client, "gallery_v1", "one-", 1));
  ASSERT_NO_FATAL_FAILURE(Fill(*client, "gallery_v2", "two-", 2));
  ASSERT_OK(client->CreateAlias("live", "gallery_v1"));

  std::atomic<bool> stop{false};
  std::atomic<int64_t> queries{0}, failed{0}, mixed{0}, from_one{0}, from_two{0};
  std::vector<std::thread> searchers;
  for (int t = 0; t < 4; ++t) {
    searchers.emplace_back([&, t] {
      auto own = testing::ConnectTo(server);  // a client (and channel) of its own
      const auto q = testing::RandomVectors(50, kDim, 100 + t);
      for (int i = 0; !stop; i = (i + 1) % 50) {
        auto res = own->Search(Query("live", q.data() + i * kDim, 10));
        ++queries;
        if (!res.ok() || res->results(0).hits_size() != 10) {
          ++failed;
          continue;
        }
        int one = 0;
        for (const auto& hit : res->results(0).hits()) one += hit.key().rfind("one-", 0) == 0;
        if (one == 10) {
          ++from_one;
        } else if (one == 0) {
          ++from_two;
        } else {
          ++mixed;
        }
      }
    });
  }
  for (int s = 0; s < 200; ++s) {
    ASSERT_OK(client->SwitchAlias("live", s % 2 == 0 ? "gallery_v2" : "gallery_v1"));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  stop = true;
  for (auto& t : searchers) t.join();
  std::printf("[ alias ] 200 switches under %lld queries: %lld from v1, %lld from v2\n",
              (long long)queries.load(), (long long)from_one.load(), (long long)from_two.load());
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(mixed, 0);
  EXPECT_GT(from_one, 0);
  EXPECT_GT(from_two, 0);

  // The names' rules.
  EXPECT_EQ(client->CreateAlias("live", "gallery_v1").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(client->CreateAlias("gallery_v1", "gallery_v2").code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(client->CreateCollection(Schema("live")).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(client->CreateAlias("second", "live").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(client->CreateAlias("x", "nothing").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(client->SwitchAlias("nothing", "gallery_v1").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(client->DropCollection("live").code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_OK_AND_ASSIGN(auto listed, client->ListAliases());
  ASSERT_EQ(listed.aliases_size(), 1);
  const std::string target = listed.aliases(0).collection();  // after 200 switches: v1
  EXPECT_EQ(target, "gallery_v1");
  EXPECT_EQ(client->DropCollection(target).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_OK_AND_ASSIGN(auto info, client->GetCollection("live"));
  EXPECT_EQ(info.schema().name(), target);  // GetCollection answers with the real name

  // Switched, then killed: the restarted server resolves the alias the same.
  ASSERT_OK(client->SwitchAlias("live", "gallery_v2"));
  server.Kill();
  ASSERT_OK(server.Start());
  client = testing::ConnectTo(server);
  ASSERT_OK_AND_ASSIGN(auto after, client->GetCollection("live"));
  EXPECT_EQ(after.schema().name(), "gallery_v2");
  ASSERT_OK(client->DeleteAlias("live"));
  EXPECT_EQ(client->GetCollection("live").status().code(), absl::StatusCode::kNotFound);
  EXPECT_OK(client->DropCollection("gallery_v1"));
}

}  // namespace
}  // namespace metricdb
