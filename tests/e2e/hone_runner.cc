#include "hone_runner.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hone/core/random.h"

extern char** environ;

namespace hone::e2e {

namespace fs = std::filesystem;

HoneProcess::HoneProcess(const Workspace& ws, const std::string& command,
                         std::vector<std::string> args)
    : ws_(ws) {
  static int count = 0;
  name_ = command + "-" + std::to_string(++count);
  std::vector<std::string> argv = {HONE_BINARY, command};
  if (command == "serve" || command == "server" || command == "ui") {
    for (const char* a : {"--port", "0", "--port-file"}) argv.emplace_back(a);
    argv.push_back(ws.Path(name_ + ".port").string());
  }
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);
  const std::string log = ws.Path(name_ + ".log").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addchdir_np(&actions, ws.dir().c_str());
  pid_t pid = -1;
  if (posix_spawn(&pid, HONE_BINARY, &actions, nullptr, raw.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  pid_ = pid;
}

HoneProcess::~HoneProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

uint16_t HoneProcess::WaitForPort() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(ws_.Path(name_ + ".port"));
    int port = 0;
    if (in >> port && port > 0) return static_cast<uint16_t>(port);
    int status = 0;
    if (pid_ <= 0 || ::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

int HoneProcess::Terminate() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int HoneProcess::Interrupt() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGINT);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void HoneProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string HoneProcess::Log() const { return ws_.Read(name_ + ".log"); }

Workspace::Workspace() {
  std::string tmpl = (fs::temp_directory_path() / "hone-e2e-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
}

Workspace::~Workspace() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string Workspace::Write(const std::string& name, const std::string& text) const {
  std::ofstream(dir_ / name, std::ios::binary) << text;
  return (dir_ / name).string();
}

std::string Workspace::Read(const std::string& name) const {
  std::ifstream in(dir_ / name, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool Workspace::Exists(const std::string& name) const { return fs::exists(dir_ / name); }

std::vector<std::string> Workspace::Files() const {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
  return names;
}

std::string Quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

ShellResult Shell(const std::string& command) {
  ShellResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

RunResult Workspace::Hone(const std::vector<std::string>& args) const {
  std::string out_path = (dir_ / ".stdout").string(), err_path = (dir_ / ".stderr").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addchdir_np(&actions, dir_.c_str());
  std::vector<std::string> argv_text = {HONE_BINARY};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  RunResult r;
  if (posix_spawn(&pid, HONE_BINARY, &actions, nullptr, argv.data(), environ) != 0) {
    posix_spawn_file_actions_destroy(&actions);
    r.err = "could not start " HONE_BINARY;
    return r;
  }
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = Read(".stdout");
  r.err = Read(".stderr");
  fs::remove(out_path);
  fs::remove(err_path);
  return r;
}

PgSchema::PgSchema(std::string url, const std::string& prefix) : url_(std::move(url)) {
  static int counter = 0;
  name_ = prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  created_ = Psql("DROP SCHEMA IF EXISTS " + name_ + " CASCADE; CREATE SCHEMA " + name_);
}

PgSchema::~PgSchema() {
  if (ok()) Psql("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
}

std::string PgSchema::StoreUrl() const {
  return url_ + (url_.find('?') == std::string::npos ? "?" : "&") + "options=-c%20search_path%3D" +
         name_;
}

ShellResult PgSchema::Psql(const std::string& sql) const {
  return Shell("psql -X -q -v ON_ERROR_STOP=1 -d " + Quote(url_) + " -c " +
               Quote("SET client_min_messages = warning; " + sql));
}

std::string HousesCsv(int rows, unsigned seed) {
  core::Rng rng(seed);
  const char* districts[] = {"north", "south", "east", "old town, centre"};
  const double effect[] = {0, 40000, -25000, 90000};
  std::ostringstream csv;
  csv << "size,rooms,district,built,price\n";
  for (int i = 0; i < rows; ++i) {
    double size = 40 + rng.Uniform() * 160;
    int rooms = 1 + static_cast<int>(size / 35);
    auto d = static_cast<size_t>(rng.Below(4));
    int built = 1950 + static_cast<int>(rng.Below(70));
    double price = 2500 * size + 8000 * rooms + effect[d] + (built - 1950) * 300 +
                   (rng.Uniform() - 0.5) * 20000;
    csv << static_cast<int>(size) << ',';
    if (i % 17 != 3) csv << rooms;
    csv << ',';
    if (d == 3) {
      csv << '"' << districts[d] << '"';
    } else if (i % 23 != 5) {
      csv << districts[d];
    }
    csv << ',' << built << ',' << std::lround(price) << '\n';
  }
  return csv.str();
}

std::string ChurnCsv(int rows, unsigned seed) {
  core::Rng rng(seed);
  const char* plans[] = {"monthly", "yearly", "two_year"};
  std::ostringstream csv;
  csv << "tenure,charges,plan,churned\n";
  for (int i = 0; i < rows; ++i) {
    int tenure = static_cast<int>(rng.Below(72));
    double charges = 20 + rng.Uniform() * 100;
    auto plan = static_cast<size_t>(rng.Below(3));
    double risk = 0.6 - tenure / 100.0 + (plan == 0 ? 0.3 : -0.2) + charges / 400.0;
    bool churned = rng.Uniform() < risk;
    csv << tenure << ',' << std::lround(charges * 100) / 100.0 << ',' << plans[plan] << ','
        << (churned ? "yes" : "no") << '\n';
  }
  return csv.str();
}

}  // namespace hone::e2e
