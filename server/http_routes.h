// The HTTP/JSON routes of metricdb.v1.MetricDB, one per RPC, as one table
// (checked against the service descriptor by a test, so a new RPC cannot
// be left without a route). A path's {field} segments fill the request
// message's fields of that name; the JSON body (POST, PUT) fills the rest,
// in protobuf's JSON mapping; GET and DELETE take scalar fields from the
// query string. Streaming RPCs speak JSON lines (one message per line).
#ifndef METRICDB_SERVER_HTTP_ROUTES_H_
#define METRICDB_SERVER_HTTP_ROUTES_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"

namespace metricdb {

struct HttpRoute {
  std::string_view rpc;   // the MetricDB method, "Search"
  std::string_view verb;  // GET, POST, PUT or DELETE
  std::string_view path;  // "/v1/collections/{collection}:search"
};

// Every route, in the order of the service's RPCs.
absl::Span<const HttpRoute> HttpRoutes();

// The {field} names of a path template, in order.
std::vector<std::string> PathFields(std::string_view path);
// The template as an anchored regular expression whose groups capture the
// fields (a field matches one segment: no '/' or ':').
std::string PathRegex(std::string_view path);

}  // namespace metricdb

#endif  // METRICDB_SERVER_HTTP_ROUTES_H_
