// Stopping the server (SIGTERM) while an index rebuild runs in the
// background: the rebuild is cancelled rather than waited out or cut off by
// the process ending, the server exits cleanly, and a restart serves every
// acknowledged write.
#include <gtest/gtest.h>

#include <chrono>
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

constexpr int kRecords = 40000;
constexpr int kDeleted = 16000;  // 40% tombstones: an HNSW rebuild starts

TEST(ShutdownTest, StoppingDuringABackgroundRebuildCancelsItAndLosesNothing) {
  testing::TempDir dir;
  testing::ServerProcess server(dir.file("db"));
  ASSERT_OK(server.Start());
  auto client = testing::ConnectTo(server);
  v1::CollectionSchema schema = testing::Schema("c");
  schema.mutable_index()->mutable_hnsw();
  ASSERT_OK(client->CreateCollection(schema));
  const std::vector<float> v = testing::RandomVectors(kRecords, testing::kDefaultDim, 5);
  for (int start = 0; start < kRecords; start += 4000) {
    ASSERT_OK(client->UpsertBatch(testing::Batch("c", v, start, 4000)));
  }
  v1::DeleteRequest del;
  del.set_collection("c");
  for (int i = 0; i < kDeleted; ++i) del.add_keys("k" + std::to_string(i));
  ASSERT_OK_AND_ASSIGN(int64_t deleted, client->Delete(del));
  ASSERT_EQ(deleted, kDeleted);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool building = false;
  while (!building && std::chrono::steady_clock::now() < deadline) {
    ASSERT_OK_AND_ASSIGN(v1::CollectionInfo info, client->GetCollection("c"));
    building = info.stats().index_building();
  }
  ASSERT_TRUE(building) << "no rebuild started after the delete";

  client.reset();
  EXPECT_EQ(server.Stop(), 0) << server.Log();
  EXPECT_NE(server.Log().find("rebuild ended: CANCELLED"), std::string::npos) << server.Log();

  ASSERT_OK(server.Start());
  client = testing::ConnectTo(server);
  ASSERT_OK_AND_ASSIGN(v1::CollectionInfo info, client->GetCollection("c"));
  EXPECT_EQ(info.stats().record_count(), kRecords - kDeleted);
  ASSERT_OK_AND_ASSIGN(
      v1::SearchResponse found,
      client->Search(testing::Query("c", v.data() + kDeleted * testing::kDefaultDim, 10)));
  ASSERT_EQ(found.results(0).hits(0).key(), "k" + std::to_string(kDeleted));
  for (const auto& hit : found.results(0).hits()) {
    EXPECT_GE(std::stoi(hit.key().substr(1)), kDeleted) << hit.key();
  }
}

}  // namespace
}  // namespace metricdb
