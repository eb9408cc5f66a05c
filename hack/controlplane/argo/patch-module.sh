#!/usr/bin/env bash
# Prepares the copy of the argo-workflows module that the local plane is built from (run inside
# the copy by hack/plane). The web UI bundle is produced by a JavaScript build and is not in the
# Go module, so a placeholder page stands in; the servers Argo starts on every interface are
# bound to loopback, as everything on the plane is.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
mkdir -p ui/dist/app
cp "$here/ui-placeholder.html" ui/dist/app/index.html

patch_line() { # FILE FROM TO
  grep -qF "$2" "$1" || { echo "patch-module: '$2' not found in $1; update hack/controlplane/argo/patch-module.sh" >&2; exit 1; }
  sed -i "s|$2|$3|" "$1"
}
patch_line cmd/workflow-controller/main.go 'ListenAndServe(":6060"' 'ListenAndServe("127.0.0.1:6060"'
patch_line server/apiserver/argoserver.go 'address := fmt.Sprintf(":%d", port)' 'address := fmt.Sprintf("127.0.0.1:%d", port)'
