// ASSERT_OK / EXPECT_OK print the Status on failure; ASSERT_OK_AND_ASSIGN
// unwraps a StatusOr.
#ifndef METRICDB_TESTS_TESTING_STATUS_MATCHERS_H_
#define METRICDB_TESTS_TESTING_STATUS_MATCHERS_H_

#include <gtest/gtest.h>

#include "absl/status/statusor.h"

namespace metricdb::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

}  // namespace metricdb::testing

#define ASSERT_OK(expr)                                  \
  ASSERT_TRUE(::metricdb::testing::GetStatus(expr).ok()) \
      << ::metricdb::testing::GetStatus(expr).ToString()
#define EXPECT_OK(expr)                                  \
  EXPECT_TRUE(::metricdb::testing::GetStatus(expr).ok()) \
      << ::metricdb::testing::GetStatus(expr).ToString()

#define METRICDB_CONCAT_INNER(a, b) a##b
#define METRICDB_CONCAT(a, b) METRICDB_CONCAT_INNER(a, b)
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL(METRICDB_CONCAT(status_or_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr)   \
  auto tmp = (expr);                                \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString(); \
  lhs = std::move(tmp).value()

// The status code of a Status or StatusOr.
#define STATUS_CODE(expr) (::metricdb::testing::GetStatus(expr).code())

#endif  // METRICDB_TESTS_TESTING_STATUS_MATCHERS_H_
