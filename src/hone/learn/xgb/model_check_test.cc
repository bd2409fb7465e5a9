#include "hone/learn/xgb/model_check.h"

#include <cstdint>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hone/learn/xgb/model_envelope.h"
#include "hone/learn/xgb/test_problems.h"
#include "hone/learn/xgb/xgb_api.h"
#include "hone/learn/xgb/xgb_trainers.h"

namespace hone::learn::xgb {
namespace {

using testing::Categorical;
using testing::Classes;
using ::testing::HasSubstr;
using testing::Make;
using testing::Numeric;
using testing::Problem;
using testing::Regression;

// A numeric feature and a categorical one with 6 levels, both of which the label depends on.
Problem Mixed(TargetInfo target) {
  const size_t k = target.num_classes();
  return Make({Numeric("x"), Categorical("c", 6)}, std::move(target), 200, 7,
              [k](core::Rng& rng, std::vector<float>& row) {
                row[0] = static_cast<float>(rng.Uniform());
                row[1] = static_cast<float>(rng.Below(6));
                float y = row[0] + (static_cast<int>(row[1]) % 3 == 0 ? 1.0f : 0.0f);
                return k == 0 ? y : static_cast<float>(static_cast<int>(y * 1.6f) % k);
              });
}

// XGBoost's own bytes of a model trained by `trainer` on `p`.
std::string XgboostBytes(const Trainer& trainer, const Problem& p) {
  auto params = trainer.params().Resolve({{"n_estimators", "3"}});
  EXPECT_TRUE(params);
  auto model = trainer.Train(p.data(), *params, {.threads = 1});
  EXPECT_TRUE(model) << model.error().message();
  auto bytes = (*model)->Serialize();
  EXPECT_TRUE(bytes);
  auto envelope = ReadEnvelope(*bytes, trainer.name(), p.schema, p.target);
  EXPECT_TRUE(envelope) << envelope.error().message();
  return envelope->payload;
}

// Sets element `index` of the first array named `key` (as XGBoost writes it: typed, or counted
// with int8 elements) to `value`, big-endian.
std::string Patched(std::string ubj, const std::string& key, size_t index, int64_t value) {
  std::string name = "L" + std::string(7, '\0') + static_cast<char>(key.size()) + key;
  size_t at = ubj.find(name);
  EXPECT_NE(at, std::string::npos) << key;
  at += name.size();
  size_t width = 1;
  if (ubj.compare(at, 2, "[$") == 0) {
    char type = ubj[at + 2];
    width = type == 'L' ? 8 : type == 'l' || type == 'd' ? 4 : 1;
    at += 4 + 1 + 8 + index * width;  // "[$t#", 'L' and the count
  } else {
    EXPECT_EQ(ubj.compare(at, 2, "[#"), 0) << key;
    at += 3 + 8 + index * 2;  // "[#L", the count, then 'i' and a byte per element
    EXPECT_EQ(ubj[at], 'i') << key;
    ++at;
  }
  for (size_t b = 0; b < width; ++b) {
    ubj[at + b] = static_cast<char>((value >> (8 * (width - 1 - b))) & 0xff);
  }
  return ubj;
}

int64_t NumNodesOfFirstTree(const std::string& ubj) {
  auto json = nlohmann::json::from_ubjson(ubj);
  const auto& tree = json["learner"]["gradient_booster"]["model"]["trees"][0];
  return std::stoll(tree["tree_param"]["num_nodes"].get<std::string>());
}

void ExpectRejected(const std::string& bytes, const std::string& why) {
  auto r = CheckModelBytes(bytes);
  ASSERT_FALSE(r) << why;
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidData);
  EXPECT_THAT(r.error().message(), HasSubstr(why));
}

TEST(ModelCheckTest, AcceptsWhatXgboostWrites) {
  for (const TargetInfo& target : {Regression(), Classes(2), Classes(3)}) {
    Problem p = Mixed(target);
    for (const Trainer* trainer : {&GbdtTrainer(), &LinearTrainer()}) {
      auto r = CheckModelBytes(XgboostBytes(*trainer, p));
      EXPECT_TRUE(r) << trainer->name() << " " << TaskName(target.task) << ": "
                     << r.error().message();
    }
  }
}

TEST(ModelCheckTest, TheFirstTreeHasCategoricalSplits) {
  // The patches below rely on it.
  std::string bytes = XgboostBytes(GbdtTrainer(), Mixed(Regression()));
  size_t at = bytes.find("categories_nodes[$l#L");
  ASSERT_NE(at, std::string::npos);
  EXPECT_NE(bytes.substr(at + 21, 8), std::string(8, '\0'));
}

// Each of these crashed or could crash XGBoost 1.7.4 when it loaded or used the model.
TEST(ModelCheckTest, RejectsIndicesOutOfRange) {
  const std::string bytes = XgboostBytes(GbdtTrainer(), Mixed(Regression()));
  ASSERT_TRUE(CheckModelBytes(bytes));
  // Found by hone_bundle_fuzz: SIGSEGV in RegTree::LoadModel.
  ExpectRejected(Patched(bytes, "parents", 1, 0x09000001), "a node's parent is out of range");
  ExpectRejected(Patched(bytes, "parents", 1, -5), "a node's parent is out of range");
  ExpectRejected(Patched(bytes, "left_children", 0, 0), "children do not form a tree");
  ExpectRejected(Patched(bytes, "right_children", 0, 1), "children do not form a tree");
  ExpectRejected(Patched(bytes, "left_children", 0, 1 << 20), "children do not form a tree");
  // Found by hone_bundle_fuzz: SIGSEGV in RegTree::WalkTree, from Booster::TotalGain. The last
  // node of a tree is a leaf.
  const int64_t last = NumNodesOfFirstTree(bytes) - 1;
  ExpectRejected(Patched(bytes, "right_children", last, 83886079), "a leaf has a right child");
  ExpectRejected(Patched(bytes, "split_indices", 0, 2), "a split names a feature past");
  ExpectRejected(Patched(bytes, "tree_info", 0, 1), "output group is out of range");
  ExpectRejected(Patched(bytes, "categories", 0, -1), "names an invalid category");
  ExpectRejected(Patched(bytes, "categories", 0, int64_t{1} << 30), "names an invalid category");
  ExpectRejected(Patched(bytes, "categories_sizes", 0, 1000), "categories are out of range");
  ExpectRejected(Patched(bytes, "categories_segments", 0, -1), "categories are out of range");
  ExpectRejected(Patched(bytes, "categories_nodes", 0, 1000), "out of range or order");
}

TEST(ModelCheckTest, RejectsMultiClassGroupsAndLinearWeights) {
  std::string gbdt = XgboostBytes(GbdtTrainer(), Mixed(Classes(3)));
  ASSERT_TRUE(CheckModelBytes(gbdt));
  ExpectRejected(Patched(gbdt, "tree_info", 2, 3), "output group is out of range");
  std::string linear = XgboostBytes(LinearTrainer(), Mixed(Classes(3)));
  ASSERT_TRUE(CheckModelBytes(linear));
  // num_class "3" → "4": the weights no longer fit.
  size_t at = linear.find("num_class" + std::string("SL") + std::string(7, '\0') + "\x01" + "3");
  ASSERT_NE(at, std::string::npos);
  linear[at + 19] = '4';
  ExpectRejected(linear, "(num_feature + 1) x groups weights");
}

TEST(ModelCheckTest, BoosterLoadRefusesWhatTheCheckRefuses) {
  std::string bytes = XgboostBytes(GbdtTrainer(), Mixed(Regression()));
  ASSERT_TRUE(Booster::Load(bytes));
  auto r = Booster::Load(Patched(bytes, "parents", 1, 0x09000001));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidData);
  EXPECT_THAT(r.error().message(), HasSubstr("xgboost: loading the model failed: not a model"));
}

}  // namespace
}  // namespace hone::learn::xgb
