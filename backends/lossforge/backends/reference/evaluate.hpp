#pragma once
// The reference evaluator: a plain serial host interpreter of any expression, written to be obviously correct
// rather than fast (its one economy: a reduction's value is remembered for the positions of its free indices). It
// is the oracle the fused kernels are tested against, and the unfused baseline of the benchmark.
//
//   double loss = lf::reference::evaluate(combo, lf::bind(p = lf::host_view(pv, {n}), g = ..., w = 0.5));
//   lf::host_array<double> dp = lf::reference::evaluate(lf::grad(combo, p), same bindings);
//
// Tensors bind to host_tensor<T> (host_view over spans, vectors, Eigen objects or strided pointers), scalars to
// numbers. It is the scalar evaluator (dsl/scalar_evaluator.hpp) in an environment of host tensors: sums accumulate
// in double; errors (shape mismatches, class indices out of range) throw and name the values involved.
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
#include <lossforge/dsl/scalar_evaluator.hpp>
#include <lossforge/dsl/symbol_uses.hpp>
#include <lossforge/print/print.hpp>

namespace lossforge::reference {
namespace detail {
using namespace lossforge::detail;
using backend::symbol_name;

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
  lead_tail parts;  // as folded, in double
};

// The shapes of the bound host tensors, as backend::resolve_extent reads them for the indices of Root.
template <class Root, class Bindings>
struct bound_shapes {
  using root = Root;
  Bindings const& b;
  template <class Symbol>
  shape_t of() const {
    return b.template get<Symbol>().shape;
  }
};

// An access with `accessed` indices of a tensor bound with another rank is an error, not a read past the position:
// checked for every tensor first, and at each access (one tensor accessed with two ranks, in an expression grad did
// not check).
template <class S, class Bindings>
void check_rank(Bindings const& b, int accessed) {
  auto const& t = b.template get<S>();
  if (t.rank() != accessed)
    throw std::invalid_argument("lossforge: '" + symbol_name<S>() + "' is accessed with " + std::to_string(accessed) +
                                " indices but is bound to shape " + shape_string(t.shape));
}

// The reference evaluator's environment: the index positions in scope (innermost last), the memo, the bindings.
template <class Root, class Bindings>
struct environment {
  Bindings const& b;
  std::array<index_state, 32> states{};
  int count = 0;
  std::map<std::tuple<void const*, void const*, std::size_t>, memo_entry> memo{};

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

  // A reduction's loop: its index in scope over the shape its tensors give it.
  template <class I>
  struct index_loop {
    environment& env;
    shape_t const shape;
    index_state& state = env.template push<I>(shape);
    std::ptrdiff_t extent() const { return state.extent; }
    void at(std::ptrdiff_t k) { state.value = k; }
    ~index_loop() { env.pop(); }
  };

  // ---- the scalar evaluator's environment ----
  template <class I>
  std::ptrdiff_t position() {
    return find<I>().value;
  }
  template <class I>
  std::ptrdiff_t extent() {
    return find<I>().extent;
  }
  template <class S>
  double scalar() const {
    return double(b.template get<S>());
  }
  template <class S, class I>
  auto flat_element() {
    index_state const& at = find<I>();
    return b.template get<S>().at_flat(at.value, *at.shape);
  }
  template <class S, std::size_t Rank>
  auto element(std::ptrdiff_t const (&position)[Rank]) const {
    check_rank<S>(b, int(Rank));
    return b.template get<S>().at(position);
  }
  template <class S, int K>
  std::ptrdiff_t dimension() const {
    auto const& shape = b.template get<S>().shape;
    if (std::size_t(K) >= shape.size())
      throw std::invalid_argument("lossforge: '" + symbol_name<S>() + "' is indexed at position " +
                                  std::to_string(K) + " but is bound to shape " + shape_string(shape));
    return shape[std::size_t(K)];
  }

  template <class S, int K>
  [[noreturn]] void out_of_range(double value) const {
    throw std::out_of_range(index_out_of_range_message(value, std::size_t(K), symbol_name<S>(),
                                                       b.template get<S>().shape));
  }
  [[noreturn]] void max_of_nothing() const {
    throw std::invalid_argument("lossforge: max over an empty index has no value");
  }
  template <class I, class Op, class Body>
  index_loop<I> loop(reduce<Op, I, Body> const&) {
    return {*this, backend::resolve_extent<I, Body, Root>(bound_shapes<Root, Bindings>{b})};
  }
  // A reduction's value, remembered for the positions of its free indices.
  template <class T, class R>
  lead_tail reduction(R const& r) {
    std::vector<std::ptrdiff_t> at = [&]<class... I>(type_list<I...>) {
      return std::vector<std::ptrdiff_t>{find<I>().value...};
    }(free_indices_t<R>{});
    auto const key = std::make_tuple(static_cast<void const*>(&r), static_cast<void const*>(&type_key<R>), sizeof(T));
    if (auto const found = memo.find(key); found != memo.end() && found->second.at == at) return found->second.parts;
    lead_tail const parts = fold_at<T>(r, *this);
    memo[key] = {std::move(at), parts};
    return parts;
  }
};

// Every tensor accessed with indices must be bound with that many dimensions: checked first, so the error names
// the tensor and its shape rather than a mismatch it causes later.
template <class Root, class Bindings>
void check_ranks(Bindings const& b) {
  [&]<class... S>(type_list<S...>) {
    (
        [&] {
          if constexpr (TensorSymbol<S>) {
            using uses = symbol_uses<S, Root>;
            if (!uses::flat) check_rank<S>(b, uses::rank);
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
  detail::bound_shapes<expr, Bindings> const shapes{b};
  detail::check_ranks<expr>(b);
  backend::check_broadcasts<expr>(shapes);
  detail::environment<expr, Bindings> env{b};
  // Parameters bound at run time (a label smoothing, a Huber delta) in their ranges, before any evaluation.
  backend::check_parameters(e, [&](auto const& value) { return value_at<double>(value, env); });
  if constexpr (free::size == 0) {
    return value_at<T>(e, env);
  } else {
    return [&]<class... I>(type_list<I...>) {
      std::array<shape_t, sizeof...(I)> const out_shapes{backend::resolve_extent<I, expr, expr>(shapes)...};
      host_array<T> out;
      for (auto const& s : out_shapes) out.shape.insert(out.shape.end(), s.begin(), s.end());
      std::ptrdiff_t const total = element_count(out.shape);
      out.values.resize(std::size_t(total));
      std::array<std::ptrdiff_t, sizeof...(I)> extents{};
      std::array<detail::index_state*, sizeof...(I)> states{};
      std::size_t k = 0;
      ((extents[k] = element_count(out_shapes[k]), states[k] = &env.template push<I>(out_shapes[k]), ++k), ...);
      for (std::ptrdiff_t flat = 0; flat < total; ++flat) {
        std::ptrdiff_t rest = flat;
        for (std::size_t d = sizeof...(I); d-- > 0;) {
          states[d]->value = rest % extents[d];
          rest /= extents[d];
        }
        out.values[std::size_t(flat)] = value_at<T>(e, env);
      }
      return out;
    }(output_indices_t<expr>{});
  }
}

}  // namespace lossforge::reference
