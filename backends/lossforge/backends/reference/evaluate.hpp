#pragma once
// The reference evaluator: a plain serial host interpreter of any expression, written to be obviously correct
// rather than fast (its one economy: a reduction's value is remembered for the positions of its free indices). It
// is the oracle the fused kernels are tested against, and the unfused baseline of the benchmark.
//
//   double loss = lf::reference::evaluate(combo, lf::bind(p = lf::host_view(pv, {n}), g = ..., w = 0.5));
//   lf::host_array<double> dp = lf::reference::evaluate(lf::grad(combo, p), same bindings);
//
// Tensors bind to host_tensor<T> (host_view over spans, vectors, Eigen objects or strided pointers), scalars to
// numbers. Sums accumulate in double. Errors (shape mismatches, class indices out of range) throw and name the
// values involved.
#include <array>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <lossforge/backends/extents.hpp>
#include <lossforge/backends/parameters.hpp>
#include <lossforge/backends/reference/host_tensor.hpp>
#include <lossforge/diagnostics.hpp>
#include <lossforge/dsl/bind.hpp>
#include <lossforge/dsl/extent_sources.hpp>
#include <lossforge/dsl/reductions.hpp>
#include <lossforge/dsl/symbol_uses.hpp>
#include <lossforge/dsl/transform.hpp>
#include <lossforge/print/print.hpp>

namespace lossforge::reference {
namespace detail {
using namespace lossforge::detail;

// ---- the index environment -------------------------------------------------------------------------------------
// An address per type: the key of an index's state, and part of a reduction's memo key.
template <class T>
inline constexpr char type_key = 0;

struct index_state {
  void const* key;
  std::ptrdiff_t value;
  std::ptrdiff_t extent;
  shape_t const* shape;  // what a flat index runs over: the shape its bare tensors broadcast to
};

// The last value of each reduction node, with the positions of its free indices it was computed at: a reduction
// depends on nothing else, so a closed one (Dice's sums) is computed once per evaluation and a row's (a
// log-sum-exp) once per row, rather than once per element that reads it. Keyed by the node's address, its type (a
// reduction that begins another's body, sum_c(sum_j(p[j,c]) * q[i]), has the same address) and the precision it
// was evaluated in.
struct memo_entry {
  std::vector<std::ptrdiff_t> at;
  double value;     // rounded to the precision it was evaluated in
  lead_tail parts;  // as folded, in double: a log-sum-exp's max and log(sum exp(x - max)), read by sums holding it
};

struct environment {
  std::array<index_state, 32> states{};
  int count = 0;
  std::map<std::tuple<void const*, void const*, std::size_t>, memo_entry> memo;

  template <class I>
  index_state& find() {
    for (int k = count; k-- > 0;)
      if (states[std::size_t(k)].key == &type_key<I>) return states[std::size_t(k)];
    throw std::logic_error("lossforge::reference: an index is used outside its scope");
  }
  template <class I>
  index_state& push(shape_t const& shape) {
    if (count == int(states.size())) throw std::length_error("lossforge::reference: indices nested too deeply");
    states[std::size_t(count)] = {&type_key<I>, 0, element_count(shape), &shape};
    return states[std::size_t(count++)];
  }
  void pop() { --count; }
};

template <class Symbol, class Bindings>
auto const& tensor_of(Bindings const& b) {
  return b.template get<Symbol>();
}
using backend::symbol_name;

// The shapes of the bound host tensors, as backend::resolve_extent reads them.
template <class Bindings>
struct bound_shapes {
  Bindings const& b;
  template <class Symbol>
  shape_t of() const {
    return tensor_of<Symbol>(b).shape;
  }
};

template <class I, class E, class Root, class Bindings>
shape_t resolve_extent(Bindings const& b) {
  return backend::resolve_extent<I, E, Root>(bound_shapes<Bindings>{b});
}

// ---- evaluation ------------------------------------------------------------------------------------------------
template <class T, class Root, class E, class Bindings>
T eval(E const& e, Bindings const& b, environment& env);

template <class S, class Bindings>
void check_rank(int accessed, Bindings const& b) {
  auto const& t = tensor_of<S>(b);
  if (t.rank() != accessed)
    throw std::invalid_argument("lossforge: '" + symbol_name<S>() + "' is accessed with " + std::to_string(accessed) +
                                " indices but is bound to shape " + shape_string(t.shape));
}

template <class T, class Root, class S, class... Slots, class Bindings>
T eval_access(access<S, Slots...> const& a, Bindings const& b, environment& env) {
  auto const& t = tensor_of<S>(b);
  if constexpr (sizeof...(Slots) == 1 && (is_flat_slot_v<Slots> && ...)) {
    index_state const& position = env.template find<Slots...>();
    return T(t.at_flat(position.value, *position.shape));
  } else {
    check_rank<S>(int(sizeof...(Slots)), b);
    std::array<std::ptrdiff_t, sizeof...(Slots)> position{};
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&]<class Slot>(Slot const& slot) {
            if constexpr (Index<Slot>) {
              position[K] = env.template find<Slot>().value;
            } else {
              double const v = eval<double, Root>(slot, b, env);
              std::ptrdiff_t const extent = t.shape[K];
              if (!(v >= 0 && v < double(extent)))
                throw std::out_of_range(index_out_of_range_message(v, K, symbol_name<S>(), t.shape));
              position[K] = std::ptrdiff_t(v);
            }
          }(get<K>(a.slots)),
          ...);
    }
    (std::index_sequence_for<Slots...>{});
    return T(t.at(position.data()));
  }
}

// The reduction's value as lead + tail (a log-sum-exp's max and log(sum exp(x - max))).
template <class T, class Root, class Op, class I, class B, class Bindings>
lead_tail eval_reduce(reduce<Op, I, B> const& r, Bindings const& b, environment& env) {
  shape_t const shape = resolve_extent<I, B, Root>(b);
  std::ptrdiff_t const n = element_count(shape);
  auto& state = env.template push<I>(shape);
  lead_tail const result = reductions::fold<Op>(n, [&](auto const& f) {
    for (std::ptrdiff_t k = 0; k < n; ++k) {
      state.value = k;
      f(double(eval<T, Root>(r.body, b, env)));
    }
  });
  env.pop();
  if constexpr (Op::folds == reductions::folding::max)
    if (n == 0) throw std::invalid_argument("lossforge: max over an empty index has no value");
  return result;
}

// A reduction's value, remembered for the positions of its free indices.
template <class T, class Root, class R, class Bindings>
memo_entry const& eval_memo(R const& e, Bindings const& b, environment& env) {
  std::vector<std::ptrdiff_t> at = [&]<class... I>(type_list<I...>) {
    return std::vector<std::ptrdiff_t>{env.template find<I>().value...};
  }(free_indices_t<R>{});
  auto const key = std::make_tuple(static_cast<void const*>(&e), static_cast<void const*>(&type_key<R>), sizeof(T));
  if (auto const found = env.memo.find(key); found != env.memo.end() && found->second.at == at) return found->second;
  lead_tail const parts = eval_reduce<T, Root>(e, b, env);
  return env.memo[key] = {std::move(at), double(T(parts.value())), parts};
}

// A sum that holds a log-sum-exp (x[c] - lse, lse - x[t]) is computed as PyTorch's log_softmax computes it: the other
// terms, plus the log-sum-exps' maxima, plus their logs ((x[c] - max) - log(sum)), so that equal logits of 1e30 do
// not cancel to 0 and a target logit of -inf gives +inf. Sums are nested + and - nodes, negations -e or -1 * e.
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

struct pytorch_order_sum {
  double others = 0, maxima = 0, logs = 0;
};
template <class T, class Root, class E, class Bindings>
void add_terms(E const& e, double sign, Bindings const& b, environment& env, pytorch_order_sum& sum) {
  if constexpr (!signed_terms<E>::log_sum_exp) {
    sum.others += sign * double(eval<T, Root>(e, b, env));
  } else if constexpr (is_reduce_v<E>) {
    memo_entry const& lse = eval_memo<T, Root>(e, b, env);
    sum.maxima += sign * lse.parts.lead;
    sum.logs += sign * lse.parts.tail;
  } else {
    using Op = typename node_op<E>::type;
    if constexpr (std::is_same_v<Op, ops::add> || std::is_same_v<Op, ops::sub>) {
      add_terms<T, Root>(arg<0>(e), sign, b, env, sum);
      add_terms<T, Root>(arg<1>(e), std::is_same_v<Op, ops::sub> ? -sign : sign, b, env, sum);
    } else if constexpr (std::is_same_v<Op, ops::neg>) {
      add_terms<T, Root>(arg<0>(e), -sign, b, env, sum);
    } else {
      add_terms<T, Root>(arg<1>(e), -sign, b, env, sum);
    }
  }
}

template <class T, class Root, class E, class Bindings>
T eval(E const& e, Bindings const& b, environment& env) {
  if constexpr (Constant<E>) {
    return T(value_of(e));
  } else if constexpr (detail::is_literal_v<E>) {
    return T(e.value);
  } else if constexpr (Index<E>) {
    return T(env.template find<E>().value);
  } else if constexpr (requires { []<class I>(extent<I>) {}(e); }) {
    return [&]<class I>(extent<I>) { return T(env.template find<I>().extent); }(e);
  } else if constexpr (
      requires { []<class I>(ones<I>) {}(e); } || requires { []<class A>(witness<A>) {}(e); }) {
    return T(1);
  } else if constexpr (is_access_v<E>) {
    return eval_access<T, Root>(e, b, env);
  } else if constexpr (is_reduce_v<E>) {
    return T(eval_memo<T, Root>(e, b, env).value);
  } else if constexpr (signed_terms<E>::log_sum_exp) {
    pytorch_order_sum sum;
    add_terms<T, Root>(e, 1.0, b, env, sum);
    return T((sum.others + sum.maxima) + sum.logs);
  } else if constexpr (is_node_v<E>) {
    using Op = typename node_op<E>::type;
    if constexpr (Op::lazy)  // only the chosen branch runs
      return eval<T, Root>(arg<0>(e), b, env) != T(0) ? eval<T, Root>(arg<1>(e), b, env)
                                                      : eval<T, Root>(arg<2>(e), b, env);
    else
      return apply_args(e, [&](auto const&... a) { return Op::apply(eval<T, Root>(a, b, env)...); });
  } else {
    static_assert(kind_v<E> == node_kind::scalar, "lossforge: the reference evaluator has no case for this node kind");
    return T(b.template get<E>());
  }
}

// Every tensor accessed with indices must be bound with that many dimensions: checked first, so the error names
// the tensor and its shape rather than a mismatch it causes later.
template <class Root, class Bindings>
void check_ranks(Bindings const& b) {
  [&]<class... S>(type_list<S...>) {
    (
        [&] {
          if constexpr (TensorSymbol<S>) {
            using uses = symbol_uses<S, Root>;
            if constexpr (!uses::flat) check_rank<S>(uses::rank, b);
          }
        }(),
        ...);
  }(symbols_of_t<Root>{});
}

}  // namespace detail

// Evaluates e in precision T: a number when e has no free index, else a host_array over its free indices (a free
// index of a tensor used without indices, or of its gradient, contributes the tensor's whole shape).
template <class T = double, Operand E, class Bindings>
auto evaluate(E const& expression, Bindings const& b) {
  using namespace lossforge::detail;
  auto const e = as_expression(expression);
  using expr = std::remove_cvref_t<decltype(e)>;
  using free = free_indices_t<expr>;
  detail::check_ranks<expr>(b);
  backend::check_broadcasts<expr>(detail::bound_shapes<Bindings>{b});
  detail::environment env;
  // Parameters bound at run time (a label smoothing, a Huber delta) in their ranges, before anything else.
  backend::check_parameters(e, [&](auto const& value) { return detail::eval<double, expr>(value, b, env); });
  if constexpr (free::size == 0) {
    return detail::eval<T, expr>(e, b, env);
  } else {
    return [&]<class... I>(type_list<I...>) {
      std::array<shape_t, sizeof...(I)> shapes{detail::resolve_extent<I, expr, expr>(b)...};
      host_array<T> out;
      for (auto const& s : shapes) out.shape.insert(out.shape.end(), s.begin(), s.end());
      std::ptrdiff_t const total = element_count(out.shape);
      out.values.resize(std::size_t(total));
      std::array<std::ptrdiff_t, sizeof...(I)> extents{};
      std::array<detail::index_state*, sizeof...(I)> states{};
      std::size_t k = 0;
      ((extents[k] = element_count(shapes[k]), states[k] = &env.template push<I>(shapes[k]), ++k), ...);
      for (std::ptrdiff_t flat = 0; flat < total; ++flat) {
        std::ptrdiff_t rest = flat;
        for (std::size_t d = sizeof...(I); d-- > 0;) {
          states[d]->value = rest % extents[d];
          rest /= extents[d];
        }
        out.values[std::size_t(flat)] = detail::eval<T, expr>(e, b, env);
      }
      return out;
    }(output_indices_t<expr>{});
  }
}

}  // namespace lossforge::reference
