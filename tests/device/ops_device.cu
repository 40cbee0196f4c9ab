// Compiles every op's scalar semantics and its derivative (as lossforge derives it) into CUDA kernels, so that
// nothing a kernel may call is host-only. Compile-only: the build machines have nvcc but no GPU.
#include <lossforge/diff/grad.hpp>
#include <lossforge/dsl/pointwise.hpp>

namespace lf = lossforge;
using namespace lf::literals;

namespace {
constexpr lf::scalar<"x"> x;
constexpr lf::scalar<"y"> y;

template <class T>
struct point {
  T x, y;
  template <class Symbol>
  __host__ __device__ T get() const {
    if constexpr (std::is_same_v<Symbol, lf::scalar<"x">>) return x;
    else return y;
  }
};

// One kernel per expression: out[k] = e(x[k], y[k]), d/dx, d/dy.
template <class T, class E, class DX, class DY>
__global__ void value_and_partials(E e, DX dx, DY dy, T const* xs, T const* ys, T* out, int n) {
  int const k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k >= n) return;
  point<T> const at{xs[k], ys[k]};
  out[3 * k] = lf::evaluate_pointwise<T>(e, at);
  out[3 * k + 1] = lf::evaluate_pointwise<T>(dx, at);
  out[3 * k + 2] = lf::evaluate_pointwise<T>(dy, at);
}

template <class T, class E>
void instantiate(E const& e) {
  auto kernel = &value_and_partials<T, E, decltype(lf::grad(e, x)), decltype(lf::grad(e, y))>;
  (void)kernel;
}

template <class T>
void every_op() {
  instantiate<T>(x + y * x);
  instantiate<T>((x - y) / y);
  instantiate<T>(-x * y);
  instantiate<T>(lf::square(x) * y);
  instantiate<T>(lf::pow<3>(x) + lf::pow<-2>(y));
  instantiate<T>(lf::pow(x, y));
  instantiate<T>(lf::log(x) + lf::log1p(y));
  instantiate<T>(lf::exp(x) + lf::expm1(y));
  instantiate<T>(lf::sqrt(x) * lf::tanh(y));
  instantiate<T>(lf::sigmoid(x) + lf::softplus(y) + lf::log_sigmoid(x * y));
  instantiate<T>(lf::abs(x) + lf::sign(x) * y + lf::relu(y));
  instantiate<T>(lf::min(x, y) + lf::max(x, y) + lf::clamp(x, -1, y));
  instantiate<T>(lf::where(x < y, x * y, y) + (x <= y) + (x > y) + (x >= y) + (x == y) + (x != y));
  instantiate<T>(lf::log(lf::sigmoid(x * y)) + lf::log(1_c - lf::sigmoid(y)));
}
}  // namespace

void compile_for_device() {
  every_op<float>();
  every_op<double>();
}
