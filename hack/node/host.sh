# What the node changes on the host, and how each change is undone: the namespaces its
# processes live in, the link and routes between them and the plane, the firewall chains that
# keep it from reaching anything else, the kernel settings the kubelet rewrites, and its
# cgroups. Sourced by hack/plane after node.sh's constants.

# The node's processes share one mount and one network namespace, held by a process that only
# sleeps (DIR/node/holder.pid) and holds the machine-wide node lock while it lives. Private mount
# propagation keeps every mount made inside (tmpfs over the paths the kubelet and containerd
# write whatever their flags say, container root file systems, pod network namespaces) off the
# host.
NODE_TMPFS_PATHS=(/run /var/lib/kubelet /var/lib/cni /var/log/pods /var/log/containers)
# Host-wide kernel settings the kubelet sets at start (it cannot run without changing them):
# restored by `down`.
KUBELET_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes)

in_node() { # DIR COMMAND...  runs COMMAND inside the node's namespaces
  local d=$1
  shift
  nsenter --target "$(cat "$d/node/holder.pid")" --mount --net -- "$@"
}

# The machine-wide lock is free, or held by DIR's own node.
node_claimable() { # DIR
  local d=$1 owner
  alive "$d/node/holder.pid" && return
  if ! (flock -n 9) 9>> "$NODE_LOCK"; then
    owner=$(cat "$NODE_OWNER_FILE" 2>/dev/null || echo "an unknown plane directory")
    die "a node is already up on this machine, in $owner (one node runs at a time: hack/plane down $owner stops it)"
  fi
}

# True unless another plane directory's node holds the machine: then nothing shared is touched.
node_owned_by() { # DIR
  [ -e "$NODE_LOCK" ] || return 0
  (flock -n 9) 9>> "$NODE_LOCK" && return 0
  [ "$(cat "$NODE_OWNER_FILE" 2>/dev/null)" = "$1" ]
}

holder_up() { # DIR
  local d=$1 i
  alive "$d/node/holder.pid" && return
  exec {lock}>> "$NODE_LOCK"
  if ! flock -n "$lock"; then
    exec {lock}>&-
    node_claimable "$d"
  fi
  echo "$d" > "$NODE_OWNER_FILE"
  rm -f "$d/node/holder.pid"
  # The lock's descriptor is inherited by the holder, which keeps the lock until it exits.
  setsid unshare --mount --net --propagation private \
    sh -c 'echo $$ > "$1"; exec sleep infinity' _ "$d/node/holder.pid" > /dev/null 2>&1 < /dev/null &
  disown $!
  exec {lock}>&-
  for i in $(seq 1 50); do [ -s "$d/node/holder.pid" ] && break; sleep 0.1; done
  [ -s "$d/node/holder.pid" ] || die "the node's namespaces could not be made (unshare)"
  mounts_up "$d"
}

# A mount point the host lacks is made for the tmpfs and removed by `down`.
mounts_up() { # DIR
  local d=$1 path
  : > "$d/node/created-paths"
  for path in "${NODE_TMPFS_PATHS[@]}"; do
    [ -d "$path" ] && continue
    mkdir -p "$path"
    echo "$path" >> "$d/node/created-paths"
  done
  for path in "${NODE_TMPFS_PATHS[@]}"; do
    in_node "$d" mount -t tmpfs -o mode=755 node-tmpfs "$path" || die "could not mount a tmpfs on $path in the node"
  done
}

network_up() { # DIR API_PORT
  local d=$1 port=$2 pid
  pid=$(cat "$d/node/holder.pid")
  if ! ip link show "$NODE_LINK" > /dev/null 2>&1; then
    ip route get "$NODE_IP" 2>/dev/null | grep -q " dev lo " && die "$NODE_IP is already an address of this machine"
    ip link add "$NODE_LINK" type veth peer name eth0 netns "$pid" || die "could not make the link $NODE_LINK"
    ip addr add "$NODE_HOST_IP/30" dev "$NODE_LINK"
    ip link set "$NODE_LINK" up
    # Packets from the node to the API server's advertised address are sent on to its loopback
    # address (DNAT below), which the kernel refuses on a non-loopback link without this.
    sysctl -qw "net.ipv4.conf.$NODE_LINK.route_localnet=1"
  fi
  # icmp_ratelimit=0: every refused packet gets its ICMP error at once, so a connect to an
  # unrouted address fails at once instead of hanging.
  # The Service range leads to the host too, so the node's own clients (the DNS check) have a
  # route for kube-proxy's rules to rewrite; an address no Service has meets the host's
  # unreachable route below and fails at once.
  in_node "$d" sh -c "
    ip link set lo up && ip addr replace $NODE_IP/30 dev eth0 && ip link set eth0 up &&
    ip route replace $SERVICE_RANGE via $NODE_HOST_IP dev eth0 &&
    sysctl -qw net.ipv4.ip_forward=1 net.ipv4.icmp_ratelimit=0" \
    || die "could not configure the node's network namespace"
  # Service traffic between two pods of the bridge goes through kube-proxy's rules only with this.
  in_node "$d" sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null \
    || log "warning: no bridge netfilter in the node: Services between pods on the node will not answer"
  # The node's namespace has no default route: an address that is neither the plane, a Service
  # nor a pod fails at once. On the host, the pods' subnet leads to the node, and the rest of the pod and
  # Service ranges are unreachable rather than sent to the host's default route.
  ip route replace "$POD_SUBNET" via "$NODE_IP" dev "$NODE_LINK"
  ip route replace unreachable "$POD_RANGE"
  ip route replace unreachable "$SERVICE_RANGE"
  firewall_up "$port"
}

# From the node, the host accepts only the API server (and answers to what the host began);
# nothing from the node is forwarded anywhere.
firewall_up() { # API_PORT
  local port=$1
  firewall_down
  iptables -w -N "$NODE_CHAIN-INPUT"
  iptables -w -A "$NODE_CHAIN-INPUT" -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  iptables -w -A "$NODE_CHAIN-INPUT" -p tcp -d 127.0.0.1 --dport "$port" -j ACCEPT
  iptables -w -A "$NODE_CHAIN-INPUT" -j DROP
  iptables -w -I INPUT -i "$NODE_LINK" -j "$NODE_CHAIN-INPUT"
  iptables -w -N "$NODE_CHAIN-FORWARD"
  iptables -w -A "$NODE_CHAIN-FORWARD" -j DROP
  iptables -w -I FORWARD -i "$NODE_LINK" -j "$NODE_CHAIN-FORWARD"
  iptables -w -t nat -N "$NODE_CHAIN-API"
  iptables -w -t nat -A "$NODE_CHAIN-API" -p tcp -d "$NODE_HOST_IP" --dport "$port" -j DNAT --to-destination "127.0.0.1:$port"
  iptables -w -t nat -I PREROUTING -i "$NODE_LINK" -j "$NODE_CHAIN-API"
}

firewall_down() {
  iptables -w -D INPUT -i "$NODE_LINK" -j "$NODE_CHAIN-INPUT" 2>/dev/null || true
  iptables -w -D FORWARD -i "$NODE_LINK" -j "$NODE_CHAIN-FORWARD" 2>/dev/null || true
  iptables -w -t nat -D PREROUTING -i "$NODE_LINK" -j "$NODE_CHAIN-API" 2>/dev/null || true
  local chain
  for chain in INPUT FORWARD; do
    iptables -w -F "$NODE_CHAIN-$chain" 2>/dev/null && iptables -w -X "$NODE_CHAIN-$chain"
  done
  iptables -w -t nat -F "$NODE_CHAIN-API" 2>/dev/null && iptables -w -t nat -X "$NODE_CHAIN-API"
  return 0
}

save_sysctls() { # DIR
  local d=$1 name
  [ -f "$d/node/host-sysctls" ] && return
  for name in "${KUBELET_SYSCTLS[@]}"; do echo "$name=$(sysctl -n "$name")"; done > "$d/node/host-sysctls"
}

restore_sysctls() { # DIR
  local d=$1
  [ -f "$d/node/host-sysctls" ] || return 0
  sysctl -qw $(cat "$d/node/host-sysctls") > /dev/null
  rm -f "$d/node/host-sysctls"
}

# Kills whatever the node left: the processes in its cgroups (containers), then those in its
# mount namespace (containerd's shims and every node process), then the holder; the namespaces
# go with their last process, and with them every mount and the node's end of the link.
host_down() { # DIR
  local d=$1 holder ns pid i
  node_owned_by "$d" || return 0
  kill_cgroup_tree
  if alive "$d/node/holder.pid"; then
    holder=$(cat "$d/node/holder.pid")
    ns=$(readlink "/proc/$holder/ns/mnt")
    for i in 1 2 3; do
      for pid in $(ls /proc | grep -E '^[0-9]+$'); do
        [ "$pid" = "$holder" ] && continue
        [ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" = "$ns" ] && kill -KILL "$pid" 2>/dev/null
      done
      sleep 0.2
    done
    kill -KILL "$holder" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$holder" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$d/node/holder.pid"
  ip link del "$NODE_LINK" 2>/dev/null || true
  ip route del "$POD_SUBNET" 2>/dev/null || true
  ip route del unreachable "$POD_RANGE" 2>/dev/null || true
  ip route del unreachable "$SERVICE_RANGE" 2>/dev/null || true
  firewall_down
  kill_cgroup_tree
  remove_cgroups
  restore_sysctls "$d"
  local path
  if [ -f "$d/node/created-paths" ]; then
    for path in $(tac "$d/node/created-paths"); do rmdir "$path" 2>/dev/null || true; done
    rm -f "$d/node/created-paths"
  fi
  if [ "$(cat "$NODE_OWNER_FILE" 2>/dev/null)" = "$d" ]; then rm -f "$NODE_OWNER_FILE" "$NODE_LOCK"; fi
}

# The kubelet's cgroup root must exist in every hierarchy before it starts; a cpuset cgroup
# admits tasks only once it has CPUs and memory nodes, copied from the hierarchy's root.
cgroups_up() {
  local hierarchy
  for hierarchy in /sys/fs/cgroup/*/; do
    [ -d "$hierarchy" ] && mkdir -p "$hierarchy$NODE_CGROUP"
  done
  if [ -f /sys/fs/cgroup/cpuset/cpuset.cpus ]; then
    cat /sys/fs/cgroup/cpuset/cpuset.cpus > "/sys/fs/cgroup/cpuset/$NODE_CGROUP/cpuset.cpus"
    cat /sys/fs/cgroup/cpuset/cpuset.mems > "/sys/fs/cgroup/cpuset/$NODE_CGROUP/cpuset.mems"
  fi
}

node_cgroups() { # every cgroup directory of the node, deepest first
  find /sys/fs/cgroup/*/"$NODE_CGROUP" -depth -type d 2>/dev/null || true
}

kill_cgroup_tree() {
  local dir pid
  for dir in $(node_cgroups); do
    for pid in $(cat "$dir/cgroup.procs" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  done
}

remove_cgroups() {
  local dir i
  for i in $(seq 1 30); do
    for dir in $(node_cgroups); do rmdir "$dir" 2>/dev/null || true; done
    [ -z "$(node_cgroups)" ] && return
    kill_cgroup_tree
    sleep 0.2
  done
  log "warning: could not remove the node's cgroups: $(node_cgroups | tr '\n' ' ')"
}
