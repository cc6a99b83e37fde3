// Radius search against the brute-force oracle: under FLAT exactly the
// records within r (the closest `limit` of them when there are more), under
// HNSW at least 95% of them; the radius from a calibrated FAR; bad radii.
#include "engine/identity/radius_search.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "engine/identity/calibrate.h"
#include "tests/testing/engine_fixture.h"
#include "tests/testing/oracle.h"

namespace metricdb {
namespace {

using testing::OracleDistance;
using testing::OracleMetric;

constexpr int kDim = 16;
constexpr int kCentres = 100;
constexpr int kPerCentre = 60;
constexpr double kRadius = 3.6;  // most of a cluster's records, few of others'

class RadiusSearchTest : public testing::EngineFixture,
                         public ::testing::WithParamInterface<IndexSpec::Kind> {
 protected:
  void SetUp() override {
    EngineFixture::SetUp();
    CollectionSchema schema{"r", kDim, Metric::kL2, {}};
    schema.index.kind = GetParam();
    ASSERT_OK_AND_ASSIGN(c_, engine_->CreateCollection(schema));
    std::mt19937 rng(3);
    std::normal_distribution<float> normal(0, 1);
    std::vector<Record> records;
    for (int c = 0; c < kCentres; ++c) {
      std::vector<float> centre(kDim);
      for (float& v : centre) v = 4 * normal(rng);
      centres_.insert(centres_.end(), centre.begin(), centre.end());
      for (int i = 0; i < kPerCentre; ++i) {
        Record r;
        r.key = "k" + std::to_string(base_.size() / kDim);
        for (int d = 0; d < kDim; ++d) r.vector.push_back(centre[d] + 0.7f * normal(rng));
        base_.insert(base_.end(), r.vector.begin(), r.vector.end());
        r.label = "id" + std::to_string(c);
        records.push_back(std::move(r));
      }
    }
    ASSERT_OK(c_->Upsert(std::move(records)));
  }
  // The oracle: every record within r of `q`, closest first.
  std::vector<std::pair<double, std::string>> Within(const float* q, double r) const {
    std::vector<std::pair<double, std::string>> out;
    for (int64_t i = 0; i < int64_t(base_.size()) / kDim; ++i) {
      const double d = OracleDistance(OracleMetric::kL2, q, &base_[i * kDim], kDim);
      if (d <= r) out.emplace_back(d, "k" + std::to_string(i));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::shared_ptr<Collection> c_;
  std::vector<float> centres_, base_;
};

TEST_P(RadiusSearchTest, ReturnsTheRecordsWithinTheRadiusClosestFirst) {
  const bool exact = GetParam() == IndexSpec::Kind::kFlat;
  std::vector<absl::Span<const float>> queries;
  for (int c = 0; c < kCentres; c += 4) queries.emplace_back(&centres_[c * kDim], kDim);
  // Also queries between two clusters, whose radius takes in both.
  std::vector<float> between(kDim);
  for (int d = 0; d < kDim; ++d) between[d] = (centres_[d] + centres_[kDim + d]) / 2;
  queries.emplace_back(between);

  SearchOptions o;
  o.k = 1024;
  ASSERT_OK_AND_ASSIGN(SearchResults got, RadiusSearch(*c_, queries, o, {kRadius, {}}));
  int64_t want_total = 0, found_total = 0;
  for (size_t q = 0; q < queries.size(); ++q) {
    const auto want = Within(queries[q].data(), kRadius);
    want_total += int64_t(want.size());
    std::set<std::string> want_keys;
    for (const auto& [d, key] : want) want_keys.insert(key);
    for (size_t i = 0; i < got[q].size(); ++i) {
      const SearchHit& hit = got[q][i];
      EXPECT_LE(hit.distance, kRadius + 1e-5);
      if (i > 0) EXPECT_LE(got[q][i - 1].distance, hit.distance);
      found_total += want_keys.count(hit.key);
    }
    if (exact) {
      ASSERT_EQ(got[q].size(), want.size()) << q;
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_NEAR(got[q][i].distance, want[i].first, 1e-4);
      }
    }
  }
  // More than the first k of 32 per query: the search had to widen.
  EXPECT_GT(want_total, int64_t(queries.size()) * 40);
  const double recall = double(found_total) / double(want_total);
  std::printf("[ radius ] %s: %lld records within r, recall %.4f\n",
              std::string(IndexKindName(GetParam())).c_str(), (long long)want_total, recall);
  EXPECT_GE(recall, exact ? 1.0 : 0.95);

  // A limit below the count: the closest `limit` within r.
  o.k = 10;
  ASSERT_OK_AND_ASSIGN(SearchResults few, RadiusSearch(*c_, queries, o, {kRadius, {}}));
  if (exact) {
    for (size_t q = 0; q < queries.size(); ++q) {
      const auto want = Within(queries[q].data(), kRadius);
      ASSERT_EQ(few[q].size(), std::min<size_t>(10, want.size()));
      for (size_t i = 0; i < few[q].size(); ++i) EXPECT_EQ(few[q][i].key, want[i].second);
    }
  }
  // A radius nothing lies within.
  ASSERT_OK_AND_ASSIGN(SearchResults none, RadiusSearch(*c_, queries, o, {1e-3, {}}));
  for (const auto& hits : none) EXPECT_TRUE(hits.empty());
}

TEST_P(RadiusSearchTest, TheRadiusOfACalibratedFarAndBadRadii) {
  std::vector<absl::Span<const float>> queries = {{&centres_[0], kDim}};
  SearchOptions o;
  o.k = 200;
  // No calibration yet.
  EXPECT_EQ(STATUS_CODE(RadiusSearch(*c_, queries, o, {{}, 1e-3})),
            absl::StatusCode::kFailedPrecondition);
  CalibrateOptions co;
  co.target_fars = {1e-3};
  ASSERT_OK_AND_ASSIGN(Calibration cal, Calibrate(*c_, co));
  ASSERT_OK_AND_ASSIGN(SearchResults by_far, RadiusSearch(*c_, queries, o, {{}, 1e-3}));
  ASSERT_OK_AND_ASSIGN(SearchResults by_r,
                       RadiusSearch(*c_, queries, o, {cal.points[0].threshold, {}}));
  ASSERT_EQ(by_far[0].size(), by_r[0].size());
  EXPECT_GT(by_far[0].size(), 0u);
  for (size_t i = 0; i < by_r[0].size(); ++i) EXPECT_EQ(by_far[0][i].key, by_r[0][i].key);

  EXPECT_EQ(STATUS_CODE(RadiusSearch(*c_, queries, o, {})), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(STATUS_CODE(RadiusSearch(*c_, queries, o, {1.0, 1e-3})),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(STATUS_CODE(RadiusSearch(*c_, queries, o, {std::nan(""), {}})),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(STATUS_CODE(RadiusSearch(*c_, queries, o, {{}, 0.5})),
            absl::StatusCode::kInvalidArgument);  // not a calibrated FAR
  o.k = 5000;
  EXPECT_EQ(STATUS_CODE(RadiusSearch(*c_, queries, o, {1.0, {}})),
            absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Indexes, RadiusSearchTest,
                         ::testing::Values(IndexSpec::Kind::kFlat, IndexSpec::Kind::kHnsw),
                         [](const auto& info) { return std::string(IndexKindName(info.param)); });

}  // namespace
}  // namespace metricdb
