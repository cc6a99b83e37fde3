// Identity queries under a filter against their oracle: the same query on a
// collection that holds only the records the filter allows. Identify,
// Verify (label sides), Calibrate and Cluster (k-means and threshold) must
// answer exactly alike on both (FLAT, so no approximation blurs the test),
// and a bad filter is INVALID_ARGUMENT with its position, for each of them.
#include <gtest/gtest.h>

#include <random>

#include "engine/clustering/cluster.h"
#include "engine/identity/calibrate.h"
#include "engine/identity/identify.h"
#include "engine/identity/verify.h"
#include "tests/testing/engine_fixture.h"
#include "tests/testing/status_matchers.h"

namespace metricdb {
namespace {

constexpr int kDim = 12;
constexpr int kIdentities = 40;
constexpr int kPerIdentity = 8;
// Sites s0, s2 enrolled from year 3 on, and no record of id5 or id6.
const char kFilter[] = R"(site IN ("s0", "s2") AND year >= 3 AND NOT label IN ("id5", "id6"))";

struct Gallery {
  std::vector<float> centres;  // kIdentities x kDim
  std::vector<Record> records;
};

Gallery MakeGallery() {
  std::mt19937 rng(7);
  std::normal_distribution<double> normal(0, 1);
  Gallery g;
  for (int c = 0; c < kIdentities; ++c) {
    for (int d = 0; d < kDim; ++d) g.centres.push_back(float(3.0 * normal(rng)));
    for (int r = 0; r < kPerIdentity; ++r) {
      Record rec;
      const int i = c * kPerIdentity + r;
      rec.key = "k" + std::to_string(i);
      for (int d = 0; d < kDim; ++d) {
        rec.vector.push_back(float(g.centres[c * kDim + d] + 0.6 * normal(rng)));
      }
      // Every tenth record is unlabelled (Identify and Calibrate skip it).
      if (i % 10 != 9) rec.label = "id" + std::to_string(c);
      rec.attributes["site"] = "s" + std::to_string(i % 3);
      rec.attributes["year"] = std::to_string(i % 6);
      g.records.push_back(std::move(rec));
    }
  }
  return g;
}

// The oracle's reading of kFilter.
bool Allowed(const Record& r) {
  const std::string& site = r.attributes.at("site");
  const int year = std::stoi(r.attributes.at("year"));
  const bool excluded_label = r.label && (*r.label == "id5" || *r.label == "id6");
  return (site == "s0" || site == "s2") && year >= 3 && !excluded_label;
}

class IdentityFilterTest : public testing::EngineFixture {
 protected:
  void SetUp() override {
    EngineFixture::SetUp();
    gallery_ = MakeGallery();
    all_ = Create("all");
    only_ = Create("only");
    std::vector<Record> allowed;
    for (const Record& r : gallery_.records) {
      if (Allowed(r)) allowed.push_back(r);
    }
    ASSERT_GT(allowed.size(), 60u);
    ASSERT_LT(allowed.size(), gallery_.records.size() / 3);
    ASSERT_OK(all_->Upsert(gallery_.records));
    ASSERT_OK(only_->Upsert(std::move(allowed)));
  }
  std::shared_ptr<Collection> Create(const std::string& name) {
    auto c = engine_->CreateCollection({name, kDim, Metric::kL2, {}});
    EXPECT_OK(c);
    return c.ok() ? *c : nullptr;
  }
  // A fresh probe near each identity's centre.
  std::vector<std::vector<float>> Probes() const {
    std::mt19937 rng(11);
    std::normal_distribution<double> normal(0, 1);
    std::vector<std::vector<float>> probes;
    for (int c = 0; c < kIdentities; ++c) {
      std::vector<float> v(kDim);
      for (int d = 0; d < kDim; ++d) v[d] = float(gallery_.centres[c * kDim + d] + normal(rng));
      probes.push_back(std::move(v));
    }
    return probes;
  }

  Gallery gallery_;
  std::shared_ptr<Collection> all_, only_;
};

void ExpectSameIdentities(const IdentifyResponse& a, const IdentifyResponse& b) {
  ASSERT_EQ(a.results.size(), b.results.size());
  for (size_t q = 0; q < a.results.size(); ++q) {
    SCOPED_TRACE(q);
    EXPECT_EQ(a.results[q].unknown, b.results[q].unknown);
    ASSERT_EQ(a.results[q].identities.size(), b.results[q].identities.size());
    for (size_t i = 0; i < a.results[q].identities.size(); ++i) {
      const IdentityMatch& x = a.results[q].identities[i];
      const IdentityMatch& y = b.results[q].identities[i];
      EXPECT_EQ(x.label, y.label);
      EXPECT_FLOAT_EQ(float(x.distance), float(y.distance));
      EXPECT_EQ(x.keys, y.keys);
    }
  }
}

TEST_F(IdentityFilterTest, IdentifyEqualsIdentifyOnTheAllowedRecordsAlone) {
  const auto probes = Probes();
  std::vector<absl::Span<const float>> spans(probes.begin(), probes.end());
  // Key queries: allowed records (their own record is dropped on both).
  std::vector<std::string> keys;
  for (const Record& r : gallery_.records) {
    if (Allowed(r) && keys.size() < 10) keys.push_back(r.key);
  }
  for (Aggregation rule : {Aggregation::kMin, Aggregation::kMeanTopN, Aggregation::kVotes}) {
    SCOPED_TRACE(std::string(AggregationName(rule)));
    IdentifyOptions o;
    o.aggregation = rule;
    o.depth = 15;
    o.top_identities = 4;
    o.threshold = 4.0;
    ASSERT_OK_AND_ASSIGN(IdentifyResponse oracle, Identify(*only_, spans, keys, o));
    o.filter = kFilter;
    ASSERT_OK_AND_ASSIGN(IdentifyResponse filtered, Identify(*all_, spans, keys, o));
    ExpectSameIdentities(filtered, oracle);
    // The excluded identities are never named; id5's probe is answered by
    // someone else or unknown.
    for (const auto& r : filtered.results) {
      for (const auto& m : r.identities) {
        EXPECT_NE(m.label, "id5");
        EXPECT_NE(m.label, "id6");
      }
    }
  }
}

TEST_F(IdentityFilterTest, VerifyAgainstAnIdentityUsesOnlyItsAllowedRecords) {
  const auto probes = Probes();
  std::vector<VerifyPair> pairs;
  for (int c : {0, 1, 2, 7, 30}) {
    VerifyPair p;
    p.a.vector = probes[c];
    p.b.kind = VerifySide::Kind::kLabel;
    p.b.label = "id" + std::to_string(c);
    pairs.push_back(p);
  }
  for (Aggregation rule : {Aggregation::kMin, Aggregation::kMeanTopN}) {
    VerifyOptions o;
    o.aggregation = rule;
    o.top_n = 2;
    o.threshold = 3.0;
    ASSERT_OK_AND_ASSIGN(VerifyResponse oracle, Verify(*only_, pairs, o));
    ASSERT_OK_AND_ASSIGN(VerifyResponse unfiltered, Verify(*all_, pairs, o));
    o.filter = kFilter;
    ASSERT_OK_AND_ASSIGN(VerifyResponse filtered, Verify(*all_, pairs, o));
    bool differs = false;
    for (size_t i = 0; i < pairs.size(); ++i) {
      EXPECT_FLOAT_EQ(float(filtered.results[i].distance), float(oracle.results[i].distance));
      EXPECT_EQ(filtered.results[i].same, oracle.results[i].same);
      differs |= unfiltered.results[i].distance != filtered.results[i].distance;
    }
    EXPECT_TRUE(differs) << "the filter changed no distance: the test shows nothing";
  }
  // An identity whose records the filter excludes has none.
  VerifyPair excluded = pairs[0];
  excluded.b.label = "id5";
  VerifyOptions o;
  o.threshold = 3.0;
  o.filter = kFilter;
  auto none = Verify(*all_, {excluded}, o);
  EXPECT_EQ(STATUS_CODE(none), absl::StatusCode::kNotFound);
}

TEST_F(IdentityFilterTest, CalibrateAndClusterEqualTheirRunOnTheAllowedRecords) {
  CalibrateOptions co;
  co.target_fars = {1e-2, 1e-3};
  co.max_records = 100000;  // every record: the samples hold the same records
  ASSERT_OK_AND_ASSIGN(Calibration oracle, Calibrate(*only_, co));
  co.filter = kFilter;
  ASSERT_OK_AND_ASSIGN(Calibration filtered, Calibrate(*all_, co));
  EXPECT_EQ(filtered.genuine_pairs, oracle.genuine_pairs);
  EXPECT_EQ(filtered.impostor_pairs, oracle.impostor_pairs);
  EXPECT_DOUBLE_EQ(filtered.roc_auc, oracle.roc_auc);
  for (size_t i = 0; i < oracle.points.size(); ++i) {
    EXPECT_DOUBLE_EQ(filtered.points[i].threshold, oracle.points[i].threshold);
  }

  for (ClusterMethod method : {ClusterMethod::kKmeans, ClusterMethod::kThreshold}) {
    SCOPED_TRACE(int(method));
    ClusterOptions o;
    o.method = method;
    o.k = 12;
    o.threshold = 3.5;  // within an identity, beyond the next one
    o.neighbors = 3;    // unfiltered, mostly records the filter excludes
    ASSERT_OK_AND_ASSIGN(ClusterResult want, Cluster(*only_, o, nullptr));
    o.filter = kFilter;
    ASSERT_OK_AND_ASSIGN(ClusterResult got, Cluster(*all_, o, nullptr));
    EXPECT_EQ(got.keys, want.keys);
    EXPECT_EQ(got.assignment, want.assignment);
    EXPECT_EQ(got.clusters, want.clusters);
    EXPECT_DOUBLE_EQ(got.inertia, want.inertia);
    if (method == ClusterMethod::kThreshold) {
      EXPECT_LT(got.clusters, int32_t(got.keys.size()) / 2) << "too few links to show anything";
    }
  }
}

TEST_F(IdentityFilterTest, ABadFilterIsInvalidArgumentWithItsPosition) {
  const std::string bad = "site = ";
  const auto probes = Probes();
  std::vector<absl::Span<const float>> spans(probes.begin(), probes.end());
  IdentifyOptions io;
  io.filter = bad;
  VerifyPair pair;
  pair.a.vector = probes[0];
  pair.b.kind = VerifySide::Kind::kLabel;
  pair.b.label = "id0";
  VerifyOptions vo;
  vo.threshold = 1;
  vo.filter = bad;
  CalibrateOptions co;
  co.filter = bad;
  ClusterOptions ko;
  ko.k = 3;
  ko.filter = bad;
  const std::vector<absl::Status> errors = {
      Identify(*all_, spans, {}, io).status(), Verify(*all_, {pair}, vo).status(),
      Calibrate(*all_, co).status(), Cluster(*all_, ko, nullptr).status()};
  for (const absl::Status& s : errors) {
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_NE(s.message().find("filter: at character 8"), std::string::npos) << s;
  }
}

}  // namespace
}  // namespace metricdb
