#include "engine/metric/learn_metric.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "engine/base/out_of_memory.h"
#include "engine/metric/closed_form_learners.h"
#include "engine/metric/gradient_learner.h"
#include "engine/metric/labelled_data.h"
#include "engine/metric/lmnn_learner.h"
#include "engine/metric/retrieval_quality.h"

namespace metricdb {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string MetricInForce(const CollectionSchema& schema) {
  if (schema.metric_version > 0) return absl::StrCat("mahalanobis v", schema.metric_version);
  return std::string(MetricName(schema.metric));
}

// Quality of `data` (raw rows) mapped by `map`.
RetrievalQuality EvaluateMapped(const LinearMap& map, const LabelledData& data) {
  std::vector<float> mapped(size_t(data.size()) * map.d_out);
  map.Apply(data.x.data(), data.size(), mapped.data());
  return EvaluateRetrieval(mapped.data(), data.size(), map.d_out, data.label, false);
}

// Evaluates `version` and the metric in force on `eval` (if it has labels
// to evaluate with), stores it, and activates it if asked.
absl::StatusOr<MetricVersion> EvaluateStoreActivate(RecordSource& c, MetricVersion version,
                                                    const LabelledData& eval, bool activate) {
  const CollectionSchema schema = c.schema();
  MetricReport& report = version.report;
  report.before_metric = MetricInForce(schema);
  if (eval.size() > 0) {
    MetricSpace space;
    const std::vector<float> current = c.RowsToMetricSpace(eval.x, &space);
    report.before = EvaluateRetrieval(current.data(), eval.size(), space.dim, eval.label,
                                      space.metric == Metric::kInnerProduct);
    report.after = EvaluateMapped(version.map, eval);
    report.eval_identities = eval.CountIdentities();
  }
  version.created_unix_ms = NowUnixMs();
  auto number = c.AddMetricVersion(ToStored(version));
  if (!number.ok()) return number.status();
  version.version = *number;
  if (activate) {
    if (auto s = c.ActivateMetric(version.version); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("metric version ", version.version,
                                                 " was stored but not activated: ", s.message()));
    }
  }
  return version;
}

absl::StatusOr<MetricVersion> LearnMetricUnguarded(RecordSource& c, LearnMethod method,
                                                   LearnOptions options, bool activate,
                                                   const ProgressFn& progress) {
  const Clock::time_point start = Clock::now();
  auto report = [&](LearnProgress p) {
    p.elapsed_seconds = SecondsSince(start);
    return !progress || progress(p);
  };
  const absl::Status cancelled = absl::CancelledError("metric learning cancelled");
  const CollectionSchema schema = c.schema();
  if (auto s = ResolveLearnOptions(method, schema.dim, &options); !s.ok()) return s;

  if (!report({"sampling", 0, 1, 0, 0})) return cancelled;
  auto all = SampleLabelled(c, options.max_records, *options.seed);
  if (!all.ok()) return all.status();
  if (const int64_t ids = all->CountIdentities(); ids < 2) {
    return absl::FailedPreconditionError(absl::StrCat(
        "learning a metric needs labelled records of at least 2 identities; the collection "
        "has ",
        ids));
  }
  if (all->CountRepeatedIdentities() == 0) {
    return absl::FailedPreconditionError(
        "every identity has a single record: there are no same-identity pairs to learn from");
  }
  LabelledData train, eval;
  SplitHoldout(*all, options.split, *options.holdout_fraction, *options.seed, &train, &eval);
  if (train.CountIdentities() < 2 || train.CountRepeatedIdentities() == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("after the hold-out split the training part has ", train.CountIdentities(),
                     " identities, ", train.CountRepeatedIdentities(),
                     " of them with two or more records; lower options.holdout_fraction"));
  }
  if (eval.CountIdentities() < 2 || eval.CountRepeatedIdentities() == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("the hold-out part has ", eval.CountIdentities(), " identities, ",
                     eval.CountRepeatedIdentities(),
                     " of them with two or more records (2 and 1 are needed to evaluate); raise "
                     "options.holdout_fraction or split by record"));
  }
  all = LabelledData();  // free the copy

  const bool iterative = method == LearnMethod::kTriplet || method == LearnMethod::kContrastive ||
                         method == LearnMethod::kLmnn;
  const int64_t iterations = iterative ? options.epochs : 1;
  if (!report({"training", 0, iterations, 0, 0})) return cancelled;
  const Clock::time_point train_start = Clock::now();
  absl::StatusOr<LinearMap> map = LearnLinearMap(method, train, options, report);
  if (!map.ok()) return map.status();
  if (!iterative && !report({"training", 1, 1, 0, 0})) return cancelled;
  MetricVersion version;
  version.report.training_seconds = SecondsSince(train_start);
  if (auto s = map->Validate(schema.dim, "the learned map"); !s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        s.message(), "; the data may be degenerate: try a larger options.regularization"));
  }
  version.map = std::move(*map);
  version.report.method = std::string(LearnMethodName(method));
  version.report.options = options;
  version.report.train_records = train.size();
  version.report.train_identities = train.CountIdentities();

  if (!report({"evaluating", 0, 1, 0, 0})) return cancelled;
  const LabelledData sample = Subsample(eval, options.max_eval_records, *options.seed);
  if (activate && !report({"activating", 0, 1, 0, 0})) return cancelled;
  return EvaluateStoreActivate(c, std::move(version), sample, activate);
}

}  // namespace

absl::StatusOr<LinearMap> LearnLinearMap(LearnMethod method, const LabelledData& train,
                                         const LearnOptions& options, const ProgressFn& progress) {
  switch (method) {
    case LearnMethod::kWhitening:
      return LearnWhitening(train, options);
    case LearnMethod::kWithinClass:
      return LearnWithinClass(train, options);
    case LearnMethod::kKissme:
      return LearnKissme(train, options);
    case LearnMethod::kTriplet:
    case LearnMethod::kContrastive:
      return LearnByGradient(method, train, options, progress);
    case LearnMethod::kLmnn:
      return LearnLmnn(train, options, progress);
  }
  return absl::InvalidArgumentError("method: unknown");
}

absl::StatusOr<MetricVersion> LearnMetric(RecordSource& c, LearnMethod method, LearnOptions options,
                                          bool activate, const ProgressFn& progress) {
  return GuardMemory("learning a metric", [&] {
    return LearnMetricUnguarded(c, method, std::move(options), activate, progress);
  });
}

absl::StatusOr<MetricVersion> UploadMetric(RecordSource& c, LinearMap map, bool activate) {
  const CollectionSchema schema = c.schema();
  if (auto s = map.Validate(schema.dim, "map"); !s.ok()) return s;
  MetricVersion version;
  version.map = std::move(map);
  version.report.method = "uploaded";
  LearnOptions defaults;
  ResolveLearnOptions(LearnMethod::kWhitening, schema.dim, &defaults).IgnoreError();
  auto labelled = SampleLabelled(c, defaults.max_eval_records, *defaults.seed);
  if (!labelled.ok()) return labelled.status();
  if (labelled->CountIdentities() < 2 || labelled->CountRepeatedIdentities() == 0) {
    *labelled = LabelledData();  // nothing to evaluate with
  }
  return EvaluateStoreActivate(c, std::move(version), *labelled, activate);
}

absl::StatusOr<std::vector<MetricVersion>> ListMetricVersions(const RecordSource& c,
                                                              bool include_maps) {
  auto stored = c.ListMetricVersions(include_maps);
  if (!stored.ok()) return stored.status();
  std::vector<MetricVersion> out;
  for (StoredMetricVersion& v : *stored) {
    auto version = FromStored(std::move(v));
    if (!version.ok()) return version.status();
    out.push_back(std::move(*version));
  }
  return out;
}

absl::StatusOr<MetricVersion> GetMetricVersion(const RecordSource& c, int32_t version) {
  auto stored = c.GetMetricVersion(version);
  if (!stored.ok()) return stored.status();
  return FromStored(std::move(*stored));
}

}  // namespace metricdb
