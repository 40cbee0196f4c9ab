#pragma once
// The lossforge umbrella: the symbolic core (symbols, operators, grad, simplify, printing). Backends are included
// separately: <lossforge/backends/reference/evaluate.hpp> for the reference evaluator.
#include <lossforge/config.hpp>
#include <lossforge/diff/grad.hpp>
#include <lossforge/dsl/bind.hpp>
#include <lossforge/dsl/primitive.hpp>
#include <lossforge/dsl/reductions.hpp>
#include <lossforge/dsl/symbols.hpp>
#include <lossforge/print/print.hpp>
#include <lossforge/simplify/simplify.hpp>
