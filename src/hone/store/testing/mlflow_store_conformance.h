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

REGISTER_TYPED_TEST_SUITE_P(MlflowStoreConformance, ExperimentsHaveUniqueNamesAndDefaultIsZero,
                            RunsKeepExperimentNameAndAuditedDeletion,
                            ModelsWithoutVersionsHaveDetailsAndDelete,
                            SourceVersionsKeepTheirSourceAndNoDigest);

}  // namespace hone::store::testing

#endif  // HONE_STORE_TESTING_MLFLOW_STORE_CONFORMANCE_H_
