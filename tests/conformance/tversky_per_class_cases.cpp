// Conformance handler for tversky_per_class over logits [N, C, H, W] and class indices [N, H, W].
#include <tests/conformance/per_class.hpp>

namespace lossforge::conformance {
namespace {
namespace L = losses;
using namespace per_class;

constexpr auto tversky_per_class = L::tversky_per_class(logits, labels, alpha, beta, smooth);

registration const tversky_per_class_case("tversky_per_class", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    return run_case<tversky_per_class, T>(c, alpha = number(c, "alpha"), beta = number(c, "beta"),
                                          smooth = number(c, "smooth"));
  });
});

}  // namespace
}  // namespace lossforge::conformance
