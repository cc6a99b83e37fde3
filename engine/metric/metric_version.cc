#include "engine/metric/metric_version.h"

#include "engine/base/bytes.h"

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
         r->Pod(&q->r_precision) && r->Pod(&q->map_at_r) && r->Pod(&q->roc_auc) && r->Pod(&q->eer);
}

std::string EncodeReport(const MetricReport& r) {
  std::string out;
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

absl::Status DecodeReport(uint8_t format, std::string_view bytes, MetricReport* rep) {
  ByteReader r(bytes);
  LearnOptions& o = rep->options;
  double regularization, holdout, learning_rate, margin;
  int32_t split;
  uint64_t seed;
  const bool ok =
      r.String(&rep->method) && r.Pod(&o.d_out) && r.Pod(&regularization) &&
      r.Pod(&o.max_records) && r.Pod(&holdout) && r.Pod(&split) && r.Pod(&seed) &&
      r.Pod(&o.max_eval_records) && r.Pod(&o.epochs) && r.Pod(&learning_rate) && r.Pod(&margin) &&
      r.Pod(&o.batch_identities) && r.Pod(&o.per_identity) && r.Pod(&rep->training_seconds) &&
      r.Pod(&rep->train_records) && r.Pod(&rep->train_identities) && r.Pod(&rep->eval_identities) &&
      r.String(&rep->before_metric) && ReadQuality(&r, &rep->before) &&
      ReadQuality(&r, &rep->after) && (format == 1 || r.Pod(&o.target_neighbors)) && r.done();
  if (!ok) return absl::DataLossError("corrupt stored metric version");
  if (regularization >= 0) o.regularization = regularization;
  if (holdout >= 0) o.holdout_fraction = holdout;
  if (learning_rate >= 0) o.learning_rate = learning_rate;
  if (margin >= 0) o.margin = margin;
  o.split = static_cast<HoldoutSplit>(split);
  o.seed = seed;
  return absl::OkStatus();
}

}  // namespace

StoredMetricVersion ToStored(const MetricVersion& v) {
  StoredMetricVersion out;
  out.version = v.version;
  out.created_unix_ms = v.created_unix_ms;
  out.map = v.map;
  out.report_format = kFormat;
  out.report = EncodeReport(v.report);
  return out;
}

absl::StatusOr<MetricVersion> FromStored(StoredMetricVersion stored) {
  MetricVersion v;
  v.version = stored.version;
  v.created_unix_ms = stored.created_unix_ms;
  v.map = std::move(stored.map);
  if (auto s = DecodeReport(stored.report_format, stored.report, &v.report); !s.ok()) return s;
  return v;
}

std::string EncodeMetricVersion(const MetricVersion& version) {
  return EncodeStoredMetricVersion(ToStored(version));
}

absl::StatusOr<MetricVersion> DecodeMetricVersion(std::string_view bytes) {
  auto stored = DecodeStoredMetricVersion(bytes);
  if (!stored.ok()) return stored.status();
  return FromStored(std::move(*stored));
}

}  // namespace metricdb
