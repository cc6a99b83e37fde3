#include "server/identity_convert.h"

#include "absl/strings/str_cat.h"
#include "proto/convert/proto_convert.h"

namespace metricdb {

absl::StatusOr<Aggregation> FromProto(v1::Aggregation a, const char* field) {
  switch (a) {
    case v1::AGGREGATION_UNSPECIFIED:
    case v1::MIN:
      return Aggregation::kMin;
    case v1::MEAN:
      return Aggregation::kMeanTopN;
    case v1::VOTES:
      return Aggregation::kVotes;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": must be MIN, MEAN or VOTES, got ", static_cast<int>(a)));
  }
}

absl::StatusOr<IdentifyOptions> FromProto(const v1::IdentifyRequest& r) {
  IdentifyOptions o;
  auto aggregation = FromProto(r.aggregation(), "aggregation");
  if (!aggregation.ok()) return aggregation.status();
  o.aggregation = *aggregation;
  if (r.top_identities() != 0) o.top_identities = r.top_identities();
  o.depth = r.depth();
  if (r.top_n() != 0) o.top_n = r.top_n();
  if (r.has_threshold()) o.threshold = r.threshold();
  if (r.has_far()) o.calibrated_far = r.far();
  o.tuning.ef_search = r.params().ef_search();
  o.tuning.nprobe = r.params().nprobe();
  o.tuning.rerank = r.params().rerank();
  o.filter = r.filter();
  return o;
}

absl::StatusOr<std::vector<VerifyPair>> PairsFromProto(const v1::VerifyRequest& r) {
  std::vector<VerifyPair> pairs;
  for (int i = 0; i < r.pairs_size(); ++i) {
    VerifyPair pair;
    for (int s = 0; s < 2; ++s) {
      const v1::VerifySide& in = s == 0 ? r.pairs(i).a() : r.pairs(i).b();
      VerifySide& out = s == 0 ? pair.a : pair.b;
      switch (in.side_case()) {
        case v1::VerifySide::kVector:
          out.kind = VerifySide::Kind::kVector;
          out.vector.assign(in.vector().values().begin(), in.vector().values().end());
          break;
        case v1::VerifySide::kKey:
          out.kind = VerifySide::Kind::kKey;
          out.key = in.key();
          break;
        case v1::VerifySide::kLabel:
          out.kind = VerifySide::Kind::kLabel;
          out.label = in.label();
          break;
        default:
          return absl::InvalidArgumentError(absl::StrCat("pairs[", i, "].", s == 0 ? "a" : "b",
                                                         ": give a vector, a key or a label"));
      }
    }
    pairs.push_back(std::move(pair));
  }
  return pairs;
}

absl::StatusOr<VerifyOptions> FromProto(const v1::VerifyRequest& r) {
  VerifyOptions o;
  auto aggregation = FromProto(r.aggregation(), "aggregation");
  if (!aggregation.ok()) return aggregation.status();
  o.aggregation = *aggregation;
  if (r.top_n() != 0) o.top_n = r.top_n();
  if (r.has_threshold()) o.threshold = r.threshold();
  if (r.has_far()) o.calibrated_far = r.far();
  o.filter = r.filter();
  return o;
}

CalibrateOptions FromProto(const v1::CalibrateRequest& r) {
  CalibrateOptions o;
  o.target_fars.assign(r.target_fars().begin(), r.target_fars().end());
  o.max_records = r.max_records();
  o.max_genuine_pairs = r.max_genuine_pairs();
  o.max_impostor_pairs = r.max_impostor_pairs();
  if (r.has_seed()) o.seed = r.seed();
  o.holdout_fraction = r.holdout_fraction();
  o.curve_points = r.curve_points();
  o.filter = r.filter();
  return o;
}

absl::StatusOr<ClusterOptions> FromProto(const v1::ClusterRequest& r) {
  ClusterOptions o;
  switch (r.method()) {
    case v1::KMEANS:
      o.method = ClusterMethod::kKmeans;
      break;
    case v1::THRESHOLD:
      o.method = ClusterMethod::kThreshold;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("method: must be KMEANS or THRESHOLD, got ", static_cast<int>(r.method())));
  }
  auto scope = ScopeFromProto(r.scope(), "scope");
  if (!scope.ok()) return scope.status();
  o.scope = *scope;
  switch (r.linkage()) {
    case v1::SINGLE:
      o.linkage = Linkage::kSingle;
      break;
    case v1::AVERAGE:
      o.linkage = Linkage::kAverage;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("linkage: must be SINGLE or AVERAGE, got ", static_cast<int>(r.linkage())));
  }
  o.labels.assign(r.labels().begin(), r.labels().end());
  o.k = r.k();
  o.iterations = r.iterations();
  if (r.has_seed()) o.seed = r.seed();
  if (r.has_threshold()) o.threshold = r.threshold();
  if (r.has_far()) o.calibrated_far = r.far();
  o.neighbors = r.neighbors();
  o.max_records = r.max_records();
  o.write_labels = r.write_labels();
  if (!r.label_prefix().empty()) o.label_prefix = r.label_prefix();
  o.filter = r.filter();
  return o;
}

void ToProto(const IdentifyResponse& in, v1::IdentifyResponse* out) {
  for (const IdentifyResult& r : in.results) {
    v1::IdentifyResult* res = out->add_results();
    res->set_unknown(r.unknown);
    for (const IdentityMatch& m : r.identities) {
      v1::IdentityMatch* match = res->add_identities();
      match->set_label(m.label);
      match->set_score(m.score);
      match->set_distance(m.distance);
      for (const auto& k : m.keys) match->add_keys(k);
    }
  }
  if (in.threshold) out->set_threshold(*in.threshold);
}

void ToProto(const Calibration& c, bool stale, v1::Calibration* out) {
  out->set_metric_version(c.metric_version);
  out->set_created_unix_ms(c.created_unix_ms);
  for (const CalibrationPoint& p : c.points) {
    v1::CalibrationPoint* q = out->add_points();
    q->set_target_far(p.target_far);
    q->set_threshold(p.threshold);
    q->set_far(p.far);
    q->set_tar(p.tar);
    q->set_holdout_far(p.holdout_far);
    q->set_holdout_tar(p.holdout_tar);
  }
  out->set_roc_auc(c.roc_auc);
  out->set_eer(c.eer);
  out->set_eer_threshold(c.eer_threshold);
  out->set_genuine_pairs(c.genuine_pairs);
  out->set_impostor_pairs(c.impostor_pairs);
  out->set_holdout_genuine_pairs(c.holdout_genuine_pairs);
  out->set_holdout_impostor_pairs(c.holdout_impostor_pairs);
  for (const RocPoint& p : c.curve) {
    v1::RocPoint* q = out->add_curve();
    q->set_threshold(p.threshold);
    q->set_far(p.far);
    q->set_tar(p.tar);
  }
  out->set_stale(stale);
}

void ToProto(const ClusterResult& r, bool include_centroids, v1::ClusterResult* out) {
  out->set_clusters(r.clusters);
  out->mutable_assignments()->Reserve(int(r.keys.size()));
  for (size_t i = 0; i < r.keys.size(); ++i) {
    v1::ClusterAssignment* a = out->add_assignments();
    a->set_key(r.keys[i]);
    a->set_cluster(r.assignment[i]);
  }
  out->set_centroid_dim(r.centroid_dim);
  if (include_centroids) out->mutable_centroids()->Add(r.centroids.begin(), r.centroids.end());
  out->set_inertia(r.inertia);
  out->set_threshold(r.threshold);
  if (r.quality) {
    v1::ClusterQuality* q = out->mutable_quality();
    q->set_records(r.quality->records);
    q->set_nmi(r.quality->nmi);
    q->set_ami(r.quality->ami);
    q->set_pairwise_f(r.quality->pairwise_f);
    q->set_bcubed_f(r.quality->bcubed_f);
  }
  out->set_labels_written(r.labels_written);
}

}  // namespace metricdb
