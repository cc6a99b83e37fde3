// metric_eval: the engine's metric learners on prepared train/eval splits
// (bench/metric_eval.py writes them and runs scikit-learn's NCA on the same
// files). For each method: learning time on the training part, and on the
// evaluation part P@1, R-Precision, MAP@R, ROC AUC, EER (EvaluateRetrieval,
// leave-one-out among the evaluation records), beside Euclidean. One JSON
// object per line.
//
//   metric_eval --dir DIR --dataset NAME [--methods whitening,within_class,...]
//               [--repeats N]  (learning time: the median of N runs)
// reads DIR/NAME_train.npy, NAME_train_labels.txt, NAME_eval.npy,
// NAME_eval_labels.txt.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "absl/strings/str_split.h"
#include "bench/bench_util.h"
#include "client/loaders/matrix_file.h"
#include "client/loaders/npy_file.h"
#include "common/process_setup.h"
#include "engine/metric/learn_metric.h"
#include "engine/metric/retrieval_quality.h"

namespace {

using metricdb::LabelledData;
using metricdb::LearnMethod;
using metricdb::bench::Check;

LabelledData Read(const std::string& prefix) {
  const auto m = Check(metricdb::ReadNpy(prefix + ".npy"), "reading vectors");
  const auto names = Check(metricdb::ReadLines(prefix + "_labels.txt"), "reading labels");
  LabelledData d;
  d.dim = int32_t(m.cols);
  d.x = m.values;
  std::map<std::string, int32_t> ids;
  for (const auto& n : names) d.label.push_back(ids.emplace(n, int32_t(ids.size())).first->second);
  return d;
}

nlohmann::json ToJson(const metricdb::RetrievalQuality& q) {
  return {{"p_at_1", q.precision_at_1},
          {"r_precision", q.r_precision},
          {"map_at_r", q.map_at_r},
          {"roc_auc", q.roc_auc},
          {"eer", q.eer},
          {"queries", q.queries}};
}

}  // namespace

int main(int argc, char** argv) {
  // The learners run as they do in the server: under its tuned environment.
  metricdb::ReexecWithTunedEnvironment(argv);
  CLI::App app{"metricdb metric learners on a prepared split"};
  std::string dir, dataset, methods = "whitening,within_class,kissme,triplet,contrastive,lmnn";
  app.add_option("--dir", dir)->required();
  app.add_option("--dataset", dataset)->required();
  app.add_option("--methods", methods)->capture_default_str();
  double learning_rate = 0;
  int epochs = 0, d_out = 0;
  int64_t max_records = 0;
  app.add_option("--max-records", max_records,
                 "Train on a seeded sample of this many records (default: all)");
  app.add_option("--d-out", d_out, "Rows of L (default: dim)");
  app.add_option("--learning-rate", learning_rate, "Adam step (default: the engine's)");
  app.add_option("--epochs", epochs, "Epochs (default: the engine's)");
  int repeats = 1;
  app.add_option("--repeats", repeats,
                 "Learn each metric this many times; seconds = the median (learners are "
                 "deterministic, so the map is the same)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const LabelledData all_train = Read(dir + "/" + dataset + "_train");
  const LabelledData eval = Read(dir + "/" + dataset + "_eval");
  const LabelledData train =
      max_records > 0 ? metricdb::Subsample(all_train, max_records, 1) : all_train;

  nlohmann::json base = {
      {"dataset", dataset}, {"train", train.size()}, {"eval", eval.size()}, {"dim", train.dim}};
  nlohmann::json line = base;
  line["method"] = "euclidean";
  line["seconds"] = 0;
  line["quality"] =
      ToJson(metricdb::EvaluateRetrieval(eval.x.data(), eval.size(), eval.dim, eval.label, false));
  std::cout << line.dump() << std::endl;

  for (const std::string& name : std::vector<std::string>(absl::StrSplit(methods, ','))) {
    const std::optional<LearnMethod> method = metricdb::LearnMethodFromName(name);
    if (!method) {
      std::cerr << "--methods: unknown method " << name << "\n";
      return 1;
    }
    metricdb::LearnOptions options;
    if (learning_rate > 0) options.learning_rate = learning_rate;
    options.epochs = epochs;
    options.d_out = d_out;
    Check(metricdb::ResolveLearnOptions(*method, train.dim, &options), "options");
    // As LearnMetric samples: at most options.max_records (the method's default).
    const LabelledData sample = train.size() > options.max_records
                                    ? metricdb::Subsample(train, options.max_records, *options.seed)
                                    : train;
    absl::StatusOr<metricdb::LinearMap> map;
    std::vector<double> times;
    for (int r = 0; r < std::max(1, repeats); ++r) {
      const auto start = metricdb::bench::Clock::now();
      map = metricdb::LearnLinearMap(*method, sample, options, {});
      times.push_back(metricdb::bench::Seconds(start));
    }
    std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
    const double seconds = times[times.size() / 2];
    line = base;
    line["method"] = name;
    line["train"] = sample.size();
    line["seconds"] = seconds;
    if (!map.ok()) {
      line["error"] = map.status().ToString();
    } else {
      std::vector<float> mapped(size_t(eval.size()) * map->d_out);
      map->Apply(eval.x.data(), eval.size(), mapped.data());
      line["quality"] = ToJson(
          metricdb::EvaluateRetrieval(mapped.data(), eval.size(), map->d_out, eval.label, false));
    }
    std::cout << line.dump() << std::endl;
  }
  return 0;
}
