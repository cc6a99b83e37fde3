// Identity queries in the engine against oracles: synthetic identities with
// known answers, brute-force distances, faiss k-means in-process, and
// scikit-learn's values for the clustering scores.
#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "engine/clustering/cluster.h"
#include "engine/identity/calibrate.h"
#include "engine/identity/identify.h"
#include "engine/identity/verify.h"
#include "engine/metric/learn_metric.h"
#include "tests/testing/engine_fixture.h"
#include "tests/testing/oracle.h"
#include "tests/testing/status_matchers.h"

namespace metricdb {
namespace {

constexpr int kDim = 16;

// `identities` centres spread by `spread`, `per_identity` records each with
// anisotropic noise (sigma falls from `noise` to noise/4 across dims).
struct Gallery {
  std::vector<float> centres;
  std::vector<float> x;
  std::vector<std::string> labels;
};
Gallery MakeIdentities(int identities, int per_identity, double spread, double noise, uint32_t seed,
                       const std::string& prefix = "id") {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0, 1);
  Gallery g;
  for (int c = 0; c < identities; ++c) {
    std::vector<float> centre(kDim);
    for (auto& v : centre) v = float(spread * normal(rng));
    g.centres.insert(g.centres.end(), centre.begin(), centre.end());
    for (int r = 0; r < per_identity; ++r) {
      for (int d = 0; d < kDim; ++d) {
        const double sigma = noise * (1.0 - 0.75 * d / (kDim - 1));
        g.x.push_back(float(centre[d] + sigma * normal(rng)));
      }
      g.labels.push_back(prefix + std::to_string(c));
    }
  }
  return g;
}

// A fresh record of identity `c` of `g`.
std::vector<float> Probe(const Gallery& g, int c, double noise, std::mt19937& rng) {
  std::normal_distribution<double> normal(0, 1);
  std::vector<float> v(kDim);
  for (int d = 0; d < kDim; ++d) {
    v[d] = float(g.centres[c * kDim + d] + noise * (1.0 - 0.75 * d / (kDim - 1)) * normal(rng));
  }
  return v;
}

class IdentityTest : public testing::EngineFixture {
 protected:
  std::shared_ptr<Collection> Create(const std::string& name, Metric metric = Metric::kL2) {
    auto c = engine_->CreateCollection({name, kDim, metric, {}});
    EXPECT_OK(c);
    return c.ok() ? *c : nullptr;
  }
  static void Load(Collection& c, const Gallery& g, bool labelled = true,
                   const std::string& key_prefix = "k") {
    std::vector<Record> batch;
    for (size_t i = 0; i < g.labels.size(); ++i) {
      Record r;
      r.key = key_prefix + std::to_string(i);
      r.vector.assign(g.x.begin() + i * kDim, g.x.begin() + (i + 1) * kDim);
      if (labelled) r.label = g.labels[i];
      batch.push_back(std::move(r));
    }
    ASSERT_OK(c.Upsert(std::move(batch)));
  }
};

TEST_F(IdentityTest, IdentifyFindsTheIdentityAndCallsStrangersUnknown) {
  const Gallery gallery = MakeIdentities(60, 5, 3.0, 0.5, 1);
  const Gallery strangers = MakeIdentities(20, 1, 3.0, 0.5, 2, "stranger");
  auto c = Create("g");
  Load(*c, gallery);
  // An unlabelled record sitting on identity 0's centre is never reported.
  ASSERT_OK(c->Upsert({{"anon",
                        std::vector<float>(gallery.centres.begin(), gallery.centres.begin() + kDim),
                        std::nullopt,
                        {}}}));
  // Open set: a stranger is compared with all 300 templates, so the
  // per-comparison FAR must be far below 1/300 for it to stay unknown.
  CalibrateOptions co;
  co.target_fars = {1e-4, 1e-2};
  ASSERT_OK_AND_ASSIGN(Calibration cal, Calibrate(*c, co));
  ASSERT_EQ(cal.points.size(), 2u);
  EXPECT_LE(cal.points[0].far, 1e-4);
  EXPECT_GT(cal.points[0].tar, 0.95);
  EXPECT_LT(cal.points[0].threshold, cal.points[1].threshold);
  EXPECT_GT(cal.roc_auc, 0.99);
  EXPECT_EQ(cal.genuine_pairs, 60 * 10);  // all of them: 60 identities x C(5, 2)

  std::mt19937 rng(3);
  std::vector<std::vector<float>> probes;
  for (int i = 0; i < 60; ++i) probes.push_back(Probe(gallery, i, 0.5, rng));
  for (int i = 0; i < 20; ++i) probes.push_back(Probe(strangers, i, 0.5, rng));
  std::vector<absl::Span<const float>> spans(probes.begin(), probes.end());
  for (Aggregation rule : {Aggregation::kMin, Aggregation::kMeanTopN, Aggregation::kVotes}) {
    SCOPED_TRACE(std::string(AggregationName(rule)));
    IdentifyOptions o;
    o.aggregation = rule;
    o.depth = 20;
    o.calibrated_far = 1e-4;
    ASSERT_OK_AND_ASSIGN(IdentifyResponse res, Identify(*c, spans, {}, o));
    ASSERT_EQ(res.results.size(), 80u);
    EXPECT_DOUBLE_EQ(*res.threshold, cal.points[0].threshold);
    for (int i = 0; i < 60; ++i) {
      const IdentifyResult& r = res.results[i];
      ASSERT_FALSE(r.identities.empty());
      EXPECT_EQ(r.identities[0].label, "id" + std::to_string(i));
      EXPECT_FALSE(r.unknown) << i;
      for (const auto& m : r.identities) {
        for (const auto& key : m.keys) EXPECT_NE(key, "anon");
      }
    }
    for (int i = 60; i < 80; ++i) {
      EXPECT_TRUE(res.results[i].unknown) << i << ": " << res.results[i].identities[0].distance;
    }
  }
  // By stored key: the key's own record is not its candidate.
  IdentifyOptions o;
  o.top_identities = 2;
  ASSERT_OK_AND_ASSIGN(IdentifyResponse by_key,
                       Identify(*c, {}, std::vector<std::string>{"k7", "k12"}, o));
  EXPECT_EQ(by_key.results[0].identities[0].label, "id1");
  EXPECT_EQ(by_key.results[1].identities[0].label, "id2");
  for (const auto& key : by_key.results[0].identities[0].keys) EXPECT_NE(key, "k7");
  EXPECT_EQ(by_key.results[0].identities.size(), 2u);
  EXPECT_FALSE(by_key.threshold.has_value());
}

TEST_F(IdentityTest, AggregationRulesRankAsDefined) {
  auto c = engine_->CreateCollection({"a", 1, Metric::kL2, {}});
  ASSERT_OK(c);
  // Distances from the query 0: A at 1, 5, 6; B at 2, 2.5, 3; unlabelled at 0.5.
  ASSERT_OK((*c)->Upsert({{"a1", {1}, "A", {}},
                          {"a2", {5}, "A", {}},
                          {"a3", {6}, "A", {}},
                          {"b1", {-2}, "B", {}},
                          {"b2", {2.5}, "B", {}},
                          {"b3", {-3}, "B", {}},
                          {"u", {0.5}, std::nullopt, {}}}));
  const std::vector<float> q = {0};
  IdentifyOptions o;
  o.depth = 6;
  ASSERT_OK_AND_ASSIGN(auto min, Identify(**c, {absl::Span<const float>(q)}, {}, o));
  EXPECT_EQ(min.results[0].identities[0].label, "A");
  EXPECT_NEAR(min.results[0].identities[0].distance, 1, 1e-5);
  o.aggregation = Aggregation::kMeanTopN;
  o.top_n = 3;
  ASSERT_OK_AND_ASSIGN(auto mean, Identify(**c, {absl::Span<const float>(q)}, {}, o));
  EXPECT_EQ(mean.results[0].identities[0].label, "B");
  EXPECT_NEAR(mean.results[0].identities[0].distance, 2.5, 1e-5);
  EXPECT_NEAR(mean.results[0].identities[1].distance, 4, 1e-5);
  o.aggregation = Aggregation::kVotes;
  o.depth = 4;  // A1, B, B, B
  ASSERT_OK_AND_ASSIGN(auto votes, Identify(**c, {absl::Span<const float>(q)}, {}, o));
  EXPECT_EQ(votes.results[0].identities[0].label, "B");
  EXPECT_NEAR(votes.results[0].identities[0].score, 0.75, 1e-9);
  EXPECT_EQ(votes.results[0].identities[0].keys, (std::vector<std::string>{"b1", "b2", "b3"}));
}

TEST_F(IdentityTest, VerifyByKeyVectorAndLabelAgreeWithBruteForce) {
  const Gallery g = MakeIdentities(10, 4, 3.0, 0.5, 4);
  auto c = Create("v");
  Load(*c, g);
  VerifyOptions o;
  o.threshold = 1.5;
  auto vec = [&](int i) {
    return std::vector<float>(g.x.begin() + i * kDim, g.x.begin() + (i + 1) * kDim);
  };
  auto side_key = [](int i) {
    return VerifySide{VerifySide::Kind::kKey, {}, "k" + std::to_string(i), ""};
  };
  auto side_vec = [&](int i) { return VerifySide{VerifySide::Kind::kVector, vec(i), "", ""}; };
  auto side_label = [](const std::string& l) {
    return VerifySide{VerifySide::Kind::kLabel, {}, "", l};
  };
  std::vector<VerifyPair> pairs = {
      {side_key(0), side_key(1)},       {side_vec(0), side_vec(1)},
      {side_vec(0), side_key(1)},       {side_key(0), side_key(5)},
      {side_vec(0), side_label("id1")}, {side_label("id0"), side_key(5)}};
  ASSERT_OK_AND_ASSIGN(VerifyResponse res, Verify(*c, pairs, o));
  ASSERT_EQ(res.results.size(), 6u);
  const double d01 =
      testing::OracleDistance(testing::OracleMetric::kL2, vec(0).data(), vec(1).data(), kDim);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(res.results[i].distance, d01, 1e-4);
  EXPECT_TRUE(res.results[0].same);   // same identity, noise 0.5
  EXPECT_FALSE(res.results[3].same);  // k5 is identity 1
  double to_id1 = 1e9;
  for (int i = 4; i < 8; ++i) {
    to_id1 = std::min(to_id1, testing::OracleDistance(testing::OracleMetric::kL2, vec(0).data(),
                                                      vec(i).data(), kDim));
  }
  EXPECT_NEAR(res.results[4].distance, to_id1, 1e-3);
  EXPECT_FALSE(res.results[4].same);
  // A label side compares with the identity's records; mean of the 2 closest.
  o.aggregation = Aggregation::kMeanTopN;
  o.top_n = 2;
  std::vector<double> to_id0;
  for (int i = 0; i < 4; ++i) {
    to_id0.push_back(
        testing::OracleDistance(testing::OracleMetric::kL2, vec(5).data(), vec(i).data(), kDim));
  }
  std::sort(to_id0.begin(), to_id0.end());
  ASSERT_OK_AND_ASSIGN(res, Verify(*c, {{side_label("id0"), side_key(5)}}, o));
  EXPECT_NEAR(res.results[0].distance, (to_id0[0] + to_id0[1]) / 2, 1e-3);

  // Without a threshold and without a calibration: how to calibrate.
  VerifyOptions none;
  auto s = Verify(*c, {{side_key(0), side_key(1)}}, none).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("Calibrate"), std::string::npos) << s;
  ASSERT_OK(Calibrate(*c, {}).status());
  ASSERT_OK_AND_ASSIGN(res, Verify(*c, {{side_key(0), side_key(1)}}, none));
  EXPECT_TRUE(res.results[0].same);
  // A new metric makes the calibration stale.
  LearnOptions lo;
  lo.holdout_fraction = 0.3;
  ASSERT_OK(LearnMetric(*c, LearnMethod::kWithinClass, lo, true, {}).status());
  s = Verify(*c, {{side_key(0), side_key(1)}}, none).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("stale"), std::string::npos) << s;

  // Bad requests.
  o = VerifyOptions();
  o.threshold = 1;
  EXPECT_EQ(Verify(*c, {{side_key(0), side_key(999)}}, o).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Verify(*c, {{side_key(0), side_label("nobody")}}, o).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Verify(*c, {{side_label("id0"), side_label("id1")}}, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o.threshold = std::nan("");
  EXPECT_EQ(Verify(*c, {{side_key(0), side_key(1)}}, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o.threshold = 1;
  o.aggregation = Aggregation::kVotes;
  EXPECT_EQ(Verify(*c, {{side_key(0), side_label("id1")}}, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Verify(*c, {}, VerifyOptions()).status().code(), absl::StatusCode::kInvalidArgument);
}

// Overlapping identities: the FAR a calibrated threshold achieves on
// identities it never saw stays near the target.
TEST_F(IdentityTest, CalibratedFarHoldsOnHeldOutIdentities) {
  const Gallery g = MakeIdentities(400, 6, 1.0, 0.8, 5);
  auto c = Create("cal");
  Load(*c, g);
  CalibrateOptions o;
  o.target_fars = {0.1, 0.01};
  o.holdout_fraction = 0.5;
  ASSERT_OK_AND_ASSIGN(Calibration cal, Calibrate(*c, o));
  EXPECT_GT(cal.holdout_impostor_pairs, 10000);
  for (const CalibrationPoint& p : cal.points) {
    std::printf("target FAR %.3f: threshold %.4f, FAR %.4f TAR %.3f; held out FAR %.4f TAR %.3f\n",
                p.target_far, p.threshold, p.far, p.tar, p.holdout_far, p.holdout_tar);
    EXPECT_LE(p.far, p.target_far);
    // Tolerance: half to twice the target (identities differ; 200 held out).
    EXPECT_GT(p.holdout_far, p.target_far / 2);
    EXPECT_LT(p.holdout_far, p.target_far * 2);
    EXPECT_NEAR(p.holdout_tar, p.tar, 0.1);
  }
  ASSERT_GE(cal.curve.size(), 10u);
  EXPECT_GT(cal.eer, 0.01);  // overlapping, as intended
  // Options out of range, and nothing to calibrate.
  o.target_fars = {0};
  EXPECT_EQ(Calibrate(*c, o).status().code(), absl::StatusCode::kInvalidArgument);
  auto empty = Create("empty");
  EXPECT_EQ(Calibrate(*empty, {}).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(IdentityTest, KmeansEqualsFaissInProcess) {
  const Gallery g = MakeIdentities(8, 50, 3.0, 1.0, 6);
  auto c = Create("km");
  Load(*c, g);
  ClusterOptions o;
  o.k = 8;
  o.iterations = 20;
  o.seed = 7;
  ASSERT_OK_AND_ASSIGN(ClusterResult res, Cluster(*c, o, {}));
  ASSERT_EQ(res.keys.size(), 400u);
  // faiss in-process on the same vectors, in the same (record) order.
  faiss::ClusteringParameters params;
  params.niter = 20;
  params.seed = 7;
  params.max_points_per_centroid = 1 << 30;
  faiss::Clustering ref(kDim, 8, params);
  faiss::IndexFlatL2 index(kDim);
  ref.train(400, g.x.data(), index);
  std::vector<float> dist(400);
  std::vector<faiss::Index::idx_t> assign(400);
  faiss::IndexFlatL2 centroids(kDim);
  centroids.add(8, ref.centroids.data());
  centroids.search(400, g.x.data(), 1, dist.data(), assign.data());
  double inertia = 0;
  for (float d : dist) inertia += d;
  EXPECT_NEAR(res.inertia, inertia, 1e-4 * inertia);
  for (int i = 0; i < 400; ++i) EXPECT_EQ(res.assignment[i], assign[i]) << i;
  ASSERT_TRUE(res.quality.has_value());
  EXPECT_EQ(res.quality->records, 400);
  o.k = 401;
  EXPECT_EQ(Cluster(*c, o, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(IdentityTest, ThresholdClusteringRecoversSeparatedIdentitiesAndWritesLabels) {
  const Gallery g = MakeIdentities(30, 4, 5.0, 0.3, 8);
  auto c = Create("th");
  Load(*c, g);
  ClusterOptions o;
  o.method = ClusterMethod::kThreshold;
  o.threshold = 2.0;
  o.neighbors = 6;
  ASSERT_OK_AND_ASSIGN(ClusterResult res, Cluster(*c, o, {}));
  EXPECT_EQ(res.clusters, 30);
  ASSERT_TRUE(res.quality.has_value());
  EXPECT_DOUBLE_EQ(res.quality->nmi, 1.0);
  EXPECT_NEAR(res.quality->ami, 1.0, 1e-9);
  EXPECT_DOUBLE_EQ(res.quality->pairwise_f, 1.0);
  EXPECT_DOUBLE_EQ(res.quality->bcubed_f, 1.0);

  // Unlabelled newcomers: clustered on their own and labelled atomically.
  const Gallery fresh = MakeIdentities(5, 3, 5.0, 0.3, 9);
  Load(*c, fresh, /*labelled=*/false, "new");
  o.scope = LabelScope::kUnlabelled;
  o.write_labels = true;
  o.label_prefix = "person-";
  ASSERT_OK_AND_ASSIGN(ClusterResult un, Cluster(*c, o, {}));
  EXPECT_EQ(un.keys.size(), 15u);
  EXPECT_EQ(un.clusters, 5);
  EXPECT_EQ(un.labels_written, 15);
  EXPECT_FALSE(un.quality.has_value());
  ASSERT_OK_AND_ASSIGN(auto got, c->Get(un.keys, false));
  for (size_t i = 0; i < un.keys.size(); ++i) {
    EXPECT_EQ(*got.records[i].label, "person-" + std::to_string(un.assignment[i]));
    EXPECT_EQ(un.assignment[i], un.assignment[(i / 3) * 3]) << "records of one identity";
  }
  // Nothing left to cluster; a NaN threshold; no threshold at all.
  EXPECT_EQ(Cluster(*c, o, {}).status().code(), absl::StatusCode::kFailedPrecondition);
  o.scope = LabelScope::kAll;
  o.threshold = std::nan("");
  EXPECT_EQ(Cluster(*c, o, {}).status().code(), absl::StatusCode::kInvalidArgument);
  o.threshold.reset();
  EXPECT_EQ(Cluster(*c, o, {}).status().code(), absl::StatusCode::kFailedPrecondition);
}

// Two identities 4 apart and a bridge of records between them: single
// linkage chains everything into one cluster, average linkage keeps the two.
TEST_F(IdentityTest, AverageLinkageDoesNotChainIdentitiesThroughABridge) {
  auto c = engine_->CreateCollection({"bridge", 1, Metric::kL2, {}});
  ASSERT_OK(c);
  std::vector<Record> records;
  for (int i = 0; i < 5; ++i) {
    records.push_back({"a" + std::to_string(i), {0.1f * i}, "A", {}});
    records.push_back({"b" + std::to_string(i), {4.0f + 0.1f * i}, "B", {}});
  }
  for (int i = 1; i <= 3; ++i)
    records.push_back({"x" + std::to_string(i), {1.1f * i}, std::nullopt, {}});
  ASSERT_OK((*c)->Upsert(std::move(records)));
  ClusterOptions o;
  o.method = ClusterMethod::kThreshold;
  o.threshold = 1.2;
  o.neighbors = 12;
  ASSERT_OK_AND_ASSIGN(ClusterResult single, Cluster(**c, o, {}));
  EXPECT_EQ(single.clusters, 1);
  o.linkage = Linkage::kAverage;
  ASSERT_OK_AND_ASSIGN(ClusterResult average, Cluster(**c, o, {}));
  EXPECT_GE(average.clusters, 2);
  ASSERT_TRUE(average.quality.has_value());
  EXPECT_DOUBLE_EQ(average.quality->nmi, 1.0);  // the labelled records: A and B apart
}

TEST(ClusterQualityTest, ScoresMatchScikitLearnAndTheirDefinitions) {
  // sklearn.metrics.normalized_mutual_info_score / adjusted_mutual_info_score
  // on these lists: 0.6185727866539659, 0.405778188634623.
  const std::vector<int32_t> labels = {0, 0, 0, 1, 1, 1, 2, 2, 2, 2};
  const std::vector<int32_t> clusters = {0, 0, 1, 1, 2, 2, 3, 3, 3, 0};
  const ClusterQuality q = CompareClusterings(clusters, labels);
  EXPECT_NEAR(q.nmi, 0.6185727866539659, 1e-9);
  EXPECT_NEAR(q.ami, 0.405778188634623, 1e-9);
  // Pairwise and BCubed F by brute force.
  double tp = 0, same_c = 0, same_l = 0, bp = 0, br = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    double in_c = 0, in_l = 0, both = 0;
    for (size_t j = 0; j < labels.size(); ++j) {
      in_c += clusters[j] == clusters[i];
      in_l += labels[j] == labels[i];
      both += clusters[j] == clusters[i] && labels[j] == labels[i];
      if (j > i) {
        tp += clusters[j] == clusters[i] && labels[j] == labels[i];
        same_c += clusters[j] == clusters[i];
        same_l += labels[j] == labels[i];
      }
    }
    bp += both / in_c;
    br += both / in_l;
  }
  const double p = tp / same_c, r = tp / same_l;
  EXPECT_NEAR(q.pairwise_f, 2 * p * r / (p + r), 1e-12);
  bp /= labels.size();
  br /= labels.size();
  EXPECT_NEAR(q.bcubed_f, 2 * bp * br / (bp + br), 1e-12);
  const ClusterQuality same = CompareClusterings(labels, labels);
  EXPECT_DOUBLE_EQ(same.nmi, 1.0);
  EXPECT_NEAR(same.ami, 1.0, 1e-9);
}

}  // namespace
}  // namespace metricdb
