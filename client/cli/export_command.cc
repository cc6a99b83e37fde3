#include "client/cli/export_command.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "client/cli/json_format.h"
#include "client/loaders/matrix_file.h"

namespace metricdb {
namespace {

// A float32 .npy file written row by row; the row count goes into its
// header (a fixed-width field) when it is finished.
class NpyWriter {
 public:
  absl::Status Open(const std::string& path, int32_t cols) {
    out_.open(path, std::ios::binary | std::ios::trunc);
    if (!out_) return absl::UnavailableError("cannot write " + path);
    cols_ = cols;
    WriteHeader(0);
    return absl::OkStatus();
  }
  void Append(const float* v) {
    out_.write(reinterpret_cast<const char*>(v), std::streamsize(cols_ * sizeof(float)));
    ++rows_;
  }
  absl::Status Finish() {
    out_.seekp(0);
    WriteHeader(rows_);
    out_.close();
    return out_ ? absl::OkStatus() : absl::UnavailableError("writing vectors.npy failed");
  }
  int64_t rows() const { return rows_; }

 private:
  void WriteHeader(int64_t rows) {
    char shape[64];
    std::snprintf(shape, sizeof shape, "(%20lld, %d)", static_cast<long long>(rows), cols_);
    std::string header =
        std::string("{'descr': '<f4', 'fortran_order': False, 'shape': ") + shape + ", }";
    while ((10 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    out_.write("\x93NUMPY\x01\x00", 8);
    const char len[2] = {char(header.size() & 0xff), char(header.size() >> 8)};
    out_.write(len, 2);
    out_ << header;
  }
  std::ofstream out_;
  int32_t cols_ = 0;
  int64_t rows_ = 0;
};

absl::StatusOr<std::string> Slurp(const std::string& path) { return ReadFileBytes(path); }

}  // namespace

int RunExport(CliContext& ctx, const ExportArgs& args) {
  auto info = ctx.client->GetCollection(args.collection);
  if (!info.ok()) return Fail(info.status());
  std::error_code ec;
  std::filesystem::create_directories(args.dir, ec);
  if (ec) return Fail(absl::UnavailableError("cannot create " + args.dir + ": " + ec.message()));
  const std::string dir = args.dir + "/";
  std::ofstream(dir + "schema.json") << ToJsonLine(info->schema()) << "\n";
  // Metric versions with their maps, oldest first.
  auto metrics = ctx.client->ListMetrics(args.collection);
  if (!metrics.ok()) return Fail(metrics.status());
  {
    std::ofstream out(dir + "metrics.jsonl");
    for (const v1::MetricVersion& v : metrics->versions()) {
      v1::GetMetricRequest req;
      req.set_collection(args.collection);
      req.set_version(v.version());
      req.set_include_map(true);
      auto full = ctx.client->GetMetric(req);
      if (!full.ok()) return Fail(full.status());
      out << ToJsonLine(*full) << "\n";
    }
    out << nlohmann::json{{"active_version", metrics->active_version()}}.dump() << "\n";
  }
  // Records, a page at a time: memory holds one page.
  NpyWriter vectors;
  if (auto s = vectors.Open(dir + "vectors.npy", info->schema().dim()); !s.ok()) return Fail(s);
  std::ofstream records(dir + "records.jsonl");
  v1::ScanRequest scan;
  scan.set_collection(args.collection);
  scan.set_include_vectors(true);
  scan.set_limit(args.page_size);
  for (bool more = true; more;) {
    auto page = ctx.client->Scan(scan);
    if (!page.ok()) return Fail(page.status());
    for (const v1::Record& r : page->records()) {
      vectors.Append(r.vector().data());
      nlohmann::json row = ToJson(r);  // as `get` and `scan` print it; the vector is in the .npy
      row.erase("vector");
      records << row.dump() << "\n";
    }
    scan.set_after(page->next());
    more = page->more();
  }
  records.close();
  if (!records) return Fail(absl::UnavailableError("writing records.jsonl failed"));
  if (auto s = vectors.Finish(); !s.ok()) return Fail(s);  // the row count last
  if (ctx.json) {
    std::cout << nlohmann::json{{"collection", args.collection},
                                {"records", vectors.rows()},
                                {"metric_versions", metrics->versions_size()},
                                {"dir", args.dir}}
                     .dump()
              << "\n";
  } else {
    std::cout << "exported " << vectors.rows() << " records and " << metrics->versions_size()
              << " metric versions of " << args.collection << " to " << args.dir << "\n";
  }
  return 0;
}

absl::StatusOr<ExportedRows> ReadExportedRows(const std::string& dir) {
  ExportedRows out;
  auto schema = Slurp(dir + "/schema.json");
  if (!schema.ok()) return schema.status();
  if (!google::protobuf::util::JsonStringToMessage(*schema, &out.schema).ok()) {
    return absl::InvalidArgumentError(dir + "/schema.json: not a collection schema");
  }
  auto lines = ReadLines(dir + "/records.jsonl");
  if (!lines.ok()) return lines.status();
  for (size_t i = 0; i < lines->size(); ++i) {
    try {
      const nlohmann::json row = nlohmann::json::parse((*lines)[i]);
      out.keys.push_back(row.at("key").get<std::string>());
      out.labels.push_back(row.value("label", std::string()));
      out.attributes.push_back(row.value("attributes", nlohmann::json::object())
                                   .get<std::map<std::string, std::string>>());
      out.expires_unix_ms.push_back(row.value("expires_unix_ms", int64_t{0}));
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat(dir, "/records.jsonl: line ", i + 1, ": ", e.what()));
    }
  }
  return out;
}

absl::Status CreateFromExport(CliContext& ctx, const std::string& collection,
                              const ExportedRows& rows) {
  v1::CollectionSchema schema = rows.schema;
  schema.set_name(collection);
  schema.clear_active_metric();  // output-only fields
  schema.clear_metric_version();
  return ctx.client->CreateCollection(schema).status();
}

absl::Status ImportMetrics(CliContext& ctx, const std::string& collection, const std::string& dir) {
  auto lines = ReadLines(dir + "/metrics.jsonl");
  if (!lines.ok()) return lines.status();
  int32_t active = 0;
  for (const std::string& line : *lines) {
    try {
      const nlohmann::json j = nlohmann::json::parse(line);
      if (j.contains("active_version")) {
        active = j.at("active_version").get<int32_t>();
        continue;
      }
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(dir, "/metrics.jsonl: ", e.what()));
    }
    v1::MetricVersion version;
    if (!google::protobuf::util::JsonStringToMessage(line, &version).ok()) {
      return absl::InvalidArgumentError(dir + "/metrics.jsonl: a line is not a metric version");
    }
    v1::SetMetricRequest req;
    req.set_collection(collection);
    req.set_d_out(version.d_out());
    *req.mutable_map() = version.map();
    auto stored = ctx.client->SetMetric(req);
    if (!stored.ok()) return stored.status();
    if (stored->version() != version.version()) {
      return absl::FailedPreconditionError(
          absl::StrCat("metric version ", version.version(), " was stored as ", stored->version(),
                       ": load an export's metrics into a new collection"));
    }
  }
  if (active > 0) return ctx.client->ActivateMetric(collection, active).status();
  return absl::OkStatus();
}

}  // namespace metricdb
