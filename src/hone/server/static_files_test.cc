// The dashboard's files as hone server serves them: only files that were in the folder, with
// their content types and caching, never a path joined to the folder.
#include "hone/server/static_files.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace hone::server {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("hone_static_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "dist" / "assets");
    std::ofstream(dir_ / "dist" / "index.html") << "<!doctype html><title>hone</title>";
    std::ofstream(dir_ / "dist" / "assets" / "index-1a2b.js") << "console.log(1)";
    std::ofstream(dir_ / "dist" / "assets" / "index-1a2b.css") << "body{}";
    std::ofstream(dir_ / "secret.txt") << "not the dashboard's";
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
};

TEST_F(StaticFilesTest, ServesTheFilesOfTheFolderWithTheirTypesAndCaching) {
  auto files = StaticFiles::Load(dir_ / "dist");
  ASSERT_TRUE(files) << files.error().message();
  EXPECT_EQ(files->size(), 3u);
  serve::HttpResponse index;
  files->Serve("GET", "", index);
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(index.body, HasSubstr("<title>hone</title>"));
  EXPECT_THAT(index.headers, Contains(Pair("Cache-Control", "no-cache")));
  serve::HttpResponse js;
  files->Serve("GET", "assets/index-1a2b.js", js);
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_THAT(js.headers, Contains(Pair("Cache-Control", HasSubstr("immutable"))));
  serve::HttpResponse head;
  files->Serve("HEAD", "assets/index-1a2b.css", head);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.content_type, "text/css; charset=utf-8");
  EXPECT_TRUE(head.body.empty());
}

TEST_F(StaticFilesTest, NothingOutsideTheFolderAndNoOtherMethod) {
  auto files = StaticFiles::Load(dir_ / "dist");
  ASSERT_TRUE(files) << files.error().message();
  for (const char* path : {"../secret.txt", "assets/../../secret.txt", "/etc/passwd", "assets/",
                           "assets", "missing.js", "%2e%2e/secret.txt"}) {
    serve::HttpResponse r;
    files->Serve("GET", path, r);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_THAT(r.body, HasSubstr("no file")) << path;
  }
  serve::HttpResponse post;
  files->Serve("POST", "", post);
  EXPECT_EQ(post.status, 405);
  EXPECT_THAT(post.headers, Contains(Pair("Allow", "GET, HEAD")));
}

TEST_F(StaticFilesTest, AFolderWithoutAnIndexIsNamed) {
  auto none = StaticFiles::Load(dir_ / "missing");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(none.error().message(), HasSubstr((dir_ / "missing").string()));
  EXPECT_THAT(none.error().message(), HasSubstr("npm run build"));
  auto no_index = StaticFiles::Load(dir_ / "dist" / "assets");
  ASSERT_FALSE(no_index);
  EXPECT_THAT(no_index.error().message(), HasSubstr("index.html"));
}

}  // namespace
}  // namespace hone::server
