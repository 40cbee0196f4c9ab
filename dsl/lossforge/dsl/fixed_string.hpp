#pragma once
// Compile-time strings used as template arguments: the names of symbols and indices are part of their types.
#include <cstddef>
#include <string_view>

namespace lossforge {

template <std::size_t N>
struct fixed_string {
  char chars[N]{};

  constexpr fixed_string(char const (&text)[N]) {
    for (std::size_t k = 0; k < N; ++k) chars[k] = text[k];
  }
  constexpr std::string_view view() const { return {chars, N - 1}; }
  constexpr bool operator==(fixed_string const&) const = default;
  template <std::size_t M>
  constexpr bool operator==(fixed_string<M> const&) const {
    return false;
  }
};

}  // namespace lossforge
