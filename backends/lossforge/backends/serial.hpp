#pragma once
// The serial backend: lf::serial::compile(loss, lf::wrt(x...)) runs the same plan and the same vectorized host
// kernels as the Kokkos backend on a host execution space, in plain loops on the calling thread, without Kokkos.
// It binds lf::strided_view (or any View-like object with rank, value_type, data, extent, stride, size and span,
// Kokkos host Views included), with the symbolic core, so that this header alone compiles and runs a loss.
//
//   constexpr auto kernel = lf::serial::compile(combo, lf::wrt(p));
//   double loss = kernel(lf::bind(p = lf::strided_view<double const, 2>(p_data, {n, c}), ...), grad_p);
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <lossforge/backends/executor/executor.hpp>
#include <lossforge/backends/executor/strided_view.hpp>
#include <lossforge/lossforge.hpp>

namespace lossforge::serial {

using lossforge::gradient_only;
using lossforge::gradient_only_t;

// Buffers for a plan's intermediates: pass one to a compiled kernel and every call reuses them, allocating only when
// a call needs more than an earlier one did. Without one, each call allocates its buffers and frees them on return.
class workspace {
 public:
  // At least size doubles for intermediate number k (from 1).
  double* buffer(int k, std::size_t size) {
    if (buffers_.size() < std::size_t(k)) buffers_.resize(std::size_t(k));
    auto& b = buffers_[std::size_t(k) - 1];
    if (b.size() < size) b.resize(size);
    return b.data();
  }

 private:
  std::vector<std::vector<double>> buffers_;
};

// The executor's launch policy: each kernel's work items in order on the calling thread, as one partial result.
struct launch {
  static constexpr bool on_host = true;
  workspace& ws;

  std::int64_t concurrency() const { return 1; }
  template <class Functor>
  void reduce(std::string const&, std::int64_t items, Functor const& f, typename Functor::value_type& result) const {
    f.init(result);
    for (std::int64_t item = 0; item < items; ++item) f(item, result);
  }
  template <std::size_t Rank>
  strided_view<double, Rank> buffer(int k, std::array<std::ptrdiff_t, Rank> const& extents) const {
    std::size_t size = 1;
    for (auto e : extents) size *= std::size_t(e);
    return {ws.buffer(k, size), extents};
  }
  template <class View>
  void store(View const& view, double value) const {
    *view.data() = typename View::value_type(value);
  }
};

// A compiled loss, called with host views.
template <class Plan, class Names, bool ReturnsLoss, class Written>
struct compiled : executor::compiled<Plan, Names, ReturnsLoss, Written> {
  // With the intermediates' buffers in ws.
  template <class Bindings, class... Out>
  auto operator()(Bindings const& b, workspace& ws, Out const&... out) const {
    return this->execute(launch{ws}, b, out...);
  }
  template <class Bindings, class... Out>
  auto operator()(Bindings const& b, Out const&... out) const {
    workspace ws;
    return this->execute(launch{ws}, b, out...);
  }
};

// lf::serial::compile(loss, lf::wrt(x...)) and compile(loss, lf::wrt(x...), lf::gradient_only).
inline constexpr executor::compiler<compiled> compile{};

}  // namespace lossforge::serial
