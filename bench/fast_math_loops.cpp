// Compiled with -O3 -ffast-math (see CMakeLists.txt): the hand loops as fast as the compiler makes them.
#include "fast_math_loops.hpp"

#include "hand_loops.hpp"

#ifndef __FAST_MATH__
#error "fast_math_loops.cpp is the benchmark's -ffast-math yardstick: compile it with -ffast-math"
#endif

namespace lossforge::bench::fast_math {

template <class T>
double mse(T const* p, T const* g, T* grad, std::ptrdiff_t n) {
  return mse_loop(p, g, grad, n);
}
template <class T>
double bce(T const* p, T const* g, T* grad, std::ptrdiff_t n) {
  return bce_loop(p, g, grad, n);
}
template <class T>
double bce_with_logits(T const* x, T const* y, T* grad, std::ptrdiff_t n) {
  return bce_with_logits_loop(x, y, grad, n);
}
template <class T>
double sigmoid_focal(T const* x, T const* y, T* grad, std::ptrdiff_t n) {
  return sigmoid_focal_loop(x, y, grad, n);
}
template <class T>
double dice(T const* p, T const* g, T* grad, std::ptrdiff_t n, double smooth, double bce_weight) {
  return dice_loop(p, g, grad, n, smooth, bce_weight);
}
template <class T>
double cross_entropy(T const* x, int const* labels, T* grad, std::ptrdiff_t rows, int classes, double eps) {
  return cross_entropy_loop(x, labels, grad, rows, classes, eps);
}

#define LOSSFORGE_BENCH_FAST_MATH(T)                                               \
  template double mse<T>(T const*, T const*, T*, std::ptrdiff_t);                  \
  template double bce<T>(T const*, T const*, T*, std::ptrdiff_t);                  \
  template double bce_with_logits<T>(T const*, T const*, T*, std::ptrdiff_t);      \
  template double sigmoid_focal<T>(T const*, T const*, T*, std::ptrdiff_t);        \
  template double dice<T>(T const*, T const*, T*, std::ptrdiff_t, double, double); \
  template double cross_entropy<T>(T const*, int const*, T*, std::ptrdiff_t, int, double);
LOSSFORGE_BENCH_FAST_MATH(float)
LOSSFORGE_BENCH_FAST_MATH(double)
#undef LOSSFORGE_BENCH_FAST_MATH

}  // namespace lossforge::bench::fast_math
