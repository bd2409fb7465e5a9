#include "hone/core/process.h"

#include <atomic>
#include <csignal>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "hone/core/file.h"
#include "hone/core/test_temp_dir.h"

namespace hone::core {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ProcessTest : public testing::TempDirTest {
 protected:
  ProcessRequest Request(std::string command) {
    ProcessRequest request;
    request.command = std::move(command);
    request.log = dir_ / "log.txt";
    return request;
  }
  std::string Log() { return ReadFile(dir_ / "log.txt").value_or("(no log)"); }
  ProcessResult Run(const ProcessRequest& request) {
    auto result = RunProcess(request);
    EXPECT_TRUE(result.has_value()) << result.error().message();
    return result.value_or(ProcessResult{.exit_code = -1});
  }
};

// While alive, orphans of this process's descendants become its children, so a test can wait
// for a grandchild that the command left behind: the wait returns once it has died.
class Subreaper {
 public:
  Subreaper() { EXPECT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0); }
  ~Subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 0); }
};

// Waits for `pid` (a child of this process, or already reaped) and tells how it ended.
std::string AwaitEnd(pid_t pid) {
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return errno == ECHILD ? "reaped by its parent" : "waitpid failed";
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "exit " + std::to_string(WEXITSTATUS(status));
}

TEST_F(ProcessTest, ReportsExitStatusAndSignals) {
  EXPECT_EQ(Run(Request("exit 0")).exit_code, 0);
  EXPECT_EQ(Run(Request("exit 3")).exit_code, 3);
  EXPECT_EQ(Run(Request("exit 255")).exit_code, 255);
  ProcessResult killed = Run(Request("kill -KILL $$"));
  EXPECT_EQ(killed.exit_code, 128 + SIGKILL);
  EXPECT_FALSE(killed.timed_out);
  EXPECT_FALSE(killed.cancelled);
  EXPECT_GE(killed.seconds, 0);
}

TEST_F(ProcessTest, CapturesStandardOutputAndErrorInOneTruncatedLog) {
  ASSERT_TRUE(WriteFileAtomic(dir_ / "log.txt", "old content\n").has_value());
  ProcessResult r = Run(Request("echo out; echo err >&2; printf 'no newline'"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(Log(), "out\nerr\nno newline");
  EXPECT_EQ(r.log_tail, "out\nerr\nno newline");
}

TEST_F(ProcessTest, PassesExtraEnvironmentOverTheInheritedOne) {
  ASSERT_EQ(::setenv("HONE_PROCESS_TEST_INHERITED", "kept", 1), 0);
  ProcessRequest request = Request(
      "echo \"$HONE_A|$HOME|$HONE_PROCESS_TEST_INHERITED|$HONE_B\"; env | grep -c '^HOME='");
  request.env = {{"HONE_A", "a value with spaces"},
                 {"HOME", "/replaced"},
                 {"HONE_B", "first"},
                 {"HONE_B", "second"}};
  ProcessResult r = Run(request);
  ::unsetenv("HONE_PROCESS_TEST_INHERITED");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(Log(), "a value with spaces|/replaced|kept|second\n1\n");
}

TEST_F(ProcessTest, RefusesAnEnvironmentNameWithEquals) {
  ProcessRequest request = Request("true");
  request.env = {{"A=B", "c"}};
  auto r = RunProcess(request);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(r.error().message(), HasSubstr("'A=B'"));
}

TEST_F(ProcessTest, RunsInTheWorkingDirectory) {
  std::filesystem::create_directories(dir_ / "work dir");
  ProcessRequest request = Request("pwd -P; echo made > here.txt");
  request.workdir = dir_ / "work dir";
  EXPECT_EQ(Run(request).exit_code, 0);
  EXPECT_EQ(Log(), std::filesystem::canonical(dir_ / "work dir").string() + "\n");
  EXPECT_EQ(ReadFile(dir_ / "work dir" / "here.txt").value_or(""), "made\n");
}

TEST_F(ProcessTest, AMissingWorkingDirectoryExits127WithAMessage) {
  ProcessRequest request = Request("echo should not run");
  request.workdir = dir_ / "absent";
  ProcessResult r = Run(request);
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_THAT(r.log_tail, HasSubstr((dir_ / "absent").string()));
  EXPECT_THAT(Log(), Not(HasSubstr("should not run")));
}

TEST_F(ProcessTest, AMissingCommandExits127WithTheShellsMessage) {
  ProcessResult r = Run(Request("hone_no_such_command_xyz --flag"));
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_THAT(r.log_tail, HasSubstr("hone_no_such_command_xyz"));
  EXPECT_THAT(r.log_tail, HasSubstr("not found"));
}

TEST_F(ProcessTest, AnUnwritableLogIsAnIoError) {
  ProcessRequest request = Request("true");
  request.log = dir_ / "no such folder" / "log.txt";
  auto r = RunProcess(request);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kIo);
  EXPECT_THAT(r.error().message(), HasSubstr("no such folder"));
}

TEST_F(ProcessTest, StartsInItsOwnGroupWithStdinFromDevNullAndDefaultSignals) {
  // A server ignores SIGPIPE; the command must not inherit that.
  auto* previous = std::signal(SIGPIPE, SIG_IGN);
  ProcessResult r =
      Run(Request("readlink /proc/self/fd/0; "
                  "[ \"$(cut -d' ' -f5 /proc/$$/stat)\" = \"$$\" ] && echo leader; "
                  "grep SigIgn /proc/self/status"));
  std::signal(SIGPIPE, previous);
  EXPECT_EQ(r.exit_code, 0);
  std::string log = Log();
  ASSERT_TRUE(log.starts_with("/dev/null\nleader\nSigIgn:\t")) << log;
  // Of the standard signals (1 to 31) none is ignored; glibc's posix_spawn ignores its own two
  // internal real-time ones, which every glibc program sets up again.
  uint64_t ignored = std::stoull(log.substr(log.find('\t') + 1), nullptr, 16);
  EXPECT_EQ(ignored & 0x7fffffff, 0u) << log;
}

TEST_F(ProcessTest, TailKeepsTheLastTwentyLines) {
  ProcessResult r = Run(Request("seq 1 100"));
  std::string want;
  for (int i = 81; i <= 100; ++i) want += std::to_string(i) + "\n";
  EXPECT_EQ(r.log_tail, want);
}

TEST_F(ProcessTest, TailKeepsAtMostFourKibibytesOfWholeLines) {
  // 30 lines of 300 bytes: 13 whole lines fit in 4096 bytes.
  ProcessResult r = Run(Request("for i in $(seq 1 30); do printf '%0299d\\n' $i; done"));
  EXPECT_LE(r.log_tail.size(), 4096u);
  EXPECT_EQ(r.log_tail.size(), 13u * 300u);
  EXPECT_TRUE(r.log_tail.starts_with(std::string(297, '0') + "18\n")) << r.log_tail.substr(0, 300);
}

TEST_F(ProcessTest, TimeoutEndsTheCommandAndWhatItStartedInTheBackground) {
  Subreaper subreaper;
  ProcessRequest request = Request("sleep 60 & echo $! > " + (dir_ / "pid").string() + "; wait");
  request.timeout_seconds = 2;
  ProcessResult r = Run(request);
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.cancelled);
  EXPECT_EQ(r.exit_code, 128 + SIGTERM);
  EXPECT_LT(r.seconds, 60);  // it did not wait for the sleep
  std::string pid_text = ReadFile(dir_ / "pid").value_or("");
  ASSERT_FALSE(pid_text.empty()) << "the shell never wrote the background process's ID";
  pid_t grandchild = std::stoi(pid_text);
  EXPECT_THAT(AwaitEnd(grandchild), ::testing::AnyOf("signal 15", "reaped by its parent"));
  EXPECT_EQ(::kill(grandchild, 0), -1);
}

TEST_F(ProcessTest, TimeoutEndsAPlainSleep) {
  ProcessRequest request = Request("sleep 60");
  request.timeout_seconds = 0.2;
  ProcessResult r = Run(request);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, 128 + SIGTERM);
  EXPECT_LT(r.seconds, 60);
}

TEST_F(ProcessTest, ACommandIgnoringSigtermGetsSigkill) {
  ProcessRequest request = Request("trap '' TERM; sleep 60");
  request.timeout_seconds = 0.1;
  ProcessResult r = Run(request);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, 128 + SIGKILL);
  EXPECT_LT(r.seconds, 60);
}

TEST_F(ProcessTest, CancelEndsTheProcessGroup) {
  Subreaper subreaper;
  std::filesystem::path fifo = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::atomic<bool> cancel{false};
  ProcessRequest request = Request("sleep 60 & echo $! > " + fifo.string() + "; wait");
  request.cancel = &cancel;
  Result<ProcessResult> result = Fail(ErrorCode::kInternal, "not run");
  std::thread runner([&] { result = RunProcess(request); });
  // Opening the FIFO waits for the shell to open it, and reading waits for the ID.
  std::ifstream in(fifo);
  pid_t grandchild = 0;
  in >> grandchild;
  cancel = true;
  runner.join();
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_TRUE(result->cancelled);
  EXPECT_FALSE(result->timed_out);
  EXPECT_EQ(result->exit_code, 128 + SIGTERM);
  ASSERT_GT(grandchild, 0);
  EXPECT_THAT(AwaitEnd(grandchild), ::testing::AnyOf("signal 15", "reaped by its parent"));
}

TEST_F(ProcessTest, LeftoverBackgroundProcessesEndWithTheCommand) {
  Subreaper subreaper;
  ProcessResult r = Run(Request("sleep 60 & echo $!"));
  EXPECT_EQ(r.exit_code, 0);
  pid_t grandchild = std::stoi(Log());
  EXPECT_THAT(AwaitEnd(grandchild), ::testing::AnyOf("signal 9", "reaped by its parent"));
}

TEST_F(ProcessTest, SeveralThreadsRunCommandsAtOnce) {
  constexpr int kThreads = 6;
  std::vector<Result<ProcessResult>> results(kThreads, Fail(ErrorCode::kInternal, "not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      ProcessRequest request;
      request.command = "echo \"$HONE_ID\"; exit $HONE_ID";
      request.env = {{"HONE_ID", std::to_string(i)}};
      request.log = dir_ / ("log" + std::to_string(i));
      results[i] = RunProcess(request);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(results[i].has_value()) << results[i].error().message();
    EXPECT_EQ(results[i]->exit_code, i);
    EXPECT_EQ(results[i]->log_tail, std::to_string(i) + "\n");
  }
}

TEST(TailLinesTest, KeepsTheLastLines) {
  EXPECT_EQ(TailLines("a\nb\nc\n", 2, 100), "b\nc\n");
  EXPECT_EQ(TailLines("a\nb\nc", 2, 100), "b\nc");
  EXPECT_EQ(TailLines("a\nb\nc\n", 5, 100), "a\nb\nc\n");
  EXPECT_EQ(TailLines("a\nb\nc\n", 1, 100), "c\n");
  EXPECT_EQ(TailLines("a\n\n\n", 2, 100), "\n\n");
  EXPECT_EQ(TailLines("", 3, 100), "");
  EXPECT_EQ(TailLines("a\nb\n", 0, 100), "");
  EXPECT_EQ(TailLines("a\nb\n", 2, 0), "");
}

TEST(TailLinesTest, KeepsWholeLinesWithinTheByteLimit) {
  EXPECT_EQ(TailLines("first line\nsecond\nthird\n", 10, 13), "second\nthird\n");
  EXPECT_EQ(TailLines("first line\nsecond\nthird\n", 10, 12), "third\n");
  // The byte limit falls just after a newline: the line after it is whole.
  EXPECT_EQ(TailLines("aaaa\nbb\ncc\n", 10, 6), "bb\ncc\n");
}

TEST(TailLinesTest, CutsAnOverlongLastLineOnACharacterBoundary) {
  EXPECT_EQ(TailLines("x\n0123456789", 10, 4), "6789");
  // "é" is two bytes; a cut inside it drops the half character.
  EXPECT_EQ(TailLines("\xC3\xA9\xC3\xA9", 10, 3), "\xC3\xA9");
  EXPECT_EQ(TailLines("abcdef\n", 10, 4), "def\n");
}

}  // namespace
}  // namespace hone::core
