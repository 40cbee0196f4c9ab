#pragma once
// The loss catalogue: each loss a composition of DSL primitives, in namespace lossforge::losses.
#include <lossforge/losses/adversarial.hpp>
#include <lossforge/losses/binary.hpp>
#include <lossforge/losses/boxes.hpp>
#include <lossforge/losses/classification.hpp>
#include <lossforge/losses/ctc.hpp>
#include <lossforge/losses/divergence.hpp>
#include <lossforge/losses/embedding.hpp>
#include <lossforge/losses/likelihood.hpp>
#include <lossforge/losses/margin.hpp>
#include <lossforge/losses/overlap.hpp>
#include <lossforge/losses/perceptual.hpp>
#include <lossforge/losses/preference.hpp>
#include <lossforge/losses/reduction.hpp>
#include <lossforge/losses/regression.hpp>
#include <lossforge/losses/regularizers.hpp>
#include <lossforge/losses/ssim.hpp>
