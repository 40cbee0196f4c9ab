// Conformance handler for dice_per_class over logits [N, C, H, W] and class indices [N, H, W].
#include <tests/conformance/per_class.hpp>

namespace lossforge::conformance {
namespace {
namespace L = losses;
using namespace per_class;

constexpr auto dice_per_class = L::dice_per_class(logits, labels, smooth);

registration const dice_per_class_case("dice_per_class", [](case_data const& c, precision p) {
  return in_precision(p, false,
                      [&]<class T>() { return run_case<dice_per_class, T>(c, smooth = number(c, "smooth")); });
});

}  // namespace
}  // namespace lossforge::conformance
