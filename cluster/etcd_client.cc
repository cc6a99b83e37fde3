#include "cluster/etcd_client.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace metricdb {

std::string PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) return std::string(1, '\0');  // the whole key space
  end.back() = char(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

absl::StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Connect(const std::string& endpoints,
                                                                int timeout_ms) {
  std::vector<std::string> hosts;
  for (absl::string_view e : absl::StrSplit(endpoints, ',', absl::SkipWhitespace())) {
    absl::ConsumePrefix(&e, "http://");
    if (absl::StartsWith(e, "https://")) {
      return absl::InvalidArgumentError(
          absl::StrCat("cluster_etcd: \"", std::string(e), "\": TLS to etcd is not supported yet"));
    }
    if (e.empty() || e.find(':') == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("cluster_etcd: \"", std::string(e), "\" is not HOST:PORT"));
    }
    hosts.emplace_back(e);
  }
  if (hosts.empty()) return absl::InvalidArgumentError("cluster_etcd: no endpoint given");
  // One channel over every endpoint: pick_first moves on to the next when
  // one is down.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  auto channel = grpc::CreateCustomChannel(absl::StrCat("ipv4:", absl::StrJoin(hosts, ",")),
                                           grpc::InsecureChannelCredentials(), args);
  return std::unique_ptr<EtcdClient>(new EtcdClient(endpoints, std::move(channel), timeout_ms));
}

EtcdClient::EtcdClient(std::string endpoints, std::shared_ptr<grpc::Channel> channel,
                       int timeout_ms)
    : endpoints_(std::move(endpoints)),
      timeout_ms_(timeout_ms),
      channel_(std::move(channel)),
      kv_(etcdserverpb::KV::NewStub(channel_)),
      lease_(etcdserverpb::Lease::NewStub(channel_)),
      watch_(etcdserverpb::Watch::NewStub(channel_)) {}

void EtcdClient::SetDeadline(grpc::ClientContext* context) const {
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms_));
}

absl::Status EtcdClient::Failed(const char* what, const grpc::Status& s) const {
  return absl::UnavailableError(
      absl::StrCat("etcd at ", endpoints_, ": ", what, ": ", s.error_message()));
}

absl::StatusOr<std::optional<EtcdKv>> EtcdClient::Get(const std::string& key) const {
  etcdserverpb::RangeRequest request;
  request.set_key(key);
  etcdserverpb::RangeResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  if (auto s = kv_->Range(&context, request, &response); !s.ok()) return Failed("range", s);
  if (response.kvs_size() == 0) return std::optional<EtcdKv>();
  const auto& kv = response.kvs(0);
  return std::optional<EtcdKv>(EtcdKv{kv.key(), kv.value(), kv.mod_revision(), kv.lease()});
}

absl::StatusOr<std::vector<EtcdKv>> EtcdClient::GetPrefix(const std::string& prefix,
                                                          int64_t* revision) const {
  etcdserverpb::RangeRequest request;
  request.set_key(prefix);
  request.set_range_end(PrefixEnd(prefix));
  request.set_sort_order(etcdserverpb::RangeRequest::ASCEND);
  request.set_sort_target(etcdserverpb::RangeRequest::KEY);
  etcdserverpb::RangeResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  if (auto s = kv_->Range(&context, request, &response); !s.ok()) return Failed("range", s);
  if (revision) *revision = response.header().revision();
  std::vector<EtcdKv> out;
  for (const auto& kv : response.kvs()) {
    out.push_back({kv.key(), kv.value(), kv.mod_revision(), kv.lease()});
  }
  return out;
}

absl::Status EtcdClient::Put(const std::string& key, const std::string& value, int64_t lease) {
  etcdserverpb::PutRequest request;
  request.set_key(key);
  request.set_value(value);
  request.set_lease(lease);
  etcdserverpb::PutResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  if (auto s = kv_->Put(&context, request, &response); !s.ok()) return Failed("put", s);
  return absl::OkStatus();
}

absl::StatusOr<bool> EtcdClient::Commit(const std::vector<Compare>& compares,
                                        const std::vector<PutOp>& puts) {
  etcdserverpb::TxnRequest request;
  for (const Compare& c : compares) {
    etcdserverpb::Compare* compare = request.add_compare();
    compare->set_key(c.key);
    if (c.kind == Compare::Kind::kModRevision && c.revision > 0) {
      compare->set_target(etcdserverpb::Compare::MOD);
      compare->set_result(etcdserverpb::Compare::EQUAL);
      compare->set_mod_revision(c.revision);
    } else {
      // A key that exists has a create revision above 0.
      compare->set_target(etcdserverpb::Compare::CREATE);
      compare->set_result(c.kind == Compare::Kind::kExists ? etcdserverpb::Compare::GREATER
                                                           : etcdserverpb::Compare::EQUAL);
      compare->set_create_revision(0);
    }
  }
  for (const PutOp& p : puts) {
    auto* put = request.add_success()->mutable_request_put();
    put->set_key(p.key);
    put->set_value(p.value);
    put->set_lease(p.lease);
  }
  etcdserverpb::TxnResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  if (auto s = kv_->Txn(&context, request, &response); !s.ok()) return Failed("txn", s);
  return response.succeeded();
}

absl::StatusOr<bool> EtcdClient::PutIfAbsent(const std::string& key, const std::string& value,
                                             int64_t lease) {
  return Commit({{key, Compare::Kind::kAbsent}}, {{key, value, lease}});
}

absl::StatusOr<bool> EtcdClient::PutIfAll(const std::vector<KeyCondition>& conditions,
                                          const std::string& key, const std::string& value) {
  std::vector<Compare> compares;
  for (const KeyCondition& c : conditions) {
    compares.push_back({c.key, c.exists ? Compare::Kind::kExists : Compare::Kind::kAbsent});
  }
  return Commit(compares, {{key, value, 0}});
}

absl::StatusOr<bool> EtcdClient::PutIfRevision(const std::string& key, const std::string& value,
                                               int64_t revision) {
  return Commit({{key, Compare::Kind::kModRevision, revision}}, {{key, value, 0}});
}

absl::Status EtcdClient::DeleteRange(const std::string& key, const std::string& range_end) {
  etcdserverpb::DeleteRangeRequest request;
  request.set_key(key);
  request.set_range_end(range_end);
  etcdserverpb::DeleteRangeResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  if (auto s = kv_->DeleteRange(&context, request, &response); !s.ok()) {
    return Failed("delete", s);
  }
  return absl::OkStatus();
}

absl::Status EtcdClient::Delete(const std::string& key) { return DeleteRange(key, ""); }

absl::Status EtcdClient::DeletePrefix(const std::string& prefix) {
  return DeleteRange(prefix, PrefixEnd(prefix));
}

absl::StatusOr<int64_t> EtcdClient::GrantLease(int64_t ttl_seconds) {
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(ttl_seconds);
  etcdserverpb::LeaseGrantResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  if (auto s = lease_->LeaseGrant(&context, request, &response); !s.ok()) {
    return Failed("lease grant", s);
  }
  if (!response.error().empty()) {
    return absl::UnavailableError(absl::StrCat("etcd lease grant: ", response.error()));
  }
  return response.id();
}

absl::StatusOr<int64_t> EtcdClient::KeepAlive(int64_t lease) {
  grpc::ClientContext context;
  SetDeadline(&context);
  auto stream = lease_->LeaseKeepAlive(&context);
  etcdserverpb::LeaseKeepAliveRequest request;
  request.set_id(lease);
  etcdserverpb::LeaseKeepAliveResponse response;
  if (!stream->Write(request) || !stream->Read(&response)) {
    stream->WritesDone();
    return Failed("lease keep-alive", stream->Finish());
  }
  stream->WritesDone();
  context.TryCancel();
  stream->Finish().ok();  // cancelled on purpose
  if (response.ttl() <= 0) {
    return absl::NotFoundError(absl::StrCat("etcd lease ", lease, " has expired"));
  }
  return response.ttl();
}

absl::StatusOr<int64_t> EtcdClient::LeaseTtl(int64_t lease) const {
  etcdserverpb::LeaseTimeToLiveRequest request;
  request.set_id(lease);
  etcdserverpb::LeaseTimeToLiveResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  if (auto s = lease_->LeaseTimeToLive(&context, request, &response); !s.ok()) {
    return Failed("lease ttl", s);
  }
  return response.ttl();
}

absl::Status EtcdClient::RevokeLease(int64_t lease) {
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(lease);
  etcdserverpb::LeaseRevokeResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  if (auto s = lease_->LeaseRevoke(&context, request, &response); !s.ok()) {
    return Failed("lease revoke", s);
  }
  return absl::OkStatus();
}

std::unique_ptr<EtcdClient::Watch> EtcdClient::WatchPrefix(const std::string& prefix,
                                                           int64_t revision,
                                                           std::function<void()> on_change) {
  auto watch = std::unique_ptr<Watch>(new Watch);
  watch->on_change_ = std::move(on_change);
  Watch* w = watch.get();
  watch->thread_ =
      std::thread([w, stub = watch_.get(), prefix, revision] { w->Run(stub, prefix, revision); });
  return watch;
}

void EtcdClient::Watch::Run(etcdserverpb::Watch::Stub* stub, std::string prefix, int64_t revision) {
  int64_t next = revision + 1;
  bool reconnected = false;
  while (!stop_) {
    grpc::ClientContext context;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      context_ = &context;
    }
    auto stream = stub->Watch(&context);
    etcdserverpb::WatchRequest request;
    auto* create = request.mutable_create_request();
    create->set_key(prefix);
    create->set_range_end(PrefixEnd(prefix));
    create->set_start_revision(next);
    if (stream->Write(request)) {
      if (reconnected) on_change_();  // changes may have been missed
      etcdserverpb::WatchResponse response;
      while (stream->Read(&response)) {
        if (response.compact_revision() > 0) next = response.compact_revision();
        if (response.events_size() > 0) {
          next = response.events(response.events_size() - 1).kv().mod_revision() + 1;
          on_change_();
        }
      }
    }
    stream->Finish().ok();
    {
      std::lock_guard<std::mutex> lock(mu_);
      context_ = nullptr;
    }
    reconnected = true;
    for (int i = 0; i < 10 && !stop_; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

EtcdClient::Watch::~Watch() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    if (context_) context_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace metricdb
