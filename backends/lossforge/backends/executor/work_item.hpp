#pragma once
// The environment of every kernel's scalar evaluation (dsl/scalar_evaluator.hpp): a planned expression's value at
// one work item, on the host or a device.
//
// A kernel's constant data (tensor accessors, scalar values, index extents, the globals of earlier passes) is a
// kernel_data; the mutable state of one work item (index positions, its row-local reductions, its error record) is
// a work_item. Globals read their value; reductions local to the row (row-local closed ones included) are computed
// on first use and kept for the rest of the work item; others loop where they stand. A gather whose index is out of
// range reads nothing: it records the error (reported by the host after the pass) and yields NaN.
#include <cstddef>

#include <lossforge/backends/executor/accessor.hpp>
#include <lossforge/dsl/reductions.hpp>
#include <lossforge/dsl/scalar_evaluator.hpp>
#include <lossforge/dsl/tuple.hpp>
#include <lossforge/plan/reductions.hpp>

namespace lossforge::executor::detail {
using namespace lossforge::detail;

template <class List, class T>
inline constexpr int position_v = -1;
template <class... Ts, class T>
inline constexpr int position_v<type_list<Ts...>, T> = contains_v<type_list<Ts...>, T>
                                                           ? int(first_true<std::is_same_v<Ts, T>...>())
                                                           : -1;

constexpr std::size_t at_least_one(std::size_t n) { return n == 0 ? 1 : n; }

enum error_code : int { no_error = 0, index_out_of_range = 1, max_of_nothing = 2 };
// The first error a pass met: which tensor (position in the kernel's tensor list), which dimension, which value.
struct error_record {
  int code = no_error;
  int symbol = 0;
  int dimension = 0;
  double value = 0;
};

// Tensors: a type_list of tensor symbols, Accessors the tuple of their accessors; Scalars: scalar symbols; Keys:
// the indices with an extent (positions of work items live at the same places); Globals: closed reductions;
// Cached: reductions local to the row.
template <class T, class Tensors, class Accessors, class Scalars, class Keys, class Globals, class Cached>
struct kernel_data {
  using value_type = T;
  using tensors = Tensors;
  using scalars_list = Scalars;
  using keys = Keys;
  using globals_list = Globals;
  using cached = Cached;
  Accessors tensor;
  T scalar[at_least_one(Scalars::size)] = {};
  std::ptrdiff_t extent[at_least_one(Keys::size)] = {};
  // Each key's extent as a count in the loss (a mean's 1/n): over all processes where the data is split among them.
  std::ptrdiff_t count[at_least_one(Keys::size)] = {};
  double global[at_least_one(Globals::size)] = {};
};

// A reduction's loop over an index that already has a position in the work item: the position is restored at the
// end, as an enclosing reduction over the same index still needs it.
struct position_loop {
  std::ptrdiff_t& position;
  std::ptrdiff_t const count;
  std::ptrdiff_t const saved;
  LOSSFORGE_FUNCTION std::ptrdiff_t extent() const { return count; }
  LOSSFORGE_FUNCTION void at(std::ptrdiff_t k) { position = k; }
  LOSSFORGE_FUNCTION ~position_loop() { position = saved; }
};

template <class Data>
struct work_item {
  Data const& data;
  error_record& error;
  std::ptrdiff_t positions[at_least_one(Data::keys::size)] = {};
  lead_tail parts[at_least_one(Data::cached::size)] = {};  // each cached reduction's value
  bool done[at_least_one(Data::cached::size)] = {};

  template <class I>
  LOSSFORGE_FUNCTION std::ptrdiff_t& at() {
    static_assert(position_v<typename Data::keys, I> >= 0, "lossforge: internal: an index without a planned extent");
    return positions[position_v<typename Data::keys, I>];
  }

  // ---- the scalar evaluator's environment ----
  template <class I>
  LOSSFORGE_FUNCTION std::ptrdiff_t position() {
    return at<I>();
  }
  template <class I>
  LOSSFORGE_FUNCTION std::ptrdiff_t extent() const {
    return data.extent[position_v<typename Data::keys, I>];
  }
  template <class I>
  LOSSFORGE_FUNCTION std::ptrdiff_t count() const {
    return data.count[position_v<typename Data::keys, I>];
  }
  template <class S>
  LOSSFORGE_FUNCTION typename Data::value_type scalar() const {
    return data.scalar[position_v<typename Data::scalars_list, S>];
  }
  template <class S>
  LOSSFORGE_FUNCTION auto const& tensor() const {
    return get<std::size_t(position_v<typename Data::tensors, S>)>(data.tensor);
  }
  template <class S, class I>
  LOSSFORGE_FUNCTION auto flat_element() {
    auto const& t = tensor<S>();
    LOSSFORGE_COUNT_TENSOR_READS(1);
    return t.data[t.offset_of_flat(at<I>())];
  }
  template <class S, std::size_t Rank>
  LOSSFORGE_FUNCTION auto element(std::ptrdiff_t const (&position)[Rank]) {
    auto const& t = tensor<S>();
    static_assert(std::remove_cvref_t<decltype(t)>::rank == int(Rank),
                  "lossforge: a tensor is bound to a View whose rank differs from the number of indices it is "
                  "accessed with");
    LOSSFORGE_COUNT_TENSOR_READS(1);
    return t.data[t.offset_of(position)];
  }
  template <class S, int K>
  LOSSFORGE_FUNCTION std::ptrdiff_t dimension() const {
    return tensor<S>().extent[K];
  }
  template <class S, int K>
  LOSSFORGE_FUNCTION void out_of_range(double value) {
    if (error.code == no_error) error = {index_out_of_range, position_v<typename Data::tensors, S>, K, value};
  }
  LOSSFORGE_FUNCTION void max_of_nothing() {
    if (error.code == no_error) error = {error_code::max_of_nothing, 0, 0, 0};
  }
  template <class T, class R>
  LOSSFORGE_FUNCTION lead_tail reduction(R const& r) {
    return reduction_by(r, [&](auto const& reduction) { return fold_at<T>(reduction, *this); });
  }
  // A reduction's value: a global's, the row's cache (filled by compute(r) on first use), or compute(r). compute is
  // generic, so that it is not instantiated for a global (a sum over a bare tensor's elements has no loop here).
  template <class R, class Compute>
  LOSSFORGE_FUNCTION lead_tail reduction_by(R const& r, Compute const& compute) {
    constexpr int global = position_v<typename Data::globals_list, R>, slot = position_v<typename Data::cached, R>;
    if constexpr (global >= 0) {
      return {data.global[global], 0};
    } else if constexpr (slot >= 0) {
      if (!done[slot]) {
        parts[slot] = compute(r);
        done[slot] = true;
      }
      return parts[slot];
    } else {
      return compute(r);
    }
  }
  template <class I, class R>
  LOSSFORGE_FUNCTION position_loop loop(R const&) {
    static_assert(!std::is_same_v<I, flat_index>,
                  "lossforge: a reduction over all elements of a bare tensor may not depend on an index of an "
                  "enclosing expression; index the tensor instead");
    std::ptrdiff_t& k = at<I>();
    return {k, extent<I>(), k};
  }
};

}  // namespace lossforge::executor::detail
