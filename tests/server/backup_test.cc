// Online backup and restore through the real server on 127.0.0.1 and the
// real `metricdb` CLI: a backup taken while a client streams upserts holds
// exactly a prefix of the acknowledged batches, whole, and searches on the
// restored copy equal brute force over it; a damaged backup is refused; and
// kill -9 of the server during a backup never leaves a directory that
// `restore` (or a server) accepts.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "client/metricdb_client.h"
#include "engine/storage/backup_manifest.h"
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
constexpr int kPerBatch = 20;

// `metricdb restore BACKUP DATA_DIR`: the exit status, its output in `*out`.
int CliRestore(const std::string& backup, const std::string& data_dir, std::string* out) {
  const std::string log = data_dir + ".restore.log";
  const int rc = std::system((std::string(METRICDB_CLI_BIN) + " restore '" + backup + "' '" +
                              data_dir + "' > '" + log + "' 2>&1")
                                 .c_str());
  std::ifstream in(log);
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(BackupTest, ABackupDuringAStreamedLoadHoldsAPrefixOfTheAcknowledgedBatches) {
  TempDir dir;
  ServerProcess server(dir.file("data"), {"--backup-dir", dir.file("backups")});
  ASSERT_OK(server.Start());
  auto client = testing::ConnectTo(server);
  ASSERT_OK(client->CreateCollection(Schema("c")));
  constexpr int64_t kBatches = 4000;
  const std::vector<float> vectors = testing::RandomVectors(kBatches * kPerBatch, kDim, 7);

  auto stream = client->OpenUpsertStream(8);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> sent{0};
  std::thread writer([&] {
    for (int64_t g = 0; g < kBatches && !stop; ++g) {
      if (!stream
               ->Write(
                   testing::NumberedBatch("c", g, kPerBatch, vectors.data() + g * kPerBatch * kDim))
               .ok())
        break;
      sent = g + 1;
    }
  });
  auto wait_for_acks = [&](int64_t n) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (stream->totals().batches < n && sent < kBatches &&
           std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  };
  wait_for_acks(100);
  const int64_t acked_before = stream->totals().batches;
  ASSERT_OK_AND_ASSIGN(v1::BackupResponse backup, client->Backup("b1"));
  const int64_t acked_after = stream->totals().batches;
  wait_for_acks(acked_after + 100);  // writes go on after it
  stop = true;
  writer.join();
  ASSERT_OK(stream->Finish());
  const int64_t acked = stream->totals().batches;
  EXPECT_GT(acked, acked_after) << "the load stopped at the backup";
  EXPECT_EQ(backup.directory(), std::filesystem::absolute(dir.file("backups") + "/b1").string());
  EXPECT_GT(backup.files(), 0);
  ASSERT_OK_AND_ASSIGN(BackupManifest manifest, VerifyBackup(backup.directory()));

  std::string out;
  ASSERT_EQ(CliRestore(backup.directory(), dir.file("restored"), &out), 0) << out;
  ServerProcess copy(dir.file("restored"));
  ASSERT_OK(copy.Start());
  auto restored = testing::ConnectTo(copy);
  std::vector<int> found(size_t(acked), 0);
  for (int64_t g0 = 0; g0 < acked; g0 += 100) {
    v1::GetRequest get;
    get.set_collection("c");
    for (int64_t g = g0; g < std::min(acked, g0 + 100); ++g) {
      for (int j = 0; j < kPerBatch; ++j)
        get.add_keys("g" + std::to_string(g) + "-" + std::to_string(j));
    }
    ASSERT_OK_AND_ASSIGN(auto got, restored->Get(get));
    for (const auto& r : got.records()) ++found[std::stoll(r.key().substr(1))];
  }
  // A prefix: batches 0..P-1 whole, none after; P covers every batch
  // acknowledged before the backup began and none never acknowledged.
  int64_t prefix = 0;
  while (prefix < acked && found[prefix] == kPerBatch) ++prefix;
  for (int64_t g = prefix; g < acked; ++g)
    ASSERT_EQ(found[g], 0) << "batch " << g << " after a gap";
  EXPECT_GE(prefix, acked_before);
  std::printf("[ backup ] %lld batches acknowledged before it, %lld after; the copy holds %lld\n",
              (long long)acked_before, (long long)acked_after, (long long)prefix);
  ASSERT_OK_AND_ASSIGN(auto info, restored->GetCollection("c"));
  ASSERT_EQ(info.stats().record_count(), prefix * kPerBatch);
  const std::vector<float> present(vectors.begin(), vectors.begin() + prefix * kPerBatch * kDim);
  const auto queries = testing::RandomVectors(5, kDim, 99);
  for (int q = 0; q < 5; ++q) {
    ASSERT_OK_AND_ASSIGN(auto res, restored->Search(Query("c", queries.data() + q * kDim, 10)));
    const auto want = testing::OracleKnn(testing::OracleMetric::kL2, present, kDim,
                                         queries.data() + q * kDim, 10);
    ASSERT_EQ(res.results(0).hits_size(), int(want.size()));
    for (size_t j = 0; j < want.size(); ++j) {
      const int64_t row = want[j].second;
      EXPECT_EQ(res.results(0).hits(int(j)).key(),
                "g" + std::to_string(row / kPerBatch) + "-" + std::to_string(row % kPerBatch));
    }
  }

  // A server started on a plain copy of the backup verifies it first, then
  // serves it as its data (the backup's own files gone).
  std::filesystem::copy(backup.directory(), dir.file("copied"),
                        std::filesystem::copy_options::recursive);
  ServerProcess on_copy(dir.file("copied"));
  ASSERT_OK(on_copy.Start());
  ASSERT_OK_AND_ASSIGN(auto copied_info, testing::ConnectTo(on_copy)->GetCollection("c"));
  EXPECT_EQ(copied_info.stats().record_count(), prefix * kPerBatch);
  EXPECT_FALSE(std::filesystem::exists(dir.file("copied") + "/" + kBackupManifestName));

  // Restore never overwrites, and refuses a backup whose file changed.
  EXPECT_NE(CliRestore(backup.directory(), dir.file("restored"), &out), 0);
  EXPECT_NE(out.find("not empty"), std::string::npos) << out;
  const BackupFile& victim = manifest.files.front();
  std::filesystem::resize_file(backup.directory() + "/" + victim.path, victim.size / 2);
  EXPECT_NE(CliRestore(backup.directory(), dir.file("restored2"), &out), 0);
  EXPECT_NE(out.find("DATA_LOSS"), std::string::npos) << out;
  EXPECT_NE(out.find(victim.path), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir.file("restored2")));
}

TEST(BackupTest, KillDuringABackupLeavesNoDirectoryThatRestoreAccepts) {
  TempDir dir;
  ServerProcess server(dir.file("data"), {"--backup-dir", dir.file("backups")});
  ASSERT_OK(server.Start());
  auto client = testing::ConnectTo(server);
  constexpr int kBigDim = 128;
  ASSERT_OK(client->CreateCollection(Schema("c", v1::L2, kBigDim)));
  const std::vector<float> v = testing::RandomVectors(40000, kBigDim, 3);
  for (int64_t first = 0; first < 40000; first += 2000) {
    ASSERT_OK(client->UpsertBatch(testing::Batch("c", v, first, 2000, kBigDim)).status());
  }
  int partial = 0, complete = 0;
  for (int round = 0; round < 12 && partial < 2; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string name = "b" + std::to_string(round);
    std::thread backup([&] { (void)client->Backup(name); });
    std::this_thread::sleep_for(std::chrono::milliseconds(1 + 4 * round));
    server.Kill();
    backup.join();
    const std::string path = dir.file("backups") + "/" + name;
    std::string out;
    if (std::filesystem::exists(path + "/" + kBackupManifestName)) {
      ++complete;  // finished before the kill: a whole backup
      EXPECT_EQ(CliRestore(path, dir.file("r" + std::to_string(round)), &out), 0) << out;
    } else if (std::filesystem::exists(path)) {
      ++partial;
      EXPECT_NE(CliRestore(path, dir.file("r" + std::to_string(round)), &out), 0);
      EXPECT_NE(out.find("not a complete backup"), std::string::npos) << out;
      EXPECT_FALSE(std::filesystem::exists(dir.file("r" + std::to_string(round))));
      // Nor does a server take it for data.
      EXPECT_EQ(AdoptRestoredDataDir(path).code(), absl::StatusCode::kFailedPrecondition);
    }
    ASSERT_OK(server.Start());  // the live data directory is unharmed
    client = testing::ConnectTo(server);
    ASSERT_OK_AND_ASSIGN(auto info, client->GetCollection("c"));
    ASSERT_EQ(info.stats().record_count(), 40000);
  }
  std::printf("[ backup ] kill -9 during a backup: %d partial directories refused, %d complete\n",
              partial, complete);
  EXPECT_GE(partial, 1) << "no kill landed inside a backup";
}

}  // namespace
}  // namespace metricdb
