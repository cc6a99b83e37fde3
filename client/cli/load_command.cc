// metricdb load: streams a file of vectors into a collection in atomic,
// acknowledged batches. The file, its labels and keys are checked completely
// before the first batch is sent, so a bad file writes nothing.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/json_format.h"
#include "client/cli/progress_bar.h"

namespace metricdb {
namespace {

absl::Status CheckFinite(const Matrix& m, const std::string& file) {
  for (int64_t i = 0; i < m.rows * m.cols; ++i) {
    if (!std::isfinite(m.values[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ": row ", i / m.cols, " column ", i % m.cols, " is ",
                       m.values[i], "; vectors must be finite"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> LoadKeys(const LoadArgs& args, int64_t rows) {
  std::vector<std::string> keys;
  if (args.keys_file.empty()) {
    keys.reserve(rows);
    for (int64_t i = 0; i < rows; ++i) keys.push_back(absl::StrCat(args.key_prefix, i));
    return keys;
  }
  auto lines = ReadLines(args.keys_file);
  if (!lines.ok()) return lines.status();
  if (int64_t(lines->size()) != rows) {
    return absl::InvalidArgumentError(absl::StrCat(
        args.keys_file, ": has ", lines->size(), " keys, ", args.file, " has ", rows,
        " rows"));
  }
  std::unordered_map<std::string, size_t> seen;
  for (size_t i = 0; i < lines->size(); ++i) {
    auto [it, added] = seen.emplace((*lines)[i], i);
    if (!added) {
      return absl::InvalidArgumentError(absl::StrCat(
          args.keys_file, ": key \"", (*lines)[i], "\" on lines ", it->second + 1,
          " and ", i + 1));
    }
  }
  return std::move(*lines);
}

absl::StatusOr<std::optional<std::vector<std::string>>> LoadLabels(
    const LoadArgs& args, Matrix& m) {
  if (args.labels_file.empty()) return std::move(m.labels);
  if (m.labels) {
    return absl::InvalidArgumentError(
        "--labels and --label-column both give labels; use one");
  }
  auto lines = ReadLines(args.labels_file);
  if (!lines.ok()) return lines.status();
  if (int64_t(lines->size()) != m.rows) {
    return absl::InvalidArgumentError(absl::StrCat(
        args.labels_file, ": has ", lines->size(), " labels, ", args.file, " has ",
        m.rows, " rows"));
  }
  return std::optional<std::vector<std::string>>(std::move(*lines));
}

}  // namespace

int RunLoad(CliContext& ctx, const LoadArgs& args) {
  auto matrix = ReadMatrixFile(args.file, args.file_options);
  if (!matrix.ok()) return Fail(matrix.status());
  if (auto s = CheckFinite(*matrix, args.file); !s.ok()) return Fail(s);
  auto keys = LoadKeys(args, matrix->rows);
  if (!keys.ok()) return Fail(keys.status());
  auto labels = LoadLabels(args, *matrix);
  if (!labels.ok()) return Fail(labels.status());
  for (size_t i = 0; *labels && i < (*labels)->size(); ++i) {
    if ((**labels)[i].empty()) {
      return Fail(absl::InvalidArgumentError(
          absl::StrCat("label of row ", i, " is empty")));
    }
  }
  auto info = ctx.client->GetCollection(args.collection);
  if (!info.ok()) return Fail(info.status());
  if (info->schema().dim() != matrix->cols) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
        args.file, ": vectors have dim ", matrix->cols, ", collection \"",
        args.collection, "\" has dim ", info->schema().dim())));
  }

  const int64_t rows = matrix->rows;
  int64_t batch_size = args.batch_size;
  if (batch_size <= 0) {
    batch_size = std::max<int64_t>(1, (4 << 20) / (matrix->cols * 4 + 64));
  }
  const bool show = args.progress == "always" ||
                    (args.progress == "auto" && isatty(STDOUT_FILENO) && !ctx.json);
  ProgressBar bar(rows, "vectors", show);
  const auto start = std::chrono::steady_clock::now();
  auto stream = ctx.client->OpenUpsertStream(8);
  int64_t sent = 0;
  absl::Status write_status;
  while (sent < rows && write_status.ok()) {
    const int64_t end = std::min(rows, sent + batch_size);
    v1::UpsertRequest batch;
    batch.set_collection(args.collection);
    batch.mutable_records()->Reserve(int(end - sent));
    for (int64_t i = sent; i < end; ++i) {
      v1::Record* r = batch.add_records();
      r->set_key((*keys)[i]);
      r->mutable_vector()->Add(matrix->row(i), matrix->row(i) + matrix->cols);
      if (*labels) r->set_label((**labels)[i]);
    }
    write_status = stream->Write(batch);
    sent = end;
    const auto t = stream->totals();
    bar.Update(t.inserted + t.replaced);
  }
  absl::Status s = stream->Finish();
  const auto totals = stream->totals();
  bar.Finish(totals.inserted + totals.replaced);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int64_t stored = totals.inserted + totals.replaced;
  if (!s.ok()) {
    Fail(s);
    std::cerr << "stored " << stored << " of " << rows
              << " records before the error (acknowledged batches are durable)\n";
    return 1;
  }
  const double rate = seconds > 0 ? stored / seconds : 0;
  if (ctx.json) {
    std::cout << nlohmann::json{{"collection", args.collection},
                                {"records", stored},
                                {"inserted", totals.inserted},
                                {"replaced", totals.replaced},
                                {"batches", totals.batches},
                                {"seconds", seconds},
                                {"vectors_per_second", rate}}
                     .dump()
              << "\n";
  } else {
    std::printf("loaded %lld records into %s (%lld new, %lld replaced) in %.2fs, %.0f vectors/s\n",
                (long long)stored, args.collection.c_str(), (long long)totals.inserted,
                (long long)totals.replaced, seconds, rate);
  }
  return 0;
}

}  // namespace metricdb
