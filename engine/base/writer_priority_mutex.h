// WriterPriorityMutex: a reader/writer lock that admits no new reader while
// a writer waits. std::shared_mutex (glibc's default rwlock) prefers readers,
// so a steady stream of searches could starve an index swap, a metric
// activation or a write forever. Usable with std::shared_lock and
// std::unique_lock. Not recursive: a thread must not take the shared lock
// twice (it would wait behind a writer that waits for it).
#ifndef METRICDB_ENGINE_BASE_WRITER_PRIORITY_MUTEX_H_
#define METRICDB_ENGINE_BASE_WRITER_PRIORITY_MUTEX_H_

#include <pthread.h>

namespace metricdb {

class WriterPriorityMutex {
 public:
  WriterPriorityMutex() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&lock_, &attr);
    pthread_rwlockattr_destroy(&attr);
  }
  ~WriterPriorityMutex() { pthread_rwlock_destroy(&lock_); }
  WriterPriorityMutex(const WriterPriorityMutex&) = delete;
  WriterPriorityMutex& operator=(const WriterPriorityMutex&) = delete;

  void lock() { pthread_rwlock_wrlock(&lock_); }
  bool try_lock() { return pthread_rwlock_trywrlock(&lock_) == 0; }
  void unlock() { pthread_rwlock_unlock(&lock_); }
  void lock_shared() { pthread_rwlock_rdlock(&lock_); }
  bool try_lock_shared() { return pthread_rwlock_tryrdlock(&lock_) == 0; }
  void unlock_shared() { pthread_rwlock_unlock(&lock_); }

 private:
  pthread_rwlock_t lock_;
};

}  // namespace metricdb

#endif  // METRICDB_ENGINE_BASE_WRITER_PRIORITY_MUTEX_H_
