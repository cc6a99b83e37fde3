#include "cluster/shard_leadership.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace metricdb {
namespace {

using nlohmann::json;

std::string StateJson(const ShardState& s) {
  return json{{"epoch", s.epoch},
              {"primary", s.primary},
              {"in_sync", s.in_sync},
              {"min_in_sync", s.min_in_sync}}
      .dump();
}

absl::StatusOr<ShardState> ParseState(const EtcdKv& kv) {
  const json j = json::parse(kv.value, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("epoch") || !j.contains("in_sync")) {
    return absl::DataLossError(absl::StrCat("shard state ", kv.key, " is not a state"));
  }
  ShardState s;
  try {
    s.epoch = j.at("epoch").get<int64_t>();
    s.primary = j.value("primary", std::string());
    s.in_sync = j.at("in_sync").get<std::vector<std::string>>();
    s.min_in_sync = j.value("min_in_sync", 1);
  } catch (const json::exception& e) {
    return absl::DataLossError(absl::StrCat("shard state ", kv.key, ": ", e.what()));
  }
  s.revision = kv.mod_revision;
  return s;
}

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

absl::Status Changed(const std::string& key) {
  return absl::AbortedError(absl::StrCat("shard state ", key, " changed meanwhile; read it again"));
}

}  // namespace

ShardLeadership::ShardLeadership(EtcdClient* etcd, std::string prefix)
    : etcd_(etcd), prefix_(std::move(prefix)) {}

absl::Status ShardLeadership::Init(const std::vector<std::string>& members, int min_in_sync) {
  if (members.empty() || min_in_sync < 1 || min_in_sync > int(members.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_in_sync: must be in [1, ", members.size(), "], got ", min_in_sync));
  }
  ShardState s;
  s.in_sync = members;
  s.min_in_sync = min_in_sync;
  auto made = etcd_->PutIfAbsent(state_key(), StateJson(s));
  if (!made.ok()) return made.status();
  if (!*made) return absl::AlreadyExistsError(absl::StrCat("shard state ", state_key()));
  return absl::OkStatus();
}

absl::StatusOr<ShardState> ShardLeadership::Read() const {
  auto kv = etcd_->Get(state_key());
  if (!kv.ok()) return kv.status();
  if (!kv->has_value()) return absl::NotFoundError(absl::StrCat("no shard state ", state_key()));
  auto s = ParseState(**kv);
  if (!s.ok()) return s.status();
  auto primary = etcd_->Get(primary_key());
  if (!primary.ok()) return primary.status();
  if (primary->has_value()) {
    const json p = json::parse((*primary)->value, nullptr, false);
    // The key of this state's epoch: a claim writes both in one transaction.
    s->primary_alive = p.is_object() && p.value("epoch", int64_t{-1}) == s->epoch;
  }
  return s;
}

absl::StatusOr<ShardState> ShardLeadership::Claim(const std::string& node, int64_t lease) {
  auto s = Read();
  if (!s.ok()) return s.status();
  if (s->primary_alive) return s;
  if (!Contains(s->in_sync, node)) {
    return absl::FailedPreconditionError(
        absl::StrCat(node, " is not in sync (in sync: ", absl::StrJoin(s->in_sync, ", "),
                     "): it may lack acknowledged writes"));
  }
  ShardState next = *s;
  next.epoch = s->epoch + 1;
  next.primary = node;
  using C = EtcdClient::Compare;
  auto won = etcd_->Commit(
      {{state_key(), C::Kind::kModRevision, s->revision}, {primary_key(), C::Kind::kAbsent}},
      {{state_key(), StateJson(next), 0},
       {primary_key(), json{{"node", node}, {"epoch", next.epoch}}.dump(), lease}});
  if (!won.ok()) return won.status();
  if (!*won) return Changed(state_key());
  return Read();
}

absl::StatusOr<ShardState> ShardLeadership::SetInSync(int64_t epoch,
                                                      const std::vector<std::string>& in_sync) {
  auto s = Read();
  if (!s.ok()) return s.status();
  if (s->epoch != epoch) {
    return absl::FailedPreconditionError(
        absl::StrCat("epoch ", epoch, " of ", state_key(), " is superseded by epoch ", s->epoch));
  }
  if (!s->primary_alive) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the primary of epoch ", epoch, " holds no lease: it may not change the in-sync set"));
  }
  if (!Contains(in_sync, s->primary)) {
    return absl::InvalidArgumentError(absl::StrCat("in_sync: must hold the primary ", s->primary));
  }
  ShardState next = *s;
  next.in_sync = in_sync;
  // The compare on the state's revision also holds the epoch (a claim
  // changes the state); the primary key must still be there (its lease).
  using C = EtcdClient::Compare;
  auto done = etcd_->Commit(
      {{state_key(), C::Kind::kModRevision, s->revision}, {primary_key(), C::Kind::kExists}},
      {{state_key(), StateJson(next), 0}});
  if (!done.ok()) return done.status();
  if (!*done) return Changed(state_key());
  return Read();
}

}  // namespace metricdb
