#pragma once
// One planned kernel as a reduction functor over its work items (rows, or chunks of rows): init, join and
// operator()(item, value) as Kokkos' parallel_reduce and the serial loop call them. It accumulates the kernel's
// globals and the first error, and writes its outputs. A launch policy (executor.hpp) runs it.
#include <cstdint>

#include <lossforge/backends/executor/work_item.hpp>
#include <lossforge/backends/extents.hpp>
#include <lossforge/plan/plan.hpp>

namespace lossforge::executor::detail {

// The per-row accumulators of a kernel's reduce steps (two doubles each: reductions::accumulate) and its first error.
template <std::size_t Slots>
struct pass_values {
  double acc[2 * at_least_one(Slots)];
  error_record error;
};

using plan::is_prelude;
using plan::is_reduce_step_v;
using plan::step_traits;

// For each step, its accumulator slot among the kernel's reduce steps.
template <class... Steps>
constexpr auto slots_of_steps() {
  std::array<std::size_t, at_least_one(sizeof...(Steps))> slot{};
  constexpr bool reduces[] = {is_reduce_step_v<Steps>..., false};
  std::size_t next = 0;
  for (std::size_t k = 0; k < sizeof...(Steps); ++k) slot[k] = reduces[k] ? next++ : 0;
  return slot;
}

struct no_output {};

template <class Data, class Row, class Outputs, class... Steps>
struct kernel_functor {
  using T = typename Data::value_type;
  static constexpr std::size_t reduce_count = (std::size_t(is_reduce_step_v<Steps>) + ... + 0);
  static constexpr auto slot = slots_of_steps<Steps...>();
  static constexpr bool has_prelude = (is_prelude<Steps, Steps...>() || ...);
  using value_type = pass_values<reduce_count>;

  Data data;
  lossforge::detail::tuple<Steps...> steps;
  Outputs outputs;
  // With a prelude, work items are chunks of rows (plan.hpp): chunk k runs rows [rows k / chunks, rows (k+1) / chunks).
  std::int64_t rows = 0, chunks = 1;

  LOSSFORGE_FUNCTION void init(value_type& v) const {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            if constexpr (is_reduce_step_v<Steps>)
              reductions::initial<typename step_traits<Steps>::op>(v.acc[2 * slot[K]], v.acc[2 * slot[K] + 1]);
          }(),
          ...);
    }
    (std::index_sequence_for<Steps...>{});
    v.error = error_record{};
  }

  // Dst and Src are value_type, volatile where Kokkos 3.x passes them so (its device reductions rely on it).
  template <class Dst, class Src>
  LOSSFORGE_FUNCTION void join(Dst& dst, Src const& src) const {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            if constexpr (is_reduce_step_v<Steps>)
              reductions::combine<typename step_traits<Steps>::op>(dst.acc[2 * slot[K]], dst.acc[2 * slot[K] + 1],
                                                                   src.acc[2 * slot[K]], src.acc[2 * slot[K] + 1]);
          }(),
          ...);
    }
    (std::index_sequence_for<Steps...>{});
    if (dst.error.code == no_error && src.error.code != no_error) {
      dst.error.code = src.error.code;
      dst.error.symbol = src.error.symbol;
      dst.error.dimension = src.error.dimension;
      dst.error.value = src.error.value;
    }
  }

  template <int Out, class E, class... Inner>
  LOSSFORGE_FUNCTION void write(plan::write_step<Out, E, Inner...> const& step, work_item<Data>& item,
                                std::ptrdiff_t row) const {
    auto const& out = get<std::size_t(Out)>(outputs);
    std::ptrdiff_t const extent[] = {item.template extent<Inner>()..., 1};
    std::ptrdiff_t count = 1;
    for (std::ptrdiff_t const e : extent) count *= e;  // the last is 1
    for (std::ptrdiff_t j = 0; j < count; ++j) {
      [[maybe_unused]] std::ptrdiff_t position[sizeof...(Inner) + 1] = {};
      std::ptrdiff_t rest = j;
      for (std::size_t d = sizeof...(Inner); d-- > 0;) {  // row-major: the last inner index varies fastest
        position[d] = rest % extent[d];
        rest /= extent[d];
      }
      [[maybe_unused]] std::size_t k = 0;
      ((item.template at<Inner>() = position[k++]), ...);
      out.data[out.offset_of_flat(row * count + j)] = value_at<T>(step.expression, item);
    }
  }

  LOSSFORGE_FUNCTION void operator()(std::int64_t index, value_type& v) const {
    for_rows(index, v, [&](Data const& d, std::int64_t row) { run_row(d, row, v); });
  }

  // Runs run(data, row) for the rows of work item `index`: the row itself, or a chunk's rows after its preludes.
  template <class Run>
  LOSSFORGE_FUNCTION void for_rows(std::int64_t index, value_type& v, Run const& run) const {
    if constexpr (!has_prelude) {
      run(data, index);
    } else {
      Data chunk = data;
      compute_preludes(chunk, v.error);
      for (std::int64_t row = rows * index / chunks, end = rows * (index + 1) / chunks; row < end; ++row)
        run(chunk, row);
    }
  }

  // The globals this kernel's writes read, recomputed over all rows into the chunk's copy of the data.
  LOSSFORGE_FUNCTION void compute_preludes(Data& chunk, error_record& error) const {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&](auto const& step) {
            using S = std::remove_cvref_t<decltype(step)>;
            if constexpr (is_prelude<S, Steps...>()) {
              double total = 0;
              for (std::int64_t row = 0; row < rows; ++row) {
                work_item<Data> item{chunk, error};
                item.template at<Row>() = std::ptrdiff_t(row);
                total += double(value_at<T>(step.body, item));
              }
              chunk.global[position_v<typename Data::globals_list, typename step_traits<S>::reduction>] =
                  step_traits<S>::op::finish(total, 0, rows);
            }
          }(get<K>(steps)),
          ...);
    }
    (std::index_sequence_for<Steps...>{});
  }

  LOSSFORGE_FUNCTION void run_row(Data const& d, std::int64_t row, value_type& v) const {
    work_item<Data> item{d, v.error};
    item.template at<Row>() = std::ptrdiff_t(row);
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&](auto step_number, auto const& step) {
            using S = std::remove_cvref_t<decltype(step)>;
            constexpr std::size_t k = decltype(step_number)::value;
            if constexpr (is_reduce_step_v<S>)
              reductions::accumulate<typename step_traits<S>::op>(v.acc[2 * slot[k]], v.acc[2 * slot[k] + 1],
                                                                  double(value_at<T>(step.body, item)));
            else
              write(step, item, std::ptrdiff_t(row));
          }(std::integral_constant<std::size_t, K>{}, get<K>(steps)),
          ...);
    }
    (std::index_sequence_for<Steps...>{});
  }
};

}  // namespace lossforge::executor::detail
