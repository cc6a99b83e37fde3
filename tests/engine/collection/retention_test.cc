// Retention on a real engine (RocksDB on disk): with a 2 s collection TTL
// and per-record expiries, polled every few milliseconds, Search, Identify,
// Get and Scan never return a record at or after its expiry (reads alone
// delete it, the sweep off); the sweep deletes expired records from the
// store with no read at all; a record that expires while the engine is
// closed is not there after it reopens; bad expiries are refused.
#include "engine/collection/retention.h"

#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "engine/identity/identify.h"
#include "tests/testing/engine_fixture.h"
#include "tests/testing/oracle.h"

namespace metricdb {
namespace {

constexpr int kDim = 8;

CollectionSchema Schema(int64_t ttl_seconds) {
  CollectionSchema schema;
  schema.name = "faces";
  schema.dim = kDim;
  schema.ttl_seconds = ttl_seconds;
  return schema;
}

// `n` records "<prefix><i>" labelled "<prefix><i % 6>", expiring at
// `expires` (0: the collection's ttl).
std::vector<Record> Records(const std::string& prefix, int n, int64_t expires, uint32_t seed) {
  const std::vector<float> v = testing::RandomVectors(n, kDim, seed);
  std::vector<Record> out(n);
  for (int i = 0; i < n; ++i) {
    out[i].key = prefix + std::to_string(i);
    out[i].label = prefix + std::to_string(i % 6);
    out[i].vector.assign(v.begin() + i * kDim, v.begin() + (i + 1) * kDim);
    out[i].expires_unix_ms = expires;
  }
  return out;
}

std::vector<std::string> Keys(const std::vector<Record>& records) {
  std::vector<std::string> keys;
  for (const Record& r : records) keys.push_back(r.key);
  return keys;
}

class RetentionTest : public testing::EngineFixture {};

TEST_F(RetentionTest, NoQueryReturnsARecordFromItsExpiryOn) {
  options_.expiry_sweep_ms = 0;  // reads alone must hide (and delete) them
  Reopen();
  ASSERT_OK_AND_ASSIGN(auto c, engine_->CreateCollection(Schema(2)));
  const int64_t start = NowUnixMs();
  ASSERT_OK(c->Upsert(Records("short", 60, start + 1000, 1)).status());
  ASSERT_OK(c->Upsert(Records("ttl", 60, 0, 2)).status());  // the collection's 2 s
  ASSERT_OK(c->Upsert(Records("long", 60, start + 600000, 3)).status());
  std::vector<std::string> keys;
  for (const char* p : {"short", "ttl", "long"}) {
    for (int i = 0; i < 60; ++i) keys.push_back(p + std::to_string(i));
  }
  std::map<std::string, int64_t> expiry;
  {
    ASSERT_OK_AND_ASSIGN(GetResult got, c->Get(keys, false));
    ASSERT_EQ(got.records.size(), 180u);
    for (const Record& r : got.records) expiry[r.key] = r.expires_unix_ms;
  }
  EXPECT_GE(expiry["ttl0"], start + 2000);
  EXPECT_LE(expiry["ttl0"], NowUnixMs() + 2000);
  const int64_t last = expiry["ttl59"];
  const std::vector<float> q = testing::RandomVectors(3, kDim, 9);
  std::vector<absl::Span<const float>> queries;
  for (int i = 0; i < 3; ++i) queries.emplace_back(q.data() + i * kDim, kDim);
  int polls = 0, polls_seeing_short = 0, polls_after_all = 0;
  int64_t returned = 0;
  // Every key a read returns must expire after the moment the read began.
  auto check = [&](const std::string& key, int64_t began, const char* by) {
    ++returned;
    ASSERT_GT(expiry.at(key), began)
        << by << " returned " << key << " " << began - expiry.at(key) << " ms after its expiry";
  };
  while (NowUnixMs() < last + 300) {
    ++polls;
    int64_t t = NowUnixMs();
    SearchOptions all;
    all.k = 180;
    ASSERT_OK_AND_ASSIGN(SearchResults hits, c->Search(queries, all));
    bool short_seen = false;
    for (const auto& list : hits) {
      for (const SearchHit& h : list) {
        check(h.key, t, "Search");
        short_seen |= h.key.rfind("short", 0) == 0;
      }
    }
    polls_seeing_short += short_seen;
    polls_after_all += t > last && hits[0].size() == 60;
    t = NowUnixMs();
    IdentifyOptions identify;
    identify.top_identities = 18;
    ASSERT_OK_AND_ASSIGN(IdentifyResponse who, Identify(*c, queries, {}, identify));
    for (const IdentifyResult& r : who.results) {
      for (const IdentityMatch& m : r.identities) {
        for (const std::string& key : m.keys) check(key, t, "Identify");
      }
    }
    t = NowUnixMs();
    ASSERT_OK_AND_ASSIGN(GetResult got, c->Get(keys, false));
    for (const Record& r : got.records) check(r.key, t, "Get");
    t = NowUnixMs();
    ASSERT_OK_AND_ASSIGN(RecordPage page, c->Scan(RecordSelection(), "", 1000, false));
    for (const Record& r : page.records) check(r.key, t, "Scan");
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
  }
  std::printf("[ retention ] %d polls, %lld records returned, none after its expiry\n", polls,
              (long long)returned);
  EXPECT_GT(polls_seeing_short, 0);  // visible before their expiry
  EXPECT_GT(polls_after_all, 0);     // and only the long ones after
  ASSERT_OK_AND_ASSIGN(int64_t left, c->Count(""));
  EXPECT_EQ(left, 60);
  EXPECT_EQ(c->Stats().expired_records, 120);

  // Refused: an expiry not in the future, and a negative TTL.
  std::vector<Record> past = Records("past", 1, NowUnixMs() - 1, 4);
  auto refused = c->Upsert(past);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("records[0].expires_unix_ms"), std::string::npos);
  CollectionSchema bad = Schema(-1);
  bad.name = "bad";
  EXPECT_EQ(engine_->CreateCollection(bad).status().code(), absl::StatusCode::kInvalidArgument);

  // The schema's TTL and the expiries survive a restart.
  c.reset();
  Reopen();
  ASSERT_OK_AND_ASSIGN(c, engine_->GetCollection("faces"));
  EXPECT_EQ(c->schema().ttl_seconds, 2);
  ASSERT_OK_AND_ASSIGN(GetResult kept, c->Get(Keys(Records("long", 60, 0, 3)), false));
  ASSERT_EQ(kept.records.size(), 60u);
  EXPECT_EQ(kept.records[7].expires_unix_ms, expiry["long7"]);
}

TEST_F(RetentionTest, TheSweepDeletesWithoutAReadAndARestartResurrectsNothing) {
  options_.expiry_sweep_ms = 50;
  Reopen();
  ASSERT_OK_AND_ASSIGN(auto c, engine_->CreateCollection(Schema(0)));
  ASSERT_OK(c->Upsert(Records("keep", 40, 0, 1)).status());
  // Expire while the engine is closed: gone when it opens again.
  ASSERT_OK(c->Upsert(Records("gone", 40, NowUnixMs() + 300, 2)).status());
  c.reset();
  engine_.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  Reopen();
  ASSERT_OK_AND_ASSIGN(c, engine_->GetCollection("faces"));
  ASSERT_OK_AND_ASSIGN(GetResult got, c->Get(Keys(Records("gone", 40, 0, 2)), false));
  EXPECT_TRUE(got.records.empty());
  const std::vector<float> q = testing::RandomVectors(1, kDim, 5);
  SearchOptions all;
  all.k = 100;
  ASSERT_OK_AND_ASSIGN(SearchResults hits, c->Search({absl::MakeConstSpan(q)}, all));
  EXPECT_EQ(hits[0].size(), 40u);

  // With no read at all, the sweep deletes them from the store.
  ASSERT_OK(c->Upsert(Records("swept", 30, NowUnixMs() + 200, 3)).status());
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  c.reset();
  engine_.reset();  // closes the store; then count what is stored
  StoreOptions store_options;
  ASSERT_OK_AND_ASSIGN(auto store, Store::Open(dir_.file("db"), store_options));
  ASSERT_OK_AND_ASSIGN(auto catalog, store->LoadCatalog());
  ASSERT_EQ(catalog.size(), 1u);
  int64_t stored = 0;
  ASSERT_OK(store->ScanRecords(catalog[0].first, [&](int64_t, Record&& r) {
    EXPECT_EQ(r.key.rfind("keep", 0), 0u) << r.key << " is still stored";
    ++stored;
    return absl::OkStatus();
  }));
  EXPECT_EQ(stored, 40);
}

}  // namespace
}  // namespace metricdb
