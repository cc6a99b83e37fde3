#include "engine/identity/calibrate.h"

#include <chrono>
#include <cmath>
#include <random>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "engine/base/out_of_memory.h"
#include "engine/metric/labelled_data.h"

namespace metricdb {
namespace {

struct PairDistances {
  std::vector<float> genuine, impostor;
};

// Distances of genuine and impostor pairs of `data` (metric-space rows):
// every pair of a kind when there are at most `max` of it, else `max` pairs
// drawn uniformly.
PairDistances SamplePairs(const std::vector<float>& x, const MetricSpace& space,
                          const std::vector<int32_t>& label, int64_t max_genuine,
                          int64_t max_impostor, uint64_t seed) {
  const int64_t n = int64_t(label.size());
  const int dim = space.dim;
  std::mt19937_64 rng(seed);
  PairDistances out;
  std::unordered_map<int32_t, std::vector<int64_t>> members;
  for (int64_t i = 0; i < n; ++i) members[label[i]].push_back(i);
  std::vector<const std::vector<int64_t>*> groups;
  std::vector<double> weights;
  double genuine_total = 0;
  for (const auto& [l, m] : members) {
    const double pairs = double(m.size()) * double(m.size() - 1) / 2;
    if (pairs > 0) {
      groups.push_back(&m);
      weights.push_back(pairs);
      genuine_total += pairs;
    }
  }
  auto distance = [&](int64_t i, int64_t j) {
    return float(space.Distance(x.data() + i * dim, x.data() + j * dim));
  };
  if (genuine_total <= double(max_genuine)) {
    for (const auto* m : groups) {
      for (size_t a = 0; a < m->size(); ++a) {
        for (size_t b = a + 1; b < m->size(); ++b) {
          out.genuine.push_back(distance((*m)[a], (*m)[b]));
        }
      }
    }
  } else if (!groups.empty()) {
    std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
    for (int64_t p = 0; p < max_genuine; ++p) {
      const auto& m = *groups[pick(rng)];
      std::uniform_int_distribution<size_t> member(0, m.size() - 1);
      const size_t a = member(rng);
      size_t b = member(rng);
      while (b == a) b = member(rng);
      out.genuine.push_back(distance(m[a], m[b]));
    }
  }
  const double impostor_total = double(n) * double(n - 1) / 2 - genuine_total;
  if (impostor_total <= double(max_impostor)) {
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = i + 1; j < n; ++j) {
        if (label[i] != label[j]) out.impostor.push_back(distance(i, j));
      }
    }
  } else {
    std::uniform_int_distribution<int64_t> record(0, n - 1);
    while (int64_t(out.impostor.size()) < max_impostor) {
      const int64_t i = record(rng), j = record(rng);
      if (label[i] != label[j]) out.impostor.push_back(distance(i, j));
    }
  }
  return out;
}

absl::Status Resolve(int32_t dim, CalibrateOptions* o) {
  if (o->target_fars.empty()) o->target_fars = {1e-2, 1e-3, 1e-4};
  for (size_t i = 0; i < o->target_fars.size(); ++i) {
    const double f = o->target_fars[i];
    if (!(f > 0 && f < 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("target_fars[", i, "]: must be in (0, 1), got ", f));
    }
  }
  auto records = ResolveSampleSize(o->max_records, 20000, dim, "options.max_records");
  if (!records.ok()) return records.status();
  o->max_records = *records;
  if (o->max_genuine_pairs == 0) o->max_genuine_pairs = 200000;
  if (o->max_impostor_pairs == 0) o->max_impostor_pairs = 2000000;
  if (!o->seed) o->seed = 1;
  if (o->curve_points == 0) o->curve_points = 50;
  struct Range {
    const char* name;
    double value, lo, hi;
  };
  for (const Range& r : {Range{"max_records", double(o->max_records), 4, 1e7},
                         Range{"max_genuine_pairs", double(o->max_genuine_pairs), 1, 1e8},
                         Range{"max_impostor_pairs", double(o->max_impostor_pairs), 1, 1e8},
                         Range{"holdout_fraction", o->holdout_fraction, 0, 0.9},
                         Range{"curve_points", double(o->curve_points), 2, 1000}}) {
    if (!(r.value >= r.lo && r.value <= r.hi)) {
      return absl::InvalidArgumentError(
          absl::StrCat("options.", r.name, ": must be in [", r.lo, ", ", r.hi, "], got ", r.value));
    }
  }
  return absl::OkStatus();
}

absl::Status NeedPairs(const LabelledData& d, const char* part) {
  if (d.CountIdentities() < 2 || d.CountRepeatedIdentities() == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "calibration needs labelled records of at least 2 identities, one of them with two "
        "or more records; the ",
        part, " has ", d.CountIdentities(), " identities, ", d.CountRepeatedIdentities(),
        " with two or more"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Calibration> CalibrateUnguarded(RecordSource& c, CalibrateOptions o) {
  if (auto s = Resolve(c.schema().dim, &o); !s.ok()) return s;
  const int32_t version = c.schema().metric_version;
  auto all = SampleLabelled(c, o.max_records, *o.seed, o.filter);
  if (!all.ok()) return all.status();
  if (auto s = NeedPairs(*all, "collection"); !s.ok()) return s;
  LabelledData calib, held;
  SplitHoldout(*all, HoldoutSplit::kByIdentity, o.holdout_fraction, *o.seed, &calib, &held);
  if (auto s = NeedPairs(calib, "calibration part"); !s.ok()) return s;
  if (o.holdout_fraction > 0) {
    if (auto s = NeedPairs(held, "hold-out"); !s.ok()) return s;
  }

  MetricSpace space;
  const std::vector<float> x = c.RowsToMetricSpace(calib.x, &space);
  PairDistances pairs =
      SamplePairs(x, space, calib.label, o.max_genuine_pairs, o.max_impostor_pairs, *o.seed);
  Calibration out;
  out.metric_version = version;
  out.created_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  out.genuine_pairs = int64_t(pairs.genuine.size());
  out.impostor_pairs = int64_t(pairs.impostor.size());
  const Roc roc(std::move(pairs.genuine), std::move(pairs.impostor));
  out.roc_auc = roc.Auc();
  out.eer = roc.Eer(&out.eer_threshold);
  out.curve = roc.Curve(o.curve_points);
  std::optional<Roc> held_roc;
  if (o.holdout_fraction > 0) {
    MetricSpace held_space;
    const std::vector<float> hx = c.RowsToMetricSpace(held.x, &held_space);
    PairDistances hp = SamplePairs(hx, held_space, held.label, o.max_genuine_pairs,
                                   o.max_impostor_pairs, *o.seed + 1);
    out.holdout_genuine_pairs = int64_t(hp.genuine.size());
    out.holdout_impostor_pairs = int64_t(hp.impostor.size());
    held_roc.emplace(std::move(hp.genuine), std::move(hp.impostor));
  }
  for (double target : o.target_fars) {
    const RocPoint p = roc.AtFar(target);
    CalibrationPoint point{target, p.threshold, p.far, p.tar, 0, 0};
    if (held_roc) {
      const RocPoint h = held_roc->At(p.threshold);
      point.holdout_far = h.far;
      point.holdout_tar = h.tar;
    }
    out.points.push_back(point);
  }
  if (c.schema().metric_version != version) {
    return absl::AbortedError("the metric changed during calibration; run it again");
  }
  if (auto s = StoreCalibration(c, out); !s.ok()) return s;
  return out;
}

}  // namespace

absl::StatusOr<Calibration> Calibrate(RecordSource& c, CalibrateOptions options) {
  return GuardMemory("calibrating", [&] { return CalibrateUnguarded(c, std::move(options)); });
}

}  // namespace metricdb
