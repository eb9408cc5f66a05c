#!/usr/bin/env bash
# Prepares the copy of the argo-workflows module that argoexec is built from (run inside the copy
# by hack/node/build.sh). The executor's signal_linux.go is a symlink to signal_darwin.go in Argo's
# repository, and module zips drop symlinks: without it argoexec does not build (undefined: Kill).
set -euo pipefail
signals=workflow/executor/osspecific
[ -f "$signals/signal_darwin.go" ] || { echo "patch-module: $signals/signal_darwin.go not found; update hack/node/argoexec/patch-module.sh" >&2; exit 1; }
[ -e "$signals/signal_linux.go" ] || cp "$signals/signal_darwin.go" "$signals/signal_linux.go"
