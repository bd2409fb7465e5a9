// The main path, through the real binary: train → eval → predict, for each model kind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hone/core/digest.h"
#include "hone_runner.h"

namespace hone::e2e {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json ParseJson(const RunResult& r) {
  auto j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.out << r.err;
  return j;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(TrainEvalPredictTest, RegressionWithTheForest) {
  Workspace ws;
  ws.Write("houses.csv", HousesCsv(600, 1));
  ws.Write("new.csv", HousesCsv(50, 2));
  RunResult train = ws.Hone({"train", "--data", "houses.csv", "--target", "price", "--out",
                             "model.hone", "--param", "n_estimators=30", "--json"});
  ASSERT_EQ(train.exit_code, 0) << train.err;
  json t = ParseJson(train);
  EXPECT_EQ(t["task"], "regression");
  EXPECT_EQ(t["model"], "random_forest");
  EXPECT_EQ(t["rows"]["train"], 480);
  EXPECT_EQ(t["rows"]["test"], 120);
  EXPECT_EQ(t["evaluated_on"], "test");
  for (const char* m : {"r2", "rmse", "mae", "mape"}) EXPECT_TRUE(t["metrics"][m].is_number());
  EXPECT_GT(t["metrics"]["r2"].get<double>(), 0.8);
  // The bundle's identity is the SHA-256 of its bytes.
  EXPECT_EQ(t["bundle_sha256"], core::Sha256Hex(ws.Read("model.hone")));

  RunResult eval = ws.Hone({"eval", "--model", "model.hone", "--data", "new.csv", "--json"});
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  json e = ParseJson(eval);
  EXPECT_EQ(e["rows"], 50);
  EXPECT_GT(e["metrics"]["r2"].get<double>(), 0.7);
  EXPECT_EQ(e["bundle_sha256"], t["bundle_sha256"]);

  RunResult text = ws.Hone({"eval", "--model", "model.hone", "--data", "new.csv"});
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_THAT(text.out, HasSubstr("r2"));

  // Predict to stdout; the price column may be absent from the rows to predict.
  ws.Write("unlabelled.csv", "district,size,rooms,built\nsouth,120,4,2001\nmoon base,80,,1990\n");
  RunResult pred = ws.Hone({"predict", "--model", "model.hone", "--data", "unlabelled.csv"});
  ASSERT_EQ(pred.exit_code, 0) << pred.err;
  auto lines = Lines(pred.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "prediction");
  EXPECT_GT(std::stod(lines[1]), 100000);
  EXPECT_GT(std::stod(lines[2]), 0);  // an unseen district is treated as missing

  RunResult to_file = ws.Hone(
      {"predict", "--model", "model.hone", "--data", "new.csv", "--out", "predictions.csv"});
  ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
  EXPECT_EQ(Lines(ws.Read("predictions.csv")).size(), 51u);
}

TEST(TrainEvalPredictTest, ClassificationProbabilities) {
  Workspace ws;
  ws.Write("churn.csv", ChurnCsv(800, 3));
  RunResult train =
      ws.Hone({"train", "--data", "churn.csv", "--target", "churned", "--out", "churn.hone",
               "--split", "stratified", "--param", "n_estimators=25", "--json"});
  ASSERT_EQ(train.exit_code, 0) << train.err;
  json t = ParseJson(train);
  EXPECT_EQ(t["task"], "binary");
  EXPECT_EQ(t["classes"], json({"no", "yes"}));
  for (const char* m :
       {"accuracy", "precision_macro", "recall_macro", "f1_macro", "precision_weighted",
        "recall_weighted", "f1_weighted", "roc_auc", "log_loss", "precision", "recall", "f1"}) {
    EXPECT_TRUE(t["metrics"][m].is_number()) << m;
  }
  RunResult pred = ws.Hone(
      {"predict", "--model", "churn.hone", "--data", "churn.csv", "--proba", "--out", "p.csv"});
  ASSERT_EQ(pred.exit_code, 0) << pred.err;
  auto lines = Lines(ws.Read("p.csv"));
  ASSERT_EQ(lines.size(), 801u);
  EXPECT_EQ(lines[0], "prediction,proba_no,proba_yes");
  EXPECT_THAT(lines[1], ::testing::MatchesRegex("(yes|no),[0-9.e-]+,[0-9.e-]+"));

  RunResult regression_proba = ws.Hone({"train", "--data", "churn.csv", "--target", "tenure",
                                        "--out", "t.hone", "--param", "n_estimators=5"});
  ASSERT_EQ(regression_proba.exit_code, 0) << regression_proba.err;
  RunResult bad = ws.Hone({"predict", "--model", "t.hone", "--data", "churn.csv", "--proba"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--proba needs a classification model"));
}

TEST(TrainEvalPredictTest, EveryModelKindTrainsAndEvaluates) {
  Workspace ws;
  ws.Write("houses.csv", HousesCsv(500, 4));
  ws.Write("churn.csv", ChurnCsv(500, 5));
  for (const char* model : {"random_forest", "gbdt", "linear"}) {
    for (auto [data, target] : {std::pair{"houses.csv", "price"}, {"churn.csv", "churned"}}) {
      SCOPED_TRACE(std::string(model) + " on " + data);
      RunResult train = ws.Hone({"train", "--data", data, "--target", target, "--model", model,
                                 "--out", "m.hone", "--json", "--threads", "2"});
      ASSERT_EQ(train.exit_code, 0) << train.err;
      json t = ParseJson(train);
      EXPECT_EQ(t["model"], model);
      RunResult eval = ws.Hone({"eval", "--model", "m.hone", "--data", data, "--json"});
      ASSERT_EQ(eval.exit_code, 0) << eval.err;
      json e = ParseJson(eval);
      EXPECT_TRUE(e["metrics"].is_object());
      EXPECT_FALSE(e["metrics"].empty());
    }
  }
}

TEST(TrainEvalPredictTest, SameSeedSameBundleAndSplitOptions) {
  Workspace ws;
  ws.Write("houses.csv", HousesCsv(300, 6));
  std::vector<std::string> args = {"train",   "--data",          "houses.csv", "--target", "price",
                                   "--param", "n_estimators=10", "--seed",     "7",        "--out"};
  auto a = args, b = args;
  a.push_back("a.hone");
  b.push_back("b.hone");
  ASSERT_EQ(ws.Hone(a).exit_code, 0);
  b.insert(b.begin() + 1, {"--threads", "1"});
  ASSERT_EQ(ws.Hone(b).exit_code, 0);
  EXPECT_EQ(ws.Read("a.hone"), ws.Read("b.hone"));

  RunResult all = ws.Hone({"train", "--data", "houses.csv", "--target", "price", "--test-size", "0",
                           "--cv", "3", "--param", "n_estimators=10", "--out", "c.hone", "--json"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  json j = ParseJson(all);
  EXPECT_EQ(j["rows"]["train"], 300);
  EXPECT_EQ(j["rows"]["test"], 0);
  EXPECT_EQ(j["evaluated_on"], "cv");
  EXPECT_EQ(j["cv"]["folds"], 3);

  RunResult timed =
      ws.Hone({"train", "--data", "houses.csv", "--target", "price", "--split", "time:built",
               "--param", "n_estimators=10", "--out", "d.hone", "--json"});
  ASSERT_EQ(timed.exit_code, 0) << timed.err;
  EXPECT_EQ(ParseJson(timed)["split"], "time:built");
  EXPECT_EQ(ParseJson(timed)["features"], 3);  // the time column orders rows only
}

TEST(TrainEvalPredictTest, HelpParamsPrintsTheTable) {
  Workspace ws;
  for (const char* model : {"random_forest", "gbdt", "linear"}) {
    RunResult r = ws.Hone({"train", "--help-params", model});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("n_estimators"));
    EXPECT_THAT(r.out, HasSubstr("default"));
  }
  RunResult forest = ws.Hone({"train", "--help-params", "random_forest"});
  EXPECT_THAT(forest.out, HasSubstr("max_features"));
  EXPECT_THAT(forest.out, HasSubstr("min_samples_leaf"));
  RunResult unknown = ws.Hone({"train", "--help-params", "svm"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("known: random_forest, gbdt, linear"));
  RunResult help = ws.Hone({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("train"));
  RunResult version = ws.Hone({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.out, HasSubstr("hone "));
}

}  // namespace
}  // namespace hone::e2e
