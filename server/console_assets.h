// The web console's files (server/console/), compiled into the server by
// server/console/embed.cmake and served by the HTTP gateway at / (index.html),
// /console.css and /console.js. The console is plain HTML, CSS and
// JavaScript over the HTTP/JSON API; no build step, no library.
#ifndef METRICDB_SERVER_CONSOLE_ASSETS_H_
#define METRICDB_SERVER_CONSOLE_ASSETS_H_

#include <string_view>

#include "absl/types/span.h"

namespace metricdb {

struct ConsoleAsset {
  std::string_view path;  // "/console.js"
  std::string_view content_type;
  std::string_view body;
};

absl::Span<const ConsoleAsset> ConsoleAssets();

}  // namespace metricdb

#endif  // METRICDB_SERVER_CONSOLE_ASSETS_H_
