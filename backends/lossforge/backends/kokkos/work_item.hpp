#pragma once
// The body of every kernel: the value of a planned expression at one work item, as a device function.
//
// A kernel's constant data (tensor accessors, scalar values, index extents, the globals of earlier passes) is a
// kernel_data; the mutable state of one work item (index positions, its row-local reduction cache, its error
// record) is a work_item. Globals read their value; reductions local to the row (row-local closed ones included) are
// computed on first use and cached for the rest of the work item; others loop where they stand. Sums accumulate in
// double whatever T is. A gather whose index is out of range reads nothing: it records the error (reported by the
// host after the pass) and yields NaN.
//
// A log-sum-exp is max + log(sum exp(x - max)), and a sum that holds one (x[c] - lse, lse - x[t]) adds its max first
// and its log after, as PyTorch's log_softmax does: (x[c] - max) - log(sum). Rounded to one number first, lse would
// lose log(sum) against a max of 1e30, and x[c] - lse would cancel to 0.
#include <cstddef>
#include <limits>

#include <lossforge/backends/kokkos/accessor.hpp>
#include <lossforge/dsl/ops.hpp>
#include <lossforge/dsl/reductions.hpp>
#include <lossforge/dsl/tuple.hpp>
#include <lossforge/plan/reductions.hpp>
#include <lossforge/simplify/canonical.hpp>

namespace lossforge::kokkos::detail {
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
  double global[at_least_one(Globals::size)] = {};
};

template <class Data>
struct work_item {
  Data const& data;
  error_record& error;
  std::ptrdiff_t position[at_least_one(Data::keys::size)] = {};
  double cache[at_least_one(Data::cached::size)] = {};  // each cached reduction's value
  lead_tail parts[at_least_one(Data::cached::size)] = {};
  bool done[at_least_one(Data::cached::size)] = {};

  template <class I>
  LOSSFORGE_FUNCTION std::ptrdiff_t& at() {
    static_assert(position_v<typename Data::keys, I> >= 0, "lossforge: internal: an index without a planned extent");
    return position[position_v<typename Data::keys, I>];
  }
  template <class I>
  LOSSFORGE_FUNCTION std::ptrdiff_t extent() const {
    return data.extent[position_v<typename Data::keys, I>];
  }
};

template <class T, class E, class Data>
LOSSFORGE_FUNCTION T value_at(E const& e, work_item<Data>& item);

// The terms of a sum that are a log-sum-exp (sign 1) or its negation (sign -1): the reduction itself and its sign.
template <class E>
struct log_sum_exp_term {
  static constexpr int sign = 0;
};
template <class I, class B>
struct log_sum_exp_term<reduce<reductions::logsumexp, I, B>> {
  static constexpr int sign = 1;
  LOSSFORGE_FUNCTION static auto const& of(reduce<reductions::logsumexp, I, B> const& r) { return r; }
};
template <class I, class B>
struct log_sum_exp_term<node<ops::mul, constant<-1>, reduce<reductions::logsumexp, I, B>>> {
  static constexpr int sign = -1;
  LOSSFORGE_FUNCTION static auto const& of(node<ops::mul, constant<-1>, reduce<reductions::logsumexp, I, B>> const& n) {
    return get<1>(n.args);
  }
};
// Calls f(term) for each term of a sum of (nested, binary) adds, in order.
template <class E, class F>
LOSSFORGE_FUNCTION void for_each_addend(E const& e, F const& f) {
  if constexpr (lossforge::detail::is_add_v<E>) {
    for_each_addend(get<0>(e.args), f);
    for_each_addend(get<1>(e.args), f);
  } else {
    f(e);
  }
}
template <class E>
inline constexpr bool adds_log_sum_exp = log_sum_exp_term<E>::sign != 0;
template <class A, class B>
inline constexpr bool adds_log_sum_exp<node<ops::add, A, B>> = adds_log_sum_exp<A> || adds_log_sum_exp<B>;
// The value of a sum holding a log-sum-exp, accumulated term by term: its other terms, then each log-sum-exp's lead,
// then their tails (see above).
struct log_sum_exp_sum {
  double others = 0, leads = 0, tails = 0;
  // Adds term, with value(t) a term's value in double and parts(r) a log-sum-exp's lead and tail.
  template <class Term, class Value, class Parts>
  LOSSFORGE_FUNCTION void add(Term const& term, Value const& value, Parts const& parts) {
    using traits = log_sum_exp_term<Term>;
    if constexpr (traits::sign == 0) {
      others += value(term);
    } else {
      lead_tail const p = parts(traits::of(term));
      leads += traits::sign * p.lead;
      tails += traits::sign * p.tail;
    }
  }
  LOSSFORGE_FUNCTION double lead() const { return others + leads; }
  LOSSFORGE_FUNCTION double value() const { return lead_tail{lead(), tails}.value(); }
};

template <class T, class S, class... Slots, class Data>
LOSSFORGE_FUNCTION T access_at(access<S, Slots...> const& a, work_item<Data>& item) {
  constexpr int symbol = position_v<typename Data::tensors, S>;
  auto const& t = get<std::size_t(symbol)>(item.data.tensor);
  LOSSFORGE_COUNT_TENSOR_READS(1);
  static_assert((sizeof...(Slots) == 1 && (is_flat_slot_v<Slots> && ...)) ||
                    std::remove_cvref_t<decltype(t)>::rank == int(sizeof...(Slots)),
                "lossforge: a tensor is bound to a View whose rank differs from the number of indices it is "
                "accessed with");
  if constexpr (sizeof...(Slots) == 1 && (is_flat_slot_v<Slots> && ...)) {
    return T(t.data[t.offset_of_flat(item.template at<Slots...>())]);
  } else {
    std::ptrdiff_t position[sizeof...(Slots)] = {};
    bool in_range = true;
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&]<class Slot>(Slot const& slot) {
            if constexpr (Index<Slot>) {
              position[K] = item.template at<Slot>();
            } else {
              double const v = value_at<double>(slot, item);
              if (in_range && !(v >= 0 && v < double(t.extent[K]))) {
                in_range = false;
                if (item.error.code == no_error) item.error = {index_out_of_range, symbol, int(K), v};
              }
              position[K] = in_range ? std::ptrdiff_t(v) : 0;
            }
          }(get<K>(a.slots)),
          ...);
    }
    (std::index_sequence_for<Slots...>{});
    return in_range ? T(t.data[t.offset_of(position)]) : std::numeric_limits<T>::quiet_NaN();
  }
}

// A local reduction: loops over its index (saving the position, which an enclosing reduction over the same index
// still needs).
template <class T, class Op, class I, class B, class Data>
LOSSFORGE_FUNCTION T reduce_at(reduce<Op, I, B> const& r, work_item<Data>& item, lead_tail* parts = nullptr) {
  static_assert(!std::is_same_v<I, flat_index>,
                "lossforge: a reduction over all elements of a bare tensor may not depend on an index of an "
                "enclosing expression; index the tensor instead");
  std::ptrdiff_t const n = item.template extent<I>();
  std::ptrdiff_t& k = item.template at<I>();
  std::ptrdiff_t const saved = k;
  lead_tail const result = reductions::fold<Op>(n, [&](auto const& f) {
    for (k = 0; k < n; ++k) f(double(value_at<T>(r.body, item)));
  });
  if constexpr (Op::folds == reductions::folding::max)
    if (n == 0 && item.error.code == no_error) item.error = {max_of_nothing, 0, 0, 0};
  if (parts) *parts = result;
  k = saved;
  return T(result.value());
}

// A cached reduction, computed on first use.
template <class T, class R, class Data>
LOSSFORGE_FUNCTION double cached_at(R const& r, work_item<Data>& item) {
  constexpr int slot = position_v<typename Data::cached, R>;
  if (!item.done[slot]) {
    item.cache[slot] = double(reduce_at<T>(r, item, &item.parts[slot]));
    item.done[slot] = true;
  }
  return item.cache[slot];
}
// A log-sum-exp's lead and tail.
template <class T, class R, class Data>
LOSSFORGE_FUNCTION lead_tail parts_at(R const& r, work_item<Data>& item) {
  constexpr int global = position_v<typename Data::globals_list, R>, slot = position_v<typename Data::cached, R>;
  if constexpr (global >= 0) {
    return {item.data.global[global], 0};
  } else if constexpr (slot >= 0) {
    cached_at<T>(r, item);
    return item.parts[slot];
  } else {
    lead_tail p;
    reduce_at<T>(r, item, &p);
    return p;
  }
}

template <class T, class Op, class... A, class Data>
LOSSFORGE_FUNCTION T node_at(node<Op, A...> const& n, work_item<Data>& item) {
  if constexpr (adds_log_sum_exp<node<Op, A...>>) {
    log_sum_exp_sum total;
    for_each_addend(n, [&](auto const& term) {
      total.add(
          term, [&](auto const& t) { return double(value_at<T>(t, item)); },
          [&](auto const& r) { return parts_at<T>(r, item); });
    });
    return T(total.value());
  } else if constexpr (Op::lazy) {  // only the chosen branch runs
    return value_at<T>(get<0>(n.args), item) != T(0) ? value_at<T>(get<1>(n.args), item)
                                                     : value_at<T>(get<2>(n.args), item);
  } else {
    return [&]<std::size_t... K>(std::index_sequence<K...>) { return Op::apply(value_at<T>(get<K>(n.args), item)...); }
    (std::index_sequence_for<A...>{});
  }
}

template <class T, class E, class Data>
LOSSFORGE_FUNCTION T value_at(E const& e, work_item<Data>& item) {
  if constexpr (Constant<E>) {
    return []<std::intmax_t N, std::intmax_t D>(constant<N, D>) { return T(N) / T(D); }(e);
  } else if constexpr (lossforge::detail::is_literal_v<E>) {
    return T(e.value);
  } else if constexpr (Index<E>) {
    return T(item.template at<E>());
  } else if constexpr (requires { []<class I>(extent<I>) {}(e); }) {
    return [&]<class I>(extent<I>) { return T(item.template extent<I>()); }(e);
  } else if constexpr (
      requires { []<class I>(ones<I>) {}(e); } || requires { []<class A>(witness<A>) {}(e); }) {
    return T(1);
  } else if constexpr (is_access_v<E>) {
    return access_at<T>(e, item);
  } else if constexpr (is_reduce_v<E>) {
    if constexpr (position_v<typename Data::globals_list, E> >= 0) {
      return T(item.data.global[position_v<typename Data::globals_list, E>]);
    } else if constexpr (position_v<typename Data::cached, E> >= 0) {
      return T(cached_at<T>(e, item));
    } else {
      return reduce_at<T>(e, item);
    }
  } else if constexpr (is_node_v<E>) {
    return node_at<T>(e, item);
  } else {
    static_assert(lossforge::detail::kind_v<E> == lossforge::detail::node_kind::scalar,
                  "lossforge: the kernel evaluator has no case for this node kind");
    return item.data.scalar[position_v<typename Data::scalars_list, E>];
  }
}

}  // namespace lossforge::kokkos::detail
