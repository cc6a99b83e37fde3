// GenericCall: one call of any arity to a gRPC method by name, with
// serialized messages, made synchronously over a channel (the HTTP gateway's
// way into this server's own service, through its in-process channel, so
// that every HTTP request meets the same auth, limits and handlers as gRPC).
//
//   GenericCall call(channel, "/metricdb.v1.MetricDB/Search", metadata, deadline);
//   call.Write(request_bytes);
//   call.WritesDone();
//   std::string reply;
//   while (call.Read(&reply)) { ... }
//   grpc::Status status = call.Finish();
#ifndef METRICDB_SERVER_GENERIC_CALL_H_
#define METRICDB_SERVER_GENERIC_CALL_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace metricdb {

class GenericCall {
 public:
  GenericCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
              const std::multimap<std::string, std::string>& metadata,
              std::chrono::system_clock::time_point deadline);
  ~GenericCall();  // finishes the call if the caller did not
  GenericCall(const GenericCall&) = delete;
  GenericCall& operator=(const GenericCall&) = delete;

  // False once the call has failed (Finish then says why).
  bool Write(const std::string& message);
  void WritesDone();
  // The next response message; false at the end of the stream.
  bool Read(std::string* message);
  grpc::Status Finish();

 private:
  bool Wait(void* tag);

  grpc::GenericStub stub_;
  grpc::ClientContext context_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
  bool started_ = false;
  bool writes_done_ = false;
  bool finished_ = false;
  grpc::Status status_;
};

}  // namespace metricdb

#endif  // METRICDB_SERVER_GENERIC_CALL_H_
