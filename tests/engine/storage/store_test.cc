// Store against a real RocksDB on disk: schemas, atomic record batches,
// read views, metric versions and named entries, drop, and what survives
// reopening.
#include "engine/storage/store.h"

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace metricdb {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    ASSERT_OK_AND_ASSIGN(store_, Store::Open(dir_.file("db"), StoreOptions()));
  }
  static CollectionSchema Schema(const std::string& name) {
    CollectionSchema s;
    s.name = name;
    s.dim = 2;
    return s;
  }
  static Record Rec(const std::string& key, float x, std::optional<std::string> label = {}) {
    Record r;
    r.key = key;
    r.vector = {x, -x};
    r.label = std::move(label);
    return r;
  }
  std::vector<std::pair<int64_t, std::string>> Scan(uint32_t id) {
    std::vector<std::pair<int64_t, std::string>> out;
    EXPECT_OK(store_->ScanRecords(id, [&](int64_t rid, Record&& r) {
      out.emplace_back(rid, r.key);
      return absl::OkStatus();
    }));
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, CollectionIdsAreNeverReusedAndTheCatalogSurvivesReopening) {
  ASSERT_OK_AND_ASSIGN(uint32_t a, store_->CreateCollection(Schema("a")));
  ASSERT_OK_AND_ASSIGN(uint32_t b, store_->CreateCollection(Schema("b")));
  EXPECT_NE(a, b);
  ASSERT_OK(store_->DropCollection(a));
  Reopen();
  ASSERT_OK_AND_ASSIGN(uint32_t c, store_->CreateCollection(Schema("c")));
  EXPECT_NE(c, a);
  EXPECT_NE(c, b);
  ASSERT_OK_AND_ASSIGN(auto catalog, store_->LoadCatalog());
  ASSERT_EQ(catalog.size(), 2u);
  EXPECT_EQ(catalog[0].second.name, "b");
  EXPECT_EQ(catalog[1].second.name, "c");
}

TEST_F(StoreTest, BatchesCommitAtomicallyAndScanInIdOrder) {
  ASSERT_OK_AND_ASSIGN(uint32_t id, store_->CreateCollection(Schema("a")));
  RecordWriteBatch batch = store_->NewBatch();
  batch.Put(id, 2, Rec("two", 2, "alice"));
  batch.Put(id, 0, Rec("zero", 0));
  batch.Put(id, 1, Rec("one", 1));
  batch.SetNextRecordId(id, 3);
  ASSERT_OK(store_->Commit(batch));
  auto before = store_->TakeReadView();
  RecordWriteBatch second = store_->NewBatch();
  second.Delete(id, 1);
  ASSERT_OK(store_->Commit(second));

  using Rows = std::vector<std::pair<int64_t, std::string>>;
  EXPECT_EQ(Scan(id), (Rows{{0, "zero"}, {2, "two"}}));
  ASSERT_OK_AND_ASSIGN(int64_t next, store_->NextRecordId(id));
  EXPECT_EQ(next, 3);
  // The read view taken before the delete still has record 1.
  const std::vector<int64_t> ids = {1, 2, 7};
  ASSERT_OK_AND_ASSIGN(auto old_view, store_->GetRecords(id, ids, before.get()));
  ASSERT_TRUE(old_view[0].has_value());
  EXPECT_EQ(old_view[0]->key, "one");
  EXPECT_EQ(old_view[1]->label, "alice");
  EXPECT_EQ(old_view[1]->vector, (std::vector<float>{2, -2}));
  EXPECT_FALSE(old_view[2].has_value());
  ASSERT_OK_AND_ASSIGN(auto latest, store_->GetRecords(id, ids, nullptr));
  EXPECT_FALSE(latest[0].has_value());

  before.reset();
  Reopen();
  EXPECT_EQ(Scan(id), (Rows{{0, "zero"}, {2, "two"}}));
}

TEST_F(StoreTest, MetricVersionsAreNumberedInOrderAndKeepTheirBytes) {
  ASSERT_OK_AND_ASSIGN(uint32_t id, store_->CreateCollection(Schema("a")));
  StoredMetricVersion v;
  v.version = 42;  // ignored: the store numbers versions
  v.created_unix_ms = 123;
  v.map = LinearMap{1, 2, {0.5f, 2.0f}};
  v.report_format = 2;
  v.report = std::string("opaque\0bytes", 12);
  ASSERT_OK_AND_ASSIGN(int32_t first, store_->AddMetricVersion(id, v));
  ASSERT_OK_AND_ASSIGN(int32_t second, store_->AddMetricVersion(id, v));
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 2);
  ASSERT_OK(store_->PutCollectionEntry(id, "calibration", "cal"));
  Reopen();
  ASSERT_OK_AND_ASSIGN(StoredMetricVersion got, store_->GetMetricVersion(id, 2));
  EXPECT_EQ(got.version, 2);
  EXPECT_EQ(got.created_unix_ms, 123);
  EXPECT_EQ(got.map.rows, v.map.rows);
  EXPECT_EQ(got.report, v.report);
  EXPECT_EQ(store_->GetMetricVersion(id, 3).status().code(), absl::StatusCode::kNotFound);
  // Listing skips named entries and leaves maps out unless asked.
  ASSERT_OK_AND_ASSIGN(auto listed, store_->ListMetricVersions(id, false));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_TRUE(listed[0].map.rows.empty());
  ASSERT_OK_AND_ASSIGN(auto entry, store_->GetCollectionEntry(id, "calibration"));
  EXPECT_EQ(entry, "cal");

  // Dropping removes records, versions and entries together.
  RecordWriteBatch batch = store_->NewBatch();
  batch.Put(id, 0, Rec("x", 1));
  ASSERT_OK(store_->Commit(batch));
  ASSERT_OK(store_->DropCollection(id));
  EXPECT_TRUE(Scan(id).empty());
  ASSERT_OK_AND_ASSIGN(listed, store_->ListMetricVersions(id, false));
  EXPECT_TRUE(listed.empty());
  ASSERT_OK_AND_ASSIGN(entry, store_->GetCollectionEntry(id, "calibration"));
  EXPECT_FALSE(entry.has_value());
}

TEST_F(StoreTest, ASecondOpenOfTheSameDirectoryIsRefused) {
  auto second = Store::Open(dir_.file("db"), StoreOptions());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
}

TEST_F(StoreTest, AMetricVersionStoredUnderAGivenNumberIsIdempotent) {
  ASSERT_OK_AND_ASSIGN(uint32_t id, store_->CreateCollection(Schema("n")));
  StoredMetricVersion v;
  v.map = LinearMap{1, 2, {0.5f, 2.0f}};
  v.report_format = 2;
  ASSERT_OK_AND_ASSIGN(int32_t at, store_->AddMetricVersion(id, v, 3));
  EXPECT_EQ(at, 3);
  v.version = 3;
  EXPECT_OK(store_->AddMetricVersion(id, v, 3).status());  // the same bytes again
  v.map.rows[0] = 9.0f;
  EXPECT_EQ(store_->AddMetricVersion(id, v, 3).status().code(), absl::StatusCode::kAlreadyExists);
  ASSERT_OK_AND_ASSIGN(int32_t next, store_->AddMetricVersion(id, v));
  EXPECT_EQ(next, 4);  // numbering goes on after the highest
}

TEST(StoredMetricVersionTest, DecodesWhatItEncodesAndRefusesDamage) {
  StoredMetricVersion v;
  v.version = 3;
  v.map = LinearMap{2, 1, {1.0f, -1.0f}};
  v.report_format = 2;
  v.report = "r";
  const std::string bytes = EncodeStoredMetricVersion(v);
  ASSERT_OK_AND_ASSIGN(StoredMetricVersion back, DecodeStoredMetricVersion(bytes));
  EXPECT_EQ(back.version, 3);
  EXPECT_EQ(back.map.rows, v.map.rows);
  EXPECT_EQ(back.report, "r");
  EXPECT_EQ(DecodeStoredMetricVersion(bytes.substr(0, 10)).status().code(),
            absl::StatusCode::kDataLoss);
  std::string other_format = bytes;
  other_format[0] = 9;
  EXPECT_EQ(DecodeStoredMetricVersion(other_format).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace metricdb
