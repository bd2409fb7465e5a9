// The conformance suite's part for what MLflow's REST API keeps (experiments, a run's
// experiment and deletion, model and version details, versions registered by source URI). A
// backend's test file instantiates it beside MetaStoreConformance with the same Backend type:
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, MlflowStoreConformance, MyBackend);
#ifndef HONE_STORE_TESTING_MLFLOW_STORE_CONFORMANCE_H_
#define HONE_STORE_TESTING_MLFLOW_STORE_CONFORMANCE_H_

#include <string>
#include <vector>

#include "hone/store/testing/meta_store_conformance.h"

namespace hone::store::testing {

template <typename Backend>
class MlflowStoreConformance : public MetaStoreConformance<Backend> {};

TYPED_TEST_SUITE_P(MlflowStoreConformance);

TYPED_TEST_P(MlflowStoreConformance, ExperimentsHaveUniqueNamesAndDefaultIsZero) {
  MetaStore& s = *this->store_;
  auto list = s.ListExperiments();
  ASSERT_TRUE(list) << list.error().message();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, "0");
  EXPECT_EQ((*list)[0].name, "Default");

  auto a = s.CreateExperiment(
      {.name = "churn", .artifact_location = "s3://b/churn", .tags = {{"team", "growth"}}});
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_NE(a->id, "0");
  EXPECT_GT(a->created_ms, 0);
  auto b = s.CreateExperiment({.name = "fraud"});
  ASSERT_TRUE(b);
  EXPECT_NE(a->id, b->id);
  EXPECT_EQ(s.CreateExperiment({.name = "churn"}).error().code(), ErrorCode::kConflict);
  EXPECT_EQ(s.CreateExperiment({.name = "Default"}).error().code(), ErrorCode::kConflict);
  EXPECT_EQ(s.CreateExperiment({.name = ""}).error().code(), ErrorCode::kInvalidArgument);

  list = s.ListExperiments();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[1].name, "churn");
  EXPECT_EQ((*list)[1].artifact_location, "s3://b/churn");
  EXPECT_EQ((*list)[1].tags.at("team"), "growth");
  EXPECT_EQ((*list)[2].id, b->id);
}

TYPED_TEST_P(MlflowStoreConformance, RunsKeepExperimentNameAndAuditedDeletion) {
  MetaStore& s = *this->store_;
  auto run = s.CreateRun({.command = "mlflow", .start_ms = 5});
  ASSERT_TRUE(run);
  auto info = s.GetMlflowRun(*run);
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_EQ(info->experiment_id, "0");
  EXPECT_FALSE(info->deleted);
  EXPECT_EQ(s.GetMlflowRun(std::string(32, 'f')).error().code(), ErrorCode::kNotFound);

  ASSERT_TRUE(s.PutMlflowRun({.run_id = *run, .experiment_id = "3", .run_name = "lucky-fox"}));
  ASSERT_TRUE(s.SetRunDeleted(*run, true, {"root"}));
  info = s.GetMlflowRun(*run);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->experiment_id, "3");
  EXPECT_EQ(info->run_name, "lucky-fox");
  EXPECT_TRUE(info->deleted);
  // Renaming keeps the deletion mark.
  ASSERT_TRUE(s.PutMlflowRun({.run_id = *run, .experiment_id = "3", .run_name = "renamed"}));
  ASSERT_TRUE(s.SetRunDeleted(*run, true, {"root"}));
  auto all = s.ListMlflowRuns();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].run_name, "renamed");
  EXPECT_TRUE((*all)[0].deleted);
  EXPECT_EQ(s.PutMlflowRun({.run_id = std::string(32, 'e')}).error().code(), ErrorCode::kNotFound);

  auto audit = s.ListAudit({});
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 2u);
  EXPECT_EQ((*audit)[0].action, "run-delete");
  EXPECT_EQ((*audit)[0].subject, "run:" + *run);
  EXPECT_EQ((*audit)[0].actor, this->Recorded("root"));
}

TYPED_TEST_P(MlflowStoreConformance, ModelsWithoutVersionsHaveDetailsAndDelete) {
  MetaStore& s = *this->store_;
  auto created =
      s.CreateModel({.model = "churn", .description = "d1", .tags = {{"k", "v"}}}, {"root"});
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(s.CreateModel({.model = "churn"}, {"root"}).error().code(), ErrorCode::kConflict);
  EXPECT_EQ(s.CreateModel({.model = "bad/name"}, {"root"}).error().code(),
            ErrorCode::kInvalidArgument);
  auto m = s.GetModel("churn");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->latest_version, 0);
  auto d = s.GetModelDetails("churn");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->description, "d1");
  EXPECT_EQ(d->tags.at("k"), "v");
  EXPECT_EQ(s.GetModelDetails("nope").error().code(), ErrorCode::kNotFound);

  auto put = s.PutModelDetails({.model = "churn", .description = "d2"}, {"root"});
  ASSERT_TRUE(put) << put.error().message();
  d = s.GetModelDetails("churn");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->description, "d2");
  EXPECT_TRUE(d->tags.empty());
  EXPECT_GT(d->updated_ms, 0);

  // A model registered the hone way has default details.
  ASSERT_TRUE(s.CreateVersion({.model = "fraud", .bundle_digest = std::string(64, 'a')}, {"ci"}));
  d = s.GetModelDetails("fraud");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->description, "");
  ASSERT_TRUE(s.MoveAlias({.model = "fraud", .alias = "production", .to = 1, .actor = {"ci"}}));
  EXPECT_EQ(s.DeleteModel("fraud", {"root"}).error().code(), ErrorCode::kConflict);
  ASSERT_TRUE(s.MoveAlias({.model = "fraud", .alias = "production", .actor = {"ci"}}));
  ASSERT_TRUE(s.DeleteModel("fraud", {"root"}));
  ASSERT_TRUE(s.DeleteModel("churn", {"root"}));
  EXPECT_EQ(s.GetModel("churn").error().code(), ErrorCode::kNotFound);
  auto models = s.ListModels();
  ASSERT_TRUE(models);
  EXPECT_TRUE(models->empty());

  auto audit = s.ListAudit({});
  ASSERT_TRUE(audit);
  std::vector<std::string> actions;
  for (const AuditRecord& r : *audit) actions.push_back(r.action);
  EXPECT_EQ(actions,
            (std::vector<std::string>{"model-create", "model-update", "register", "promote",
                                      "promote", "model-delete", "model-delete"}));
  // The model can be created again.
  ASSERT_TRUE(s.CreateModel({.model = "churn"}, {"root"}));
}

TYPED_TEST_P(MlflowStoreConformance, SourceVersionsKeepTheirSourceAndNoDigest) {
  MetaStore& s = *this->store_;
  auto run = s.CreateRun({.command = "mlflow", .start_ms = 5});
  ASSERT_TRUE(run);
  EXPECT_EQ(
      s.CreateSourceVersion({.model = "churn", .bundle_digest = "x"}, {}, {"ci"}).error().code(),
      ErrorCode::kInvalidArgument);
  auto v = s.CreateSourceVersion({.model = "churn", .run_id = *run},
                                 {.source = "s3://bucket/model", .tags = {{"a", "b"}}}, {"ci"});
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(v->version, 1);
  EXPECT_EQ(v->bundle_digest, "");
  ASSERT_TRUE(s.CreateVersion({.model = "churn", .bundle_digest = std::string(64, 'b')}, {"ci"}));

  auto d = s.GetVersionDetails("churn", 1);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->source, "s3://bucket/model");
  EXPECT_EQ(d->description, std::nullopt);
  EXPECT_EQ(d->tags.at("a"), "b");
  d = s.GetVersionDetails("churn", 2);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->source, "");
  EXPECT_EQ(s.GetVersionDetails("churn", 9).error().code(), ErrorCode::kNotFound);

  auto digests = s.ReferencedDigests();
  ASSERT_TRUE(digests);
  EXPECT_EQ(*digests, (std::set<std::string, std::less<>>{std::string(64, 'b')}));

  auto put = s.PutVersionDetails(
      {.model = "churn", .version = 1, .source = "ignored", .description = "better"}, {"root"});
  ASSERT_TRUE(put) << put.error().message();
  d = s.GetVersionDetails("churn", 1);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->source, "s3://bucket/model");
  EXPECT_EQ(d->description, "better");
  EXPECT_TRUE(d->tags.empty());

  ASSERT_TRUE(s.MoveAlias({.model = "churn", .alias = "champion", .to = 1, .actor = {"ci"}}));
  EXPECT_EQ(s.DeleteVersion("churn", 1, {"root"}).error().code(), ErrorCode::kConflict);
  ASSERT_TRUE(s.MoveAlias({.model = "churn", .alias = "champion", .to = 2, .actor = {"ci"}}));
  ASSERT_TRUE(s.DeleteVersion("churn", 1, {"root"}));
  EXPECT_EQ(s.GetVersion("churn", 1).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(s.DeleteVersion("churn", 1, {"root"}).error().code(), ErrorCode::kNotFound);
  auto next = s.CreateVersion({.model = "churn", .bundle_digest = std::string(64, 'c')}, {"ci"});
  ASSERT_TRUE(next);
  EXPECT_EQ(next->version, 3);  // numbers are never reused

  auto audit = s.ListAudit({});
  ASSERT_TRUE(audit);
  ASSERT_GE(audit->size(), 3u);
  EXPECT_EQ((*audit)[0].action, "register");
  EXPECT_EQ((*audit)[2].action, "version-update");
  EXPECT_EQ((*audit)[2].subject, "churn/1");
  EXPECT_EQ((*audit)[audit->size() - 2].action, "version-delete");
  EXPECT_EQ((*audit)[audit->size() - 2].actor, this->Recorded("root"));
}

TYPED_TEST_P(MlflowStoreConformance, ExperimentsRenameTagDeleteAndRestoreWithTheirRuns) {
  MetaStore& s = *this->store_;
  auto churn = s.CreateExperiment({.name = "churn", .artifact_location = "s3://b"});
  ASSERT_TRUE(churn) << churn.error().message();
  auto fraud = s.CreateExperiment({.name = "fraud"});
  ASSERT_TRUE(fraud);

  auto put = s.PutExperiment({.id = churn->id, .name = "churn-v2", .tags = {{"team", "growth"}}},
                             {"root"});
  ASSERT_TRUE(put) << put.error().message();
  EXPECT_EQ(put->name, "churn-v2");
  EXPECT_EQ(put->artifact_location, "s3://b");
  EXPECT_EQ(put->created_ms, churn->created_ms);
  EXPECT_GE(put->updated_ms, churn->updated_ms);
  // Its own name again is no conflict; another's is, and so is Default's.
  EXPECT_TRUE(s.PutExperiment({.id = churn->id, .name = "churn-v2", .tags = {{"team", "growth"}}},
                              {"root"}));
  EXPECT_EQ(s.PutExperiment({.id = churn->id, .name = "fraud"}, {"root"}).error().code(),
            ErrorCode::kConflict);
  EXPECT_EQ(s.PutExperiment({.id = churn->id, .name = "Default"}, {"root"}).error().code(),
            ErrorCode::kConflict);
  EXPECT_EQ(s.PutExperiment({.id = churn->id, .name = ""}, {"root"}).error().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.PutExperiment({.id = "0", .name = "renamed"}, {"root"}).error().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.PutExperiment({.id = "999", .name = "x"}, {"root"}).error().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(s.PutExperiment({.id = "abc", .name = "x"}, {"root"}).error().code(),
            ErrorCode::kNotFound);
  // The old name is free again.
  ASSERT_TRUE(s.CreateExperiment({.name = "churn"}));

  auto in_churn = s.CreateRun({.command = "mlflow", .start_ms = 5});
  auto in_fraud = s.CreateRun({.command = "mlflow", .start_ms = 6});
  ASSERT_TRUE(in_churn && in_fraud);
  ASSERT_TRUE(s.PutMlflowRun({.run_id = *in_churn, .experiment_id = churn->id}));
  ASSERT_TRUE(s.PutMlflowRun({.run_id = *in_fraud, .experiment_id = fraud->id}));

  ASSERT_TRUE(s.SetExperimentDeleted(churn->id, true, {"root"}));
  auto list = s.ListExperiments();
  ASSERT_TRUE(list);
  for (const Experiment& e : *list) {
    EXPECT_EQ(e.deleted, e.id == churn->id) << e.id;
    if (e.id == churn->id) {
      EXPECT_EQ(e.tags.at("team"), "growth");
    }
  }
  EXPECT_TRUE(s.GetMlflowRun(*in_churn)->deleted);
  EXPECT_FALSE(s.GetMlflowRun(*in_fraud)->deleted);
  ASSERT_TRUE(s.SetExperimentDeleted(churn->id, false, {"root"}));
  EXPECT_FALSE(s.GetMlflowRun(*in_churn)->deleted);
  EXPECT_EQ(s.SetExperimentDeleted("0", true, {"root"}).error().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.SetExperimentDeleted("999", true, {"root"}).error().code(), ErrorCode::kNotFound);

  auto audit = s.ListAudit({});
  ASSERT_TRUE(audit);
  std::vector<std::string> actions;
  for (const AuditRecord& r : *audit) actions.push_back(r.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"experiment-update", "experiment-update",
                                               "experiment-delete", "experiment-restore"}));
  EXPECT_EQ((*audit)[0].subject, "experiment:" + churn->id);
  EXPECT_EQ((*audit)[0].actor, this->Recorded("root"));
  EXPECT_NE((*audit)[2].after.find("\"runs\":1"), std::string::npos) << (*audit)[2].after;
}

TYPED_TEST_P(MlflowStoreConformance, RunTagsDeleteAndInputsAreKeptOncePerDataset) {
  MetaStore& s = *this->store_;
  auto run = s.CreateRun({.command = "mlflow", .start_ms = 5});
  ASSERT_TRUE(run);
  ASSERT_TRUE(s.SetTags(*run, {{"a", "1"}, {"b", "2"}}));
  ASSERT_TRUE(s.DeleteRunTag(*run, "a"));
  EXPECT_EQ(s.GetRun(*run)->tags, (std::map<std::string, std::string>{{"b", "2"}}));
  EXPECT_EQ(s.DeleteRunTag(*run, "a").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(s.DeleteRunTag(std::string(32, 'e'), "b").error().code(), ErrorCode::kNotFound);

  auto none = s.ListRunInputs(*run);
  ASSERT_TRUE(none) << none.error().message();
  EXPECT_TRUE(none->empty());
  const std::vector<RunInput> inputs = {
      {.name = "train",
       .digest = "d1",
       .source_type = "local",
       .source = R"({"uri": "/data/train.csv"})",
       .schema = R"({"mlflow_colspec": []})",
       .profile = R"({"num_rows": 3})",
       .tags = {{"mlflow.data.context", "training"}}},
      {.name = "eval", .digest = "d2"},
  };
  auto logged = s.LogRunInputs(*run, inputs);
  ASSERT_TRUE(logged) << logged.error().message();
  // The same dataset again replaces its details; a new digest is a new input.
  const std::vector<RunInput> again = {
      {.name = "train", .digest = "d1", .tags = {{"mlflow.data.context", "tuning"}}},
      {.name = "train", .digest = "d3"},
  };
  ASSERT_TRUE(s.LogRunInputs(*run, again));
  auto got = s.ListRunInputs(*run);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].name, "train");
  EXPECT_EQ((*got)[0].digest, "d1");
  EXPECT_EQ((*got)[0].source, "");
  EXPECT_EQ((*got)[0].tags.at("mlflow.data.context"), "tuning");
  EXPECT_EQ((*got)[1].name, "eval");
  EXPECT_EQ((*got)[2].digest, "d3");
  ASSERT_TRUE(s.LogRunInputs(*run, std::span(inputs).first(1)));
  got = s.ListRunInputs(*run);
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)[0].source, R"({"uri": "/data/train.csv"})");
  EXPECT_EQ((*got)[0].schema, R"({"mlflow_colspec": []})");
  EXPECT_EQ((*got)[0].profile, R"({"num_rows": 3})");

  const std::vector<RunInput> bad = {{.name = "ok", .digest = "x"}, {.name = "", .digest = "y"}};
  auto refused = s.LogRunInputs(*run, bad);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message().find("input 1"), std::string::npos);
  EXPECT_EQ(s.ListRunInputs(*run)->size(), 3u);  // all or nothing
  EXPECT_EQ(s.LogRunInputs(std::string(32, 'e'), inputs).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(s.ListRunInputs(std::string(32, 'e')).error().code(), ErrorCode::kNotFound);
}

TYPED_TEST_P(MlflowStoreConformance, ModelsRenameWithVersionsDetailsAndHistory) {
  MetaStore& s = *this->store_;
  ASSERT_TRUE(s.CreateModel({.model = "churn", .description = "who leaves"}, {"root"}));
  auto v1 = s.CreateSourceVersion({.model = "churn"}, {.source = "s3://m/1"}, {"ci"});
  ASSERT_TRUE(v1) << v1.error().message();
  ASSERT_TRUE(s.CreateVersion({.model = "churn", .bundle_digest = std::string(64, 'a')}, {"ci"}));
  ASSERT_TRUE(s.CreateModel({.model = "fraud"}, {"root"}));

  // An alias blocks the rename, as it blocks a delete.
  ASSERT_TRUE(s.MoveAlias({.model = "churn", .alias = "champion", .to = 2, .actor = {"ci"}}));
  EXPECT_EQ(s.RenameModel("churn", "churn2", {"root"}).error().code(), ErrorCode::kConflict);
  ASSERT_TRUE(s.MoveAlias({.model = "churn", .alias = "champion", .actor = {"ci"}}));
  EXPECT_EQ(s.RenameModel("churn", "fraud", {"root"}).error().code(), ErrorCode::kConflict);
  EXPECT_EQ(s.RenameModel("churn", "bad/name", {"root"}).error().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.RenameModel("nope", "other", {"root"}).error().code(), ErrorCode::kNotFound);

  auto renamed = s.RenameModel("churn", "churn2", {"root"});
  ASSERT_TRUE(renamed) << renamed.error().message();
  EXPECT_EQ(renamed->name, "churn2");
  EXPECT_EQ(renamed->latest_version, 2);
  EXPECT_EQ(s.GetModel("churn").error().code(), ErrorCode::kNotFound);
  auto versions = s.ListVersions("churn2", {});
  ASSERT_TRUE(versions);
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].model, "churn2");
  EXPECT_EQ(s.GetVersionDetails("churn2", 1)->source, "s3://m/1");
  EXPECT_EQ(s.GetModelDetails("churn2")->description, "who leaves");
  auto history = s.AliasHistory("churn2", "champion");
  ASSERT_TRUE(history);
  EXPECT_EQ(history->size(), 2u);
  // Numbering goes on; the old name is free.
  auto v3 = s.CreateVersion({.model = "churn2", .bundle_digest = std::string(64, 'b')}, {"ci"});
  ASSERT_TRUE(v3);
  EXPECT_EQ(v3->version, 3);
  ASSERT_TRUE(s.CreateModel({.model = "churn"}, {"root"}));
  auto digests = s.ReferencedDigests();
  ASSERT_TRUE(digests);
  EXPECT_EQ(digests->size(), 2u);

  auto audit = s.ListAudit({});
  ASSERT_TRUE(audit);
  const AuditRecord* rename = nullptr;
  for (const AuditRecord& r : *audit) {
    if (r.action == "model-rename") rename = &r;
  }
  ASSERT_NE(rename, nullptr);
  EXPECT_EQ(rename->subject, "churn");
  EXPECT_EQ(rename->actor, this->Recorded("root"));
  EXPECT_EQ(rename->after, R"({"name":"churn2"})");
}

REGISTER_TYPED_TEST_SUITE_P(MlflowStoreConformance, ExperimentsHaveUniqueNamesAndDefaultIsZero,
                            RunsKeepExperimentNameAndAuditedDeletion,
                            ModelsWithoutVersionsHaveDetailsAndDelete,
                            SourceVersionsKeepTheirSourceAndNoDigest,
                            ExperimentsRenameTagDeleteAndRestoreWithTheirRuns,
                            RunTagsDeleteAndInputsAreKeptOncePerDataset,
                            ModelsRenameWithVersionsDetailsAndHistory);

}  // namespace hone::store::testing

#endif  // HONE_STORE_TESTING_MLFLOW_STORE_CONFORMANCE_H_
