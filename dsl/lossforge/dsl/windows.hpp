#pragma once
// Windowed accesses. x(h + u), with u a window_index, reads x at position h + u: a slot that is the sum of an index
// h (the window's position) and the window's offset u. u takes its extent from a tensor it indexes by itself (the
// window's weights w(u)); h runs over the positions where the whole window lies inside x, x's dimension less u's
// extent plus one, as a valid convolution does, or, with zero_padded(h + u), over x's dimension, the window reading
// zeros past x's edges. No other index arithmetic stands in a slot.
//
// In a derivative the offset may be a gradient index: the gradient with respect to the weights w reads x at h + G,
// where G runs over w's positions.
#include <type_traits>

#include <lossforge/dsl/expr.hpp>
#include <lossforge/dsl/ops.hpp>
#include <lossforge/dsl/type_list.hpp>

namespace lossforge {
// A window that may extend past x's edges, reading zeros there: zero_padded(h + u) reads x at h + u - (K - 1) / 2,
// K the window's extent, and h runs over x's dimension (PyTorch's padding='same'; an odd window is centred on h).
template <class H, class U>
struct padded_window {
  using position = H;
  using offset = U;
};

// The position of a window's index Of where the gradient of a windowed access x(h + u) reads it: G - U, or
// G - U + (K - 1) / 2 for a zero-padded window. The sum over h collapses onto the one position whose window reads x
// at G (diff/grad.hpp), and a where() around it keeps that position among h's. An index whose position is computed:
// it depends on G and U, and runs over no loop of its own.
template <class G, class U, class Of, bool Padded>
struct window_position {
  using base = G;
  using offset = U;
  using of = Of;
  static constexpr bool padded = Padded;
};
}  // namespace lossforge

namespace lossforge::detail {
template <class G, class U, class Of, bool P>
struct is_index<window_position<G, U, Of, P>> : std::true_type {};
template <class G, class U, class Of, bool P>
struct is_expression<window_position<G, U, Of, P>> : std::true_type {};
template <class H, class U>
struct is_index<padded_window<H, U>> : std::true_type {};
template <class H, class U>
struct is_expression<padded_window<H, U>> : std::true_type {};

template <class I>
inline constexpr bool is_window_position_v = false;
template <class G, class U, class Of, bool P>
inline constexpr bool is_window_position_v<window_position<G, U, Of, P>> = true;
template <class I>
inline constexpr bool is_padded_window_v = false;
template <class H, class U>
inline constexpr bool is_padded_window_v<padded_window<H, U>> = true;
// Whether a slot reads its tensor at an index's own position (a loop's), rather than at a computed one.
template <class Slot>
inline constexpr bool reads_directly_v =
    is_index<Slot>::value && !is_window_position_v<Slot> && !is_padded_window_v<Slot>;

// A position along the dimension a window slides on, standing for h + u in a buffer computed once per position and
// read at h + u (the rows of a separable window, plan/intermediates.hpp).
template <class H, class U>
struct window_sum_position {
  using position = H;
  using offset = U;
};
template <class H, class U>
struct is_index<window_sum_position<H, U>> : std::true_type {};
template <class H, class U>
struct is_expression<window_sum_position<H, U>> : std::true_type {};
template <class I>
inline constexpr bool is_window_sum_position_v = false;
template <class H, class U>
inline constexpr bool is_window_sum_position_v<window_sum_position<H, U>> = true;

// The indices index I's position depends on: I itself, a window position's G and U, or those of a padded window's
// position and its offset.
template <class I>
struct index_parts {
  using type = type_list<I>;
};
template <class G, class U, class Of, bool P>
struct index_parts<window_position<G, U, Of, P>> {
  using type = type_list<G, U>;
};
template <class H, class U>
struct index_parts<padded_window<H, U>> {
  using type = set_union_t<typename index_parts<H>::type, type_list<U>>;
};
template <class I>
using index_parts_t = typename index_parts<I>::type;

// A computed index with its parts mapped by f (a renaming, a substitution), as map_slots maps an access's slots.
template <class G, class U, class Of, bool P, class F>
constexpr auto map_index_parts(window_position<G, U, Of, P>, F const& f) {
  return window_position<decltype(f(G{})), decltype(f(U{})), Of, P>{};
}
template <class H, class U, class F>
constexpr auto map_index_parts(padded_window<H, U>, F const& f) {
  return padded_window<decltype(f(H{})), decltype(f(U{}))>{};
}

// The window positions in index I: I, or a padded window's position.
template <class I>
struct window_positions_of {
  using type = type_list<>;
};
template <class G, class U, class Of, bool P>
struct window_positions_of<window_position<G, U, Of, P>> {
  using type = type_list<window_position<G, U, Of, P>>;
};
template <class H, class U>
struct window_positions_of<padded_window<H, U>> : window_positions_of<H> {};

// A fresh index of I's kind: u' beside u.
template <class I>
struct primed;
template <fixed_string N>
struct primed<index<N>> {
  using type = index<N.primed()>;
};
template <fixed_string N>
struct primed<window_index<N>> {
  using type = window_index<N.primed()>;
};
template <class I>
using primed_t = typename primed<I>::type;

template <class I>
inline constexpr bool is_window_offset_v = false;
template <fixed_string N>
inline constexpr bool is_window_offset_v<window_index<N>> = true;
template <class S, int P, int D, fixed_string N>
inline constexpr bool is_window_offset_v<gradient_index<S, P, D, N>> = true;

// Slot as a window: position and offset, and whether it is zero-padded, where Slot is one.
template <class Slot>
struct window_slot {
  static constexpr bool value = false;
};
template <class A, class B>
requires(is_index<A>::value&& is_index<B>::value &&
         (is_window_offset_v<A> != is_window_offset_v<B>)) struct window_slot<node<ops::add, A, B>> {
  static constexpr bool value = true;
  static constexpr bool padded = false;
  using position = std::conditional_t<is_window_offset_v<A>, B, A>;
  using offset = std::conditional_t<is_window_offset_v<A>, A, B>;
};
template <class H, class U>
struct window_slot<padded_window<H, U>> {
  static constexpr bool value = true;
  static constexpr bool padded = true;
  using position = H;
  using offset = U;
};
template <class Slot>
inline constexpr bool is_window_slot_v = window_slot<Slot>::value;

// A slot as read: a window slot whose position is a window position of its own offset, (G - u) + u (or, zero-padded,
// (G - u + (K - 1) / 2) + u - (K - 1) / 2), reads at G; any other slot as it stands. So the gradient's read of x at
// the element it is taken for is x[G] itself, which no sum over u depends on.
template <class Slot>
struct collapsed_slot {
  using type = Slot;
};
template <class Slot>
requires is_window_slot_v<Slot>
struct collapsed_slot<Slot> {
  using window = window_slot<Slot>;
  template <class P>
  struct own_position {
    using type = Slot;
  };
  template <class G, class Of>
  struct own_position<window_position<G, typename window::offset, Of, window::padded>> {
    using type = G;
  };
  using type = typename own_position<typename window::position>::type;
};
template <class Slot>
constexpr auto collapse_slot(Slot const& slot) {
  if constexpr (std::is_same_v<typename collapsed_slot<Slot>::type, Slot>)
    return slot;
  else
    return typename collapsed_slot<Slot>::type{};
}

// Whether a slot never reads outside its tensor, at any position of its indices: an index's position, a window slot
// whose position is an index's (its extent is the dimension less the window's), a zero-padded window (a zero there).
// A window position may lie outside.
template <class Slot>
inline constexpr bool in_bounds_slot_v = reads_directly_v<Slot>;
template <class Slot>
requires is_window_slot_v<Slot>
inline constexpr bool in_bounds_slot_v<Slot> =
    window_slot<Slot>::padded || reads_directly_v<typename window_slot<Slot>::position>;

}  // namespace lossforge::detail

namespace lossforge {
// zero_padded(h + u): the window h + u with zeros past x's edges (padded_window).
template <fixed_string H, fixed_string U>
constexpr padded_window<index<H>, window_index<U>> zero_padded(node<ops::add, index<H>, window_index<U>>) {
  return {};
}
template <fixed_string H, fixed_string U>
constexpr padded_window<index<H>, window_index<U>> zero_padded(node<ops::add, window_index<U>, index<H>>) {
  return {};
}
}  // namespace lossforge
