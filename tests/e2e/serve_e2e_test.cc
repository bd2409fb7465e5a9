// `hone serve` as a user runs it: the real binary on a store made by `hone train --register`,
// reached over a real socket; promotions and rollbacks noticed while it runs; SIGTERM drains.
#include <chrono>
#include <fstream>
#include <thread>

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hone/serve/testing/http_client.h"
#include "hone/serve/testing/tls_test_cert.h"
#include "hone_runner.h"

extern char** environ;

namespace hone::e2e {
namespace {

using nlohmann::json;
using serve::testing::ClientResponse;
using serve::testing::HttpClient;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using Clock = std::chrono::steady_clock;

std::string OneHouse(double size) {
  return json({{"inputs",
                {{{"name", "size"}, {"shape", {1}}, {"datatype", "FP64"}, {"data", {size}}},
                 {{"name", "rooms"}, {"shape", {1}}, {"datatype", "INT32"}, {"data", {3}}},
                 {{"name", "district"},
                  {"shape", {1}},
                  {"datatype", "BYTES"},
                  {"data", {"old town, centre"}}},
                 {{"name", "built"}, {"shape", {1}}, {"datatype", "INT32"}, {"data", {1990}}}}}})
      .dump();
}

// Polls until the production version answering is `version`; returns the seconds since `start`.
std::optional<double> SecondsUntilServing(HttpClient& client, int version,
                                          Clock::time_point start) {
  while (Clock::now() - start < std::chrono::seconds(30)) {
    auto r = client.Send("POST", "/v2/models/houses/infer", OneHouse(100));
    if (r && r->status == 200 && r->header("x-hone-model-version") == std::to_string(version)) {
      return std::chrono::duration<double>(Clock::now() - start).count();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::nullopt;
}

TEST(ServeE2e, ServesFollowsTheRegistryAndDrainsOnSigterm) {
  Workspace ws;
  ws.Write("houses.csv", HousesCsv(300, 1));
  ws.Write("houses2.csv", HousesCsv(300, 2));
  auto train = [&](const std::string& data) {
    return ws.Hone({"train", "--data", data, "--target", "price", "--register", "houses", "--param",
                    "n_estimators=20", "--threads", "1"});
  };
  ASSERT_EQ(train("houses.csv").exit_code, 0);
  ASSERT_EQ(ws.Hone({"promote", "houses", "1"}).exit_code, 0);

  HoneProcess serve(
      ws, "serve",
      {"--store", ws.Path(".hone").string(), "--poll-interval-ms", "100", "--threads", "2"});
  const uint16_t port = serve.WaitForPort();
  ASSERT_NE(port, 0) << serve.Log();
  HttpClient client(port);

  // Listening comes first; ready once the production version is loaded and warmed up.
  std::optional<ClientResponse> ready;
  for (int i = 0; i < 3000; ++i) {
    ready = client.Send("GET", "/v2/health/ready");
    if (!ready || ready->status == 200) break;
    EXPECT_EQ(ready->status, 503);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(ready);
  ASSERT_EQ(ready->status, 200) << ready->body;
  EXPECT_THAT(ready->header("x-request-id"), MatchesRegex("[0-9a-f]{32}"));

  auto infer = client.Send("POST", "/v2/models/houses/infer", OneHouse(120), "application/json",
                           "x-request-id: order-17\r\n");
  ASSERT_TRUE(infer);
  ASSERT_EQ(infer->status, 200) << infer->body;
  EXPECT_EQ(infer->header("x-request-id"), "order-17");
  EXPECT_EQ(infer->header("x-hone-model-version"), "1");
  auto body = json::parse(infer->body);
  EXPECT_EQ(body["model_name"], "houses");
  EXPECT_TRUE(body["outputs"][0]["data"][0].is_number());

  // MLflow's scoring protocol, as `mlflow models serve` clients send it.
  auto mlflow = client.Send(
      "POST", "/invocations",
      R"({"dataframe_records": [{"size": 120, "rooms": 3, "district": "north", "built": 1990},
                                {"size": 80, "rooms": 2, "district": "south"}]})");
  ASSERT_TRUE(mlflow);
  ASSERT_EQ(mlflow->status, 200) << mlflow->body;
  EXPECT_EQ(json::parse(mlflow->body)["predictions"].size(), 2u);

  auto bad = client.Send(
      "POST", "/v2/models/houses/infer",
      R"({"inputs": [{"name": "garden", "shape": [1], "datatype": "FP32", "data": [1]}]})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(bad->body, HasSubstr("garden"));

  auto metrics = client.Send("GET", "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_THAT(metrics->body,
              HasSubstr(R"(hone_requests_total{model="houses",version="1",status="200"} 2)"));
  EXPECT_THAT(metrics->body, HasSubstr("hone_http_requests_in_flight 1"));

  // A promotion is noticed while serving (the change counter is polled every 100 ms).
  ASSERT_EQ(train("houses2.csv").exit_code, 0);
  auto start = Clock::now();  // the CLI's own start-up is part of the time measured
  ASSERT_EQ(ws.Hone({"promote", "houses", "2"}).exit_code, 0);
  auto promoted = SecondsUntilServing(client, 2, start);
  ASSERT_TRUE(promoted) << serve.Log();
  EXPECT_LT(*promoted, 5.0);
  std::printf("hone promote started %.3f s before version 2 answered\n", *promoted);
  start = Clock::now();
  ASSERT_EQ(ws.Hone({"rollback", "houses"}).exit_code, 0);
  auto rolled_back = SecondsUntilServing(client, 1, start);
  ASSERT_TRUE(rolled_back) << serve.Log();
  std::printf("hone rollback started %.3f s before version 1 answered\n", *rolled_back);

  client.Close();
  EXPECT_EQ(serve.Terminate(), 0);
  const std::string log = serve.Log();
  EXPECT_THAT(log, HasSubstr("SIGTERM, draining"));
  EXPECT_THAT(log, HasSubstr("stopped"));
}

TEST(ServeE2e, AMissingStoreOrABusyPortIsAClearError) {
  Workspace ws;
  auto missing = ws.Hone({"serve", "--store", ws.Path("nowhere").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("nowhere"));

  ws.Write("houses.csv", HousesCsv(200, 3));
  ASSERT_EQ(ws.Hone({"train", "--data", "houses.csv", "--target", "price", "--register", "houses",
                     "--param", "n_estimators=5", "--threads", "1"})
                .exit_code,
            0);
  HoneProcess first(ws, "serve", {"--store", ws.Path(".hone").string()});
  const uint16_t port = first.WaitForPort();
  ASSERT_NE(port, 0) << first.Log();
  auto busy =
      ws.Hone({"serve", "--store", ws.Path(".hone").string(), "--port", std::to_string(port)});
  EXPECT_EQ(busy.exit_code, 2);
  EXPECT_THAT(busy.err, HasSubstr(std::to_string(port)));
  // No production alias yet: alive but not ready, and model requests say why.
  HttpClient client(port);
  auto ready = client.Send("GET", "/v2/health/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_THAT(ready->body, HasSubstr("no model has a served alias"));
  EXPECT_EQ(client.Send("GET", "/v2/health/live")->status, 200);
}

TEST(ServeE2e, HttpsWithACertificateAndPlainHttpOnlyOnLoopback) {
  Workspace ws;
  auto cert = serve::testing::WriteSelfSignedCert(ws.dir());
  ASSERT_TRUE(cert.has_value()) << cert.error().message();
  ws.Write("houses.csv", HousesCsv(200, 4));
  ASSERT_EQ(ws.Hone({"train", "--data", "houses.csv", "--target", "price", "--register", "houses",
                     "--param", "n_estimators=5", "--threads", "1"})
                .exit_code,
            0);
  const std::string store = ws.Path(".hone").string();
  HoneProcess serve(ws, "serve",
                    {"--store", store, "--tls-cert", cert->cert_path, "--tls-key", cert->key_path});
  const uint16_t port = serve.WaitForPort();
  ASSERT_NE(port, 0) << serve.Log();
  const std::string base = "://127.0.0.1:" + std::to_string(port) + "/v2/health/live";
  // curl checks the certificate against the one it is given, and the address it names.
  const auto https = Shell("curl -sS --max-time 20 --cacert " + Quote(cert->cert_path) + " https" +
                           base + " 2>&1");
  EXPECT_EQ(https.exit_code, 0) << https.out;
  EXPECT_EQ(https.out, R"({"live":true})");
  const auto untrusted = Shell("curl -sS --max-time 20 https" + base + " 2>&1");
  EXPECT_NE(untrusted.exit_code, 0) << untrusted.out;
  const auto plain = Shell("curl -sS --max-time 20 -w ' %{http_code}' http" + base + " 2>&1");
  EXPECT_THAT(plain.out, HasSubstr("speaks HTTPS only")) << plain.out;
  EXPECT_THAT(plain.out, HasSubstr(" 400"));
  EXPECT_THAT(serve.Log(), HasSubstr("listening on https://127.0.0.1:"));
  // Both failed handshakes (the untrusting client's, the plain request) are counted.
  const auto metrics = Shell("curl -sS --max-time 20 --cacert " + Quote(cert->cert_path) +
                             " https://127.0.0.1:" + std::to_string(port) + "/metrics 2>&1");
  EXPECT_THAT(metrics.out, ::testing::ContainsRegex("hone_http_tls_handshake_failures_total [1-9]"))
      << metrics.out;

  // Refused before listening: plain HTTP off loopback, a key that is not one.
  auto open = ws.Hone({"serve", "--store", store, "--host", "0.0.0.0", "--port", "0"});
  EXPECT_EQ(open.exit_code, 2);
  EXPECT_THAT(open.err, HasSubstr("--insecure-listen"));
  auto bad_key = ws.Hone({"serve", "--store", store, "--port", "0", "--tls-cert", cert->cert_path,
                          "--tls-key", cert->cert_path});
  EXPECT_EQ(bad_key.exit_code, 2);
  EXPECT_THAT(bad_key.err, HasSubstr("'" + cert->cert_path + "' holds no usable PEM private key"));
  auto half = ws.Hone({"serve", "--store", store, "--tls-cert", cert->cert_path});
  EXPECT_EQ(half.exit_code, 2);
  EXPECT_THAT(half.err, HasSubstr("--tls-key"));
  EXPECT_EQ(serve.Terminate(), 0);
}

}  // namespace
}  // namespace hone::e2e
