#!/usr/bin/env python3
"""Writes two fixed, seeded sets of random expression trees. Rerun after changing the generator:
    python3 scripts/generate_random_expressions.py

* tests/unit/simplify/random_expressions_{0,1}.inc (two halves, compiled in parallel by
  tests/unit/simplify/random_expressions.cpp): trees over the scalars x, y and (inside a reduction) the tensor p.
  The simplifier's equivalence test evaluates each before and after simplify() and checks grad() against finite
  differences.
* tests/kokkos/random_plans_{0,1,2,3}.inc (compiled in parallel by tests/kokkos/random_plans_test.cpp): losses over matrices p, g [N, C] that nest reductions the way real losses do (a
  row's statistic over its classes, a class's statistic over the rows, a global one, a similarity between rows) for
  the cost-law test tests/kokkos/random_plans_test.cpp, each with the power of N that one evaluation of it costs.
"""
import random
import re
from pathlib import Path

COUNT = 200
PLAN_COUNT = 16
PLAN_PARTS = 4
rng = random.Random(20261128)


def leaf(tensor):
    choices = ["x", "y", "1_c", "2_c", "lf::c<1, 2>", "0.5", "3.0"]
    if tensor:
        choices += ["p", "p"]
    return rng.choice(choices)


def positive(e):
    return f"(1_c + lf::square({e}))"


def not_number(e):
    """min and max of two plain numbers would be C++'s, not lossforge's."""
    return f"(x + {e})" if re.fullmatch(r"[0-9.]+", e) else e


def expr(depth, tensor):
    if depth == 0 or rng.random() < 0.15:
        return leaf(tensor)
    a = lambda: expr(depth - 1, tensor)
    kind = rng.randrange(22)
    if kind == 0: return f"({a()} + {a()})"
    if kind == 1: return f"({a()} - {a()})"
    if kind == 2: return f"({a()} * {a()})"
    if kind == 3: return f"({a()} / {positive(a())})"
    if kind == 4: return f"(-{a()})"
    if kind == 5: return f"lf::tanh({a()})"
    if kind == 6: return f"lf::sigmoid({a()})"
    if kind == 7: return f"lf::softplus({a()})"
    if kind == 8: return f"lf::log_sigmoid({a()})"
    if kind == 9: return f"lf::log({positive(a())})"
    if kind == 10: return f"lf::exp(lf::tanh({a()}))"
    if kind == 11: return f"lf::square({a()})"
    if kind == 12: return f"lf::min({not_number(a())}, {a()})"
    if kind == 13: return f"lf::max({not_number(a())}, {a()})"
    if kind == 14: return f"lf::where({a()} > {a()}, {a()}, {a()})"
    # patterns the stability rewrites look for
    if kind == 15: return f"lf::log(lf::sigmoid({a()}))"
    if kind == 16: return f"lf::log(1_c - lf::sigmoid({a()}))"
    if kind == 17: return f"lf::log(1_c + lf::exp(lf::tanh({a()})))"
    if kind == 18: return f"lf::log(lf::exp({a()}))"
    if kind == 19: return f"lf::sqrt({positive(a())})"
    if kind == 20: return f"lf::pow<3>(lf::tanh({a()}))"
    return f"({a()} + {a()} * {a()})"


# ---- losses over p, g [N, C] ----------------------------------------------------------------------------------
# Indices: i and j run over the rows, c and d over the columns. Each statistic is written over the indices its
# position leaves free, so a loss over (i, c) can read a row's (free i), a class's (free c) and a global statistic.

def matrix_leaf(at, extras):
    return rng.choice([f"p({at})", f"p({at})", f"g({at})", "x", "0.5", "2_c"] + extras)


def elementwise(depth, at, extras):
    """An expression of the entries at `at` (or of `extras` alone when at is None)."""
    if depth == 0 or rng.random() < 0.2:
        return matrix_leaf(at, extras) if at else rng.choice(extras + ["x"])
    a = lambda: elementwise(depth - 1, at, extras)
    kind = rng.randrange(11)
    if kind == 0: return f"({a()} + {a()})"
    if kind == 1: return f"({a()} - {a()})"
    if kind == 2: return f"({a()} * {a()})"
    if kind == 3: return f"({a()} / {positive(a())})"
    if kind == 4: return f"lf::tanh({a()})"
    if kind == 5: return f"lf::sigmoid({a()})"
    if kind == 6: return f"lf::softplus({a()})"
    if kind == 7: return f"lf::exp(lf::tanh({a()}))"
    if kind == 8: return f"lf::square({a()})"
    if kind == 9: return f"lf::log({positive(a())})"
    return f"lf::max({not_number(a())}, {a()})"


def with_p(e, at):
    """e plus a term in p(at) that no simplification cancels, so the reduction around it keeps its extent."""
    return f"({e} + {rng.choice(['p', 'lf::tanh', 'lf::square', 'lf::sigmoid'])}(p({at})))".replace("p(p(", "(p(")


def using_all(body, extras):
    """body, with each statistic it does not read yet joined in, so every one of them is on the loss's path."""
    for e in extras:
        if e not in body:
            e = rng.choice([e, f"lf::tanh({e})", f"lf::square({e})"])
            body = f"({body} {rng.choice(['+', '*', '-'])} {e})"
    return body


def reduction(inner=False):
    return rng.choice(["lf::sum", "lf::mean", "lf::logsumexp"] if inner else ["lf::sum", "lf::mean"])


def row_statistic():  # free i
    return f"{reduction(True)}(d, {with_p(elementwise(1, 'i, d', []), 'i, d')})"


def class_statistic():  # free c
    return f"{reduction(True)}(j, {with_p(elementwise(1, 'j, c', []), 'j, c')})"


def global_statistic():
    return f"{reduction(True)}(j, {reduction(True)}(d, {with_p(elementwise(1, 'j, d', []), 'j, d')}))"


def similarity():  # free i: row i against every row j, as contrastive losses compare a batch with itself
    body = f"lf::sum(d, {with_p(elementwise(1, 'j, d', []), 'j, d')} * p(i, d))"
    return f"{reduction(True)}(j, {using_all(elementwise(1, None, [body]), [body])})"


def plan_case():
    """(power of N, loss)"""
    form = rng.randrange(3)
    if form == 0:  # entries with their row's, class's and global statistics
        extras = rng.sample([row_statistic(), class_statistic(), global_statistic()], rng.randrange(1, 4))
        body = with_p(using_all(elementwise(1, "i, c", extras), extras), "i, c")
        return 1, f"{reduction()}(i, {reduction()}(c, {body}))"
    if form == 1:  # per-class statistics combined, as Dice and Tversky do
        extras = [class_statistic(), class_statistic()]
        body = using_all(elementwise(1, None, extras), extras)
        return 1, f"{reduction()}(c, {body})"
    extras = [row_statistic(), similarity()]
    body = using_all(elementwise(1, None, extras), extras)
    return 2, f"{reduction()}(i, {body})"


def main():
    lines = [
        "// Generated by scripts/generate_random_expressions.py; do not edit.",
        "// LOSSFORGE_RANDOM_SCALAR(e): an expression over the scalars x, y.",
        "// LOSSFORGE_RANDOM_TENSOR(e): a reduction over the tensor p (and x, y).",
    ]
    for k in range(COUNT):
        if k % 3 == 2:
            body = expr(2, True)
            if not re.search(r"\bp\b", body):
                body = f"({body} * p)"
            red = rng.choice(["lf::sum", "lf::mean", "lf::logsumexp"])
            lines.append(f"LOSSFORGE_RANDOM_TENSOR({red}({body}))")
        else:
            body = expr(3, False)
            if not re.search(r"\bx\b", body):
                body = f"({body} + x)"
            if not re.search(r"\by\b", body):
                body = f"({body} * y)"
            lines.append(f"LOSSFORGE_RANDOM_SCALAR({body})")
    header, cases = lines[:3], lines[3:]
    half = len(cases) // 2
    for part, chunk in enumerate([cases[:half], cases[half:]]):
        out = Path(__file__).resolve().parent.parent / f"tests/unit/simplify/random_expressions_{part}.inc"
        out.write_text("\n".join(header + chunk) + "\n")

    header = ["// Generated by scripts/generate_random_expressions.py; do not edit.",
              "// LOSSFORGE_RANDOM_PLAN(k, e): a loss over p, g [N, C] whose evaluation costs O(N^k C)."]
    plans = [f"LOSSFORGE_RANDOM_PLAN({power}, {loss})" for power, loss in (plan_case() for _ in range(PLAN_COUNT))]
    for part in range(PLAN_PARTS):
        out = Path(__file__).resolve().parent.parent / f"tests/kokkos/random_plans_{part}.inc"
        out.write_text("\n".join(header + plans[part::PLAN_PARTS]) + "\n")

if __name__ == "__main__":
    main()
