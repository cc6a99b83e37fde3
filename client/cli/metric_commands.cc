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

CLI::App* AddLearnCommand(CLI::App& app, LearnArgs* args) {
  auto* lm = app.add_subcommand("learn", "Learn a metric from the collection's labels");
  lm->add_option("collection", args->collection)->required();
  lm->add_option("--method", args->method, "whitening|within_class|kissme|triplet|contrastive|lmnn")
      ->required();
  lm->add_flag("--activate", args->activate, "Put the new metric in force");
  v1::LearnOptions* o = &args->options;
  o->set_split(v1::BY_IDENTITY);
  lm->add_option_function<int>(
      "--d-out", [o](int v) { o->set_d_out(v); }, "Rows of L (default: dim)");
  lm->add_option_function<double>(
      "--regularization", [o](double v) { o->set_regularization(v); },
      "Covariance shrinkage 0..1 (0.01)");
  lm->add_option_function<double>(
      "--holdout", [o](double v) { o->set_holdout_fraction(v); },
      "Fraction held out for evaluation (0.2)");
  lm->add_option_function<std::string>(
        "--split",
        [o](const std::string& v) {
          o->set_split(v == "record" ? v1::BY_RECORD : v1::BY_IDENTITY);
        },
        "identity|record: what the hold-out holds")
      ->check(CLI::IsMember({"identity", "record"}));
  lm->add_option_function<uint64_t>(
      "--seed", [o](uint64_t v) { o->set_seed(v); }, "Sampling and training seed (1)");
  lm->add_option_function<int64_t>(
      "--max-records", [o](int64_t v) { o->set_max_records(v); },
      "Labelled records sampled (100000; lmnn 10000)");
  lm->add_option_function<int64_t>(
      "--max-eval-records", [o](int64_t v) { o->set_max_eval_records(v); },
      "Evaluation sample (2000)");
  lm->add_option_function<int>(
      "--epochs", [o](int v) { o->set_epochs(v); },
      "triplet/contrastive epochs (10); lmnn iterations (25)");
  lm->add_option_function<double>(
      "--learning-rate", [o](double v) { o->set_learning_rate(v); },
      "Adam step (0.01); lmnn step (0.1)");
  lm->add_option_function<double>(
      "--margin", [o](double v) { o->set_margin(v); },
      "Loss margin (0.2 triplet, 1.0 contrastive and lmnn)");
  lm->add_option_function<int>(
      "--batch-identities", [o](int v) { o->set_batch_identities(v); },
      "Identities per batch (32)");
  lm->add_option_function<int>(
      "--per-identity", [o](int v) { o->set_per_identity(v); },
      "Records per identity in a batch (4)");
  lm->add_option_function<int>(
      "--target-neighbors", [o](int v) { o->set_target_neighbors(v); },
      "lmnn: same-identity neighbours pulled in (3)");
  return lm;
}

}  // namespace metricdb
