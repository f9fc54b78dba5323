// ntk.data from Lua: the tables the loaders return, argument checks raised at the caller's line,
// and the Dataset <-> table conversion (push_dataset / to_dataset).
#include "../lua/lua_fixture.hpp"

#include <cmath>

#include "core/data/data_dir.hpp"
#include "core/data/mnist.hpp"

using ntk::lua::test::LuaFixture;
using ntk::lua::test::TempDir;
using ntk::lua::test::write_text;

TEST_CASE("ntk.data.mnist returns train/test tables of ntk.matrix fields", "[lua][data]") {
  LuaFixture lua;
  lua.ok(R"(
    local d = ntk.data.mnist{classes = {0, 1}, n_train = 50, n_test = 20, seed = 1}
    X, Y, L = d.train.x, d.train.y, d.train.labels
    XT, YT = d.test.x, d.test.y
    n_classes, c1, c2 = #d.train.classes, d.train.classes[1], d.train.classes[2]
    s1, s2, s3 = d.train.shape[1], d.train.shape[2], d.train.shape[3]
    no_clean = d.train.clean_labels == nil
    integers = math.type(c1) .. " " .. math.type(s1)
    -- a data set's fields go through ntk.data functions and keep integer classes
    local sub = ntk.data.subsample(d.train, 10, 3)
    sub_class = math.type(sub.classes[2])
  )");
  CHECK(lua.string("integers") == "integer integer");
  CHECK(lua.string("sub_class") == "integer");
  const arma::mat x = lua.matrix("X");
  CHECK(x.n_rows == 784);
  CHECK(x.n_cols == 50);
  CHECK(lua.matrix("Y").n_rows == 1);
  CHECK(lua.matrix("Y").n_cols == 50);
  CHECK(lua.matrix("L").n_cols == 50);
  CHECK(lua.matrix("XT").n_cols == 20);
  CHECK(lua.matrix("YT").n_cols == 20);
  CHECK(lua.number("n_classes") == 2);
  CHECK(lua.number("c1") == 0);
  CHECK(lua.number("c2") == 1);
  CHECK(lua.number("s1") == 1);
  CHECK(lua.number("s2") == 28);
  CHECK(lua.number("s3") == 28);
  CHECK(lua.boolean("no_clean"));

  // The same numbers as the engine's loader.
  ntk::core::data::ImageSetOptions o;
  o.classes = {0, 1};
  o.n_train = 50;
  o.n_test = 20;
  o.seed = 1;
  const ntk::core::Split s = ntk::core::data::mnist(o);
  CHECK(arma::approx_equal(x, s.train.x, "absdiff", 0.0));
  CHECK(arma::approx_equal(lua.matrix("Y"), s.train.y, "absdiff", 0.0));

  lua.ok(R"(
    local d = ntk.data.mnist{classes = {3, 5, 8}, n_train = 30, n_test = 0, seed = 2,
                             normalize = "unit"}
    Y3 = d.train.y
    XT0 = d.test.x
  )");
  CHECK(lua.matrix("Y3").n_rows == 3);
  CHECK(lua.matrix("XT0").n_rows == 784);
  CHECK(lua.matrix("XT0").n_cols == 0);
}

TEST_CASE("ntk.data loaders refuse bad options at the caller's line", "[lua][data]") {
  LuaFixture lua;
  std::string e = lua.error("\nntk.data.mnist{classes = {0, 1}, n_trian = 5, n_test = 5, seed = 1}");
  CHECK_THAT(e, Catch::Contains("snippet:2:") && Catch::Contains(
                        "ntk.data.mnist: unknown field 'n_trian' (known fields: classes, dir, "
                        "labels, n_test, n_train, normalize, seed)"));
  e = lua.error("ntk.data.mnist{classes = {0, 1}, n_train = 5, n_test = 5}");
  CHECK_THAT(e, Catch::Contains("ntk.data.mnist: field 'seed' is required"));
  e = lua.error("ntk.data.mnist{classes = {0, 1}, n_train = 2000, n_test = 200, seed = 1}");
  CHECK_THAT(e, Catch::Contains("2200") && Catch::Contains("2115"));
  e = lua.error("ntk.data.mnist{classes = {0, 1}, n_train = 2.5, n_test = 2, seed = 1}");
  CHECK_THAT(e, Catch::Contains("ntk.data.mnist: field 'n_train' must be an integer >= 0, got 2.5"));
  e = lua.error("ntk.data.mnist{classes = {0, 1}, n_train = 5, n_test = 5, seed = 1, labels = 'x'}");
  CHECK_THAT(e, Catch::Contains("ntk.data.mnist: field 'labels' must be one of pm1, onehot, got 'x'"));
  e = lua.error("ntk.data.bump{n = 10}");
  CHECK_THAT(e, Catch::Contains("ntk.data.bump") && Catch::Contains("'seed'"));
  e = lua.error("ntk.data.unit_norm({y = {1, 2}})");
  CHECK_THAT(e, Catch::Contains("field 'x'"));
  e = lua.error("ntk.data.unit_norm({x = {{1, 2}}, y = {{1, 2, 3}}})");
  CHECK_THAT(e, Catch::Contains("'y' has 3 columns but x has 2"));
}

TEST_CASE("ntk.data generators and transforms from Lua", "[lua][data]") {
  LuaFixture lua;
  lua.ok(R"(
    local b = ntk.data.bump{n = 200, seed = 3}
    BX, BY = b.x, b.y
    S = ntk.data.sphere{n = 100, d = 5, seed = 4}.x
    local d = {x = {{1, 2, 3, 4, 5, 6}, {0, 1, 0, 1, 0, 1}}, labels = {3, 5, 7, 5, 3, 5}}
    local f = ntk.data.filter_classes(d, {3, 5})
    FY, FL = f.y, f.labels
    local h = ntk.data.filter_classes(d, {3, 5, 7})
    HY = h.y
    local e = ntk.data.encode(d, "onehot")
    E_classes = #e.classes
    local u = ntk.data.unit_norm(f)
    UX = u.x
    local tr, te = ntk.data.standardize(f, h)
    TRX, TEX = tr.x, te.x
    SUB = ntk.data.subsample(h, 4, 9).x
    local sp = ntk.data.split(h, 4, 2, 9)
    SPX, SPTX = sp.train.x, sp.test.x
  )");
  const arma::mat bx = lua.matrix("BX");
  REQUIRE(bx.n_rows == 2);
  REQUIRE(bx.n_cols == 200);
  CHECK(arma::abs(lua.matrix("BY") - arma::exp(-arma::sum(arma::square(bx), 0))).max() < 1e-15);
  const arma::mat s = lua.matrix("S");
  CHECK(arma::abs(arma::sqrt(arma::sum(arma::square(s), 0)) - 1).max() < 1e-12);
  CHECK(arma::approx_equal(lua.matrix("FY"), arma::mat{{-1, 1, 1, -1, 1}}, "absdiff", 0.0));
  CHECK(arma::approx_equal(lua.matrix("FL"), arma::mat{{3, 5, 5, 3, 5}}, "absdiff", 0.0));
  CHECK(lua.matrix("HY").n_rows == 3);
  CHECK(lua.number("E_classes") == 3);
  const arma::mat u = lua.matrix("UX");
  CHECK(std::abs(u(0, 0) - 1.0) < 1e-15);                       // (1, 0) has norm 1
  CHECK(std::abs(u(0, 1) - 2.0 / std::sqrt(5.0)) < 1e-15);     // (2, 1)
  CHECK(std::abs(arma::mean(lua.matrix("TRX").row(0))) < 1e-14);
  CHECK(lua.matrix("TEX").n_cols == 6);
  CHECK(lua.matrix("SUB").n_cols == 4);
  CHECK(lua.matrix("SPX").n_cols == 4);
  CHECK(lua.matrix("SPTX").n_cols == 2);
}

TEST_CASE("ntk.data label noise keeps the clean labels", "[lua][data]") {
  LuaFixture lua;
  lua.ok(R"(
    local d = ntk.data.mnist{classes = {0, 1, 2}, n_train = 300, n_test = 0, seed = 5}
    local n = ntk.data.symmetric_noise(d.train, 0.5, 7)
    L, NL, CL, NY, CY = d.train.labels, n.labels, n.clean_labels, n.y, n.clean_y
    local t = ntk.data.transition_noise(d.train, {{0, 1, 0}, {0, 0, 1}, {1, 0, 0}}, 8)
    TL = t.labels
  )");
  const arma::mat labels = lua.matrix("L");
  CHECK(arma::approx_equal(lua.matrix("CL"), labels, "absdiff", 0.0));
  const double flipped = arma::accu(lua.matrix("NL") != labels);
  CHECK(std::abs(flipped - 150) < 5 * std::sqrt(300 * 0.25));
  CHECK(lua.matrix("NY").n_rows == 3);
  CHECK(lua.matrix("CY").n_rows == 3);
  // The cyclic permutation 0 -> 1 -> 2 -> 0 applied to every label.
  const arma::mat tl = lua.matrix("TL");
  for (arma::uword j = 0; j < labels.n_cols; ++j) CHECK(tl(0, j) == std::fmod(labels(0, j) + 1, 3));

  std::string e = lua.error("ntk.data.symmetric_noise(ntk.data.bump{n = 5, seed = 1}, 0.1, 1)");
  CHECK_THAT(e, Catch::Contains("no class labels"));
  e = lua.error(R"(
    local d = ntk.data.mnist{classes = {0, 1}, n_train = 10, n_test = 0, seed = 5}
    ntk.data.transition_noise(d.train, {{0.5, 0.6}, {0, 1}}, 1))");
  CHECK_THAT(e, Catch::Contains("snippet:3:") && Catch::Contains("sums to 1.1"));
}

TEST_CASE("ntk.data.csv and ntk.data.idx read files, errors name file:line", "[lua][data]") {
  LuaFixture lua;
  TempDir dir("data_csv");
  write_text(dir.file("a.csv"), "x1,x2,y\n1,2,0\n3,4,1\n5,six,1\n");
  write_text(dir.file("b.csv"), "x1,x2,y\n1,2,0\n3,4,1\n");
  lua.ok("local d = ntk.data.csv('" + dir.file("b.csv") +
         "', {label_column = -1, header = true})\n"
         "CX, CL = d.x, d.labels");
  CHECK(arma::approx_equal(lua.matrix("CX"), arma::mat{{1, 3}, {2, 4}}, "absdiff", 0.0));
  CHECK(arma::approx_equal(lua.matrix("CL"), arma::mat{{0, 1}}, "absdiff", 0.0));
  std::string e = lua.error("ntk.data.csv('" + dir.file("a.csv") + "', {label_column = 3, header = true})");
  CHECK_THAT(e, Catch::Contains(dir.file("a.csv") + ":4:2"));
  e = lua.error("ntk.data.csv('" + dir.file("b.csv") + "', {label = 3})");
  CHECK_THAT(e, Catch::Contains("ntk.data.csv: unknown field 'label' (known fields: delimiter, header, label_column)"));

  const std::string labels = ntk::core::data::find_data_file("mnist/t10k-labels-idx1-ubyte.gz");
  lua.ok("M = ntk.data.idx('" + labels + "')\nP = ntk.data.path('mnist/t10k-labels-idx1-ubyte.gz')");
  const arma::mat m = lua.matrix("M");
  CHECK(m.n_rows == 1);
  CHECK(m.n_cols == 10000);
  CHECK(m(0, 0) == 7);
  CHECK(lua.string("P") == labels);
}

TEST_CASE("push_dataset / to_dataset round trip every field", "[lua][data]") {
  LuaFixture lua;
  ntk::core::Dataset d;
  d.x = {{1, 2, 3}, {4, 5, 6}};
  d.y = {{1, -1, 1}};
  d.labels = {1, 0, 1};
  d.clean_y = {{1, 1, 1}};
  d.clean_labels = {1, 1, 1};
  d.classes = {0, 1};
  d.shape = {1, 2, 1};
  ntk::lua::push_dataset(lua.L, d);
  const ntk::core::Dataset back = ntk::lua::to_dataset(lua.L, -1);
  lua_pop(lua.L, 1);
  CHECK(arma::approx_equal(back.x, d.x, "absdiff", 0.0));
  CHECK(arma::approx_equal(back.y, d.y, "absdiff", 0.0));
  CHECK(arma::approx_equal(back.labels, d.labels, "absdiff", 0.0));
  CHECK(arma::approx_equal(back.clean_y, d.clean_y, "absdiff", 0.0));
  CHECK(arma::approx_equal(back.clean_labels, d.clean_labels, "absdiff", 0.0));
  CHECK(back.classes == d.classes);
  CHECK(back.shape == d.shape);
  CHECK(lua_gettop(lua.L) == 0);

  lua_newtable(lua.L);
  CHECK_THROWS_WITH(ntk::lua::to_dataset(lua.L, -1), Catch::Contains("field 'x'"));
  lua_settop(lua.L, 0);
}
