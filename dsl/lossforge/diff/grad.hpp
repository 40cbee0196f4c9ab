#pragma once
// grad(loss, x): the derivative of an expression as another expression, built at compile time.
//
// Pull form. The derivative with respect to element x[G] is computed as a set of contributions. Each contribution
// is a coefficient expression plus a map sigma from the indices of the access that produced it to the gradient
// indices G (x(i, c) gives i -> G0, c -> G1; a gather slot x(i, t(i)) instead multiplies the coefficient by the
// indicator t(i) == G1). A reduction over an index that sigma maps collapses: the Kronecker delta removes the sum
// and the index is substituted by its gradient index. A reduction over any other index stays a sum. So every
// gradient element is an expression of its own index (a gather's derivative is a select, never a scatter), and the
// lowering writes it with one parallel loop and no atomics.
//
// A window slot x(h + u) maps h and u together to G (window_mapping): the reduction over the offset u is deferred (its
// sum is rebuilt around the result, over a fresh u'), and the one over the position h collapses onto h = G - u' under
// a lazy where() that keeps G - u' among h's positions (collapse_window).
#include <tuple>

#include <lossforge/diagnostics.hpp>
#include <lossforge/diff/rules.hpp>
#include <lossforge/dsl/extent_sources.hpp>
#include <lossforge/dsl/primitive.hpp>
#include <lossforge/dsl/substitute.hpp>
#include <lossforge/dsl/symbol_uses.hpp>
#include <lossforge/simplify/simplify.hpp>

namespace lossforge {
namespace diff {

template <class From, class To>
struct mapping {};
// A window slot x(h + u) at gradient index To: x[To] is read where h + u == To. Open once the reduction over the
// offset u has been met: its sum is deferred until h collapses inside it.
template <class Position, class Offset, class To, bool Open, bool Padded>
struct window_mapping {};

template <class Sigma, class Coefficient>
struct contribution {
  Coefficient coefficient;
};

// The gradient index that sigma maps I to, or void.
template <class M, class I>
struct target_of {
  using type = void;
};
template <class I, class To>
struct target_of<mapping<I, To>, I> {
  using type = To;
};
template <class Sigma, class I>
struct mapping_target;
template <class... M, class I>
struct mapping_target<detail::type_list<M...>, I> {
  using type = typename detail::first_non_void_type<typename target_of<M, I>::type...>::type;
};

template <class From, class To>
constexpr auto mapping_delta(mapping<From, To>) {
  return From{} == To{};
}

template <class Sigma, class C>
constexpr contribution<Sigma, C> make_contribution(C const& c) {
  return {c};
}

// The gradient indices of symbol X: one per position, named after the first access that names it.
template <class X, class Loss, int Depth>
struct gradient_indices {
  using uses = detail::symbol_uses<X, Loss>;
  template <int Position>
  using at = gradient_index<X, Position, Depth, uses::template display_name<Position>>;
};

template <class X, class Indices, class E>
constexpr auto derive(E const& e);

// The window mappings of Sigma whose position is I, and those whose offset is I.
template <class I>
struct positioned_at {
  template <class M>
  struct test : std::false_type {};
  template <class O, class To, bool Open, bool Padded>
  struct test<window_mapping<I, O, To, Open, Padded>> : std::true_type {};
};
template <class I, class M>
inline constexpr bool offsets_by_v = false;
template <class I, class P, class To, bool Padded>
inline constexpr bool offsets_by_v<I, window_mapping<P, I, To, false, Padded>> = true;
template <class Sigma, class I>
struct window_mappings;
template <class... M, class I>
struct window_mappings<detail::type_list<M...>, I> {
  using positioned = detail::filter_t<detail::type_list<M...>, positioned_at<I>::template test>;
  static constexpr bool offset = (offsets_by_v<I, M> || ...);
  // Sigma with the mappings offset by I opened, offset by Fresh.
  template <class Fresh, class X>
  struct opened_one {
    using type = X;
  };
  template <class Fresh, class P, class To, bool Padded>
  struct opened_one<Fresh, window_mapping<P, I, To, false, Padded>> {
    using type = window_mapping<P, Fresh, To, true, Padded>;
  };
  template <class Fresh>
  using opened = detail::type_list<typename opened_one<Fresh, M>::type...>;
};

// sigma for one access: index slots map to their gradient index; window slots to window mappings; gather slots become
// indicator factors.
template <class Indices, class S, class... Slots>
constexpr auto derive_access(access<S, Slots...> const& a) {
  return [&]<std::size_t... K>(std::index_sequence<K...>) {
    constexpr bool flat = (detail::is_flat_slot_v<Slots> || ...);
    auto gradient_index_at = []<std::size_t P>(std::integral_constant<std::size_t, P>) {
      if constexpr (flat)
        return typename Indices::template at<flat_position>{};
      else
        return typename Indices::template at<int(P)>{};
    };
    auto mapping_of = [&]<class Slot, std::size_t P>(std::type_identity<Slot>, std::integral_constant<std::size_t, P>) {
      using to = decltype(gradient_index_at(std::integral_constant<std::size_t, P>{}));
      if constexpr (detail::is_window_slot_v<Slot>) {
        using window = detail::window_slot<Slot>;
        static_assert(!detail::is_gradient_index<typename window::offset>::value &&
                          detail::reads_directly_v<typename window::position>,
                      LOSSFORGE_MSG_WINDOW_NESTED_GRADIENT);
        return detail::type_list<
            window_mapping<typename window::position, typename window::offset, to, false, window::padded>>{};
      } else if constexpr (detail::is_window_position_v<Slot>) {
        static_assert(!detail::is_window_position_v<Slot>, LOSSFORGE_MSG_WINDOW_NESTED_GRADIENT);
        return detail::type_list<>{};
      } else if constexpr (Index<Slot>) {
        return detail::type_list<mapping<Slot, to>>{};
      } else {
        return detail::type_list<>{};
      }
    };
    using sigma = decltype((detail::type_list<>{} + ... +
                            mapping_of(std::type_identity<Slots>{}, std::integral_constant<std::size_t, K>{})));
    auto indicator = [&]<std::size_t P>(std::integral_constant<std::size_t, P>) {
      using slot_type = std::tuple_element_t<P, std::tuple<Slots...>>;
      if constexpr (Index<slot_type> || detail::is_window_slot_v<slot_type>)
        return c<1>;
      else
        return get<P>(a.slots) == gradient_index_at(std::integral_constant<std::size_t, P>{});
    };
    auto coefficient = (c<1> * ... * indicator(std::integral_constant<std::size_t, K>{}));
    return detail::make_tuple(make_contribution<sigma>(coefficient));
  }
  (std::index_sequence_for<Slots...>{});
}

template <class M, class... Rest>
constexpr M first_of(detail::type_list<M, Rest...>) {
  return {};
}

// The sum over a window's position h of terms read where h + u == G (h + u - (K - 1) / 2 == G zero-padded): the one
// position h = G - u (+ (K - 1) / 2), where it lies among h's positions (a lazy where: outside them nothing is
// read), summed over the offsets u if their sum was deferred.
template <class Sigma, class H, class U, class G, bool Open, bool Padded, class C>
constexpr auto collapse_window(window_mapping<H, U, G, Open, Padded>, C const& coefficient) {
  using mapped = window_mapping<H, U, G, Open, Padded>;
  static_assert(window_mappings<detail::remove_type_t<Sigma, mapped>, H>::positioned::size == 0,
                "lossforge: an index is the position of two windows in one access, as in x(h + u, h + v); its "
                "gradient is not supported");
  using position = window_position<G, U, H, Padded>;
  auto const last = [] {
    if constexpr (Padded)
      return extent<G>{} - c<1>;
    else
      return extent<G>{} - extent<U>{};
  }();
  auto const inside = (position{} >= c<0>)*(position{} <= last);
  auto term = where(inside, detail::substitute<H, position>(coefficient), c<0>);
  using rest = detail::remove_type_t<Sigma, mapped>;
  if constexpr (Open)
    return make_contribution<rest>(reduce<reductions::sum, U, decltype(term)>{term});
  else
    return make_contribution<rest>(term);
}

// The sum over a window's offset u waits for the window's position to collapse inside it. It runs over u': u may
// also be free around it (an outer sum over u multiplying this one). (A function of its own: nvcc instantiates a
// generic lambda's discarded branches where they do not depend on its parameters.)
template <class Sigma, class I, class Body, class C>
constexpr auto defer_offset(C const& weighted) {
  using fresh = detail::primed_t<I>;
  return make_contribution<typename window_mappings<Sigma, I>::template opened<fresh>>(
      detail::substitute<I, fresh>(detail::keep_extent_source<I, Body>(weighted)));
}

template <class X, class Indices, class Op, class I, class Body>
constexpr auto derive_reduce(reduce<Op, I, Body> const& r) {
  auto body_terms = derive<X, Indices>(r.body);
  return detail::apply(
      [&]<class... Sigma, class... C>(contribution<Sigma, C> const&... terms) {
        [[maybe_unused]] auto one = [&]<class S, class Coefficient>(contribution<S, Coefficient> const& term) {
          auto weighted = Op::weight(r, term.coefficient);
          using target = typename mapping_target<S, I>::type;
          using windows = window_mappings<S, I>;
          if constexpr (windows::positioned::size != 0) {
            return collapse_window<S>(first_of(typename windows::positioned{}), weighted);
          } else if constexpr (windows::offset) {
            return defer_offset<S, I, Body>(weighted);
          } else if constexpr (std::is_void_v<target>) {
            // The sum stays; a witness keeps the extent of I if the derivative dropped every tensor giving it.
            auto body = detail::keep_extent_source<I, Body>(weighted);
            return make_contribution<S>(reduce<reductions::sum, I, decltype(body)>{body});
          } else {
            using rest = detail::remove_type_t<S, mapping<I, target>>;
            return make_contribution<rest>(detail::substitute<I, target>(weighted));
          }
        };
        return detail::make_tuple(one(terms)...);
      },
      body_terms);
}

template <class X, class Indices, class Op, class... A>
constexpr auto derive_node(node<Op, A...> const& n) {
  return [&]<std::size_t... K>(std::index_sequence<K...>) {
    auto for_arg = [&]<std::size_t P>(std::integral_constant<std::size_t, P>) {
      auto arg_terms = derive<X, Indices>(get<P>(n.args));
      return detail::apply(
          [&](auto const&... terms) {
            return detail::tuple_cat([&]<class S, class C>(contribution<S, C> const& term) {
              auto chained = chain<P>(n, term.coefficient);
              if constexpr (std::is_same_v<decltype(chained), no_partial>)
                return detail::tuple<>{};
              else
                return detail::make_tuple(make_contribution<S>(chained));
            }(terms)...);
          },
          arg_terms);
    };
    return detail::tuple_cat(for_arg(std::integral_constant<std::size_t, K>{})...);
  }
  (std::index_sequence_for<A...>{});
}

template <class X, class Indices, class E>
constexpr auto derive(E const& e) {
  using detail::node_kind;
  constexpr node_kind kind = detail::kind_v<E>;
  if constexpr (!detail::contains_symbol_v<E, X> || kind == node_kind::witness) {
    return detail::tuple<>{};  // a witness is 1 wherever it is defined
  } else if constexpr (kind == node_kind::scalar) {
    return detail::make_tuple(make_contribution<detail::type_list<>>(c<1>));
  } else if constexpr (kind == node_kind::access) {
    return derive_access<Indices>(e);
  } else if constexpr (kind == node_kind::node) {
    return derive_node<X, Indices>(e);
  } else {
    static_assert(kind == node_kind::reduce, "lossforge: grad has no rule for this kind of node");
    return derive_reduce<X, Indices>(e);
  }
}

// A map left at the top (an index that no reduction of the expression binds, as in the gradient indices of an
// earlier grad) becomes a Kronecker delta.
template <class M>
inline constexpr bool is_window_mapping_v = false;
template <class P, class O, class To, bool Open, bool Padded>
inline constexpr bool is_window_mapping_v<window_mapping<P, O, To, Open, Padded>> = true;
template <class Sigma, class C>
constexpr auto close(contribution<Sigma, C> const& term) {
  static_assert(![]<class... M>(detail::type_list<M...>) { return (is_window_mapping_v<M> || ...); }(Sigma{}),
                "lossforge: internal: a windowed access whose position no reduction binds");
  return [&]<class... M>(detail::type_list<M...>) { return (term.coefficient * ... * mapping_delta(M{})); }(Sigma{});
}

// The bare tensors the loss reads together with bare X (in X's scopes, detail::flat_scopes_t) that derivative D no
// longer reads at X's gradient index G, as witnesses at G: 1 with their shapes, so that a backend still sees what
// X's positions broadcast to and refuses a stretched X (its gradient would sum over the stretched dimensions; d/dw of
// sum(w + x) is not 1 where w [3] meets x [2, 3]) rather than return one position's share.
template <class X, class G, class Loss, class D>
struct lost_neighbours {
  template <class... Scope>
  static auto of(detail::type_list<Scope...>) -> detail::set_union_t<
      detail::type_list<>, std::conditional_t<detail::contains_v<Scope, detail::extent_source<X, flat_position>>,
                                              detail::scope_symbols_t<Scope>, detail::type_list<>>...>;
  using present = detail::scope_symbols_t<detail::extent_sources_t<G, D>>;
  template <class... S>
  static auto witnesses(detail::type_list<S...>)
      -> decltype((detail::type_list<>{} + ... +
                   std::conditional_t<std::is_same_v<S, X> || detail::contains_v<present, S>, detail::type_list<>,
                                      detail::type_list<witness<access<S, G>>>>{}));
  using type = decltype(witnesses(of(detail::flat_scopes_t<Loss>{})));
};

// A derivative that does not depend on some position of X (grad(sum(p), p) = 1) still has X's shape, and keeps the
// shapes of the bare tensors X met (lost_neighbours).
template <class X, class Indices, class Loss, class D>
constexpr auto shaped_like(D const& derivative) {
  if constexpr (TensorSymbol<X>) {
    using uses = detail::symbol_uses<X, Loss>;
    using positions = std::conditional_t<uses::flat, std::integer_sequence<int, flat_position>,
                                         std::make_integer_sequence<int, uses::rank>>;
    return [&]<int... P>(std::integer_sequence<int, P...>) {
      using missing = decltype((
          detail::type_list<>{} + ... +
          std::conditional_t<detail::contains_v<detail::free_indices_t<D>, typename Indices::template at<P>>,
                             detail::type_list<>, detail::type_list<ones<typename Indices::template at<P>>>>{}));
      using lost = std::conditional_t<
          uses::flat, typename lost_neighbours<X, typename Indices::template at<flat_position>, Loss, D>::type,
          detail::type_list<>>;
      auto const shaped = [&] {
        if constexpr (missing::size == 0)
          return derivative;
        else
          return [&]<class... O>(detail::type_list<O...>) {
            return detail::make_product(detail::make_tuple(derivative, O{}...));
          }(missing{});
      }();
      // Multiplied in as they are (not numbered apart, not canonical: the canonical product would find them redundant
      // next to X's own read).
      return [&]<class... W>(detail::type_list<W...>) { return detail::fold_left<ops::mul>(shaped, W{}...); }(lost{});
    }
    (positions{});
  } else {
    return derivative;
  }
}

template <class X, class Loss>
constexpr auto grad_one(Loss const& loss) {
  using uses = detail::symbol_uses<X, Loss>;
  static_assert(Expression<X> || TensorSymbol<X>, LOSSFORGE_MSG_GRAD_NOT_A_SYMBOL);
  if constexpr (detail::is_int_tensor<X>::value) {
    static_assert(!detail::is_int_tensor<X>::value, LOSSFORGE_MSG_GRAD_OF_INT_TENSOR);
    return c<0>;
  } else if constexpr (!detail::contains_symbol_v<Loss, X>) {
    static_assert(detail::contains_symbol_v<Loss, X>, LOSSFORGE_MSG_GRAD_ABSENT_SYMBOL);
    return c<0>;
  } else if constexpr (detail::bound_free_indices_t<Loss>::size != 0) {
    static_assert(detail::bound_free_indices_t<Loss>::size == 0, LOSSFORGE_MSG_FREE_INDEX_IN_LOSS);
    return c<0>;
  } else {
    static_assert(uses::consistent_rank, LOSSFORGE_MSG_INCONSISTENT_RANK);
    static_assert(!uses::mixed, LOSSFORGE_MSG_MIXED_ACCESS);
    static_assert(!uses::repeated_index, LOSSFORGE_MSG_REPEATED_INDEX);
    using indices = gradient_indices<X, Loss, detail::gradient_depth_v<Loss> + 1>;
    // Differentiate the simplified loss, so that the stable forms (log_sigmoid, logsumexp) are what is derived.
    // Its numbers are frozen meanwhile: the derivative's copies of a number keep its identity (literal_identity.hpp).
    auto terms = derive<X, indices>(detail::freeze_literals(simplify(loss)));
    auto derivative = simplify(detail::apply([](auto const&... t) { return (c<0> + ... + close(t)); }, terms));
    return shaped_like<X, indices, Loss>(detail::thaw_literals(derivative));
  }
}

}  // namespace diff

// grad(loss, x): d(loss)/dx as a simplified expression whose free indices are x's gradient indices.
// grad(loss, x, y, ...): a std::tuple of the derivatives with respect to each symbol.
template <class Loss, class... Symbols>
requires(sizeof...(Symbols) > 0) constexpr auto grad(Loss const& loss, Symbols const&...) {
  auto expr = as_expression(loss);
  static_assert(!(detail::reaches_through_primitive_v<decltype(expr), Symbols> || ...),
                LOSSFORGE_MSG_GRAD_THROUGH_PRIMITIVE);
  if constexpr (sizeof...(Symbols) == 1)
    return diff::grad_one<Symbols...>(expr);
  else
    return std::make_tuple(diff::grad_one<Symbols>(expr)...);
}

}  // namespace lossforge
