#include "engine/metric/metric_version.h"

#include "engine/bytes.h"

namespace metricdb {
namespace {

// Format 2 appends options.target_neighbors; format 1 (without it) is read.
constexpr uint8_t kFormat = 2;

void PutQuality(std::string* out, const RetrievalQuality& q) {
  PutPod(out, q.records);
  PutPod(out, q.queries);
  for (double v : {q.precision_at_1, q.r_precision, q.map_at_r, q.roc_auc, q.eer}) {
    PutPod(out, v);
  }
}

bool ReadQuality(ByteReader* r, RetrievalQuality* q) {
  return r->Pod(&q->records) && r->Pod(&q->queries) && r->Pod(&q->precision_at_1) &&
         r->Pod(&q->r_precision) && r->Pod(&q->map_at_r) && r->Pod(&q->roc_auc) &&
         r->Pod(&q->eer);
}

}  // namespace

std::string EncodeMetricVersion(const MetricVersion& v) {
  std::string out;
  PutPod<uint8_t>(&out, kFormat);
  PutPod(&out, v.version);
  PutPod(&out, v.created_unix_ms);
  PutPod(&out, v.map.d_out);
  PutPod(&out, v.map.dim);
  PutArray(&out, v.map.rows);
  const MetricReport& r = v.report;
  PutString(&out, r.method);
  const LearnOptions& o = r.options;
  PutPod(&out, o.d_out);
  PutPod(&out, o.regularization.value_or(-1));
  PutPod(&out, o.max_records);
  PutPod(&out, o.holdout_fraction.value_or(-1));
  PutPod(&out, static_cast<int32_t>(o.split));
  PutPod(&out, o.seed.value_or(0));
  PutPod(&out, o.max_eval_records);
  PutPod(&out, o.epochs);
  PutPod(&out, o.learning_rate.value_or(-1));
  PutPod(&out, o.margin.value_or(-1));
  PutPod(&out, o.batch_identities);
  PutPod(&out, o.per_identity);
  PutPod(&out, r.training_seconds);
  PutPod(&out, r.train_records);
  PutPod(&out, r.train_identities);
  PutPod(&out, r.eval_identities);
  PutString(&out, r.before_metric);
  PutQuality(&out, r.before);
  PutQuality(&out, r.after);
  PutPod(&out, o.target_neighbors);
  return out;
}

absl::StatusOr<MetricVersion> DecodeMetricVersion(std::string_view bytes) {
  ByteReader r(bytes);
  MetricVersion v;
  MetricReport& rep = v.report;
  LearnOptions& o = rep.options;
  uint8_t format = 0;
  double regularization, holdout, learning_rate, margin;
  int32_t split;
  uint64_t seed;
  const bool ok =
      r.U8(&format) && (format == 1 || format == kFormat) && r.Pod(&v.version) &&
      r.Pod(&v.created_unix_ms) &&
      r.Pod(&v.map.d_out) && r.Pod(&v.map.dim) && r.Array(&v.map.rows) &&
      r.String(&rep.method) && r.Pod(&o.d_out) && r.Pod(&regularization) &&
      r.Pod(&o.max_records) && r.Pod(&holdout) && r.Pod(&split) && r.Pod(&seed) &&
      r.Pod(&o.max_eval_records) && r.Pod(&o.epochs) && r.Pod(&learning_rate) &&
      r.Pod(&margin) && r.Pod(&o.batch_identities) && r.Pod(&o.per_identity) &&
      r.Pod(&rep.training_seconds) && r.Pod(&rep.train_records) &&
      r.Pod(&rep.train_identities) && r.Pod(&rep.eval_identities) &&
      r.String(&rep.before_metric) && ReadQuality(&r, &rep.before) &&
      ReadQuality(&r, &rep.after) && (format == 1 || r.Pod(&o.target_neighbors)) && r.done();
  if (!ok || v.map.d_out < 1 || v.map.dim < 1 ||
      v.map.rows.size() != size_t(v.map.d_out) * size_t(v.map.dim)) {
    return absl::DataLossError("corrupt stored metric version");
  }
  if (regularization >= 0) o.regularization = regularization;
  if (holdout >= 0) o.holdout_fraction = holdout;
  if (learning_rate >= 0) o.learning_rate = learning_rate;
  if (margin >= 0) o.margin = margin;
  o.split = static_cast<HoldoutSplit>(split);
  o.seed = seed;
  return v;
}

}  // namespace metricdb
