#include "core/batch/workers.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <thread>

#include "ntk/sdk/error.hpp"

extern char** environ;

namespace ntk::core::batch {

namespace {

volatile std::sig_atomic_t g_interrupt = 0;

void record_interrupt(int signal) {
  if (g_interrupt == 0) g_interrupt = signal;
}

int open_or_throw(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) throw_error("batch: cannot open ", path, ": ", std::strerror(errno));
  return fd;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

// Only async-signal-safe calls between fork and exec: the parent may have other threads.
[[noreturn]] void exec_child(pid_t parent, int in, int out, int err, char* const* argv,
                             char* const* envp) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(126);  // the batch died before prctl took effect
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD}) ::sigaction(s, &default_action, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(126);
  ::execve(argv[0], argv, envp);
  const int code = errno;
  const char prefix[] = "batch worker: cannot execute ";
  (void)!::write(2, prefix, sizeof prefix - 1);
  (void)!::write(2, argv[0], std::strlen(argv[0]));
  char digits[24] = " (errno ";
  int n = 8, value = code;
  char reversed[12];
  int r = 0;
  do reversed[r++] = static_cast<char>('0' + value % 10);
  while ((value /= 10) > 0 && r < 11);
  while (r > 0) digits[n++] = reversed[--r];
  digits[n++] = ')';
  digits[n++] = '\n';
  (void)!::write(2, digits, static_cast<std::size_t>(n));
  ::_exit(127);
}

}  // namespace

WorkerPool::~WorkerPool() {
  if (!running_.empty()) stop_all(std::chrono::milliseconds(500));
}

pid_t WorkerPool::launch(const WorkerSpec& spec) {
  if (spec.argv.empty()) throw_error("WorkerPool::launch(): empty command");
  // Everything the child needs is built before fork.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [key, value] : spec.environment) replaced = replaced || key == name;
    for (const auto& key : spec.unset) replaced = replaced || key == name;
    if (!replaced) env_strings.push_back(entry);
  }
  for (const auto& [key, value] : spec.environment) env_strings.push_back(key + "=" + value);
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = spec.argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);

  const int in = open_or_throw("/dev/null", O_RDONLY);
  int out = -1, err = -1;
  try {
    out = open_or_throw(spec.stdout_path, O_WRONLY | O_CREAT | O_TRUNC);
    err = open_or_throw(spec.stderr_path, O_WRONLY | O_CREAT | O_TRUNC);
  } catch (...) {
    ::close(in);
    if (out >= 0) ::close(out);
    throw;
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) exec_child(parent, in, out, err, argv.data(), envp.data());
  const int fork_errno = errno;
  ::close(in);
  ::close(out);
  ::close(err);
  if (pid < 0) throw_error("batch: cannot start a worker: fork failed: ", std::strerror(fork_errno));
  ::setpgid(pid, pid);  // also from the parent, so stop_all can signal the group at once
  running_.push_back({pid, std::chrono::steady_clock::now()});
  return pid;
}

std::vector<WorkerExit> WorkerPool::wait_some(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<WorkerExit> exited;
  for (;;) {
    for (auto it = running_.begin(); it != running_.end();) {
      int status = 0;
      const pid_t r = ::waitpid(it->pid, &status, WNOHANG);
      if (r == it->pid || (r < 0 && errno == ECHILD)) {
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - it->start).count();
        exited.push_back({it->pid, r == it->pid ? decode_status(status) : -1, elapsed,
                          it->timed_out});
        // The group outlives its leader while a child that ignored SIGTERM is in it. The id
        // cannot have been reused: Linux gives no new process the id of a live group.
        if (it->timed_out) ::kill(-it->pid, SIGKILL);
        it = running_.erase(it);
      } else {
        ++it;
      }
    }
    if (!exited.empty() || running_.empty() || std::chrono::steady_clock::now() >= deadline)
      return exited;
    // Polling keeps this free of SIGCHLD races; a signal cuts the sleep short (EINTR).
    timespec pause{0, 10'000'000};
    if (::nanosleep(&pause, nullptr) != 0 && errno == EINTR) return exited;
  }
}

void WorkerPool::enforce_time_limit(std::chrono::duration<double> limit,
                                    std::chrono::milliseconds grace) {
  const auto now = std::chrono::steady_clock::now();
  for (auto& worker : running_) {
    if (!worker.timed_out && now - worker.start >= limit) {
      worker.timed_out = true;
      worker.terminated = now;
      ::kill(-worker.pid, SIGTERM);
      ::kill(worker.pid, SIGTERM);
    } else if (worker.timed_out && now - worker.terminated >= grace) {
      ::kill(-worker.pid, SIGKILL);
      ::kill(worker.pid, SIGKILL);
    }
  }
}

std::vector<pid_t> WorkerPool::stop_all(std::chrono::milliseconds grace) {
  std::vector<pid_t> stopped;
  for (const auto& worker : running_) {
    ::kill(-worker.pid, SIGTERM);
    ::kill(worker.pid, SIGTERM);
    stopped.push_back(worker.pid);
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!running_.empty() && std::chrono::steady_clock::now() < deadline) {
    for (auto it = running_.begin(); it != running_.end();) {
      int status = 0;
      const pid_t r = ::waitpid(it->pid, &status, WNOHANG);
      it = (r == it->pid || (r < 0 && errno == ECHILD)) ? running_.erase(it) : it + 1;
    }
    if (!running_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (const auto& worker : running_) {
    ::kill(-worker.pid, SIGKILL);
    ::kill(worker.pid, SIGKILL);
    int status = 0;
    while (::waitpid(worker.pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  running_.clear();
  return stopped;
}

InterruptGuard::InterruptGuard() {
  g_interrupt = 0;
  struct sigaction action {};
  action.sa_handler = record_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a signal cuts the pool's sleep short
  ::sigaction(SIGINT, &action, &old_int_);
  ::sigaction(SIGTERM, &action, &old_term_);
  ::sigaction(SIGHUP, &action, &old_hup_);
}

InterruptGuard::~InterruptGuard() {
  ::sigaction(SIGINT, &old_int_, nullptr);
  ::sigaction(SIGTERM, &old_term_, nullptr);
  ::sigaction(SIGHUP, &old_hup_, nullptr);
}

int InterruptGuard::signal() const { return g_interrupt; }

}  // namespace ntk::core::batch
