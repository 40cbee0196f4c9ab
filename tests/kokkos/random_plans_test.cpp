// The cost law on generated losses (tests/kokkos/random_plans_*.inc, from scripts/generate_random_expressions.py;
// built once per part, LOSSFORGE_RANDOM_PART 0 to 3, so the parts compile in parallel):
// losses over p, g [N, C] that nest a row's, a class's and a global statistic inside a sum over the entries, combine
// per-class statistics, or compare every row with every other. One evaluation of each costs O(N^k C), k stated by
// the generator; the fused value and gradient must read each tensor O(N^k C) times (counted, not timed) and the
// plan's model must grow no faster. Values are checked against the reference evaluator, gradients against central
// differences of it.
#include <tests/support/tensor_reads.hpp>

#include <Kokkos_Core.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/lossforge.hpp>
#include <tests/support/tolerance.hpp>
#include <vector>

namespace lf = lossforge;
using namespace lf::literals;
using lf::test::close;

namespace {
constexpr lf::tensor<"p", 2> p;
constexpr lf::tensor<"g", 2> g;
constexpr lf::scalar<"x"> x;
constexpr lf::index<"i"> i;
constexpr lf::index<"j"> j;
constexpr lf::index<"c"> c;
constexpr lf::index<"d"> d;

constexpr int columns = 3;
constexpr double x_value = 0.7;
using matrix = Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace>;

matrix filled(int rows, double seed) {
  matrix m("lossforge::test::input", std::size_t(rows), std::size_t(columns));
  for (int r = 0; r < rows; ++r)
    for (int k = 0; k < columns; ++k) m(r, k) = 0.9 * std::sin(1.3 * r + 0.7 * k + seed);
  return m;
}
std::vector<double> copied(matrix const& m) { return {m.data(), m.data() + m.size()}; }

int checked = 0;

template <int Power, class Make>
void check_plan(Make) {
  static constexpr auto loss = Make{}();
  static constexpr auto kernel = lf::kokkos::compile(loss, lf::wrt(p));
  INFO(lf::to_text(loss));

  // Value and gradient at a small size, where the loss is finite there.
  int const rows = 5;
  auto const pv = filled(rows, 1), gv = filled(rows, 2);
  matrix dp("lossforge::test::dp", std::size_t(rows), std::size_t(columns));
  double const value = kernel(lf::bind(p = pv, g = gv, x = x_value), dp);
  auto const g_data = copied(gv);
  auto reference = [&](std::vector<double> const& p_data) {
    return lf::reference::evaluate(loss, lf::bind(p = lf::host_view(p_data, {rows, columns}),
                                                  g = lf::host_view(g_data, {rows, columns}), x = x_value));
  };
  auto const p_data = copied(pv);
  double const expected = reference(p_data);
  if (std::isfinite(expected)) {
    CHECK(close(value, expected, 1e-12));
    for (int r = 0; r < rows; ++r)
      for (int k = 0; k < columns; ++k) {
        auto moved = [&](double v) {
          auto data = p_data;
          data[std::size_t(r * columns + k)] = v;
          return reference(data);
        };
        CHECK(close(dp(r, k), lf::test::central_difference(moved, p_data[std::size_t(r * columns + k)]), 1e-6));
      }
    ++checked;
  }

  // Reads and modelled work per unit of the evaluation's cost, N^k C, must not grow with N.
  struct cost {
    double reads, work;
  };
  auto measured = [](int n) {
    auto const pn = filled(n, 1), gn = filled(n, 2);
    matrix dpn("lossforge::test::dp", std::size_t(n), std::size_t(columns));
    double const reads = lf::test::reads_of([&] { kernel(lf::bind(p = pn, g = gn, x = x_value), dpn); });
    double work = 0;
    for (double w : kernel.work_per_pass(lf::bind(p = pn, g = gn, x = x_value))) work += w;
    return cost{reads, work};
  };
  int const small = Power == 1 ? 40 : 12, large = 4 * small;
  auto const unit = [](int n) { return std::pow(double(n), Power) * columns; };
  cost const at_small = measured(small), at_large = measured(large);
  CHECK(at_small.reads >= small * columns);  // p is read at least once per entry: the count counts
  CHECK(at_large.reads / unit(large) <= at_small.reads / unit(small) * 1.05);
  CHECK(at_large.work / unit(large) <= at_small.work / unit(small) * 1.05);
}
}  // namespace

#define LOSSFORGE_STRINGIZE(x) #x
#define LOSSFORGE_EXPANDED_STRING(x) LOSSFORGE_STRINGIZE(x)
// The include path must stay one run of tokens for the preprocessor.
// clang-format off
#define LOSSFORGE_RANDOM_FILE(part) LOSSFORGE_STRINGIZE(tests/kokkos/random_plans_##part.inc)
// clang-format on
#define LOSSFORGE_RANDOM_INCLUDE(part) LOSSFORGE_RANDOM_FILE(part)

TEST_CASE("generated losses " LOSSFORGE_EXPANDED_STRING(LOSSFORGE_RANDOM_PART) ": fused value and gradient cost one "
          "evaluation of the loss", "[work][random]") {
#define LOSSFORGE_RANDOM_PLAN(power, ...) check_plan<power>([] { return __VA_ARGS__; });
#include LOSSFORGE_RANDOM_INCLUDE(LOSSFORGE_RANDOM_PART)
#undef LOSSFORGE_RANDOM_PLAN
  CHECK(checked >= 3);  // most of the part's four losses must be finite at the sample, or its values check little
}
