// A client of a test's ServerProcess: 60 s deadlines, ready before it is
// returned (a failure to connect is a test failure). Link metricdb_client.
#ifndef METRICDB_TESTS_TESTING_SERVER_CLIENT_H_
#define METRICDB_TESTS_TESTING_SERVER_CLIENT_H_

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "client/metricdb_client.h"
#include "tests/testing/server_process.h"

namespace metricdb::testing {

inline std::unique_ptr<Client> ConnectTo(const ServerProcess& server) {
  ClientOptions options;
  options.address = server.address();
  options.timeout = std::chrono::seconds(60);
  auto client = Client::Connect(options);
  const absl::Status ready = client->WaitUntilReady(std::chrono::seconds(10));
  EXPECT_TRUE(ready.ok()) << ready;
  return client;
}

}  // namespace metricdb::testing

#endif  // METRICDB_TESTS_TESTING_SERVER_CLIENT_H_
