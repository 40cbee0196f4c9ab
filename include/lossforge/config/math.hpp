#pragma once
// Scalar math that compiles on every target: Kokkos math when lossforge is built with Kokkos, CUDA/HIP device math
// under nvcc/hipcc without it, and <cmath> on the host. Op tags call only these, never std:: directly.
#include <lossforge/config.hpp>

#if defined(LOSSFORGE_WITH_KOKKOS)
#include <lossforge/config/kokkos_compat.hpp>
#define LOSSFORGE_MATH_NS ::lossforge::kokkos_compat::kmath
#elif defined(__CUDACC__) || defined(__HIPCC__)
#include <cmath>
#define LOSSFORGE_MATH_NS
#else
#include <cmath>
#define LOSSFORGE_MATH_NS std
#endif

namespace lossforge::math {

#define LOSSFORGE_MATH_UNARY(name, impl) \
  template <class T>                     \
  LOSSFORGE_FUNCTION T name(T x) {       \
    return LOSSFORGE_MATH_NS::impl(x);   \
  }
LOSSFORGE_MATH_UNARY(exp, exp)
LOSSFORGE_MATH_UNARY(expm1, expm1)
LOSSFORGE_MATH_UNARY(log, log)
LOSSFORGE_MATH_UNARY(log1p, log1p)
LOSSFORGE_MATH_UNARY(sqrt, sqrt)
LOSSFORGE_MATH_UNARY(tanh, tanh)
LOSSFORGE_MATH_UNARY(atan, atan)
LOSSFORGE_MATH_UNARY(abs, fabs)
#undef LOSSFORGE_MATH_UNARY

template <class T>
LOSSFORGE_FUNCTION T pow(T x, T y) {
  return LOSSFORGE_MATH_NS::pow(x, y);
}
template <class T>
LOSSFORGE_FUNCTION bool isnan(T x) {
  return x != x;
}

}  // namespace lossforge::math
