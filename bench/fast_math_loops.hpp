#pragma once
// The hand-fused loops of hand_loops.hpp compiled with -ffast-math in their own translation unit
// (fast_math_loops.cpp; instantiated for float and double): the benchmark's second yardstick, the practical limit of
// a loop on this machine. lossforge itself is never compiled with -ffast-math: it keeps IEEE semantics.
#include <cstddef>

namespace lossforge::bench::fast_math {

template <class T>
double mse(T const* p, T const* g, T* grad, std::ptrdiff_t n);
template <class T>
double bce(T const* p, T const* g, T* grad, std::ptrdiff_t n);
template <class T>
double bce_with_logits(T const* x, T const* y, T* grad, std::ptrdiff_t n);
template <class T>
double sigmoid_focal(T const* x, T const* y, T* grad, std::ptrdiff_t n);
template <class T>
double dice(T const* p, T const* g, T* grad, std::ptrdiff_t n, double smooth, double bce_weight);
template <class T>
double cross_entropy(T const* x, int const* labels, T* grad, std::ptrdiff_t rows, int classes, double eps);

}  // namespace lossforge::bench::fast_math
