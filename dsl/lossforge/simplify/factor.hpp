#pragma once
// factored(e): e with the factors that the terms of each sum share taken out of them, for evaluation. A gradient is a
// sum of one term per path from the loss to the variable, and the paths share most of their factors: the sigmoid focal
// loss's gradient, four products of up to seven factors, becomes
//   A B / N (t (C s (2 (1 - g) - 2 g) - B) + (1 - g) B)
// with A the alpha weight, B = 1 - p_t, C the cross entropy, s = sigmoid(x), t = sigmoid(-x): 8 multiplications besides
// those inside A, B and C, where the sum of products takes 17. Greedily: of the factors that two or more terms of a sum
// hold (a base, above or below the fraction bar), the one the most terms hold comes out of them, to the least power in
// which they hold it; then the terms it came out of, and the others, are factored in turn. Reductions are left whole (a
// kernel computes them apart). The value is e's up to rounding where the terms are finite; with an infinite or NaN
// factor the two forms can differ (x inf + x 0 is NaN where x (inf + 0) is inf). The form is not canonical: it is for
// evaluating, not printing.
#include <type_traits>
#include <utility>

#include <lossforge/dsl/transform.hpp>
#include <lossforge/simplify/canonical.hpp>

namespace lossforge::detail {

// A factor as a power of its base: x^n and x^2 have base x; any other factor is its own base, to the first power.
template <class F>
struct power_of {
  using base = F;
  static constexpr int exponent = 1;
  static constexpr F const& base_of(F const& f) { return f; }
};
template <class Op, class X>
requires(std::is_same_v<Op, ops::square> ||
         (requires { Op::exponent; } && Op::exponent > 1)) struct power_of<node<Op, X>> {
  using base = X;
  static constexpr int exponent = [] {
    if constexpr (std::is_same_v<Op, ops::square>)
      return 2;
    else
      return Op::exponent;
  }();
  static constexpr X const& base_of(node<Op, X> const& f) { return arg<0>(f); }
};
template <int N, class X>
constexpr auto power(X const& x) {
  if constexpr (N == 1)
    return x;
  else
    return node<ops::ipow<N>, X>{make_tuple(x)};
}

// A factor that terms can share: a base above (Above) or below the fraction bar.
template <bool Above, class Base>
struct shared_factor {
  static constexpr bool above = Above;
  using base = Base;
};
template <bool Above, class Side>
struct side_factors;
template <bool Above, class... Fs>
struct side_factors<Above, tuple<Fs...>> {
  using type =
      set_union_t<type_list<>, std::conditional_t<Numeric<Fs>, type_list<>,
                                                  type_list<shared_factor<Above, typename power_of<Fs>::base>>>...>;
  // The position of the first factor of base B, and its exponent (0 when there is none).
  template <class B>
  static constexpr std::size_t position =
      first_true<(!Numeric<Fs> && std::is_same_v<typename power_of<Fs>::base, B>)...>();
  template <class B>
  static constexpr int exponent = [] {
    constexpr int exponents[] = {power_of<Fs>::exponent..., 0};
    return position<B> < sizeof...(Fs) ? exponents[position<B>] : 0;
  }();
};
// A term as the factors above and below its fraction bar (fraction_sides).
template <class Term>
struct term_sides {
  using pair = decltype(fraction_sides(std::declval<Term const&>()));
  using above = side_factors<true, std::remove_cvref_t<decltype(std::declval<pair>().first)>>;
  using below = side_factors<false, std::remove_cvref_t<decltype(std::declval<pair>().second)>>;
  using factors = decltype(typename above::type{} + typename below::type{});
  template <bool Above>
  using side = std::conditional_t<Above, above, below>;
};
template <class Term, class K>
inline constexpr bool holds_v = contains_v<typename term_sides<Term>::factors, K>;
// The number of the terms Ts that hold factor K.
template <class K, class... Ts>
constexpr int holders(type_list<Ts...>) {
  return (0 + ... + int(holds_v<Ts, K>));
}
// The position in Ks of the factor the most terms hold, if two or more do; -1 otherwise.
template <class Terms, class... Ks>
constexpr int most_held(type_list<Ks...>) {
  constexpr int count[] = {holders<Ks>(Terms{})..., 0};
  int best = -1;
  for (std::size_t k = 0; k < sizeof...(Ks); ++k)
    if (count[k] >= 2 && (best < 0 || count[k] > count[best])) best = int(k);
  return best;
}

// The product of one side's factors (1 when there is none).
template <class... Fs>
constexpr auto product_of_side(tuple<Fs...> const& fs) {
  if constexpr (sizeof...(Fs) == 0)
    return c<1>;
  else
    return left_chain<ops::mul>(fs);
}
// A term rebuilt from its sides: above / below.
template <class Above, class Below>
constexpr auto quotient(Above const& above, Below const& below) {
  if constexpr (tuple_size_v<Below> == 0)
    return product_of_side(above);
  else
    return node<ops::div, decltype(product_of_side(above)), decltype(product_of_side(below))>{
        make_tuple(product_of_side(above), product_of_side(below))};
}
// A side with N fewer powers of its first factor of base B.
template <class B, int N, class... Fs>
constexpr auto lowered(tuple<Fs...> const& fs) {
  constexpr std::size_t at = side_factors<true, tuple<Fs...>>::template position<B>;
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return tuple_cat([&] {
      if constexpr (I != at) {
        return make_tuple(get<I>(fs));
      } else {
        using F = tuple_element_t<I, tuple<Fs...>>;
        if constexpr (power_of<F>::exponent == N)
          return tuple<>{};
        else
          return make_tuple(power<power_of<F>::exponent - N>(power_of<F>::base_of(get<I>(fs))));
      }
    }()...);
  }
  (std::index_sequence_for<Fs...>{});
}
// Term t with N powers of factor K taken out.
template <class K, int N, class T>
constexpr auto without_factor(T const& t) {
  auto const sides = fraction_sides(t);
  if constexpr (K::above)
    return quotient(lowered<typename K::base, N>(sides.first), sides.second);
  else
    return quotient(sides.first, lowered<typename K::base, N>(sides.second));
}
// The base of factor K, from a term that holds it.
template <class K, class T>
constexpr typename K::base base_in(T const& t) {
  auto const sides = fraction_sides(t);
  auto const& side = [&]() -> auto const& {
    if constexpr (K::above)
      return sides.first;
    else
      return sides.second;
  }
  ();
  constexpr std::size_t at = term_sides<T>::template side<K::above>::template position<typename K::base>;
  return power_of<tuple_element_t<at, std::remove_cvref_t<decltype(side)>>>::base_of(get<at>(side));
}

template <class E>
constexpr auto factored(E const& e);

// The factored sum of terms ts (each already factored inside).
template <class... Ts>
constexpr auto factored_sum(tuple<Ts...> const& ts) {
  using candidates = set_union_t<type_list<>, typename term_sides<Ts>::factors...>;
  constexpr int best = most_held<type_list<Ts...>>(candidates{});
  if constexpr (best < 0) {
    return left_chain<ops::add>(ts);
  } else {
    using K =
        decltype([]<class... Ks>(type_list<Ks...>) { return get<std::size_t(best)>(tuple<Ks...>{}); }(candidates{}));
    constexpr bool holds[] = {holds_v<Ts, K>...};
    constexpr int exponents[] = {term_sides<Ts>::template side<K::above>::template exponent<typename K::base>...};
    constexpr int least = [&] {
      int n = 0;
      for (std::size_t k = 0; k < sizeof...(Ts); ++k)
        if (holds[k] && (n == 0 || exponents[k] < n)) n = exponents[k];
      return n;
    }();
    auto const parts = [&]<std::size_t... I>(std::index_sequence<I...>) {
      auto const held = tuple_cat([&] {
        if constexpr (holds[I])
          return make_tuple(without_factor<K, least>(get<I>(ts)));
        else
          return tuple<>{};
      }()...);
      auto const rest = tuple_cat([&] {
        if constexpr (holds[I])
          return tuple<>{};
        else
          return make_tuple(get<I>(ts));
      }()...);
      return std::make_pair(held, rest);
    }
    (std::index_sequence_for<Ts...>{});
    auto factor = power<least>(base_in<K>(get<first_true<holds_v<Ts, K>...>()>(ts)));
    auto inner = factored_sum(parts.first);
    auto out = [&] {
      if constexpr (K::above)
        return node<ops::mul, decltype(factor), decltype(inner)>{make_tuple(factor, inner)};
      else
        return node<ops::div, decltype(inner), decltype(factor)>{make_tuple(inner, factor)};
    }();
    if constexpr (tuple_size_v<decltype(parts.second)> == 0) {
      return out;
    } else {
      auto others = factored_sum(parts.second);
      return node<ops::add, decltype(out), decltype(others)>{make_tuple(out, others)};
    }
  }
}

template <class E>
constexpr auto factored(E const& e) {
  if constexpr (is_add_v<E>)
    return factored_sum(apply([](auto const&... t) { return make_tuple(factored(t)...); }, terms(e)));
  else if constexpr (is_node_v<E>)
    return map_args(e, [](auto const& a) { return factored(a); });
  else
    return e;  // a leaf, an access or a reduction
}
template <class E>
using factored_t = decltype(factored(std::declval<E const&>()));

}  // namespace lossforge::detail
