// metricdb load: streams a file of vectors into a collection in atomic,
// acknowledged batches. The file, its labels, keys and attributes (against
// the collection's declared types) are checked completely
// before the first batch is sent, so a bad file writes nothing; .npy and
// .fvecs files are read a batch at a time (RowReader), twice: to check, then
// to send.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/export_command.h"
#include "client/cli/json_format.h"
#include "client/cli/progress_bar.h"
#include "client/loaders/row_reader.h"
#include "engine/base/attribute_types.h"

namespace metricdb {
namespace {

// Every value of rows [first, first + rows) (row-major in `v`) is finite.
absl::Status CheckFinite(const float* v, int64_t first, int64_t rows, int64_t cols,
                         const std::string& file) {
  for (int64_t i = 0; i < rows * cols; ++i) {
    if (!std::isfinite(v[i])) {
      return absl::InvalidArgumentError(absl::StrCat(file, ": row ", first + i / cols, " column ",
                                                     i % cols, " is ", v[i],
                                                     "; vectors must be finite"));
    }
  }
  return absl::OkStatus();
}

// The keys of --keys, checked for duplicates; empty without the flag (each
// row's key is then the prefix and the row's number, made as it is sent).
absl::StatusOr<std::vector<std::string>> LoadKeys(const LoadArgs& args, int64_t rows) {
  if (args.keys_file.empty()) return std::vector<std::string>();
  auto lines = ReadLines(args.keys_file);
  if (!lines.ok()) return lines.status();
  if (int64_t(lines->size()) != rows) {
    return absl::InvalidArgumentError(absl::StrCat(args.keys_file, ": has ", lines->size(),
                                                   " keys, ", args.file, " has ", rows, " rows"));
  }
  std::unordered_map<std::string, size_t> seen;
  for (size_t i = 0; i < lines->size(); ++i) {
    auto [it, added] = seen.emplace((*lines)[i], i);
    if (!added) {
      return absl::InvalidArgumentError(absl::StrCat(
          args.keys_file, ": key \"", (*lines)[i], "\" on lines ", it->second + 1, " and ", i + 1));
    }
  }
  return std::move(*lines);
}

absl::StatusOr<std::optional<std::vector<std::string>>> LoadLabels(const LoadArgs& args,
                                                                   RowReader& reader) {
  std::optional<std::vector<std::string>> in_file = reader.TakeLabels();
  if (args.labels_file.empty()) return in_file;
  if (in_file) {
    return absl::InvalidArgumentError("--labels and --label-column both give labels; use one");
  }
  auto lines = ReadLines(args.labels_file);
  if (!lines.ok()) return lines.status();
  if (int64_t(lines->size()) != reader.rows()) {
    return absl::InvalidArgumentError(absl::StrCat(args.labels_file, ": has ", lines->size(),
                                                   " labels, ", args.file, " has ", reader.rows(),
                                                   " rows"));
  }
  return std::optional<std::vector<std::string>>(std::move(*lines));
}

// A JSON-lines attribute value as the text the server stores: strings as
// they are, numbers as written, booleans as true/false; null: none.
absl::StatusOr<std::optional<std::string>> AttributeText(const nlohmann::json& v) {
  if (v.is_null()) return std::optional<std::string>();
  if (v.is_string()) return std::optional<std::string>(v.get<std::string>());
  if (v.is_boolean() || v.is_number()) return std::optional<std::string>(v.dump());
  return absl::InvalidArgumentError("must be a string, a number, true, false or null");
}

// Each row's attributes: the file's own (CSV attribute columns) and those of
// --attributes (JSON lines), merged; a field given by both is an error, and
// values of the collection's declared fields must read as their types.
absl::StatusOr<std::optional<std::vector<std::map<std::string, std::string>>>> LoadAttributes(
    const LoadArgs& args, RowReader& reader, const v1::CollectionSchema& schema,
    std::optional<std::vector<std::map<std::string, std::string>>> attributes) {
  if (!attributes) attributes = reader.TakeAttributes();
  if (!args.attributes_file.empty()) {
    auto lines = ReadLines(args.attributes_file);
    if (!lines.ok()) return lines.status();
    if (int64_t(lines->size()) != reader.rows()) {
      return absl::InvalidArgumentError(absl::StrCat(args.attributes_file, ": has ", lines->size(),
                                                     " lines, ", args.file, " has ", reader.rows(),
                                                     " rows"));
    }
    if (!attributes) attributes.emplace(lines->size());
    for (size_t i = 0; i < lines->size(); ++i) {
      const std::string at = absl::StrCat(args.attributes_file, ": line ", i + 1);
      nlohmann::json object;
      try {
        object = nlohmann::json::parse((*lines)[i]);
      } catch (const std::exception& e) {
        return absl::InvalidArgumentError(absl::StrCat(at, ": ", e.what()));
      }
      if (!object.is_object()) return absl::InvalidArgumentError(at + ": not a JSON object");
      for (const auto& [name, value] : object.items()) {
        auto text = AttributeText(value);
        if (!text.ok())
          return absl::InvalidArgumentError(
              absl::StrCat(at, ": \"", name, "\" ", text.status().message()));
        if (!*text) continue;
        if (!(*attributes)[i].emplace(name, **text).second) {
          return absl::InvalidArgumentError(
              absl::StrCat(at, ": \"", name, "\" is given by the CSV file too"));
        }
      }
    }
  }
  for (size_t i = 0; attributes && i < attributes->size(); ++i) {
    for (const v1::AttributeField& field : schema.attributes()) {
      auto it = (*attributes)[i].find(field.name());
      if (it == (*attributes)[i].end()) continue;
      if (auto s = CheckAttributeValue(AttributeType(field.type()), it->second,
                                       absl::StrCat("row ", i, " attribute ", field.name()));
          !s.ok()) {
        return s;
      }
    }
  }
  return attributes;
}

}  // namespace

int RunLoad(CliContext& ctx, const LoadArgs& given) {
  // An export directory: its files stand for the file and the flags.
  LoadArgs args = given;
  std::optional<ExportedRows> exported;
  if (std::filesystem::is_directory(given.file)) {
    if (!given.keys_file.empty() || !given.labels_file.empty() || !given.attributes_file.empty()) {
      return Fail(absl::InvalidArgumentError(
          "an export directory carries its own keys, labels and attributes: drop --keys, "
          "--labels and --attributes"));
    }
    auto read = ReadExportedRows(given.file);
    if (!read.ok()) return Fail(read.status());
    exported = std::move(*read);
    args.file = given.file + "/vectors.npy";
    args.file_options = MatrixFileOptions();
  }
  auto reader = OpenRowReader(args.file, args.file_options);
  if (!reader.ok()) return Fail(reader.status());
  const int64_t rows = (*reader)->rows(), cols = (*reader)->cols();
  if (exported && int64_t(exported->keys.size()) != rows) {
    return Fail(
        absl::DataLossError(absl::StrCat(given.file, ": records.jsonl has ", exported->keys.size(),
                                         " rows, vectors.npy ", rows, ": an incomplete export")));
  }
  int64_t batch_size = args.batch_size;
  if (batch_size <= 0) batch_size = std::max<int64_t>(1, (4 << 20) / (cols * 4 + 64));
  // One batch of the file in memory at a time: a first pass checks every
  // value, the second sends them.
  std::vector<float> block(size_t(std::min(rows, batch_size)) * size_t(cols));
  for (int64_t first = 0; first < rows; first += batch_size) {
    const int64_t n = std::min(batch_size, rows - first);
    if (auto s = (*reader)->Read(first, n, block.data()); !s.ok()) return Fail(s);
    if (auto s = CheckFinite(block.data(), first, n, cols, args.file); !s.ok()) return Fail(s);
  }
  auto keys = exported ? exported->keys : LoadKeys(args, rows);
  if (!keys.ok()) return Fail(keys.status());
  // Labels; in an export "" stands for an unlabelled record.
  auto labels = exported ? std::optional<std::vector<std::string>>(exported->labels)
                         : LoadLabels(args, **reader);
  if (!labels.ok()) return Fail(labels.status());
  for (size_t i = 0; !exported && *labels && i < (*labels)->size(); ++i) {
    if ((**labels)[i].empty()) {
      return Fail(absl::InvalidArgumentError(absl::StrCat("label of row ", i, " is empty")));
    }
  }
  auto info = ctx.client->GetCollection(args.collection);
  bool created = false;
  if (exported && info.status().code() == absl::StatusCode::kNotFound) {
    if (auto s = CreateFromExport(ctx, args.collection, *exported); !s.ok()) return Fail(s);
    created = true;
    info = ctx.client->GetCollection(args.collection);
  }
  if (!info.ok()) return Fail(info.status());
  if (info->schema().dim() != cols) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(args.file, ": vectors have dim ", cols,
                                                        ", collection \"", args.collection,
                                                        "\" has dim ", info->schema().dim())));
  }
  auto attributes =
      LoadAttributes(args, **reader, info->schema(),
                     exported ? std::make_optional(std::move(exported->attributes)) : std::nullopt);
  if (!attributes.ok()) return Fail(attributes.status());

  const bool show =
      args.progress == "always" || (args.progress == "auto" && isatty(STDOUT_FILENO) && !ctx.json);
  ProgressBar bar(rows, "vectors", show);
  const auto start = std::chrono::steady_clock::now();
  auto stream = ctx.client->OpenUpsertStream(8);
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  int64_t sent = 0, expired = 0;
  absl::Status write_status, read_status;
  while (sent < rows && write_status.ok()) {
    const int64_t end = std::min(rows, sent + batch_size);
    read_status = (*reader)->Read(sent, end - sent, block.data());
    if (!read_status.ok()) break;  // the file changed since the check
    v1::UpsertRequest batch;
    batch.set_collection(args.collection);
    batch.mutable_records()->Reserve(int(end - sent));
    for (int64_t i = sent; i < end; ++i) {
      const int64_t expires = exported ? exported->expires_unix_ms[i] : 0;
      if (expires != 0 && expires <= now_ms) {
        ++expired;  // gone for good: never loaded back
        continue;
      }
      v1::Record* r = batch.add_records();
      r->set_expires_unix_ms(expires);
      r->set_key(keys->empty() ? absl::StrCat(args.key_prefix, i) : (*keys)[i]);
      const float* v = block.data() + (i - sent) * cols;
      r->mutable_vector()->Add(v, v + cols);
      if (*labels && !(**labels)[i].empty()) r->set_label((**labels)[i]);
      if (*attributes) {
        r->mutable_attributes()->insert((**attributes)[i].begin(), (**attributes)[i].end());
      }
    }
    if (batch.records_size() > 0) write_status = stream->Write(batch);
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
  if (!s.ok() || !read_status.ok()) {
    Fail(s.ok() ? read_status : s);
    std::cerr << "stored " << stored << " of " << rows
              << " records before the error (acknowledged batches are durable)\n";
    return 1;
  }
  if (created) {  // a new collection takes the export's metric versions too
    if (auto s = ImportMetrics(ctx, args.collection, given.file); !s.ok()) return Fail(s);
  }
  const double rate = seconds > 0 ? stored / seconds : 0;
  if (ctx.json) {
    std::cout << nlohmann::json{{"collection", args.collection}, {"records", stored},
                                {"inserted", totals.inserted},   {"replaced", totals.replaced},
                                {"batches", totals.batches},     {"seconds", seconds},
                                {"vectors_per_second", rate},    {"expired_skipped", expired}}
                     .dump()
              << "\n";
  } else {
    std::printf("loaded %lld records into %s (%lld new, %lld replaced) in %.2fs, %.0f vectors/s\n",
                (long long)stored, args.collection.c_str(), (long long)totals.inserted,
                (long long)totals.replaced, seconds, rate);
    if (expired > 0) std::printf("skipped %lld expired records\n", (long long)expired);
  }
  return 0;
}

}  // namespace metricdb
