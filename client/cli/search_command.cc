// metricdb search: k nearest records for queries from a file or --vector.
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/cli/commands.h"
#include "client/cli/json_format.h"

namespace metricdb {

absl::StatusOr<Matrix> ParseVectorFlag(const std::string& text, const std::string& flag) {
  Matrix m;
  m.rows = 1;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    float v;
    if (!absl::SimpleAtof(part, &v)) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": \"", std::string(part), "\" is not a number"));
    }
    m.values.push_back(v);
  }
  m.cols = int64_t(m.values.size());
  return m;
}

namespace {

void PrintResult(const CliContext& ctx, int64_t query, const v1::QueryResult& result) {
  if (ctx.json) {
    nlohmann::json hits = nlohmann::json::array();
    for (const auto& hit : result.hits()) hits.push_back(ToJson(hit));
    std::cout << nlohmann::json{{"query", query}, {"hits", hits}}.dump() << "\n";
    return;
  }
  std::cout << "query " << query << ":\n";
  int rank = 1;
  for (const auto& hit : result.hits()) {
    std::cout << "  " << rank++ << "\t" << hit.key() << "\t"
              << (hit.has_label() ? hit.label() : "-") << "\t" << hit.distance() << "\n";
  }
}

}  // namespace

int RunSearch(CliContext& ctx, const SearchArgs& args) {
  if (args.file.empty() == args.vector.empty()) {
    return Fail(
        absl::InvalidArgumentError("give queries as a FILE or with --vector, exactly one of them"));
  }
  auto queries = args.file.empty() ? ParseVectorFlag(args.vector, "--vector")
                                   : ReadMatrixFile(args.file, args.file_options);
  if (!queries.ok()) return Fail(queries.status());
  const int64_t batch = std::max(1, args.batch_size);
  for (int64_t start = 0; start < queries->rows; start += batch) {
    const int64_t end = std::min(queries->rows, start + batch);
    v1::SearchRequest req;
    req.set_collection(args.collection);
    req.set_k(args.k);
    for (const auto& l : args.labels) req.add_labels(l);
    req.set_include_vectors(args.include_vectors);
    req.set_include_attributes(args.include_attributes);
    req.set_filter(args.filter);
    if (args.max_distance) req.set_max_distance(*args.max_distance);
    if (args.far) req.set_far(*args.far);
    req.mutable_params()->set_ef_search(args.ef_search);
    req.mutable_params()->set_nprobe(args.nprobe);
    req.mutable_params()->set_rerank(args.rerank);
    for (int64_t i = start; i < end; ++i) {
      req.add_queries()->mutable_values()->Add(queries->row(i), queries->row(i) + queries->cols);
    }
    auto resp = ctx.client->Search(req);
    if (!resp.ok()) {
      if (start == 0) return Fail(resp.status());
      return Fail(absl::Status(resp.status().code(), absl::StrCat("queries from row ", start, ": ",
                                                                  resp.status().message())));
    }
    for (int i = 0; i < resp->results_size(); ++i) {
      PrintResult(ctx, start + i, resp->results(i));
    }
  }
  return 0;
}

}  // namespace metricdb
