// The catalogue on the device (catalogue_device.hpp): the reference values of every family's cases, then each case
// run in Kokkos' default execution space and compared with them. Exits non-zero when any differ.
//
//   lossforge-catalogue-device
#include <tests/device/catalogue_device.hpp>

namespace lossforge::catalogue_device {
std::map<std::string, std::vector<std::vector<double>>>& reference_values() {
  static std::map<std::string, std::vector<std::vector<double>>> values;
  return values;
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
    for (auto family : {catalogue::oracle::pointwise, catalogue::oracle::classes, catalogue::oracle::preference,
                        catalogue::oracle::embeddings, catalogue::oracle::global_sums})
      family();
    std::printf("lossforge catalogue on %s against the reference evaluator: %zu cases\n", catalogue::space::name(),
                catalogue::reference_values().size());
    for (auto family : {catalogue::device::pointwise, catalogue::device::classes, catalogue::device::preference,
                        catalogue::device::embeddings, catalogue::device::global_sums})
      family();
    std::printf("%s: %d failed\n", catalogue::failures() == 0 ? "all passed" : "FAILED", catalogue::failures());
  }
  Kokkos::finalize();
  return lossforge::catalogue_device::failures() == 0 ? 0 : 1;
}
