#include "hone/core/csv.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <filesystem>

#include <fast_float/fast_float.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "hone/core/file.h"
#include "hone/core/random.h"

namespace hone::core {
namespace {

using ::testing::HasSubstr;

Table Parse(std::string_view text, const CsvReadOptions& options = {}) {
  auto table = ParseCsv(text, "data.csv", options);
  EXPECT_TRUE(table.has_value()) << table.error().message();
  return table ? *std::move(table) : Table();
}

// The message of the error ParseCsv must return.
std::string ErrorOf(std::string_view text, const CsvReadOptions& options = {},
                    ErrorCode code = ErrorCode::kInvalidData) {
  auto table = ParseCsv(text, "data.csv", options);
  if (table) {
    ADD_FAILURE() << "parsed without error: " << text;
    return "";
  }
  EXPECT_EQ(table.error().code(), code) << table.error().message();
  return table.error().message();
}

std::vector<float> Values(const Column& column) {
  return {column.values().begin(), column.values().end()};
}

std::vector<int32_t> Codes(const Column& column) {
  return {column.codes().begin(), column.codes().end()};
}

std::vector<std::string> Texts(const Column& column) {
  std::vector<std::string> out;
  for (size_t row = 0; row < column.size(); ++row) out.push_back(column.CellText(row));
  return out;
}

// Equal names, types, bit-identical values, codes and dictionaries.
void ExpectSameTable(const Table& a, const Table& b) {
  ASSERT_EQ(a.schema(), b.schema());
  ASSERT_EQ(a.num_rows(), b.num_rows());
  for (size_t c = 0; c < a.num_columns(); ++c) {
    const Column& x = a.column(c);
    const Column& y = b.column(c);
    EXPECT_EQ(x.dictionary(), y.dictionary()) << x.name();
    EXPECT_TRUE(std::equal(x.codes().begin(), x.codes().end(), y.codes().begin())) << x.name();
    for (size_t row = 0; row < x.values().size(); ++row) {
      ASSERT_EQ(std::bit_cast<uint32_t>(x.values()[row]), std::bit_cast<uint32_t>(y.values()[row]))
          << x.name() << " row " << row;
    }
  }
}

TEST(CsvTest, ReadsHeaderAndInfersTypes) {
  Table t = Parse("id,colour,price\n1,red,2.5\n2,blue,-3\n3,red,1e3\n");
  ASSERT_EQ(t.num_columns(), 3u);
  ASSERT_EQ(t.num_rows(), 3u);
  EXPECT_TRUE(t.column(0).is_numeric());
  EXPECT_TRUE(t.column(1).is_categorical());
  EXPECT_THAT(Values(t.column(2)), ::testing::ElementsAre(2.5f, -3.0f, 1000.0f));
  EXPECT_THAT(Codes(t.column(1)), ::testing::ElementsAre(0, 1, 0));
  EXPECT_THAT(t.column(1).dictionary(), ::testing::ElementsAre("red", "blue"));
}

TEST(CsvTest, NumbersFollowFastFloatAndAcceptALeadingPlus) {
  Table t = Parse("a,b,c\n+1.5,.5,+x\n -2 ,inf,+-1\n\"3\",1E-2,+\n");
  EXPECT_THAT(Values(t.column(0)), ::testing::ElementsAre(1.5f, -2.0f, 3.0f));
  EXPECT_THAT(Values(t.column(1)), ::testing::ElementsAre(0.5f, INFINITY, 0.01f));
  ASSERT_TRUE(t.column(2).is_categorical());  // a sign alone or doubled is no number
  EXPECT_THAT(Texts(t.column(2)), ::testing::ElementsAre("+x", "+-1", "+"));
}

TEST(CsvTest, MissingMarkers) {
  for (const char* text : {"", "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "null", "NULL",
                           "Null", "None", "<NA>", "#N/A", "  NA\t"}) {
    EXPECT_TRUE(IsMissingText(text)) << text;
  }
  for (const char* text : {"na", "NAN", "none", "0", "N", "-", "NA NA"}) {
    EXPECT_FALSE(IsMissingText(text)) << text;
  }
  Table t = Parse("x,c\n1,a\nNA,null\n,\"\"\nnan,b\n");
  EXPECT_TRUE(t.column(0).is_numeric());
  EXPECT_EQ(t.column(0).CountMissing(), 3u);
  EXPECT_THAT(Codes(t.column(1)), ::testing::ElementsAre(0, -1, -1, 1));
  // "nan(...)" reads as NaN in fast_float, but is not a listed marker: the column is text.
  EXPECT_TRUE(Parse("x\n1\nnan(abc)\n").column(0).is_categorical());
}

TEST(CsvTest, QuotedFieldsHoldDelimitersQuotesAndNewlines) {
  Table t = Parse("name,note\n\"Smith, J\",\"say \"\"hi\"\"\"\n\"a\nb\",\" padded \"\n x , \"\"\n");
  EXPECT_THAT(Texts(t.column(0)), ::testing::ElementsAre("Smith, J", "a\nb", "x"));
  EXPECT_THAT(Texts(t.column(1)), ::testing::ElementsAre("say \"hi\"", " padded ", ""));
  // Blanks around a quoted field are not part of it.
  EXPECT_THAT(Texts(Parse("a,b\n1,  \"x,y\"  \n").column(1)), ::testing::ElementsAre("x,y"));
  // A quote inside unquoted text is text.
  EXPECT_THAT(Texts(Parse("size,b\n5\" screen,1\n").column(0)),
              ::testing::ElementsAre("5\" screen"));
}

TEST(CsvTest, LineEndsBomBlankLinesAndNoFinalNewline) {
  Table expected = Parse("a,b\n1,x\n2,y\n");
  ExpectSameTable(Parse("a,b\r\n1,x\r\n2,y\r\n"), expected);
  ExpectSameTable(Parse("a,b\r1,x\r2,y"), expected);
  ExpectSameTable(Parse("\xEF\xBB\xBF"
                        "a,b\n1,x\n2,y"),
                  expected);
  ExpectSameTable(Parse("\n  \na,b\n\n1,x\r\n \t\n2,y\n\n"), expected);
  EXPECT_EQ(Parse("a,b\n1,\n").column(1).CountMissing(), 1u);  // a trailing empty field
}

TEST(CsvTest, OtherDelimiters) {
  CsvReadOptions semicolon;
  semicolon.delimiter = ';';
  Table t = Parse("a;b\n1,5;x y\n", semicolon);
  EXPECT_THAT(Texts(t.column(0)), ::testing::ElementsAre("1,5"));
  CsvReadOptions tab;
  tab.delimiter = '\t';
  t = Parse("a\tb\n 1 \t\n", tab);  // tabs separate, never trimmed away
  EXPECT_EQ(t.column(0).values()[0], 1.0f);
  EXPECT_TRUE(t.column(1).IsMissing(0));
  tab.delimiter = '"';
  EXPECT_THAT(ErrorOf("a\n1\n", tab, ErrorCode::kInvalidArgument), HasSubstr("delimiter"));
}

TEST(CsvTest, LateTextTurnsANumericColumnCategoricalKeepingOriginalText) {
  std::string text = "zip,n\n";
  for (int i = 0; i < 3000; ++i) text += (i % 2 ? "007," : "1.50,") + std::to_string(i) + "\n";
  text += "N/A,1\nabc,2\n";
  for (unsigned threads : {1u, 4u}) {
    CsvReadOptions options;
    options.threads = threads;
    options.chunk_bytes = threads == 1 ? 0 : 500;
    Table t = Parse(text, options);
    const Column& zip = t.column(0);
    ASSERT_TRUE(zip.is_categorical());
    EXPECT_THAT(zip.dictionary(), ::testing::ElementsAre("1.50", "007", "abc"));
    EXPECT_EQ(zip.CellText(1), "007");
    EXPECT_TRUE(zip.IsMissing(3000));
    EXPECT_TRUE(t.column(1).is_numeric());
  }
}

TEST(CsvTest, TextAfterOnlyMissingCellsIsCategoricalWithThoseCellsMissing) {
  Table t = Parse("a,b\nNA,1\n,2\nx,3\n007,4\n");
  ASSERT_TRUE(t.column(0).is_categorical());
  EXPECT_THAT(Codes(t.column(0)), ::testing::ElementsAre(-1, -1, 0, 1));
  EXPECT_THAT(t.column(0).dictionary(), ::testing::ElementsAre("x", "007"));
}

TEST(CsvTest, ExplicitTypes) {
  CsvReadOptions options;
  options.column_types = {{"code", ColumnType::kCategorical},
                          {"price", ColumnType::kNumeric},
                          {"absent", ColumnType::kNumeric}};
  Table t = Parse("code,price\n1.0,NA\n01,3\n", options);
  EXPECT_THAT(t.column(0).dictionary(), ::testing::ElementsAre("1.0", "01"));
  EXPECT_TRUE(t.column(1).is_numeric());
  EXPECT_EQ(ErrorOf("code,price\n1,2\n\n2,abc\n", options),
            "data.csv:4: column 'price': 'abc' is not a number");
  options.column_types = {{"c", ColumnType::kCategorical}};
  EXPECT_TRUE(Parse("c\nNA\n", options).column(0).is_categorical());
}

TEST(CsvTest, OnlyColumnsReadsTheNamedColumnsInFileOrder) {
  CsvReadOptions options;
  options.only_columns = std::vector<std::string>{"c", "a"};
  options.column_types = {{"b", ColumnType::kNumeric}};  // b is skipped, so never checked
  Table t = Parse("a,b,c\n1,x,p\n2,y,q\n", options);
  ASSERT_EQ(t.num_columns(), 2u);
  EXPECT_EQ(t.column(0).name(), "a");
  EXPECT_EQ(t.column(1).name(), "c");
  options.only_columns = std::vector<std::string>{"a", "nope"};
  std::string error = ErrorOf("a,b,c\n1,x,p\n", options, ErrorCode::kNotFound);
  EXPECT_THAT(error, HasSubstr("data.csv"));
  EXPECT_THAT(error, HasSubstr("'nope'"));
  EXPECT_THAT(error, HasSubstr("columns: a, b, c"));
}

TEST(CsvTest, RaggedRowsNameTheLineAndTheFieldCounts) {
  EXPECT_EQ(ErrorOf("a,b,c\n1,2,3\n\"x\ny\",2,3\n1,2\n"),
            "data.csv:5: row has 2 fields, expected 3 as in the header");
  EXPECT_EQ(ErrorOf("a,b\r\n1,2\r\n1,2,3,4\r\n"),
            "data.csv:3: row has 4 fields, expected 2 as in the header");
}

TEST(CsvTest, QuoteErrorsNameTheLineAndColumn) {
  EXPECT_EQ(ErrorOf("a,b\n1,\"x\ny\"\n2,\"open\n3,4\n"),
            "data.csv:4: column 'b': quoted field opened here is never closed");
  EXPECT_THAT(ErrorOf("a,b\n1,2\n3,\"x\"y\n"),
              HasSubstr("data.csv:3: column 'b': text after the closing quote"));
  EXPECT_THAT(ErrorOf("a,b\n1,2,\"x\n"), HasSubstr("data.csv:2: field 3 (the header has 2)"));
  EXPECT_THAT(ErrorOf("a,\"b\n"), HasSubstr("data.csv:1: header column 2: quoted field"));
}

TEST(CsvTest, BadHeadersAndEmptyInputs) {
  EXPECT_EQ(ErrorOf(""), "data.csv: the input is empty; expected a header row");
  EXPECT_THAT(ErrorOf("\xEF\xBB\xBF\r\n  \n"), HasSubstr("empty"));
  EXPECT_EQ(ErrorOf("\na,b\n"), "data.csv:2: the header is not followed by any data rows");
  EXPECT_THAT(ErrorOf("a,b"), HasSubstr("data.csv:1: the header is not followed"));
  EXPECT_THAT(ErrorOf("a,b\n\n \n"), HasSubstr("not followed by any data rows"));
  EXPECT_EQ(ErrorOf("a,,c\n1,2,3\n"), "data.csv:1: header column 2 has an empty name");
  EXPECT_EQ(ErrorOf("a,b,\" a\",a\n1,2,3,4\n"),
            "data.csv:1: column name 'a' appears twice (columns 1 and 4)");
}

TEST(CsvTest, ReadCsvNamesTheFile) {
  auto dir = std::filesystem::temp_directory_path() / ("hone_csv_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto missing = ReadCsv(dir / "nope.csv");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  Table t = Parse("a,b\n1,x\n");
  ASSERT_TRUE(WriteCsv(dir / "t.csv", t).has_value());
  auto back = ReadCsv(dir / "t.csv");
  ASSERT_TRUE(back) << back.error().message();
  ExpectSameTable(*back, t);
  ASSERT_TRUE(WriteFileAtomic(dir / "bad.csv", "a,b\n1\n").has_value());
  auto bad = ReadCsv(dir / "bad.csv");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr((dir / "bad.csv").string() + ":2:"));
  std::filesystem::remove_all(dir);
}

TEST(CsvTest, FormatRoundTrips) {
  std::vector<Column> columns;
  columns.push_back(Column::Numeric("x", {0.1f, NAN, -3e-20f, 1e30f, INFINITY}));
  columns.push_back(Column::Categorical("text, \"quoted\"", {0, 1, 2, kMissingCode, 3},
                                        {"a,b", "say \"hi\"", "two\nlines\r\n", " padded\t"}));
  Table t = *Table::Create(std::move(columns));
  std::string text = FormatCsv(t);
  EXPECT_EQ(text.substr(0, text.find('\n')), "x,\"text, \"\"quoted\"\"\"");
  EXPECT_THAT(text, HasSubstr("\n0.1,\"a,b\"\n"));
  EXPECT_THAT(text, HasSubstr("\n,\"say \"\"hi\"\"\"\n"));  // missing is written empty
  EXPECT_THAT(text, HasSubstr("\ninf,\" padded\t\"\n"));
  CsvReadOptions options;
  Schema schema = t.schema();
  for (const Field& field : schema.fields()) options.column_types[field.name] = field.type;
  ExpectSameTable(Parse(text, options), t);

  CsvReadOptions semicolon = options;
  semicolon.delimiter = ';';
  ExpectSameTable(Parse(FormatCsv(t, ';'), semicolon), t);

  // A lone missing cell must not become a blank line, which readers skip.
  std::vector<Column> one;
  one.push_back(Column::Numeric("v", {1, NAN, 2}));
  Table single = *Table::Create(std::move(one));
  ExpectSameTable(Parse(FormatCsv(single)), single);
}

// A deterministic file with every feature the chunked reader must agree on.
// Stray quotes (5" screen) make the quote-parity split guess wrong and take the fallback path.
std::string GenerateCsv(size_t rows, uint64_t seed, bool stray_quotes = true) {
  Rng rng(seed);
  std::string text = "id,price,colour,note,qty\n";
  const char* colours[] = {"red", "green", "blue", "NA", "", "\"dark, red\""};
  const char* notes[] = {"\"multi\nline \"\"note\"\"\"", stray_quotes ? "5\" screen" : "plain"};
  for (size_t i = 0; i < rows; ++i) {
    text += std::to_string(i);
    text += ',';
    if (rng.Below(10) != 0) text += std::to_string(rng.Uniform() * 100);
    text += ',';
    text += colours[rng.Below(6)];
    text += ',';
    uint64_t kind = rng.Below(20);
    text += kind < 2 ? notes[kind] : "plain";
    text += ',';
    text += std::to_string(rng.Below(1000));
    text += rng.Below(50) == 0 ? "\r\n" : "\n";
    if (rng.Below(100) == 0) text += "\n";
  }
  return text;
}

TEST(CsvTest, ResultDoesNotDependOnThreadsOrChunks) {
  for (bool stray_quotes : {false, true}) {
    std::string text = GenerateCsv(40000, 7, stray_quotes);  // over 1 MB: several chunks
    ASSERT_GT(text.size(), 1u << 20);
    CsvReadOptions one;
    one.threads = 1;
    Table expected = Parse(text, one);
    ASSERT_EQ(expected.num_rows(), 40000u);
    EXPECT_TRUE(expected.column(3).is_categorical());
    for (size_t chunk_bytes : {size_t{0}, size_t{4096}, size_t{97}}) {
      CsvReadOptions four;
      four.threads = 4;
      four.chunk_bytes = chunk_bytes;
      ExpectSameTable(Parse(text, four), expected);
    }
  }
}

// The offset of the first row start at or after `from` (rows start with their id's digits).
size_t RowStartAfter(const std::string& text, size_t from) {
  size_t at = text.find('\n', from) + 1;
  while (!std::isdigit(static_cast<unsigned char>(text[at]))) at = text.find('\n', at) + 1;
  return at;
}

TEST(CsvTest, ErrorsInLaterChunksReportTheFirstInFileOrder) {
  for (bool stray_quotes : {false, true}) {
    std::string text = GenerateCsv(5000, 11, stray_quotes);
    size_t cut = RowStartAfter(text, text.size() / 2);
    text.insert(cut, "1,2\n");
    text.insert(RowStartAfter(text, text.size() * 3 / 4), "1,2,3,4,5,6\n");
    std::string line = std::to_string(1 + std::count(text.begin(), text.begin() + cut, '\n'));
    CsvReadOptions one;
    one.threads = 1;
    std::string expected = ErrorOf(text, one);
    EXPECT_EQ(expected, "data.csv:" + line + ": row has 2 fields, expected 5 as in the header");
    CsvReadOptions many;
    many.threads = 4;
    many.chunk_bytes = 300;
    EXPECT_EQ(ErrorOf(text, many), expected);
  }
}

// Short decimals take a faster path than fast_float; their values must be fast_float's exactly.
TEST(CsvTest, NumbersAreBitIdenticalToFastFloat) {
  Rng rng(99);
  std::string text = "x\n";
  std::vector<std::string> cells;
  for (int i = 0; i < 20000; ++i) {
    std::string cell = rng.Below(2) ? "-" : "";
    uint64_t whole = rng.Below(11);
    uint64_t fraction = rng.Below(11);
    if (whole + fraction == 0) whole = 1;
    for (uint64_t d = 0; d < whole; ++d) cell += static_cast<char>('0' + rng.Below(10));
    if (fraction > 0 || rng.Below(4) == 0) cell += '.';
    for (uint64_t d = 0; d < fraction; ++d) cell += static_cast<char>('0' + rng.Below(10));
    if (rng.Below(8) == 0) {
      cell += 'e';
      cell += std::to_string(static_cast<int>(rng.Below(80)) - 40);
    }
    text += cell + "\n";
    cells.push_back(cell);
  }
  CsvReadOptions options;
  options.column_types = {{"x", ColumnType::kNumeric}};
  Table t = Parse(text, options);
  ASSERT_EQ(t.num_rows(), cells.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    float expected;
    fast_float::from_chars(cells[i].data(), cells[i].data() + cells[i].size(), expected);
    ASSERT_EQ(std::bit_cast<uint32_t>(t.column(0).values()[i]), std::bit_cast<uint32_t>(expected))
        << cells[i];
  }
}

// Random edits of valid files: every call must return, and chunked parsing must agree with
// sequential parsing on the table or on the error. Runs under ASan/UBSan in the dev build.
TEST(CsvTest, SurvivesRandomMutations) {
  const std::string seeds[] = {
      GenerateCsv(30, 1),
      "a,b,c\n1,\"x,y\",3\r\n4,\"p\nq\",6\n",
      "\xEF\xBB\xBFk;v\n\"\"\"\";1\n",
  };
  const char alphabet[] = {'"', ',', '\r', '\n', '\0', ' ', '\t', 'a', '1', '.', '+', '-'};
  Rng rng(2024);
  for (int iteration = 0; iteration < 2000; ++iteration) {
    std::string text = seeds[iteration % 3];
    for (uint64_t edits = 1 + rng.Below(8); edits > 0; --edits) {
      size_t at = rng.Below(text.size() + 1);
      char byte = rng.Below(4) == 0 ? static_cast<char>(rng.Below(256))
                                    : alphabet[rng.Below(sizeof(alphabet))];
      switch (rng.Below(3)) {
        case 0:
          text.insert(text.begin() + at, byte);
          break;
        case 1:
          if (at < text.size()) text.erase(at, 1);
          break;
        default:
          if (at < text.size()) text[at] = byte;
          break;
      }
    }
    CsvReadOptions sequential;
    sequential.threads = 1;
    CsvReadOptions chunked;
    chunked.threads = 2;
    chunked.chunk_bytes = 1 + rng.Below(40);
    auto a = ParseCsv(text, "m.csv", sequential);
    auto b = ParseCsv(text, "m.csv", chunked);
    ASSERT_EQ(a.has_value(), b.has_value()) << text;
    if (a) {
      ExpectSameTable(*a, *b);
    } else {
      ASSERT_EQ(a.error().message(), b.error().message()) << text;
    }
  }
}

}  // namespace
}  // namespace hone::core
