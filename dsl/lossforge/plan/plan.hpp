#pragma once
// The planner: a loss and its gradients (the *outputs*) become the fewest passes over memory the data dependencies
// allow. Everything here happens at compile time, on types.
//
//  * Every closed reduction the outputs read (sum(p * g), the batch mean of a cross entropy) is a *global*. Its
//    level is 1 + the deepest level of the globals its body reads; pass L accumulates the globals of level L.
//  * An output with free indices (a gradient, a per-element loss) is *written* in the pass after the deepest
//    global it reads, which is pass 1 when it reads none: elementwise-then-mean losses write their gradient in
//    the same kernel that accumulates the loss. Outputs without free indices (a scalar loss, the gradient of a
//    scalar) are finished on the host from the globals.
//  * A closed reduction that only gradients (or other per-element outputs) read, over a dimension each of them
//    loops over inside its row anyway (sum_c w[c] over the classes of a cross entropy), is cheaper recomputed in
//    each row, where it costs one more inner loop, than given a pass of its own: it is *row-local*, not a global.
//  * A sum or mean over the rows of a kernel whose body costs O(1) per row (the weighted mean's denominator
//    sum_i w[t[i]]) does not hold back an output whose rows have inner entries (a gradient row of C classes): the
//    kernel's work items become chunks of rows, each of which first recomputes that global over all rows (a
//    *prelude*: chunks x rows x O(1), small next to rows x C), and the output is written in the global's own pass.
//  * A reduction with free indices that a work item would recompute per position of an index it does not depend
//    on (a class's sums in every row of a Dice gradient) is an *intermediate* (intermediates.hpp): a buffer over its
//    free indices, written in the pass after the globals and buffers it reads, read by later passes.
//  * A buffer that a write reads only at the write's own row (its first index: the gather along a window's rows in
//    a gradient) is written by the same kernel, in each work item before that write: it takes no pass of its own.
//  * Within a pass, units whose outer index runs over the same tensor dimension are fused into one kernel, whose
//    work items are the positions of that index: the *row*. Each unit's outer index is renamed to the kernel's
//    row_index, so identical row-local subexpressions (the log-sum-exp of row i in both the loss and its gradient)
//    become identical types and are computed once per work item.
#include <array>
#include <cstddef>
#include <tuple>
#include <utility>

#include <lossforge/dsl/reductions.hpp>
#include <lossforge/dsl/substitute.hpp>
#include <lossforge/plan/intermediates.hpp>
#include <lossforge/plan/reductions.hpp>
#include <lossforge/plan/split.hpp>

namespace lossforge {
namespace plan {

// The index a kernel's work items run over. Flat when it stands for all elements of bare tensors.
template <int Pass, int Group, bool Flat>
struct row_index {
  static constexpr int pass = Pass;
  static constexpr int group = Group;
  static constexpr char const* display_name = "row";
};

// Accumulates the closed reduction R over the rows: Body is R's body with R's index renamed to the row.
template <class R, class Body>
struct reduce_step {
  Body body;
};
// Writes output number Output: Expression is the output with its first output index renamed to the row; Inner are
// the remaining output indices, looped inside the work item.
template <int Output, class Expression, class... Inner>
struct write_step {
  Expression expression;
};

template <class Step>
inline constexpr bool is_reduce_step_v = false;
template <class R, class B>
inline constexpr bool is_reduce_step_v<reduce_step<R, B>> = true;

// What a step computes: its expression, the reduction it accumulates (reduce steps), its inner output indices.
template <class Step>
struct step_traits;
template <class Op, class I, class B, class Body>
struct step_traits<reduce_step<reduce<Op, I, B>, Body>> {
  using op = Op;
  using reduction = reduce<Op, I, B>;
  using expression = Body;
  using inner = lossforge::detail::type_list<>;
};
template <int Out, class E, class... Inner>
struct step_traits<write_step<Out, E, Inner...>> {
  static constexpr int output = Out;
  using expression = E;
  using inner = lossforge::detail::type_list<Inner...>;
};

// Whether reduce step S of a kernel whose steps are Steps is a prelude: a write step of the same kernel reads its
// global, so every chunk of rows recomputes it before writing.
template <class S, class... Steps>
constexpr bool is_prelude() {
  if constexpr (!is_reduce_step_v<S>)
    return false;
  else
    return (
        (!is_reduce_step_v<Steps> &&
         lossforge::detail::contains_v<lossforge::detail::closed_reductions_t<typename step_traits<Steps>::expression>,
                                       typename step_traits<S>::reduction>) ||
        ...);
}

template <class Row, class... Steps>
struct kernel {
  detail::tuple<Steps...> steps;
};

// What the host needs to run a plan: the outputs (to finish the scalar ones), the globals in level order, and the
// passes, each a std::tuple of kernels. The last Intermediates outputs are the intermediates' computations,
// intermediate K at position size - Intermediates + K - 1; the others are the outputs the caller asked for.
template <class Outputs, class Globals, class Passes, std::size_t Intermediates = 0,
          class Split = lossforge::detail::type_list<>>
struct plan {
  Outputs outputs;
  Passes passes;
  using globals = Globals;
  using split = Split;  // the tensors whose dimension 0 is divided among processes (split.hpp)
  static constexpr std::size_t pass_count = std::tuple_size_v<Passes>;
  static constexpr std::size_t intermediate_count = Intermediates;
  static constexpr std::size_t requested_count = std::tuple_size_v<Outputs> - Intermediates;
};

}  // namespace plan

namespace detail {
template <int P, int G, bool F>
struct is_index<plan::row_index<P, G, F>> : std::true_type {};
template <int P, int G, bool F>
struct is_expression<plan::row_index<P, G, F>> : std::true_type {};
template <int P, int G>
inline constexpr bool is_flat_slot_v<plan::row_index<P, G, true>> = true;

// Groups the outputs into one expression for type-level queries; Split: the tensors whose dimension 0 is divided
// among processes (split.hpp), none for a plan of one process.
template <class Split>
struct plan_root_over {};
using plan_root = plan_root_over<type_list<>>;
template <class Root>
struct split_of;
template <class Split, class... E>
struct split_of<node<plan_root_over<Split>, E...>> {
  using type = Split;
};
template <class Sources, class Root>
inline constexpr bool runs_over_split_of_v = runs_over_split_v<Sources, typename split_of<Root>::type>;

template <class List>
struct first_type;
template <class T, class... Ts>
struct first_type<type_list<T, Ts...>> {
  using type = T;
};
template <class List>
struct rest_types;
template <class T, class... Ts>
struct rest_types<type_list<T, Ts...>> {
  using type = type_list<Ts...>;
};

// A unit of work: accumulating global R, or writing output number Output (expression E).
template <class R>
struct reduce_unit {};
template <int Output, class E, class Globals, class Root>
struct write_unit {};

template <class A, class B>
inline constexpr bool intersects_v = []<class... T>(type_list<T...>) { return (contains_v<B, T> || ...); }(A{});

template <class R>
struct reduction_parts;
template <class Op, class I, class B>
struct reduction_parts<reduce<Op, I, B>> {
  using op = Op;
  using index = I;
  using body = B;
};

template <class U>
struct unit_traits;
template <class Op, class I, class B>
struct unit_traits<reduce_unit<reduce<Op, I, B>>> {
  using outer = I;
  static constexpr int pass = reduction_level(std::type_identity<reduce<Op, I, B>>{});
  template <class Root>
  using sources =
      std::conditional_t<std::is_same_v<I, flat_index>, extent_sources_t<I, B>, any_extent_sources_t<I, Root>>;
};
// Whether global G can be a prelude of a kernel that writes E: a sum or mean with no reduction of its own in its
// body (O(1) per row), over the rows E is written along (Sources, the write's), E having inner entries per row, and
// those rows not split among processes (a process would recompute G from its own rows only).
template <class G, class Root, class E, class Sources>
constexpr bool prelude_for() {
  using parts = reduction_parts<G>;
  using body_reductions = reductions_in_t<typename parts::body>;
  return reductions::adds<typename parts::op> &&
         !runs_over_split_of_v<typename unit_traits<reduce_unit<G>>::template sources<Root>, Root> &&
         filter_t<body_reductions, is_closed_reduction>::size == body_reductions::size &&
         rest_types<output_indices_t<E>>::type::size != 0 &&
         intersects_v<typename unit_traits<reduce_unit<G>>::template sources<Root>, Sources>;
}
// The pass that writes E: after the deepest global it reads, or in that global's pass when it is a prelude.
template <class Globals, class Root, class E, class Sources, class... R>
constexpr int write_pass(type_list<R...>) {
  int pass = 1;
  ((pass = contains_v<Globals, R>
               ? std::max(pass, reduction_level(std::type_identity<R>{}) + (prelude_for<R, Root, E, Sources>() ? 0 : 1))
               : pass),
   ...);
  return pass;
}
// Where the extent of an index comes from; a gradient index's from its tensor's dimension; an index that no tensor
// of Root is indexed by, from the index it stands for.
template <class Root, class I,
          bool StandIn = any_extent_sources_t<I, Root>::size == 0 && stands_for_another_v<I>>
struct index_sources {
  using type = any_extent_sources_t<I, Root>;
};
template <class Root, class I>
struct index_sources<Root, I, true> : index_sources<Root, typename stands_for<I>::type> {};
template <class Root, class X, int P, int D, fixed_string N, bool StandIn>
struct index_sources<Root, gradient_index<X, P, D, N>, StandIn> {
  using type = type_list<extent_source<X, P>>;
};
// Where the rows of a write come from: its first output index's dimension; for a flat index, E's tensors. The flat
// gradient of a bare tensor X runs over X's elements and over those of the bare tensors E reads at the same positions
// (they met X in an elementwise body of the loss: their shapes are X's, or broadcast to it): gradients of tensors
// that meet (dlp and dv of one masked objective) are written by one kernel.
template <class Outer, class E, class Root>
struct write_sources : index_sources<Root, Outer> {};
template <class E, class Root>
struct write_sources<flat_index, E, Root> {
  using type = extent_sources_t<flat_index, E>;
};
template <class X, int D, fixed_string N, class E, class Root>
struct write_sources<gradient_index<X, flat_position, D, N>, E, Root> {
  using type = set_union_t<type_list<extent_source<X, flat_position>>,
                           extent_sources_t<gradient_index<X, flat_position, D, N>, E>>;
};
// The deepest level among globals or intermediates R (0 for none).
template <class... R>
constexpr int deepest_level(type_list<R...>) {
  int level = 0;
  ((level = std::max(level, reduction_level(std::type_identity<R>{}))), ...);
  return level;
}
// The intermediate whose computation E is (void when E is an output the caller asked for).
template <class E, class List>
struct intermediate_computed_as {
  using type = void;
};
template <class E, class... S>
struct intermediate_computed_as<E, type_list<S...>> {
  using type =
      typename first_non_void_type<std::conditional_t<std::is_same_v<typename S::computation, E>, S, void>...>::type;
};
// Whether E reads intermediate D anywhere but at position Row of D's first dimension: a question about accesses, as
// whether E gathers is.
template <class D, class Row>
struct reads_other_rows_of_visitor : gather_visitor {
  template <class A>
  struct elsewhere : std::false_type {};
  template <class First, class... Rest>
  struct elsewhere<access<D, First, Rest...>> : std::bool_constant<!std::is_same_v<First, Row>> {};
  template <class E, class S, class... Slots>
  using on_access = std::bool_constant<elsewhere<E>::value || (Slots::value || ...)>;
};
// Whether write E along Row reads intermediate D only at its own row, in the kernel that writes D: D's rows are
// E's, D is not combined across processes, and E's rows are not flat. Then a work item writes D's row before E's
// (step_order below), and E is written in D's pass, not after it.
template <class E, class Row, class D, class Root>
constexpr bool reads_same_row() {
  using computation = typename D::computation;
  using d_row = typename first_type<output_indices_t<computation>>::type;
  return split_of<Root>::type::size == 0 && !is_flat_slot_v<Row> &&
         !fold_t<reads_other_rows_of_visitor<D, Row>, E>::value &&
         intersects_v<typename write_sources<d_row, computation, Root>::type,
                      typename write_sources<Row, E, Root>::type>;
}
// The pass that writes intermediate D: after the globals its computation reads, and after the intermediates it
// reads, or with those it reads at its own row.
template <class D, class Root>
constexpr int intermediate_pass();
template <class E, class Row, class Root, class... D>
constexpr int pass_after_intermediates(type_list<D...>) {
  int pass = 1;
  ((pass = std::max(pass, intermediate_pass<D, Root>() + (reads_same_row<E, Row, D, Root>() ? 0 : 1))), ...);
  return pass;
}
template <class D, class Root>
constexpr int intermediate_pass() {
  using computation = typename D::computation;
  return std::max(1 + deepest_level(closed_reductions_t<computation>{}),
                  pass_after_intermediates<computation, typename first_type<output_indices_t<computation>>::type,
                                           Root>(intermediates_in_t<computation>{}));
}

template <int Output, class E, class Globals, class Root>
struct unit_traits<write_unit<Output, E, Globals, Root>> {
  using outer = typename first_type<output_indices_t<E>>::type;
  template <class R>
  using sources = typename write_sources<outer, E, R>::type;
  using computes = typename intermediate_computed_as<E, intermediates_in_t<Root>>::type;
  // An intermediate is written in the pass after the globals its computation reads; any other write after the
  // globals it reads. Both after the intermediates they read, or with those they read at their own row.
  static constexpr int pass = [] {
    if constexpr (!std::is_void_v<computes>)
      return intermediate_pass<computes, Root>();
    else
      return std::max(write_pass<Globals, Root, E, sources<Root>>(closed_reductions_t<E>{}),
                      pass_after_intermediates<E, outer, Root>(intermediates_in_t<E>{}));
  }();
  // How many intermediates of its own pass this write reads at its row, one after another: its place among the
  // kernel's steps, after those it reads.
  template <class... D>
  static constexpr int chain(type_list<D...>) {
    int depth = 0;
    ((depth = reads_same_row<E, outer, D, Root>() && intermediate_pass<D, Root>() == pass
                  ? std::max(depth, 1 + unit_traits<write_unit<0, typename D::computation, Globals, Root>>::step_order)
                  : depth),
     ...);
    return depth;
  }
  static constexpr int step_order = chain(intermediates_in_t<E>{});
};

// A unit's place among its kernel's steps: the globals first, then each write after the intermediates it reads at
// its row in the same pass.
template <class U>
inline constexpr int step_order_v = -1;
template <int Output, class E, class Globals, class Root>
inline constexpr int step_order_v<write_unit<Output, E, Globals, Root>> =
    unit_traits<write_unit<Output, E, Globals, Root>>::step_order;

template <class List, int Pass>
struct units_of_pass;
template <class... U, int Pass>
struct units_of_pass<type_list<U...>, Pass> {
  using in_pass =
      decltype((type_list<>{} + ... + std::conditional_t<unit_traits<U>::pass == Pass, type_list<U>, type_list<>>{}));
  template <int Order, class... V>
  static auto of_order(type_list<V...>)
      -> decltype((type_list<>{} + ... + std::conditional_t<step_order_v<V> == Order, type_list<V>, type_list<>>{}));
  static constexpr int last_order = [] {
    int order = -1;
    ((order = unit_traits<U>::pass == Pass ? std::max(order, step_order_v<U>) : order), ...);
    return order;
  }();
  template <int... O>
  static auto in_order(std::integer_sequence<int, O...>)
      -> decltype((type_list<>{} + ... + decltype(of_order<O - 1>(in_pass{})){}));
  using type = decltype(in_order(std::make_integer_sequence<int, last_order + 2>{}));
};

// Units of one pass grouped by shared outer dimension: group[k] is the first unit of the group of units whose
// sources meet unit k's, directly or through other units.
template <class Root, class... U>
constexpr auto group_of(type_list<U...>) {
  constexpr std::size_t n = sizeof...(U);
  using sources = std::tuple<typename unit_traits<U>::template sources<Root>...>;
  constexpr auto meets = []<std::size_t... K>(std::index_sequence<K...>) {
    return std::array<bool, n * n>{
        intersects_v<std::tuple_element_t<K / n, sources>, std::tuple_element_t<K % n, sources>>...};
  }
  (std::make_index_sequence<n * n>{});
  std::array<std::size_t, n> group{};
  for (std::size_t k = 0; k < n; ++k) group[k] = k;
  // Transitive: sum(g * g) and sum(p * p) share a kernel when sum(p * g) links them. Each group is named by its
  // first unit.
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t j = 0; j < n; ++j)
      for (std::size_t k = 0; k < n; ++k)
        if (meets[j * n + k] && group[j] != group[k]) {
          std::size_t const from = std::max(group[j], group[k]), to = std::min(group[j], group[k]);
          for (auto& g : group)
            if (g == from) g = to;
          changed = true;
        }
  }
  return group;
}
// As a variable: a constant in every lambda of make_pass (nvcc does not treat a captured constexpr local as one).
template <class Root, class Units>
inline constexpr auto group_in_pass = group_of<Root>(Units{});

// Global R with its runtime literals: it sits in one of the outputs, searched as the one root they form.
template <class R, class Outputs>
constexpr R find_global(Outputs const& outputs) {
  return std::apply(
      [](auto const&... e) {
        return find_subexpression<R>(node<plan_root, std::remove_cvref_t<decltype(e)>...>{make_tuple(e...)});
      },
      outputs);
}

template <class Op, class I, class B, class Row, class Outputs>
constexpr auto make_step(reduce_unit<reduce<Op, I, B>>, Row, Outputs const& outputs) {
  auto body = substitute<I, Row>(find_global<reduce<Op, I, B>>(outputs).body);
  return plan::reduce_step<reduce<Op, I, B>, decltype(body)>{body};
}
template <int Output, class E, class Globals, class Root, class Row, class Outputs>
constexpr auto make_step(write_unit<Output, E, Globals, Root>, Row, Outputs const& outputs) {
  using indices = output_indices_t<E>;
  auto expression = substitute<typename first_type<indices>::type, Row>(std::get<Output>(outputs));
  return [&]<class... Inner>(type_list<Inner...>) {
    return plan::write_step<Output, decltype(expression), Inner...>{expression};
  }(typename rest_types<indices>::type{});
}

template <int Pass, class Root, class Units, class Outputs>
constexpr auto make_pass(Outputs const& outputs) {
  return [&]<class... U>(type_list<U...>) {
    using units = std::tuple<U...>;
    constexpr std::size_t n = sizeof...(U);
    auto make_kernel = [&]<std::size_t G>(std::integral_constant<std::size_t, G>) {
      using row =
          plan::row_index<Pass, int(G), is_flat_slot_v<typename unit_traits<std::tuple_element_t<G, units>>::outer>>;
      auto steps = [&]<std::size_t... K>(std::index_sequence<K...>) {
        return std::tuple_cat([&](auto unit_number) {
          constexpr std::size_t k = decltype(unit_number)::value;
          if constexpr (group_in_pass<Root, type_list<U...>>[k] == G)
            return std::make_tuple(make_step(std::tuple_element_t<k, units>{}, row{}, outputs));
          else
            return std::tuple<>{};
        }(std::integral_constant<std::size_t, K>{})...);
      }
      (std::make_index_sequence<n>{});
      return std::apply(
          [](auto const&... s) { return plan::kernel<row, std::remove_cvref_t<decltype(s)>...>{{{{s}...}}}; }, steps);
    };
    return [&]<std::size_t... K>(std::index_sequence<K...>) {
      return std::tuple_cat([&](auto unit_number) {
        constexpr std::size_t k = decltype(unit_number)::value;
        if constexpr (group_in_pass<Root, type_list<U...>>[k] == k)
          return std::make_tuple(make_kernel(unit_number));
        else
          return std::tuple<>{};
      }(std::integral_constant<std::size_t, K>{})...);
    }
    (std::make_index_sequence<n>{});
  }(typename units_of_pass<Units, Pass>::type{});
}

template <class List, int Level>
struct globals_of_level;
template <class... R, int Level>
struct globals_of_level<type_list<R...>, Level> {
  using type =
      decltype((type_list<>{} + ... +
                std::conditional_t<reduction_level(std::type_identity<R>{}) == Level, type_list<R>, type_list<>>{}));
};
template <class Root, class List>
struct sources_of_indices;
template <class Root, class... I>
struct sources_of_indices<Root, type_list<I...>> {
  using type = decltype((type_list<>{} + ... + typename index_sources<Root, I>::type{}));
};

template <class R, class E>
inline constexpr bool reads_v = contains_v<closed_reductions_t<E>, R>;
template <class R, class... G>
constexpr bool read_by_a_reduction(type_list<G...>) {
  return (reads_v<R, typename reduction_parts<G>::body> || ...);
}
// Whether output E leaves R row-local: it does not read R, or loops inside its rows over R's dimension (all its
// indices but the first); an output finished on the host never does.
template <class R, class Root, class E>
constexpr bool leaves_row_local() {
  if constexpr (!reads_v<R, E>)
    return true;
  else if constexpr (free_indices_t<E>::size == 0)
    return false;
  else
    return intersects_v<any_extent_sources_t<typename reduction_parts<R>::index, Root>,
                        typename sources_of_indices<Root, typename rest_types<output_indices_t<E>>::type>::type>;
}
// Whether closed reduction R is row-local (see the top of this file): over a named index not split among processes,
// reading no global, read by no other closed reduction, and every output leaves it so.
template <class R, class Root, class... E>
constexpr bool is_row_local() {
  using index = typename reduction_parts<R>::index;
  if constexpr (std::is_same_v<index, flat_index> || closed_depth<typename reduction_parts<R>::body>() != 0 ||
                runs_over_split_of_v<any_extent_sources_t<index, Root>, Root>)
    return false;
  else
    return !read_by_a_reduction<R>(closed_reductions_t<Root>{}) && (leaves_row_local<R, Root, E>() && ...);
}

// The closed reductions in List that are not row-local.
template <class List, class Root, class... E>
struct globals_among;
template <class... R, class Root, class... E>
struct globals_among<type_list<R...>, Root, E...> {
  using type =
      decltype((type_list<>{} + ... + std::conditional_t<is_row_local<R, Root, E...>(), type_list<>, type_list<R>>{}));
};

// A write unit for every output with free indices.
template <class Globals, class Root, class Positions, class... E>
struct write_units;
template <class Globals, class Root, std::size_t... K, class... E>
struct write_units<Globals, Root, std::index_sequence<K...>, E...> {
  using type = decltype((type_list<>{} + ... +
                         std::conditional_t<free_indices_t<E>::size != 0,
                                            type_list<write_unit<int(K), E, Globals, Root>>, type_list<>>{}));
};

}  // namespace detail

namespace detail {
// The plan of outputs E... of which the last Intermediates are intermediates' computations, over data whose tensors
// Split are divided among processes along dimension 0.
template <std::size_t Intermediates, class Split, class... E>
constexpr auto plan_of(E const&... outputs) {
  using root = node<plan_root_over<Split>, E...>;
  using all_globals = typename globals_among<closed_reductions_t<root>, root, E...>::type;
  constexpr int levels = deepest_level(all_globals{});
  using globals = decltype([]<int... L>(std::integer_sequence<int, L...>) {
    return (type_list<>{} + ... + typename globals_of_level<all_globals, L + 1>::type{});
  }(std::make_integer_sequence<int, levels>{}));
  using writes = typename write_units<globals, root, std::index_sequence_for<E...>, E...>::type;
  using units =
      decltype([]<class... R>(type_list<R...>) { return type_list<reduce_unit<R>...>{}; }(globals{}) + writes{});
  constexpr int passes = [] {
    int p = 0;
    [&]<class... U>(type_list<U...>) { ((p = std::max(p, unit_traits<U>::pass)), ...); }(units{});
    return p;
  }();
  auto const outputs_tuple = std::make_tuple(outputs...);
  auto pass_tuple = [&]<int... P>(std::integer_sequence<int, P...>) {
    return std::make_tuple(make_pass<P + 1, root, units>(outputs_tuple)...);
  }
  (std::make_integer_sequence<int, passes>{});
  return plan::plan<std::tuple<E...>, globals, decltype(pass_tuple), Intermediates, Split>{outputs_tuple, pass_tuple};
}
}  // namespace detail

// The plan of a list of outputs (expressions). Output k is written to the k-th output a backend is given. Split
// lists the tensors whose dimension 0 is divided among processes (split.hpp).
template <class Split = detail::type_list<>, class... E>
constexpr auto make_plan(E const&... outputs) {
  return std::apply([](auto const&... all) { return detail::plan_of<sizeof...(all) - sizeof...(E), Split>(all...); },
                    detail::with_intermediates<Split>(outputs...));
}

}  // namespace lossforge
