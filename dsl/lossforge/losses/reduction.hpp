#pragma once
// PyTorch's reduction modes for losses defined per element: none keeps the per-element losses (an expression with
// free indices, written to a View), mean and sum reduce over every element.
#include <lossforge/dsl/reductions.hpp>

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

// batchmean (torch.nn.functional.kl_div's): the sum over every element divided by the batch size N, the extent of
// the per-element loss's first index; the mean over the batch of the per-sample sums. It needs a loss written with
// indices (over bare tensors there is no batch dimension to divide by).
struct batchmean_t {};
inline constexpr batchmean_t batchmean{};

template <class R>
concept BatchReduction = Reduction<R> || std::is_same_v<R, batchmean_t>;

template <Operand E>
constexpr auto reduce_elements(E const& per_element, batchmean_t) {
  // lossforge::detail spelled out: the losses' own detail namespace (declared by the headers that include this one)
  // hides it wherever the body is looked up late, as nvcc's front end does.
  using expression = expression_t<E>;
  using indices = lossforge::detail::bound_free_indices_t<expression>;
  return [&]<class Batch, class... Rest>(lossforge::detail::type_list<Batch, Rest...>) {
    static_assert(!std::is_same_v<Batch, flat_index>,
                  "lossforge: batchmean divides by the batch dimension: write the per-element loss with indices, "
                  "the batch index first");
    return lossforge::mean(Batch{}, lossforge::detail::reduce_over<reductions::sum>(
                                        as_expression(per_element), lossforge::detail::type_list<Rest...>{}));
  }(indices{});
}

// A parameter a loss was not given (no class weights, no ignore_index, ...).
struct unset {};

}  // namespace lossforge::losses
