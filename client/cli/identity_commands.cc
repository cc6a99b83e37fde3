// identify, verify, calibrate, cluster: identity queries from the command
// line.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/json_format.h"

namespace metricdb {
namespace {

absl::StatusOr<v1::Aggregation> ParseAggregation(const std::string& a) {
  if (a == "min") return v1::MIN;
  if (a == "mean") return v1::MEAN;
  if (a == "votes") return v1::VOTES;
  return absl::InvalidArgumentError("--aggregation: must be min, mean or votes, got " + a);
}

// The aggregation and threshold fields shared by identify and verify.
template <typename Request>
absl::Status SetDecision(const std::string& aggregation, int top_n, const ThresholdArgs& t,
                         Request* req) {
  auto parsed = ParseAggregation(aggregation);
  if (!parsed.ok()) return parsed.status();
  req->set_aggregation(*parsed);
  req->set_top_n(top_n);
  if (t.threshold) req->set_threshold(*t.threshold);
  if (t.far) req->set_far(*t.far);
  return absl::OkStatus();
}

absl::Status ParseSide(const std::string& text, v1::VerifySide* side) {
  if (absl::StartsWith(text, "key:")) {
    side->set_key(text.substr(4));
  } else if (absl::StartsWith(text, "label:")) {
    side->set_label(text.substr(6));
  } else if (absl::StartsWith(text, "vec:")) {
    auto v = ParseVectorFlag(text.substr(4), "vec:");
    if (!v.ok()) return v.status();
    side->mutable_vector()->mutable_values()->Add(v->values.begin(), v->values.end());
  } else {
    return absl::InvalidArgumentError("\"" + text +
                                      "\": a side is key:KEY, label:LABEL or vec:V1,V2,...");
  }
  return absl::OkStatus();
}

bool ShowProgress(const std::string& mode, const CliContext& ctx) {
  return mode == "always" || (mode == "auto" && isatty(STDERR_FILENO) && !ctx.json);
}

}  // namespace

int RunIdentify(CliContext& ctx, const IdentifyArgs& args) {
  v1::IdentifyRequest req;
  req.set_collection(args.collection);
  req.set_filter(args.filter);
  if (!args.file.empty()) {
    auto m = ReadMatrixFile(args.file, args.file_options);
    if (!m.ok()) return Fail(m.status());
    for (int64_t i = 0; i < m->rows; ++i) {
      req.add_queries()->mutable_values()->Add(m->row(i), m->row(i) + m->cols);
    }
  }
  if (!args.vector.empty()) {
    auto v = ParseVectorFlag(args.vector, "--vector");
    if (!v.ok()) return Fail(v.status());
    req.add_queries()->mutable_values()->Add(v->values.begin(), v->values.end());
  }
  for (const auto& k : args.keys) req.add_query_keys(k);
  req.set_top_identities(args.top);
  req.set_depth(args.depth);
  if (auto s = SetDecision(args.aggregation, args.top_n, args.threshold, &req); !s.ok()) {
    return Fail(s);
  }
  auto resp = ctx.client->Identify(req);
  if (!resp.ok()) return Fail(resp.status());
  for (int q = 0; q < resp->results_size(); ++q) {
    const v1::IdentifyResult& r = resp->results(q);
    if (ctx.json) {
      nlohmann::json ids = nlohmann::json::array();
      for (const auto& m : r.identities()) {
        ids.push_back({{"label", m.label()},
                       {"score", m.score()},
                       {"distance", m.distance()},
                       {"keys", std::vector<std::string>(m.keys().begin(), m.keys().end())}});
      }
      nlohmann::json line = {{"query", q}, {"unknown", r.unknown()}, {"identities", ids}};
      if (resp->has_threshold()) line["threshold"] = resp->threshold();
      std::cout << line.dump() << "\n";
      continue;
    }
    std::cout << "query " << q << ": " << (r.unknown() ? "unknown" : "identified");
    if (resp->has_threshold()) std::cout << " (threshold " << resp->threshold() << ")";
    std::cout << "\n";
    for (const auto& m : r.identities()) {
      std::cout << "  " << m.label() << "\tdistance " << m.distance() << "\tscore " << m.score()
                << "\t" << m.keys_size() << " candidate(s)\n";
    }
  }
  return 0;
}

int RunVerify(CliContext& ctx, const VerifyArgs& args) {
  if (args.sides.empty() || args.sides.size() % 2 != 0) {
    return Fail(absl::InvalidArgumentError(
        "give pairs of sides: SIDE SIDE [SIDE SIDE ...], each key:K, label:L or vec:V1,..."));
  }
  v1::VerifyRequest req;
  req.set_collection(args.collection);
  req.set_filter(args.filter);
  for (size_t i = 0; i < args.sides.size(); i += 2) {
    v1::VerifyPair* pair = req.add_pairs();
    if (auto s = ParseSide(args.sides[i], pair->mutable_a()); !s.ok()) return Fail(s);
    if (auto s = ParseSide(args.sides[i + 1], pair->mutable_b()); !s.ok()) return Fail(s);
  }
  if (auto s = SetDecision(args.aggregation, args.top_n, args.threshold, &req); !s.ok()) {
    return Fail(s);
  }
  auto resp = ctx.client->Verify(req);
  if (!resp.ok()) return Fail(resp.status());
  for (int i = 0; i < resp->results_size(); ++i) {
    const auto& r = resp->results(i);
    if (ctx.json) {
      std::cout << nlohmann::json{{"pair", i},
                                  {"distance", r.distance()},
                                  {"same", r.same()},
                                  {"threshold", resp->threshold()}}
                       .dump()
                << "\n";
    } else {
      std::cout << args.sides[2 * i] << " vs " << args.sides[2 * i + 1] << ": "
                << (r.same() ? "same" : "different") << " (distance " << r.distance()
                << ", threshold " << resp->threshold() << ")\n";
    }
  }
  return 0;
}

int RunCalibrate(CliContext& ctx, const CalibrateArgs& args) {
  absl::StatusOr<v1::Calibration> c;
  if (args.show) {
    c = ctx.client->GetCalibration(args.collection);
  } else {
    v1::CalibrateRequest req;
    req.set_collection(args.collection);
    req.set_filter(args.filter);
    for (double f : args.fars) req.add_target_fars(f);
    req.set_holdout_fraction(args.holdout);
    if (args.seed) req.set_seed(*args.seed);
    req.set_max_records(args.max_records);
    c = ctx.client->Calibrate(req);
  }
  if (!c.ok()) return Fail(c.status());
  if (ctx.json) {
    std::cout << ToJsonLine(*c) << "\n";
    return 0;
  }
  std::printf("%s: calibrated under metric version %d%s on %lld genuine / %lld impostor pairs\n",
              args.collection.c_str(), c->metric_version(), c->stale() ? " (STALE)" : "",
              (long long)c->genuine_pairs(), (long long)c->impostor_pairs());
  std::printf("  ROC AUC %.4f, EER %.4f at threshold %.4f\n", c->roc_auc(), c->eer(),
              c->eer_threshold());
  const bool held = c->holdout_impostor_pairs() > 0;
  std::printf("  %-10s %-10s %-8s %-8s%s\n", "target FAR", "threshold", "FAR", "TAR",
              held ? "  held-out FAR / TAR" : "");
  for (const auto& p : c->points()) {
    std::printf("  %-10g %-10.4f %-8.5f %-8.4f", p.target_far(), p.threshold(), p.far(), p.tar());
    if (held) std::printf("  %.5f / %.4f", p.holdout_far(), p.holdout_tar());
    std::printf("\n");
  }
  return 0;
}

int RunCluster(CliContext& ctx, const ClusterArgs& args) {
  v1::ClusterRequest req;
  req.set_collection(args.collection);
  req.set_filter(args.filter);
  if (args.method == "kmeans") {
    req.set_method(v1::KMEANS);
  } else if (args.method == "threshold") {
    req.set_method(v1::THRESHOLD);
  } else {
    return Fail(
        absl::InvalidArgumentError("--method: must be kmeans or threshold, got " + args.method));
  }
  if (args.scope == "labelled") {
    req.set_scope(v1::LABELLED_RECORDS);
  } else if (args.scope == "unlabelled") {
    req.set_scope(v1::UNLABELLED_RECORDS);
  }
  for (const auto& l : args.labels) req.add_labels(l);
  req.set_k(args.k);
  req.set_iterations(args.iterations);
  if (args.seed) req.set_seed(*args.seed);
  if (args.threshold.threshold) req.set_threshold(*args.threshold.threshold);
  if (args.threshold.far) req.set_far(*args.threshold.far);
  req.set_neighbors(args.neighbors);
  req.set_linkage(args.linkage == "average" ? v1::AVERAGE : v1::SINGLE);
  req.set_write_labels(args.write_labels);
  req.set_label_prefix(args.label_prefix);
  const bool show = ShowProgress(args.progress, ctx);
  auto r = ctx.client->Cluster(req, [&](const v1::LearnProgress& p) {
    if (!show) return;
    std::fprintf(stderr, "\r%-10s %lld/%lld  %.1f s   ", p.phase().c_str(),
                 (long long)p.iteration(), (long long)p.iterations(), p.elapsed_seconds());
    std::fflush(stderr);
  });
  if (show) std::fputc('\n', stderr);
  if (!r.ok()) return Fail(r.status());
  if (ctx.json) {
    std::cout << ToJsonLine(*r) << "\n";
    return 0;
  }
  std::printf("%d clusters of %d records in %.2f s", r->clusters(), r->assignments_size(),
              r->seconds());
  if (req.method() == v1::KMEANS) std::printf(", inertia %.6g", r->inertia());
  if (req.method() == v1::THRESHOLD) std::printf(", threshold %.4f", r->threshold());
  std::printf("\n");
  if (r->has_quality()) {
    const auto& q = r->quality();
    std::printf(
        "  against the labels of %lld records: NMI %.4f  AMI %.4f  pairwise F %.4f  "
        "BCubed F %.4f\n",
        (long long)q.records(), q.nmi(), q.ami(), q.pairwise_f(), q.bcubed_f());
  }
  if (r->labels_written() > 0) {
    std::printf("  labelled %lld unlabelled records\n", (long long)r->labels_written());
  }
  for (const auto& a : r->assignments()) std::printf("%s\t%d\n", a.key().c_str(), a.cluster());
  return 0;
}

}  // namespace metricdb
