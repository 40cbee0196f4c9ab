// Every rewrite rule, as a law: the simplified expression has the expected form, evaluates equal to the original
// wherever the original is finite, and simplify is idempotent. The stability rewrites are also shown to be stable
// where the naive formula overflows.
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/lossforge.hpp>
#include <lossforge/plan/reductions.hpp>
#include <tests/support/tolerance.hpp>
#include <type_traits>
#include <vector>

namespace lf = lossforge;
using namespace lf::literals;
using lf::test::close;

namespace {
constexpr lf::scalar<"x"> x;
constexpr lf::scalar<"y"> y;
constexpr lf::tensor<"p"> p;

template <class E, class Expected>
void check_law(E const& e, Expected const&, std::initializer_list<double> points) {
  auto const simplified = lf::simplify(e);
  using simplified_t = std::remove_cvref_t<decltype(simplified)>;
  INFO(lf::to_text(e) << "  ->  " << lf::to_text(simplified));
  CHECK(std::is_same_v<simplified_t, Expected>);
  CHECK(std::is_same_v<std::remove_cvref_t<decltype(lf::simplify(simplified))>, simplified_t>);
  for (double v : points) {
    auto const b = lf::bind(x = v, y = 0.75);
    double const original = lf::reference::evaluate(e, b);
    if (std::isfinite(original)) CHECK(close(lf::reference::evaluate(simplified, b), original, 1e-13));
  }
}
using lf::node;
namespace ops = lf::ops;
using X = lf::scalar<"x">;
using Y = lf::scalar<"y">;
std::initializer_list<double> const points{-3.0, -0.5, 0.25, 2.0};
}  // namespace

TEST_CASE("stability rewrites", "[simplify][rules]") {
  check_law(lf::log(lf::sigmoid(x)), node<ops::log_sigmoid, X>{}, points);
  check_law(lf::log(1_c - lf::sigmoid(x)), node<ops::log_sigmoid, node<ops::mul, lf::constant<-1>, X>>{}, points);
  check_law(lf::log(lf::exp(x)), X{}, points);
  check_law(lf::log(1_c + lf::exp(x)), node<ops::softplus, X>{}, points);
  check_law(lf::log1p(lf::exp(x)), node<ops::softplus, X>{}, points);
  check_law(lf::log(1_c + x * x), node<ops::log1p, node<ops::mul, X, X>>{}, points);
  // Where the naive formula overflows, the rewritten one is exact.
  auto at = [](auto const& e, double v) { return lf::reference::evaluate(lf::simplify(e), lf::bind(x = v)); };
  CHECK(at(lf::log(lf::sigmoid(x)), -800) == -800);
  CHECK(close(at(lf::log(1_c - lf::sigmoid(x)), 800), -800, 1e-15));
  CHECK(at(lf::log(1_c + lf::exp(x)), 800) == 800);
  // log(softmax) becomes log_softmax, and log(sum(exp)) becomes logsumexp, finite for logits of 1000.
  std::vector<double> big{1000.0, 999.0, -5.0};
  auto const b = lf::bind(p = lf::host_view(big));
  double const expected = 1000.0 + std::log(1 + std::exp(-1.0) + std::exp(-1005.0));
  STATIC_REQUIRE(lf::detail::is_reduce_v<std::remove_cvref_t<decltype(lf::simplify(lf::log(lf::sum(lf::exp(p)))))>>);
  CHECK(close(lf::reference::evaluate(lf::simplify(lf::log(lf::sum(lf::exp(p)))), b), expected, 1e-15));
  CHECK(std::isinf(lf::reference::evaluate(lf::log(lf::sum(lf::exp(p))), b)));  // the naive form overflows
}

TEST_CASE("canonical sums and products", "[simplify][rules]") {
  // Commutative operands in one order, so identical subtrees become identical types.
  STATIC_REQUIRE(std::is_same_v<decltype(lf::simplify(x + y)), decltype(lf::simplify(y + x))>);
  STATIC_REQUIRE(std::is_same_v<decltype(lf::simplify(x * y * x)), decltype(lf::simplify(x * x * y))>);
  STATIC_REQUIRE(std::is_same_v<decltype(lf::simplify((x + y) + x)), decltype(lf::simplify(2_c * x + y))>);
  // 0 and 1 identities, like terms, negation and subtraction.
  check_law(x + 0_c, X{}, points);
  check_law(1_c * x, X{}, points);
  check_law(0_c * x + y, Y{}, points);
  check_law(x - x, lf::constant<0>{}, points);
  check_law(x + x, node<ops::mul, lf::constant<2>, X>{}, points);
  check_law(3_c * x - x, node<ops::mul, lf::constant<2>, X>{}, points);
  check_law(-(-x), X{}, points);
  check_law(x / 2_c, node<ops::mul, lf::constant<1, 2>, X>{}, points);
  check_law((2_c * x) / y, node<ops::mul, lf::constant<2>, node<ops::div, X, Y>>{}, points);
  check_law(x * (1_c / y), node<ops::div, X, Y>{}, points);
  check_law((2_c * x) / 4.0,
            node<ops::mul,
                 lf::literal<
                     lf::computed<ops::mul, lf::constant<2>, lf::computed<ops::div, lf::constant<1>, lf::numbered<0>>>>,
                 X>{},
            points);
  check_law((x / y) / (y / x), node<ops::div, node<ops::mul, X, X>, node<ops::mul, Y, Y>>{}, points);
  // Constants fold exactly; numbers written as literals fold numerically.
  check_law(lf::c<1, 3> + lf::c<1, 6>, lf::constant<1, 2>{}, points);
  check_law(lf::pow<2>(lf::c<2, 3>), lf::constant<4, 9>{}, points);
  check_law(lf::log(1_c) + lf::exp(0_c), lf::constant<1>{}, points);
  check_law(lf::pow<1>(x), X{}, points);
  check_law(lf::pow<0>(x), lf::constant<1>{}, points);
  CHECK(lf::reference::evaluate(lf::simplify(0.5 * x * 4.0), lf::bind(x = 3.0)) == 6.0);
  STATIC_REQUIRE(
      std::is_same_v<decltype(lf::simplify(0.5 * x * 4.0)),
                     node<ops::mul, lf::literal<lf::computed<ops::mul, lf::numbered<0>, lf::numbered<1>>>, X>>);
  // where() with a constant condition, or equal branches.
  check_law(lf::where(1_c, x, y), X{}, points);
  check_law(lf::where(x > y, y, y), Y{}, points);
  check_law(lf::min(2_c, 3_c) + (2_c < 3_c), lf::constant<3>{}, points);
  check_law(lf::abs(lf::c<-3, 4>), lf::constant<3, 4>{}, points);
  check_law(lf::max(0.5 * 1_c, 3.0) * x,  // numbers fold numerically
            node<ops::mul, lf::literal<lf::computed<ops::max, lf::numbered<0>, lf::numbered<1>>>, X>{}, points);
  check_law(lf::sigmoid(2.0 * 1_c) * x, node<ops::mul, X, node<ops::sigmoid, lf::literal<lf::numbered<0>>>>{},
            points);  // not at compile time
}

TEST_CASE("reductions and extents survive simplification", "[simplify][rules]") {
  std::vector<double> data{1.0, 2.0, 4.0};
  auto const b = lf::bind(p = lf::host_view(data), x = 2.0);
  // sum(n * e) = n * sum(e)
  STATIC_REQUIRE(std::is_same_v<decltype(lf::simplify(lf::sum(3_c * p))),
                                node<ops::mul, lf::constant<3>,
                                     lf::reduce<lf::reductions::sum, lf::flat_index,
                                                lf::access<std::remove_cvref_t<decltype(p)>, lf::flat_index>>>>);
  CHECK(lf::reference::evaluate(lf::simplify(lf::sum(3_c * p)), b) == 21.0);
  // p - p cancels, but the sum still runs over p's three elements: sum(p - p + x) = 3x.
  CHECK(lf::reference::evaluate(lf::simplify(lf::sum(p - p + x)), b) == 6.0);
  CHECK(lf::reference::evaluate(lf::simplify(lf::mean((p - p) * p)), b) == 0.0);
  // A zero keeps the free index the cancelled tensors gave it, and an index whose every tensor cancelled keeps its
  // extent: sum_j(e[j, d] - e[j, d]) is zero at every d, and logsumexp_j(0) over e's two rows is log 2.
  constexpr lf::tensor<"e", 2> e;
  constexpr lf::index<"j"> j;
  constexpr lf::index<"d"> d;
  STATIC_REQUIRE(std::is_same_v<lf::detail::free_indices_t<decltype(lf::simplify(lf::sum(j, e(j, d) - e(j, d))))>,
                                lf::detail::type_list<lf::index<"d">>>);
  std::vector<double> ev{1, 2, 3, 4, 5, 6};
  auto const similarity = lf::sum(d, e(j, d) * e(j, d));
  CHECK(lf::test::close(lf::reference::evaluate(lf::simplify(lf::logsumexp(j, similarity - similarity)),
                                                lf::bind(e = lf::host_view(ev, {2, 3}))),
                        std::log(2.0), 1e-15));
  // A sum of zero over an index with no tensor in it is zero.
  constexpr lf::index<"k"> k;
  STATIC_REQUIRE(std::is_same_v<decltype(lf::simplify(lf::sum(k, k * 0_c))), lf::constant<0>>);
}

TEST_CASE("factors that do not depend on a sum's index move outside it", "[simplify][rules]") {
  constexpr lf::tensor<"e", 2> e;
  constexpr lf::int_tensor<"t", 1> t;
  constexpr lf::index<"i"> i;
  constexpr lf::index<"c"> c;
  constexpr lf::index<"k"> k;
  // (t[i] == k) does not depend on c: the sum over c no longer depends on k, so it is one number per row i.
  constexpr auto row_sum = lf::sum(c, (t(i) == k) * e(i, c) * x);
  auto const simplified = lf::simplify(row_sum);
  using sum_t =
      lf::reduce<lf::reductions::sum, lf::index<"c">, lf::access<lf::tensor<"e", 2>, lf::index<"i">, lf::index<"c">>>;
  STATIC_REQUIRE(lf::detail::reductions_in_t<std::remove_cvref_t<decltype(simplified)>>::size == 1);
  STATIC_REQUIRE(lf::detail::contains_v<lf::detail::reductions_in_t<std::remove_cvref_t<decltype(simplified)>>, sum_t>);
  // Values agree (the law), over a [2, 3] tensor with the mean as well.
  std::vector<double> ev{1, 2, 3, 4, 5, 6};
  std::vector<long> tv{2, 0};
  auto const b = lf::bind(e = lf::host_view(ev, {2, 3}), t = lf::host_view(tv, {2}), x = 0.5);
  constexpr auto total = lf::sum(i, lf::sum(k, e(i, k) * row_sum));  // e(i, k) gives k its extent
  CHECK(lf::reference::evaluate(total, b) == lf::reference::evaluate(lf::simplify(total), b));
  constexpr auto row_mean = lf::mean(c, x * e(i, c) / (1_c + lf::square(t(i))));
  CHECK(lf::reference::evaluate(lf::sum(i, row_mean), b) ==
        lf::reference::evaluate(lf::simplify(lf::sum(i, row_mean)), b));
  // Nothing moves out when nothing in the body depends on the index but numbers stay: sum(p - p + x) keeps p's size.
  std::vector<double> data{1.0, 2.0, 4.0};
  CHECK(lf::reference::evaluate(lf::simplify(lf::sum(2_c * x * (p - p + 1_c))),
                                lf::bind(p = lf::host_view(data), x = 2.0)) == 12.0);
}

TEST_CASE("a reduction of a body constant along its index is its count times the body", "[simplify][rules]") {
  constexpr lf::tensor<"e", 2> e;
  constexpr lf::index<"i"> i;
  constexpr lf::index<"c"> c;
  using count = lf::extent<lf::index<"c">>;
  std::vector<double> ev{1, 2, 3, 4, 5, 6};
  auto const b = lf::bind(e = lf::host_view(ev, {2, 3}), x = 0.5);
  // mean_c x = x (e gives c its extent, 3).
  constexpr auto averaged = lf::sum(i, lf::sum(c, e(i, c)) * lf::mean(c, x));
  CHECK(lf::reference::evaluate(lf::simplify(averaged), b) == 0.5 * 21);
  // A count in the body's denominator cancels: sum_c(x / N_c) is x, with no division left.
  STATIC_REQUIRE(std::is_same_v<decltype(lf::simplify(lf::sum(c, x / count{}))), X>);
  CHECK(lf::reference::evaluate(lf::simplify(lf::sum(i, lf::sum(c, e(i, c)) * lf::sum(c, x / count{}))), b) ==
        0.5 * 21);
  // A body that depends on the index stays a sum (x moves out), and so does a sum of a constant body: N_c x would
  // leave c's count outside any reduction over c.
  STATIC_REQUIRE(lf::detail::reductions_in_t<std::remove_cvref_t<decltype(lf::simplify(lf::sum(c, c * x)))>>::size ==
                 1);
}

TEST_CASE("a softmax sums to one", "[simplify][rules]") {
  constexpr lf::tensor<"e", 2> e;
  constexpr lf::tensor<"v", 1> v;
  constexpr lf::int_tensor<"t", 1> t;
  constexpr lf::index<"i"> i;
  constexpr lf::index<"c"> c;
  std::vector<double> ev{1, 2, 3, -4, 50, 6}, vv{0.25, 2};
  std::vector<long> tv{2, 0};
  auto const b = lf::bind(e = lf::host_view(ev, {2, 3}), v = lf::host_view(vv, {2}), t = lf::host_view(tv, {2}));
  // sum_c softmax_c(e[i, :]) is 1 for each row i, in the shifted form of cross entropy's terms,
  // exp(e[i,c] - e[i,t[i]] - logsumexp_c(e[i,c] - e[i,t[i]])). The row index stays (as a witness of e[i,t[i]], which
  // gives it its extent) unless another factor carries it.
  constexpr auto softmax = lf::exp(e(i, c) - e(i, t(i)) - lf::logsumexp(c, e(i, c) - e(i, t(i))));
  constexpr auto weighted = lf::sum(i, v(i) * lf::sum(c, softmax));
  STATIC_REQUIRE(lf::detail::reductions_in_t<std::remove_cvref_t<decltype(lf::simplify(weighted))>>::size == 1);
  CHECK(lf::reference::evaluate(lf::simplify(weighted), b) == 2.25);  // sum_i(v[i])
  CHECK(close(lf::reference::evaluate(weighted, b), 2.25, 1e-15));
  constexpr auto rows = lf::sum(i, lf::sum(c, softmax));
  STATIC_REQUIRE(lf::detail::reductions_in_t<std::remove_cvref_t<decltype(lf::simplify(rows))>>::size == 1);
  CHECK(lf::reference::evaluate(lf::simplify(rows), b) == 2);  // sum_i(1) over e's two rows
  // Without an access that gives i its extent and no other index, the sum stays (the rule cannot see whether the
  // rest of the expression still gives i one).
  constexpr auto unshifted = lf::sum(i, v(i) * lf::sum(c, lf::exp(e(i, c) - lf::logsumexp(c, e(i, c)))));
  STATIC_REQUIRE(lf::detail::reductions_in_t<std::remove_cvref_t<decltype(lf::simplify(unshifted))>>::size == 3);
  CHECK(close(lf::reference::evaluate(lf::simplify(unshifted), b), 2.25, 1e-15));
  // Not a softmax (the log-sum-exp's body differs from the exponent's rest): the sum stays.
  constexpr auto other = lf::sum(i, lf::sum(c, lf::exp(e(i, c) - lf::logsumexp(c, 2_c * e(i, c)))));
  STATIC_REQUIRE(lf::detail::reductions_in_t<std::remove_cvref_t<decltype(lf::simplify(other))>>::size == 3);
  CHECK(close(lf::reference::evaluate(lf::simplify(other), b), lf::reference::evaluate(other, b), 1e-14));
  // So the gradient of cross entropy computes each row's softmax once: its only reductions are the log-sum-exp.
  constexpr auto ce_grad = lf::grad(lf::sum(i, lf::logsumexp(c, e(i, c) - e(i, t(i)))), e);
  STATIC_REQUIRE(lf::detail::reductions_in_t<std::remove_cvref_t<decltype(ce_grad)>>::size == 1);
}
