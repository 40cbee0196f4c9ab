#pragma once
// Compile-time names used as template arguments: the names of symbols and indices are part of their types.
//
// The characters are packed into three 64-bit words rather than held in a char array: nvcc's front end (CUDA 13)
// re-emits a class template argument holding an array in a form the host compiler cannot parse, so this layout is
// what lets lf::tensor<"p"> appear in CUDA kernels. Names have at most 24 characters.
#include <cstddef>
#include <cstdint>
#include <string>

namespace lossforge {

struct fixed_string {
  static constexpr std::size_t capacity = 24;
  std::uint64_t w0 = 0, w1 = 0, w2 = 0;

  template <std::size_t N>
  constexpr fixed_string(char const (&text)[N]) {
    static_assert(N - 1 <= capacity, "lossforge: a symbol or index name has at most 24 characters");
    for (std::size_t k = 0; k + 1 < N; ++k) {
      std::uint64_t const c = std::uint64_t(static_cast<unsigned char>(text[k])) << (8 * (k % 8));
      (k < 8 ? w0 : k < 16 ? w1 : w2) |= c;
    }
  }
  // The form nvcc re-emits a template argument in.
  constexpr fixed_string(std::uint64_t a, std::uint64_t b, std::uint64_t c) : w0(a), w1(b), w2(c) {}

  constexpr char operator[](std::size_t k) const {
    std::uint64_t const word = k < 8 ? w0 : k < 16 ? w1 : w2;
    return char((word >> (8 * (k % 8))) & 0xffu);
  }
  constexpr std::size_t size() const {
    std::size_t n = 0;
    while (n < capacity && (*this)[n] != 0) ++n;
    return n;
  }
  std::string str() const {
    std::string s;
    for (std::size_t k = 0; k < size(); ++k) s += (*this)[k];
    return s;
  }
  // The name with a prime appended (u' beside u): a fresh index's.
  constexpr fixed_string primed() const {
    std::size_t const n = size();
    if (n == capacity) throw "lossforge: a primed index name has at most 24 characters";
    fixed_string p = *this;
    (n < 8 ? p.w0 : n < 16 ? p.w1 : p.w2) |= std::uint64_t(static_cast<unsigned char>('\'')) << (8 * (n % 8));
    return p;
  }
  constexpr bool operator==(fixed_string const&) const = default;
};

}  // namespace lossforge
