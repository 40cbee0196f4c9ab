// The executor without Kokkos: plans run through the serial backend (lf::serial::compile) and through launch
// policies a test writes, which see every launch and buffer request. What holds here holds for every backend, since
// validation, the pass loop, intermediates and host finishing live in the executor and a backend only launches.
#include <tests/support/tensor_reads.hpp>  // before the first lossforge header: this executable counts tensor reads

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_exception.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cmath>
#include <cstdint>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/backends/serial.hpp>
#include <lossforge/losses.hpp>
#include <stdexcept>
#include <string>
#include <tests/support/tolerance.hpp>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::MessageMatches;

namespace {
constexpr lf::tensor<"p", 2> p;
constexpr lf::tensor<"g", 2> g;
constexpr lf::tensor<"x", 2> x;
constexpr lf::int_tensor<"t", 1> t;
constexpr lf::index<"i"> i;
constexpr lf::index<"c"> c;

constexpr auto per_class_dice =
    lf::mean(c, 1 - 2 * lf::sum(i, p(i, c) * g(i, c)) / (lf::sum(i, p(i, c)) + lf::sum(i, g(i, c))));

template <class T>
std::vector<T> filled(std::ptrdiff_t n, double seed) {
  std::vector<T> v(static_cast<std::size_t>(n));
  for (std::size_t k = 0; k < v.size(); ++k) v[k] = T(0.5 + 0.4 * std::sin(1.3 * double(k) + seed));
  return v;
}
template <class T>
lf::strided_view<T, 2> matrix(std::vector<std::remove_const_t<T>>& v, std::ptrdiff_t rows, std::ptrdiff_t cols) {
  return {v.data(), {rows, cols}};
}

// What a recording launch saw: each launch's label, each buffer's extents and memory; and the buffers themselves.
struct launch_record {
  lf::serial::workspace ws;
  std::vector<std::string> labels;
  std::vector<std::vector<std::ptrdiff_t>> buffers;
  std::vector<double const*> buffer_data;
};
// A launch policy that records each launch and buffer request and runs a kernel's work items as three threads
// would: three partial results, each initialized and accumulated over a third of the items, joined into the
// result. OnHost false runs the scalar kernel functor a device runs, rather than the host's vectorized blocks.
template <bool OnHost>
struct recording_launch {
  static constexpr bool on_host = OnHost;
  launch_record* record;

  static constexpr std::int64_t threads = 3;
  std::int64_t concurrency() const { return threads; }
  template <class F>
  void reduce(std::string const& label, std::int64_t items, F const& f, typename F::value_type& result) const {
    record->labels.push_back(label);
    f.init(result);
    for (std::int64_t part = 0; part < threads; ++part) {
      typename F::value_type partial;
      f.init(partial);
      for (std::int64_t item = items * part / threads; item < items * (part + 1) / threads; ++item) f(item, partial);
      f.join(result, partial);
    }
  }
  template <std::size_t Rank>
  auto buffer(int k, std::array<std::ptrdiff_t, Rank> const& extents) const {
    record->buffers.emplace_back(extents.begin(), extents.end());
    auto const view = lf::serial::launch{record->ws}.buffer(k, extents);
    record->buffer_data.push_back(view.data());
    return view;
  }
  template <class View>
  void store(View const& view, double value) const {
    lf::serial::launch{record->ws}.store(view, value);
  }
};

// Per-class Dice of [n, classes] through launch policy Launch, against the reference evaluator: loss and gradient.
template <class T, bool OnHost>
void check_per_class_dice(std::ptrdiff_t n, std::ptrdiff_t classes) {
  static constexpr auto kernel = lf::serial::compile(per_class_dice, lf::wrt(p));
  auto pv = filled<T>(n * classes, 1), gv = filled<T>(n * classes, 2);
  std::vector<T> dp(pv.size());
  launch_record seen;
  recording_launch<OnHost> const launch{&seen};
  double const loss = kernel.execute(launch, lf::bind(p = matrix<T const>(pv, n, classes),
                                                      g = matrix<T const>(gv, n, classes)),
                                     matrix<T>(dp, n, classes));

  auto const bound = lf::bind(p = lf::host_view(pv, {n, classes}), g = lf::host_view(gv, {n, classes}));
  double const tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;  // float: lanes in float, sums in double
  CHECK(lf::test::close(loss, lf::reference::evaluate<double>(per_class_dice, bound), tol));
  auto const want = lf::reference::evaluate<double>(lf::grad(per_class_dice, p), bound);
  REQUIRE(want.values.size() == dp.size());
  for (std::size_t k = 0; k < dp.size(); ++k) {
    INFO("element " << k);
    CHECK(lf::test::close(double(dp[k]), want.values[k], tol));
  }
  // The per-class sums are intermediates over c (the numerator's and the denominator's): buffers of `classes`
  // doubles, filled in a pass before the one that reads them.
  CHECK(seen.buffers == std::vector<std::vector<std::ptrdiff_t>>(2, {classes}));
  REQUIRE(seen.labels.size() >= 2);
  CHECK(seen.labels.front().starts_with("lossforge::pass1::"));
  CHECK(seen.labels.back().starts_with("lossforge::pass2::"));
}
}  // namespace

TEMPLATE_TEST_CASE("per-class Dice runs as the reference evaluator computes it, in blocks and as a device would",
                   "[executor]", double, float) {
  SECTION("host blocks") {
    check_per_class_dice<TestType, true>(37, 4);
  }
  SECTION("the scalar kernel functor") {
    check_per_class_dice<TestType, false>(37, 4);
  }
  SECTION("fewer rows than threads") {
    check_per_class_dice<TestType, true>(2, 3);
    check_per_class_dice<TestType, false>(2, 3);
  }
}

// A class-weighted mean cross entropy: its gradient rows need the sum of the kept rows' weights, which each chunk of
// rows recomputes first (a prelude), so its work items are chunks: min(4 per thread, classes / 4), at most the rows.
template <bool OnHost>
void check_weighted_cross_entropy(std::ptrdiff_t n, std::ptrdiff_t classes) {
  constexpr lf::tensor<"w", 1> w;
  static constexpr auto loss = L::cross_entropy(x, t, L::cross_entropy_options<>{}.weight(w), L::mean);
  static constexpr auto kernel = lf::serial::compile(loss, lf::wrt(x));
  auto xv = filled<double>(n * classes, 0.4), wv = filled<double>(classes, 1.7);
  for (auto& v : xv) v = 8 * v - 4;
  std::vector<std::int64_t> tv(static_cast<std::size_t>(n));
  for (std::size_t k = 0; k < tv.size(); ++k) tv[k] = std::int64_t((5 * k + 1) % std::size_t(classes));
  std::vector<double> dx(xv.size());
  launch_record seen;
  recording_launch<OnHost> const launch{&seen};
  double const got = kernel.execute(
      launch,
      lf::bind(x = matrix<double const>(xv, n, classes), t = lf::strided_view<std::int64_t const, 1>(tv.data(), {n}),
               w = lf::strided_view<double const, 1>(wv.data(), {classes})),
      matrix<double>(dx, n, classes));
  CHECK(seen.labels.size() == 1);  // one pass: the prelude replaces a pass for the weight total

  auto const bound = lf::bind(x = lf::host_view(xv, {n, classes}), t = lf::host_view(tv, {n}), w = lf::host_view(wv));
  CHECK(lf::test::close(got, lf::reference::evaluate<double>(loss, bound), 1e-12));
  auto const want = lf::reference::evaluate<double>(lf::grad(loss, x), bound);
  for (std::size_t k = 0; k < dx.size(); ++k) {
    INFO("element " << k);
    CHECK(lf::test::close(dx[k], want.values[k], 1e-12));
  }
}

TEST_CASE("a prelude is recomputed per chunk of rows, whatever the chunks", "[executor][chunks]") {
  SECTION("four chunks of 37 rows of 16 classes, on three partial results") {
    check_weighted_cross_entropy<true>(37, 16);
    check_weighted_cross_entropy<false>(37, 16);
  }
  SECTION("fewer rows than chunks") {
    check_weighted_cross_entropy<true>(2, 16);
    check_weighted_cross_entropy<false>(2, 16);
  }
}

TEST_CASE("the gradient agrees with central differences of the loss", "[executor]") {
  static constexpr auto kernel = lf::serial::compile(per_class_dice, lf::wrt(p));
  std::ptrdiff_t const n = 5, classes = 3;
  auto pv = filled<double>(n * classes, 0.3), gv = filled<double>(n * classes, 0.9);
  std::vector<double> dp(pv.size());
  auto loss_at = [&](std::vector<double>& values) {
    std::vector<double> unused(values.size());
    return kernel(lf::bind(p = matrix<double const>(values, n, classes), g = matrix<double const>(gv, n, classes)),
                  matrix<double>(unused, n, classes));
  };
  kernel(lf::bind(p = matrix<double const>(pv, n, classes), g = matrix<double const>(gv, n, classes)),
         matrix<double>(dp, n, classes));
  for (std::size_t k = 0; k < pv.size(); ++k) {
    auto moved = pv;
    double const want = lf::test::central_difference(
        [&](double v) {
          moved[k] = v;
          return loss_at(moved);
        },
        pv[k]);
    INFO("element " << k);
    CHECK(lf::test::close(dp[k], want, lf::test::tolerance<double>::finite_difference));
  }
}

TEST_CASE("two Huber terms with different deltas keep their own deltas", "[executor][literals]") {
  static constexpr auto loss = L::huber(p, g, 1.0, L::mean) + L::huber(p, g, 2.0, L::mean);
  static constexpr auto kernel = lf::serial::compile(loss, lf::wrt(p));
  std::vector<double> pv{0.0, 3.0, -2.5, 0.5}, gv{0.2, 0.0, 0.0, 1.0}, dp(4);
  double const got = kernel(lf::bind(p = matrix<double const>(pv, 2, 2), g = matrix<double const>(gv, 2, 2)),
                            matrix<double>(dp, 2, 2));
  double want = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    double const d = std::abs(pv[k] - gv[k]);
    want += ((d < 1 ? 0.5 * d * d : d - 0.5) + (d < 2 ? 0.5 * d * d : 2 * (d - 1))) / 4;
  }
  CHECK(lf::test::close(got, want, 1e-15));
}

TEST_CASE("per-class Dice reads each input element a fixed number of times, whatever the rows", "[executor][work]") {
  static constexpr auto kernel = lf::serial::compile(per_class_dice, lf::wrt(p));
  auto reads_per_element = [](std::ptrdiff_t n) {
    std::ptrdiff_t const classes = 4;
    auto pv = filled<double>(n * classes, 1), gv = filled<double>(n * classes, 2);
    std::vector<double> dp(pv.size());
    return lf::test::reads_of([&] {
             kernel(lf::bind(p = matrix<double const>(pv, n, classes), g = matrix<double const>(gv, n, classes)),
                    matrix<double>(dp, n, classes));
           }) /
           double(n * classes);
  };
  double const small = reads_per_element(1024), large = reads_per_element(4096);
  CHECK(small > 0);
  CHECK(large <= small * 1.01);  // linear in the rows: no per-class sum recomputed per row
}

TEST_CASE("a workspace serves repeated calls without new buffers", "[executor][workspace]") {
  static constexpr auto kernel = lf::serial::compile(per_class_dice, lf::wrt(p));
  launch_record seen;
  recording_launch<true> const launch{&seen};
  auto call = [&](std::ptrdiff_t n, std::ptrdiff_t classes) {
    auto pv = filled<double>(n * classes, 1), gv = filled<double>(n * classes, 2);
    std::vector<double> dp(pv.size());
    return kernel.execute(launch,
                          lf::bind(p = matrix<double const>(pv, n, classes), g = matrix<double const>(gv, n, classes)),
                          matrix<double>(dp, n, classes));
  };
  double const first = call(16, 4);
  REQUIRE(seen.buffer_data.size() == 2);  // the two per-class sums
  auto const first_buffers = seen.buffer_data;
  seen.buffer_data.clear();
  double const second = call(16, 4);
  CHECK(first == second);
  CHECK(seen.buffer_data == first_buffers);
  seen.buffer_data.clear();
  call(16, 2);  // fewer classes: the buffers it has are large enough
  CHECK(seen.buffer_data == first_buffers);
}

TEST_CASE("a strided view reads the same numbers as a row-major one", "[executor][views]") {
  static constexpr auto kernel = lf::serial::compile(per_class_dice, lf::wrt(p));
  std::ptrdiff_t const n = 6, classes = 3;
  auto pv = filled<double>(n * classes, 1), gv = filled<double>(n * classes, 2);
  std::vector<double> column_major(pv.size()), dp_rows(pv.size()), dp_columns(pv.size());
  auto const p_rows = matrix<double const>(pv, n, classes);
  auto const dp_by_rows = matrix<double>(dp_rows, n, classes);
  lf::strided_view<double, 2> const p_columns(column_major.data(), {n, classes}, {1, n});
  lf::strided_view<double, 2> const dp_by_columns(dp_columns.data(), {n, classes}, {1, n});
  for (std::ptrdiff_t r = 0; r < n; ++r)
    for (std::ptrdiff_t k = 0; k < classes; ++k) p_columns(r, k) = p_rows(r, k);
  REQUIRE(column_major[1] == pv[std::size_t(classes)]);  // element (1, 0), one step down a column

  auto const gb = matrix<double const>(gv, n, classes);
  double const rows = kernel(lf::bind(p = p_rows, g = gb), dp_by_rows);
  double const columns = kernel(lf::bind(p = lf::strided_view<double const, 2>(p_columns), g = gb), dp_by_columns);
  CHECK(columns == rows);
  for (std::ptrdiff_t r = 0; r < n; ++r)
    for (std::ptrdiff_t k = 0; k < classes; ++k) CHECK(dp_by_columns(r, k) == dp_by_rows(r, k));
}

TEST_CASE("bad shapes and outputs are refused before any launch, naming what is wrong", "[executor][errors]") {
  static constexpr auto dice = lf::serial::compile(per_class_dice, lf::wrt(p));
  std::vector<double> pv(12, 0.5), gv(12, 0.5), dp(12);
  auto const bound = lf::bind(p = matrix<double const>(pv, 4, 3), g = matrix<double const>(gv, 4, 3));
  launch_record seen;
  recording_launch<true> const launch{&seen};
  CHECK_THROWS_MATCHES(dice.execute(launch, bound, matrix<double>(dp, 3, 4)), std::invalid_argument,
                       MessageMatches(ContainsSubstring("has shape [3,4] but must have shape [4,3]")));
  CHECK_THROWS_MATCHES(dice.execute(launch, bound, lf::strided_view<double, 2>(pv.data(), {4, 3})),
                       std::invalid_argument, MessageMatches(ContainsSubstring("overlaps the input 'p'")));
  CHECK_THROWS_MATCHES(dice.execute(launch, bound, lf::strided_view<double, 2>(nullptr, {4, 3})),
                       std::invalid_argument, MessageMatches(ContainsSubstring("has no memory")));
  std::vector<double> short_g(8, 0.5);
  CHECK_THROWS_MATCHES(
      dice.execute(launch, lf::bind(p = matrix<double const>(pv, 4, 3), g = matrix<double const>(short_g, 4, 2)),
                   matrix<double>(dp, 4, 3)),
      std::invalid_argument, MessageMatches(ContainsSubstring("'g[dim 1]' has shape [2]")));
  CHECK(seen.labels.empty());
}

TEST_CASE("a class index out of range is reported after the kernel, naming it and the shape", "[executor][errors]") {
  std::vector<double> pv(12, 0.5), dp(12);
  static constexpr auto ce = lf::serial::compile(L::cross_entropy(x, t, L::mean), lf::wrt(x));
  std::vector<std::int64_t> targets{0, 2, 3, 1};  // 3 is not a class of [4, 3] logits
  CHECK_THROWS_MATCHES(ce(lf::bind(x = matrix<double const>(pv, 4, 3),
                                   t = lf::strided_view<std::int64_t const, 1>(targets.data(), {4})),
                          matrix<double>(dp, 4, 3)),
                       std::out_of_range, MessageMatches(ContainsSubstring("index 3 is out of range")));
}

TEST_CASE("buffers are named t1, t2, ... in decimal, most significant digit first", "[executor][listing]") {
  using computation = decltype(lf::sum(i, p(i, c)));
  CHECK(lf::detail::intermediate<1, computation>::name.str() == "t1");
  CHECK(lf::detail::intermediate<9, computation>::name.str() == "t9");
  CHECK(lf::detail::intermediate<10, computation>::name.str() == "t10");
  CHECK(lf::detail::intermediate<12, computation>::name.str() == "t12");
  CHECK(lf::detail::intermediate<307, computation>::name.str() == "t307");
}
