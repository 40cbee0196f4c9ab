#pragma once
// Replaces every free occurrence of index From by index To. A reduction over From shadows it. To is always an index
// no reduction binds (a gradient index, a kernel's row, a buffer's index), so no capture can occur.
#include <lossforge/dsl/extent_sources.hpp>
#include <lossforge/dsl/transform.hpp>

namespace lossforge::detail {

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
    return extent<To>{};
  else if constexpr (std::is_same_v<E, ones<From>>)
    return ones<To>{};
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
  return map_slots(a, [](auto const& s) { return substitute<From, To>(s); });
}
template <class From, class To, class Op, class... A>
constexpr auto substitute(node<Op, A...> const& n) {
  return map_args(n, [](auto const& x) { return substitute<From, To>(x); });
}
template <class From, class To, class Op, class I, class B>
constexpr auto substitute(reduce<Op, I, B> const& r) {
  if constexpr (std::is_same_v<I, From>)
    return r;
  else
    return reduce<Op, I, decltype(substitute<From, To>(r.body))>{substitute<From, To>(r.body)};
}

}  // namespace lossforge::detail
