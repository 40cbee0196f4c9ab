// Compiles every op's scalar semantics and its derivative (as lossforge derives it) into CUDA kernels, so that
// nothing a kernel may call is host-only. Compile-only in ctest (the build machines have nvcc but no GPU). Built with
// -DLOSSFORGE_DEVICE_RUN on a machine with a GPU, it also runs every kernel on 4096 points and compares the device
// results with the same expressions evaluated on the host (CUDA's math library against glibc's).
#include <lossforge/diff/grad.hpp>
#include <lossforge/dsl/scalar_evaluator.hpp>

#ifdef LOSSFORGE_DEVICE_RUN
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <typeinfo>
#include <vector>
#endif

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
    if constexpr (std::is_same_v<Symbol, lf::scalar<"x">>)
      return x;
    else
      return y;
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

#ifdef LOSSFORGE_DEVICE_RUN
int failures = 0, compared = 0;

template <class T, class E>
void instantiate(E const& e) {
  constexpr int n = 4096;
  auto const dx = lf::grad(e, x);
  auto const dy = lf::grad(e, y);
  std::vector<T> xs(n), ys(n), out(3 * n);
  for (int k = 0; k < n; ++k) xs[k] = T(0.05 + 3.0 * k / n), ys[k] = T(0.2 + 2.3 * ((k * 7919) % n) / n);
  T *dxs, *dys, *dout;
  cudaMalloc(&dxs, n * sizeof(T));
  cudaMalloc(&dys, n * sizeof(T));
  cudaMalloc(&dout, 3 * n * sizeof(T));
  cudaMemcpy(dxs, xs.data(), n * sizeof(T), cudaMemcpyHostToDevice);
  cudaMemcpy(dys, ys.data(), n * sizeof(T), cudaMemcpyHostToDevice);
  value_and_partials<T><<<(n + 127) / 128, 128>>>(e, dx, dy, dxs, dys, dout, n);
  cudaMemcpy(out.data(), dout, 3 * n * sizeof(T), cudaMemcpyDeviceToHost);
  cudaFree(dxs), cudaFree(dys), cudaFree(dout);
  double const tolerance = 64 * double(std::numeric_limits<T>::epsilon());
  for (int k = 0; k < n; ++k) {
    point<T> const at{xs[k], ys[k]};
    T const host[3] = {lf::evaluate_pointwise<T>(e, at), lf::evaluate_pointwise<T>(dx, at),
                       lf::evaluate_pointwise<T>(dy, at)};
    for (int j = 0; j < 3; ++j) {
      double const d = double(out[3 * k + j]), h = double(host[j]);
      bool const same =
          (std::isnan(d) && std::isnan(h)) || d == h || std::abs(d - h) <= tolerance * std::max(1.0, std::abs(h));
      ++compared;
      if (!same && failures++ < 10)
        std::printf("%s[%d] output %d: device %.17g host %.17g\n", typeid(T).name(), k, j, d, h);
    }
  }
}
#else
template <class T, class E>
void instantiate(E const& e) {
  auto kernel = &value_and_partials<T, E, decltype(lf::grad(e, x)), decltype(lf::grad(e, y))>;
  (void)kernel;
}
#endif

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
  instantiate<T>(lf::bce(lf::sigmoid(x), lf::sigmoid(y)));
}
}  // namespace

void compile_for_device() {
  every_op<float>();
  every_op<double>();
}

#ifdef LOSSFORGE_DEVICE_RUN
int main() {
  compile_for_device();
  cudaError_t const status = cudaDeviceSynchronize();
  std::printf("device run: %s; %d of %d values differ from the host by more than 64 ulps\n", cudaGetErrorString(status),
              failures, compared);
  return status == cudaSuccess && failures == 0 && compared > 0 ? 0 : 1;
}
#endif
