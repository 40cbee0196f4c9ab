#pragma once
// Symbols a user declares: tensors (float and integer), runtime scalars, indices and exact constants. A tensor
// called with indices, x(i, c), is an element access; used bare it stands for all of its elements.
#include <cstdint>
#include <numeric>
#include <tuple>
#include <type_traits>
#include <utility>

#include <lossforge/diagnostics.hpp>
#include <lossforge/dsl/expr.hpp>
#include <lossforge/dsl/literal_identity.hpp>
#include <lossforge/dsl/ops.hpp>
#include <lossforge/dsl/symbol_uses.hpp>

namespace lossforge {

// What `p = value` inside lf::bind(...) produces: a symbol paired with the data it stands for.
template <class Symbol, class Value>
struct binding {
  Value value;
};

namespace detail {
template <class... Symbols>
constexpr bool reads_only_integers(type_list<Symbols...>) {
  return (is_int_tensor<Symbols>::value && ...);
}

// Whether an index stands in E as a value (i + 1, where(i == 0, ...)) rather than as a slot of an access that E
// gathers with (t(i)).
struct index_as_value_visitor {
  template <class I>
  using on_index = std::true_type;
  template <class N>
  using on_number = std::false_type;
  template <class S>
  using on_scalar = std::false_type;
  template <class E, class I>
  using on_along = std::true_type;
  template <class A>
  using on_witness = std::false_type;
  template <class E, class S, class... Slots>
  using on_access = std::false_type;
  template <class E, class... Args>
  using on_node = std::bool_constant<(Args::value || ...)>;
  template <class E, class I, class Body>
  using on_reduce = Body;
};

// A window slot as a user writes it: a named index plus a window index (windows.hpp).
template <class Slot>
inline constexpr bool is_user_window_slot_v = false;
template <fixed_string H, fixed_string U>
inline constexpr bool is_user_window_slot_v<node<ops::add, index<H>, window_index<U>>> = true;
template <fixed_string H, fixed_string U>
inline constexpr bool is_user_window_slot_v<node<ops::add, window_index<U>, index<H>>> = true;

// A window slot is kept as position + offset however it is spelled, so that x(h + u) and x(u + h) are one
// subexpression (one buffer, one computation); the simplifier leaves that order alone.
template <class Slot>
constexpr auto as_slot(Slot const& s) {
  if constexpr (Index<Slot>) {
    return s;
  } else if constexpr (is_user_window_slot_v<Slot>) {
    return node<ops::add, typename window_slot<Slot>::position, typename window_slot<Slot>::offset>{};
  } else {
    static_assert(Operand<Slot> && !std::is_floating_point_v<Slot>, LOSSFORGE_MSG_SLOT_NOT_INDEX);
    static_assert(reads_only_integers(symbols_of_t<expression_t<Slot>>{}), LOSSFORGE_MSG_GATHER_FROM_FLOAT);
    static_assert(!fold_t<index_as_value_visitor, expression_t<Slot>>::value, LOSSFORGE_MSG_INDEX_ARITHMETIC);
    return as_expression(s);
  }
}

template <class Self>
struct symbol_base {
  template <class Value>
  constexpr binding<Self, std::decay_t<Value>> operator=(Value&& value) const {
    return {std::forward<Value>(value)};
  }
};

template <class Self, int Rank>
struct tensor_base : symbol_base<Self> {
  using symbol_base<Self>::operator=;
  static constexpr int rank = Rank;

  template <class... Slots>
  constexpr auto operator()(Slots const&... slots) const {
    static_assert(Rank == any_rank || sizeof...(Slots) == std::size_t(Rank), LOSSFORGE_MSG_RANK_MISMATCH);
    // The slots' numbers are numbered apart, as a node's operands (literal_identity.hpp).
    return detail::apply(
        [](auto const&... s) { return access<Self, std::remove_cvref_t<decltype(s)>...>{make_tuple(s...)}; },
        numbered_apart<0>(as_slot(slots)...));
  }
};
}  // namespace detail

template <fixed_string Name, int Rank>
struct tensor : detail::tensor_base<tensor<Name, Rank>, Rank> {
  using detail::tensor_base<tensor, Rank>::operator=;
  static constexpr auto name = Name;
};

template <fixed_string Name, int Rank>
struct int_tensor : detail::tensor_base<int_tensor<Name, Rank>, Rank> {
  using detail::tensor_base<int_tensor, Rank>::operator=;
  static constexpr auto name = Name;
};

template <fixed_string Name>
struct scalar : detail::symbol_base<scalar<Name>> {
  using detail::symbol_base<scalar>::operator=;
  static constexpr auto name = Name;
};

// Exact constants: lf::c<1, 2> is one half; 2_c is two.
namespace detail {
template <std::intmax_t N, std::intmax_t D>
constexpr auto reduced_constant() {
  static_assert(D != 0, "lossforge: a constant with denominator zero");
  constexpr std::intmax_t g = std::gcd(N, D) == 0 ? 1 : std::gcd(N, D);
  constexpr std::intmax_t sign = D < 0 ? -1 : 1;
  return constant<sign * N / g, sign * D / g>{};
}
}  // namespace detail

template <std::intmax_t N, std::intmax_t D = 1>
inline constexpr auto c = detail::reduced_constant<N, D>();

namespace literals {
template <char... Digits>
constexpr auto operator""_c() {
  constexpr std::intmax_t value = [] {
    std::intmax_t v = 0;
    ((v = v * 10 + (Digits - '0')), ...);
    return v;
  }();
  static_assert(((Digits >= '0' && Digits <= '9') && ...), "lossforge: _c takes a decimal integer such as 2_c");
  return constant<value, 1>{};
}
}  // namespace literals

}  // namespace lossforge
