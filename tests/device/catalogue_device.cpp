// The catalogue on the device (catalogue_device.hpp): the reference values of the linked families' cases, then each
// case run in Kokkos' default execution space and compared with them. Exits non-zero when any differ.
//
//   lossforge-catalogue-device
#include <tests/device/catalogue_device.hpp>

namespace lossforge::catalogue_device {
std::map<std::string, std::vector<std::vector<double>>>& reference_values() {
  static std::map<std::string, std::vector<std::vector<double>>> values;
  return values;
}
std::vector<void (*)()>& families(role r) {
  static std::vector<void (*)()> reference, device;
  return r == role::reference ? reference : device;
}
int& failures() {
  static int count = 0;
  return count;
}
}  // namespace lossforge::catalogue_device

int main(int argc, char** argv) {
  namespace catalogue = lossforge::catalogue_device;
  Kokkos::initialize(argc, argv);
  {
    for (auto run : catalogue::families(catalogue::role::reference)) run();
    std::printf("lossforge catalogue on %s against the reference evaluator: %zu cases\n", catalogue::space::name(),
                catalogue::reference_values().size());
    for (auto run : catalogue::families(catalogue::role::device)) run();
    std::printf("%s: %d failed\n", catalogue::failures() == 0 ? "all passed" : "FAILED", catalogue::failures());
  }
  Kokkos::finalize();
  return lossforge::catalogue_device::failures() == 0 ? 0 : 1;
}
