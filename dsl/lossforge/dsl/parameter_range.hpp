#pragma once
// The range a loss parameter must lie in (a Huber delta positive, a label smoothing in [0, 1]), stated once by the
// loss that takes it. lf::in_range<R>(value) checks a number at once; anything else (a scalar symbol bound at run
// time) it wraps in an in_range node, so that the expression itself carries the requirement. The node is its
// argument everywhere (its value, a derivative of 1, printed as its argument); the executors check the bound value
// once before they evaluate anything (backends/parameters.hpp), so the kernels pay nothing.
#include <stdexcept>
#include <string>
#include <type_traits>

#include <lossforge/dsl/reductions.hpp>
#include <lossforge/print/print.hpp>

namespace lossforge {

enum class range { positive, non_negative, unit_interval };

// Parameter of lossforge::losses::Loss must lie in Range.
template <fixed_string Loss, fixed_string Parameter, range Range>
struct parameter_range {
  static constexpr bool admits(double v) {
    if constexpr (Range == range::positive)
      return v > 0;
    else if constexpr (Range == range::non_negative)
      return v >= 0;
    else
      return v >= 0 && v <= 1;  // NaN fails every range
  }
  // The error for a value outside the range; bound names what the value was bound to, if anything:
  // "lossforge::losses::huber: delta (scalar 'd') must be positive, got -1".
  static std::string error(std::string const& bound, double value) {
    char const* const words = Range == range::positive       ? "must be positive"
                              : Range == range::non_negative ? "must be non-negative"
                                                             : "must be in [0, 1]";
    return "lossforge::losses::" + Loss.str() + ": " + Parameter.str() + (bound.empty() ? "" : " (" + bound + ")") +
           " " + words + ", got " + print::number(value);
  }
};

namespace detail {
template <class... S>
constexpr bool only_scalars(type_list<S...>) {
  return (!TensorSymbol<S> && ...);
}
}  // namespace detail

// A parameter with its range: a number (written, or an exact constant such as lf::c<1, 2>) is checked here and
// returned as it is; an expression of scalar symbols becomes in_range<Range>(value), checked when the symbols are
// bound.
template <class Range, Operand V>
constexpr auto in_range(V const& value) {
  if constexpr (std::is_arithmetic_v<V> || Constant<V>) {
    double const v = [&] {
      if constexpr (Constant<V>)
        return []<std::intmax_t N, std::intmax_t D>(constant<N, D>) { return double(N) / double(D); }(value);
      else
        return double(value);
    }();
    if (!Range::admits(v)) throw std::invalid_argument(Range::error("", v));
    return value;
  } else {
    using E = expression_t<V>;
    static_assert(detail::free_indices_t<E>::size == 0 && detail::only_scalars(detail::symbols_of_t<E>{}),
                  "lossforge: a loss parameter with a range is a number or an expression of scalar symbols, one "
                  "value for the whole loss");
    return detail::make_node<ops::in_range<Range>>(value);
  }
}

}  // namespace lossforge
