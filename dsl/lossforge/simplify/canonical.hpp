#pragma once
// Canonical forms that make equal expressions equal types: sums and products are flattened, their numeric parts
// folded (numbers.hpp), like terms combined, and the remaining
// operands sorted by a total order on types. Subtraction and negation are expressed as multiplication by -1.
#include <algorithm>
#include <array>
#include <string_view>
#include <tuple>
#include <utility>

#include <lossforge/dsl/extent_sources.hpp>
#include <lossforge/dsl/reductions.hpp>
#include <lossforge/dsl/symbol_uses.hpp>
#include <lossforge/simplify/numbers.hpp>

namespace lossforge::detail {

// ---- a total order on expression types -------------------------------------------------------------------------
template <class T>
constexpr std::string_view type_spelling() {
  return __PRETTY_FUNCTION__;
}
// Measured once per type: the comparisons of a sort then cost their common prefix, not the spelling's length.
template <class T>
inline constexpr std::string_view type_key = type_spelling<T>();
// Numbers first (so 2 * x, not x * 2), then symbols, indices, accesses, op nodes, reductions.
template <class T>
constexpr int kind_rank() {
  if constexpr (Numeric<T>)
    return 0;
  else if constexpr (is_expression<T>::value && symbols_of_t<T>::size == 1 && !is_node_v<T> && !is_reduce_v<T>)
    return 1;
  else if constexpr (is_node_v<T>)
    return 3;
  else if constexpr (is_reduce_v<T>)
    return 4;
  else
    return 2;
}

// Within a kind, types compare by structure: a template of type arguments (a node, a reduction, an access) by its
// template's name, then its arguments in order, each compared the same way (a longer list first where one is the
// start of the other); any other type (a symbol, an index, an op tag) by its spelling. Spelling a whole expression
// type instead would cost its full size for every new type, and sums of large terms are sorted at every level.
template <template <class...> class Template>
struct template_name {};
template <class T>
struct structure {
  static constexpr bool composite = false;
};
template <template <class...> class Template, class... Args>
struct structure<Template<Args...>> {
  static constexpr bool composite = true;
  using name = template_name<Template>;
  using args = type_list<Args...>;
};

template <class A, class B>
constexpr bool structure_less();
template <class... A, class... B>
constexpr bool arguments_less(type_list<A...>, type_list<B...>) {
  if constexpr (sizeof...(A) == 0 || sizeof...(B) == 0) {
    return sizeof...(A) > sizeof...(B);
  } else {
    return []<class A0, class... AR, class B0, class... BR>(type_list<A0, AR...>, type_list<B0, BR...>) {
      if constexpr (std::is_same_v<A0, B0>)
        return arguments_less(type_list<AR...>{}, type_list<BR...>{});
      else
        return structure_less<A0, B0>();
    }(type_list<A...>{}, type_list<B...>{});
  }
}
// Memoized per pair: the sorts of a simplification compare the same subtrees again and again.
template <class A, class B>
inline constexpr bool structure_less_v = [] {
  using SA = structure<A>;
  using SB = structure<B>;
  if constexpr (!SA::composite || !SB::composite)
    return type_key<A> < type_key<B>;
  else if constexpr (!std::is_same_v<typename SA::name, typename SB::name>)
    return type_key<typename SA::name> < type_key<typename SB::name>;
  else
    return arguments_less(typename SA::args{}, typename SB::args{});
}();
template <class A, class B>
constexpr bool structure_less() {
  return structure_less_v<A, B>;
}

template <class A, class B>
constexpr bool type_less() {
  if constexpr (kind_rank<A>() != kind_rank<B>())
    return kind_rank<A>() < kind_rank<B>();
  else
    return structure_less_v<A, B>;
}

// The positions of Ts... in sorted order (stable).
template <class... Ts>
constexpr auto sorted_positions() {
  constexpr std::size_t n = sizeof...(Ts);
  std::array<std::size_t, n> rank{};
  constexpr std::array<std::array<bool, n>, n> less = [] {
    std::array<std::array<bool, n>, n> table{};
    std::size_t row = 0;
    (
        [&]<class A>(std::type_identity<A>) {
          std::size_t col = 0;
          ((table[row][col++] = type_less<A, Ts>()), ...);
          ++row;
        }(std::type_identity<Ts>{}),
        ...);
    return table;
  }();
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = 0; b < n; ++b)
      if (less[b][a] || (!less[a][b] && b < a)) ++rank[a];
  std::array<std::size_t, n> order{};
  for (std::size_t a = 0; a < n; ++a) order[rank[a]] = a;
  return order;
}

template <class... Ts>
constexpr auto sort_tuple(tuple<Ts...> const& t) {
  constexpr auto order = sorted_positions<Ts...>();
  return [&]<std::size_t... K>(std::index_sequence<K...>) { return make_tuple(get<order[K]>(t)...); }
  (std::index_sequence_for<Ts...>{});
}

// ---- products --------------------------------------------------------------------------------------------------
template <class E>
inline constexpr bool is_mul_v = false;
template <class A, class B>
inline constexpr bool is_mul_v<node<ops::mul, A, B>> = true;
template <class E>
inline constexpr bool is_add_v = false;
template <class A, class B>
inline constexpr bool is_add_v<node<ops::add, A, B>> = true;

template <class E>
constexpr auto factors(E const& e) {
  if constexpr (is_mul_v<E>)
    return detail::tuple_cat(factors(arg<0>(e)), factors(arg<1>(e)));
  else
    return make_tuple(e);
}
template <class E>
constexpr auto terms(E const& e) {
  if constexpr (is_add_v<E>)
    return detail::tuple_cat(terms(arg<0>(e)), terms(arg<1>(e)));
  else
    return make_tuple(e);
}

template <class Op, class Acc>
constexpr auto fold_left(Acc const& acc) {
  return acc;
}
template <class Op, class Acc, class Next, class... Rest>
constexpr auto fold_left(Acc const& acc, Next const& next, Rest const&... rest) {
  return fold_left<Op>(node<Op, Acc, Next>{make_tuple(acc, next)}, rest...);
}
// ((a op b) op c) ... of a non-empty tuple.
template <class Op, class... Ts>
constexpr auto left_chain(tuple<Ts...> const& t) {
  return detail::apply([](auto const&... x) { return fold_left<Op>(x...); }, t);
}

template <template <class> class Keep, class... Ts>
constexpr auto keep_if(tuple<Ts...> const& t) {
  return detail::apply(
      [](auto const&... x) {
        return detail::tuple_cat([]<class X>(X const& value) {
          if constexpr (Keep<X>::value)
            return make_tuple(value);
          else
            return tuple<>{};
        }(x)...);
      },
      t);
}
template <class T>
struct is_numeric : std::bool_constant<Numeric<T>> {};
template <class T>
struct is_not_numeric : std::bool_constant<!Numeric<T>> {};

// coefficient * (sorted product of the other factors), with 0 and 1 coefficients removed.
// Factors that carry shape and must survive a zero coefficient.
template <class T>
struct is_shape_carrier : std::false_type {};
template <class I>
struct is_shape_carrier<ones<I>> : std::true_type {};
template <class A>
struct is_shape_carrier<witness<A>> : std::true_type {};
// A reduction whose body only carries shape carries it too (0 * sum_j(witness<e[j,d]>) keeps d free).
template <class Op, class I, class B>
struct is_shape_carrier<reduce<Op, I, B>> : is_shape_carrier<B> {};

// ones<I> is 1 carrying I's shape, witness<A> 1 carrying the extents of A's indices: next to a factor (other than
// these) that has I free, or gives every index of A its extent, they are redundant.
template <class Factors>
struct needed_in;
template <class... Fs>
struct needed_in<tuple<Fs...>> {
  template <class I>
  static constexpr bool carried = ((!is_shape_carrier<Fs>::value && contains_v<free_indices_t<Fs>, I>) || ...);
  template <class I>
  static constexpr bool given_extent = ((!is_shape_carrier<Fs>::value && extent_sources_t<I, Fs>::size != 0) || ...);
  template <class F>
  struct test : std::true_type {};
  template <class I>
  struct test<ones<I>> : std::bool_constant<!carried<I>> {};
  template <class A>
  struct test<witness<A>> : std::bool_constant<![]<class... I>(type_list<I...>) {
    return ((carried<I> && given_extent<I>)&&...);
  }(free_indices_t<A>{})> {};
};

template <class Coefficient, class... Fs>
constexpr auto product_of(Coefficient coefficient, tuple<Fs...> const& others) {
  if constexpr (std::is_same_v<Coefficient, constant<0>>) {
    // Zero, but a zero that keeps the shape its ones<I> and witness<A> factors give it.
    auto shape = keep_if<is_shape_carrier>(others);
    if constexpr (tuple_size_v<decltype(shape)> == 0)
      return c<0>;
    else
      return node<ops::mul, constant<0>, decltype(left_chain<ops::mul>(shape))>{
          make_tuple(c<0>, left_chain<ops::mul>(shape))};
  } else if constexpr (sizeof...(Fs) == 0) {
    return coefficient;
  } else {
    auto rest = left_chain<ops::mul>(sort_tuple(others));
    if constexpr (std::is_same_v<Coefficient, constant<1>>)
      return rest;
    else
      return node<ops::mul, Coefficient, decltype(rest)>{make_tuple(coefficient, rest)};
  }
}

template <class E>
inline constexpr bool is_div_v = false;
template <class A, class B>
inline constexpr bool is_div_v<node<ops::div, A, B>> = true;

// The factors above (Above = true) or below the fraction bar: a * (b / c) / (d / e) has a, b, e above and c, d
// below. A division swaps the sides of its denominator's factors.
template <bool Above, class E>
constexpr auto fraction_side(E const& e);
// The factors on one side of the fraction bar of a product of factors fs.
template <bool Above, class... Fs>
constexpr auto fraction_side_of(tuple<Fs...> const& fs) {
  return detail::apply([](auto const&... f) { return detail::tuple_cat(fraction_side<Above>(f)...); }, fs);
}
template <bool Above, class E>
constexpr auto fraction_side(E const& e) {
  if constexpr (is_div_v<E>)
    return detail::tuple_cat(fraction_side_of<Above>(factors(arg<0>(e))), fraction_side_of<!Above>(factors(arg<1>(e))));
  else if constexpr (Above)
    return make_tuple(e);
  else
    return tuple<>{};
}
// The factors above and below the fraction bar of a product, as a pair of tuples.
template <class E>
constexpr auto fraction_sides(E const& e) {
  auto const fs = factors(e);
  return std::make_pair(fraction_side_of<true>(fs), fraction_side_of<false>(fs));
}
// 1 / f for each factor f.
template <class... Fs>
constexpr auto reciprocals(tuple<Fs...> const& fs) {
  return detail::apply(
      [](auto const&... f) { return make_tuple(node<ops::div, constant<1>, Fs>{make_tuple(c<1>, f)}...); }, fs);
}
template <class T, class Tuple>
inline constexpr bool tuple_contains_v = false;
template <class T, class... Ts>
inline constexpr bool tuple_contains_v<T, tuple<Ts...>> = (std::is_same_v<T, Ts> || ...);
// The tuple without its first element of type T (which it contains).
template <class T, class... Ts>
constexpr auto without_first(tuple<Ts...> const& t) {
  constexpr std::size_t first = first_true<std::is_same_v<Ts, T>...>();
  return [&]<std::size_t... K>(std::index_sequence<K...>) {
    return detail::tuple_cat([&] {
      if constexpr (K == first)
        return tuple<>{};
      else
        return make_tuple(get<K>(t));
    }()...);
  }
  (std::index_sequence_for<Ts...>{});
}

template <class... Fs>
constexpr auto numeric_product(tuple<Fs...> const& fs) {
  return detail::apply([](auto const&... n) { return fold_numbers<multiply_tag>(c<1>, n...); },
                       keep_if<is_numeric>(fs));
}

// A canonical product of already simplified operands: coefficient * (sorted numerator / sorted denominator).
template <class... Fs>
constexpr auto make_product(tuple<Fs...> const& fs) {
  auto const above = fraction_side_of<true>(fs);
  auto const below = fraction_side_of<false>(fs);
  auto const coefficient = multiply_numbers(numeric_product(above), reciprocal(numeric_product(below)));
  using all_factors = decltype(detail::tuple_cat(above, below));
  auto const top_factors = keep_if<needed_in<all_factors>::template test>(keep_if<is_not_numeric>(above));
  auto const below_rest = keep_if<is_not_numeric>(below);
  if constexpr (tuple_size_v<decltype(below_rest)> == 0 ||
                std::is_same_v<decltype(numeric_product(above)), constant<0>>) {
    return product_of(coefficient, top_factors);
  } else {
    auto const bottom = left_chain<ops::mul>(sort_tuple(below_rest));
    auto const top = [&] {
      if constexpr (tuple_size_v<decltype(top_factors)> == 0)
        return c<1>;
      else
        return left_chain<ops::mul>(sort_tuple(top_factors));
    }();
    using fraction = node<ops::div, std::remove_const_t<decltype(top)>, std::remove_const_t<decltype(bottom)>>;
    return product_of(coefficient, make_tuple(fraction{make_tuple(top, bottom)}));
  }
}

// ---- sums ------------------------------------------------------------------------------------------------------
// A term is coefficient * rest; terms with the same rest combine.
struct unit {};  // the rest of a term that is a plain number

template <class Coefficient, class Rest>
struct split_term {
  Coefficient coefficient;
  Rest rest;
};
template <class T>
constexpr auto split(T const& t) {
  if constexpr (Numeric<T>) {
    return split_term<T, unit>{t, {}};
  } else if constexpr (is_mul_v<T>) {
    using head = std::remove_cvref_t<decltype(arg<0>(t))>;
    if constexpr (Numeric<head>)
      return split_term<head, std::remove_cvref_t<decltype(arg<1>(t))>>{arg<0>(t), arg<1>(t)};
    else
      return split_term<constant<1>, T>{c<1>, t};
  } else {
    return split_term<constant<1>, T>{c<1>, t};
  }
}

template <class C, class R>
constexpr auto rebuild(C coefficient, R const& rest) {
  if constexpr (std::is_same_v<R, unit>) {
    if constexpr (std::is_same_v<C, constant<0>>)
      return tuple<>{};
    else
      return make_tuple(coefficient);
  } else {
    if constexpr (std::is_same_v<C, constant<0>>)
      return tuple<>{};
    else
      return make_tuple(product_of(coefficient, make_tuple(rest)));
  }
}

template <class T, class... Ts>
constexpr std::size_t first_index_of(tuple<Ts...>) {
  return first_true<std::is_same_v<Ts, T>...>();
}
template <class Rest, class C, class R>
constexpr auto coefficient_if_rest(split_term<C, R> const& s) {
  if constexpr (std::is_same_v<R, Rest>)
    return s.coefficient;
  else
    return c<0>;
}

// A canonical sum of already simplified operands.
template <class... Ts>
constexpr auto make_sum(tuple<Ts...> const& ts) {
  auto parts = detail::apply([](auto const&... t) { return make_tuple(split(t)...); }, ts);
  using rest_types = tuple<decltype(split(std::declval<Ts>()).rest)...>;
  auto kept = [&]<std::size_t... K>(std::index_sequence<K...>) {
    return detail::tuple_cat([&]<std::size_t P>(std::integral_constant<std::size_t, P>) {
      using rest = tuple_element_t<P, rest_types>;
      if constexpr (first_index_of<rest>(rest_types{}) != P) {
        return tuple<>{};
      } else {
        auto coefficient = detail::apply(
            [](auto const&... p) { return fold_numbers<add_tag>(c<0>, coefficient_if_rest<rest>(p)...); }, parts);
        return rebuild(coefficient, get<P>(parts).rest);
      }
    }(std::integral_constant<std::size_t, K>{})...);
  }
  (std::index_sequence_for<Ts...>{});
  if constexpr (tuple_size_v<decltype(kept)> == 0)
    return c<0>;
  else
    return left_chain<ops::add>(sort_tuple(kept));
}

}  // namespace lossforge::detail
