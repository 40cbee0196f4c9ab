#pragma once
// Replaces every free occurrence of index From by index To. A reduction over From shadows it. To is an index no
// reduction binds (a gradient index, a kernel's row, a buffer's index), so no capture can occur; or a window's
// position G - u, where the gradient of a windowed access x(h + u) reads h (windows.hpp): a reduction over u inside
// is renamed u' first.
#include <lossforge/dsl/extent_sources.hpp>
#include <lossforge/dsl/ops.hpp>
#include <lossforge/dsl/transform.hpp>
#include <lossforge/dsl/windows.hpp>

namespace lossforge::detail {

// What From's extent and ones become. A window's position G - u stands for the index it replaced, whose extent is G's
// less u's plus one (the valid positions of a window of u's extent along G's dimension), or G's (a zero-padded
// window's); its ones are one.
template <class To>
struct replaced_leaves {
  using extent_type = extent<To>;
  using ones_type = ones<To>;
};
template <class G, class U, class Of, bool Padded>
struct replaced_leaves<window_position<G, U, Of, Padded>> {
  using extent_type =
      std::conditional_t<Padded, extent<G>, node<ops::add, node<ops::sub, extent<G>, extent<U>>, constant<1>>>;
  using ones_type = constant<1>;
};

template <class From, class To, class E>
constexpr auto substitute(E const& e);
template <class From, class To, class S, class... Sl>
constexpr auto substitute(access<S, Sl...> const& a);
template <class From, class To, class A>
constexpr auto substitute(witness<A> const&);
template <class From, class To, class Op, class... A>
constexpr auto substitute(node<Op, A...> const& n);
template <class From, class To, class Op, class I, class B>
constexpr auto substitute(reduce<Op, I, B> const& r);

template <class From, class To, class E>
constexpr auto substitute(E const& e) {
  if constexpr (std::is_same_v<E, From>)
    return To{};
  else if constexpr (std::is_same_v<E, extent<From>>)
    return typename replaced_leaves<To>::extent_type{};
  else if constexpr (std::is_same_v<E, ones<From>>)
    return typename replaced_leaves<To>::ones_type{};
  else if constexpr (is_window_position_v<E> || is_padded_window_v<E>)  // a part renamed, or a position collapsed
    return map_index_parts(e, [](auto const& part) { return substitute<From, To>(part); });
  else {
    static_assert(is_leaf_v<E>, "lossforge: substitute has no case for this node kind");
    return e;
  }
}
template <class From, class To, class A>
constexpr auto substitute(witness<A> const&) {
  return witness<decltype(substitute<From, To>(A{}))>{};
}
template <class From, class To, class S, class... Sl>
constexpr auto substitute(access<S, Sl...> const& a) {
  return map_slots(a, [](auto const& s) { return collapse_slot(substitute<From, To>(s)); });
}
template <class From, class To, class Op, class... A>
constexpr auto substitute(node<Op, A...> const& n) {
  if constexpr (std::is_same_v<node<Op, A...>, From>)  // a window slot h + u read as the position it stands for
    return To{};
  else
    return map_args(n, [](auto const& x) { return substitute<From, To>(x); });
}
template <class From, class To, class Op, class I, class B>
constexpr auto substitute(reduce<Op, I, B> const& r) {
  if constexpr (std::is_same_v<I, From>) {
    return r;
  } else if constexpr (contains_v<index_parts_t<To>, I>) {
    // To reads I (a window position G - u inside a sum over another u): that sum is renamed first, so that To keeps
    // reading the u it was made with.
    using fresh = primed_t<I>;
    auto const renamed = substitute<I, fresh>(r.body);
    return substitute<From, To>(reduce<Op, fresh, std::remove_const_t<decltype(renamed)>>{renamed});
  } else {
    return reduce<Op, I, decltype(substitute<From, To>(r.body))>{substitute<From, To>(r.body)};
  }
}

}  // namespace lossforge::detail
