// Runs the hone binary in a scratch folder and captures what it printed.
#ifndef HONE_TESTS_E2E_HONE_RUNNER_H_
#define HONE_TESTS_E2E_HONE_RUNNER_H_

#include <filesystem>
#include <string>
#include <vector>

namespace hone::e2e {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// A scratch folder, removed at destruction, in which `hone` runs.
class Workspace {
 public:
  Workspace();
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path Path(const std::string& name) const { return dir_ / name; }
  /// Writes `text` to a file in the workspace and returns its path.
  std::string Write(const std::string& name, const std::string& text) const;
  std::string Read(const std::string& name) const;
  bool Exists(const std::string& name) const;
  /// Names of the files in the workspace.
  std::vector<std::string> Files() const;

  /// Runs `hone ARGS...` with the workspace as working directory (no shell involved).
  RunResult Hone(const std::vector<std::string>& args) const;

 private:
  std::filesystem::path dir_;
};

/// A long-running `hone COMMAND ARGS...` child (serve, watch) with its output in a log file in
/// the workspace; killed (SIGKILL) at destruction if still running. `hone serve` is given
/// (and `hone server`) `--port 0 --port-file FILE`, so WaitForPort finds where it listens.
class HoneProcess {
 public:
  HoneProcess(const Workspace& ws, const std::string& command, std::vector<std::string> args);
  ~HoneProcess();
  HoneProcess(const HoneProcess&) = delete;
  HoneProcess& operator=(const HoneProcess&) = delete;

  /// serve: the port, once written (0 when the process exited or did not within 60 s).
  uint16_t WaitForPort();
  /// Sends SIGTERM and returns the exit status (-1 when it did not exit normally).
  int Terminate();
  /// Sends SIGKILL (a crash: nothing is released) and waits for the process to end.
  void Kill();
  /// Sends SIGINT (Ctrl-C) and returns the exit status once it exits (-1 when it did not exit
  /// normally).
  int Interrupt();
  /// What it printed so far (stdout and stderr).
  std::string Log() const;

 private:
  const Workspace& ws_;
  std::string name_;  // the log's and port file's base name
  int pid_ = -1;
};

struct ShellResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr
};

/// `text` as one word for /bin/sh.
std::string Quote(const std::string& text);

/// Runs a shell command (a tool the test needs: git, psql, python3, sha256sum).
ShellResult Shell(const std::string& command);

/// A schema of its own, named PREFIX_PID_N, in the PostgreSQL database `url` names: made at
/// construction (ok() says whether it was, created() what psql said), dropped at destruction.
class PgSchema {
 public:
  PgSchema(std::string url, const std::string& prefix);
  ~PgSchema();
  PgSchema(const PgSchema&) = delete;
  PgSchema& operator=(const PgSchema&) = delete;

  bool ok() const { return created_.exit_code == 0; }
  const ShellResult& created() const { return created_; }
  const std::string& name() const { return name_; }
  /// The store URL of this schema: `url` with the schema first on libpq's search_path.
  std::string StoreUrl() const;
  /// psql on the database (not through hone).
  ShellResult Psql(const std::string& sql) const;

 private:
  std::string url_;
  std::string name_;
  ShellResult created_;
};

/// A CSV of house sales: rows × (size, rooms, district, built, price), seeded. Price depends
/// on size, rooms and district; a few cells are missing.
std::string HousesCsv(int rows, unsigned seed);
/// A CSV of customers with a text label "yes"/"no" in `churned`.
std::string ChurnCsv(int rows, unsigned seed);

}  // namespace hone::e2e

#endif  // HONE_TESTS_E2E_HONE_RUNNER_H_
