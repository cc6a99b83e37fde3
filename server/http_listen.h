// What the server's two HTTP listeners (the Prometheus endpoint and the
// HTTP/JSON gateway) share: binding a cpp-httplib server to a --*-listen
// HOST:PORT flag and serving it from a thread of the caller's.
#ifndef METRICDB_SERVER_HTTP_LISTEN_H_
#define METRICDB_SERVER_HTTP_LISTEN_H_

#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace httplib {
class Server;
}

namespace metricdb {

struct HttpAddress {
  std::string host;
  int port = 0;  // as bound
};

// Binds `http` to `host_port` ("HOST:PORT"; port 0 picks a free one) and
// starts serving it on `*thread` (joined by the owner after http->stop()).
// INVALID_ARGUMENT when the text is not HOST:PORT; UNAVAILABLE when it
// cannot bind.
absl::StatusOr<HttpAddress> ListenInBackground(httplib::Server* http, const std::string& host_port,
                                               std::thread* thread);

}  // namespace metricdb

#endif  // METRICDB_SERVER_HTTP_LISTEN_H_
