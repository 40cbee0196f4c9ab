// lossforge example 7: one Dice loss over a 3D segmentation volume [D, H, W] cut into slabs along D, one slab per
// MPI process (mpiexec -n 4 ./07_distributed_dice). lf::mpi::compile makes the distributed loss exactly the loss of
// the whole volume; the average of per-process Dice losses, what a data-parallel framework reports, is not.
//
// Every process builds the same volume (a sphere's mask and noisy predictions), keeps its slab, and prints nothing
// but process 0, which prints the three numbers and checks the first two agree.
#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include <lossforge/backends/kokkos.hpp>
#include <lossforge/backends/mpi.hpp>
#include <lossforge/losses.hpp>

namespace lf = lossforge;

constexpr lf::tensor<"p", 3> p;  // predicted foreground probabilities [D, H, W]
constexpr lf::tensor<"g", 3> g;  // the mask [D, H, W]
constexpr auto dice = lf::losses::dice(p, g, 1.0);

using volume = Kokkos::View<double***, Kokkos::LayoutRight, Kokkos::HostSpace>;

int main(int argc, char* argv[]) {
  MPI_Init(&argc, &argv);
  int process = 0, processes = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &process);
  MPI_Comm_size(MPI_COMM_WORLD, &processes);
  int status = 0;
  {
    Kokkos::ScopeGuard guard(argc, argv);
    constexpr int depth = 48, height = 40, width = 40;
    volume pw("p", depth, height, width), gw("g", depth, height, width);
    std::mt19937 random(3);
    std::normal_distribution<double> noise(0, 0.15);
    for (int d = 0; d < depth; ++d)
      for (int h = 0; h < height; ++h)
        for (int w = 0; w < width; ++w) {
          // A sphere in the upper part of the volume: slabs see very different amounts of foreground.
          double const r = std::hypot(d - 14.0, h - 20.0, w - 20.0);
          gw(d, h, w) = r < 12 ? 1 : 0;
          pw(d, h, w) = std::clamp(gw(d, h, w) * 0.8 + 0.1 + noise(random), 0.01, 0.99);
        }

    // This process's slab: depths [begin, end).
    int const begin = depth * process / processes, end = depth * (process + 1) / processes;
    auto const slab = [&](volume const& whole) {
      volume part(whole.label(), std::size_t(end - begin), height, width);
      Kokkos::deep_copy(part, Kokkos::subview(whole, Kokkos::make_pair(begin, end), Kokkos::ALL, Kokkos::ALL));
      return part;
    };
    volume const pp = slab(pw), gp = slab(gw), grad_p("dp", pp.extent(0), height, width);

    // The exact loss of the whole volume, and this slab's block of its gradient.
    constexpr auto distributed = lf::mpi::compile(dice, lf::wrt(p), lf::mpi::split(p, g));
    double const exact = distributed(MPI_COMM_WORLD, lf::bind(p = pp, g = gp), grad_p);
    double squares = 0;
    for (std::size_t k = 0; k < grad_p.size(); ++k) squares += grad_p.data()[k] * grad_p.data()[k];
    MPI_Allreduce(MPI_IN_PLACE, &squares, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);

    // What a framework averaging per-process losses reports: each process's Dice of its own slab.
    constexpr auto local = lf::kokkos::compile(dice);
    double average = local(lf::bind(p = pp, g = gp)) / processes;
    MPI_Allreduce(MPI_IN_PLACE, &average, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);

    if (process == 0) {
      // The whole volume on one process, for comparison.
      volume grad_whole("dp", depth, height, width);
      double const whole = lf::kokkos::compile(dice, lf::wrt(p))(lf::bind(p = pw, g = gw), grad_whole);
      double whole_squares = 0;
      for (std::size_t k = 0; k < grad_whole.size(); ++k) whole_squares += grad_whole.data()[k] * grad_whole.data()[k];
      std::printf("%d processes, volume %d x %d x %d cut into slabs along D\n", processes, depth, height, width);
      std::printf("distributed Dice (lf::mpi::compile)   %.15f  gradient norm %.15e\n", exact, std::sqrt(squares));
      std::printf("Dice of the whole volume, one process %.15f  gradient norm %.15e\n", whole,
                  std::sqrt(whole_squares));
      std::printf("average of per-process Dice           %.15f  (what averaging per-process losses reports)\n",
                  average);
      bool const equal = std::abs(exact - whole) <= 1e-12 * std::abs(whole) &&
                         std::abs(std::sqrt(squares) - std::sqrt(whole_squares)) <= 1e-12 * std::sqrt(whole_squares);
      if (!equal) {
        std::printf("FAILED: the distributed Dice differs from the whole volume's\n");
        status = 1;
      }
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
  }
  MPI_Finalize();
  return status;
}
