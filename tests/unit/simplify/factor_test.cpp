// factored(e), the form host lanes evaluate: the factors that terms of a sum share come out of them, most shared
// first, powers to the least power the terms hold; numbers and reductions stay where they are; the value is the
// original's up to rounding; the sigmoid focal loss's gradient takes 13 multiplications instead of 22.
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/losses.hpp>
#include <lossforge/lossforge.hpp>
#include <lossforge/simplify/factor.hpp>
#include <random>
#include <tests/support/tolerance.hpp>
#include <type_traits>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;
using namespace lf::literals;
using lf::test::close;

namespace {
constexpr lf::scalar<"x"> x;
constexpr lf::scalar<"y"> y;
constexpr lf::scalar<"z"> z;
constexpr lf::scalar<"w"> w;
constexpr lf::tensor<"p"> p;
constexpr lf::tensor<"g"> g;
using X = lf::scalar<"x">;
using Y = lf::scalar<"y">;
using Z = lf::scalar<"z">;
using W = lf::scalar<"w">;
using lf::node;
namespace ops = lf::ops;

template <class E>
using factored_t = std::remove_cvref_t<decltype(lf::detail::factored(std::declval<E const&>()))>;
// factored(simplify(e)) has type Expected and e's value at a few points.
template <class Expected, class E>
void check_factored(E const& e) {
  auto const simplified = lf::simplify(e);
  auto const f = lf::detail::factored(simplified);
  INFO(lf::to_text(simplified) << "  ->  " << lf::to_text(f));
  CHECK(std::is_same_v<std::remove_cvref_t<decltype(f)>, Expected>);
  for (double v : {-2.5, -0.25, 0.5, 3.0}) {
    auto const b = lf::bind(x = v, y = 0.75 - v, z = 1.5 * v + 0.125, w = 2 - v);
    CHECK(close(lf::reference::evaluate(f, b), lf::reference::evaluate(simplified, b), 1e-14));
  }
}

// The multiplications an evaluation performs, each distinct subexpression once (a type is a value, so a compiler
// computes a repeated one once): one per product other than a negation (-1 * x), N - 1 per N-th power.
template <class E>
struct distinct_nodes {
  using type = lf::detail::type_list<>;
};
template <class Op, class... A>
struct distinct_nodes<node<Op, A...>> {
  using type = lf::detail::set_union_t<lf::detail::type_list<node<Op, A...>>, typename distinct_nodes<A>::type...>;
};
template <class N>
inline constexpr int own_multiplications = 0;
template <class A, class B>
inline constexpr int own_multiplications<node<ops::mul, A, B>> = std::is_same_v<A, lf::constant<-1>> ? 0 : 1;
template <int N, class A>
inline constexpr int own_multiplications<node<ops::ipow<N>, A>> = N - 1;
template <class... N>
constexpr int sum_of_multiplications(lf::detail::type_list<N...>) {
  return (own_multiplications<N> + ... + 0);
}
template <class E>
inline constexpr int multiplications = sum_of_multiplications(typename distinct_nodes<E>::type{});
}  // namespace

TEST_CASE("a factor every term holds comes out of the sum", "[simplify][factor]") {
  check_factored<node<ops::mul, X, node<ops::add, Y, Z>>>(x * y + x * z);
  // Below the fraction bar too.
  check_factored<node<ops::div, node<ops::add, Y, Z>, X>>(y / x + z / x);
}

TEST_CASE("a power comes out to the least power the terms hold", "[simplify][factor]") {
  // x z + y x^2 = x (z + y x)
  check_factored<node<ops::mul, X, node<ops::add, Z, node<ops::mul, Y, X>>>>(lf::pow<2>(x) * y + x * z);
  // y x^3 + z x^2 = x^2 (y x + z)
  check_factored<node<ops::mul, node<ops::ipow<2>, X>, node<ops::add, node<ops::mul, Y, X>, Z>>>(lf::pow<3>(x) * y +
                                                                                                 lf::pow<2>(x) * z);
}

TEST_CASE("the factor the most terms hold comes out first, then the rest are factored", "[simplify][factor]") {
  // x y + x z + y z: x, y and z are each held by two terms; x comes first and out of the first two, and y z stays.
  check_factored<node<ops::add, node<ops::mul, X, node<ops::add, Y, Z>>, node<ops::mul, Y, Z>>>(x * y + x * z + y * z);
  // w x + x y + x z + y z: x is held by three terms, y and z by two.
  check_factored<node<ops::add, node<ops::mul, X, node<ops::add, node<ops::add, W, Y>, Z>>, node<ops::mul, Y, Z>>>(
      x * y + x * z + x * w + y * z);
}

TEST_CASE("numbers, sums without a shared factor and reductions stay as they are", "[simplify][factor]") {
  auto const numbers = lf::simplify(2_c * x + 2_c * y);
  STATIC_REQUIRE(std::is_same_v<factored_t<decltype(numbers)>, std::remove_cvref_t<decltype(numbers)>>);
  auto const unshared = lf::simplify(x * y + z);
  STATIC_REQUIRE(std::is_same_v<factored_t<decltype(unshared)>, std::remove_cvref_t<decltype(unshared)>>);
  // A reduction is a factor like any other, its body (p g + p p, sharing p) left whole: a kernel computes it apart.
  auto const sum = lf::simplify(lf::sum(p * g + p * p));
  auto const reduced = lf::simplify(sum * x + sum * y);
  using F = factored_t<decltype(reduced)>;
  STATIC_REQUIRE(std::is_same_v<F, node<ops::mul, std::remove_cvref_t<decltype(sum)>, node<ops::add, X, Y>>>);
  STATIC_REQUIRE(multiplications<F> == 1);
}

TEST_CASE("the sigmoid focal loss's gradient: the same values, 13 multiplications instead of 22",
          "[simplify][factor]") {
  auto const d = lf::grad(L::sigmoid_focal_loss(p, g, L::mean), p);
  auto const f = lf::detail::factored(d);
  INFO(lf::to_text(d) << "  ->  " << lf::to_text(f));
  using D = std::remove_cvref_t<decltype(d)>;
  using F = std::remove_cvref_t<decltype(f)>;
  // A B (t (C s (-2 g + 2 (1 - g)) - B) + (1 - g) B) / N, with A = 0.75 (1 - g) + 0.25 g, B = 1 - (g s + (1 - g)
  // (1 - s)), C = p (1 - g) + softplus(-p), s = sigmoid(p), t = sigmoid(-p): 8 multiplications, and 5 inside A, B
  // and C, where the four products of the sum take 17 besides those 5.
  STATIC_REQUIRE(multiplications<F> == 13);
  STATIC_REQUIRE(multiplications<D> == 22);
  std::mt19937 rng(7);
  std::normal_distribution<double> logit(0, 3);
  std::vector<double> pv(64), gv(64);
  for (std::size_t i = 0; i < pv.size(); ++i) pv[i] = logit(rng), gv[i] = double(i % 3) / 2;
  auto const b = lf::bind(p = lf::host_view(pv), g = lf::host_view(gv));
  auto const expected = lf::reference::evaluate(d, b), got = lf::reference::evaluate(f, b);
  REQUIRE(got.values.size() == pv.size());
  for (std::size_t i = 0; i < pv.size(); ++i) CHECK(close(got.values[i], expected.values[i], 1e-13));
}
