#pragma once
// The vectorized path of host kernels: a work item is a block of W consecutive rows, and an expression's value at
// them is W lanes (lanes.hpp). A subexpression that does not vary along the block is computed once by the scalar
// evaluator (work_item.hpp) and broadcast; a read along the block is one vector load; an op with a lane form runs
// on all lanes at once. Anything else (a gather, pow, a where whose branch could record an error and so must stay
// lazy) runs lane by lane through the scalar evaluator, so the two paths differ only in the lane forms.
//
// Lanes compute in the tensors' precision (float Views: float lanes, as a hand-written float loop would);
// accumulations stay in double as in the scalar path, which also runs the rows after the last full block.
#include <cstdint>
#include <type_traits>

#include <lossforge/backends/kokkos/lanes.hpp>
#include <lossforge/backends/kokkos/launch.hpp>
#include <lossforge/dsl/free_indices.hpp>

namespace lossforge::kokkos::detail {

// Whether evaluating an expression can record an error (a gather, a max over an empty index).
template <class E>
inline constexpr bool may_record_error = false;
template <class S, class... Slots>
inline constexpr bool may_record_error<access<S, Slots...>> = !(Index<Slots> && ...);
template <class Op, class... A>
inline constexpr bool may_record_error<node<Op, A...>> = (may_record_error<A> || ...);
template <class Op, class I, class B>
inline constexpr bool may_record_error<reduce<Op, I, B>> = std::is_same_v<Op, reductions::max> || may_record_error<B>;

// Leaves with one value at every position of their index: a count, ones, a shape witness.
template <class E>
inline constexpr bool is_uniform_leaf = false;
template <class I>
inline constexpr bool is_uniform_leaf<extent<I>> = true;
template <class I>
inline constexpr bool is_uniform_leaf<ones<I>> = true;
template <class A>
inline constexpr bool is_uniform_leaf<witness<A>> = true;

// Lanes of float when every tensor holds float (or integers), of double otherwise.
template <class Accessors>
struct lane_value;
template <class... A>
struct lane_value<lossforge::detail::tuple<A...>> {
  using common = std::common_type_t<float, std::remove_const_t<std::remove_pointer_t<decltype(A::data)>>...>;
  using type = std::conditional_t<std::is_same_v<common, float>, float, double>;
};

template <class P, int W, class I, class E, class Data>
lanes<P, W> block_at(E const& e, work_item<Data>& item, std::ptrdiff_t first);

template <class P, int W, class I, class E, class Data>
lanes<P, W> each_lane(E const& e, work_item<Data>& item, std::ptrdiff_t first) {
  lanes<P, W> result;
  std::ptrdiff_t& k = item.template at<I>();
  std::ptrdiff_t const saved = k;
  for (int l = 0; l < W; ++l) {
    k = first + l;
    result[l] = P(value_at<typename Data::value_type>(e, item));
  }
  k = saved;
  return result;
}

// A read along the block: one load when the block runs along the tensor's innermost dimension (a strided load when
// that dimension is not contiguous), lane by lane otherwise.
template <class P, int W, class I, class S, class... Slots, class Data>
lanes<P, W> load_at(access<S, Slots...> const& a, work_item<Data>& item, std::ptrdiff_t first) {
  auto const& t = get<std::size_t(position_v<typename Data::tensors, S>)>(item.data.tensor);
  using V = std::remove_cvref_t<decltype(*t.data)>;
  if constexpr (sizeof...(Slots) == 1 && (is_flat_slot_v<Slots> && ...)) {
    if (t.row_major) return Eigen::Map<lanes<V, W> const>(t.data + first).template cast<P>();
  } else if constexpr ((Index<Slots> && ...) && ((std::is_same_v<Slots, I> ? 1 : 0) + ...) == 1 &&
                       std::is_same_v<std::tuple_element_t<sizeof...(Slots) - 1, std::tuple<Slots...>>, I>) {
    std::ptrdiff_t const position[] = {(std::is_same_v<Slots, I> ? first : item.template at<Slots>())...};
    V const* start = t.data + t.offset_of(position);
    std::ptrdiff_t const stride = t.stride[sizeof...(Slots) - 1];
    if (stride == 1) return Eigen::Map<lanes<V, W> const>(start).template cast<P>();
    return Eigen::Map<lanes<V, W> const, Eigen::Unaligned, Eigen::InnerStride<>>(start, Eigen::InnerStride<>(stride))
        .template cast<P>();
  }
  return each_lane<P, W, I>(a, item, first);
}

template <class P, int W, class I, class Op, class... A, class Data>
lanes<P, W> node_block_at(node<Op, A...> const& n, work_item<Data>& item, std::ptrdiff_t first) {
  if constexpr (!has_lane_form_v<Op> || (Op::lazy && (may_record_error<A> || ...)))
    return each_lane<P, W, I>(n, item, first);
  else
    return [&]<std::size_t... K>(std::index_sequence<K...>) {
      return lanes<P, W>(lane_form<Op>::apply(block_at<P, W, I>(get<K>(n.args), item, first)...));
    }
  (std::index_sequence_for<A...>{});
}

template <class P, int W, class I, class E, class Data>
lanes<P, W> block_at(E const& e, work_item<Data>& item, std::ptrdiff_t first) {
  if constexpr (!contains_v<lossforge::detail::free_indices_t<E>, I> || is_uniform_leaf<E>)
    return lanes<P, W>::Constant(P(value_at<typename Data::value_type>(e, item)));
  else if constexpr (Index<E>)
    return lanes<double, W>::LinSpaced(double(first), double(first + W - 1)).template cast<P>();
  else if constexpr (is_access_v<E>)
    return load_at<P, W, I>(e, item, first);
  else if constexpr (is_node_v<E>)
    return node_block_at<P, W, I>(e, item, first);
  else
    return each_lane<P, W, I>(e, item, first);
}

// Whether a kernel's rows can run in blocks: every step is over the row alone (no inner loops, no prelude), and no
// per-row cache holds a value that differs from row to row.
template <class Data, class Row, class... Steps>
inline constexpr bool runs_in_row_blocks =
    !(is_prelude<Steps, Steps...>() || ...) && ((step_traits<Steps>::inner::size == 0) && ...) &&
    ![]<class... R>(lossforge::detail::type_list<R...>) {
      return (contains_v<lossforge::detail::free_indices_t<R>, Row> || ...);
    }(typename Data::cached{});

// A kernel over blocks of rows; rows after the last full block run through the scalar functor it extends.
template <class Data, class Row, class Outputs, class... Steps>
struct row_block_functor : kernel_functor<Data, Row, Outputs, Steps...> {
  using base = kernel_functor<Data, Row, Outputs, Steps...>;
  using typename base::value_type;
  using P = typename lane_value<decltype(Data::tensor)>::type;
  static constexpr int width = int(64 / sizeof(P));  // a cache line; one AVX-512 register of float

  static std::int64_t blocks(std::int64_t rows) { return (rows + width - 1) / width; }

  void operator()(std::int64_t block, value_type& v) const {
    std::int64_t const first = block * width;
    if (first + width > this->rows) {
      for (std::int64_t row = first; row < this->rows; ++row) this->run_row(this->data, row, v);
      return;
    }
    work_item<Data> item{this->data, v.error};
    item.template at<Row>() = std::ptrdiff_t(first);
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&](auto const& step) {
            using S = std::remove_cvref_t<decltype(step)>;
            if constexpr (is_reduce_step_v<S>) {
              using Op = typename step_traits<S>::op;
              auto const x = block_at<P, width, Row>(step.body, item, first);
              double& a = v.acc[2 * base::slot[K]];
              // A block's W lanes are summed in P (a pairwise tree: error ~log2(W) ulp of P, the order of each
              // lane's own rounding), the blocks in double.
              if constexpr (std::is_same_v<Op, reductions::sum> || std::is_same_v<Op, reductions::mean>)
                a += double(x.sum());
              else
                for (int l = 0; l < width; ++l) accumulate<Op>(a, v.acc[2 * base::slot[K] + 1], double(x[l]));
            } else {
              store(step, item, first);
            }
          }(get<K>(this->steps)),
          ...);
    }
    (std::index_sequence_for<Steps...>{});
  }

  template <int Out, class E>
  void store(plan::write_step<Out, E> const& step, work_item<Data>& item, std::int64_t first) const {
    auto const& out = get<std::size_t(Out)>(this->outputs);
    using V = std::remove_cvref_t<decltype(*out.data)>;
    auto const x = block_at<P, width, Row>(step.expression, item, first);
    if (out.row_major) {
      Eigen::Map<lanes<V, width>>(out.data + first) = x.template cast<V>();
    } else {
      for (int l = 0; l < width; ++l) out.data[out.offset_of_flat(first + l)] = V(x[l]);
    }
  }
};

}  // namespace lossforge::kokkos::detail
