# The node's binaries and images, built once and cached like the plane's. Sourced by hack/plane
# after hack/controlplane/{lib,plane}.sh.
#   kube-node   kubelet, kube-proxy, kube-controller-manager, kube-scheduler: the plane's Kubernetes
#               version, from the plane's wrapper module (hack/controlplane/kube)
#   argoexec    Argo's executor, the plane's Argo version (hack/node/argoexec)
#   coredns     cluster DNS without forwarding (hack/node/coredns)
#   pause       the pod sandbox (hack/node/pause)
# and three images in the container engine, built FROM scratch with a fixed timestamp, so the
# same sources give the same image: pause, argoexec and a step image (busybox's /bin/sh).

COREDNS_VERSION=$(module_version hack/node/coredns github.com/coredns/coredns)
BUSYBOX_PACKAGE=busybox-static
PAUSE_IMAGE=localhost/wro-node/pause:3.10.1
ARGOEXEC_IMAGE=localhost/wro-node/argoexec:$ARGO_VERSION
STEP_IMAGE=localhost/wro-node/step:1
IMAGE_EPOCH=1700000000

node_build() {
  local av="github.com/argoproj/argo-workflows/v3"
  build_all
  KUBE_NODE_BIN=$(build_component kube-node controlplane/kube "$KUBE_VERSION" "$(kube_ldflags)" "" \
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy \
    k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler)
  local pinned
  pinned=$(module_version hack/node/argoexec github.com/argoproj/argo-workflows/v3)
  [ "$pinned" = "$ARGO_VERSION" ] || die "hack/node/argoexec pins Argo $pinned, the plane runs $ARGO_VERSION: make them equal (go get there, then go mod tidy)"
  ARGOEXEC_BIN=$(bin_dir argoexec "$ARGO_VERSION" node/argoexec)
  if [ ! -d "$ARGOEXEC_BIN" ]; then
    ARGOEXEC_BIN=$(build_component argoexec node/argoexec "$ARGO_VERSION" \
      "-X $av.version=$ARGO_VERSION -X $av.gitTreeState=clean -buildid=" \
      "-modfile=$(argo_modfile argoexec node/argoexec "$ROOT/hack/node/argoexec/patch-module.sh")" "$av/cmd/argoexec")
  fi
  COREDNS_BIN=$(build_component coredns node/coredns "$COREDNS_VERSION" "" "" .)
  PAUSE_BIN=$(build_component pause node/pause v1 "-buildid=" "" .)
}

node_images() {
  eval "$("$ROOT/hack/container-engine" cli-env)"
  exec {lock}>"$(dirname "$CONTAINERS_CONF")/.node-images.lock"
  flock "$lock"
  node_image "$PAUSE_IMAGE" pause "$PAUSE_BIN/pause"
  node_image "$ARGOEXEC_IMAGE" argoexec "$ARGOEXEC_BIN/argoexec"
  node_image "$STEP_IMAGE" step "$(busybox_binary)"
  exec {lock}>&-
}

# Debian's static busybox, unpacked from its package into the cache (apt-get download needs no
# root, only package lists).
busybox_binary() {
  local dir=$CACHE/bin/busybox
  if [ ! -x "$dir/bin/busybox" ]; then
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && { apt-get download -q "$BUSYBOX_PACKAGE" > /dev/null 2>&1 || { apt-get update -qq && apt-get download -q "$BUSYBOX_PACKAGE"; }; } \
      && dpkg-deb -x ./*.deb root) >&2 || die "could not download Debian's $BUSYBOX_PACKAGE"
    rm -rf "$dir"
    mkdir -p "$(dirname "$dir")"
    mv "$tmp/root" "$dir"
    rm -rf "$tmp"
  fi
  echo "$dir/bin/busybox"
}

# One image FROM scratch: hack/node/images/NAME.Containerfile copies a root file system made
# here (the binary, a /tmp anyone may write); rebuilt when the file or the binary changes (their
# hash is kept as a label).
node_image() { # TAG NAME BINARY
  local tag=$1 name=$2 binary=$3 key context
  key=$(cat "$ROOT/hack/node/images/$name.Containerfile" "$binary" | sha256sum | cut -c1-16)
  [ "$(podman image inspect --format '{{index .Labels "wro-node.key"}}' "$tag" 2>/dev/null)" = "$key" ] && return
  log "building image $tag"
  context=$(mktemp -d)
  mkdir -p "$context/rootfs/bin"
  mkdir -m 1777 "$context/rootfs/tmp"
  case "$name" in
    pause) cp "$binary" "$context/rootfs/pause" ;;
    argoexec) cp "$binary" "$context/rootfs/bin/argoexec" ;;
    step)
      cp "$binary" "$context/rootfs/bin/busybox"
      local applet
      for applet in $("$binary" --list); do [ "$applet" = busybox ] || ln -s busybox "$context/rootfs/bin/$applet"; done
      ;;
  esac
  podman build --quiet --pull=never --network=none --timestamp "$IMAGE_EPOCH" --label "wro-node.key=$key" \
    -f "$ROOT/hack/node/images/$name.Containerfile" -t "$tag" "$context" > /dev/null \
    || { rm -rf "$context"; die "podman build of $tag failed"; }
  rm -rf "$context"
}
