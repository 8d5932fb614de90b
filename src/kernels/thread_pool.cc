#include "kernels/thread_pool.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hifloat/error.h"

namespace hifloat::kernels {
namespace {

thread_local bool tl_inside_task = false;

// Workers sleep on a condition variable between jobs. A job is a task count
// and a function; workers and the caller claim task indices one at a time,
// so which thread runs a task may vary, but what a task computes does not.
class ThreadPool {
 public:
  static ThreadPool& shared() {
    static ThreadPool pool;
    return pool;
  }

  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    work_cv_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

  void run(int tasks, const std::function<void(int)>& fn) {
    std::lock_guard<std::mutex> job_lock(job_mutex_);  // one job at a time
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (static_cast<int>(workers_.size()) < tasks - 1) {
        // Workers start with every signal blocked (a thread inherits its
        // creator's mask), so process-directed signals such as SIGINT go to
        // the program's own threads and their handlers, never to a worker.
        sigset_t all, old;
        sigfillset(&all);
        ::pthread_sigmask(SIG_SETMASK, &all, &old);
        try {
          while (static_cast<int>(workers_.size()) < tasks - 1) {
            workers_.emplace_back([this] { worker_loop(); });
          }
        } catch (...) {
          ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
          throw;
        }
        ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
      }
      fn_ = &fn;
      tasks_ = tasks;
      next_ = 0;
      unfinished_ = tasks;
      error_ = nullptr;
      ++generation_;
    }
    work_cv_.notify_all();
    work_on_current_job();
    std::unique_lock<std::mutex> lock(mutex_);
    done_cv_.wait(lock, [this] { return unfinished_ == 0; });
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  ThreadPool() = default;

  void worker_loop() {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        work_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
      }
      work_on_current_job();
    }
  }

  // Claims and runs tasks of the current job until none are left.
  void work_on_current_job() {
    for (;;) {
      const std::function<void(int)>* fn = nullptr;
      int index = 0;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (fn_ == nullptr || next_ >= tasks_) return;
        fn = fn_;
        index = next_++;
      }
      std::exception_ptr error;
      tl_inside_task = true;
      try {
        (*fn)(index);
      } catch (...) {
        error = std::current_exception();
      }
      tl_inside_task = false;
      bool last = false;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (error && !error_) error_ = error;
        last = --unfinished_ == 0;
      }
      if (last) done_cv_.notify_all();
    }
  }

  std::mutex job_mutex_;
  std::mutex mutex_;
  std::condition_variable work_cv_, done_cv_;
  std::vector<std::thread> workers_;
  bool stop_ = false;
  uint64_t generation_ = 0;
  const std::function<void(int)>* fn_ = nullptr;
  int tasks_ = 0, next_ = 0, unfinished_ = 0;
  std::exception_ptr error_;
};

}  // namespace

int resolve_threads(int requested) {
  if (requested < 0) {
    throw Error("threads must be >= 0 (0 = all hardware threads), got " + std::to_string(requested));
  }
  if (requested == 0) return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return requested;
}

void run_tasks(int tasks, const std::function<void(int)>& fn) {
  if (tasks <= 0) return;
  if (tasks == 1 || tl_inside_task) {
    for (int i = 0; i < tasks; ++i) fn(i);
    return;
  }
  ThreadPool::shared().run(tasks, fn);
}

void parallel_for(size_t n, int threads, const std::function<void(size_t, size_t)>& fn) {
  const size_t wanted = static_cast<size_t>(resolve_threads(threads));
  if (n == 0) return;
  const size_t by_size = (n + kMinElementsPerThread - 1) / kMinElementsPerThread;
  const size_t parts = std::max<size_t>(1, std::min(wanted, by_size));
  if (parts == 1) {
    fn(0, n);
    return;
  }
  // Equal ranges rounded up to the alignment; the last one takes the rest.
  size_t chunk = (n + parts - 1) / parts;
  chunk = (chunk + kPartitionAlign - 1) / kPartitionAlign * kPartitionAlign;
  run_tasks(static_cast<int>(parts), [&](int k) {
    const size_t begin = std::min(n, static_cast<size_t>(k) * chunk);
    const size_t end = std::min(n, begin + chunk);
    if (begin < end) fn(begin, end);
  });
}

}  // namespace hifloat::kernels
