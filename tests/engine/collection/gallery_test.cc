// Identities and records on a real RocksDB: ListLabels (paged, counted,
// filtered) and Scan (paged, filtered) against the test's own tally, Scan
// returning every record exactly once while writers run, and Relabel
// (rename, merge) that a concurrent Identify sees whole or not at all, and
// that a restart keeps.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "engine/identity/identify.h"
#include "tests/testing/background_loop.h"
#include "tests/testing/engine_fixture.h"
#include "tests/testing/oracle.h"

namespace metricdb {
namespace {

using testing::RandomVectors;

constexpr int kDim = 8;

Record MakeRecord(const std::string& key, const float* v, std::optional<std::string> label,
                  std::map<std::string, std::string> attributes = {}) {
  return Record{key, std::vector<float>(v, v + kDim), std::move(label), std::move(attributes)};
}

class GalleryTest : public testing::EngineFixture {
 protected:
  std::shared_ptr<Collection> Create(const std::string& name) {
    auto c = engine_->CreateCollection({name, kDim, Metric::kL2, {}});
    EXPECT_OK(c);
    return c.ok() ? *c : nullptr;
  }
  // Every page of ListLabels, `page` at a time.
  static std::map<std::string, int64_t> AllLabels(const Collection& c, const std::string& filter,
                                                  int64_t page) {
    std::map<std::string, int64_t> out;
    std::string after;
    for (bool more = true; more;) {
      auto p = c.ListLabels(filter, after, page);
      EXPECT_OK(p);
      if (!p.ok()) break;
      EXPECT_LE(int64_t(p->labels.size()), page);
      for (const LabelCount& l : p->labels) {
        EXPECT_GT(l.label, after) << "labels out of order";
        EXPECT_TRUE(out.emplace(l.label, l.records).second) << "label twice: " << l.label;
        after = l.label;
      }
      EXPECT_EQ(p->next, after);
      more = p->more;
    }
    return out;
  }
};

TEST_F(GalleryTest, ListLabelsAndScanPageThroughExactlyWhatIsStored) {
  auto c = Create("g");
  const int n = 2000;
  const auto x = RandomVectors(n, kDim, 3);
  std::vector<Record> records;
  std::map<std::string, int64_t> labels, labels_cam1;
  std::set<std::string> keys_cam1;
  for (int i = 0; i < n; ++i) {
    std::optional<std::string> label;
    if (i % 9 != 0) label = "person-" + std::to_string((i * 7919) % 137);
    const std::string cam = "c" + std::to_string(i % 4);
    records.push_back(MakeRecord("k" + std::to_string(i), &x[i * kDim], label, {{"cam", cam}}));
    if (label) ++labels[*label];
    if (label && cam == "c1") ++labels_cam1[*label];
    if (cam == "c1") keys_cam1.insert("k" + std::to_string(i));
  }
  ASSERT_OK(c->Upsert(records));

  for (int64_t page : {1, 7, 1000}) {
    EXPECT_EQ(AllLabels(*c, "", page), labels) << page;
    EXPECT_EQ(AllLabels(*c, R"(cam = "c1")", page), labels_cam1) << page;
  }
  // Scan with a filter, vectors included, pages of 33.
  RecordSelection which;
  which.filter = R"(cam = "c1")";
  std::set<std::string> seen;
  std::string after;
  for (bool more = true; more;) {
    ASSERT_OK_AND_ASSIGN(RecordPage p, c->Scan(which, after, 33, true));
    for (const Record& r : p.records) {
      EXPECT_GT(r.key, after);
      after = r.key;
      const int i = std::stoi(r.key.substr(1));
      EXPECT_EQ(r.vector, records[i].vector);
      EXPECT_EQ(r.label, records[i].label);
      EXPECT_EQ(r.attributes, records[i].attributes);
      seen.insert(r.key);
    }
    more = p.more;
  }
  EXPECT_EQ(seen, keys_cam1);
  // Scope and labels select too; vectors only when asked.
  which = {LabelScope::kUnlabelled, {}, ""};
  ASSERT_OK_AND_ASSIGN(RecordPage unlabelled, c->Scan(which, "", 10000, false));
  EXPECT_EQ(unlabelled.records.size(), size_t((n + 8) / 9));
  EXPECT_FALSE(unlabelled.more);
  for (const Record& r : unlabelled.records) {
    EXPECT_FALSE(r.label.has_value());
    EXPECT_TRUE(r.vector.empty());
  }
  // Bad arguments.
  EXPECT_EQ(STATUS_CODE(c->Scan({}, "", 0, false)), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(STATUS_CODE(c->Scan({}, "", kMaxPageSize + 1, false)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(STATUS_CODE(c->ListLabels("cam = ", "", 10)), absl::StatusCode::kInvalidArgument);
}

TEST_F(GalleryTest, ScanReturnsEveryRecordOnceWhileWritersRun) {
  auto c = Create("g");
  const int stable = 3000;
  const auto x = RandomVectors(stable, kDim, 5);
  std::vector<Record> records;
  for (int i = 0; i < stable; ++i) {
    char key[16];
    std::snprintf(key, sizeof(key), "s%05d", i);
    records.push_back(MakeRecord(key, &x[i * kDim], "id" + std::to_string(i % 50)));
  }
  ASSERT_OK(c->Upsert(records));
  // The writer rewrites stable records (each rewrite is a new record id),
  // and adds and deletes others with keys between theirs.
  std::atomic<bool> stop{false};
  std::atomic<int> rounds{0};
  std::thread writer([&] {
    std::mt19937 rng(1);
    for (int round = 0; !stop; ++round) {
      std::vector<Record> batch;
      for (int j = 0; j < 20; ++j) {
        const int i = (round * 20 + j) * 7 % stable;  // distinct in the batch
        batch.push_back(records[i]);
        batch.back().label = "id" + std::to_string(rng() % 50);
        char key[24];
        std::snprintf(key, sizeof(key), "s%05d-new%d", i, round);
        batch.push_back(MakeRecord(key, &x[i * kDim], std::nullopt));
      }
      EXPECT_OK(c->Upsert(batch));
      if (round > 0) {
        std::vector<std::string> doomed;
        for (int j = 0; j < 20; ++j) {
          char key[24];
          std::snprintf(key, sizeof(key), "s%05d-new%d", ((round - 1) * 20 + j) * 7 % stable,
                        round - 1);
          doomed.push_back(key);
        }
        EXPECT_OK(c->Delete(doomed, {}, ""));
      }
      ++rounds;
    }
  });
  while (rounds < 2) std::this_thread::yield();
  const int rounds_before = rounds;
  // At least 3 passes, and on until the writer has run 5 rounds meanwhile
  // (a loaded machine may let a pass finish before the writer's next one).
  int pass = 0;
  for (; pass < 3 || (rounds - rounds_before < 5 && pass < 10000); ++pass) {
    std::map<std::string, int> seen;
    std::string after;
    for (bool more = true; more;) {
      auto p = c->Scan({}, after, 97, false);
      ASSERT_OK(p);
      for (const Record& r : p->records) ++seen[r.key];
      after = p->next;
      more = p->more;
    }
    for (const auto& [key, times] : seen) EXPECT_EQ(times, 1) << key;
    for (const Record& r : records) EXPECT_EQ(seen.count(r.key), 1u) << r.key;
  }
  EXPECT_GE(rounds - rounds_before, 5) << "the writer hardly ran during " << pass << " scans";
  stop = true;
  writer.join();
}

TEST_F(GalleryTest, RelabelIsAtomicForAConcurrentIdentifyAndSurvivesRestart) {
  auto c = Create("g");
  // Three tight identities far apart; "ann" has 40 records.
  std::vector<Record> records;
  std::mt19937 rng(2);
  std::normal_distribution<float> noise(0, 0.05f);
  auto add = [&](const std::string& label, float centre, int count) {
    for (int i = 0; i < count; ++i) {
      std::vector<float> v(kDim, centre);
      for (float& f : v) f += noise(rng);
      records.push_back(
          MakeRecord(label + "-" + std::to_string(i), v.data(), label, {{"src", label}}));
    }
  };
  add("ann", 0, 40);
  add("bob", 10, 20);
  add("cat", 20, 20);
  ASSERT_OK(c->Upsert(records));

  const std::vector<float> probe(kDim, 0.0f);
  IdentifyOptions o;
  o.depth = 40;  // exactly ann's records
  testing::BackgroundLoop reader([&] {
    auto r = Identify(*c, {absl::Span<const float>(probe)}, {}, o);
    if (!r.ok()) {
      ADD_FAILURE() << r.status();
      return false;
    }
    // Whole: one identity holding all 40 records, named ann or anna.
    const auto& ids = r->results[0].identities;
    if (ids.size() != 1) {
      ADD_FAILURE() << ids.size() << " identities";
      return false;
    }
    EXPECT_TRUE(ids[0].label == "ann" || ids[0].label == "anna") << ids[0].label;
    EXPECT_EQ(ids[0].keys.size(), 40u);
    return true;
  });
  for (int i = 0; i < 200; ++i) {
    ASSERT_OK_AND_ASSIGN(int64_t n, c->Relabel({i % 2 ? "anna" : "ann"}, i % 2 ? "ann" : "anna"));
    EXPECT_EQ(n, 40);
  }
  EXPECT_TRUE(reader.WaitFor(50));
  reader.Stop();

  // Merge bob and cat into cat; relabelling to a label it already has moves
  // nothing; unknown labels relabel nothing. The same filter asked before
  // and after: a cached answer must not outlive the write.
  const std::string bob_as_cat = R"(label = "cat" AND src = "bob")";
  ASSERT_OK_AND_ASSIGN(int64_t before, c->Count(bob_as_cat));
  EXPECT_EQ(before, 0);
  ASSERT_OK_AND_ASSIGN(int64_t merged, c->Relabel({"bob", "cat"}, "cat"));
  EXPECT_EQ(merged, 20);
  ASSERT_OK_AND_ASSIGN(int64_t none, c->Relabel({"nobody"}, "cat"));
  EXPECT_EQ(none, 0);
  EXPECT_EQ(STATUS_CODE(c->Relabel({}, "x")), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(STATUS_CODE(c->Relabel({"cat"}, "")), absl::StatusCode::kInvalidArgument);
  const std::map<std::string, int64_t> want = {{"ann", 40}, {"cat", 40}};
  EXPECT_EQ(AllLabels(*c, "", 10), want);
  // The filter and the label postings follow the new labels.
  ASSERT_OK_AND_ASSIGN(int64_t bobs, c->Count(R"(label = "bob")"));
  EXPECT_EQ(bobs, 0);
  ASSERT_OK_AND_ASSIGN(int64_t cats, c->Count(bob_as_cat));
  EXPECT_EQ(cats, 20);
  ASSERT_OK(c->Delete({"bob-0", "bob-1"}, {}, ""));
  ASSERT_OK_AND_ASSIGN(cats, c->Count(bob_as_cat));
  EXPECT_EQ(cats, 18);
  ASSERT_OK(c->Delete({"bob-0", "bob-1"}, {}, ""));  // nothing left to delete: no change
  ASSERT_OK(c->Upsert({records[40], records[41]}));  // back, labelled bob again
  ASSERT_OK_AND_ASSIGN(cats, c->Count(bob_as_cat));
  EXPECT_EQ(cats, 18);
  ASSERT_OK(c->Relabel({"bob"}, "cat"));

  c.reset();
  Reopen();
  ASSERT_OK_AND_ASSIGN(auto reopened, engine_->GetCollection("g"));
  EXPECT_EQ(AllLabels(*reopened, "", 10), want);
  ASSERT_OK_AND_ASSIGN(GetResult got, reopened->Get({"bob-3"}, true));
  ASSERT_EQ(got.records.size(), 1u);
  EXPECT_EQ(got.records[0].label, "cat");
  EXPECT_EQ(got.records[0].vector, records[40 + 3].vector);
  EXPECT_EQ(got.records[0].attributes.at("src"), "bob");
}

}  // namespace
}  // namespace metricdb
