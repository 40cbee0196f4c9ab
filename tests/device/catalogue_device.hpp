#pragma once
// The catalogue on the device: each loss of the catalogue (with the options that change its plan) and the examples'
// losses, compiled for Kokkos' default execution space and run there with Views in its memory, against the
// reference evaluator (an interpreter that shares no code with the kernels) on the host, in float and double, with
// the conformance tolerances: |device - reference| <= 1e-9 max(1, |reference|) elementwise in double, 1e-4 in float.
//
// Each family (catalogue_device_<family>.cpp) lists its cases once, as cases<T>(visit): a name, the loss (a
// constexpr variable), the symbols it is differentiated by, the bindings (made from host Views by a function `on`
// that maps each to the View a run reads) and the host Views of the differentiated inputs (they shape the gradients).
// Each family's file is compiled in two roles: by default it runs its cases on the device (device::<family>); with
// LOSSFORGE_CATALOGUE_REFERENCE defined it records the reference evaluator's values for them (oracle::<family>),
// host code only. Built by the release's nvcc_wrapper against a Kokkos with the CUDA backend, the device role's
// kernels are CUDA kernels: CI compiles them for Kokkos::Cuda without a GPU, ctest runs the program on the host's
// default execution space, and scripts/device-check.sh builds and runs it on a GPU.
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <lossforge/losses.hpp>
#include <tests/support/tolerance.hpp>
#if defined(LOSSFORGE_CATALOGUE_REFERENCE)
#include <lossforge/backends/executor/executor.hpp>  // lf::wrt
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/diff/grad.hpp>
#else
#include <lossforge/backends/kokkos.hpp>
#endif

namespace lossforge::catalogue_device {
namespace L = losses;

using space = Kokkos::DefaultExecutionSpace;

// The sizes every family uses: rows that fill no SIMD block exactly, a few classes, embedding dimensions.
inline constexpr int rows = 37;
inline constexpr int classes = 5;
inline constexpr int dims = 6;
inline constexpr int spots = 3;  // spatial positions of the [N, C, d] cross entropy

template <class T, std::size_t Rank>
struct rank_type {
  using type = typename rank_type<T*, Rank - 1>::type;
};
template <class T>
struct rank_type<T, 0> {
  using type = T;
};
template <class T, std::size_t Rank>
using input_view = Kokkos::View<typename rank_type<T, Rank>::type, Kokkos::LayoutRight, Kokkos::HostSpace>;

// A View of the given extents holding f(k) at flat position k.
template <class T, class F, class... Extents>
input_view<T, sizeof...(Extents)> tabulated(std::string const& label, F const& f, Extents... extents) {
  input_view<T, sizeof...(Extents)> v(label, std::size_t(extents)...);
  for (std::size_t k = 0; k < v.span(); ++k) v.data()[k] = T(f(long(k)));
  return v;
}

// Numbers in [0, 1) from a fixed sequence; seed tells tensors apart.
inline double spread(long k, int seed) {
  double const x = std::sin(0.7 * double(k) + 1.3 * double(seed)) * 43758.5453;
  return x - std::floor(x);
}
template <class T, class... Extents>
auto uniform(std::string const& label, double lo, double hi, int seed, Extents... extents) {
  return tabulated<T>(
      label, [&](long k) { return lo + (hi - lo) * spread(k, seed); }, extents...);
}
// 0 and 1, about half each.
template <class T, class... Extents>
auto mask(std::string const& label, int seed, Extents... extents) {
  return tabulated<T>(
      label, [&](long k) { return spread(k, seed) < 0.5 ? 0.0 : 1.0; }, extents...);
}
// -1 and +1.
template <class T, class... Extents>
auto signs(std::string const& label, int seed, Extents... extents) {
  return tabulated<T>(
      label, [&](long k) { return spread(k, seed) < 0.5 ? -1.0 : 1.0; }, extents...);
}
// Class indices in [0, classes); with ignored set, every fifth is -100.
template <class... Extents>
auto labels(std::string const& label, int seed, bool ignored, Extents... extents) {
  return tabulated<int>(
      label, [&](long k) { return ignored && k % 5 == 4 ? -100 : int(spread(k, seed) * classes) % classes; },
      extents...);
}

template <class T>
std::string case_name(std::string const& name) {
  return name + (std::is_same_v<T, float> ? " (float)" : " (double)");
}

// The reference role's values, by case name: the loss, then each gradient, flattened row-major.
std::map<std::string, std::vector<std::vector<double>>>& reference_values();
int& failures();

#if defined(LOSSFORGE_CATALOGUE_REFERENCE)
// Records the reference evaluator's loss and gradients for a case.
template <class T>
struct record_reference {
  template <auto const& Loss, class... X, class Make, class... Differentiated>
  void operator()(std::string const& name, wrt_t<X...>, Make const& make, Differentiated const&...) const {
    auto const on = [](auto const& v) {
      using value = typename std::remove_cvref_t<decltype(v)>::value_type;
      shape_t shape;
      // The static rank, as Kokkos 3.4 (a constant) and 4 (a callable constant) both spell it.
      for (std::size_t d = 0; d < std::size_t(std::remove_cvref_t<decltype(v)>::rank); ++d)
        shape.push_back(std::ptrdiff_t(v.extent(d)));
      return lossforge::host_view(std::span<value const>(v.data(), v.span()), shape);
    };
    auto const bindings = make(on);
    // A scalar symbol's gradient is a number, a tensor's an array.
    auto const flat = []<class R>(R const& r) -> std::vector<double> {
      if constexpr (std::is_arithmetic_v<R>)
        return {double(r)};
      else
        return r.values;
    };
    std::vector<std::vector<double>> values{{double(lossforge::reference::evaluate(Loss, bindings))}};
    (values.push_back(flat(lossforge::reference::evaluate(grad(Loss, X{}), bindings))), ...);
    reference_values()[case_name<T>(name)] = std::move(values);
  }
};
#else
// Elementwise |device - reference| <= tolerance max(1, |reference|). Every case's inputs lie in its loss's domain, so
// a reference value that is not finite fails too (it would match a NaN without checking anything).
inline void compare(std::string const& what, std::vector<double> const& device, std::vector<double> const& reference,
                    double tolerance) {
  bool ok = device.size() == reference.size() &&
            std::all_of(reference.begin(), reference.end(), [](double v) { return std::isfinite(v); });
  double worst = ok ? 0.0 : INFINITY;
  for (std::size_t k = 0; k < device.size() && k < reference.size(); ++k) {
    ok = ok && test::close(device[k], reference[k], tolerance);
    worst = std::max(worst, std::abs(device[k] - reference[k]) / std::max(1.0, std::abs(reference[k])));
  }
  failures() += ok ? 0 : 1;
  std::printf("%-72s %4zu values  max error %.1e  %s\n", what.c_str(), reference.size(), worst, ok ? "ok" : "FAIL");
}

template <class V>
std::vector<double> values_of(V const& v) {
  auto const mirror = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, v);
  std::vector<double> out(mirror.span());
  for (std::size_t k = 0; k < out.size(); ++k) out[k] = double(mirror.data()[k]);
  return out;
}

// Runs a case's kernel in the default execution space, with its inputs copied to that space's memory and a gradient
// View there for each differentiated input, and compares with the reference role's values.
template <class T>
struct run_on_device {
  template <auto const& Loss, class... X, class Make, class... Differentiated>
  void operator()(std::string const& name, wrt_t<X...>, Make const& make, Differentiated const&... inputs) const {
    static constexpr auto kernel = kokkos::compile(Loss, wrt(X{}...));
    constexpr double tolerance = test::tolerance<T>::conformance;
    auto const on = [](auto const& v) { return Kokkos::create_mirror_view_and_copy(space::memory_space{}, v); };
    std::tuple const gradients{
        Kokkos::View<typename Differentiated::non_const_data_type, Kokkos::LayoutRight, space::memory_space>(
            "lossforge::check::gradient", inputs.layout())...};
    double const loss =
        std::apply([&](auto const&... d) { return double(kernel(space{}, make(on), d...)); }, gradients);
    std::vector<std::vector<double>> const& want = reference_values().at(case_name<T>(name));
    compare(case_name<T>(name) + ": loss", {loss}, want[0], tolerance);
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (compare(case_name<T>(name) + ": gradient wrt " + X::name.str(), values_of(std::get<K>(gradients)), want[K + 1],
               tolerance),
       ...);
    }
    (std::index_sequence_for<X...>{});
  }
};
#endif

// A case: visit's call with the loss as its template argument.
template <auto const& Loss, class Visit, class... Arguments>
void run(Visit const& visit, Arguments const&... arguments) {
  visit.template operator()<Loss>(arguments...);
}

// The families' two roles: in its device role a family's file runs its cases on the device, in its reference role it
// records their reference values. Each file registers its role's run of its cases (in_each_precision), so that a
// program runs the families it links: the device check all six, a host build any of them.
enum class role { reference, device };

// A family's run of its cases in each precision: double and float, or double alone where
// LOSSFORGE_CATALOGUE_DOUBLE_ONLY is defined (the build's compile-only CUDA check, for its time: the float kernels
// are the same templates over another value type; scripts/device-check.sh compiles and runs both).
template <class Cases>
void in_each_precision(Cases const& cases) {
  cases(std::type_identity<double>{});
#if !defined(LOSSFORGE_CATALOGUE_DOUBLE_ONLY)
  cases(std::type_identity<float>{});
#endif
}
std::vector<void (*)()>& families(role);
struct family {
  family(role r, void (*run)()) { families(r).push_back(run); }
};
#if defined(LOSSFORGE_CATALOGUE_REFERENCE)
inline constexpr role this_role = role::reference;
template <class T>
using visit = record_reference<T>;
#else
inline constexpr role this_role = role::device;
template <class T>
using visit = run_on_device<T>;
#endif

}  // namespace lossforge::catalogue_device
