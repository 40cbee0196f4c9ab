#!/usr/bin/env bash
# Dependencies point one way: the symbolic core (include/, dsl/) never includes a backend, Kokkos or Eigen, and no
# header reaches another by a relative path. Fails naming each offending line.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
if grep -rnE '#include <(lossforge/backends/|Eigen/|Kokkos_)' dsl include --include='*.hpp' | grep -v 'include/lossforge/config/kokkos_compat.hpp' | grep -v 'include/lossforge/config.hpp:.*Kokkos_Macros'; then
  echo "layering: the symbolic core includes a backend (lines above)"; status=1
fi
if grep -rnE '#include "\.\./' include dsl backends tests examples; then
  echo "layering: relative includes (lines above); use <lossforge/...>"; status=1
fi
[ $status -eq 0 ] && echo "layering: ok"
exit $status
