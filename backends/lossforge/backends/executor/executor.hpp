#pragma once
// The backend-neutral half of a compiled loss: everything between the plan and a launch. It checks the bindings
// and outputs (shapes, broadcasts, overlaps, parameter ranges), sizes each kernel from the bound shapes, binds the
// intermediates to buffers, runs the passes in order carrying the globals from one to the next, reports the first
// error a kernel recorded, finishes scalar outputs on the host, and prints the plan with its bytes and model work.
//
// A backend is a launch policy (the one thing it decides is how a kernel's work items run) and the call forms its
// users expect: lf::kokkos::compile (kokkos/compile.hpp), lf::serial::compile (serial.hpp). A launch policy has
//
//   static constexpr bool on_host;                      // host memory: kernels run vectorized in blocks
//   std::int64_t concurrency() const;                   // threads a kernel's work items are spread over
//   void reduce(std::string const& label, std::int64_t items, F const& functor, F::value_type& result) const;
//   auto buffer<Rank>(int k, std::array<std::ptrdiff_t, Rank> const& extents) const;   // intermediate k (from 1)
//   void store(View const& rank0_output, double value) const;
//
// where reduce runs functor.init on each partial result, functor(item, partial) for every item in [0, items), and
// functor.join to combine partials into result (Kokkos' parallel_reduce contract); buffer returns a row-major
// view of at least that many doubles (View-like: rank, value_type, data, extent, stride, size, span).
#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <lossforge/backends/executor/block_kernels.hpp>
#include <lossforge/backends/executor/distributed.hpp>
#include <lossforge/backends/executor/strided_view.hpp>
#include <lossforge/backends/parameters.hpp>
#include <lossforge/diff/grad.hpp>
#include <lossforge/dsl/bind.hpp>
#include <lossforge/plan/cost.hpp>
#include <lossforge/print/plan.hpp>
#include <lossforge/print/print.hpp>
#include <lossforge/simplify/simplify.hpp>

namespace lossforge {

// The symbols a kernel differentiates: lf::wrt(p, w).
template <class... X>
struct wrt_t {};
template <class... X>
constexpr wrt_t<X...> wrt(X const&...) {
  return {};
}

// Only the gradients: lf::kokkos::compile(loss, lf::wrt(p), lf::gradient_only) does not finish the loss itself.
struct gradient_only_t {};
inline constexpr gradient_only_t gradient_only{};

namespace executor {

namespace detail {

// The names of an output: in error messages (phrase) and in plan listings (brief).
struct the_loss {
  static std::string phrase() { return "the per-element loss"; }
  static std::string brief() { return "loss"; }
};
template <class X>
struct gradient_of {
  static std::string phrase() { return "the gradient with respect to '" + backend::symbol_name<X>() + "'"; }
  static std::string brief() { return "dloss/d" + backend::symbol_name<X>(); }
};

// Whether access A reads its tensor along the kernel's row (else it gathers a few values per row).
template <class Row, class A>
inline constexpr bool reads_along_row = []<class S, class... Slots>(std::type_identity<access<S, Slots...>>) {
  return (std::is_same_v<Slots, Row> || ...);
}(std::type_identity<A>{});

// The shapes of a call's tensors: a bound View's, or an intermediate's, over the extents of its output indices. With
// split_rows, the shapes of the whole data split among processes: dimension 0 of each split tensor (in the order of
// the plan's split list) is split_rows' entry, the sum over the processes.
template <class Root, class Bindings>
struct view_shapes {
  using root = Root;
  Bindings const& b;
  std::ptrdiff_t const* split_rows = nullptr;
  template <class Symbol>
  shape_t of() const {
    if constexpr (is_intermediate_v<Symbol>) {
      using E = typename Symbol::computation;
      shape_t shape;
      [&]<class... I>(type_list<I...>) {
        (shape.push_back(element_count(backend::resolve_extent<I, E, Root>(*this))), ...);
      }(output_indices_t<E>{});
      return shape;
    } else {
      shape_t shape = shape_of(b.template get<Symbol>());
      constexpr int split = position_v<typename split_of<Root>::type, Symbol>;
      if constexpr (split >= 0)
        if (split_rows != nullptr && !shape.empty()) shape[0] = split_rows[split];
      return shape;
    }
  }
};

// The element type of tensor S in a call: its View's, or double for an intermediate's buffer.
template <class S, class Bindings>
struct element_type_of {
  using type = typename std::remove_cvref_t<decltype(std::declval<Bindings>().template get<S>())>::value_type;
};
template <int K, class R, class Bindings>
struct element_type_of<lossforge::detail::intermediate<K, R>, Bindings> {
  using type = double;
};

template <class S>
struct is_scalar_symbol : std::false_type {};
template <fixed_string N>
struct is_scalar_symbol<scalar<N>> : std::true_type {};
template <class S>
struct is_tensor_symbol_t : std::bool_constant<TensorSymbol<S>> {};

// The accessor of tensor S: a bare tensor's stretched to the shape its scope broadcasts it to.
template <class S, class Root, class Bindings>
auto bound_accessor(Bindings const& b, view_shapes<Root, Bindings> const& shapes) {
  auto a = make_accessor(b.template get<S>());
  if constexpr (contains_v<bare_tensors_t<Root>, S>) {
    shape_t const read = backend::read_shape<S, Root>(shapes);
    if (read != shapes.template of<S>()) stretch(a, read);
  }
  return a;
}

// Kernel data for the expressions of one kernel (or of the host-finished outputs when Keys is empty).
template <class T, class Keys, class Cached, class Globals, class Exprs, class Root, class Bindings>
auto make_data(Bindings const& b, view_shapes<Root, Bindings> const& shapes,
               std::array<double, at_least_one(Globals::size)> const& global) {
  using symbols = symbols_of_t<Exprs>;
  using tensors = filter_t<symbols, is_tensor_symbol_t>;
  using scalars = filter_t<symbols, is_scalar_symbol>;
  auto accessors = [&]<class... S>(type_list<S...>) {
    return lossforge::detail::make_tuple(bound_accessor<S>(b, shapes)...);
  }(tensors{});
  kernel_data<T, tensors, decltype(accessors), scalars, Keys, Globals, Cached> data{accessors};
  [&]<class... S>(type_list<S...>) {
    std::size_t k = 0;
    ((data.scalar[k++] = T(b.template get<S>())), ...);
  }(scalars{});
  for (std::size_t k = 0; k < Globals::size; ++k) data.global[k] = global[k];
  return data;
}

template <class Outputs, class Split>
struct root_of;
template <class... E, class Split>
struct root_of<std::tuple<E...>, Split> {
  using type = node<plan_root_over<Split>, E...>;  // the outputs as one expression, as make_plan sees them
};
template <class I>
inline constexpr bool is_row_index_v = false;
template <int P, int G, bool F>
inline constexpr bool is_row_index_v<plan::row_index<P, G, F>> = true;

// Whether access A reads its tensor at Row in its first slot.
template <class A, class Row>
inline constexpr bool reads_at_row = false;
template <class S, class First, class... Rest, class Row>
inline constexpr bool reads_at_row<access<S, First, Rest...>, Row> = std::is_same_v<First, Row>;

// Whether the slots of access A that are not bare indices (a gather's integer tensor) found what Found... say.
template <class A, class... Found>
inline constexpr bool found_in_computed_slots = false;
template <class S, class... Slots, class... Found>
inline constexpr bool found_in_computed_slots<access<S, Slots...>, Found...> =
    ((Found::value && !lossforge::detail::reads_directly_v<Slots>) || ...);

// Whether E, evaluated in a work item over Row, reads SplitData (the tensors a process holds only its rows of) at
// other rows than the item's own (anywhere in a kernel whose rows are not split, else at a first slot other than the
// row), or uses a split row's index as a number (a process knows its rows' positions in its block only). The globals
// E reads are values, not reads.
template <class Row, bool RowSplit, class SplitData, class Globals>
struct reads_other_rows_visitor : lossforge::detail::gather_visitor {
  template <class I>
  using on_index = std::bool_constant<RowSplit && std::is_same_v<I, Row>>;
  template <class E, class S, class... Slots>
  using on_access = std::bool_constant<(contains_v<SplitData, S> && !(RowSplit && reads_at_row<E, Row>)) ||
                                       found_in_computed_slots<E, Slots...>>;
  template <class E, class I, class Body>
  using on_reduce = std::conditional_t<contains_v<Globals, E>, std::false_type, Body>;
};

template <class Data>
[[noreturn]] void throw_kernel_error(error_record const& e, auto const& shapes) {
  if (e.code == max_of_nothing) throw std::invalid_argument("lossforge: max over an empty index has no value");
  std::string name;
  shape_t shape;
  [&]<class... S>(type_list<S...>) {
    int k = 0;
    ((k++ == e.symbol ? (name = backend::symbol_name<S>(), shape = shapes.template of<S>(), 0) : 0), ...);
  }(typename Data::tensors{});
  throw std::out_of_range(index_out_of_range_message(e.value, std::size_t(e.dimension), name, shape));
}

}  // namespace detail

// A compiled loss: the plan of its outputs, and how to run it with a launch policy. Names lists each output's name
// tag; Written is the loss as the user wrote it, whose bare tensors broadcast as written (simplification may split a
// sum over them). Backends derive their call forms from it.
template <class Plan, class Names, bool ReturnsLoss, class Written>
class compiled {
 public:
  Plan plan;
  static constexpr bool returns_loss = ReturnsLoss;

  // Runs the plan with launch policy `launch` on bindings b, writing out... (one per output in order: the
  // per-element loss first when the loss has free indices, then one per differentiated symbol, rank 0 for a scalar
  // symbol). Returns the loss when it is a number.
  template <class Launch, class Bindings, class... Out>
  auto execute(Launch const& launch, Bindings const& b, Out const&... out) const {
    static_assert(sizeof...(Out) + (ReturnsLoss ? 1 : 0) == Plan::requested_count,
                  "lossforge: pass one output view per output: the per-element loss when the loss has free indices, "
                  "then one per symbol in wrt(...)");
    if constexpr (split::size != 0) {
      static_assert(detail::spans_processes<Launch>,
                    "lossforge: a loss compiled for data split among processes (lf::mpi::compile) runs with a "
                    "communicator: kernel(comm, exec, lf::bind(...), outputs...)");
      static_assert(!reads_other_rows(decltype(Plan{}.passes){}), LOSSFORGE_MSG_SPLIT_READS_OTHER_ROWS);
    }
    return run(launch, b, std::tie(out...));
  }

  // The plan as text: passes, kernels, what each step accumulates or writes, and what is finished on the host.
  std::string describe() const {
    return plan::to_text(plan, output_names(), [](auto) { return std::string(); });
  }
  // The same, with each kernel's row count, the bytes it reads and writes per row for the arguments of a call (a
  // tensor read along the row counts its whole size, a gathered one, class weights, one value per access) and the
  // cost model's flops-equivalents per row (plan/cost.hpp).
  template <class Bindings, class... Out>
  std::string describe(Bindings const& b, Out const&... out) const {
    detail::view_shapes<root, Bindings> const shapes{b};
    auto const views = std::tie(out...);
    return plan::to_text(
               plan, output_names(),
               [&]<class Row, class... Steps>(std::type_identity<plan::kernel<Row, Steps...>>) {
                 using namespace lossforge::detail;
                 using exprs = node<plan_root, typename plan::step_traits<Steps>::expression...>;
                 double const rows = double(std::max<std::ptrdiff_t>(
                     1, kernel_rows(std::type_identity<plan::kernel<Row, Steps...>>{}, shapes)));
                 double read = 0, written = 0;
                 std::string reads, writes;
                 auto const bytes = [](double v) { return print::number(v) + " B"; };
                 [&]<class... S>(type_list<S...>) {
                   (
                       [&] {
                         double const size = sizeof(typename detail::element_type_of<S, Bindings>::type);
                         constexpr bool along_row = []<class... A>(type_list<A...>) {
                           return (detail::reads_along_row<Row, A> || ...);
                         }(accesses_of_t<S, exprs>{});
                         double const per_row = along_row ? double(element_count(shapes.template of<S>())) * size / rows
                                                          : accesses_of_t<S, exprs>::size * size;
                         read += per_row;
                         reads += (reads.empty() ? "" : ", ") + backend::symbol_name<S>() + " " + bytes(per_row);
                       }(),
                       ...);
                 }(filter_t<symbols_of_t<exprs>, detail::is_tensor_symbol_t>{});
                 (
                     [&] {
                       if constexpr (!plan::is_reduce_step_v<Steps>) {
                         constexpr int k = plan::step_traits<Steps>::output;
                         double const per_row = [&] {
                           if constexpr (std::size_t(k) >= Plan::requested_count) {
                             using S = intermediate_symbol<k - int(Plan::requested_count) + 1>;
                             return double(element_count(shapes.template of<S>())) * sizeof(double) / rows;
                           } else {
                             auto const& v = std::get<std::size_t(k) - first_view_output>(views);
                             return double(v.size()) * sizeof(typename std::remove_cvref_t<decltype(v)>::value_type) /
                                    rows;
                           }
                         }();
                         written += per_row;
                         writes += (writes.empty() ? "" : ", ") + output_names()[std::size_t(k)] + " " + bytes(per_row);
                       }
                     }(),
                     ...);
                 std::string const row = is_flat_slot_v<Row> ? "element" : "row";  // a flat kernel's rows are elements
                 double const work = row_work(std::type_identity<plan::kernel<Row, Steps...>>{}, shapes);
                 return "    " + print::number(rows) + " " + row + "s; per " + row + " reads " +
                        (reads.empty() ? "nothing" : reads) + (writes.empty() ? "" : "; writes " + writes) + " (" +
                        bytes(read + written) + " per " + row + ", " + print::number((read + written) * rows / 1e6) +
                        " MB in all); model " + print::number(work) + " flops per " + row + " (" +
                        print::number(work * rows / 1e6) + " Mflop in all)\n";
               }) +
           buffers_text(shapes);
  }

  // The cost model's work in each pass for a call with these bindings, in flops-equivalents (plan/cost.hpp): what
  // a change of the inputs' sizes does to the work, without timing anything.
  template <class Bindings>
  std::vector<double> work_per_pass(Bindings const& b) const {
    detail::view_shapes<root, Bindings> const shapes{b};
    std::vector<double> work;
    std::apply(
        [&](auto const&... pass) {
          (work.push_back(std::apply(
               [&]<class... K>(K const&...) {
                 return ((row_work(std::type_identity<K>{}, shapes) *
                          double(std::max<std::ptrdiff_t>(1, kernel_rows(std::type_identity<K>{}, shapes)))) +
                         ... + 0.0);
               },
               pass)),
           ...);
        },
        plan.passes);
    return work;
  }

 private:
  using outputs_t = decltype(Plan{}.outputs);
  using root = typename detail::root_of<outputs_t, typename Plan::split>::type;
  using split = typename Plan::split;
  static constexpr std::size_t output_count = std::tuple_size_v<outputs_t>;
  static constexpr std::size_t first_view_output = ReturnsLoss ? 1 : 0;
  using globals = typename Plan::globals;

  // Reductions a work item computes once and caches: those over the row's inner indices (free index: the row),
  // and closed ones the plan made row-local instead of globals.
  template <class R, class Row>
  static constexpr bool cached_per_row =
      std::is_same_v<lossforge::detail::free_indices_t<R>, lossforge::detail::type_list<Row>> ||
      (lossforge::detail::is_closed_v<R> && detail::position_v<globals, R> < 0);

  // The reductions of Exprs that a work item over Row caches.
  template <class Row, class... R>
  static auto cached_among(lossforge::detail::type_list<R...>) -> decltype((
      lossforge::detail::type_list<>{} + ... +
      std::conditional_t<cached_per_row<R, Row>, lossforge::detail::type_list<R>, lossforge::detail::type_list<>>{}));
  template <class Row, class Exprs>
  using cached_reductions = decltype(cached_among<Row>(lossforge::detail::reductions_in_t<Exprs>{}));

  // The cost model's work for one row of a kernel, for a call with these shapes (plan/cost.hpp).
  template <class Row, class... Steps, class Shapes>
  static double row_work(std::type_identity<plan::kernel<Row, Steps...>> k, Shapes const& shapes) {
    using exprs = node<lossforge::detail::plan_root, typename plan::step_traits<Steps>::expression...>;
    return plan::row_cost<globals, cached_reductions<Row, exprs>>(
        k, [&]<class I>(std::type_identity<I>) { return key_extent<I, Steps...>(shapes); });
  }

  // The requested outputs' names, then the intermediates' with their indices: t1[c], t2[i,j], ...
  static std::vector<std::string> output_names() {
    auto names = []<class... Name>(std::type_identity<std::tuple<Name...>>) {
      return std::vector<std::string>{Name::brief()...};
    }(std::type_identity<Names>{});
    [&]<int... K>(std::integer_sequence<int, K...>) {
      (names.push_back([]<class... I>(int number, lossforge::detail::type_list<I...>) {
        std::string indices;
        ((indices += (indices.empty() ? "" : ",") + print::index_name<I>()), ...);
        return "t" + std::to_string(number) + "[" + indices + "]";
      }(K + 1, lossforge::detail::output_indices_t<typename intermediate_symbol<K + 1>::computation>{})),
       ...);
    }
    (std::make_integer_sequence<int, int(Plan::intermediate_count)>{});
    return names;
  }

  // The intermediates' buffers for a call with these shapes: "buffers  t1[c] 4 doubles (32 B), ...".
  template <class Shapes>
  static std::string buffers_text(Shapes const& shapes) {
    std::string text;
    std::vector<std::string> const names = output_names();
    [&]<int... K>(std::integer_sequence<int, K...>) {
      (
          [&] {
            double const size = double(element_count(shapes.template of<intermediate_symbol<K + 1>>()));
            text += (text.empty() ? "buffers         " : ", ") + names[Plan::requested_count + std::size_t(K)] + " " +
                    print::number(size) + " doubles (" + print::number(size * sizeof(double)) + " B)";
          }(),
          ...);
    }
    (std::make_integer_sequence<int, int(Plan::intermediate_count)>{});
    return text.empty() ? text : text + "\n";
  }

  // Intermediate number K (from 1): the symbol its readers access.
  template <int K>
  using intermediate_symbol =
      lossforge::detail::intermediate<K, std::tuple_element_t<Plan::requested_count + std::size_t(K) - 1, outputs_t>>;

  // The bindings with each intermediate bound to its buffer from the launch policy.
  template <class Launch, class... Items>
  static auto with_buffers(bindings<Items...> const& b, Launch const& launch) {
    detail::view_shapes<root, bindings<Items...>> const shapes{b};
    return [&]<int... K>(std::integer_sequence<int, K...>) {
      auto buffer = [&]<int N>(std::integral_constant<int, N>) {
        using S = intermediate_symbol<N>;
        shape_t const shape = shapes.template of<S>();
        using buffer_indices = lossforge::detail::output_indices_t<typename S::computation>;
        std::array<std::ptrdiff_t, buffer_indices::size> extents{};
        std::copy(shape.begin(), shape.end(), extents.begin());
        auto view = launch.template buffer<buffer_indices::size>(N, extents);
        return binding<S, decltype(view)>{view};
      };
      return bindings<Items..., decltype(buffer(std::integral_constant<int, K + 1>{}))...>{
          std::tuple_cat(b.items, std::make_tuple(buffer(std::integral_constant<int, K + 1>{})...))};
    }
    (std::make_integer_sequence<int, int(Plan::intermediate_count)>{});
  }

  template <class Launch, class Requested, class Views>
  auto run(Launch const& launch, Requested const& requested, Views const& views) const {
    using namespace lossforge::detail;
    // The scalar evaluator (device kernels, and on the host the positions after a kernel's last block) computes in
    // double whatever the Views hold; host blocks compute in the Views' precision and keep float accuracy where
    // float would cancel (block.hpp).
    using T = double;
    // The intermediates are bound like inputs, to their buffers.
    std::optional<decltype(with_buffers(requested, launch))> bound;
    auto const checks = [&] {
      check_broadcasts(detail::view_shapes<root, Requested>{requested});
      check_outputs(requested, detail::view_shapes<root, Requested>{requested}, views);
      bound.emplace(with_buffers(requested, launch));
    };
    // Dimension 0 of each split tensor over all processes.
    std::array<std::ptrdiff_t, detail::at_least_one(split::size)> split_rows{};
    if constexpr (detail::spans_processes<Launch>)
      agree(launch, requested, checks, split_rows);
    else
      checks();
    auto const& b = *bound;
    detail::view_shapes<root, std::remove_cvref_t<decltype(b)>> const shapes{b};
    // The shapes of all the data, where a count in the loss (a mean's 1/n) comes from.
    detail::view_shapes<root, std::remove_cvref_t<decltype(b)>> const totals{b,
                                                                             split::size ? split_rows.data() : nullptr};

    std::array<double, detail::at_least_one(globals::size)> global{};
    // Parameters bound at run time (a label smoothing, a Huber delta) in their ranges, before the first launch.
    std::apply(
        [&](auto const&... output) {
          (backend::check_parameters(output, [&](auto const& value) { return finish_on_host(value, b, global); }), ...);
        },
        plan.outputs);
    std::apply([&](auto const&... pass) { (run_pass<T>(launch, b, shapes, totals, views, pass, global), ...); },
               plan.passes);

    finish_scalar_outputs(launch, b, views, global);
    if constexpr (ReturnsLoss) return finish_on_host(std::get<0>(plan.outputs), b, global);
  }

  // Every bare tensor is read at one shape, the one the loss as written broadcasts it to: a simplification that split
  // a sum over broadcast tensors (sum(w * w + x) into sum(w * w) + sum(x)) would read w at its own shape, so such a
  // call is refused rather than computed at the wrong count.
  template <class Bindings>
  static void check_broadcasts(detail::view_shapes<root, Bindings> const& shapes) {
    using written = std::remove_cvref_t<Written>;
    backend::check_broadcasts<root>(shapes);
    [&]<class... S>(lossforge::detail::type_list<S...>) {
      (
          [&] {
            if constexpr (Bindings::template has<S>) {  // a tensor simplified away need not be bound
              shape_t const as_written = backend::read_shape<S, written>(shapes);
              if constexpr (lossforge::detail::contains_v<lossforge::detail::bare_tensors_t<root>, S>)
                if (backend::read_shape<S, root>(shapes) != as_written)
                  throw std::invalid_argument(
                      "lossforge: '" + backend::symbol_name<S>() + "' is broadcast to " + shape_string(as_written) +
                      " in the loss as written, which simplification split into sums over fewer tensors; bind it "
                      "at the full shape, or index it");
            }
          }(),
          ...);
    }(lossforge::detail::bare_tensors_t<written>{});
  }

  // Every View output must have its output's shape and may not overlap an input.
  template <class Bindings, class Shapes, class Views>
  void check_outputs(Bindings const& b, Shapes const& shapes, Views const& views) const {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (check_output<K + first_view_output>(b, shapes, std::get<K>(views)), ...);
    }
    (std::make_index_sequence<std::tuple_size_v<Views>>{});
  }
  template <std::size_t K, class Bindings, class Shapes, class View>
  void check_output(Bindings const& b, Shapes const& shapes, View const& view) const {
    using namespace lossforge::detail;
    using E = std::tuple_element_t<K, outputs_t>;
    using name = std::tuple_element_t<K, Names>;
    shape_t want;
    [&]<class... I>(type_list<I...>) {
      (
          (void)[&] {
            shape_t s = backend::resolve_extent<I, E, root>(shapes);
            want.insert(want.end(), s.begin(), s.end());
          }(),
          ...);
    }(output_indices_t<E>{});
    shape_t const got = shape_of(view);
    if (got != want)
      throw std::invalid_argument("lossforge: the View for " + name::phrase() + " has shape " + shape_string(got) +
                                  " but must have shape " + shape_string(want));
    if (view.data() == nullptr && view.size() != 0)
      throw std::invalid_argument("lossforge: the View for " + name::phrase() +
                                  " has no memory (default-constructed?)");
    char const* first = reinterpret_cast<char const*>(view.data());
    char const* last = first + view.span() * sizeof(typename View::value_type);
    [&]<class... S>(type_list<S...>) {
      (
          [&] {
            if constexpr (TensorSymbol<S> && !is_intermediate_v<S>) {
              auto const& in = b.template get<S>();
              char const* a = reinterpret_cast<char const*>(in.data());
              char const* z = a + in.span() * sizeof(typename std::remove_cvref_t<decltype(in)>::value_type);
              if (view.span() != 0 && in.span() != 0 && first < z && a < last)
                throw std::invalid_argument("lossforge: the View for " + name::phrase() + " overlaps the input '" +
                                            backend::symbol_name<S>() +
                                            "'; inputs are never written, pass a separate View");
            }
          }(),
          ...);
    }(symbols_of_t<root>{});
  }

  // A global's accumulator after a pass (reductions::initial, combine): finished into its value once every kernel of
  // the pass ran, after the processes' accumulators of a split kernel's rows were combined.
  struct accumulator {
    double a = 0, b = 0;
    double rows = 0;
    bool ran = false, over_split_rows = false;
  };
  using accumulators = std::array<accumulator, detail::at_least_one(globals::size)>;

  template <class T, class Launch, class Bindings, class Shapes, class Views, class... Kernels>
  void run_pass(Launch const& launch, Bindings const& b, Shapes const& shapes, Shapes const& totals, Views const& views,
                std::tuple<Kernels...> const& kernels,
                std::array<double, detail::at_least_one(globals::size)>& global) const {
    // Every kernel of a pass reads only globals of earlier passes: they are finished after the pass.
    accumulators acc{};
    auto const work = [&] {
      std::apply([&](auto const&... k) { (run_kernel<T>(launch, b, shapes, totals, views, k, global, acc), ...); },
                 kernels);
    };
    if constexpr (detail::spans_processes<Launch>)
      combine_across_processes(
          launch, b, shapes, work, acc,
          (lossforge::detail::type_list<>{} + ... + combined_written(std::type_identity<Kernels>{})));
    else
      work();
    [&]<class... G>(lossforge::detail::type_list<G...>) {
      [[maybe_unused]] std::size_t g = 0;
      (
          [&] {
            if (acc[g].ran)
              global[g] =
                  lossforge::detail::reduction_parts<G>::op::finish(acc[g].a, acc[g].b, std::ptrdiff_t(acc[g].rows));
            ++g;
          }(),
          ...);
    }(globals{});
  }

  // Runs a pass's work on every process and combines, in process order, the accumulators of its globals over split
  // rows and the buffers of the intermediates Combined it wrote (reductions over split rows, combines_split_rows), so
  // that every process finishes the same values: one all_gather per pass, of three numbers per global and, per such
  // intermediate, its count of split rows and its buffer.
  template <class Launch, class Bindings, class Shapes, class Work, class... Combined>
  static void combine_across_processes(Launch const& launch, Bindings const& b, Shapes const& shapes, Work const& work,
                                       accumulators& acc, lossforge::detail::type_list<Combined...>) {
    constexpr std::size_t count = detail::at_least_one(globals::size);
    std::vector<double> values(3 * count);
    std::size_t const sizes[] = {std::size_t(element_count(shapes.template of<Combined>()))..., 0};
    for (std::size_t size : sizes) values.resize(values.size() + (size == 0 ? 0 : 1 + size));
    std::vector<double> const all = detail::gather_after(
        launch,
        [&] {
          work();
          for (std::size_t g = 0; g < count; ++g) {
            values[3 * g] = acc[g].a;
            values[3 * g + 1] = acc[g].b;
            values[3 * g + 2] = acc[g].rows;
          }
          [[maybe_unused]] std::size_t at = 3 * count;
          (
              [&] {
                if (element_count(shapes.template of<Combined>()) == 0) return;
                values[at] = double(split_rows_of<Combined>(shapes));
                std::vector<double> const buffer = launch.to_host(b.template get<Combined>());
                std::copy(buffer.begin(), buffer.end(), values.begin() + std::ptrdiff_t(at + 1));
                at += 1 + buffer.size();
              }(),
              ...);
        },
        values);
    std::size_t const processes = all.size() / values.size();
    [[maybe_unused]] std::size_t at = 3 * count;
    (
        [&] {
          std::size_t const size = std::size_t(element_count(shapes.template of<Combined>()));
          if (size == 0) return;
          using op = typename lossforge::detail::reduction_parts<typename Combined::computation>::op;
          std::vector<double> combined(size);
          for (std::size_t e = 0; e < size; ++e) {
            double a, c, rows = 0;
            reductions::initial<op>(a, c);
            for (std::size_t p = 0; p < processes; ++p) {
              double const* their = all.data() + p * values.size() + at;
              if (their[0] == 0) continue;  // no rows: not even a value (a mean of nothing is NaN)
              double const v = their[1 + e];
              if constexpr (reductions::adds<op>)
                a += op::divides_by_count ? v * their[0] : v;
              else
                reductions::accumulate<op>(a, c, v);
              rows += their[0];
            }
            combined[e] = op::finish(a, c, std::ptrdiff_t(rows));
          }
          launch.from_host(combined, b.template get<Combined>());
          at += 1 + size;
        }(),
        ...);
    [&]<class... G>(lossforge::detail::type_list<G...>) {
      [[maybe_unused]] std::size_t g = 0;
      (
          [&] {
            using op = typename lossforge::detail::reduction_parts<G>::op;
            if (acc[g].ran && acc[g].over_split_rows) {
              accumulator& total = acc[g];
              reductions::initial<op>(total.a, total.b);
              total.rows = 0;
              for (std::size_t p = 0; p < processes; ++p) {
                double const* their = all.data() + p * values.size() + 3 * g;
                reductions::combine<op>(total.a, total.b, their[0], their[1]);
                total.rows += their[2];
              }
            }
            ++g;
          }(),
          ...);
    }(globals{});
  }

  // Every process's tensors have the same shapes, but for dimension 0 of the split tensors, and its scalars the same
  // values: gathered once and checked the same way everywhere, so that every process throws the same error. Fills
  // split_rows with dimension 0 of each split tensor summed over the processes.
  template <class Launch, class Bindings, class Checks>
  static void agree(Launch const& launch, Bindings const& b, Checks const& checks,
                    std::array<std::ptrdiff_t, detail::at_least_one(split::size)>& split_rows) {
    using namespace lossforge::detail;
    using bound = decltype([]<class... S>(type_list<S...>) {
      return (type_list<>{} + ... + std::conditional_t<Bindings::template has<S>, type_list<S>, type_list<>>{});
    }(symbols_of_t<root>{}));
    using tensors = filter_t<bound, detail::is_tensor_symbol_t>;
    using scalars = filter_t<bound, detail::is_scalar_symbol>;
    std::vector<double> mine;
    detail::view_shapes<root, Bindings> const shapes{b};
    [&]<class... S>(type_list<S...>) {
      (
          [&] {
            for (std::ptrdiff_t e : shapes.template of<S>()) mine.push_back(double(e));
          }(),
          ...);
    }(tensors{});
    [&]<class... S>(type_list<S...>) { (mine.push_back(double(b.template get<S>())), ...); }(scalars{});
    std::vector<double> const all = detail::gather_after(launch, checks, mine);
    std::size_t const processes = all.size() / std::max<std::size_t>(1, mine.size());
    split_rows.fill(0);
    std::size_t at = 0;  // where the current tensor's dimensions start in each process's values
    [&]<class... S>(type_list<S...>) {
      (
          [&] {
            std::size_t const rank = shapes.template of<S>().size();
            constexpr int split_position = detail::position_v<split, S>;
            auto const shape_on = [&](std::size_t p) {
              return shape_t(all.begin() + std::ptrdiff_t(p * mine.size() + at),
                             all.begin() + std::ptrdiff_t(p * mine.size() + at + rank));
            };
            if constexpr (split_position >= 0)
              if (rank == 0)
                throw std::invalid_argument("lossforge: '" + backend::symbol_name<S>() +
                                            "' is split among processes along dimension 0 but is bound to a "
                                            "rank-0 View");
            for (std::size_t p = 0; p < processes; ++p) {
              shape_t const theirs = shape_on(p), first = shape_on(0);
              for (std::size_t d = 0; d < rank; ++d)
                if (theirs[d] != first[d] && !(split_position >= 0 && d == 0))
                  throw std::invalid_argument(
                      "lossforge: '" + backend::symbol_name<S>() + "' has shape " + shape_string(first) +
                      " on process 0 but " + shape_string(theirs) + " on process " + std::to_string(p) +
                      (split_position >= 0 ? "; only its dimension 0 is split among processes"
                                           : "; it is not split, every process must bind all of it"));
              if constexpr (split_position >= 0) split_rows[std::size_t(split_position)] += theirs[0];
            }
            at += rank;
          }(),
          ...);
    }(tensors{});
    [&]<class... S>(type_list<S...>) {
      (
          [&] {
            for (std::size_t p = 0; p < processes; ++p) {
              double const first = all[at], theirs = all[p * mine.size() + at];
              if (first != theirs && !(first != first && theirs != theirs))
                throw std::invalid_argument("lossforge: the scalar '" + backend::symbol_name<S>() + "' is " +
                                            print::number(first) + " on process 0 but " + print::number(theirs) +
                                            " on process " + std::to_string(p) +
                                            "; every process must bind the same value");
            }
            ++at;
          }(),
          ...);
    }(scalars{});
  }

  template <class T, class Launch, class Bindings, class Shapes, class Views, class Row, class... Steps>
  void run_kernel(Launch const& launch, Bindings const& b, Shapes const& shapes, Shapes const& totals,
                  Views const& views, plan::kernel<Row, Steps...> const& k,
                  std::array<double, detail::at_least_one(globals::size)> const& global, accumulators& acc) const {
    using namespace lossforge::detail;
    using namespace detail;
    using exprs = node<plan_root, typename step_traits<Steps>::expression...>;
    using keys = set_union_t<type_list<Row>, indices_in_t<exprs>, typename step_traits<Steps>::inner...>;
    using cached = cached_reductions<Row, exprs>;
    auto data = make_data<T, keys, cached, globals, exprs>(b, shapes, global);
    [&]<class... I>(type_list<I...>) {
      std::size_t slot = 0;
      ((data.count[slot] = key_extent<I, Steps...>(totals), data.extent[slot++] = key_extent<I, Steps...>(shapes)),
       ...);
    }(keys{});
    std::ptrdiff_t const rows = data.extent[position_v<keys, Row>];

    auto outputs = [&]<std::size_t... K>(std::index_sequence<K...>) {
      return lossforge::detail::make_tuple(output_accessor<K>(b, views)...);
    }
    (std::make_index_sequence<output_count>{});
    using scalar_functor = kernel_functor<decltype(data), Row, decltype(outputs), Steps...>;
    using block_functor = row_block_functor<decltype(data), Row, decltype(outputs), Steps...>;
    // On the host, vectorized: blocks of rows where each step is over the row alone, blocks along each row else.
    constexpr bool on_host = Launch::on_host;
    constexpr bool in_row_blocks = on_host && runs_in_row_blocks<decltype(data), Row, Steps...>;
    using functor_type = std::conditional_t<
        in_row_blocks, block_functor,
        std::conditional_t<on_host, inner_block_functor<decltype(data), Row, decltype(outputs), Steps...>,
                           scalar_functor>>;
    functor_type functor{scalar_functor{data, k.steps, outputs}};
    std::int64_t work_items = rows;
    if constexpr (in_row_blocks) {
      functor.rows = rows;
      work_items = block_functor::work_items(rows);
    }
    if constexpr (decltype(functor)::has_prelude) {
      // Chunks of rows: enough for every thread, and at most a quarter of a row's inner entries, so recomputing
      // the prelude (chunks x rows terms of O(1)) stays small next to the rows' work (rows x inner entries).
      std::ptrdiff_t inner = 1;
      (
          [&] {
            [&]<class... Inner>(lossforge::detail::type_list<Inner...>) {
              std::ptrdiff_t entries = 1;
              ((entries *= data.extent[position_v<keys, Inner>]), ...);
              inner = std::max(inner, entries);
            }(typename step_traits<Steps>::inner{});
          }(),
          ...);
      functor.rows = rows;
      functor.chunks = work_items = std::clamp<std::int64_t>(
          std::min<std::int64_t>(4 * launch.concurrency(), inner / 4), 1, std::max<std::int64_t>(rows, 1));
    }
    typename decltype(functor)::value_type result;
    std::string const label = "lossforge::pass" + std::to_string(Row::pass) + "::kernel" + std::to_string(Row::group);
    launch.reduce(label, work_items, functor, result);
    // A max over split rows that leaves indices free is empty on a process without rows; it is combined with the
    // other processes' (combine_across_processes), which report a max of nothing if all of them are empty.
    bool const empty_block = [&]<class... S>(lossforge::detail::type_list<S...>) {
      return ((split_rows_of<S>(shapes) == 0) || ... || false);
    }(decltype((lossforge::detail::type_list<>{} + ... + combined_written_by(std::type_identity<Steps>{}))){});
    if (result.error.code != no_error && !(result.error.code == max_of_nothing && empty_block))
      throw_kernel_error<decltype(data)>(result.error, shapes);
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            using S = std::tuple_element_t<K, std::tuple<Steps...>>;
            if constexpr (is_reduce_step_v<S>) {
              constexpr std::size_t s = decltype(functor)::slot[K];
              acc[std::size_t(position_v<globals, typename step_traits<S>::reduction>)] = {
                  result.acc[2 * s], result.acc[2 * s + 1], double(rows), true,
                  runs_over_split_v<typename row_sources<S>::type, split>};
            }
          }(),
          ...);
    }
    (std::index_sequence_for<Steps...>{});
  }

  // Whether intermediate S's computation reduces over split rows, so that its buffer is combined across processes
  // after the pass that writes it (intermediates.hpp, combines_split_rows).
  template <class S>
  struct is_combined : std::bool_constant<lossforge::detail::combines_split_rows<typename S::computation, split>()> {};
  // The intermediates a step or a kernel writes that are combined across processes.
  template <class Step>
  static auto combined_written_by(std::type_identity<Step> step) {
    return lossforge::detail::filter_t<decltype(written(step)), is_combined>{};
  }
  template <class Row, class... Steps>
  static auto combined_written(std::type_identity<plan::kernel<Row, Steps...>>) {
    return (lossforge::detail::type_list<>{} + ... + combined_written_by(std::type_identity<Steps>{}));
  }
  // This process's count of the split rows intermediate S reduces over.
  template <class S, class Shapes>
  static std::ptrdiff_t split_rows_of(Shapes const& shapes) {
    using index = typename lossforge::detail::reduction_parts<typename S::computation>::index;
    return element_count(backend::resolve_extent<index, root, root>(shapes));
  }

  // Whether a kernel's rows are split among processes: those of the plan's split tensors' dimension 0.
  template <class Row, class... Steps>
  static constexpr bool rows_split(std::type_identity<plan::kernel<Row, Steps...>>) {
    return (lossforge::detail::runs_over_split_v<typename row_sources<Steps>::type, split> || ...);
  }
  // The intermediates a kernel writes.
  template <class Step>
  static auto written(std::type_identity<Step>) -> lossforge::detail::type_list<>;
  template <int Out, class E, class... Inner>
  static auto written(std::type_identity<plan::write_step<Out, E, Inner...>>)
      -> std::conditional_t<(std::size_t(Out) >= Plan::requested_count),
                            lossforge::detail::type_list<intermediate_symbol<Out - int(Plan::requested_count) + 1>>,
                            lossforge::detail::type_list<>>;
  // What a process holds only its rows of: the split tensors, and the intermediates kernels over split rows write.
  template <class... Pass>
  static auto split_data(std::tuple<Pass...>) {
    auto of_pass = []<class... K>(std::tuple<K...> const*) {
      return (lossforge::detail::type_list<>{} + ... +
              [&]<class Row, class... Steps>(std::type_identity<plan::kernel<Row, Steps...>> k) {
                if constexpr (rows_split(k))
                  return (lossforge::detail::type_list<>{} + ... + decltype(written(std::type_identity<Steps>{})){});
                else
                  return lossforge::detail::type_list<>{};
              }(std::type_identity<K>{}));
    };
    return (split{} + ... + of_pass(static_cast<Pass const*>(nullptr)));
  }
  // Whether a step of a kernel over Row reads Data, what a process holds only its rows of, at rows other than its
  // work items' own (reads_other_rows_visitor). A combined intermediate's reduction runs over split rows: its body
  // reads them at the reduction's index.
  template <class Row, bool RowSplit, class Data, class Step>
  static constexpr bool step_reads_other_rows() {
    using E = typename plan::step_traits<Step>::expression;
    using combined = decltype(combined_written_by(std::type_identity<Step>{}));
    if constexpr (combined::size != 0)
      return []<class Op, class I, class B>(std::type_identity<reduce<Op, I, B>>) {
        return lossforge::detail::fold_t<detail::reads_other_rows_visitor<I, true, Data, globals>, B>::value;
      }(std::type_identity<E>{});
    else
      return lossforge::detail::fold_t<detail::reads_other_rows_visitor<Row, RowSplit, Data, globals>, E>::value;
  }
  // Whether a kernel of the plan reads split data at rows other than its work items' own.
  template <class... Pass>
  static constexpr bool reads_other_rows(std::tuple<Pass...> passes) {
    using data = decltype(split_data(passes));
    auto of_pass = []<class... K>(std::tuple<K...> const*) {
      return ([]<class Row, class... Steps>(std::type_identity<plan::kernel<Row, Steps...>> k) {
        return (step_reads_other_rows<Row, rows_split(k), data, Steps>() || ...);
      }(std::type_identity<K>{}) ||
              ...);
    };
    return (of_pass(static_cast<Pass const*>(nullptr)) || ...);
  }

  // The number of rows (work items before chunking) of a kernel for a call with these shapes.
  template <class Row, class... Steps, class Shapes>
  static std::ptrdiff_t kernel_rows(std::type_identity<plan::kernel<Row, Steps...>>, Shapes const& shapes) {
    return key_extent<Row, Steps...>(shapes);
  }

  // The tensor dimensions the rows of a step run along: its outer index's extent sources (a gradient index's, its
  // tensor's dimension; a flat index's, the bare tensors of the step's own body).
  template <class Step>
  struct row_sources;
  template <class R, class Body>
  struct row_sources<plan::reduce_step<R, Body>> {
    using type = typename lossforge::detail::unit_traits<lossforge::detail::reduce_unit<R>>::template sources<root>;
  };
  template <int Out, class E, class... Inner>
  struct row_sources<plan::write_step<Out, E, Inner...>> {
    using original = std::tuple_element_t<std::size_t(Out), outputs_t>;
    using outer = typename lossforge::detail::first_type<lossforge::detail::output_indices_t<original>>::type;
    using type = typename lossforge::detail::write_sources<outer, original, root>::type;
  };

  // The extent of one key of a kernel: the row's, on which every step of the kernel must agree (the planner fuses
  // steps whose rows share a tensor dimension; bound to different shapes, the error names both), any other index's
  // from the tensors it indexes.
  template <class I, class... Steps, class Shapes>
  static std::ptrdiff_t key_extent(Shapes const& shapes) {
    using namespace lossforge::detail;
    if constexpr (detail::is_row_index_v<I>) {
      using sources = set_union_t<typename row_sources<Steps>::type...>;
      static_assert(sources::size != 0, LOSSFORGE_MSG_INDEX_WITHOUT_EXTENT);
      return element_count(backend::agreed_shape(sources{}, shapes));
    } else {
      return element_count(backend::resolve_extent<I, root, root>(shapes));
    }
  }

  template <std::size_t K, class Bindings, class Views>
  static auto output_accessor(Bindings const& b, Views const& views) {
    using E = std::tuple_element_t<K, outputs_t>;
    if constexpr (K >= Plan::requested_count)
      return make_accessor(b.template get<intermediate_symbol<int(K - Plan::requested_count) + 1>>());
    else if constexpr (K < first_view_output || lossforge::detail::free_indices_t<E>::size == 0)
      return detail::no_output{};
    else
      return make_accessor(std::get<K - first_view_output>(views));
  }

  template <class E, class Bindings>
  static double finish_on_host(E const& e, Bindings const& b,
                               std::array<double, detail::at_least_one(globals::size)> const& global) {
    using namespace lossforge::detail;
    auto data = detail::make_data<double, type_list<>, type_list<>, globals, E>(
        b, detail::view_shapes<root, Bindings>{b}, global);
    detail::error_record error;
    detail::work_item<decltype(data)> item{data, error};
    return detail::value_at<double>(e, item);
  }
  template <class Launch, class Bindings, class Views>
  void finish_scalar_outputs(Launch const& launch, Bindings const& b, Views const& views,
                             std::array<double, detail::at_least_one(globals::size)> const& global) const {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            using E = std::tuple_element_t<K + first_view_output, outputs_t>;
            if constexpr (lossforge::detail::free_indices_t<E>::size == 0) {
              auto const& view = std::get<K>(views);
              launch.store(view, finish_on_host(std::get<K + first_view_output>(plan.outputs), b, global));
            }
          }(),
          ...);
    }
    (std::make_index_sequence<std::tuple_size_v<Views>>{});
  }
};

namespace detail {
// What a gradient differentiates: the loss, or for a per-element loss (free indices, reduction "none") the sum of
// its elements, as PyTorch's backward with grad_output = ones.
template <class L>
constexpr auto summed(L const& l) {
  if constexpr (lossforge::detail::free_indices_t<L>::size == 0)
    return l;
  else
    return lossforge::sum(l);
}
// The gradient of the simplified loss l with respect to X; when simplification took X out of the loss the user
// wrote (sum(p - p + y)), it is zero in X's shape, as PyTorch's backward gives, not an error.
template <class X, class L, class Written>
constexpr auto gradient(L const& l, Written const& written) {
  // grad_one: a primitive's result is a tensor here; the Kokkos backend adds the primitive's vector-Jacobian product.
  if constexpr (lossforge::detail::contains_symbol_v<L, X>)
    return diff::grad_one<X>(as_expression(summed(l)));
  else
    return diff::grad_one<X>(as_expression(summed(written)));
}
template <template <class, class, bool, class> class Compiled, class Names, bool ReturnsLoss, class Written,
          class Split, class... E>
constexpr auto compile_outputs(E const&... outputs) {
  auto p = make_plan<Split>(outputs...);
  return Compiled<decltype(p), Names, ReturnsLoss, Written>{{p}};
}
}  // namespace detail

// A backend's compile (lf::kokkos::compile, lf::serial::compile): plans a loss and its gradients for the backend's
// Compiled, derived from compiled, over data whose tensors Split are divided among processes along dimension 0 (none
// but for lf::mpi::compile). With Primitives, the results of primitives in the loss are tensors bound by the caller
// (the Kokkos backend, which runs the primitives around the plan).
template <template <class, class, bool, class> class Compiled, class Split = lossforge::detail::type_list<>,
          bool Primitives = false>
struct compiler {
  // Whether this backend plans Loss: one that calls primitives only where the caller runs them.
  template <class Loss>
  static constexpr bool plans_here =
      Primitives || lossforge::detail::primitive_results_t<expression_t<Loss>>::size == 0;

  // The loss and its gradients with respect to X...; the call returns the loss when it is a number.
  template <Operand Loss, class... X>
  constexpr auto operator()(Loss const& loss, wrt_t<X...> = {}) const {
    static_assert(plans_here<Loss>, LOSSFORGE_MSG_PRIMITIVE_BACKEND);
    auto const l = simplify(as_expression(loss));
    constexpr bool scalar_loss = lossforge::detail::free_indices_t<std::remove_cvref_t<decltype(l)>>::size == 0;
    return detail::compile_outputs<Compiled, std::tuple<detail::the_loss, detail::gradient_of<X>...>, scalar_loss,
                                   decltype(as_expression(loss)), Split>(
        l, detail::gradient<X>(l, as_expression(loss))...);
  }
  // Only the gradients with respect to X...: the loss itself is not finished.
  template <Operand Loss, class... X>
  constexpr auto operator()(Loss const& loss, wrt_t<X...>, gradient_only_t) const {
    static_assert(sizeof...(X) > 0, "lossforge: gradient_only needs at least one symbol in wrt(...)");
    static_assert(plans_here<Loss>, LOSSFORGE_MSG_PRIMITIVE_BACKEND);
    auto const l = simplify(as_expression(loss));
    return detail::compile_outputs<Compiled, std::tuple<detail::gradient_of<X>...>, false,
                                   decltype(as_expression(loss)), Split>(
        detail::gradient<X>(l, as_expression(loss))...);
  }
};

}  // namespace executor
}  // namespace lossforge
