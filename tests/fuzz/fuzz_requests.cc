// libFuzzer: the request validation of the MetricDB service. The first byte
// picks an RPC, the rest is parsed as its request message and handed to the
// real handler (MetricDbService over a real Engine in a temporary
// directory, auth off). Every input must end in a status; bad input never
// crashes the server or corrupts the engine. A collection "c" (dim 4, HNSW)
// with labelled records exists from the start so that valid-looking
// requests reach the deep paths.
#include <google/protobuf/stubs/logging.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "engine/collection/engine.h"
#include "engine/collection/local_directory.h"
#include "server/metricdb_service.h"

namespace {

using metricdb::v1::MetricDB;

struct World {
  std::unique_ptr<metricdb::Engine> engine;
  std::unique_ptr<metricdb::LocalDirectory> collections;
  std::unique_ptr<metricdb::MetricDbService> service;
};

World& TheWorld() {
  static World* world = [] {
    // Malformed strings in the input are expected; protobuf need not log them.
    google::protobuf::SetLogHandler(nullptr);
    auto* w = new World;
    char dir[] = "/tmp/metricdb-fuzz-XXXXXX";
    if (mkdtemp(dir) == nullptr) std::abort();
    metricdb::EngineOptions options;
    options.data_dir = dir;
    options.store.sync_writes = false;  // speed; durability is not under test here
    options.snapshot_interval_seconds = 0;
    auto engine = metricdb::Engine::Open(options);
    if (!engine.ok()) std::abort();
    w->engine = std::move(*engine);
    w->collections = std::make_unique<metricdb::LocalDirectory>(w->engine.get());
    w->service = std::make_unique<metricdb::MetricDbService>(w->collections.get(), nullptr);
    grpc::ServerContext ctx;
    metricdb::v1::CreateCollectionRequest create;
    create.mutable_schema()->set_name("c");
    create.mutable_schema()->set_dim(4);
    create.mutable_schema()->set_metric(metricdb::v1::L2);
    create.mutable_schema()->mutable_index()->mutable_hnsw()->set_m(8);
    metricdb::v1::CreateCollectionResponse created;
    if (auto s = w->service->CreateCollection(&ctx, &create, &created); !s.ok()) {
      std::fprintf(stderr, "setup: %s\n", s.error_message().c_str());
      std::abort();
    }
    metricdb::v1::UpsertRequest up;
    up.set_collection("c");
    for (int i = 0; i < 40; ++i) {
      auto* r = up.add_records();
      r->set_key("k" + std::to_string(i));
      r->set_label("id" + std::to_string(i % 8));
      for (int d = 0; d < 4; ++d) r->add_vector(float((i * 7 + d * 3) % 11) - 5);
    }
    metricdb::v1::UpsertResponse upserted;
    grpc::ServerContext ctx2;
    if (auto s = w->service->UpsertBatch(&ctx2, &up, &upserted); !s.ok()) {
      std::fprintf(stderr, "setup: %s\n", s.error_message().c_str());
      std::abort();
    }
    return w;
  }();
  return *world;
}

template <typename Request, typename Response, typename Handler>
void Call(Handler handler, const uint8_t* data, size_t size) {
  Request request;
  if (!request.ParseFromArray(data, int(size))) return;
  Response response;
  grpc::ServerContext context;
  (void)(TheWorld().service.get()->*handler)(&context, &request, &response);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  namespace v1 = metricdb::v1;
  using S = metricdb::MetricDbService;
  const uint8_t* rest = data + 1;
  const size_t n = size - 1;
  switch (data[0] % 10) {
    case 0:
      Call<v1::CreateCollectionRequest, v1::CreateCollectionResponse>(&S::CreateCollection, rest,
                                                                      n);
      break;
    case 1:
      Call<v1::UpsertRequest, v1::UpsertResponse>(&S::UpsertBatch, rest, n);
      break;
    case 2:
      Call<v1::GetRequest, v1::GetResponse>(&S::Get, rest, n);
      break;
    case 3:
      Call<v1::DeleteRequest, v1::DeleteResponse>(&S::Delete, rest, n);
      break;
    case 4:
      Call<v1::IdentifyRequest, v1::IdentifyResponse>(&S::Identify, rest, n);
      break;
    case 5:
      Call<v1::VerifyRequest, v1::VerifyResponse>(&S::Verify, rest, n);
      break;
    case 6:
      Call<v1::GetCollectionRequest, v1::GetCollectionResponse>(&S::GetCollection, rest, n);
      break;
    case 7:
      Call<v1::SetMetricRequest, v1::MetricVersion>(&S::SetMetric, rest, n);
      break;
    case 8:
      Call<v1::BuildIndexRequest, v1::BuildIndexResponse>(&S::BuildIndex, rest, n);
      break;
    case 9:
      Call<v1::ActivateMetricRequest, v1::ActivateMetricResponse>(&S::ActivateMetric, rest, n);
      break;
  }
  return 0;
}
