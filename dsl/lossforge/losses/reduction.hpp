#pragma once
// PyTorch's reduction modes for losses defined per element: none keeps the per-element losses (an expression with
// free indices, written to a View), mean and sum reduce over every element.
#include <lossforge/dsl/operators.hpp>

namespace lossforge::losses {

struct none_t {};
struct mean_t {};
struct sum_t {};
inline constexpr none_t none{};
inline constexpr mean_t mean{};
inline constexpr sum_t sum{};

template <class R>
concept Reduction = std::is_same_v<R, none_t> || std::is_same_v<R, mean_t> || std::is_same_v<R, sum_t>;

template <Operand E, Reduction R>
constexpr auto reduce_elements(E const& per_element, R) {
  if constexpr (std::is_same_v<R, none_t>)
    return as_expression(per_element);
  else if constexpr (std::is_same_v<R, mean_t>)
    return lossforge::mean(per_element);
  else
    return lossforge::sum(per_element);
}

// A parameter a loss was not given (no class weights, no ignore_index, ...).
struct unset {};

}  // namespace lossforge::losses
