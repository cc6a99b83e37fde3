// Fault tests against the real server on 127.0.0.1: a data directory that
// fills up or is read-only (a tmpfs mounted by the test, so space and write
// access are the test's to take away; the suite runs as root, as CI does),
// and damaged RocksDB and snapshot files.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
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

namespace fs = std::filesystem;
using testing::Batch;
using testing::OracleKnn;
using testing::OracleMetric;
using testing::Query;
using testing::RandomVectors;
using testing::Schema;
using testing::ServerProcess;
using testing::TempDir;

constexpr int kDim = 64;

// A tmpfs of a given size at a directory, unmounted when the object dies.
class TmpfsMount {
 public:
  explicit TmpfsMount(std::string path) : path_(std::move(path)) {}
  ~TmpfsMount() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
  }
  absl::Status Mount(int megabytes) {
    fs::create_directories(path_);
    const std::string options = "size=" + std::to_string(megabytes) + "m";
    if (mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      return absl::FailedPreconditionError("mount tmpfs at " + path_ + ": " + strerror(errno) +
                                           " (the fault tests run as root)");
    }
    mounted_ = true;
    return absl::OkStatus();
  }
  // New size and write access; a read-only remount needs no file open for
  // writing on it.
  absl::Status Remount(int megabytes, bool read_only) {
    const std::string options = "size=" + std::to_string(megabytes) + "m";
    if (mount("tmpfs", path_.c_str(), "tmpfs", MS_REMOUNT | (read_only ? MS_RDONLY : 0),
              options.c_str()) != 0) {
      return absl::FailedPreconditionError("remount " + path_ + ": " + strerror(errno));
    }
    return absl::OkStatus();
  }

 private:
  const std::string path_;
  bool mounted_ = false;
};

class FaultTest : public ::testing::Test {
 protected:
  // Starts (or restarts) the server on `data_dir` and connects.
  void Start(const std::string& data_dir) {
    server_ = std::make_unique<ServerProcess>(
        data_dir, std::vector<std::string>{"--snapshot-interval-s", "0"});
    ASSERT_OK(server_->Start());
    client_ = testing::ConnectTo(*server_);
  }

  // The collection "c" holds exactly rows [0, n) of `all` (keys k<i>) with
  // their vectors, and searches equal brute force over them.
  void ExpectHolds(const std::vector<float>& all, int64_t n) {
    ASSERT_OK_AND_ASSIGN(auto info, client_->GetCollection("c"));
    ASSERT_EQ(info.stats().record_count(), n);
    for (int64_t first = 0; first < n; first += 1000) {
      v1::GetRequest get;
      get.set_collection("c");
      get.set_include_vectors(true);
      for (int64_t i = first; i < std::min(n, first + 1000); ++i) {
        get.add_keys("k" + std::to_string(i));
      }
      ASSERT_OK_AND_ASSIGN(auto got, client_->Get(get));
      ASSERT_EQ(got.records_size(), get.keys_size());
      for (const auto& r : got.records()) {
        const int64_t i = std::stoll(r.key().substr(1));
        ASSERT_EQ(r.vector_size(), kDim);
        ASSERT_TRUE(std::equal(r.vector().begin(), r.vector().end(), all.begin() + i * kDim))
            << r.key();
      }
    }
    const std::vector<float> stored(all.begin(), all.begin() + n * kDim);
    const auto queries = RandomVectors(3, kDim, 99);
    for (int q = 0; q < 3; ++q) {
      ASSERT_OK_AND_ASSIGN(auto res,
                           client_->Search(Query("c", queries.data() + q * kDim, 5, kDim)));
      const auto want = OracleKnn(OracleMetric::kL2, stored, kDim, queries.data() + q * kDim, 5);
      ASSERT_EQ(res.results(0).hits_size(), int(want.size()));
      for (size_t j = 0; j < want.size(); ++j) {
        EXPECT_EQ(res.results(0).hits(int(j)).key(), "k" + std::to_string(want[j].second));
      }
    }
  }

  // A key of row `i` is absent.
  void ExpectAbsent(int64_t i) {
    v1::GetRequest get;
    get.set_collection("c");
    get.add_keys("k" + std::to_string(i));
    ASSERT_OK_AND_ASSIGN(auto got, client_->Get(get));
    EXPECT_EQ(got.records_size(), 0) << "row " << i << " of a refused batch is visible";
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(FaultTest, FullDiskRefusesWritesKeepsReadsAndLosesNothing) {
  TmpfsMount disk(dir_.file("disk"));
  ASSERT_OK(disk.Mount(8));
  const std::string data = dir_.file("disk");  // the port file and log beside it
  ASSERT_NO_FATAL_FAILURE(Start(data));
  ASSERT_OK(client_->CreateCollection(Schema("c", v1::L2, kDim)));

  // 256 records (64 KiB of floats) per batch until the disk is full.
  constexpr int kPerBatch = 256;
  std::vector<float> all;
  int64_t acked = 0;
  absl::Status refused;
  for (int b = 0; b < 1000 && refused.ok(); ++b) {
    const auto more = RandomVectors(kPerBatch, kDim, uint32_t(b));
    all.insert(all.end(), more.begin(), more.end());
    auto reply = client_->UpsertBatch(Batch("c", all, acked, kPerBatch, kDim));
    if (reply.ok())
      acked += kPerBatch;
    else
      refused = reply.status();
  }
  ASSERT_FALSE(refused.ok()) << "8 MiB never filled up";
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused << server_->Log();
  EXPECT_NE(refused.message().find("No space left"), std::string_view::npos) << refused;
  std::printf("[ disk ] full after %lld records: %s\n", (long long)acked,
              std::string(refused.message()).c_str());

  // Full: reads go on and see exactly the acknowledged batches; the refused
  // batch left nothing; writes keep failing with a clear status.
  ASSERT_NO_FATAL_FAILURE(ExpectHolds(all, acked));
  ASSERT_NO_FATAL_FAILURE(ExpectAbsent(acked));
  ASSERT_NO_FATAL_FAILURE(ExpectAbsent(acked + kPerBatch - 1));
  auto again = client_->UpsertBatch(Batch("c", all, acked, kPerBatch, kDim));
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.status().code() == absl::StatusCode::kResourceExhausted ||
              again.status().code() == absl::StatusCode::kUnavailable)
      << again.status();

  // Space returns: the refused batch goes in on a retry (RocksDB checks for
  // space every 5 s and wants room for its write buffers, ~128 MiB; until
  // then UNAVAILABLE), and more after it.
  ASSERT_OK(disk.Remount(512, false));
  absl::Status retried = absl::UnknownError("not tried");
  const auto freed = std::chrono::steady_clock::now();
  for (int attempt = 0; attempt < 60 && !retried.ok(); ++attempt) {
    retried = client_->UpsertBatch(Batch("c", all, acked, kPerBatch, kDim)).status();
    if (!retried.ok()) {
      EXPECT_TRUE(retried.code() == absl::StatusCode::kResourceExhausted ||
                  retried.code() == absl::StatusCode::kUnavailable)
          << retried;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
  ASSERT_OK(retried);
  std::printf("[ disk ] writes accepted again %.1f s after space returned\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - freed).count());
  acked += kPerBatch;
  const auto more = RandomVectors(kPerBatch, kDim, 5000);
  all.resize(size_t(acked) * kDim);
  all.insert(all.end(), more.begin(), more.end());
  ASSERT_OK(client_->UpsertBatch(Batch("c", all, acked, kPerBatch, kDim)));
  acked += kPerBatch;
  ASSERT_NO_FATAL_FAILURE(ExpectHolds(all, acked));

  // kill -9 and restart: every acknowledged batch is there, nothing else.
  server_->Kill();
  ASSERT_NO_FATAL_FAILURE(Start(data));
  ASSERT_NO_FATAL_FAILURE(ExpectHolds(all, acked));
}

TEST_F(FaultTest, ReadOnlyDataDirectoryServesReadsAndRefusesWrites) {
  TmpfsMount disk(dir_.file("disk"));
  ASSERT_OK(disk.Mount(64));
  const std::string data = dir_.file("disk");  // the port file and log beside it
  ASSERT_NO_FATAL_FAILURE(Start(data));
  ASSERT_OK(client_->CreateCollection(Schema("c", v1::L2, kDim)));
  std::vector<float> all = RandomVectors(1500, kDim, 7);
  for (int64_t first = 0; first < 1000; first += 500) {
    ASSERT_OK(client_->UpsertBatch(Batch("c", all, first, 500, kDim)));
  }
  EXPECT_EQ(server_->Stop(), 0) << server_->Log();  // flushed to table files
  ASSERT_NO_FATAL_FAILURE(Start(data));
  ASSERT_OK(client_->UpsertBatch(Batch("c", all, 1000, 250, kDim)));  // in the log only
  server_->Kill();

  ASSERT_OK(disk.Remount(64, true));
  ASSERT_NO_FATAL_FAILURE(Start(data));
  EXPECT_NE(server_->Log().find("read-only file system"), std::string::npos) << server_->Log();
  ASSERT_NO_FATAL_FAILURE(ExpectHolds(all, 1250));
  auto upsert = client_->UpsertBatch(Batch("c", all, 1250, 250, kDim));
  EXPECT_EQ(upsert.status().code(), absl::StatusCode::kFailedPrecondition) << upsert.status();
  EXPECT_NE(upsert.status().message().find("read-only"), std::string_view::npos);
  v1::DeleteRequest del;
  del.set_collection("c");
  del.add_keys("k0");
  EXPECT_EQ(client_->Delete(del).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(client_->CreateCollection(Schema("d", v1::L2, kDim)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_NO_FATAL_FAILURE(ExpectHolds(all, 1250));
  EXPECT_EQ(server_->Stop(), 0) << server_->Log();

  // Writable again: writes work and nothing was lost.
  ASSERT_OK(disk.Remount(64, false));
  ASSERT_NO_FATAL_FAILURE(Start(data));
  ASSERT_OK(client_->UpsertBatch(Batch("c", all, 1250, 250, kDim)));
  ASSERT_NO_FATAL_FAILURE(ExpectHolds(all, 1500));
}

// Applies one kind of damage to a copy of a data directory.
struct Damage {
  std::string name;
  // true: the server must refuse to start; false: it must start (and then
  // serve exactly `expected_records`).
  bool must_refuse;
  int64_t expected_records;
  std::function<void(const fs::path& data)> apply;
};

// The file of `data` whose name matches `pick` and is the largest.
fs::path Largest(const fs::path& data, const std::function<bool(const fs::path&)>& pick) {
  fs::path best;
  for (const auto& e : fs::recursive_directory_iterator(data)) {
    if (!e.is_regular_file() || !pick(e.path())) continue;
    if (best.empty() || fs::file_size(e.path()) > fs::file_size(best)) best = e.path();
  }
  return best;
}

void FlipBytes(const fs::path& file, uint64_t offset, int count) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  for (int i = 0; i < count; ++i) {
    f.seekg(std::streamoff(offset + i));
    const char c = char(f.get() ^ 0x5a);
    f.seekp(std::streamoff(offset + i));
    f.put(c);
  }
}

bool HasExtension(const fs::path& p, const char* ext) { return p.extension() == ext; }

TEST_F(FaultTest, DamagedFilesAreRefusedOrRebuiltNeverServedWrong) {
  // 2,000 records in table files (a clean stop flushes and snapshots), then
  // 500 more in the write-ahead log only (kill -9).
  const std::string pristine = dir_.file("pristine");
  const std::vector<float> all = RandomVectors(2500, kDim, 11);
  ASSERT_NO_FATAL_FAILURE(Start(pristine));
  ASSERT_OK(client_->CreateCollection(Schema("c", v1::L2, kDim)));
  for (int64_t first = 0; first < 2000; first += 500) {
    ASSERT_OK(client_->UpsertBatch(Batch("c", all, first, 500, kDim)));
  }
  EXPECT_EQ(server_->Stop(), 0) << server_->Log();
  ASSERT_NO_FATAL_FAILURE(Start(pristine));
  ASSERT_OK(client_->UpsertBatch(Batch("c", all, 2000, 500, kDim)));
  server_->Kill();

  auto is_sst = [](const fs::path& p) { return HasExtension(p, ".sst"); };
  auto is_log = [](const fs::path& p) { return HasExtension(p, ".log") && fs::file_size(p) > 0; };
  auto is_manifest = [](const fs::path& p) {
    return p.filename().string().rfind("MANIFEST-", 0) == 0;
  };
  auto is_snapshot = [](const fs::path& p) { return HasExtension(p, ".snap"); };
  // Damage to the largest file that `pick` selects: bytes flipped at half
  // its size, or the file cut to `new_size(size)`.
  auto flip_middle = [](std::function<bool(const fs::path&)> pick, int count) {
    return [=](const fs::path& d) {
      const fs::path f = Largest(d, pick);
      FlipBytes(f, fs::file_size(f) / 2, count);
    };
  };
  auto cut = [](std::function<bool(const fs::path&)> pick,
                std::function<uintmax_t(uintmax_t)> new_size) {
    return [=](const fs::path& d) {
      const fs::path f = Largest(d, pick);
      fs::resize_file(f, new_size(fs::file_size(f)));
    };
  };
  const std::vector<Damage> damages = {
      {"table file bytes flipped", true, 0, flip_middle(is_sst, 8)},
      {"table file truncated", true, 0, cut(is_sst, [](uintmax_t n) { return n / 2; })},
      {"manifest bytes flipped", true, 0, flip_middle(is_manifest, 4)},
      {"CURRENT names a missing manifest", true, 0,
       [](const fs::path& d) { std::ofstream(d / "CURRENT") << "MANIFEST-999999\n"; }},
      {"write-ahead log bytes flipped before its end", true, 0,
       [&](const fs::path& d) { FlipBytes(Largest(d, is_log), 100, 4); }},
      // What a crash in the middle of a write leaves: a torn last record,
      // never acknowledged; its batch is dropped whole.
      {"write-ahead log torn at its end", false, 2000,
       cut(is_log, [](uintmax_t n) { return n - 100; })},
      {"snapshot bytes flipped", false, 2500, flip_middle(is_snapshot, 8)},
      {"snapshot truncated", false, 2500, cut(is_snapshot, [](uintmax_t n) { return n / 3; })},
  };
  for (const Damage& damage : damages) {
    SCOPED_TRACE(damage.name);
    const fs::path copy = dir_.file("damaged");
    fs::remove_all(copy);
    fs::copy(pristine, copy, fs::copy_options::recursive);
    fs::remove(copy.string() + ".log");
    damage.apply(copy);
    server_ = std::make_unique<ServerProcess>(copy.string());
    const absl::Status started = server_->Start();
    if (damage.must_refuse) {
      ASSERT_FALSE(started.ok()) << "served a damaged store:\n" << server_->Log();
      // A clean refusal naming the damage, not a crash.
      EXPECT_EQ(server_->exit_status(), 1) << started;
      EXPECT_NE(server_->Log().find("DATA_LOSS"), std::string::npos) << server_->Log();
      std::printf("[ damage ] %s: refused: %s\n", damage.name.c_str(),
                  server_->Log().substr(server_->Log().rfind("cannot open")).c_str());
    } else {
      ASSERT_OK(started);
      ClientOptions options;
      options.address = server_->address();
      client_ = Client::Connect(options);
      ASSERT_OK(client_->WaitUntilReady(std::chrono::seconds(10)));
      ASSERT_NO_FATAL_FAILURE(ExpectHolds(all, damage.expected_records));
      std::printf("[ damage ] %s: served %lld records, searches = brute force\n",
                  damage.name.c_str(), (long long)damage.expected_records);
      server_->Kill();
    }
  }
}

}  // namespace
}  // namespace metricdb
