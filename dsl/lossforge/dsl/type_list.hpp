#pragma once
// Small type-level sets used by the passes (free indices, symbols). Folds over packs, no linear recursion.
#include <cstddef>
#include <type_traits>

namespace lossforge::detail {

template <class... Ts>
struct type_list {
  static constexpr std::size_t size = sizeof...(Ts);
};

template <class List, class T>
inline constexpr bool contains_v = false;
template <class... Ts, class T>
inline constexpr bool contains_v<type_list<Ts...>, T> = (std::is_same_v<Ts, T> || ...);

// Appending T unless present; a fold of this operator builds a set.
template <class... Ts, class T>
constexpr auto operator|(type_list<Ts...>, std::type_identity<T>) {
  if constexpr ((std::is_same_v<Ts, T> || ...))
    return type_list<Ts...>{};
  else
    return type_list<Ts..., T>{};
}

template <class... Lists>
struct set_union;
template <class... Lists>
using set_union_t = typename set_union<Lists...>::type;
template <>
struct set_union<> {
  using type = type_list<>;
};
template <class... Lists>
requires(sizeof...(Lists) > 0) struct set_union<Lists...> {
  template <class... Ts>
  static constexpr auto flatten(type_list<Ts...>) {
    return (type_list<>{} | ... | std::type_identity<Ts>{});
  }
  template <class... Ls>
  static constexpr auto concat(Ls...) {
    return [](auto... lists) { return (type_list<>{} + ... + lists); }(Ls{}...);
  }
  using type = decltype(flatten(concat(Lists{}...)));
};

template <class... As, class... Bs>
constexpr type_list<As..., Bs...> operator+(type_list<As...>, type_list<Bs...>) {
  return {};
}

template <class List, template <class> class Keep>
struct filter;
template <class... Ts, template <class> class Keep>
struct filter<type_list<Ts...>, Keep> {
  using type = decltype((type_list<>{} + ... + std::conditional_t<Keep<Ts>::value, type_list<Ts>, type_list<>>{}));
};
template <class List, template <class> class Keep>
using filter_t = typename filter<List, Keep>::type;

template <class List, class T>
struct remove_type;
template <class... Ts, class T>
struct remove_type<type_list<Ts...>, T> {
  using type =
      decltype((type_list<>{} + ... + std::conditional_t<std::is_same_v<Ts, T>, type_list<>, type_list<Ts>>{}));
};
template <class List, class T>
using remove_type_t = typename remove_type<List, T>::type;

// The position of the first true flag; the number of flags when none is.
template <bool... Flags>
constexpr std::size_t first_true() {
  constexpr bool flags[] = {Flags..., true};
  std::size_t k = 0;
  while (!flags[k]) ++k;
  return k;
}

template <class... Ts>
struct first_non_void_type {
  using type = void;
};
template <class T, class... Ts>
struct first_non_void_type<T, Ts...> {
  using type = std::conditional_t<std::is_void_v<T>, typename first_non_void_type<Ts...>::type, T>;
};

}  // namespace lossforge::detail
