// summarize (core/batch/summarize.hpp): mean and standard error by x and `by`, hand-computed;
// every skipped row counted with its reason.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/batch/summarize.hpp"
#include "ntk/sdk/error.hpp"

using namespace ntk::core::batch;

namespace {

RowValue num(double v) { return RowValue::of_number(v, std::to_string(v)); }
RowValue text(const std::string& t) { return RowValue::of_text(t); }

}  // namespace

TEST_CASE("summarize: mean and standard error per x, one series per 'by' value", "[batch][summarize]") {
  // m=a: x=1 has y 1 and 3 (mean 2, sample sd √2, sem √2/√2 = 1); x=2 has y 5 (sem 0).
  // m=b: x=1 has y 2, 4, 9 (mean 5, sample var ((−3)² + (−1)² + 4²)/2 = 13, sem √(13/3)).
  const std::vector<SummaryRow> rows = {
      {{"x", num(2)}, {"y", num(5)}, {"m", text("a")}},
      {{"x", num(1)}, {"y", num(1)}, {"m", text("a")}},
      {{"x", num(1)}, {"y", num(2)}, {"m", text("b")}},
      {{"x", num(1)}, {"y", num(3)}, {"m", text("a")}},
      {{"x", num(1)}, {"y", num(4)}, {"m", text("b")}},
      {{"x", num(1)}, {"y", num(9)}, {"m", text("b")}},
  };
  SummarizeOptions o;
  o.x = "x";
  o.y = "y";
  o.by = "m";
  const Summary s = summarize(rows, o);
  REQUIRE(s.series.size() == 2);
  CHECK(s.series[0].label == "m=a");  // order of first appearance
  CHECK(s.series[0].x == std::vector<double>{1, 2});
  CHECK(s.series[0].y == std::vector<double>{2, 5});
  CHECK(s.series[0].yerr[0] == Approx(1.0));
  CHECK(s.series[0].yerr[1] == 0.0);
  CHECK(s.series[0].n == std::vector<std::size_t>{2, 1});
  CHECK(s.series[1].label == "m=b");
  CHECK(s.series[1].y == std::vector<double>{5});
  CHECK(s.series[1].yerr[0] == Approx(std::sqrt(13.0 / 3.0)));
  CHECK(s.rows == 6);
  CHECK(s.used == 6);
  CHECK(s.skipped_count() == 0);
  CHECK(s.skipped_text().empty());
}

TEST_CASE("summarize: skipped rows are counted with their reasons", "[batch][summarize]") {
  const std::vector<SummaryRow> rows = {
      {{"x", num(1)}, {"y", num(2)}, {"batch.status", text("ok")}, {"status", text("diverged")}},
      {{"x", num(1)}, {"y", num(4)}, {"batch.status", text("failed")}},
      {{"x", num(1)}, {"y", num(6)}, {"batch.status", text("failed")}},
      {{"x", num(2)}, {"batch.status", text("ok")}},
      {{"x", text("big")}, {"y", num(1)}},
      {},
  };
  SummarizeOptions o;
  o.x = "x";
  o.y = "y";
  const Summary s = summarize(rows, o);
  REQUIRE(s.series.size() == 1);
  CHECK(s.series[0].x == std::vector<double>{1});
  CHECK(s.series[0].y == std::vector<double>{2});  // a script's own status does not filter
  CHECK(s.used == 1);
  CHECK(s.skipped_count() == 5);
  CHECK(s.skipped_text() ==
        "2 from failed jobs (batch.status not \"ok\"), 1 without a number 'y', "
        "2 without a number 'x'");

  // An explicit `where` replaces the default filter; rows it deselects are `filtered`.
  o.where = {{"batch.status", "failed"}};
  const Summary failed = summarize(rows, o);
  CHECK(failed.series.at(0).y == std::vector<double>{5});  // (4 + 6) / 2
  CHECK(failed.filtered == 4);
  CHECK(failed.skipped_count() == 0);

  o.where.clear();
  o.by = "m";
  // Reasons in the order first met: row 1 has no m, rows 2-3 failed, row 4 no y, rows 5-6 no x.
  CHECK(summarize(rows, o).skipped_text() ==
        "1 without a value 'm', 2 from failed jobs (batch.status not \"ok\"), "
        "1 without a number 'y', 2 without a number 'x'");
}

TEST_CASE("summarize: non-finite values and missing keys are errors", "[batch][summarize]") {
  SummarizeOptions o;
  o.x = "x";
  CHECK_THROWS_WITH(summarize({}, o), Catch::Contains("give the row keys"));
  o.y = "y";
  const std::vector<SummaryRow> rows = {{{"x", num(1)}, {"y", num(INFINITY)}}};
  CHECK_THROWS_WITH(summarize(rows, o), Catch::Contains("row 1 has x = 1, y = inf"));
}
