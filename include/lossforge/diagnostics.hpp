#pragma once
// Every compile-time diagnostic of lossforge, in one place. Compile-fail tests pin these sentences.

#define LOSSFORGE_MSG_GRAD_OF_INT_TENSOR                                                                  \
  "lossforge::grad(loss, x): 'x' is an integer tensor (class indices, lengths); integer tensors are not " \
  "differentiable"
#define LOSSFORGE_MSG_GRAD_ABSENT_SYMBOL "lossforge::grad(loss, x): 'x' does not appear in 'loss'"
#define LOSSFORGE_MSG_GRAD_THROUGH_PRIMITIVE                                                                        \
  "lossforge::grad(loss, x): 'x' is an argument of a primitive in 'loss', whose derivative is the primitive's "     \
  "vector-Jacobian product, run by a compiled kernel: compile the loss with lf::kokkos::compile(loss, lf::wrt(x))"
#define LOSSFORGE_MSG_PRIMITIVE_BACKEND                                                                            \
  "lossforge: a loss that calls a primitive compiles with lf::kokkos::compile, which runs the primitive's forward " \
  "and vector-Jacobian product on the Views' execution space"
#define LOSSFORGE_MSG_GRAD_NOT_A_SYMBOL "lossforge::grad(loss, x): 'x' must be a tensor or scalar symbol"
#define LOSSFORGE_MSG_FREE_INDEX_IN_LOSS                                                                            \
  "lossforge: a loss must be a single number, but an index is left free in it; reduce over it with sum(i, ...) or " \
  "mean(i, ...)"
#define LOSSFORGE_MSG_RANK_MISMATCH \
  "lossforge: tensor accessed with a number of indices different from its declared rank"
#define LOSSFORGE_MSG_INCONSISTENT_RANK \
  "lossforge: the same tensor is accessed with different numbers of indices in one expression"
#define LOSSFORGE_MSG_MIXED_ACCESS \
  "lossforge: the same tensor is used both without indices and with indices in one expression; use one form"
#define LOSSFORGE_MSG_REPEATED_INDEX \
  "lossforge: an index appears twice in one tensor access, as in x(i, i); take the diagonal with where(i == j, ...)"
#define LOSSFORGE_MSG_SLOT_NOT_INDEX \
  "lossforge: a tensor is indexed by an index (lf::index<\"i\">) or an integer expression such as t(i)"
#define LOSSFORGE_MSG_GATHER_FROM_FLOAT \
  "lossforge: a gather slot must be an integer expression (an index or an integer tensor), not a float tensor"
#define LOSSFORGE_MSG_INDEX_ARITHMETIC                                                                               \
  "lossforge: an index stands in a tensor access by itself, x(i), as a window's position plus its offset, x(h + u) "  \
  "with u an lf::window_index, or inside the integer tensor a gather reads, x(i, t(i)); other index arithmetic such " \
  "as x(i + 1) or x(h - u) has no defined boundary and is not supported"
#define LOSSFORGE_MSG_WINDOW_WITHOUT_EXTENT                                                                          \
  "lossforge: a window index takes its extent from a tensor it indexes by itself, as the window's weights w(u); in " \
  "this expression it only offsets other indices, x(h + u), so its extent is unknown"
#define LOSSFORGE_MSG_WINDOW_NESTED_GRADIENT \
  "lossforge: the derivative of a derivative through a windowed access x(h + u) is not supported"
#define LOSSFORGE_MSG_SPLIT_READS_OTHER_ROWS                                                                         \
  "lossforge: with data split among processes, this loss reads split data at rows other than a work item's own "     \
  "(a similarity over the whole batch, a gather along the split dimension) or uses the index of the split rows as "  \
  "a number: a process holds only its own block of rows, so it cannot compute it exactly"
#define LOSSFORGE_MSG_INDEX_WITHOUT_EXTENT \
  "lossforge: a reduction runs over an index that no tensor in its body is indexed by, so its extent is unknown"
#define LOSSFORGE_MSG_FREE_INDEX_IN_EVAL \
  "lossforge::evaluate: the expression has a free named index that no tensor in it is indexed by"
#define LOSSFORGE_MSG_MISSING_BINDING "lossforge: a symbol of the expression has no binding; pass it to lf::bind(...)"
