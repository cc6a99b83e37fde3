// Identities and records through the real server on 127.0.0.1: Relabel
// (rename back and forth, then a merge) while a client keeps identifying,
// which must see one whole identity every time; then kill -9 straight after
// the merge is acknowledged, and the restarted server must hold it — the
// labels, the scan, the filter postings.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <thread>

#include "client/metricdb_client.h"
#include "tests/testing/background_loop.h"
#include "tests/testing/requests.h"
#include "tests/testing/server_client.h"
#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace metricdb {
namespace {

using testing::Schema;
using testing::ServerProcess;
using testing::TempDir;

constexpr int kDim = testing::kDefaultDim;

class GalleryServerTest : public ::testing::Test {
 protected:
  void Start() {
    if (!server_) server_ = std::make_unique<ServerProcess>(dir_.file("data"));
    ASSERT_OK(server_->Start());
    client_ = testing::ConnectTo(*server_);
  }
  std::map<std::string, int64_t> Labels() {
    std::map<std::string, int64_t> out;
    v1::ListLabelsRequest req;
    req.set_collection("g");
    req.set_limit(2);  // several pages
    for (bool more = true; more;) {
      auto page = client_->ListLabels(req);
      EXPECT_OK(page);
      if (!page.ok()) break;
      for (const auto& l : page->labels()) out[l.label()] = l.records();
      req.set_after(page->next());
      more = page->more();
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(GalleryServerTest, RelabelIsWholeForConcurrentIdentifyAndSurvivesKill9) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_OK(client_->CreateCollection(Schema("g")));
  // Identities ann (30 records), bob and cat (20 each), far apart.
  std::mt19937 rng(4);
  std::normal_distribution<float> noise(0, 0.05f);
  v1::UpsertRequest batch;
  batch.set_collection("g");
  auto add = [&](const std::string& label, float centre, int count) {
    for (int i = 0; i < count; ++i) {
      v1::Record* r = batch.add_records();
      r->set_key(label + "-" + std::to_string(i));
      r->set_label(label);
      (*r->mutable_attributes())["src"] = label;
      for (int d = 0; d < kDim; ++d) r->add_vector(centre + noise(rng));
    }
  };
  add("ann", 0, 30);
  add("bob", 10, 20);
  add("cat", 20, 20);
  ASSERT_OK(client_->UpsertBatch(batch));

  ClientOptions options;
  options.address = server_->address();
  options.own_connection = true;
  auto reader_client = Client::Connect(options);
  v1::IdentifyRequest identify;
  identify.set_collection("g");
  identify.set_depth(30);  // exactly ann's records
  v1::Vector* query = identify.add_queries();
  for (int d = 0; d < kDim; ++d) query->add_values(0.0f);
  testing::BackgroundLoop reader([&] {
    auto r = reader_client->Identify(identify);
    if (!r.ok()) {
      ADD_FAILURE() << r.status();
      return false;
    }
    const auto& ids = r->results(0).identities();
    if (ids.size() != 1) {
      ADD_FAILURE() << ids.size() << " identities";
      return false;
    }
    EXPECT_TRUE(ids[0].label() == "ann" || ids[0].label() == "anna") << ids[0].label();
    EXPECT_EQ(ids[0].keys_size(), 30);
    return true;
  });
  for (int i = 0; i < 40; ++i) {
    v1::RelabelRequest req;
    req.set_collection("g");
    req.add_from(i % 2 ? "anna" : "ann");
    req.set_to(i % 2 ? "ann" : "anna");
    ASSERT_OK_AND_ASSIGN(int64_t n, client_->Relabel(req));
    EXPECT_EQ(n, 30);
  }
  EXPECT_TRUE(reader.WaitFor(20));
  reader.Stop();

  v1::RelabelRequest merge;
  merge.set_collection("g");
  merge.add_from("bob");
  merge.add_from("cat");
  merge.set_to("bobcat");
  ASSERT_OK_AND_ASSIGN(int64_t merged, client_->Relabel(merge));
  EXPECT_EQ(merged, 40);
  server_->Kill();  // no flush, no snapshot

  ASSERT_NO_FATAL_FAILURE(Start());
  const std::map<std::string, int64_t> want = {{"ann", 30}, {"bobcat", 40}};
  EXPECT_EQ(Labels(), want);
  v1::CountRequest count;
  count.set_collection("g");
  count.set_filter(R"(label = "bobcat" AND src = "cat")");
  ASSERT_OK_AND_ASSIGN(int64_t cats, client_->Count(count));
  EXPECT_EQ(cats, 20);
  // Scan: every record once, in key order, with its new label.
  v1::ScanRequest scan;
  scan.set_collection("g");
  scan.set_limit(7);
  std::map<std::string, std::string> seen;
  for (bool more = true; more;) {
    ASSERT_OK_AND_ASSIGN(v1::ScanResponse page, client_->Scan(scan));
    for (const auto& r : page.records()) {
      EXPECT_TRUE(seen.emplace(r.key(), r.label()).second) << r.key();
      EXPECT_EQ(r.vector_size(), 0);  // not asked for
    }
    scan.set_after(page.next());
    more = page.more();
  }
  ASSERT_EQ(seen.size(), 70u);
  for (const auto& [key, label] : seen) {
    EXPECT_EQ(label, key.rfind("ann", 0) == 0 ? "ann" : "bobcat") << key;
  }
  // Bad requests: precise statuses.
  v1::RelabelRequest empty;
  empty.set_collection("g");
  empty.set_to("x");
  EXPECT_EQ(client_->Relabel(empty).status().code(), absl::StatusCode::kInvalidArgument);
  scan.set_filter("src IN (");
  auto bad = client_->Scan(scan);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("filter: at character"), std::string::npos) << bad.status();
  v1::ListLabelsRequest missing;
  missing.set_collection("nope");
  EXPECT_EQ(client_->ListLabels(missing).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace metricdb
