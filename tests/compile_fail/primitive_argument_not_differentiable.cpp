// wrt(...) naming an argument of a primitive that its vector-Jacobian product does not serve (the perceptual loss's
// fixed weights) is refused at compile time, not by an error after the loss has run.
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
namespace lf = lossforge;
constexpr lf::tensor<"x", 4> x;
constexpr lf::tensor<"y", 4> y;
constexpr lf::tensor<"w1", 4> w1;
constexpr lf::tensor<"b1", 1> b1;
constexpr lf::tensor<"w2", 4> w2;
constexpr lf::tensor<"b2", 1> b2;
#ifdef LOSSFORGE_SHOULD_FAIL
constexpr auto kernel = lf::kokkos::compile(lf::losses::perceptual_loss(x, y, w1, b1, w2, b2), lf::wrt(x, w1));
#else
constexpr auto kernel = lf::kokkos::compile(lf::losses::perceptual_loss(x, y, w1, b1, w2, b2), lf::wrt(x));
#endif
int main() { return kernel.returns_loss ? 0 : 1; }
