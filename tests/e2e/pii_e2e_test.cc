// Personal data through the real binary: `hone run` on customers whose email is `pii: drop`
// and whose customer id is `pii: hash`, then `hone serve` answering raw requests (OIP, MLflow
// JSON and CSV) and taking feedback, then `hone predict`. Every file hone wrote under the
// workspace (the store's database and its WAL, artifacts, snapshots, logs, reports) is then
// read byte by byte: no raw value and no key is anywhere, and the hashed values are where the
// data, the bundle and the prediction log keep them.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hone/core/pii.h"
#include "hone/serve/testing/http_client.h"
#include "hone_runner.h"

namespace hone::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using serve::testing::ClientResponse;
using serve::testing::HttpClient;
using ::testing::HasSubstr;

constexpr char kKey[] = "e2e-pii-key-7f3a9c0d1b2e4f56";
// Every raw email holds kMailMarker, every raw customer id kIdMarker: finding neither in a file
// means no raw value of either column is in it.
constexpr char kMailMarker[] = "rawdomain";
constexpr char kIdMarker[] = "RAWCUST";

std::string Email(int i) { return "pii.person" + std::to_string(i) + "@rawdomain.test"; }
std::string CustomerId(int c) { return "RAWCUST" + std::to_string(1000 + c); }

std::string CustomersCsv() {
  std::string csv = "email,customer_id,spend,visits,churned\n";
  for (int i = 0; i < 600; ++i) {
    const int customer = i % 60;
    const int spend = (i * 37) % 100;
    // Churn follows the customer (a third of them) and low spend: the id carries signal.
    const bool churned = customer % 3 == 0 || spend < 10;
    csv += Email(i) + "," + CustomerId(customer) + "," + std::to_string(spend) + "," +
           std::to_string(i % 9) + "," + (churned ? "yes" : "no") + "\n";
  }
  return csv;
}

constexpr char kSpec[] = R"(model: churn
data: {path: customers.csv, snapshot: true}
target: churned
pii:
  email: drop
  customer_id: hash
split: {method: stratified, test_size: 0.25, seed: 5}
checks:
  - row_count: {min: 100}
  - schema
  - nulls: {column: customer_id}
  - unique: {column: customer_id, severity: warn}
train:
  model: random_forest
  params: {n_estimators: 20}
evaluate: {slices: [customer_id]}
gates:
  - accuracy >= 0.6
)";

// Every regular file under `dir`, with its bytes.
std::vector<std::pair<fs::path, std::string>> FilesUnder(const fs::path& dir) {
  std::vector<std::pair<fs::path, std::string>> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    files.emplace_back(e.path(), bytes.str());
  }
  return files;
}

// Sets an environment variable for the test's children, and puts back what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    Set(value);
  }
  ~ScopedEnv() { Set(old_); }
  void Set(const std::optional<std::string>& value) {
    if (value) {
      ::setenv(name_, value->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::optional<ClientResponse> WaitReady(HttpClient& client) {
  std::optional<ClientResponse> ready;
  for (int i = 0; i < 3000; ++i) {
    ready = client.Send("GET", "/v2/health/ready");
    if (ready && ready->status == 200) break;
    if (ready && ready->body.find("failed to load") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ready;
}

// The prediction log, as the store keeps it: request_id → (inputs, label).
json PredictionLog(const Workspace& ws) {
  const std::string script =
      "import json, sqlite3, sys\n"
      "db = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)\n"
      "rows = db.execute('SELECT request_id, inputs, label FROM predictions').fetchall()\n"
      "print(json.dumps({r[0]: {'inputs': r[1], 'label': r[2]} for r in rows}))\n";
  ws.Write("log.py", script);
  ShellResult r = Shell("/usr/bin/python3 " + Quote(ws.Path("log.py").string()) + " " +
                        Quote(ws.Path(".hone/hone.db").string()));
  fs::remove(ws.Path("log.py"));
  if (r.exit_code != 0) {
    ADD_FAILURE() << r.out;
    return json::object();
  }
  return json::parse(r.out);
}

// No raw value of a pii column, and not the key, in any file under the workspace but the
// user's own data; returns how many files hold `hashed`.
size_t CheckNoRawValues(const Workspace& ws, const std::string& hashed, const std::string& when) {
  size_t holding = 0;
  for (const auto& [path, bytes] : FilesUnder(ws.dir())) {
    if (path == ws.Path("customers.csv")) continue;
    EXPECT_EQ(bytes.find(kMailMarker), std::string::npos) << when << ": " << path;
    EXPECT_EQ(bytes.find(kIdMarker), std::string::npos) << when << ": " << path;
    EXPECT_EQ(bytes.find(kKey), std::string::npos) << when << ": " << path;
    if (bytes.find(hashed) != std::string::npos) ++holding;
  }
  return holding;
}

TEST(PiiE2e, NoRawValueOfAPiiColumnIsWrittenAnywhere) {
  Workspace ws;
  fs::create_directories(ws.Path("tmp"));
  // Whatever hone writes to a temporary folder lands in the workspace, and is read too.
  ScopedEnv tmpdir("TMPDIR", ws.Path("tmp").string());
  ScopedEnv key("HONE_PII_KEY", std::nullopt);
  ScopedEnv key_file("HONE_PII_KEY_FILE", std::nullopt);
  ws.Write("customers.csv", CustomersCsv());
  ws.Write("hone.yaml", kSpec);
  const std::string hashed = core::PiiKey::Create(kKey, "test")->Hash(CustomerId(7));

  // Without the key the run stops before reading further, pointing at the column.
  RunResult no_key = ws.Hone({"run"});
  EXPECT_EQ(no_key.exit_code, 2) << no_key.out << no_key.err;
  EXPECT_THAT(no_key.err, HasSubstr("hone.yaml:6:3: column 'customer_id' is pii: hash"));
  EXPECT_THAT(no_key.err, HasSubstr("HONE_PII_KEY"));

  key.Set(kKey);
  RunResult run = ws.Hone({"run", "--json", "--junit", "junit.xml", "--report", "report.md"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  json result = json::parse(run.out);
  EXPECT_EQ(result["outcome"], "promoted") << run.out;
  EXPECT_EQ(run.out.find(kIdMarker), std::string::npos);
  EXPECT_EQ(run.out.find(kMailMarker), std::string::npos);
  RunResult show = ws.Hone({"models", "show", "churn", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(show.out.find(kIdMarker), std::string::npos);

  // A server without the key refuses the model, saying why.
  {
    key.Set(std::nullopt);
    HoneProcess keyless(
        ws, "serve",
        {"--store", ws.Path(".hone").string(), "--poll-interval-ms", "100", "--threads", "1"});
    key.Set(kKey);
    const uint16_t port = keyless.WaitForPort();
    ASSERT_NE(port, 0) << keyless.Log();
    HttpClient client(port);
    auto ready = WaitReady(client);
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 503);
    EXPECT_THAT(ready->body, HasSubstr("'customer_id'"));
    EXPECT_THAT(ready->body, HasSubstr("HONE_PII_KEY"));
    keyless.Terminate();
  }

  HoneProcess serve(ws, "serve",
                    {"--store", ws.Path(".hone").string(), "--poll-interval-ms", "100",
                     "--monitor-interval-ms", "200", "--threads", "1"});
  const uint16_t port = serve.WaitForPort();
  ASSERT_NE(port, 0) << serve.Log();
  HttpClient client(port);
  auto ready = WaitReady(client);
  ASSERT_TRUE(ready);
  ASSERT_EQ(ready->status, 200) << ready->body << serve.Log();

  const json oip = {
      {"id", "req-oip"},
      {"inputs",
       {{{"name", "email"}, {"shape", {1}}, {"datatype", "BYTES"}, {"data", {Email(7)}}},
        {{"name", "customer_id"}, {"shape", {1}}, {"datatype", "BYTES"}, {"data", {CustomerId(7)}}},
        {{"name", "spend"}, {"shape", {1}}, {"datatype", "FP32"}, {"data", {50}}},
        {{"name", "visits"}, {"shape", {1}}, {"datatype", "INT32"}, {"data", {3}}}}}};
  auto answer = client.Send("POST", "/v2/models/churn/infer", oip.dump());
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 200) << answer->body;
  // Customer 7 does not churn (7 % 3 != 0, spend 50); customer 9 does: the hashed id is read.
  const json churner = {
      {"dataframe_records",
       {{{"email", Email(9)}, {"customer_id", CustomerId(9)}, {"spend", 50}, {"visits", 3}}}}};
  auto mlflow = client.Send("POST", "/invocations", churner.dump(), "application/json",
                            "x-request-id: req-mlflow\r\n");
  ASSERT_TRUE(mlflow);
  ASSERT_EQ(mlflow->status, 200) << mlflow->body;
  EXPECT_EQ(json::parse(mlflow->body)["predictions"][0], "yes") << mlflow->body;
  EXPECT_EQ(json::parse(answer->body)["outputs"][0]["data"][0], "no") << answer->body;
  auto csv =
      client.Send("POST", "/invocations",
                  "email,customer_id,spend,visits\n" + Email(3) + "," + CustomerId(3) + ",40,2\n",
                  "text/csv", "x-request-id: req-csv\r\n");
  ASSERT_TRUE(csv);
  ASSERT_EQ(csv->status, 200) << csv->body;
  auto feedback = client.Send("POST", "/v2/models/churn/feedback",
                              R"({"feedback": [{"id": "req-oip", "label": "no"}]})");
  ASSERT_TRUE(feedback);
  // The feedback can come before the log is written; then it is unknown, and sent again.
  for (int i = 0; i < 100 && feedback->body.find("\"matched\":1") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    feedback = client.Send("POST", "/v2/models/churn/feedback",
                           R"({"feedback": [{"id": "req-oip", "label": "no"}]})");
    ASSERT_TRUE(feedback);
  }
  EXPECT_THAT(feedback->body, HasSubstr("\"matched\":1"));

  // The log keeps the hashed id and no email; read while the server still writes (its WAL).
  json log = PredictionLog(ws);
  ASSERT_TRUE(log.contains("req-oip")) << log.dump();
  ASSERT_TRUE(log.contains("req-mlflow")) << log.dump();
  ASSERT_TRUE(log.contains("req-csv")) << log.dump();
  const json inputs = json::parse(log["req-oip"]["inputs"].get<std::string>());
  EXPECT_EQ(inputs["customer_id"], hashed);
  EXPECT_FALSE(inputs.contains("email"));
  EXPECT_EQ(log["req-oip"]["label"], "\"no\"");
  EXPECT_GE(CheckNoRawValues(ws, hashed, "while serving"), 1u);

  EXPECT_EQ(serve.Terminate(), 0) << serve.Log();

  // `hone predict` reads raw rows as the server does.
  RunResult predict = ws.Hone({"predict", "--model", "churn@production", "--data", "customers.csv",
                               "--out", "predictions.csv"});
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  EXPECT_THAT(ws.Read("predictions.csv"), HasSubstr("yes"));
  RunResult eval = ws.Hone({"eval", "--model", "churn@production", "--data", "customers.csv"});
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  {
    ScopedEnv without("HONE_PII_KEY", std::nullopt);
    RunResult keyless =
        ws.Hone({"predict", "--model", "churn@production", "--data", "customers.csv"});
    EXPECT_EQ(keyless.exit_code, 2);
    EXPECT_THAT(keyless.err, HasSubstr("HONE_PII_KEY"));
  }

  // Snapshot, bundle, run records, reports and the log: all of them, after everything ran.
  const size_t holding = CheckNoRawValues(ws, hashed, "at the end");
  EXPECT_GE(holding, 2u);  // at least the snapshot and the bundle in the artifact store
  size_t artifacts_holding = 0;
  for (const auto& [path, bytes] : FilesUnder(ws.Path(".hone"))) {
    if (bytes.find(hashed) != std::string::npos) ++artifacts_holding;
  }
  EXPECT_GE(artifacts_holding, 2u);
}

}  // namespace
}  // namespace hone::e2e
