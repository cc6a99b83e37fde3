// Filters (filter_expression.h) through a collection on a real RocksDB:
// Search under a filter against the brute-force oracle over the records the
// filter allows (exact for FLAT; HNSW, whose few-record filters take an
// exact scan, at high recall), Count, Delete by filter (nothing deleted by
// a bad one), and the postings rebuilt from the store after a restart.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "tests/testing/engine_fixture.h"
#include "tests/testing/oracle.h"

namespace metricdb {
namespace {

using testing::OracleKnn;
using testing::OracleMetric;
using testing::RandomVectors;

constexpr int kDim = 16;
// Enough that most filters leave more records than the exact-scan policy
// takes (so HNSW filters inside its walk), and one leaves few.
constexpr int64_t kRecords = 20000;
constexpr int64_t kTs0 = 1700000000;

std::string Key(int64_t i) { return "k" + std::to_string(i); }
bool Labelled(int64_t i) { return i % 50 != 0; }
std::string LabelOf(int64_t i) { return "id" + std::to_string(i % 7); }

// The test's own reading of each filter, record by record (the oracle).
struct Case {
  std::string filter;
  std::function<bool(int64_t)> allows;
};

std::vector<Case> Cases() {
  auto label_is = [](int64_t i, const std::set<std::string>& names) {
    return Labelled(i) && names.count(LabelOf(i)) > 0;
  };
  return {
      {R"(camera IN ("c1", "c7") AND ts >= 1700000500 AND NOT label = "id3")",
       [=](int64_t i) {
         return (i % 10 == 1 || i % 10 == 7) && i >= 500 && !label_is(i, {"id3"});
       }},
      {R"(zone != "north")", [](int64_t i) { return i % 2 == 0 && i % 4 != 0; }},
      {"ts < 1700000020 OR camera = 'c9'", [](int64_t i) { return i < 20 || i % 10 == 9; }},
      {R"(vip = true AND (camera = "c0" OR camera = "c5"))",
       [](int64_t i) { return i % 3 == 0 && (i % 10 == 0 || i % 10 == 5); }},
      {R"(key = "k5" OR key IN ("k77", "absent"))", [](int64_t i) { return i == 5 || i == 77; }},
      {R"(label NOT IN ("id0", "id1", "id2"))",
       [=](int64_t i) {
         return !label_is(i, {"id0", "id1", "id2"});
       }},
      {"ts >= " + std::to_string(kTs0 + kRecords - 10),
       [](int64_t i) { return i >= kRecords - 10; }},  // 10 records: an exact scan
      {"camera > 5", [](int64_t) { return false; }},   // not numbers: no match
      {R"(camera = "nope")", [](int64_t) { return false; }},
  };
}

class FilterTest : public testing::EngineFixture,
                   public ::testing::WithParamInterface<IndexSpec::Kind> {
 protected:
  void SetUp() override {
    EngineFixture::SetUp();
    CollectionSchema schema;
    schema.name = "c";
    schema.dim = kDim;
    schema.index.kind = GetParam();
    auto c = engine_->CreateCollection(schema);
    ASSERT_OK(c);
    base_ = RandomVectors(kRecords, kDim, 21);
    std::vector<Record> records;
    for (int64_t i = 0; i < kRecords; ++i) {
      Record r;
      r.key = Key(i);
      r.vector.assign(base_.begin() + i * kDim, base_.begin() + (i + 1) * kDim);
      if (Labelled(i)) r.label = LabelOf(i);
      r.attributes["camera"] = "c" + std::to_string(i % 10);
      r.attributes["ts"] = std::to_string(kTs0 + i);
      r.attributes["vip"] = i % 3 == 0 ? "true" : "false";
      if (i % 2 == 0) r.attributes["zone"] = i % 4 == 0 ? "north" : "south";
      records.push_back(std::move(r));
    }
    ASSERT_OK((*c)->Upsert(std::move(records)));
  }
  std::shared_ptr<Collection> C() { return *engine_->GetCollection("c"); }

  std::vector<float> base_;
};

TEST_P(FilterTest, SearchReturnsTheOraclesNeighboursAmongTheAllowed) {
  const auto queries = RandomVectors(20, kDim, 22);
  std::vector<absl::Span<const float>> spans;
  for (int q = 0; q < 20; ++q) spans.emplace_back(queries.data() + q * kDim, kDim);
  const bool exact = GetParam() == IndexSpec::Kind::kFlat;
  for (const Case& c : Cases()) {
    std::vector<bool> allowed(kRecords);
    for (int64_t i = 0; i < kRecords; ++i) allowed[i] = c.allows(i);
    SearchOptions options;
    options.k = 10;
    options.filter = c.filter;
    ASSERT_OK_AND_ASSIGN(SearchResults results, C()->Search(spans, options));
    int64_t found = 0, expected_total = 0;
    for (int q = 0; q < 20; ++q) {
      const auto expected =
          OracleKnn(OracleMetric::kL2, base_, kDim, queries.data() + q * kDim, 10, &allowed);
      std::set<std::string> want;
      for (const auto& e : expected) want.insert(Key(e.second));
      for (const SearchHit& hit : results[q]) {
        const int64_t i = std::stoll(hit.key.substr(1));
        ASSERT_TRUE(c.allows(i)) << c.filter << " returned " << hit.key;
        found += want.count(hit.key);
      }
      expected_total += int64_t(expected.size());
      if (exact) {
        ASSERT_EQ(results[q].size(), expected.size()) << c.filter;
        for (size_t j = 0; j < expected.size(); ++j) {
          EXPECT_EQ(results[q][j].key, Key(expected[j].second)) << c.filter << " rank " << j;
        }
      }
    }
    if (expected_total > 0) {
      EXPECT_GE(double(found) / double(expected_total), 0.95) << c.filter;
    }
  }
}

// A filter together with a label restriction or a scope: the records both
// allow (FLAT: exactly the oracle's; HNSW: allowed ones only).
TEST_P(FilterTest, FilterWithLabelsOrScopeKeepsOnlyWhatBothAllow) {
  const bool exact = GetParam() == IndexSpec::Kind::kFlat;
  const auto queries = RandomVectors(10, kDim, 23);
  std::vector<absl::Span<const float>> spans;
  for (int q = 0; q < 10; ++q) spans.emplace_back(queries.data() + q * kDim, kDim);
  const std::string filter = "camera IN (\"c1\", \"c2\", \"c3\")";
  auto camera = [](int64_t i) { return i % 10 >= 1 && i % 10 <= 3; };
  struct Restriction {
    std::vector<std::string> labels;
    LabelScope scope;
    std::function<bool(int64_t)> allows;
  };
  const std::vector<Restriction> restrictions = {
      {{"id2", "id5"},
       LabelScope::kAll,
       [&](int64_t i) { return Labelled(i) && (LabelOf(i) == "id2" || LabelOf(i) == "id5"); }},
      {{}, LabelScope::kUnlabelled, [&](int64_t i) { return !Labelled(i); }},
      {{}, LabelScope::kLabelled, [&](int64_t i) { return Labelled(i); }}};
  for (const Restriction& r : restrictions) {
    std::vector<bool> allowed(kRecords);
    for (int64_t i = 0; i < kRecords; ++i) allowed[i] = camera(i) && r.allows(i);
    SearchOptions options;
    options.k = 10;
    options.filter = filter;
    options.labels = r.labels;
    options.scope = r.scope;
    ASSERT_OK_AND_ASSIGN(SearchResults results, C()->Search(spans, options));
    for (int q = 0; q < 10; ++q) {
      const auto expected =
          OracleKnn(OracleMetric::kL2, base_, kDim, queries.data() + q * kDim, 10, &allowed);
      for (const SearchHit& hit : results[q]) {
        EXPECT_TRUE(allowed[std::stoll(hit.key.substr(1))]) << hit.key;
      }
      if (exact) {
        ASSERT_EQ(results[q].size(), expected.size());
        for (size_t j = 0; j < expected.size(); ++j) {
          EXPECT_EQ(results[q][j].key, Key(expected[j].second)) << "rank " << j;
        }
      }
    }
  }
}

TEST_P(FilterTest, CountAndDeleteSelectExactlyTheMatches) {
  for (const Case& c : Cases()) {
    int64_t want = 0;
    for (int64_t i = 0; i < kRecords; ++i) want += c.allows(i);
    ASSERT_OK_AND_ASSIGN(int64_t n, C()->Count(c.filter));
    EXPECT_EQ(n, want) << c.filter;
  }
  ASSERT_OK_AND_ASSIGN(int64_t all, C()->Count(""));
  EXPECT_EQ(all, kRecords);

  // A bad filter is refused with its position, and deletes nothing.
  auto bad = C()->Delete({}, {}, "camera = ");
  ASSERT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("at character 10"), std::string::npos);
  ASSERT_EQ(C()->Delete({Key(1)}, {}, "camera IN (").status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_EQ(C()->Delete({}, {}, "  ").status().code(),  // blank: no filter, nothing named
            absl::StatusCode::kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(all, C()->Count(""));
  EXPECT_EQ(all, kRecords);

  // Keys narrowed by a filter: k1 and k11 are camera c1, k2 is not.
  ASSERT_OK_AND_ASSIGN(int64_t narrowed,
                       C()->Delete({Key(1), Key(2), Key(11)}, {}, "camera = 'c1'"));
  EXPECT_EQ(narrowed, 2);
  ASSERT_OK_AND_ASSIGN(GetResult got, C()->Get({Key(1), Key(2), Key(11)}, false));
  ASSERT_EQ(got.records.size(), 1u);
  EXPECT_EQ(got.records[0].key, Key(2));

  // A filter alone: every match.
  const std::string doomed = R"(camera = "c3" AND ts < 1700001000)";
  ASSERT_OK_AND_ASSIGN(int64_t deleted, C()->Delete({}, {}, doomed));
  EXPECT_EQ(deleted, 100);
  ASSERT_OK_AND_ASSIGN(int64_t left, C()->Count(doomed));
  EXPECT_EQ(left, 0);
  ASSERT_OK_AND_ASSIGN(all, C()->Count(""));
  EXPECT_EQ(all, kRecords - 102);

  // The postings come back from the store after a restart.
  ASSERT_OK_AND_ASSIGN(int64_t c7_before, C()->Count("camera = 'c7'"));
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_OK_AND_ASSIGN(all, C()->Count(""));
  EXPECT_EQ(all, kRecords - 102);
  ASSERT_OK_AND_ASSIGN(left, C()->Count(doomed));
  EXPECT_EQ(left, 0);
  ASSERT_OK_AND_ASSIGN(int64_t c7_after, C()->Count("camera = 'c7'"));
  EXPECT_EQ(c7_after, c7_before);
  EXPECT_EQ(c7_after, kRecords / 10);
}

TEST_P(FilterTest, ARelabelledRecordMovesBetweenPostings) {
  Record r;
  r.key = Key(7);
  r.vector.assign(base_.begin() + 7 * kDim, base_.begin() + 8 * kDim);
  r.label = "newcomer";
  r.attributes["camera"] = "c99";
  ASSERT_OK(C()->Upsert({r}));
  ASSERT_OK_AND_ASSIGN(int64_t old_camera, C()->Count("camera = 'c7'"));
  EXPECT_EQ(old_camera, kRecords / 10 - 1);
  ASSERT_OK_AND_ASSIGN(int64_t moved, C()->Count("camera = 'c99' AND label = 'newcomer'"));
  EXPECT_EQ(moved, 1);
  ASSERT_OK_AND_ASSIGN(int64_t no_ts, C()->Count("key = 'k7' AND ts >= 0"));
  EXPECT_EQ(no_ts, 0);  // the new version has no ts
}

INSTANTIATE_TEST_SUITE_P(Indexes, FilterTest,
                         ::testing::Values(IndexSpec::Kind::kFlat, IndexSpec::Kind::kHnsw),
                         [](const auto& info) {
                           return info.param == IndexSpec::Kind::kFlat ? "flat" : "hnsw";
                         });

}  // namespace
}  // namespace metricdb
