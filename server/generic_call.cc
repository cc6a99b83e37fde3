#include "server/generic_call.h"

namespace metricdb {
namespace {

void* Tag(int n) { return reinterpret_cast<void*>(static_cast<intptr_t>(n)); }

}  // namespace

GenericCall::GenericCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                         const std::multimap<std::string, std::string>& metadata,
                         std::chrono::system_clock::time_point deadline)
    : stub_(channel) {
  for (const auto& [key, value] : metadata) context_.AddMetadata(key, value);
  context_.set_deadline(deadline);
  call_ = stub_.PrepareCall(&context_, method, &cq_);
  call_->StartCall(Tag(1));
  started_ = Wait(Tag(1));
}

GenericCall::~GenericCall() {
  if (!finished_) Finish();
  cq_.Shutdown();
  void* tag;
  bool ok;
  while (cq_.Next(&tag, &ok)) {
  }
}

bool GenericCall::Wait(void* tag) {
  void* got = nullptr;
  bool ok = false;
  while (cq_.Next(&got, &ok)) {
    if (got == tag) return ok;
  }
  return false;
}

bool GenericCall::Write(const std::string& message) {
  if (!started_) return false;
  grpc::Slice slice(message);
  grpc::ByteBuffer buffer(&slice, 1);
  call_->Write(buffer, Tag(2));
  return Wait(Tag(2));
}

void GenericCall::WritesDone() {
  if (!started_ || writes_done_) return;
  writes_done_ = true;
  call_->WritesDone(Tag(3));
  Wait(Tag(3));
}

bool GenericCall::Read(std::string* message) {
  if (!started_) return false;
  grpc::ByteBuffer buffer;
  call_->Read(&buffer, Tag(4));
  if (!Wait(Tag(4))) return false;
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return false;
  message->clear();
  for (const grpc::Slice& s : slices) {
    message->append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return true;
}

grpc::Status GenericCall::Finish() {
  if (finished_) return status_;
  finished_ = true;
  call_->Finish(&status_, Tag(5));
  Wait(Tag(5));
  return status_;
}

}  // namespace metricdb
