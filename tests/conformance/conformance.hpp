#pragma once
// The conformance runner's common parts: a parsed case, the views it binds, and the backend that runs its kernels
// (the Kokkos backend, or the serial executor without Kokkos). Each loss family registers its handlers in its own
// source file (they are the expensive part to compile).
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(LOSSFORGE_WITH_KOKKOS)
#include <lossforge/backends/kokkos.hpp>
#endif
#include <lossforge/backends/serial.hpp>
#include <lossforge/losses.hpp>
#include <lossforge/lossforge.hpp>

namespace lossforge::conformance {

struct tensor_data {
  std::vector<std::ptrdiff_t> shape;
  std::vector<double> values;  // integer tensors too (exact up to 2^53)
  bool integer = false;
  std::ptrdiff_t size() const { return std::ptrdiff_t(values.size()); }
};

struct case_data {
  std::string id, loss;
  nlohmann::json params;
  std::map<std::string, tensor_data> inputs;
  std::vector<std::string> differentiable;
  tensor_data expected_loss;
  std::map<std::string, tensor_data> expected_grads;
  std::vector<std::string> flags;
};

tensor_data parse_tensor(nlohmann::json const& j);
case_data parse_case(nlohmann::json const& j);

// A case the library does not implement (loss name or parameter value), with the reason.
struct unsupported : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What the library computed, flattened row-major.
struct computed {
  std::vector<double> loss;
  std::map<std::string, std::vector<double>> grads;
  bool float64_path = false;  // a float case that needed double (probabilities within 1e-6 of 0 or 1)
};

enum class precision { float32, float64 };
using handler = std::function<computed(case_data const&, precision)>;
std::map<std::string, handler>& registry();
struct registration {
  registration(std::string const& loss, handler h) { registry()[loss] = std::move(h); }
};

// Which backend runs the kernels: the handlers compile them once, for the Kokkos backend where the build has Kokkos,
// and --backend serial runs the same plans and kernels through the serial executor.
enum class backend_choice { kokkos, serial };
backend_choice& backend_under_test();
#if defined(LOSSFORGE_WITH_KOKKOS)
namespace under_test = lossforge::kokkos;
#else
namespace under_test = lossforge::serial;
#endif

#if defined(LOSSFORGE_WITH_KOKKOS)
template <class T, int Rank>
struct view_type {
  using type = typename view_type<T*, Rank - 1>::type;
};
template <class T>
struct view_type<T, 0> {
  using type = Kokkos::View<T, Kokkos::HostSpace>;
};
template <class T, int Rank>
using view_t = typename view_type<T, Rank>::type;
#else
// Without Kokkos: a row-major host array shared by its copies, constructed as a Kokkos View is.
template <class T, int Rank>
class owned_view {
 public:
  static constexpr std::size_t rank = std::size_t(Rank);
  using value_type = T;
  template <class... Extents>
  requires(sizeof...(Extents) == rank) explicit owned_view(std::string const&, Extents... extents)
      : values_(std::make_shared<std::vector<T>>((std::size_t(extents) * ... * std::size_t(1)))),
        view_(values_->data(), {std::ptrdiff_t(extents)...}) {}
  T* data() const { return view_.data(); }
  std::size_t extent(std::size_t d) const { return view_.extent(d); }
  std::size_t stride(std::size_t d) const { return view_.stride(d); }
  std::size_t size() const { return view_.size(); }
  std::size_t span() const { return view_.span(); }

 private:
  std::shared_ptr<std::vector<T>> values_;
  strided_view<T, rank> view_;
};
template <class T, int Rank>
using view_t = owned_view<T, Rank>;
#endif

template <class View>
void fill(View const& v, typename View::value_type value) {
  for (std::size_t k = 0; k < v.span(); ++k) v.data()[k] = value;
}

// A View of rank Rank holding the tensor's values (rank 1 flattens any shape: for losses over bare tensors).
template <class T, int Rank>
view_t<T, Rank> make_view(tensor_data const& t, std::string const& label) {
  if (Rank != 1 && int(t.shape.size()) != Rank)
    throw unsupported("input '" + label + "' has rank " + std::to_string(t.shape.size()) + ", expected " +
                      std::to_string(Rank));
  view_t<T, Rank> const v = [&]<std::size_t... D>(std::index_sequence<D...>) {
    if constexpr (Rank == 1)
      return view_t<T, Rank>(label, std::size_t(t.size()));
    else
      return view_t<T, Rank>(label, std::size_t(t.shape[D])...);
  }(std::make_index_sequence<std::size_t(Rank)>{});
  T* data = v.data();  // row-major, like the case data
  for (std::ptrdiff_t k = 0; k < t.size(); ++k) data[k] = T(t.values[std::size_t(k)]);
  return v;
}
template <class V>
std::vector<double> flatten(V const& v) {
  std::vector<double> out(v.span());
  for (std::size_t k = 0; k < out.size(); ++k) out[k] = double(v.data()[k]);
  return out;
}

// Runs a compiled kernel on the backend under test; returns the loss when it is a number.
template <class Kernel, class Bindings, class... Out>
auto call(Kernel const& kernel, Bindings const& b, Out const&... out) {
#if defined(LOSSFORGE_WITH_KOKKOS)
  if (backend_under_test() == backend_choice::kokkos) return kernel(Kokkos::DefaultHostExecutionSpace{}, b, out...);
#endif
  serial::workspace ws;
  return kernel.execute(serial::launch{ws}, b, out...);
}

// Runs a compiled kernel: the loss is returned (scalar) or written to loss_view (reduction none, shaped like the
// per-element loss); each differentiated input gets a gradient View shaped like its input View.
template <class Kernel, class Bindings, class LossView, class... GradViews>
computed run(Kernel const& kernel, Bindings const& b, LossView const& loss_view,
             std::pair<std::string, GradViews> const&... grads) {
  computed out;
  if constexpr (Kernel::returns_loss) {
    out.loss = {call(kernel, b, grads.second...)};
  } else {
    call(kernel, b, loss_view, grads.second...);
#if defined(LOSSFORGE_WITH_KOKKOS)
    Kokkos::fence();  // Kokkos may still be writing the per-element loss when the call returns
#endif
    out.loss = flatten(loss_view);
  }
  ((out.grads[grads.first] = flatten(grads.second)), ...);
  return out;
}

template <class T, int Rank>
std::pair<std::string, view_t<T, Rank>> gradient_for(case_data const& c, std::string const& name) {
  // Shaped like the input (the kernel overwrites every element).
  return {name, make_view<T, Rank>(c.inputs.at(name), "d_" + name)};
}

std::string reduction_of(case_data const& c);
double number(case_data const& c, std::string const& name);
bool has_tensor_param(case_data const& c, std::string const& name);
tensor_data tensor_param(case_data const& c, std::string const& name);
// True when a float evaluation of the input cannot represent the case (probabilities within 1e-6 of 0 or 1).
bool needs_float64(case_data const& c, std::string const& input);

// Calls body.template operator()<T>() in the precision asked for (double for cases that need it).
template <class Body>
computed in_precision(precision p, bool needs_double, Body const& body) {
  if (p == precision::float64) return body.template operator()<double>();
  if (needs_double) {
    computed c = body.template operator()<double>();
    c.float64_path = true;
    return c;
  }
  return body.template operator()<float>();
}

// The symbols of the case format's input names.
inline constexpr tensor<"input"> input;
inline constexpr tensor<"target"> target;

// A loss of (input, target) over bare tensors: both bound flattened, the gradient taken with respect to input.
template <auto const& Loss, class T, class... Scalars>
computed input_target_case(case_data const& c, Scalars const&... scalars) {
  static constexpr auto kernel = under_test::compile(Loss, wrt(input));
  auto const x = make_view<T, 1>(c.inputs.at("input"), "input");
  auto const y = make_view<T, 1>(c.inputs.at("target"), "target");
  return run(kernel, bind(input = x, target = y, scalars...), view_t<T, 1>("loss", x.size()),
             gradient_for<T, 1>(c, "input"));
}

constexpr char const* name_of(losses::none_t) { return "none"; }
constexpr char const* name_of(losses::mean_t) { return "mean"; }
constexpr char const* name_of(losses::sum_t) { return "sum"; }
constexpr char const* name_of(losses::batchmean_t) { return "batchmean"; }

// Calls run(R{}) with the tag R of the reduction the case names (mean where it names none, as PyTorch), one of
// Reductions: those the loss has. Handlers write their loss as a variable template over the reduction tag.
template <class... Reductions, class Run>
computed for_reduction(case_data const& c, Run const& run) {
  if (c.params.contains("reduction") && !c.params.at("reduction").is_string())
    throw unsupported("parameter 'reduction' is not a string");
  std::string const r = c.params.value("reduction", std::string("mean"));
  std::optional<computed> out;
  ((!out && r == name_of(Reductions{}) ? void(out = run(Reductions{})) : void()), ...);
  if (!out) throw unsupported("reduction '" + r + "'");
  return *out;
}
// The reductions of a loss defined per element.
template <class Run>
computed for_elementwise_reduction(case_data const& c, Run const& run) {
  return for_reduction<losses::none_t, losses::mean_t, losses::sum_t>(c, run);
}

}  // namespace lossforge::conformance
