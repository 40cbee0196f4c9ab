#pragma once
// Declarative rewrite rules, grouped by head op. Each rule is a struct whose static rewrite() takes the pattern as
// its parameter type (deduction is the match) and whose requires-clause, if any, is the predicate; the body is the
// replacement. The driver applies the first rule of the head op's list that matches. Children are already
// simplified when a rule runs, so sums and products are in canonical form (see canonical.hpp).
#include <lossforge/dsl/substitute.hpp>
#include <lossforge/dsl/transform.hpp>
#include <lossforge/simplify/canonical.hpp>

namespace lossforge::rewrite {

using detail::Numeric;

// ---- stability rewrites (DESIGN.md section 5) ------------------------------------------------------------------
// log(sigmoid(x)) -> log_sigmoid(x)
struct log_of_sigmoid {
  template <class X>
  static constexpr auto rewrite(node<ops::log, node<ops::sigmoid, X>> const& e) {
    return log_sigmoid(arg<0>(arg<0>(e)));
  }
};
// log(1 - sigmoid(x)) -> log_sigmoid(-x)
struct log_of_one_minus_sigmoid {
  template <class X>
  static constexpr auto rewrite(
      node<ops::log, node<ops::add, constant<1>, node<ops::mul, constant<-1>, node<ops::sigmoid, X>>>> const& e) {
    return log_sigmoid(-arg<0>(arg<1>(arg<1>(arg<0>(e)))));
  }
};
// log(exp(x)) -> x; with log_softmax = x - logsumexp, this turns log(softmax(x)) into log_softmax(x).
struct log_of_exp {
  template <class X>
  static constexpr auto rewrite(node<ops::log, node<ops::exp, X>> const& e) {
    return arg<0>(arg<0>(e));
  }
};
// log(sum_i exp(x)) -> logsumexp_i(x)
struct log_of_sum_of_exp {
  template <class I, class X>
  static constexpr auto rewrite(node<ops::log, reduce<reductions::sum, I, node<ops::exp, X>>> const& e) {
    return logsumexp(I{}, arg<0>(arg<0>(e).body));
  }
};
// log(1 + exp(x)) -> softplus(x)
struct log_of_one_plus_exp {
  template <class X>
  static constexpr auto rewrite(node<ops::log, node<ops::add, constant<1>, node<ops::exp, X>>> const& e) {
    return softplus(arg<0>(arg<1>(arg<0>(e))));
  }
};
// log1p(exp(x)) -> softplus(x)
struct log1p_of_exp {
  template <class X>
  static constexpr auto rewrite(node<ops::log1p, node<ops::exp, X>> const& e) {
    return softplus(arg<0>(arg<0>(e)));
  }
};
// log(1 + x) -> log1p(x), accurate for small x.
struct log_of_one_plus {
  template <class X>
  requires(!Numeric<X>) static constexpr auto rewrite(node<ops::log, node<ops::add, constant<1>, X>> const& e) {
    return log1p(arg<1>(arg<0>(e)));
  }
};

// ---- identities ------------------------------------------------------------------------------------------------
// -x -> (-1) * x, and a - b -> a + (-1) * b, so that like terms meet in one canonical sum.
struct negation_as_product {
  template <class X>
  static constexpr auto rewrite(node<ops::neg, X> const& e) {
    return detail::make_product(detail::tuple_cat(detail::make_tuple(c<-1>), detail::factors(arg<0>(e))));
  }
};
struct subtraction_as_sum {
  template <class A, class B>
  static constexpr auto rewrite(node<ops::sub, A, B> const& e) {
    auto negated = detail::make_product(detail::tuple_cat(detail::make_tuple(c<-1>), detail::factors(arg<1>(e))));
    return detail::make_sum(detail::tuple_cat(detail::terms(arg<0>(e)), detail::terms(negated)));
  }
};
struct power_one {
  template <class X>
  static constexpr auto rewrite(node<ops::ipow<1>, X> const& e) {
    return arg<0>(e);
  }
};
struct power_zero {
  template <class X>
  static constexpr auto rewrite(node<ops::ipow<0>, X> const&) {
    return c<1>;
  }
};
// where(constant, a, b) picks its branch; where(c, x, x) is x.
struct select_on_constant {
  template <std::intmax_t N, std::intmax_t D, class A, class B>
  static constexpr auto rewrite(node<ops::select, constant<N, D>, A, B> const& e) {
    if constexpr (N != 0)
      return arg<1>(e);
    else
      return arg<2>(e);
  }
};
struct select_same_branches {
  template <class C, class A>
  static constexpr auto rewrite(node<ops::select, C, A, A> const& e) {
    return arg<1>(e);
  }
};
// Exact folding of ops on rational constants where the result is rational.
struct fold_exact {
  template <std::intmax_t N1, std::intmax_t D1, std::intmax_t N2, std::intmax_t D2>
  requires(N2 != 0) static constexpr auto rewrite(node<ops::div, constant<N1, D1>, constant<N2, D2>> const&) {
    return detail::reduced_constant<N1 * D2, D1 * N2>();
  }
  template <class Op, std::intmax_t N1, std::intmax_t D1, std::intmax_t N2, std::intmax_t D2>
  requires(
      std::is_same_v<Op, ops::less> || std::is_same_v<Op, ops::less_equal> || std::is_same_v<Op, ops::greater> ||
      std::is_same_v<Op, ops::greater_equal> || std::is_same_v<Op, ops::equal> || std::is_same_v<Op, ops::not_equal> ||
      std::is_same_v<Op, ops::min> ||
      std::is_same_v<Op, ops::max>) static constexpr auto rewrite(node<Op, constant<N1, D1>, constant<N2, D2>> const&) {
    // Compare N1/D1 with N2/D2 exactly (denominators are positive).
    constexpr auto l = N1 * D2, r = N2 * D1;
    constexpr bool first_is_smaller_or_equal = l <= r;
    if constexpr (std::is_same_v<Op, ops::min>) {
      if constexpr (first_is_smaller_or_equal)
        return constant<N1, D1>{};
      else
        return constant<N2, D2>{};
    } else if constexpr (std::is_same_v<Op, ops::max>) {
      if constexpr (first_is_smaller_or_equal)
        return constant<N2, D2>{};
      else
        return constant<N1, D1>{};
    } else {
      constexpr double one = 1.0;
      return constant < Op::apply(double(l), double(r)) == one ? 1 : 0 > {};
    }
  }
  template <int P, std::intmax_t N, std::intmax_t D>
  requires(P >= 0 && P <= 4) static constexpr auto rewrite(node<ops::ipow<P>, constant<N, D>> const&) {
    constexpr auto power = [](std::intmax_t v) {
      std::intmax_t r = 1;
      for (int k = 0; k < P; ++k) r *= v;
      return r;
    };
    return detail::reduced_constant<power(N), power(D)>();
  }
  static constexpr auto rewrite(node<ops::log, constant<1>> const&) { return c<0>; }
  static constexpr auto rewrite(node<ops::exp, constant<0>> const&) { return c<1>; }
  template <std::intmax_t N, std::intmax_t D>
  static constexpr auto rewrite(node<ops::abs, constant<N, D>> const&) {
    return constant<(N < 0 ? -N : N), D>{};
  }
};
// An op whose scalar semantics can run at compile time (arithmetic, comparisons, min/max) folds numbers to a
// literal. Transcendental functions of literals stay: they cost one evaluation per kernel, not per element.
template <class Op, class... A>
concept ConstantFoldable = requires {
  typename std::integral_constant<int, (Op::apply((A{}, 1.0)...), 0)>;
};

struct fold_numeric {
  template <class Op, class... A>
  requires(sizeof...(A) > 0 && (Numeric<A> && ...) &&
           ConstantFoldable<Op, A...>) static constexpr auto rewrite(node<Op, A...> const& e) {
    return detail::apply_args(e, [](auto const&... a) {
      return detail::computed_literal<Op, A...>{detail::fold_value<Op>(detail::value_of(a)...)};
    });
  }
};

// ---- reductions ------------------------------------------------------------------------------------------------
struct reduce_zero {
  template <class Op, class I>
  requires reductions::adds<Op>
  static constexpr auto rewrite(reduce<Op, I, constant<0>> const&) {
    return c<0>;
  }
};
// Whether E depends on index I: uses it in an access, as a value (or inside an index whose position depends on it, a
// window's), or through its extent. A reduction over I inside E binds its own I.
template <class I>
struct mentions_visitor {
  template <class J>
  using on_index = std::bool_constant<detail::contains_v<detail::index_parts_t<J>, I>>;
  template <class N>
  using on_number = std::false_type;
  template <class S>
  using on_scalar = std::false_type;
  template <class E, class J>
  using on_along = std::bool_constant<std::is_same_v<I, J>>;
  template <class A>
  using on_witness = detail::fold_t<mentions_visitor, A>;
  template <class E, class S, class... Slots>
  using on_access = std::bool_constant<(Slots::value || ...)>;
  template <class E, class... Args>
  using on_node = std::bool_constant<(Args::value || ...)>;
  template <class E, class J, class Body>
  using on_reduce = std::bool_constant<!std::is_same_v<I, J> && Body::value>;
};
template <class I, class E>
inline constexpr bool mentions_v = detail::fold_t<mentions_visitor<I>, E>::value;

// A replacement for reduction R keeps R's free indices: each one the replacement lost comes back as a witness of
// an access of R's body that gives it its extent without another index, or else (a gradient index, whose extent
// its tensor gives) as ones.
template <class R>
struct lacks {
  template <class I>
  struct test : std::bool_constant<!detail::contains_v<detail::free_indices_t<R>, I>> {};
};
template <class R, class J>
using witness_access_t = detail::first_witness_access_t<J, detail::free_indices_t<R>, R>;
template <class Access, class J>
struct keeper {
  using type = witness<Access>;
};
template <class J>
struct keeper<void, J> {
  using type = ones<J>;
};
template <class R, class J>
using free_index_keeper_t = typename keeper<witness_access_t<R, J>, J>::type;
template <class R, class Replacement>
constexpr auto with_free_indices_of(Replacement const& replacement) {
  return []<class... J>(Replacement const& r, detail::type_list<J...>) {
    if constexpr (sizeof...(J) == 0)
      return r;
    else
      return detail::make_product(detail::make_tuple(r, free_index_keeper_t<R, J>{}...));
  }(replacement, detail::filter_t<detail::free_indices_t<R>, lacks<Replacement>::template test>{});
}
// Whether every named free index of R that a replacement lost can be kept by a witness.
template <class R, class Replacement>
inline constexpr bool free_indices_keepable = []<class... J>(detail::type_list<J...>) {
  return ((detail::is_gradient_index<J>::value || !std::is_void_v<witness_access_t<R, J>>)&&...);
}(detail::filter_t<detail::free_indices_t<R>, lacks<Replacement>::template test>{});

// sum_i (a * x_i) -> a * sum_i x_i (linearity, also for mean) for the factors a of the body that do not depend on
// i: numbers, which lets like terms meet outside the sum, and factors such as (t[k] == c) in a gradient, which
// would otherwise make a row's sum depend on c and be recomputed for every c. When no factor depends on i, only
// the numbers move, so the index keeps whatever gives it its extent.
struct reduce_of_scaled {
  template <class I>
  struct depends {
    template <class F>
    struct on : std::bool_constant<mentions_v<I, F>> {};
    template <class F>
    struct not_on : std::bool_constant<!mentions_v<I, F>> {};
  };
  template <class I, class B>
  static constexpr auto split(B const& body) {
    auto const [above, below] = detail::fraction_sides(body);
    constexpr bool any_dependent =
        detail::tuple_size_v<decltype(detail::keep_if<depends<I>::template on>(above))> + detail::tuple_size_v <
        decltype(detail::keep_if<depends<I>::template on>(below)) >> 0;
    auto const outside = [](auto const& side) {
      if constexpr (any_dependent)
        return detail::keep_if<depends<I>::template not_on>(side);
      else
        return detail::keep_if<detail::is_numeric>(side);
    };
    auto const inside = [](auto const& side) {
      if constexpr (any_dependent)
        return detail::keep_if<depends<I>::template on>(side);
      else
        return detail::keep_if<detail::is_not_numeric>(side);
    };
    return std::make_pair(detail::tuple_cat(outside(above), detail::reciprocals(outside(below))),
                          detail::tuple_cat(inside(above), detail::reciprocals(inside(below))));
  }
  template <class Op, class I, class B>
  requires(reductions::adds<Op>&&(
               detail::is_mul_v<B> ||
               detail::is_div_v<B>)&&detail::tuple_size_v<decltype(split<I>(std::declval<B const&>()).first)> !=
           0) static constexpr auto rewrite(reduce<Op, I, B> const& e) {
    auto const [outside, inside] = split<I>(e.body);
    auto const body = detail::make_product(inside);
    return detail::make_product(
        detail::tuple_cat(outside, detail::make_tuple(reduce<Op, I, std::remove_const_t<decltype(body)>>{body})));
  }
};

// A where's condition that keeps window position G - u among its window's positions (diff/grad.hpp).
template <class I, class C>
struct window_guard {
  static constexpr bool value = false;
  static constexpr int dimension = -1;
};
template <class I, class G, class Of, bool P, class Last>
struct window_guard<I, node<ops::mul, node<ops::greater_equal, window_position<G, I, Of, P>, constant<0>>,
                            node<ops::less_equal, window_position<G, I, Of, P>, Last>>> {
  static constexpr bool value = true;
  // The dimension of the gradient the window position is in (-1 for another index).
  static constexpr int dimension = [] {
    if constexpr (detail::is_gradient_index<G>::value)
      return []<class X, int D, int Depth, fixed_string N>(std::type_identity<gradient_index<X, D, Depth, N>>) {
        return D;
      }(std::type_identity<G>{});
    else
      return -1;
  }();
};
template <class I, class C>
inline constexpr bool guards_window_position_v = window_guard<I, C>::value;
// The gather of a window's gradient along one dimension, sum_u where(G - u among the positions, x, 0).
template <class E>
struct window_gather {
  static constexpr int dimension = -1;
};
template <class I, class C, class X>
requires guards_window_position_v<I, C>
struct window_gather<reduce<reductions::sum, I, node<ops::select, C, X, constant<0>>>> {
  static constexpr int dimension = window_guard<I, C>::dimension;
  using offset = I;
  using guard = C;
};

// sum_u where(G0 - u ..., a_u * sum_v where(G1 - v ..., x, 0), 0) -> sum_v where(G1 - v ..., sum_u where(G0 - u ...,
// a_u * x, 0), 0) where G0's dimension comes before G1's: a 2-D window's gradient gathers along the rows inside, so
// that the inner sum is read at the element's own row, G0, and at G1 - v (a plan computes it once per position of the
// row, in the work item that reads it).
struct window_gathers_in_dimension_order {
  template <class Above, int Outer>
  static constexpr std::size_t inner = []<class... F>(std::type_identity<detail::tuple<F...>>) {
    return detail::first_true<(window_gather<F>::dimension > Outer)...>();
  }(std::type_identity<Above>{});
  template <class B>
  using above_t = std::remove_cvref_t<decltype(detail::fraction_sides(std::declval<B const&>()).first)>;
  // Whether the sums over u (guard C, body B) and over the inner gather's v swap: B mentions v only inside that
  // gather, and its guard does not mention u.
  template <class I, class C, class B>
  static constexpr bool swaps() {
    if constexpr (window_guard<I, C>::dimension < 0) {  // no window guard, or not in a gradient's dimension
      return false;
    } else {
      constexpr std::size_t k = inner<above_t<B>, window_guard<I, C>::dimension>;
      if constexpr (k >= detail::tuple_size_v<above_t<B>>) {
        return false;
      } else {
        using gather = window_gather<std::remove_cvref_t<decltype(get<k>(std::declval<above_t<B> const&>()))>>;
        return !mentions_v<typename gather::offset, B> && !mentions_v<I, typename gather::guard>;
      }
    }
  }
  template <class I, class C, class B>
  requires(swaps<I, C, B>()) static constexpr auto rewrite(
      reduce<reductions::sum, I, node<ops::select, C, B, constant<0>>> const& e) {
    auto const [above, below] = detail::fraction_sides(arg<1>(e.body));
    constexpr std::size_t k = inner<above_t<B>, window_guard<I, C>::dimension>;
    auto const& gather = get<k>(above);
    using V = std::remove_cvref_t<decltype(gather)>;
    auto const body = detail::make_product(detail::tuple_cat(detail::without_first<V>(above),
                                                             detail::make_tuple(arg<1>(gather.body)),
                                                             detail::reciprocals(below)));
    using along_rows = node<ops::select, C, std::remove_const_t<decltype(body)>, constant<0>>;
    reduce<reductions::sum, I, along_rows> rows{along_rows{make_tuple(arg<0>(e.body), body, c<0>)}};
    using guard = std::remove_cvref_t<decltype(arg<0>(gather.body))>;
    using along_columns = node<ops::select, guard, decltype(rows), constant<0>>;
    return reduce<reductions::sum, typename window_gather<V>::offset, along_columns>{
        along_columns{make_tuple(arg<0>(gather.body), rows, c<0>)}};
  }
};

// sum_u where(G - u among the positions, a * x_u, 0) -> a * sum_u where(..., x_u, 0) for the factors a that do not
// depend on u: the gather of a window's gradient (diff/grad.hpp), whose where keeps G - u among the window positions.
// Taking out the weight of the other dimension of a 2-D window (and x[G] itself) leaves a sum over one offset that
// reads the window position and nothing else of u, which a plan computes once per position (plan/intermediates.hpp).
// Some offset always keeps G - u among the positions, so a factor taken out was evaluated before too.
struct reduce_of_window_gather {
  template <class I, class C, class B>
  requires(guards_window_position_v<I, C> && (detail::is_mul_v<B> || detail::is_div_v<B>)&&detail::tuple_size_v<
           decltype(reduce_of_scaled::split<I>(std::declval<B const&>()).first)> !=
           0) static constexpr auto rewrite(reduce<reductions::sum, I, node<ops::select, C, B, constant<0>>> const& e) {
    auto const [outside, inside] = reduce_of_scaled::split<I>(arg<1>(e.body));
    auto const kept = detail::make_product(inside);
    using guarded = node<ops::select, C, std::remove_const_t<decltype(kept)>, constant<0>>;
    guarded const body{make_tuple(arg<0>(e.body), kept, c<0>)};
    return detail::make_product(detail::tuple_cat(outside, detail::make_tuple(reduce<reductions::sum, I, guarded>{body})));
  }
};

// mean_i b -> b and sum_i (b / N_i) -> b for a body b that does not depend on the named index i (a gradient's
// sum_c(1 / N_c) is 1). Inside the reduction, factors ones<i> and witnesses of i's extent are just 1. (sum_i b
// stays: N_i b would leave i's count outside any reduction over i.)
struct reduce_of_uniform {
  template <class I>
  struct other_than_one {
    template <class F>
    struct test : std::true_type {};
    template <class A>
    struct test<witness<A>> : std::bool_constant<!detail::contains_v<detail::free_indices_t<A>, I>> {};
    template <class J>
    struct test<ones<J>> : std::bool_constant<!std::is_same_v<I, J>> {};
  };
  // The body's factors above and below the fraction bar, without the ones, and for a sum without one N_i below.
  template <class Op, class I, class B>
  static constexpr auto sides(B const& body) {
    auto const [above, below] = detail::fraction_sides(body);
    auto const kept = detail::keep_if<other_than_one<I>::template test>(above);
    if constexpr (!Op::divides_by_count)
      return std::make_pair(kept, detail::without_first<extent<I>>(below));
    else
      return std::make_pair(kept, below);
  }
  template <class Op, class I, class B>
  static constexpr bool applies = [] {
    using fraction = decltype(detail::fraction_sides(std::declval<B const&>()));
    if constexpr (!Op::divides_by_count &&
                  !detail::tuple_contains_v<extent<I>, std::remove_cvref_t<typename fraction::second_type>>)
      return false;
    else
      return []<class... Above, class... Below>(
                 std::type_identity<std::pair<detail::tuple<Above...>, detail::tuple<Below...>>>) {
        return !((mentions_v<I, Above> || ...) || (mentions_v<I, Below> || ...));
      }(std::type_identity<decltype(sides<Op, I>(std::declval<B const&>()))>{});
  }();

  template <class Op, class I, class B>
  static constexpr auto replacement(B const& body) {
    auto const [above, below] = sides<Op, I>(body);
    return detail::make_product(detail::tuple_cat(above, detail::reciprocals(below)));
  }
  // Only where every named index the replacement loses can be kept by a witness: a ones<c> for a named c would
  // leave c free outside the reduction that bound it.
  template <class Op, fixed_string N, class B>
  requires(reductions::adds<Op>&&applies<Op, index<N>, B>&&
               free_indices_keepable<reduce<Op, index<N>, B>,
                                     decltype(replacement<Op, index<N>>(std::declval<B const&>()))>) static constexpr auto
      rewrite(reduce<Op, index<N>, B> const& e) {
    return with_free_indices_of<reduce<Op, index<N>, B>>(replacement<Op, index<N>>(e.body));
  }
};

// Whether A is the exponent of a softmax along J: b[i := J] - logsumexp_i(b), R being logsumexp_i(b). J is i itself
// inside a sum over i, or the gradient index of a gradient written along the row (the executor's stored
// exponentials).
template <class J, class R, class A>
inline constexpr bool is_softmax_exponent = false;
template <class J, class I, class B, class A>
inline constexpr bool is_softmax_exponent<J, reduce<reductions::logsumexp, I, B>, A> = [] {
  using moved = decltype(detail::substitute<I, J>(std::declval<B const&>()));
  using exponent = decltype(detail::make_sum(
      detail::tuple_cat(detail::terms(std::declval<moved const&>()),
                     detail::tuple<node<ops::mul, constant<-1>, reduce<reductions::logsumexp, I, B>>>{})));
  return std::is_same_v<exponent, A>;
}();

// sum_i exp(b - logsumexp_i(b)) -> 1: a softmax sums to one. The derivative of a log-sum-exp with respect to
// something all its terms share (the target logit of a shifted cross entropy) is such a sum; without this rule a
// gradient would compute each row's softmax twice.
template <class I, class T>
struct negated_logsumexp {
  using reduction = void;
};
template <class I, class B>
struct negated_logsumexp<I, node<ops::mul, constant<-1>, reduce<reductions::logsumexp, I, B>>> {
  using reduction = reduce<reductions::logsumexp, I, B>;
};
struct sum_of_softmax {
  template <class I, class A>
  static constexpr bool matches() {
    if constexpr (!detail::is_add_v<A>) {
      return false;
    } else {
      return []<class... T>(std::type_identity<detail::tuple<T...>>) {
        using R = typename detail::first_non_void_type<typename negated_logsumexp<I, T>::reduction...>::type;
        return is_softmax_exponent<I, R, A>;
      }(std::type_identity<decltype(detail::terms(std::declval<A const&>()))>{});
    }
  }
  template <class I, class A>
  requires(matches<I, A>() &&
           free_indices_keepable<reduce<reductions::sum, I, node<ops::exp, A>>,
                                 constant<1>>) static constexpr auto rewrite(reduce<reductions::sum, I,
                                                                                    node<ops::exp, A>> const&) {
    return with_free_indices_of<reduce<reductions::sum, I, node<ops::exp, A>>>(c<1>);
  }
};

template <class... Rules>
struct rule_list {};

// Rules by head op, tried in order. Ops not listed here only get constant folding.
template <class Op>
struct rules_for {
  using type = rule_list<fold_exact, fold_numeric>;
};
template <>
struct rules_for<ops::log> {
  using type = rule_list<fold_exact, log_of_sigmoid, log_of_one_minus_sigmoid, log_of_exp, log_of_sum_of_exp,
                         log_of_one_plus_exp, log_of_one_plus, fold_numeric>;
};
template <>
struct rules_for<ops::log1p> {
  using type = rule_list<log1p_of_exp, fold_numeric>;
};
template <>
struct rules_for<ops::neg> {
  using type = rule_list<negation_as_product>;
};
template <>
struct rules_for<ops::sub> {
  using type = rule_list<subtraction_as_sum>;
};
template <int N>
struct rules_for<ops::ipow<N>> {
  using type = rule_list<power_one, power_zero, fold_exact, fold_numeric>;
};
template <>
struct rules_for<ops::select> {
  using type = rule_list<select_on_constant, select_same_branches>;
};
struct reduction_rules {
  using type = rule_list<reduce_zero, reduce_of_uniform, sum_of_softmax, reduce_of_scaled,
                         window_gathers_in_dimension_order, reduce_of_window_gather>;
};

}  // namespace lossforge::rewrite
