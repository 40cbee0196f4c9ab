#pragma once
// Printing a plan: one block per pass, one per kernel, one line per step, the expressions as to_text prints them.
// What only a backend knows (how many rows a kernel runs over, the bytes it moves) comes in through annotate.
//
//   pass 1
//     kernel 0 over every element of the bound tensors
//       accumulate  sum(g * p)
//       ...
//   pass 2
//     kernel 0 over every element of the bound tensors
//       write       dloss/dp = ...
//   on the host     loss = ...
#include <string>
#include <tuple>
#include <vector>

#include <lossforge/plan/plan.hpp>
#include <lossforge/print/print.hpp>

namespace lossforge::plan {

namespace detail {
// The index a kernel's rows run over, as the first step saw it before the planner renamed it.
template <class Outputs, class Step>
std::string rows_of() {
  using outer = typename decltype([] {
    if constexpr (is_reduce_step_v<Step>) {
      return []<class Op, class I, class B>(std::type_identity<reduce<Op, I, B>>) {
        return std::type_identity<I>{};
      }(std::type_identity<typename step_traits<Step>::reduction>{});
    } else {
      using E = std::tuple_element_t<std::size_t(step_traits<Step>::output), Outputs>;
      return std::type_identity<typename lossforge::detail::first_type<lossforge::detail::output_indices_t<E>>::type>{};
    }
  }())::type;
  if constexpr (lossforge::detail::is_flat_slot_v<outer>)
    return "every element of the bound tensors";
  else
    return "index " + print::index_name<outer>();
}
}  // namespace detail

// The plan as text; output K is called output_names[K]. annotate(std::type_identity<Kernel>{}) returns lines to
// print under a kernel (each ending in a newline), or "".
template <class Outputs, class Globals, class Passes, std::size_t I, class Split, class Annotate>
std::string to_text(plan<Outputs, Globals, Passes, I, Split> const& p, std::vector<std::string> const& output_names,
                    Annotate const& annotate) {
  std::string out;
  auto const name = [&](int k) {
    return std::size_t(k) < output_names.size() ? output_names[std::size_t(k)] : "output " + std::to_string(k);
  };
  [&]<std::size_t... P>(std::index_sequence<P...>) {
    (
        [&] {
          out += "pass " + std::to_string(P + 1) + "\n";
          std::apply(
              [&](auto const&... kernel) {
                (
                    [&]<class Row, class... Steps>(lossforge::plan::kernel<Row, Steps...> const&) {
                      using first = std::tuple_element_t<0, std::tuple<Steps...>>;
                      out += "  kernel " + std::to_string(Row::group) + " over " + detail::rows_of<Outputs, first>() +
                             "\n";
                      (
                          [&] {
                            if constexpr (is_reduce_step_v<Steps>)
                              out += "    accumulate  " +
                                     lossforge::to_text(
                                         lossforge::detail::find_global<typename step_traits<Steps>::reduction>(
                                             p.outputs)) +
                                     (is_prelude<Steps, Steps...>() ? "   (also a prelude: each chunk of rows first "
                                                                      "computes it over all rows)\n"
                                                                    : "\n");
                            else
                              out += "    write       " + name(step_traits<Steps>::output) + " = " +
                                     lossforge::to_text(std::get<std::size_t(step_traits<Steps>::output)>(p.outputs)) +
                                     "\n";
                          }(),
                          ...);
                      out += annotate(std::type_identity<lossforge::plan::kernel<Row, Steps...>>{});
                    }(kernel),
                    ...);
              },
              std::get<P>(p.passes));
        }(),
        ...);
  }
  (std::make_index_sequence<std::tuple_size_v<Passes>>{});
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (
        [&] {
          if constexpr (lossforge::detail::free_indices_t<std::tuple_element_t<K, Outputs>>::size == 0)
            out += "on the host     " + name(int(K)) + " = " + lossforge::to_text(std::get<K>(p.outputs)) + "\n";
        }(),
        ...);
  }
  (std::make_index_sequence<std::tuple_size_v<Outputs>>{});
  return out;
}

template <class Outputs, class Globals, class Passes, std::size_t I, class Split>
std::string to_text(plan<Outputs, Globals, Passes, I, Split> const& p,
                    std::vector<std::string> const& output_names = {}) {
  return to_text(p, output_names, [](auto) { return std::string(); });
}

}  // namespace lossforge::plan
