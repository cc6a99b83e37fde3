// AggregateByIdentity: neighbours grouped by label and ranked under each
// aggregation, on hand-made candidate lists whose answers are worked out
// below.
#include "engine/identity/aggregation.h"

#include <gtest/gtest.h>

namespace metricdb {
namespace {

SearchHit Hit(const std::string& key, std::optional<std::string> label, float distance) {
  SearchHit h;
  h.key = key;
  h.label = std::move(label);
  h.distance = distance;
  return h;
}

// alice: 0.1, 0.9, 1.0; bob: 0.2, 0.3; an unlabelled 0.05 (skipped).
std::vector<SearchHit> Candidates() {
  return {Hit("u", std::nullopt, 0.05f), Hit("a1", "alice", 0.1f), Hit("b1", "bob", 0.2f),
          Hit("b2", "bob", 0.3f),        Hit("a2", "alice", 0.9f), Hit("a3", "alice", 1.0f)};
}

TEST(AggregationTest, MinRanksByTheClosestRecord) {
  auto m = AggregateByIdentity(Candidates(), Aggregation::kMin, 0);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].label, "alice");
  EXPECT_FLOAT_EQ(m[0].distance, 0.1f);
  EXPECT_FLOAT_EQ(m[0].score, -0.1f);
  EXPECT_EQ(m[0].keys, (std::vector<std::string>{"a1", "a2", "a3"}));
  EXPECT_EQ(m[1].label, "bob");
  EXPECT_FLOAT_EQ(m[1].distance, 0.2f);
}

TEST(AggregationTest, MeanTopNRanksByTheMeanOfTheNClosest) {
  // n = 2: alice (0.1 + 0.9) / 2 = 0.5, bob (0.2 + 0.3) / 2 = 0.25.
  auto m = AggregateByIdentity(Candidates(), Aggregation::kMeanTopN, 2);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].label, "bob");
  EXPECT_NEAR(m[0].distance, 0.25, 1e-6);
  EXPECT_EQ(m[1].label, "alice");
  EXPECT_NEAR(m[1].distance, 0.5, 1e-6);
  // n = 1 is kMin's order.
  EXPECT_EQ(AggregateByIdentity(Candidates(), Aggregation::kMeanTopN, 1)[0].label, "alice");
}

TEST(AggregationTest, VotesRankByTheShareOfCandidatesAndTiesGoToTheCloser) {
  auto m = AggregateByIdentity(Candidates(), Aggregation::kVotes, 0);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].label, "alice");  // 3 of the 5 labelled candidates
  EXPECT_EQ(m[1].label, "bob");
  EXPECT_GT(m[0].score, m[1].score);
  EXPECT_FLOAT_EQ(m[1].distance, 0.2f);  // its closest record's
  // A tie (one vote each): the closer identity first.
  std::vector<SearchHit> tie = {Hit("b1", "bob", 0.2f), Hit("a1", "alice", 0.4f)};
  auto t = AggregateByIdentity(tie, Aggregation::kVotes, 0);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].label, "bob");
  EXPECT_DOUBLE_EQ(t[0].score, t[1].score);
}

TEST(AggregationTest, NoLabelledCandidatesGiveNoIdentity) {
  EXPECT_TRUE(AggregateByIdentity({Hit("u", std::nullopt, 0.1f)}, Aggregation::kMin, 0).empty());
  EXPECT_TRUE(AggregateByIdentity({}, Aggregation::kVotes, 0).empty());
}

}  // namespace
}  // namespace metricdb
