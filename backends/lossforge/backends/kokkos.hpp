#pragma once
// The Kokkos backend: lf::kokkos::compile(loss, lf::wrt(x...)) and the View interop it needs, with the symbolic core
// (symbols, operators, lf::bind, grad, printing), so that this header alone compiles and runs a loss written in the
// DSL; lf::kokkos::ctc_loss and lf::kokkos::ssim_loss, kernels of their own; and the layers of the catalogue's
// perceptual loss, primitives.
#include <lossforge/backends/kokkos/compile.hpp>
#include <lossforge/backends/kokkos/conv_layers.hpp>
#include <lossforge/backends/kokkos/ctc.hpp>
#include <lossforge/backends/kokkos/ssim.hpp>
#include <lossforge/lossforge.hpp>
