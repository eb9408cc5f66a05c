# One real node on the local plane: containerd, the kubelet, kube-proxy and CoreDNS in a network
# namespace whose only route leads to the plane, and kube-controller-manager and kube-scheduler
# beside the API server. Sourced by hack/plane after hack/controlplane/{lib,plane}.sh; host.sh
# holds what it changes on the host, build.sh its binaries and images, config/ what it renders.
# Everything the node writes is under DIR/node/.
#
# One node runs on a machine at a time, so its names and addresses are fixed.
NODE_NAME=wro-node
NODE_LINK=wro-node0
NODE_HOST_IP=10.250.78.1
NODE_IP=10.250.78.2
POD_SUBNET=10.244.0.0/24
POD_GATEWAY=10.244.0.1
POD_RANGE=10.244.0.0/16
SERVICE_RANGE=10.96.0.0/12
CLUSTER_DNS=10.96.0.10
NODE_CHAIN=WRO-NODE
NODE_CGROUP=wro-node
NODE_LOCK=/run/workflow-resume-operator-node.lock
NODE_OWNER_FILE=/run/workflow-resume-operator-node
NODE_PACKAGES=(containerd runc containernetworking-plugins iptables iproute2 util-linux)

. "$ROOT/hack/node/build.sh"
. "$ROOT/hack/node/host.sh"

node_present() { # DIR
  alive "$1/node/holder.pid"
}

node_requirements() {
  [ "$(id -u)" = 0 ] || die "a node needs root (network and mount namespaces, cgroups, iptables): run hack/plane up DIR --node as root"
  local missing=() p
  for p in "${NODE_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  log "installing ${missing[*]} (first time only)"
  exec {apt_lock}>/tmp/.workflow-resume-operator-apt.lock
  flock "$apt_lock"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >&2 \
    || die "apt-get install ${missing[*]} failed"
  exec {apt_lock}>&-
  # Debian's package may start containerd as a system service; the node runs its own.
  systemctl disable --now containerd > /dev/null 2>&1 || true
}

# On a plane with a node the API server advertises the host end of the node's link (the
# `kubernetes` Service's endpoint), serves a certificate for it and for 10.96.0.1, and authorizes
# the kubelet as a node (the Node authorizer, with RBAC); these are its further flags, each line
# starting with a newline. It still listens on 127.0.0.1 only: the host forwards what the node sends
# to that address there (host.sh).
node_apiserver_flags() { # DIR
  local d=$1
  node_server_cert "$d"
  printf '\n%s' \
    "--enable-admission-plugins NodeRestriction --admission-control-config-file $ROOT/hack/node/config/admission.yaml" \
    "--kubelet-client-certificate $d/pki/apiserver-kubelet-client.crt --kubelet-client-key $d/pki/apiserver-kubelet-client.key" \
    "--kubelet-preferred-address-types InternalIP"
}

sign_cert() { # PKI_DIR NAME SUBJECT EXTENSIONS (signed by the plane's CA, DIR/pki)
  local p=$1 name=$2
  [ -f "$p/$name.crt" ] && return
  (
    cd "$p"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$name.key" -out "$name.csr" -subj "$3"
    printf '%b\n' "$4" > "$name.ext"
    openssl x509 -req -in "$name.csr" -CA "$PLANE_PKI/ca.crt" -CAkey "$PLANE_PKI/ca.key" -CAcreateserial -days 3650 \
      -extfile "$name.ext" -out "$name.crt.tmp" && mv "$name.crt.tmp" "$name.crt"
  ) >> "$p/pki.log" 2>&1 || die "certificate $name failed: $(tail -5 "$p/pki.log")"
}

node_server_cert() { # DIR
  PLANE_PKI=$1/pki
  sign_cert "$PLANE_PKI" apiserver-node "/CN=kube-apiserver" \
    "subjectAltName=IP:127.0.0.1,IP:$NODE_HOST_IP,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth"
  sign_cert "$PLANE_PKI" apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client" "extendedKeyUsage=clientAuth"
}

# Each node component has a certificate of its own, so the API server's default roles (and the
# Node authorizer, for the kubelet) grant it exactly what it needs.
node_certs() { # DIR
  local p=$1/node/pki client="extendedKeyUsage=clientAuth"
  PLANE_PKI=$1/pki
  mkdir -p "$p"
  sign_cert "$p" kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" "$client"
  sign_cert "$p" kubelet-serving "/CN=$NODE_NAME" "subjectAltName=IP:$NODE_IP,DNS:$NODE_NAME\nextendedKeyUsage=serverAuth"
  sign_cert "$p" kube-proxy "/CN=system:kube-proxy" "$client"
  sign_cert "$p" coredns "/CN=system:coredns" "$client"
  sign_cert "$p" controller-manager "/CN=system:kube-controller-manager" "$client"
  sign_cert "$p" scheduler "/CN=system:kube-scheduler" "$client"
}

node_kubeconfig() { # DIR NAME SERVER CERT (path without .crt/.key)
  local d=$1 out=$1/node/$2.kubeconfig cert=$4
  cat > "$out" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: plane
  cluster: {server: "$3", certificate-authority: "$d/pki/ca.crt"}
users:
- name: $2
  user: {client-certificate: "$cert.crt", client-key: "$cert.key"}
contexts:
- name: plane
  context: {cluster: plane, user: $2}
current-context: plane
KUBECONFIG
  chmod 600 "$out"
}

# Renders hack/node/config/FILE with the node's settings (a missing one is an error).
render() { # DIR FILE
  NODE_DIR=$1/node PKI_DIR=$1/pki NODE_IP=$NODE_IP NODE_NAME=$NODE_NAME POD_SUBNET=$POD_SUBNET \
    POD_GATEWAY=$POD_GATEWAY POD_RANGE=$POD_RANGE CLUSTER_DNS=$CLUSTER_DNS NODE_CGROUP=$NODE_CGROUP \
    PAUSE_IMAGE=$PAUSE_IMAGE python3 -c 'import os, string, sys
sys.stdout.write(string.Template(open(sys.argv[1]).read()).substitute(os.environ))' "$ROOT/hack/node/config/$2"
}

node_configs() { # DIR API_PORT
  local d=$1 n=$1/node inside="https://$NODE_HOST_IP:$2" beside="https://127.0.0.1:$2"
  node_certs "$d"
  node_kubeconfig "$d" kubelet "$inside" "$n/pki/kubelet"
  node_kubeconfig "$d" kube-proxy "$inside" "$n/pki/kube-proxy"
  node_kubeconfig "$d" coredns "$inside" "$n/pki/coredns"
  node_kubeconfig "$d" controller "$inside" "$d/pki/admin"
  node_kubeconfig "$d" controller-manager "$beside" "$n/pki/controller-manager"
  node_kubeconfig "$d" scheduler "$beside" "$n/pki/scheduler"
  mkdir -p "$n/cni" "$n/flexvolume"
  render "$d" containerd.toml > "$n/containerd.toml"
  render "$d" cni.conflist > "$n/cni/10-wro-node.conflist"
  render "$d" kubelet.yaml > "$n/kubelet.yaml"
  render "$d" kube-proxy.yaml > "$n/kube-proxy.yaml"
  render "$d" Corefile > "$n/Corefile"
  render "$d" resolv.conf > "$n/resolv.conf"
  render "$d" cluster.yaml > "$n/cluster.yaml"
}

# A node process: launched like the plane's parts (DIR/NAME.pid, .log, .cmd), inside the node's
# namespaces.
node_launch() { # DIR NAME COMMAND...
  local d=$1 name=$2
  shift 2
  alive "$d/$name.pid" && return
  echo "nsenter --target $(cat "$d/node/holder.pid") --mount --net -- $*" > "$d/$name.cmd"
  launch "$d" "$name"
}

node_failed() { # MESSAGE LOG
  log "error: the node did not start: $1; its log is $2, last lines:"
  tail -n 20 "$2" >&2 2>/dev/null || true
  exit 1
}

wait_node() { # DIR SECONDS DESCRIPTION NAME COMMAND...  on failure, names the piece and its log
  local d=$1 deadline=$(( $(date +%s) + $2 )) what=$3 name=$4
  shift 4
  until "$@" > /dev/null 2>&1; do
    alive "$d/$name.pid" || node_failed "$name exited while waiting for $what" "$d/$name.log"
    [ "$(date +%s)" -lt "$deadline" ] || node_failed "timed out waiting for $what" "$d/$name.log"
    sleep 0.3
  done
}

node_ready() { # DIR
  [ "$(kubectl_in "$1" get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

dns_answers() { # DIR
  in_node "$1" python3 "$ROOT/hack/node/dns-probe.py" "$CLUSTER_DNS" kubernetes.default.svc.cluster.local | grep -qx 10.96.0.1
}

# Starts (or completes) the node; on any failure everything the node added is removed again.
# The API server must already run with node_apiserver_flags.
node_up() { # DIR
  local d=$1 port started
  started=$(date +%s)
  node_claimable "$d"
  node_requirements
  node_build
  node_images
  port=$(cat "$d/apiserver.port")
  mkdir -p "$d/node"
  NODE_UP_DIR=$d
  trap 'status=$?; if [ $status -ne 0 ]; then log "removing the half-started node"; node_down "$NODE_UP_DIR"; fi' EXIT
  holder_up "$d"
  network_up "$d" "$port"
  node_configs "$d" "$port"
  kubectl_in "$d" apply --server-side --force-conflicts -f "$d/node/cluster.yaml" > /dev/null \
    || die "could not apply the node's cluster objects ($d/node/cluster.yaml)"

  cat > "$d/controller-manager.cmd" <<CMD
$KUBE_NODE_BIN/kube-controller-manager --kubeconfig $d/node/controller-manager.kubeconfig
--authentication-kubeconfig $d/node/controller-manager.kubeconfig --authorization-kubeconfig $d/node/controller-manager.kubeconfig
--bind-address 127.0.0.1 --secure-port $(free_port) --leader-elect=false --use-service-account-credentials
--service-account-private-key-file $d/pki/sa.key --root-ca-file $d/pki/ca.crt
--cluster-name wro-plane --flex-volume-plugin-dir $d/node/flexvolume
CMD
  alive "$d/controller-manager.pid" || launch "$d" controller-manager
  cat > "$d/scheduler.cmd" <<CMD
$KUBE_NODE_BIN/kube-scheduler --kubeconfig $d/node/scheduler.kubeconfig
--authentication-kubeconfig $d/node/scheduler.kubeconfig --authorization-kubeconfig $d/node/scheduler.kubeconfig
--bind-address 127.0.0.1 --secure-port $(free_port) --leader-elect=false
CMD
  alive "$d/scheduler.pid" || launch "$d" scheduler

  # A containerd already running (up again on a running node) has its images.
  if ! alive "$d/containerd.pid"; then
    node_launch "$d" containerd "$(command -v containerd)" --config "$d/node/containerd.toml"
    wait_node "$d" 60 "containerd's socket" containerd in_node "$d" ctr version
    node_load_images "$d" "$PAUSE_IMAGE" "$ARGOEXEC_IMAGE" "$STEP_IMAGE"
  fi
  save_sysctls "$d"
  cgroups_up
  node_launch "$d" kubelet "$KUBE_NODE_BIN/kubelet" --config "$d/node/kubelet.yaml" \
    --kubeconfig "$d/node/kubelet.kubeconfig" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP"
  node_launch "$d" kube-proxy "$KUBE_NODE_BIN/kube-proxy" --config "$d/node/kube-proxy.yaml"
  node_launch "$d" coredns "$COREDNS_BIN/coredns" -conf "$d/node/Corefile"
  wait_node "$d" 120 "node $NODE_NAME to be Ready" kubelet node_ready "$d"
  wait_node "$d" 60 "cluster DNS to answer for kubernetes.default" coredns dns_answers "$d"
  trap - EXIT
  log "node $NODE_NAME Ready, cluster DNS answering, $(( $(date +%s) - started ))s"
}

# Removes everything the node added: its processes (the kubelet first, which would restart
# containers), then what host.sh undoes, then containerd's store.
node_down() { # DIR
  local d=$1 name
  [ -d "$d/node" ] || return 0
  for name in kubelet coredns kube-proxy containerd scheduler controller-manager; do
    stop_component "$d" "$name" 2>/dev/null || true
  done
  host_down "$d"
  rm -rf "$d/node/containerd"
  log "removed the node of $d"
}

# Copies images from the container engine into the node's containerd.
node_load_images() { # DIR IMAGE...
  local d=$1 archive
  shift
  eval "$("$ROOT/hack/container-engine" cli-env)"
  archive=$d/node/load-$$.tar
  podman save --quiet -m --format docker-archive -o "$archive" "$@" || { rm -f "$archive"; die "podman save $* failed"; }
  in_node "$d" ctr -n k8s.io images import "$archive" > "$d/node/load.log" 2>&1 \
    || { rm -f "$archive"; die "ctr images import failed; see $d/node/load.log"; }
  rm -f "$archive"
}

node_load() { # DIR IMAGE...
  local d
  d=$(cd "${1:?usage: hack/plane load DIR IMAGE...}" && pwd)
  shift
  [ $# -gt 0 ] || die "usage: hack/plane load DIR IMAGE..."
  node_present "$d" || die "no node runs in $d: start one with hack/plane up $d --node"
  node_load_images "$d" "$@"
  log "loaded into the node: $*"
}

# What DIR/env adds on a plane with a node.
node_env() {
  printf 'NODE_NAME=%s\nSTEP_IMAGE=%s\nARGOEXEC_IMAGE=%s\nNODE_IP=%s\n' "$NODE_NAME" "$STEP_IMAGE" "$ARGOEXEC_IMAGE" "$NODE_IP"
}
