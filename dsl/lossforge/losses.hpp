#pragma once
// The loss catalogue: each loss a composition of DSL primitives, in namespace lossforge::losses.
#include <lossforge/losses/binary.hpp>
#include <lossforge/losses/classification.hpp>
#include <lossforge/losses/overlap.hpp>
#include <lossforge/losses/reduction.hpp>
#include <lossforge/losses/regression.hpp>
#include <lossforge/losses/regularizers.hpp>
