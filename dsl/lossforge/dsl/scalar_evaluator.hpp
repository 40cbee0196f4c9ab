#pragma once
// The value of an expression at one point, in precision T: lossforge's one scalar evaluator. What its users do
// differently is their environment:
//   * the reference evaluator's: host tensors; errors throw; a reduction's value is remembered for the positions of
//     its free indices;
//   * a kernel's work item: accessors; errors are recorded for the host to report (a gather out of range reads
//     nothing and yields NaN); the globals of earlier passes and the row's cache of its reductions;
//   * a kernel's row on the host: the same, with its reductions in SIMD blocks;
//   * the pointwise environment of a closed elementwise expression: its scalar symbols (evaluate_pointwise).
// Each op's scalar form is its tag's apply (ops.hpp); the vectorized block evaluator holds the lane forms beside them.
//
// An environment provides what the kinds of node it meets need:
//   position<I>(), extent<I>()      index I's position and extent
//   count<I>()                      I's extent as a number in the loss, where it differs from the loop's (data split
//                                   among processes: the whole extent); optional, extent<I>() where absent
//   scalar<S>()                     scalar symbol S's value
//   flat_element<S, I>()            bare tensor S's element at flat index I's position
//   element<S>(position)            tensor S's element at a position per slot (an array of them)
//   dimension<S, K>()               dimension K of S: the range of a gathered slot
//   out_of_range<S, K>(v)           a gathered slot's value v outside it: throws, or records the error and returns
//   reduction<T>(r)                 reduction r's value as lead + tail (below): remembered, cached, a global, or
//                                   computed by fold_at<T>(r, env)
//   loop<I>(r)                      the loop of r over I, for fold_at: extent(), at(k) moves I to position k, and
//                                   its end restores what I was
//   max_of_nothing()                a max over an empty index: throws, or records the error
// Sums accumulate in double whatever T is.
//
// A log-sum-exp is max + log(sum exp(x - max)), and a sum that holds one (x[c] - lse, lse - x[t]) adds its maxima to
// its other terms first and the logs after, as PyTorch's log_softmax computes (x[c] - max) - log(sum): rounded to one
// number first, lse would lose log(sum) against a max of 1e30, and x[c] - lse would cancel to 0.
#include <cstddef>
#include <limits>
#include <type_traits>
#include <utility>

#include <lossforge/config.hpp>
#include <lossforge/dsl/expr.hpp>
#include <lossforge/dsl/ops.hpp>
#include <lossforge/dsl/reductions.hpp>
#include <lossforge/dsl/traversal.hpp>
#include <lossforge/dsl/tuple.hpp>
#include <lossforge/dsl/windows.hpp>

namespace lossforge {
namespace detail {

template <class T, class E, class Env>
LOSSFORGE_FUNCTION T value_at(E const& e, Env& env);

// ---- sums that hold a log-sum-exp ------------------------------------------------------------------------------
// Sums are nested + and - nodes, negations -e or -1 * e.
template <class E>
struct signed_terms {
  static constexpr bool log_sum_exp = false;
};
template <class I, class B>
struct signed_terms<reduce<reductions::logsumexp, I, B>> {
  static constexpr bool log_sum_exp = true;
};
template <class Op, class A, class B>
requires(std::is_same_v<Op, ops::add> || std::is_same_v<Op, ops::sub>) struct signed_terms<node<Op, A, B>> {
  static constexpr bool log_sum_exp = signed_terms<A>::log_sum_exp || signed_terms<B>::log_sum_exp;
};
template <class A>
struct signed_terms<node<ops::neg, A>> : signed_terms<A> {};
template <class A>
struct signed_terms<node<ops::mul, constant<-1>, A>> : signed_terms<A> {};
template <class E>
inline constexpr bool holds_log_sum_exp = signed_terms<E>::log_sum_exp;

// A sum holding log-sum-exps, term by term: its other terms, the log-sum-exps' leads, their tails.
struct log_sum_exp_sum {
  double others = 0, leads = 0, tails = 0;
  LOSSFORGE_FUNCTION double lead() const { return others + leads; }
  LOSSFORGE_FUNCTION double value() const { return lead_tail{lead(), tails}.value(); }
};
// Adds e times sign (1 or -1) to sum: value(t) is a term's value in double, parts(r) a log-sum-exp's lead and tail.
template <class E, class Value, class Parts>
LOSSFORGE_FUNCTION void add_terms(E const& e, double sign, Value const& value, Parts const& parts,
                                  log_sum_exp_sum& sum) {
  if constexpr (!holds_log_sum_exp<E>) {
    sum.others += sign * value(e);
  } else if constexpr (is_reduce_v<E>) {
    lead_tail const p = parts(e);
    sum.leads += sign * p.lead;
    sum.tails += sign * p.tail;
  } else {
    using Op = typename node_op<E>::type;
    if constexpr (std::is_same_v<Op, ops::add> || std::is_same_v<Op, ops::sub>) {
      add_terms(get<0>(e.args), sign, value, parts, sum);
      add_terms(get<1>(e.args), std::is_same_v<Op, ops::sub> ? -sign : sign, value, parts, sum);
    } else if constexpr (std::is_same_v<Op, ops::neg>) {
      add_terms(get<0>(e.args), -sign, value, parts, sum);
    } else {
      add_terms(get<1>(e.args), -sign, value, parts, sum);
    }
  }
}

// ---- the node kinds --------------------------------------------------------------------------------------------
// The zeros a zero-padded window with offset U reads before its tensor's first element: (K - 1) / 2, K U's extent.
template <class U, class Env>
LOSSFORGE_FUNCTION std::ptrdiff_t zeros_before(Env& env) {
  return (env.template extent<U>() - 1) / 2;
}

// Index I's position: its loop's, a window position's G - U (+ the zeros before, zero-padded), or a zero-padded
// window's h + u less the zeros before (windows.hpp).
template <class I, class Env>
LOSSFORGE_FUNCTION std::ptrdiff_t index_position(Env& env) {
  if constexpr (is_window_position_v<I>)
    return index_position<typename I::base>(env) - index_position<typename I::offset>(env) +
           (I::padded ? zeros_before<typename I::offset>(env) : 0);
  else if constexpr (is_padded_window_v<I>)
    return index_position<typename I::position>(env) + index_position<typename I::offset>(env) -
           zeros_before<typename I::offset>(env);
  else
    return env.template position<I>();
}

// A reduction computed where it stands: its body at every position of its index, folded as its tag folds.
template <class T, class Op, class I, class B, class Env>
LOSSFORGE_FUNCTION lead_tail fold_at(reduce<Op, I, B> const& r, Env& env) {
  auto loop = env.template loop<I>(r);
  std::ptrdiff_t const n = loop.extent();
  lead_tail const result = reductions::fold<Op>(n, [&](auto const& f) {
    for (std::ptrdiff_t k = 0; k < n; ++k) {
      loop.at(k);
      f(double(value_at<T>(r.body, env)));
    }
  });
  if constexpr (Op::folds == reductions::folding::max)
    if (n == 0) env.max_of_nothing();
  return result;
}

// Slot K's position in an element read of tensor S: an index's position, or a gathered slot's value checked against
// dimension K first; a zero-padded window past the edges sets padding, and the read is a zero (a function of its own,
// not a lambda in the pack expansion, which nvcc cannot expand).
template <class S, int K, class Slot, class Env>
LOSSFORGE_FUNCTION std::ptrdiff_t slot_position(Slot const& slot, Env& env, bool& in_range, bool& padding) {
  if constexpr (is_padded_window_v<Slot>) {  // past the edges: a zero, no error
    std::ptrdiff_t const p = index_position<Slot>(env);
    if (p < 0 || p >= env.template dimension<S, K>()) padding = true;
    return padding ? 0 : p;
  } else if constexpr (Index<Slot>) {
    return index_position<Slot>(env);
  } else {
    double const v = value_at<double>(slot, env);
    if (in_range && !(v >= 0 && v < double(env.template dimension<S, K>()))) {
      in_range = false;
      env.template out_of_range<S, K>(v);
    }
    return in_range ? std::ptrdiff_t(v) : 0;
  }
}

// An element read: by flat position for a bare tensor, else by one position per slot.
template <class T, class S, class... Slots, class Env>
LOSSFORGE_FUNCTION T access_value(access<S, Slots...> const& a, Env& env) {
  if constexpr (sizeof...(Slots) == 1 && (is_flat_slot_v<Slots> && ...)) {
    return T(env.template flat_element<S, Slots...>());
  } else {
    std::ptrdiff_t position[sizeof...(Slots)] = {};
    bool in_range = true, padding = false;
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      ((position[K] = slot_position<S, int(K)>(get<K>(a.slots), env, in_range, padding)), ...);
    }
    (std::index_sequence_for<Slots...>{});
    if (!in_range) return std::numeric_limits<T>::quiet_NaN();
    return padding ? T(0) : T(env.template element<S>(position));
  }
}

// e's value in double: value_at's, except that a reduction or a sum holding a log-sum-exp is not rounded to T (a
// float kernel keeps a row's constant terms in double, executor/block.hpp).
template <class T, class E, class Env>
LOSSFORGE_FUNCTION double unrounded_value_at(E const& e, Env& env) {
  if constexpr (kind_v<E> == node_kind::reduce) {
    return env.template reduction<T>(e).value();
  } else if constexpr (holds_log_sum_exp<E>) {
    log_sum_exp_sum sum;
    add_terms(
        e, 1.0, [&](auto const& term) { return double(value_at<T>(term, env)); },
        [&](auto const& r) { return env.template reduction<T>(r); }, sum);
    return sum.value();
  } else {
    return double(value_at<T>(e, env));
  }
}

template <class T, class Op, class... A, class Env>
LOSSFORGE_FUNCTION T node_value(node<Op, A...> const& n, Env& env) {
  if constexpr (Op::lazy) {  // only the chosen branch runs
    return value_at<T>(get<0>(n.args), env) != T(0) ? value_at<T>(get<1>(n.args), env)
                                                    : value_at<T>(get<2>(n.args), env);
  } else {
    return [&]<std::size_t... K>(std::index_sequence<K...>) { return Op::apply(value_at<T>(get<K>(n.args), env)...); }
    (std::index_sequence_for<A...>{});
  }
}

template <class T, class E, class Env>
LOSSFORGE_FUNCTION T value_at(E const& e, Env& env) {
  constexpr node_kind kind = kind_v<E>;
  if constexpr (Constant<E>) {
    return []<std::intmax_t N, std::intmax_t D>(constant<N, D>) { return T(N) / T(D); }(e);
  } else if constexpr (kind == node_kind::number) {
    return T(e.value);
  } else if constexpr (kind == node_kind::index) {
    return T(index_position<E>(env));
  } else if constexpr (is_extent_v<E>) {
    return [&]<class I>(extent<I>) {
      if constexpr (requires { env.template count<I>(); })
        return T(env.template count<I>());
      else
        return T(env.template extent<I>());
    }(e);
  } else if constexpr (is_ones_v<E> || kind == node_kind::witness) {
    return T(1);
  } else if constexpr (kind == node_kind::access) {
    return access_value<T>(e, env);
  } else if constexpr (kind == node_kind::reduce || holds_log_sum_exp<E>) {
    return T(unrounded_value_at<T>(e, env));
  } else if constexpr (kind == node_kind::node) {
    return node_value<T>(e, env);
  } else {
    static_assert(kind == node_kind::scalar, "lossforge: the scalar evaluator has no case for this node kind");
    return T(env.template scalar<E>());
  }
}

// The environment of a closed elementwise expression: numbers, scalar symbols, ops.
template <class Values>
struct pointwise_environment {
  Values const& values;
  template <class S>
  LOSSFORGE_FUNCTION auto scalar() const {
    return values.template get<S>();
  }
};

}  // namespace detail

// The value of a closed elementwise expression (numbers, scalar symbols, ops) in precision T, as a device function:
// `values` supplies each scalar symbol's value through `template <class Symbol> T get() const`.
template <class T, class E, class Values>
LOSSFORGE_FUNCTION T evaluate_pointwise(E const& e, Values const& values) {
  detail::pointwise_environment<Values> env{values};
  return detail::value_at<T>(e, env);
}

}  // namespace lossforge
