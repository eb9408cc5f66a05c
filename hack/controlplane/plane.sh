# The control plane itself: build (or find cached) etcd, kube-apiserver, kubectl and the Argo
# workflow-controller, and start or stop them in a plane directory. Sourced by hack/plane after
# lib.sh.

KUBE_VERSION=$(module_version hack/controlplane/kube k8s.io/kubernetes)
ETCD_VERSION=$(module_version hack/controlplane/etcd go.etcd.io/etcd/server/v3)
ARGO_VERSION=$(module_version hack/controlplane/argo github.com/argoproj/argo-workflows/v3)
EVENTS_VERSION=$(module_version hack/sensorrender github.com/argoproj/argo-events)

# A build is keyed by its name, its version and a hash of the wrapper module it is built from
# (hack/controlplane/NAME unless WRAPPER names another folder under hack/).
bin_dir() { # NAME VERSION [WRAPPER]
  local sum
  sum=$(cd "$ROOT/hack/${3:-controlplane/$1}" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
  echo "$CACHE/bin/$1-$2-$sum"
}

# Builds into a temporary folder and renames it into place, so an interrupted build is never
# mistaken for a finished one; a lock keeps concurrent runs from building the same thing twice.
build_component() { # NAME WRAPPER VERSION LDFLAGS EXTRA_BUILD_FLAGS PACKAGES...
  local component=$1 wrapper=$2 version=$3 ldflags=$4 extra=$5 out tmp start
  shift 5
  out=$(bin_dir "$component" "$version" "$wrapper")
  [ -d "$out" ] && { echo "$out"; return; }
  mkdir -p "$CACHE/bin"
  exec {lock}>"$CACHE/bin/.$component.lock"
  flock "$lock"
  if [ ! -d "$out" ]; then
    tmp=$(mktemp -d "$CACHE/bin/.tmp-$component-XXXX")
    start=$(date +%s)
    log "building $component $version (first time only; cached in $out)"
    (cd "$ROOT/hack/$wrapper" && go build -trimpath $extra -ldflags "-s -w $ldflags" -o "$tmp/" "${@}") >&2 \
      || { rm -rf "$tmp"; die "go build of $component $version failed"; }
    # go build names a binary after its package's last path element: etcd's is "server"
    # (…/server/v3), nats-server's "v2", argo-events' "cmd".
    [ -f "$tmp/server" ] && mv "$tmp/server" "$tmp/etcd"
    [ -f "$tmp/v2" ] && mv "$tmp/v2" "$tmp/nats-server"
    [ -f "$tmp/cmd" ] && mv "$tmp/cmd" "$tmp/argo-events"
    mv "$tmp" "$out"
    log "built $component in $(( $(date +%s) - start ))s"
  fi
  exec {lock}>&-
  echo "$out"
}

# argo-workflows cannot be built from its module as published (its UI bundle is not in it) and
# starts servers on every interface; hack/controlplane/argo/patch-module.sh prepares a copy of
# the module, swapped in by a replace directive in a generated modfile. Every other module
# still comes from the wrapper's committed go.sum. The node's argoexec is built the same way
# from its own wrapper and patch (hack/node/argoexec).
argo_modfile() { # NAME WRAPPER PATCH_SCRIPT
  local name=$1 wrapper=$2 patch=$3 src key patched work
  src=$(module_source_dir github.com/argoproj/argo-workflows/v3 "$ARGO_VERSION")
  key=$(basename "$(bin_dir "$name" "$ARGO_VERSION" "$wrapper")")
  patched=$CACHE/src/$key
  if [ ! -f "$patched/.patched" ]; then
    rm -rf "$patched"
    mkdir -p "$CACHE/src"
    cp -r "$src" "$patched"
    chmod -R u+w "$patched"
    (cd "$patched" && "$patch") || die "patching argo-workflows for $name failed"
    touch "$patched/.patched"
  fi
  work=$CACHE/src/$key-modfile
  mkdir -p "$work"
  cp "$ROOT/hack/$wrapper/go.sum" "$work/go.sum"
  { cat "$ROOT/hack/$wrapper/go.mod"; echo "replace github.com/argoproj/argo-workflows/v3 => $patched"; } > "$work/go.mod"
  echo "$work/go.mod"
}

# The version every Kubernetes binary reports (what `kubectl version` and the node show).
kube_ldflags() {
  local v="k8s.io/component-base/version" minor=${KUBE_VERSION#v1.}
  minor=${minor%%.*}
  echo "-X $v.gitVersion=$KUBE_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean"
}

build_all() {
  KUBE_BIN=$(build_component kube controlplane/kube "$KUBE_VERSION" "$(kube_ldflags)" "" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl)
  ETCD_BIN=$(build_component etcd controlplane/etcd "$ETCD_VERSION" "" "" go.etcd.io/etcd/server/v3)
  local av="github.com/argoproj/argo-workflows/v3"
  ARGO_BIN=$(bin_dir argo "$ARGO_VERSION")
  if [ ! -d "$ARGO_BIN" ]; then
    ARGO_BIN=$(build_component argo controlplane/argo "$ARGO_VERSION" "-X $av.version=$ARGO_VERSION -X $av.gitTreeState=clean" \
      "-modfile=$(argo_modfile argo controlplane/argo "$ROOT/hack/controlplane/argo/patch-module.sh")" \
      "$av/cmd/argo" "$av/cmd/workflow-controller")
  fi
}

binary() { # NAME
  build_all
  case "$1" in
    kube-apiserver | kubectl) echo "$KUBE_BIN/$1" ;;
    etcd) echo "$ETCD_BIN/etcd" ;;
    argo | workflow-controller) echo "$ARGO_BIN/$1" ;;
    *) die "unknown binary $1" ;;
  esac
}

crd_dir() { # argo|events
  case "$1" in
    argo) echo "$(module_source_dir github.com/argoproj/argo-workflows/v3 "$ARGO_VERSION")/manifests/base/crds/minimal" ;;
    events) echo "$(module_source_dir github.com/argoproj/argo-events "$EVENTS_VERSION")/manifests/base/crds" ;;
    *) die "unknown CRD set $1" ;;
  esac
}

make_certs() { # DIR
  local d=$1/pki
  [ -f "$d/admin.crt" ] && return
  mkdir -p "$d"
  (
    cd "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
      -keyout ca.key -out ca.crt -subj "/CN=plane-ca"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout apiserver.key \
      -out apiserver.csr -subj "/CN=kube-apiserver"
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' > apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile apiserver.ext -out apiserver.crt
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout admin.key \
      -out admin.csr -subj "/O=system:masters/CN=plane-admin"
    printf 'extendedKeyUsage=clientAuth\n' > admin.ext
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile admin.ext -out admin.crt
    openssl genrsa -out sa.key 2048
    openssl rsa -in sa.key -pubout -out sa.pub
  ) > "$1/pki.log" 2>&1 || die "certificate generation failed: $(tail -5 "$1/pki.log")"
}

write_kubeconfig() { # DIR PORT
  local d=$1
  cat > "$d/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: plane
  cluster:
    server: https://127.0.0.1:$2
    certificate-authority-data: $(base64 -w0 "$d/pki/ca.crt")
users:
- name: plane-admin
  user:
    client-certificate-data: $(base64 -w0 "$d/pki/admin.crt")
    client-key-data: $(base64 -w0 "$d/pki/admin.key")
contexts:
- name: plane
  context: {cluster: plane, user: plane-admin}
current-context: plane
EOF
  chmod 600 "$d/kubeconfig"
}

api_ready() { # DIR
  [ "$(kubectl_in "$1" get --raw /readyz 2>/dev/null)" = "ok" ] && kubectl_in "$1" get namespace default
}

plane_up() { # DIR [NODE]  NODE=1 adds a real node (hack/node), as does a node already up in DIR
  local d node=${2:-0}
  mkdir -p "$1"
  d=$(cd "$1" && pwd)
  node_present "$d" && node=1
  if [ "$node" = 1 ]; then
    node_claimable "$d"
    node_requirements
    node_build
  fi
  build_all
  make_certs "$d"

  if ! alive "$d/etcd.pid"; then
    local etcd_port peer_port
    etcd_port=$(free_port)
    peer_port=$(free_port)
    echo "$etcd_port" > "$d/etcd.port"
    cat > "$d/etcd.cmd" <<EOF
$ETCD_BIN/etcd --name plane --data-dir $d/etcd-data --unsafe-no-fsync --log-level warn
--listen-client-urls http://127.0.0.1:$etcd_port --advertise-client-urls http://127.0.0.1:$etcd_port
--listen-peer-urls http://127.0.0.1:$peer_port --initial-advertise-peer-urls http://127.0.0.1:$peer_port
--initial-cluster plane=http://127.0.0.1:$peer_port
EOF
    launch "$d" etcd
  fi

  local api_port advertise=127.0.0.1 cert=apiserver authorization=RBAC node_flags=''
  if alive "$d/apiserver.pid"; then api_port=$(cat "$d/apiserver.port"); else api_port=$(free_port); fi
  echo "$api_port" > "$d/apiserver.port"
  write_kubeconfig "$d" "$api_port"
  if [ "$node" = 1 ]; then
    advertise=$NODE_HOST_IP
    cert=apiserver-node
    authorization=Node,RBAC
    node_flags=$(node_apiserver_flags "$d")
  fi
  run_component "$d" apiserver "$KUBE_BIN/kube-apiserver --etcd-servers http://127.0.0.1:$(cat "$d/etcd.port")
--bind-address 127.0.0.1 --advertise-address $advertise --secure-port $api_port
--tls-cert-file $d/pki/$cert.crt --tls-private-key-file $d/pki/$cert.key
--client-ca-file $d/pki/ca.crt --authorization-mode $authorization
--service-account-issuer https://kubernetes.default.svc --api-audiences https://kubernetes.default.svc
--service-account-key-file $d/pki/sa.pub --service-account-signing-key-file $d/pki/sa.key
--service-cluster-ip-range 10.96.0.0/24 --cert-dir $d/pki/generated --profiling=false
--enable-priority-and-fairness=false --event-ttl 1h$node_flags"
  wait_until 120 "kube-apiserver /readyz" "$d/apiserver.log" api_ready "$d"

  local crds
  for crds in "$ROOT/crds" "$(crd_dir argo)" "$(crd_dir events)"; do
    kubectl_in "$d" apply --server-side --force-conflicts -k "$crds" >> "$d/crds.log"
  done
  kubectl_in "$d" wait --for condition=Established --timeout 60s crd --all > /dev/null
  # Established is not yet servable: a new CRD's storage answers 429 "storage is (re)initializing"
  # for a moment longer. Up returns only once every custom resource can be listed.
  local resources
  resources=$(kubectl_in "$d" get crd -o jsonpath='{range .items[*]}{.metadata.name}{","}{end}')
  wait_until 60 "custom resource storage" "$d/apiserver.log" kubectl_in "$d" get "${resources%,}" -A

  # On a node, workflows' pods run Argo's executor from the locally built image (no pull).
  local executor=''
  [ "$node" = 1 ] && executor="  executor: |
    image: $ARGOEXEC_IMAGE
    imagePullPolicy: Never"
  kubectl_in "$d" apply -f - > /dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: argo}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: workflow-controller-configmap, namespace: argo}
data:
  metricsConfig: |
    enabled: false
  telemetryConfig: |
    enabled: false
$executor
EOF
  echo "export LEADER_ELECTION_DISABLE=true" > "$d/controller.env"
  local kubeconfig=$d/kubeconfig inside=''
  if [ "$node" = 1 ]; then
    node_up "$d"
    # In the node's namespaces: a step without a command makes the controller look its image up
    # in a registry, which there fails at once instead of leaving the machine.
    kubeconfig=$d/node/controller.kubeconfig
    inside="nsenter --target $(cat "$d/node/holder.pid") --mount --net -- "
  fi
  local controller="$inside$ARGO_BIN/workflow-controller --kubeconfig $kubeconfig --namespace argo
--configmap workflow-controller-configmap --log-format json --loglevel info"
  run_component "$d" controller "$controller"

  cat > "$d/env" <<EOF
KUBECONFIG=$d/kubeconfig
PLANE_DIR=$d
APISERVER_PORT=$(cat "$d/apiserver.port")
ETCD_PORT=$(cat "$d/etcd.port")
KUBE_VERSION=$KUBE_VERSION
ETCD_VERSION=$ETCD_VERSION
ARGO_VERSION=$ARGO_VERSION
EVENTS_VERSION=$EVENTS_VERSION
ARGO_BIN=$ARGO_BIN/argo
KUBECTL_BIN=$KUBE_BIN/kubectl
EOF
  [ "$node" = 1 ] && node_env >> "$d/env"
  if [ -n "${PLANE_OWNER_PID:-}" ] && ! alive "$d/watchdog.pid"; then
    setsid bash -c 'echo $$ > "$1/watchdog.pid"; while kill -0 "$2" 2>/dev/null; do sleep 2; done; rm -f "$1/watchdog.pid"; exec "$3" down "$1"' \
      _ "$d" "$PLANE_OWNER_PID" "$ROOT/hack/plane" >> "$d/watchdog.log" 2>&1 < /dev/null &
  fi
  log "ready: KUBECONFIG=$d/kubeconfig (Kubernetes $KUBE_VERSION, etcd $ETCD_VERSION, Argo $ARGO_VERSION)$([ "$node" = 1 ] && echo ", node $NODE_NAME")"
}

plane_down() { # DIR
  local d name
  [ -d "$1" ] || return 0
  d=$(cd "$1" && pwd)
  for name in watchdog controller; do
    stop_component "$d" "$name"
  done
  node_down "$d"
  for name in apiserver etcd; do
    stop_component "$d" "$name"
  done
  log "stopped the plane in $d"
}
