#pragma once
// The host kernels that run in blocks (block.hpp): over blocks of consecutive rows where each step is over the row
// alone (elementwise losses, the sums of Dice), and along each row where rows loop inside (a cross entropy's row
// of classes). The executor picks them for launch policies on the host; devices run the scalar kernel_functor.
#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <tuple>
#include <type_traits>

#include <lossforge/backends/executor/block.hpp>
#include <lossforge/backends/executor/stored_exponentials.hpp>
#include <lossforge/simplify/factor.hpp>

namespace lossforge::executor::detail {

// Whether a kernel's rows can run in blocks: every step is over the row alone (no inner loops, no prelude), and no
// per-row cache holds a value that differs from row to row.
template <class Data, class Row, class... Steps>
inline constexpr bool runs_in_row_blocks =
    !(is_prelude<Steps, Steps...>() || ...) && ((step_traits<Steps>::inner::size == 0) && ...) &&
    ![]<class... R>(lossforge::detail::type_list<R...>) {
      return (contains_v<lossforge::detail::free_indices_t<R>, Row> || ...);
    }(typename Data::cached{});

// A kernel over blocks of consecutive rows. A work item is a chunk of 512 blocks, which computes the constants of
// its expressions once and adds its sums in lane_sums until its end. Rows after the last full block run through the
// scalar functor this one extends. The block loop and its sums are one function (the lambdas always inlined), so
// that the sums stay in registers.
template <class Data, class Row, class Outputs, class... Steps>
struct row_block_functor : kernel_functor<Data, Row, Outputs, Steps...> {
  using base = kernel_functor<Data, Row, Outputs, Steps...>;
  using typename base::value_type;
  using P = typename tensor_precision<decltype(Data::tensor)>::type;
  // What the lanes compute for each step: its expression factored (simplify/factor.hpp).
  template <class S>
  using lane_expression_t = lossforge::detail::factored_t<typename step_traits<S>::expression>;
  static constexpr int width = block_width<P, transcendental_in_lanes<Row, lane_expression_t<Steps>...>>;
  static constexpr std::int64_t rows_per_item = 512 * width;
  using group_sums = lane_sums<P, width, at_least_one(base::reduce_count)>;

  static std::int64_t work_items(std::int64_t rows) { return (rows + rows_per_item - 1) / rows_per_item; }

  void operator()(std::int64_t index, value_type& v) const {
    with_lane_policy<P, width>(this->data, this->outputs, [&]<class L>() { run_item<L>(index, v); });
  }

  template <class L>
  void run_item(std::int64_t index, value_type& v) const {
    std::int64_t const first = index * rows_per_item, end = std::min(this->rows, first + rows_per_item);
    std::int64_t const blocks_end = first + (end - first) / width * width;
    // Local copies: the stores to the outputs (vector stores, which may alias anything) cannot change them, so the
    // block loop keeps the data pointers in registers.
    Data const data = this->data;
    Outputs const outputs = this->outputs;
    work_item<Data> item{data, v.error};
    auto const expressions = [&]<std::size_t... K>(std::index_sequence<K...>) {
      return lossforge::detail::make_tuple(lossforge::detail::factored(expression_of(get<K>(this->steps)))...);
    }(std::index_sequence_for<Steps...>{});
    // Every step's uniforms in one array, step K's from uniform_slot[K] on.
    uniform_values<L, uniform_slot[sizeof...(Steps)]> u{};
    if (blocks_end > first) [&]<std::size_t... K>(std::index_sequence<K...>) {
        (collect_uniforms<L, Row, uniform_slot[K]>(get<K>(expressions), item, u), ...);
      }
    (std::index_sequence_for<Steps...>{});
    group_sums sums;
    run_blocks<L>(u, [&]<class R>() LOSSFORGE_LANES_LAMBDA {
      sums.add_blocks(first, blocks_end, [&](std::int64_t row, auto& group) LOSSFORGE_LANES_LAMBDA {
        item.template at<Row>() = std::ptrdiff_t(row);
        run_block<R>(expressions, item, outputs, row, v, group, u, std::index_sequence_for<Steps...>{});
      });
    });
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            if constexpr (is_reduce_step_v<Steps>) {
              using Op = typename step_traits<Steps>::op;
              if constexpr (reductions::adds<Op>) v.acc[2 * base::slot[K]] += sums.sum(base::slot[K]);
            }
          }(),
          ...);
    }
    (std::index_sequence_for<Steps...>{});
    for (std::int64_t row = blocks_end; row < end; ++row) this->run_row(this->data, row, v);
  }

  template <class S>
  static constexpr auto const& expression_of(S const& step) {
    if constexpr (is_reduce_step_v<S>)
      return step.body;
    else
      return step.expression;
  }
  static constexpr auto uniform_slot = [] {
    constexpr int count[] = {uniform_count<Row, lane_expression_t<Steps>>()..., 0};
    std::array<int, sizeof...(Steps) + 1> first{};
    for (std::size_t k = 0; k < sizeof...(Steps); ++k) first[k + 1] = first[k] + count[k];
    return first;
  }();

  template <class L, class Expressions, class Group, class U, std::size_t... K>
  LOSSFORGE_LANES_INLINE void run_block(Expressions const& expressions, work_item<Data>& item, Outputs const& outputs,
                                        std::int64_t first, value_type& v, Group& group, U const& u,
                                        std::index_sequence<K...>) const {
    auto c = context_for<L, Row, lane_expression_t<Steps>...>(u);  // the steps share their nodes
    (run_step<L, K, Steps>(get<K>(expressions), item, outputs, first, v, group, c), ...);
  }
  template <class L, std::size_t K, class S, class E, class Group, class C>
  LOSSFORGE_LANES_INLINE void run_step(E const& expression, work_item<Data>& item, Outputs const& outputs,
                                       std::int64_t first, value_type& v, Group& group, C& c) const {
    auto const x = block_at<L, Row, uniform_slot[K]>(expression, item, first, c);
    if constexpr (is_reduce_step_v<S>) {
      using Op = typename step_traits<S>::op;
      if constexpr (reductions::adds<Op>)
        group_sums::sum_in(group, base::slot[K]) += x;
      else
        for (int l = 0; l < width; ++l)
          reductions::accumulate<Op>(v.acc[2 * base::slot[K]], v.acc[2 * base::slot[K] + 1], double(x[l]));
    } else {
      auto const& out = get<std::size_t(step_traits<S>::output)>(outputs);
      using V = std::remove_cvref_t<decltype(*out.data)>;
      if (L::contiguous || out.row_major)
        Eigen::Map<lanes<V, width>>(out.data + first) = x.template cast<V>();
      else
        for (int l = 0; l < width; ++l) out.data[out.offset_of_flat(first + l)] = V(x[l]);
    }
  }
};

// A kernel whose rows loop inside (reductions along the row, writes with inner indices): rows run one at a time
// as in the scalar functor it extends, with each row's reductions and the innermost loop of each write in blocks
// along their index, and a softmax write reading the exponentials its log-sum-exp stored (stored_exponentials.hpp).
template <class Data, class Row, class Outputs, class... Steps>
struct inner_block_functor : kernel_functor<Data, Row, Outputs, Steps...> {
  using base = kernel_functor<Data, Row, Outputs, Steps...>;
  using typename base::value_type;
  using T = typename Data::value_type;
  using P = typename tensor_precision<decltype(Data::tensor)>::type;
  static constexpr int width = block_width<P>;
  using softmax = softmax_write<Data, Row, Steps...>;

  void operator()(std::int64_t index, value_type& v) const {
    with_lane_policy<P, width>(this->data, this->outputs, [&]<class L>() {
      this->for_rows(index, v, [&](Data const& d, std::int64_t row) { run_row<L>(d, row, v); });
    });
  }

  template <class L>
  void run_row(Data const& d, std::int64_t row, value_type& v) const {
    work_item<Data> item{d, v.error};
    item.template at<Row>() = std::ptrdiff_t(row);
    double scale = 0;  // 1 / the sum of the exponentials stored in the softmax write's row; 0 when none are
    if constexpr (softmax::step >= 0 && L::contiguous) scale = store_exponentials<L>(item, row);
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&](auto step_number, auto const& step) {
            using S = std::remove_cvref_t<decltype(step)>;
            constexpr std::size_t k = decltype(step_number)::value;
            if constexpr (is_reduce_step_v<S>)
              reductions::accumulate<typename step_traits<S>::op>(
                  v.acc[2 * base::slot[k]], v.acc[2 * base::slot[k] + 1], row_value<L>(step.body, item));
            else
              write<L, k>(step, item, std::ptrdiff_t(row), scale);
          }(std::integral_constant<std::size_t, K>{}, get<K>(this->steps)),
          ...);
    }
    (std::index_sequence_for<Steps...>{});
  }

  // The softmax's log-sum-exp, its exponentials kept in the write's output row; 1 / their sum (0 if it has none).
  template <class L>
  double store_exponentials(work_item<Data>& item, std::int64_t row) const {
    using R = typename softmax::reduction;
    using S = std::tuple_element_t<std::size_t(softmax::step), std::tuple<Steps...>>;
    auto const& out = get<std::size_t(step_traits<S>::output)>(this->outputs);
    using V = std::remove_cvref_t<decltype(*out.data)>;
    constexpr int slot = position_v<typename Data::cached, R>;
    double sum = std::numeric_limits<double>::quiet_NaN();
    std::ptrdiff_t const n = item.template extent<typename softmax::index>();
    // R's value (its literals included) as the write holds it.
    R const reduction =
        lossforge::detail::find_subexpression<R>(get<std::size_t(softmax::step)>(this->steps).expression);
    block_reduce<L>(reduction, item, &item.parts[slot], exponential_store<L::width, V>{out.data + row * n, &sum});
    item.done[slot] = true;
    return sum > 0 && sum < std::numeric_limits<double>::infinity() ? 1 / sum : 0;
  }

  // The row's entries in row-major order of the inner indices: for each position of all but the last, the last
  // in blocks (stored with one vector store where the output is contiguous), then its remaining positions.
  template <class L, std::size_t K, int Out, class E, class... Inner>
  void write(plan::write_step<Out, E, Inner...> const& step, work_item<Data>& item, std::ptrdiff_t row,
             double scale) const {
    auto const& out = get<std::size_t(Out)>(this->outputs);
    using V = std::remove_cvref_t<decltype(*out.data)>;
    if constexpr (sizeof...(Inner) == 0) {
      out.data[out.offset_of_flat(row)] = V(row_value<L>(step.expression, item));
    } else {
      using last = std::tuple_element_t<sizeof...(Inner) - 1, std::tuple<Inner...>>;
      std::ptrdiff_t const extent[] = {item.template extent<Inner>()...};
      std::ptrdiff_t count = 1;
      for (std::ptrdiff_t e : extent) count *= e;
      std::ptrdiff_t const n = extent[sizeof...(Inner) - 1], full = n - n % width;
      for (std::ptrdiff_t start = 0; start < count; start += n) {
        std::ptrdiff_t rest = start / n;
        std::ptrdiff_t position[sizeof...(Inner)] = {};
        for (std::size_t d = sizeof...(Inner) - 1; d-- > 0;) {
          position[d] = rest % extent[d];
          rest /= extent[d];
        }
        std::size_t k = 0;
        ((k < sizeof...(Inner) - 1 ? void(item.template at<Inner>() = position[k++]) : void()), ...);
        std::ptrdiff_t const flat = row * count + start;
        // The blocks in order, after one more where they leave a remainder: the last `width` positions (first = -width
        // below), computed before the others overwrite what it reads (a softmax's stored exponentials) and stored
        // after them. One call of block_at, so that the block's code is inlined once.
        auto const in_blocks = [&](auto const& expression) {
          auto const u = uniforms_of<L, last>(expression, item, full == 0);
          run_blocks<L>(u, [&]<class R>() LOSSFORGE_LANES_LAMBDA {
            auto const store = [&](std::ptrdiff_t first, typename R::type const& x) LOSSFORGE_LANES_LAMBDA {
              if (R::contiguous || out.row_major)
                Eigen::Map<lanes<V, width>>(out.data + flat + first) = x.template cast<V>();
              else
                for (int l = 0; l < width; ++l) out.data[out.offset_of_flat(flat + first + l)] = V(x[l]);
            };
            std::ptrdiff_t const begin = full > 0 && full < n ? -width : 0;
            typename R::type last_block = R::type::Zero();
            for (std::ptrdiff_t first = begin; first < full; first += width) {
              auto c = context_for<R, last, std::remove_cvref_t<decltype(expression)>>(u);
              auto const x = block_at<R, last, 0>(expression, item, first < 0 ? n - width : first, c);
              if (first < 0)
                last_block = x;
              else
                store(first, x);
            }
            if (begin < 0) store(n - width, last_block);
          });
        };
        if constexpr (int(K) == softmax::step) {
          if (scale != 0)
            in_blocks(with_stored_exponentials<last, typename softmax::reduction>(
                step.expression, stored_lanes<last, V>{out.data + flat, scale}));
          else
            in_blocks(step.expression);
        } else {
          in_blocks(step.expression);
        }
        std::ptrdiff_t& j = item.template at<last>();
        if (full == 0)
          for (j = 0; j < n; ++j) out.data[out.offset_of_flat(flat + j)] = V(value_at<T>(step.expression, item));
      }
    }
  }
};

}  // namespace lossforge::executor::detail
