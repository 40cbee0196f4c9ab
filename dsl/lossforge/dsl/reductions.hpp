#pragma once
// The reductions: sum, mean, max and log-sum-exp over one index, and their builders. Each tag states what a pass needs
// to know of its meaning: how it folds its elements (fold below for the scalar evaluators, the accumulator for
// parallel kernels; the lane evaluator has its own loop per folding), how it finishes, its derivative weight and its
// spelling. Passes read these members rather than asking which tag they hold; rewrites that recognise a structure
// (log(sum(exp)) as a log-sum-exp, a softmax's exponent) still match the tags by name.
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>

#include <lossforge/config/math.hpp>
#include <lossforge/dsl/operators.hpp>

namespace lossforge {

// A reduction's value as lead + tail: a log-sum-exp's max (plus the terms of its body constant along it) and its
// log(sum exp(x - max)), so that x - lse can subtract the maxima first; any other value, or a log-sum-exp that is
// infinite or NaN, is all lead.
struct lead_tail {
  double lead, tail;
  LOSSFORGE_FUNCTION double value() const { return tail != 0 ? lead + tail : lead; }  // keeps -0
};

namespace reductions {

// How a reduction folds its elements: adding them (in double whatever the tensors' precision), keeping the largest
// (a NaN anywhere makes it NaN; nothing has no largest), or summing exp(x - max) after finding the max.
enum class folding { add, max, log_sum_exp };

struct sum {
  static constexpr folding folds = folding::add;
  static constexpr bool divides_by_count = false;
  static constexpr char const* text = "sum";
  static constexpr char const* latex = "\\sum";
  LOSSFORGE_FUNCTION static constexpr double finish(double total, double, std::ptrdiff_t) { return total; }
  // d(reduction)/d(element) times the upstream gradient u.
  template <class Op, class I, class B, class U>
  static constexpr auto weight(reduce<Op, I, B> const&, U const& u) {
    return u;
  }
};

struct mean {
  static constexpr folding folds = folding::add;
  static constexpr bool divides_by_count = true;  // torch.mean: an empty mean is 0 / 0
  static constexpr char const* text = "mean";
  static constexpr char const* latex = "\\operatorname{mean}";
  LOSSFORGE_FUNCTION static constexpr double finish(double total, double, std::ptrdiff_t n) {
    return total / double(n);
  }
  template <class Op, class I, class B, class U>
  static constexpr auto weight(reduce<Op, I, B> const&, U const& u) {
    return u / extent<I>{};
  }
};

struct max {
  static constexpr folding folds = folding::max;
  static constexpr bool divides_by_count = false;
  static constexpr char const* text = "max";
  static constexpr char const* latex = "\\max";
  // From the accumulator (largest, NaN seen).
  static double finish(double largest, double nan_seen, std::ptrdiff_t n) {
    if (n == 0) throw std::invalid_argument("lossforge: max over an empty index has no value");
    return nan_seen != 0 ? std::numeric_limits<double>::quiet_NaN() : largest;
  }
  // Ties share the gradient equally, as torch.amax.
  template <class Op, class I, class B, class U>
  static constexpr auto weight(reduce<Op, I, B> const& r, U const& u) {
    auto is_max = r.body == r;
    return where(is_max, u, c<0>) / reduce<sum, I, decltype(is_max)>{is_max};
  }
};

struct logsumexp {
  static constexpr folding folds = folding::log_sum_exp;
  static constexpr bool divides_by_count = false;
  static constexpr char const* text = "logsumexp";
  static constexpr char const* latex = "\\operatorname{LSE}";
  // From the accumulator (max, sum of exp(x - max)).
  static double finish(double largest, double sum_exp, std::ptrdiff_t) {
    if (largest != largest || sum_exp != sum_exp) return std::numeric_limits<double>::quiet_NaN();
    if (!(largest > -std::numeric_limits<double>::infinity() && largest < std::numeric_limits<double>::infinity()))
      return largest;
    return largest + std::log(sum_exp);
  }
  template <class Op, class I, class B, class U>
  static constexpr auto weight(reduce<Op, I, B> const& r, U const& u) {
    return exp(r.body - r) * u;  // softmax weights
  }
};

template <class Op>
inline constexpr bool adds = Op::folds == folding::add;

// The reduction of the n values that visit presents, as lead + tail: visit(f) calls f(x) for each of them, in
// double; a log-sum-exp visits them twice (the max, then the sum of exponentials). A max of nothing is NaN here: the
// caller reports it in its own way.
template <class Op, class Visit>
LOSSFORGE_FUNCTION lead_tail fold(std::ptrdiff_t n, Visit const& visit) {
  if constexpr (adds<Op>) {
    double total = 0;
    visit([&](double x) { total += x; });
    return {Op::finish(total, 0, n), 0};
  } else {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    double largest = -inf;
    bool seen_nan = false;
    visit([&](double x) {
      seen_nan = seen_nan || math::isnan(x);
      largest = x > largest ? x : largest;
    });
    if (seen_nan || (Op::folds == folding::max && n == 0)) return {nan, 0};
    if constexpr (Op::folds == folding::max) {
      return {largest, 0};
    } else {
      if (!(largest > -inf && largest < inf)) return {largest, 0};
      double total = 0;
      visit([&](double x) { total += math::exp(x - largest); });
      return {largest, math::log(total)};
    }
  }
}

// The same folding as a pairwise accumulator (a, b) that parallel reductions combine: a sum is (total, -), a max
// (largest, NaN seen), a log-sum-exp (max, sum of exp(x - max)); Op::finish(a, b, n) gives the value.
template <class Op>
LOSSFORGE_FUNCTION void initial(double& a, double& b) {
  a = adds<Op> ? 0.0 : -std::numeric_limits<double>::infinity();
  b = 0;
}
// Adds the pair (xa, xb) into (a, b).
template <class Op, class A>
LOSSFORGE_FUNCTION void combine(A& a, A& b, double xa, double xb) {
  if constexpr (adds<Op>) {
    a = a + xa;
  } else if constexpr (Op::folds == folding::max) {
    b = (b != 0 || xb != 0) ? 1.0 : 0.0;
    a = xa > a ? xa : double(a);
  } else {  // online log-sum-exp; equal maxima (both infinite included) add their sums unscaled
    double const m = xa > a ? xa : double(a);
    double const left = a == m ? double(b) : double(b) * math::exp(double(a) - m);
    double const right = xa == m ? xb : xb * math::exp(xa - m);
    a = m;
    b = left + right;
  }
}
// Adds one element x: the pair (x, -) to a sum, (x, isnan(x)) to a max, (x, 1) to a log-sum-exp (a NaN x makes its
// sum NaN).
template <class Op>
LOSSFORGE_FUNCTION void accumulate(double& a, double& b, double x) {
  if constexpr (Op::folds == folding::max)
    combine<Op>(a, b, math::isnan(x) ? -std::numeric_limits<double>::infinity() : x, math::isnan(x) ? 1.0 : 0.0);
  else
    combine<Op>(a, b, x, Op::folds == folding::log_sum_exp ? 1.0 : 0.0);
}

}  // namespace reductions

// ---- builders --------------------------------------------------------------------------------------------------
// sum(i, e) reduces over one index; sum(e) over every free index of e (all elements of bare tensors).
namespace detail {
template <class Reduction, class Body, class... Indices>
constexpr auto reduce_over(Body const& body, type_list<Indices...>) {
  if constexpr (sizeof...(Indices) == 0) {
    return body;
  } else {
    return [&]<class First, class... Rest>(type_list<First, Rest...>) {
      return reduce<Reduction, First, decltype(reduce_over<Reduction>(body, type_list<Rest...>{}))>{
          reduce_over<Reduction>(body, type_list<Rest...>{})};
    }(type_list<Indices...>{});
  }
}
template <class Reduction, class Body>
constexpr auto reduce_all(Body const& body) {
  return reduce_over<Reduction>(body, bound_free_indices_t<Body>{});
}
}  // namespace detail

#define LOSSFORGE_REDUCTION(name, tag)                                    \
  template <Index I, Operand A>                                           \
  constexpr auto name(I, A const& a) {                                    \
    return reduce<reductions::tag, I, expression_t<A>>{as_expression(a)}; \
  }                                                                       \
  template <Operand A>                                                    \
  constexpr auto name(A const& a) {                                       \
    return detail::reduce_all<reductions::tag>(as_expression(a));         \
  }
LOSSFORGE_REDUCTION(sum, sum)
LOSSFORGE_REDUCTION(mean, mean)
LOSSFORGE_REDUCTION(reduce_max, max)
LOSSFORGE_REDUCTION(logsumexp, logsumexp)
#undef LOSSFORGE_REDUCTION

// softmax and log_softmax over one index: exp(e - logsumexp(i, e)) and e - logsumexp(i, e).
template <Index I, Operand A>
constexpr auto log_softmax(I i, A const& a) {
  return a - logsumexp(i, a);
}
template <Index I, Operand A>
constexpr auto softmax(I i, A const& a) {
  return exp(log_softmax(i, a));
}

}  // namespace lossforge
