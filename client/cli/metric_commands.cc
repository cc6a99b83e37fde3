// learn, metrics, activate-metric, set-metric: the learned metrics of a
// collection.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "client/cli/commands.h"
#include "client/cli/json_format.h"

namespace metricdb {
namespace {

void PrintVersion(const CliContext& ctx, const v1::MetricVersion& v) {
  if (ctx.json) {
    std::cout << ToJsonLine(v) << "\n";
    return;
  }
  std::printf(
      "metric version %d: %s, L %d x %d, trained on %lld records of %lld identities "
      "in %.3f s%s\n",
      v.version(), v.method().c_str(), v.d_out(), v.dim(), (long long)v.train_records(),
      (long long)v.train_identities(), v.training_seconds(), v.active() ? " (active)" : "");
  if (v.after().queries() == 0) return;
  const v1::RetrievalQuality& b = v.before();
  const v1::RetrievalQuality& a = v.after();
  std::printf("  evaluated on %lld records of %lld identities%s:\n", (long long)a.records(),
              (long long)v.eval_identities(),
              v.options().holdout_fraction() > 0 ? " held out from training" : "");
  std::printf("  %-12s %14s %10s\n", "", ("before (" + v.before_metric() + ")").c_str(), "after");
  const struct {
    const char* name;
    double before, after;
  } rows[] = {{"P@1", b.precision_at_1(), a.precision_at_1()},
              {"R-Precision", b.r_precision(), a.r_precision()},
              {"MAP@R", b.map_at_r(), a.map_at_r()},
              {"ROC AUC", b.roc_auc(), a.roc_auc()},
              {"EER", b.eer(), a.eer()}};
  for (const auto& r : rows) std::printf("  %-12s %14.4f %10.4f\n", r.name, r.before, r.after);
}

absl::StatusOr<v1::MetricLearningMethod> ParseMethod(const std::string& m) {
  if (m == "whitening") return v1::WHITENING;
  if (m == "within_class" || m == "lda") return v1::WITHIN_CLASS;
  if (m == "kissme") return v1::KISSME;
  if (m == "triplet") return v1::TRIPLET;
  if (m == "contrastive") return v1::CONTRASTIVE;
  if (m == "lmnn") return v1::LMNN;
  return absl::InvalidArgumentError(
      "--method: must be whitening, within_class, kissme, triplet, contrastive or lmnn, got " + m);
}

}  // namespace

int RunLearn(CliContext& ctx, const LearnArgs& args) {
  auto method = ParseMethod(args.method);
  if (!method.ok()) return Fail(method.status());
  v1::LearnMetricRequest req;
  req.set_collection(args.collection);
  req.set_method(*method);
  req.set_activate(args.activate);
  *req.mutable_options() = args.options;
  const bool show =
      args.progress == "always" || (args.progress == "auto" && isatty(STDERR_FILENO) && !ctx.json);
  auto version = ctx.client->LearnMetric(req, [&](const v1::LearnProgress& p) {
    if (!show) return;
    std::fprintf(stderr, "\r%-10s", p.phase().c_str());
    if (p.phase() == "training" && p.iterations() > 1) {
      std::fprintf(stderr, " epoch %lld/%lld  loss %.4f", (long long)p.iteration(),
                   (long long)p.iterations(), p.loss());
    }
    std::fprintf(stderr, "  %.1f s   ", p.elapsed_seconds());
    std::fflush(stderr);
  });
  if (show) std::fputc('\n', stderr);
  if (!version.ok()) return Fail(version.status());
  PrintVersion(ctx, *version);
  return 0;
}

int RunMetrics(CliContext& ctx, const std::string& collection) {
  auto list = ctx.client->ListMetrics(collection);
  if (!list.ok()) return Fail(list.status());
  if (!ctx.json) {
    std::printf("%s: metric version %d in force%s\n", collection.c_str(), list->active_version(),
                list->active_version() == 0 ? " (the creation metric)" : "");
  }
  for (const auto& v : list->versions()) PrintVersion(ctx, v);
  return 0;
}

int RunActivateMetric(CliContext& ctx, const std::string& collection, int version) {
  auto info = ctx.client->ActivateMetric(collection, version);
  if (!info.ok()) return Fail(info.status());
  return RunInfo(ctx, collection);
}

int RunSetMetric(CliContext& ctx, const SetMetricArgs& args) {
  auto m = ReadMatrixFile(args.file, MatrixFileOptions());
  if (!m.ok()) return Fail(m.status());
  v1::SetMetricRequest req;
  req.set_collection(args.collection);
  req.set_d_out(int32_t(m->rows));
  req.mutable_map()->Add(m->values.begin(), m->values.end());
  req.set_activate(args.activate);
  auto version = ctx.client->SetMetric(req);
  if (!version.ok()) return Fail(version.status());
  PrintVersion(ctx, *version);
  return 0;
}

}  // namespace metricdb
