#include "server/http_listen.h"

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace metricdb {

absl::StatusOr<HttpAddress> ListenInBackground(httplib::Server* http, const std::string& host_port,
                                               std::thread* thread) {
  const size_t colon = host_port.rfind(':');
  HttpAddress address;
  if (colon == std::string::npos || !absl::SimpleAtoi(host_port.substr(colon + 1), &address.port) ||
      address.port < 0 || address.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("expected HOST:PORT, got \"", host_port, "\""));
  }
  address.host = host_port.substr(0, colon);
  if (address.port == 0) {
    address.port = http->bind_to_any_port(address.host);
  } else if (!http->bind_to_port(address.host, address.port)) {
    address.port = -1;
  }
  if (address.port <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", host_port));
  }
  *thread = std::thread([http] { http->listen_after_bind(); });
  return address;
}

}  // namespace metricdb
