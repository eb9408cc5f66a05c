#!/usr/bin/env bash
# Regenerates go.mod/go.sum for a Kubernetes version. k8s.io/kubernetes points its
# k8s.io/* staging modules at ./staging with replace directives, which Go ignores in a
# dependency, so this module repeats each of them against the published v0.X.Y module.
set -euo pipefail
cd "$(dirname "$0")"
version=${1:?usage: update.sh v1.34.4}
export GOWORK=off GOTOOLCHAIN=local GOFLAGS=-mod=mod
staging=v0.${version#v1.}
modfile=$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
{
  echo "module workflow-resume-operator/hack/controlplane/kube"
  echo
  echo "go 1.24.0"
  echo
  echo "require k8s.io/kubernetes $version"
  echo
  echo "replace ("
  grep -E '=> \./staging/src/' "$modfile" | awk -v v="$staging" '{print "\t" $1 " => " $1 " " v}'
  echo ")"
} > go.mod
go mod tidy
