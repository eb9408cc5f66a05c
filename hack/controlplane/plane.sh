# The control plane itself: build (or find cached) etcd, kube-apiserver, kubectl and the Argo
# workflow-controller, and start or stop them in a plane directory. Sourced by hack/plane after
# lib.sh.

KUBE_VERSION=$(module_version hack/controlplane/kube k8s.io/kubernetes)
ETCD_VERSION=$(module_version hack/controlplane/etcd go.etcd.io/etcd/server/v3)
ARGO_VERSION=$(module_version hack/controlplane/argo github.com/argoproj/argo-workflows/v3)
EVENTS_VERSION=$(module_version hack/sensorrender github.com/argoproj/argo-events)

# MODULE_ROOT (default hack/controlplane) is the folder holding the component's wrapper module.
bin_dir() { # COMPONENT VERSION
  local sum
  sum=$(cd "${MODULE_ROOT:-$ROOT/hack/controlplane}/$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
  echo "$CACHE/bin/$1-$2-$sum"
}

# Builds into a temporary folder and renames it into place, so an interrupted build is never
# mistaken for a finished one; a lock keeps concurrent runs from building the same thing twice.
build_component() { # COMPONENT VERSION LDFLAGS EXTRA_BUILD_FLAGS PACKAGES...
  local component=$1 version=$2 ldflags=$3 extra=$4 out tmp start
  shift 4
  out=$(bin_dir "$component" "$version")
  [ -d "$out" ] && { echo "$out"; return; }
  mkdir -p "$CACHE/bin"
  exec {lock}>"$CACHE/bin/.$component.lock"
  flock "$lock"
  if [ ! -d "$out" ]; then
    tmp=$(mktemp -d "$CACHE/bin/.tmp-$component-XXXX")
    start=$(date +%s)
    log "building $component $version (first time only; cached in $out)"
    (cd "${MODULE_ROOT:-$ROOT/hack/controlplane}/$component" && go build -trimpath $extra -ldflags "-s -w $ldflags" -o "$tmp/" "${@}") >&2 \
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
# still comes from the wrapper's committed go.sum.
argo_modfile() {
  local src key patched work
  src=$(module_source_dir github.com/argoproj/argo-workflows/v3 "$ARGO_VERSION")
  key=$(basename "$(bin_dir argo "$ARGO_VERSION")")
  patched=$CACHE/src/$key
  if [ ! -f "$patched/.patched" ]; then
    rm -rf "$patched"
    mkdir -p "$CACHE/src"
    cp -r "$src" "$patched"
    chmod -R u+w "$patched"
    (cd "$patched" && "$ROOT/hack/controlplane/argo/patch-module.sh") || die "patching argo-workflows failed"
    touch "$patched/.patched"
  fi
  work=$CACHE/src/$key-modfile
  mkdir -p "$work"
  cp "$ROOT/hack/controlplane/argo/go.sum" "$work/go.sum"
  { cat "$ROOT/hack/controlplane/argo/go.mod"; echo "replace github.com/argoproj/argo-workflows/v3 => $patched"; } > "$work/go.mod"
  echo "$work/go.mod"
}

build_all() {
  local v="k8s.io/component-base/version" minor=${KUBE_VERSION#v1.}
  minor=${minor%%.*}
  KUBE_BIN=$(build_component kube "$KUBE_VERSION" \
    "-X $v.gitVersion=$KUBE_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean" "" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl)
  ETCD_BIN=$(build_component etcd "$ETCD_VERSION" "" "" go.etcd.io/etcd/server/v3)
  local av="github.com/argoproj/argo-workflows/v3"
  ARGO_BIN=$(bin_dir argo "$ARGO_VERSION")
  if [ ! -d "$ARGO_BIN" ]; then
    ARGO_BIN=$(build_component argo "$ARGO_VERSION" "-X $av.version=$ARGO_VERSION -X $av.gitTreeState=clean" "-modfile=$(argo_modfile)" \
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

plane_up() { # DIR
  local d
  mkdir -p "$1"
  d=$(cd "$1" && pwd)
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

  if ! alive "$d/apiserver.pid"; then
    local api_port
    api_port=$(free_port)
    echo "$api_port" > "$d/apiserver.port"
    write_kubeconfig "$d" "$api_port"
    cat > "$d/apiserver.cmd" <<EOF
$KUBE_BIN/kube-apiserver --etcd-servers http://127.0.0.1:$(cat "$d/etcd.port")
--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port $api_port
--tls-cert-file $d/pki/apiserver.crt --tls-private-key-file $d/pki/apiserver.key
--client-ca-file $d/pki/ca.crt --authorization-mode RBAC
--service-account-issuer https://kubernetes.default.svc --api-audiences https://kubernetes.default.svc
--service-account-key-file $d/pki/sa.pub --service-account-signing-key-file $d/pki/sa.key
--service-cluster-ip-range 10.96.0.0/24 --cert-dir $d/pki/generated --profiling=false
--enable-priority-and-fairness=false --event-ttl 1h
EOF
    launch "$d" apiserver
  fi
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
EOF
  if ! alive "$d/controller.pid"; then
    echo "export LEADER_ELECTION_DISABLE=true" > "$d/controller.env"
    cat > "$d/controller.cmd" <<EOF
$ARGO_BIN/workflow-controller --kubeconfig $d/kubeconfig --namespace argo
--configmap workflow-controller-configmap --log-format json --loglevel info
EOF
    launch "$d" controller
  fi

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
  if [ -n "${PLANE_OWNER_PID:-}" ] && ! alive "$d/watchdog.pid"; then
    setsid bash -c 'echo $$ > "$1/watchdog.pid"; while kill -0 "$2" 2>/dev/null; do sleep 2; done; rm -f "$1/watchdog.pid"; exec "$3" down "$1"' \
      _ "$d" "$PLANE_OWNER_PID" "$ROOT/hack/plane" >> "$d/watchdog.log" 2>&1 < /dev/null &
  fi
  log "ready: KUBECONFIG=$d/kubeconfig (Kubernetes $KUBE_VERSION, etcd $ETCD_VERSION, Argo $ARGO_VERSION)"
}

plane_down() { # DIR
  local d=$1 name
  [ -d "$d" ] || return 0
  for name in watchdog controller apiserver etcd; do
    stop_component "$d" "$name"
  done
  log "stopped the plane in $d"
}
