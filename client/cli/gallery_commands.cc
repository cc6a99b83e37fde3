// CLI: identities and records — labels, scan, relabel.
#include <iostream>
#include <nlohmann/json.hpp>

#include "client/cli/commands.h"
#include "client/cli/json_format.h"

namespace metricdb {

int RunLabels(CliContext& ctx, const LabelsArgs& args) {
  v1::ListLabelsRequest req;
  req.set_collection(args.collection);
  req.set_filter(args.filter);
  int64_t printed = 0;
  for (bool more = true; more && (args.limit == 0 || printed < args.limit);) {
    req.set_limit(int32_t(args.limit == 0 ? 1000 : std::min<int64_t>(1000, args.limit - printed)));
    auto page = ctx.client->ListLabels(req);
    if (!page.ok()) return Fail(page.status());
    for (const auto& l : page->labels()) {
      if (ctx.json) {
        std::cout << nlohmann::json{{"label", l.label()}, {"records", l.records()}}.dump() << "\n";
      } else {
        std::cout << l.label() << "\t" << l.records() << "\n";
      }
      ++printed;
    }
    more = page->more();
    req.set_after(page->next());
  }
  return 0;
}

int RunScan(CliContext& ctx, const ScanArgs& args) {
  v1::ScanRequest req;
  req.set_collection(args.collection);
  req.set_filter(args.filter);
  req.set_scope(args.scope == "labelled"     ? v1::LABELLED_RECORDS
                : args.scope == "unlabelled" ? v1::UNLABELLED_RECORDS
                                             : v1::ALL_RECORDS);
  for (const auto& l : args.labels) req.add_labels(l);
  req.set_include_vectors(args.vectors);
  int64_t printed = 0;
  for (bool more = true; more && (args.limit == 0 || printed < args.limit);) {
    const int64_t left = args.limit == 0 ? args.page_size : args.limit - printed;
    req.set_limit(int32_t(std::min<int64_t>(args.page_size, left)));
    auto page = ctx.client->Scan(req);
    if (!page.ok()) return Fail(page.status());
    for (const auto& r : page->records()) PrintRecord(ctx, r);
    printed += page->records_size();
    more = page->more();
    req.set_after(page->next());
  }
  return 0;
}

int RunRelabel(CliContext& ctx, const RelabelArgs& args) {
  v1::RelabelRequest req;
  req.set_collection(args.collection);
  for (const auto& l : args.from) req.add_from(l);
  req.set_to(args.to);
  auto relabelled = ctx.client->Relabel(req);
  if (!relabelled.ok()) return Fail(relabelled.status());
  if (ctx.json) {
    std::cout << nlohmann::json{{"relabelled", *relabelled}}.dump() << "\n";
  } else {
    std::cout << "relabelled " << *relabelled << " records to " << args.to << "\n";
  }
  return 0;
}

}  // namespace metricdb
