// Whether this build runs under a sanitizer. Its allocator replaces glibc's
// (shadow memory, quarantined frees), so measurements of the memory or page
// faults of the binaries we ship do not apply.
#ifndef METRICDB_TESTS_TESTING_SANITIZERS_H_
#define METRICDB_TESTS_TESTING_SANITIZERS_H_

namespace metricdb::testing {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitizedBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitizedBuild = true;
#else
inline constexpr bool kSanitizedBuild = false;
#endif
#else
inline constexpr bool kSanitizedBuild = false;
#endif

}  // namespace metricdb::testing

#endif  // METRICDB_TESTS_TESTING_SANITIZERS_H_
