// Numbers written in an expression: each has an identity in its type, so that two subtrees of one type always hold
// the same values; copies made by grad keep it; numbers the simplifier folds are named by how they were made; and
// folding keeps IEEE results at compile time, so a constexpr loss whose numbers fold to infinity still compiles.
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <limits>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/losses.hpp>
#include <lossforge/lossforge.hpp>
#include <type_traits>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;
using namespace lf::literals;

namespace {
constexpr lf::scalar<"x"> x;
constexpr lf::tensor<"p"> p;
constexpr lf::tensor<"g"> g;
template <class A, class B>
constexpr bool same_type(A const&, B const&) {
  return std::is_same_v<A, B>;
}
// Whether expression type E holds a subexpression of type T.
template <class T, class E>
inline constexpr bool holds = std::is_same_v<T, E>;
template <class T, class Op, class... A>
inline constexpr bool holds<T, lf::node<Op, A...>> = std::is_same_v<T, lf::node<Op, A...>> || (holds<T, A> || ...);
}  // namespace

TEST_CASE("numbers joined by a builder are told apart by their types", "[dsl][literal]") {
  constexpr auto one = 1.0 * x, two = 2.0 * x;
  STATIC_REQUIRE(same_type(one, two));  // alone, each is the first number of its expression
  constexpr auto both = one + two;
  STATIC_REQUIRE(!same_type(lf::arg<0>(both), lf::arg<1>(both)));
  CHECK(lf::reference::evaluate(both, lf::bind(x = 5.0)) == 15.0);

  // The same holds through losses: two Huber means with different deltas are different reductions.
  constexpr auto huber_sum = L::huber(p, g, 1.0, L::mean) + L::huber(p, g, 2.0, L::mean);
  STATIC_REQUIRE(!same_type(lf::arg<0>(huber_sum), lf::arg<1>(huber_sum)));
  // A ternary builder numbers its three operands apart.
  constexpr auto clamped = lf::clamp(x, 0.5, 0.5);
  STATIC_REQUIRE(!same_type(lf::arg<1>(clamped), lf::arg<2>(clamped)));
  // Parts built apart and joined later are numbered apart too, simplified or not.
  constexpr auto joined = lf::simplify(lf::mean(1.0 * p)) + lf::simplify(lf::mean(2.0 * p));
  STATIC_REQUIRE(!same_type(lf::arg<0>(joined), lf::arg<1>(joined)));
}

TEST_CASE("like terms with different numbers combine by value", "[dsl][literal][simplify]") {
  constexpr auto e = lf::simplify(0.5 * x + 2.0 * x - 0.25 * x);
  for (double v : {-2.0, 0.0, 3.5}) CHECK(lf::reference::evaluate(e, lf::bind(x = v)) == 2.25 * v);
  // where(c, a, b) with branches of one type is one branch; with different numbers it stays a choice.
  constexpr auto choice = lf::simplify(lf::where(x > 0_c, 1.0 * x, 3.0 * x));
  CHECK(lf::reference::evaluate(choice, lf::bind(x = -1.0)) == -3.0);
  CHECK(lf::reference::evaluate(choice, lf::bind(x = 2.0)) == 2.0);
}

TEST_CASE("a derivative shares its loss's numbers", "[dsl][literal][grad]") {
  // d/dx sigmoid(0.5 x) = 0.5 sigmoid(0.5 x) sigmoid(-0.5 x) holds the loss's sigmoid(0.5 x), one type and so one
  // computation in a kernel, and no number the loss does not have.
  constexpr auto loss = lf::sigmoid(0.5 * x);
  constexpr auto d = lf::grad(loss, x);
  using sigmoid_in_loss = std::remove_cvref_t<decltype(lf::simplify(loss))>;
  using derivative = std::remove_cvref_t<decltype(d)>;
  STATIC_REQUIRE(holds<sigmoid_in_loss, derivative>);
  STATIC_REQUIRE(lf::detail::numbers_end<derivative> == 1);
  for (double v : {-3.0, 0.0, 2.0}) {
    double const s = 1 / (1 + std::exp(-0.5 * v));
    CHECK(std::abs(lf::reference::evaluate(d, lf::bind(x = v)) - 0.5 * s * (1 - s)) < 1e-15);
  }
}

TEST_CASE("folding keeps IEEE results at compile time", "[dsl][literal][simplify]") {
  constexpr double inf = std::numeric_limits<double>::infinity();
  // 1e308 * 10 overflows, inf - inf is NaN, 1 / 0 is +inf: each folds instead of failing to compile.
  constexpr auto overflow = lf::simplify(1e308 * x * 10.0);
  constexpr auto cancelled = lf::simplify(inf * x + (-inf) * x);
  constexpr auto divided = lf::simplify(x / (0.0 * 1_c));
  CHECK(lf::reference::evaluate(overflow, lf::bind(x = 2.0)) == inf);
  CHECK(std::isnan(lf::reference::evaluate(cancelled, lf::bind(x = 2.0))));
  CHECK(lf::reference::evaluate(divided, lf::bind(x = 2.0)) == inf);
  CHECK(lf::reference::evaluate(divided, lf::bind(x = -2.0)) == -inf);

  // smooth_l1 with beta = 0 is the L1 loss; its folded 1 / beta sits in a branch that is never taken.
  constexpr auto l1 = L::smooth_l1(p, g, 0.0, L::sum);
  constexpr auto dl1 = lf::grad(l1, p);
  std::vector<double> pv{0.5, -2.0, 3.0}, gv{1.0, 1.0, 3.0};
  auto const b = lf::bind(p = lf::host_view(pv, {3}), g = lf::host_view(gv, {3}));
  CHECK(lf::reference::evaluate(l1, b) == 3.5);
  auto const dp = lf::reference::evaluate(dl1, b);
  CHECK(dp.values == std::vector<double>{-1.0, -1.0, 0.0});  // sign(p - g), 0 at the kink as torch.abs
}
