#include "server/metric_convert.h"

#include "absl/strings/str_cat.h"

namespace metricdb {

absl::StatusOr<LearnMethod> FromProto(v1::MetricLearningMethod method) {
  switch (method) {
    case v1::WHITENING:
      return LearnMethod::kWhitening;
    case v1::WITHIN_CLASS:
      return LearnMethod::kWithinClass;
    case v1::KISSME:
      return LearnMethod::kKissme;
    case v1::TRIPLET:
      return LearnMethod::kTriplet;
    case v1::CONTRASTIVE:
      return LearnMethod::kContrastive;
    case v1::LMNN:
      return LearnMethod::kLmnn;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "method: must be WHITENING, WITHIN_CLASS, KISSME, TRIPLET, CONTRASTIVE or LMNN, got ",
          static_cast<int>(method)));
  }
}

absl::StatusOr<LearnOptions> FromProto(const v1::LearnOptions& p) {
  LearnOptions o;
  o.d_out = p.d_out();
  if (p.has_regularization()) o.regularization = p.regularization();
  o.max_records = p.max_records();
  if (p.has_holdout_fraction()) o.holdout_fraction = p.holdout_fraction();
  switch (p.split()) {
    case v1::BY_IDENTITY:
      o.split = HoldoutSplit::kByIdentity;
      break;
    case v1::BY_RECORD:
      o.split = HoldoutSplit::kByRecord;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "options.split: must be BY_IDENTITY or BY_RECORD, got ", static_cast<int>(p.split())));
  }
  if (p.has_seed()) o.seed = p.seed();
  o.max_eval_records = p.max_eval_records();
  o.epochs = p.epochs();
  if (p.has_learning_rate()) o.learning_rate = p.learning_rate();
  if (p.has_margin()) o.margin = p.margin();
  o.batch_identities = p.batch_identities();
  o.per_identity = p.per_identity();
  o.target_neighbors = p.target_neighbors();
  return o;
}

void ToProto(const LearnOptions& o, v1::LearnOptions* p) {
  p->set_d_out(o.d_out);
  if (o.regularization) p->set_regularization(*o.regularization);
  p->set_max_records(o.max_records);
  if (o.holdout_fraction) p->set_holdout_fraction(*o.holdout_fraction);
  p->set_split(o.split == HoldoutSplit::kByRecord ? v1::BY_RECORD : v1::BY_IDENTITY);
  if (o.seed) p->set_seed(*o.seed);
  p->set_max_eval_records(o.max_eval_records);
  p->set_epochs(o.epochs);
  if (o.learning_rate) p->set_learning_rate(*o.learning_rate);
  if (o.margin) p->set_margin(*o.margin);
  p->set_batch_identities(o.batch_identities);
  p->set_per_identity(o.per_identity);
  p->set_target_neighbors(o.target_neighbors);
}

void ToProto(const RetrievalQuality& q, v1::RetrievalQuality* p) {
  p->set_records(q.records);
  p->set_queries(q.queries);
  p->set_precision_at_1(q.precision_at_1);
  p->set_r_precision(q.r_precision);
  p->set_map_at_r(q.map_at_r);
  p->set_roc_auc(q.roc_auc);
  p->set_eer(q.eer);
}

void ToProto(const MetricVersion& v, bool active, bool include_map, v1::MetricVersion* p) {
  const MetricReport& r = v.report;
  p->set_version(v.version);
  p->set_created_unix_ms(v.created_unix_ms);
  p->set_method(r.method);
  ToProto(r.options, p->mutable_options());
  p->set_d_out(v.map.d_out);
  p->set_dim(v.map.dim);
  p->set_training_seconds(r.training_seconds);
  p->set_train_records(r.train_records);
  p->set_train_identities(r.train_identities);
  p->set_eval_identities(r.eval_identities);
  p->set_before_metric(r.before_metric);
  ToProto(r.before, p->mutable_before());
  ToProto(r.after, p->mutable_after());
  p->set_active(active);
  if (include_map) p->mutable_map()->Add(v.map.rows.begin(), v.map.rows.end());
}

void ToProto(const LearnProgress& g, v1::LearnProgress* p) {
  p->set_phase(g.phase);
  p->set_iteration(g.iteration);
  p->set_iterations(g.iterations);
  p->set_loss(g.loss);
  p->set_elapsed_seconds(g.elapsed_seconds);
}

}  // namespace metricdb
