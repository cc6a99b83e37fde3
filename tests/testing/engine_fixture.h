// EngineFixture: a real engine (RocksDB on disk) in a temporary directory,
// opened before each test and reopened on demand to test restarts.
#ifndef METRICDB_TESTS_TESTING_ENGINE_FIXTURE_H_
#define METRICDB_TESTS_TESTING_ENGINE_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>

#include "engine/collection/engine.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace metricdb::testing {

class EngineFixture : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  // Closes the engine and opens it again on the same directory, with
  // `options_` (a test may change them first). Collection handles held by
  // the test keep the store open: reset them first.
  void Reopen() {
    engine_.reset();
    EngineOptions options = options_;
    options.data_dir = dir_.file("db");
    auto engine = Engine::Open(options);
    ASSERT_OK(engine);
    engine_ = std::move(*engine);
  }

  TempDir dir_;
  EngineOptions options_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace metricdb::testing

#endif  // METRICDB_TESTS_TESTING_ENGINE_FIXTURE_H_
