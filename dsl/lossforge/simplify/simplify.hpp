#pragma once
// simplify(e): bottom-up rewriting to a fixpoint. Sums and products are put in canonical form (canonical.hpp), except
// a window slot x(h + u), which keeps its position first; every other node gets the first matching rule of its head
// op (rules.hpp). The fixpoint is reached when a pass leaves the type unchanged; every rule shrinks the tree, moves
// it toward the canonical order, moves factors out of a sum (never back in), or nests a window gradient's gathers in
// dimension order (never back), so this terminates.
#include <lossforge/dsl/extent_sources.hpp>
#include <lossforge/simplify/rules.hpp>

namespace lossforge {
namespace detail {

template <class E, class... Rules>
constexpr auto apply_first_rule(E const& e, rewrite::rule_list<Rules...>) {
  constexpr std::size_t count = sizeof...(Rules);
  constexpr std::size_t first = first_true < requires { Rules::rewrite(std::declval<E const&>()); }
  ... > ();
  if constexpr (first == count)
    return e;
  else
    return std::tuple_element_t<first, std::tuple<Rules...>>::rewrite(e);
}

template <class E>
constexpr auto simplify_once(E const& e);

// a / b joins the canonical product (a division by a number becomes a multiplication by its reciprocal), except a
// division by an exact zero, which is left to constant folding.
template <class E>
inline constexpr bool is_fraction_v = false;
template <class A, class B>
inline constexpr bool is_fraction_v<node<ops::div, A, B>> = !std::is_same_v<B, constant<0>>;

template <class E>
constexpr auto rewrite_head(E const& e) {
  if constexpr (is_add_v<E>)
    return make_sum(terms(e));
  else if constexpr (is_mul_v<E> || is_fraction_v<E>)
    return make_product(factors(e));
  else if constexpr (is_node_v<E>)
    return apply_first_rule(e, typename rewrite::rules_for<typename node_op<E>::type>::type{});
  else if constexpr (is_reduce_v<E>)
    return apply_first_rule(e, rewrite::reduction_rules::type{});
  else
    return e;
}

// If simplifying a reduction's body removed every tensor its index takes its extent from, a witness keeps one: an
// access with no index the body does not already have free, if there is one; otherwise an access of the original
// body with its other slots fixed at position 0, so that they leave nothing free (a witness reads no element).
template <class Free, class S, class... Sl>
constexpr auto slots_outside_fixed(access<S, Sl...>)
    -> access<S, std::conditional_t<Index<Sl> && contains_v<Free, Sl>, Sl, constant<0>>...>;
template <class I, class Original, class Body>
constexpr auto keep_extent_source(Body const& body) {
  using kept = first_indexing_access_t<I, Body>;
  using fitting = first_witness_access_t<I, free_indices_t<Original>, Original>;
  using lost = first_indexing_access_t<I, Original>;
  if constexpr (!std::is_void_v<kept> || std::is_void_v<lost>)
    return body;
  else if constexpr (!std::is_void_v<fitting>)
    return make_product(detail::make_tuple(body, witness<fitting>{}));
  else
    return make_product(
        detail::make_tuple(body, witness<decltype(slots_outside_fixed<free_indices_t<Original>>(lost{}))>{}));
}

template <class E>
constexpr auto simplify_once(E const& e) {
  if constexpr (is_access_v<E>)  // a window slot keeps its order, position + offset (dsl/symbols.hpp)
    return map_slots(e, []<class S>(S const& s) {
      if constexpr (is_window_slot_v<S>)
        return s;
      else
        return simplify_once(s);
    });
  else if constexpr (is_node_v<E>)
    return rewrite_head(map_args(e, [](auto const& a) { return simplify_once(a); }));
  else if constexpr (is_reduce_v<E>)
    return [&]<class Op, class I, class B>(reduce<Op, I, B> const& r) {
      auto body = keep_extent_source<I, B>(simplify_once(r.body));
      return rewrite_head(reduce<Op, I, decltype(body)>{body});
    }(e);
  else {
    static_assert(is_leaf_v<E>, "lossforge: simplify has no case for this node kind");
    return e;
  }
}

}  // namespace detail

// The simplified form of e: equal to e wherever e is defined, canonical, and idempotent (simplify(simplify(e))
// has the type of simplify(e)).
template <Operand E>
constexpr auto simplify(E const& e) {
  auto once = detail::simplify_once(as_expression(e));
  if constexpr (std::is_same_v<decltype(once), expression_t<E>>)
    return once;
  else
    return simplify(once);
}

}  // namespace lossforge
