// `hone train --register` killed with SIGKILL at random moments, two at a time, over and over:
// afterwards `hone store check` finds the store consistent (every version's bundle present and
// verified, the audit chain intact, no half-written blob) and versions are numbered 1..N.
#include <chrono>
#include <random>
#include <thread>

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include "hone_runner.h"

extern char** environ;

namespace hone::e2e {
namespace {

/// Starts `hone ARGS...` in `dir` with its output discarded; returns its pid.
pid_t Start(const std::filesystem::path& dir, const std::vector<std::string>& args) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  std::vector<std::string> text = {HONE_BINARY};
  text.insert(text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : text) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, HONE_BINARY, &actions, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

TEST(StoreCrashTest, RegistrationsKilledAtRandomLeaveAConsistentStore) {
  Workspace ws;
  ws.Write("houses.csv", HousesCsv(1500, 3));
  const std::vector<std::string> train = {"train",          "--data",     "houses.csv",
                                          "--target",       "price",      "--param",
                                          "n_estimators=8", "--register", "houses"};
  // One registration to completion first, so the store exists and is promoted, and to learn
  // how long one takes on this build and machine: the kills land anywhere in that span.
  const auto begin = std::chrono::steady_clock::now();
  RunResult first = ws.Hone(train);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto span = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - begin);
  ASSERT_EQ(ws.Hone({"promote", "houses", "1"}).exit_code, 0);

  std::mt19937 rng(1130);
  int killed = 0;
  for (int round = 0; round < 20; ++round) {
    std::vector<pid_t> writers = {Start(ws.dir(), train), Start(ws.dir(), train)};
    // The moment of death is what is random; nothing here waits for a writer to reach a point.
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % (span.count() + 1)));
    for (pid_t pid : writers) {
      ASSERT_GT(pid, 0);
      ::kill(pid, SIGKILL);
      int status = 0;
      ::waitpid(pid, &status, 0);
      killed += WIFSIGNALED(status);
    }
  }
  std::cout << killed << " of 40 registrations killed before they finished\n";
  EXPECT_GT(killed, 0) << "every writer finished before its kill: the test tested nothing";

  RunResult check = ws.Hone({"store", "check", "--json"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  auto report = nlohmann::json::parse(check.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << check.out;
  EXPECT_EQ(report["ok"], true) << check.out;
  EXPECT_EQ(report["problems"], nlohmann::json::array()) << check.out;
  EXPECT_EQ(ws.Hone({"audit", "verify"}).exit_code, 0);

  RunResult versions = ws.Hone({"models", "versions", "houses", "--json"});
  ASSERT_EQ(versions.exit_code, 0) << versions.err;
  auto list = nlohmann::json::parse(versions.out)["versions"];
  ASSERT_GE(list.size(), 1u);
  for (size_t i = 0; i < list.size(); ++i) EXPECT_EQ(list[i]["version"], i + 1);
  // The store goes on: one more registration is N+1, and production still resolves.
  RunResult next = ws.Hone({"train", "--data", "houses.csv", "--target", "price", "--param",
                            "n_estimators=8", "--register", "houses", "--json"});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  EXPECT_EQ(nlohmann::json::parse(next.out)["registered"]["version"], list.size() + 1);
  RunResult predict = ws.Hone({"predict", "--model", "houses@production", "--data", "houses.csv"});
  EXPECT_EQ(predict.exit_code, 0) << predict.err;
}

}  // namespace
}  // namespace hone::e2e
