#include "hone/pipeline/source.h"

#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/core/digest.h"
#include "hone/core/file.h"
#include "hone/core/test_temp_dir.h"
#include "hone/store/sql_query.h"
#include "hone/store/sqlite/sqlite.h"

namespace hone::pipeline {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class SourceTest : public core::testing::TempDirTest {
 protected:
  void Write(const fs::path& relative, std::string_view bytes) {
    fs::create_directories((dir_ / relative).parent_path());
    ASSERT_TRUE(core::WriteFileAtomic(dir_ / relative, bytes).has_value());
  }

  static DataSourceSpec File(std::string path) {
    DataSourceSpec source;
    source.kind = DataSourceSpec::Kind::kFile;
    source.path = std::move(path);
    return source;
  }
  static DataSourceSpec Glob(std::string pattern) {
    DataSourceSpec source = File(std::move(pattern));
    source.kind = DataSourceSpec::Kind::kGlob;
    return source;
  }
  static DataSourceSpec Sql(std::string url, std::string query) {
    DataSourceSpec source;
    source.kind = DataSourceSpec::Kind::kSql;
    source.url = std::move(url);
    source.query = std::move(query);
    return source;
  }

  Result<Snapshot> Take(const DataSourceSpec& source, const core::CsvReadOptions& csv = {}) {
    return TakeSnapshot(source, dir_, csv);
  }

  static core::CsvReadOptions PriceIsNumeric() {
    core::CsvReadOptions csv;
    csv.column_types["price"] = core::ColumnType::kNumeric;
    return csv;
  }
};

// ---- kFile -----------------------------------------------------------------------------------

TEST_F(SourceTest, FileSnapshotIsTheFilesBytesAndTheirDigest) {
  const std::string bytes = "id,price,city\n1,2.5,Oslo\n2,3,Bergen\n";
  Write("data/sales.csv", bytes);
  auto snap = Take(File("data/sales.csv"));
  ASSERT_TRUE(snap.has_value()) << snap.error().message();
  EXPECT_EQ(snap->bytes, bytes);
  // The digest `hone train` reports for the same file (cli ReadDataFile hashes its bytes).
  EXPECT_EQ(snap->digest, core::Sha256Hex(bytes));
  EXPECT_EQ(snap->digest, core::ToHex(*core::FileDigest(dir_ / "data/sales.csv")));
  EXPECT_EQ(snap->description, "data/sales.csv");
  EXPECT_THAT(snap->files, ElementsAre(dir_ / "data/sales.csv"));
  ASSERT_EQ(snap->table.num_rows(), 2u);
  ASSERT_EQ(snap->table.num_columns(), 3u);
  EXPECT_FLOAT_EQ(snap->table.column(1).values()[0], 2.5f);
  EXPECT_EQ(snap->table.column(2).CellText(1), "Bergen");
}

TEST_F(SourceTest, AbsoluteFilePathIgnoresTheFolder) {
  Write("sales.csv", "a,b\n1,2\n");
  auto snap = TakeSnapshot(File((dir_ / "sales.csv").string()), "/nonexistent", {});
  ASSERT_TRUE(snap.has_value()) << snap.error().message();
  EXPECT_EQ(snap->table.num_rows(), 1u);
}

TEST_F(SourceTest, BadCellInAFileNamesThePathAsWrittenAndTheLine) {
  Write("data/sales.csv", "id,price\n1,2.5\n2,cheap\n");
  auto snap = Take(File("data/sales.csv"), PriceIsNumeric());
  ASSERT_FALSE(snap.has_value());
  EXPECT_EQ(snap.error().code(), ErrorCode::kInvalidData);
  EXPECT_THAT(snap.error().message(), AllOf(StartsWith("data/sales.csv:3:"), HasSubstr("cheap")));
}

TEST_F(SourceTest, MissingFileIsNotFound) {
  auto snap = Take(File("data/none.csv"));
  ASSERT_FALSE(snap.has_value());
  EXPECT_EQ(snap.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(snap.error().message(), HasSubstr("data/none.csv"));
}

// ---- kGlob -----------------------------------------------------------------------------------

TEST_F(SourceTest, GlobConcatenatesMatchesInNameOrderUnderTheFirstHeader) {
  Write("incoming/b.csv", "\xEF\xBB\xBFid,city\r\n3,Tromsø\r\n");  // a BOM and CRLF
  Write("incoming/a.csv", "id,city\n1,Oslo\n2,Bergen\n");
  Write("incoming/c.csv", "id,city\n4,Bodø");  // no final newline
  Write("incoming/notes.txt", "not csv");
  fs::create_directories(dir_ / "incoming/d.csv");  // a folder is not a file to read
  auto snap = Take(Glob("incoming/*.csv"));
  ASSERT_TRUE(snap.has_value()) << snap.error().message();
  EXPECT_EQ(snap->bytes, "id,city\n1,Oslo\n2,Bergen\n3,Tromsø\r\n4,Bodø");
  EXPECT_EQ(snap->digest, core::Sha256Hex(snap->bytes));
  EXPECT_EQ(snap->description, "incoming/*.csv (3 files)");
  EXPECT_THAT(snap->files, ElementsAre(dir_ / "incoming/a.csv", dir_ / "incoming/b.csv",
                                       dir_ / "incoming/c.csv"));
  ASSERT_EQ(snap->table.num_rows(), 4u);
  EXPECT_EQ(snap->table.column(1).CellText(2), "Tromsø");
  EXPECT_EQ(snap->table.column(1).CellText(3), "Bodø");
}

TEST_F(SourceTest, PiecesWithoutAFinalNewlineGetOne) {
  Write("in/1.csv", "x,y\n1,2");
  Write("in/2.csv", "x,y\r\n3,4\r");  // a lone CR ends the last line
  Write("in/3.csv", "x,y\n5,6\n");
  auto snap = Take(Glob("in/*.csv"));
  ASSERT_TRUE(snap.has_value()) << snap.error().message();
  EXPECT_EQ(snap->bytes, "x,y\n1,2\n3,4\r\n5,6\n");
  EXPECT_EQ(snap->table.num_rows(), 3u);
}

TEST_F(SourceTest, NewFileChangesTheGlobsDigest) {
  Write("incoming/2024-01.csv", "a,b\n1,2\n");
  auto one = Take(Glob("incoming/*.csv"));
  ASSERT_TRUE(one.has_value()) << one.error().message();
  // A glob of one file is that file: the same bytes, so the same digest as `path:`.
  EXPECT_EQ(one->digest, Take(File("incoming/2024-01.csv"))->digest);
  EXPECT_EQ(one->description, "incoming/*.csv (1 file)");

  Write("incoming/2024-02.csv", "a,b\n3,4\n");
  auto two = Take(Glob("incoming/*.csv"));
  ASSERT_TRUE(two.has_value()) << two.error().message();
  EXPECT_NE(two->digest, one->digest);
  EXPECT_EQ(two->table.num_rows(), 2u);
  // Same files, same bytes: same digest.
  EXPECT_EQ(Take(Glob("incoming/*.csv"))->digest, two->digest);
}

TEST_F(SourceTest, HeaderMismatchNamesTheFileAndShowsBothHeaders) {
  Write("incoming/a.csv", "id,city\n1,Oslo\n");
  Write("incoming/b.csv", "id,town\n2,Bergen\n");
  auto snap = Take(Glob("incoming/*.csv"));
  ASSERT_FALSE(snap.has_value());
  EXPECT_EQ(snap.error().code(), ErrorCode::kInvalidData);
  EXPECT_THAT(snap.error().message(), AllOf(StartsWith("incoming/b.csv:1:"), HasSubstr("'id,town'"),
                                            HasSubstr("'id,city'"), HasSubstr("incoming/a.csv")));
}

TEST_F(SourceTest, EmptyMatchIsAnError) {
  Write("incoming/a.csv", "id,city\n1,Oslo\n");
  Write("incoming/b.csv", "");
  auto snap = Take(Glob("incoming/*.csv"));
  ASSERT_FALSE(snap.has_value());
  EXPECT_EQ(snap.error().code(), ErrorCode::kInvalidData);
  EXPECT_THAT(snap.error().message(), AllOf(StartsWith("incoming/b.csv"), HasSubstr("empty")));
}

TEST_F(SourceTest, NoMatchIsNotFoundNamingThePatternAndFolder) {
  Write("incoming/a.txt", "a\n1\n");
  for (const char* pattern : {"incoming/*.csv", "missing/*.csv"}) {
    auto snap = Take(Glob(pattern));
    ASSERT_FALSE(snap.has_value()) << pattern;
    EXPECT_EQ(snap.error().code(), ErrorCode::kNotFound);
    EXPECT_THAT(snap.error().message(),
                AllOf(HasSubstr(std::string("'") + pattern + "'"), HasSubstr(dir_.string())));
  }
}

TEST_F(SourceTest, BadCellInALaterFileNamesThatFileAndItsOwnLine) {
  // Lines that shift the concatenation's line numbers: a cell with a line break, a blank line,
  // a file without a final newline, a blank line above a header.
  Write("incoming/a.csv", "id,price,note\n1,2.5,\"two\nlines\"\n\n2,3,x\n");
  Write("incoming/b.csv", "id,price,note\r\n3,4,y\r\n5,6,z");
  Write("incoming/c.csv", "\nid,price,note\n7,8,w\n9,free,v\n");
  auto snap = Take(Glob("incoming/*.csv"), PriceIsNumeric());
  ASSERT_FALSE(snap.has_value());
  EXPECT_EQ(snap.error().code(), ErrorCode::kInvalidData);
  EXPECT_THAT(snap.error().message(), AllOf(StartsWith("incoming/c.csv:4:"), HasSubstr("free")));

  // A row with a missing field in the second file.
  Write("incoming/c.csv", "id,price,note\n7,8,w\n");
  Write("incoming/b.csv", "id,price,note\r\n3,4,y\r\n5,6\r\n");
  snap = Take(Glob("incoming/*.csv"), PriceIsNumeric());
  ASSERT_FALSE(snap.has_value());
  EXPECT_THAT(snap.error().message(), StartsWith("incoming/b.csv:3:"));

  // And in the first.
  Write("incoming/b.csv", "id,price,note\n3,4,y\n");
  Write("incoming/a.csv", "id,price,note\n1,2.5,x\n2,none at all,x\n");
  snap = Take(Glob("incoming/*.csv"), PriceIsNumeric());
  ASSERT_FALSE(snap.has_value());
  EXPECT_THAT(snap.error().message(), StartsWith("incoming/a.csv:3:"));
}

TEST_F(SourceTest, HeaderErrorsNameTheFirstFile) {
  Write("incoming/a.csv", "id,price\n1,2\n");
  Write("incoming/b.csv", "id,price\n3,4\n");
  core::CsvReadOptions csv;
  csv.only_columns = std::vector<std::string>{"id", "cost"};
  auto snap = Take(Glob("incoming/*.csv"), csv);
  ASSERT_FALSE(snap.has_value());
  EXPECT_THAT(snap.error().message(), AllOf(StartsWith("incoming/a.csv:"), HasSubstr("cost")));
}

TEST_F(SourceTest, GlobMetacharactersInTheFolderAreLiteral) {
  const fs::path odd = dir_ / "we[ird]*";
  fs::create_directories(odd / "in");
  ASSERT_TRUE(core::WriteFileAtomic(odd / "in/a.csv", "a\n1\n").has_value());
  auto snap = TakeSnapshot(Glob("in/*.csv"), odd, {});
  ASSERT_TRUE(snap.has_value()) << snap.error().message();
  EXPECT_THAT(snap->files, ElementsAre(odd / "in/a.csv"));
}

// ---- kSql on SQLite --------------------------------------------------------------------------

class SqliteSourceTest : public SourceTest {
 protected:
  void SetUp() override {
    SourceTest::SetUp();
    Exec(
        "CREATE TABLE sales (id INTEGER, price REAL, name TEXT, note TEXT);"
        "INSERT INTO sales VALUES (1, 0.1, 'apple', NULL);"
        "INSERT INTO sales VALUES (2, 2.5, 'pear, green', 'say \"hi\"');"
        "INSERT INTO sales VALUES (3, 3.0, ' plum ', '');"
        "INSERT INTO sales VALUES (9007199254740993, 1e20, 'fig', 'x');");
  }

  void Exec(const std::string& sql) {
    auto db = store::sqlite::Database::Open(dir_ / "shop.db");
    ASSERT_TRUE(db.has_value()) << db.error().message();
    ASSERT_TRUE(db->Exec(sql).has_value());
  }

  int64_t CountSales() {
    auto db = store::sqlite::Database::Open(dir_ / "shop.db", /*must_exist=*/true);
    auto stmt = db->Prepare("SELECT count(*) FROM sales");
    EXPECT_TRUE(*stmt->Step());
    return stmt->Int(0);
  }
};

TEST_F(SqliteSourceTest, QueryResultIsWrittenAsCsvAndRead) {
  auto snap = Take(Sql("sqlite:shop.db", "SELECT id, price, name, note FROM sales ORDER BY id"));
  ASSERT_TRUE(snap.has_value()) << snap.error().message();
  EXPECT_EQ(snap->bytes,
            "id,price,name,note\n"
            "1,0.1,apple,\n"
            "2,2.5,\"pear, green\",\"say \"\"hi\"\"\"\n"
            "3,3,\" plum \",\n"
            "9007199254740993,1e+20,fig,x\n");
  EXPECT_EQ(snap->digest, core::Sha256Hex(snap->bytes));
  EXPECT_EQ(snap->description,
            "sqlite:shop.db: SELECT id, price, name, note FROM sales ORDER BY id");
  EXPECT_TRUE(snap->files.empty());
  const core::Table& t = snap->table;
  ASSERT_EQ(t.num_rows(), 4u);
  EXPECT_TRUE(t.column(1).is_numeric());
  EXPECT_FLOAT_EQ(t.column(1).values()[0], 0.1f);
  EXPECT_EQ(t.column(2).CellText(2), " plum ");
  EXPECT_TRUE(t.column(3).IsMissing(0));  // NULL
  EXPECT_EQ(t.column(3).CellText(1), "say \"hi\"");
}

TEST_F(SqliteSourceTest, RunReadOnlyQueryGivesNumbersAsShortestTextAndNullAsNullopt) {
  auto result = store::RunReadOnlyQuery(
      "sqlite:///" + (dir_ / "shop.db").string(),
      "SELECT id, price * 2 AS doubled, note FROM sales WHERE id <= 2 ORDER BY id", "/elsewhere");
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_THAT(result->columns, ElementsAre("id", "doubled", "note"));
  ASSERT_EQ(result->rows.size(), 2u);
  EXPECT_THAT(result->rows[0], ElementsAre("1", "0.2", std::nullopt));
  EXPECT_THAT(result->rows[1], ElementsAre("2", "5", "say \"hi\""));
}

TEST_F(SqliteSourceTest, OneColumnKeepsRowsOfAnEmptyCell) {
  auto snap = Take(Sql("sqlite:shop.db", "SELECT note FROM sales ORDER BY id"));
  ASSERT_TRUE(snap.has_value()) << snap.error().message();
  EXPECT_EQ(snap->bytes, "note\n\"\"\n\"say \"\"hi\"\"\"\n\"\"\nx\n");
  EXPECT_EQ(snap->table.num_rows(), 4u);
}

TEST_F(SqliteSourceTest, LongQueryIsShortenedInTheDescription) {
  auto snap = Take(Sql("sqlite:shop.db",
                       "SELECT id,\n       price,\n       name\n  FROM sales\n WHERE price > 0 "
                       "AND name IS NOT NULL ORDER BY id"));
  ASSERT_TRUE(snap.has_value()) << snap.error().message();
  EXPECT_EQ(snap->description,
            "sqlite:shop.db: SELECT id, price, name FROM sales WHERE price > 0 AND name I…");
}

TEST_F(SqliteSourceTest, StatementsThatWriteAreRefusedAndChangeNothing) {
  for (const char* query :
       {"DELETE FROM sales", "SELECT 1; DELETE FROM sales", "SELECT 1 ; DROP TABLE sales;",
        "UPDATE sales SET price = 0 RETURNING id", "CREATE TABLE t2 (x)"}) {
    auto snap = Take(Sql("sqlite:shop.db", query));
    ASSERT_FALSE(snap.has_value()) << query;
    EXPECT_EQ(snap.error().code(), ErrorCode::kInvalidArgument) << query;
    EXPECT_THAT(snap.error().message(), HasSubstr("shop.db")) << query;
  }
  EXPECT_EQ(CountSales(), 4);
  // Trailing blanks, a semicolon and a comment are not a second statement.
  auto snap = Take(Sql("sqlite:shop.db", "SELECT id FROM sales;  -- all of them\n"));
  ASSERT_TRUE(snap.has_value()) << snap.error().message();
  EXPECT_EQ(snap->table.num_rows(), 4u);
}

TEST_F(SqliteSourceTest, QueryErrorsNameTheDatabaseAndCarrySqlitesMessage) {
  auto snap = Take(Sql("sqlite:shop.db", "SELECT nope FROM sales"));
  ASSERT_FALSE(snap.has_value());
  EXPECT_EQ(snap.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(snap.error().message(),
              AllOf(HasSubstr((dir_ / "shop.db").string()), HasSubstr("no such column: nope")));
}

TEST_F(SqliteSourceTest, MissingDatabaseIsNotFoundAndNotCreated) {
  auto snap = Take(Sql("sqlite:sub/none.db", "SELECT 1"));
  ASSERT_FALSE(snap.has_value());
  EXPECT_EQ(snap.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(snap.error().message(), HasSubstr((dir_ / "sub/none.db").string()));
  EXPECT_FALSE(fs::exists(dir_ / "sub"));
}

TEST_F(SqliteSourceTest, NoRowsIsInvalidData) {
  auto snap = Take(Sql("sqlite:shop.db", "SELECT * FROM sales WHERE id < 0"));
  ASSERT_FALSE(snap.has_value());
  EXPECT_EQ(snap.error().code(), ErrorCode::kInvalidData);
  EXPECT_THAT(snap.error().message(), AllOf(HasSubstr("sqlite:shop.db: SELECT * FROM sales"),
                                            HasSubstr("the query returned no rows")));
}

TEST_F(SqliteSourceTest, BlobCellIsAnErrorNamingTheColumn) {
  auto snap = Take(Sql("sqlite:shop.db", "SELECT id, x'00ff' AS picture FROM sales"));
  ASSERT_FALSE(snap.has_value());
  EXPECT_EQ(snap.error().code(), ErrorCode::kInvalidData);
  EXPECT_THAT(snap.error().message(), HasSubstr("'picture'"));
}

TEST_F(SqliteSourceTest, ForcedNumericColumnWithTextNamesTheQueryResult) {
  auto snap = Take(Sql("sqlite:shop.db", "SELECT id, name AS price FROM sales ORDER BY id"),
                   PriceIsNumeric());
  ASSERT_FALSE(snap.has_value());
  EXPECT_THAT(snap.error().message(),
              AllOf(StartsWith("sqlite:shop.db query result:2:"), HasSubstr("apple")));
}

TEST_F(SqliteSourceTest, BadUrlsListTheSupportedSchemesAndHidePasswords) {
  auto snap = Take(Sql("mysql://user:s3cret@db/shop", "SELECT 1"));
  ASSERT_FALSE(snap.has_value());
  EXPECT_EQ(snap.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(snap.error().message(), AllOf(HasSubstr("'mysql:'"), HasSubstr("sqlite:"),
                                            HasSubstr("postgresql://"), Not(HasSubstr("s3cret"))));
  for (const char* url : {"sqlite://shop.db", "sqlite:", "shop.db"}) {
    auto r = Take(Sql(url, "SELECT 1"));
    ASSERT_FALSE(r.has_value()) << url;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << url;
  }
}

TEST_F(SqliteSourceTest, NotADatabaseIsInvalidData) {
  Write("notes.db", "this is not an SQLite database, it is text long enough to have a header");
  auto snap = Take(Sql("sqlite:notes.db", "SELECT * FROM sales"));
  ASSERT_FALSE(snap.has_value());
  EXPECT_EQ(snap.error().code(), ErrorCode::kInvalidData);
  EXPECT_THAT(snap.error().message(), HasSubstr("notes.db"));
}

}  // namespace
}  // namespace hone::pipeline
