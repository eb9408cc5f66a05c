# The Argo Events pipeline of a plane: nats-server (JetStream), the EventSource and the Sensor of
# config/argo-events, as local processes. Sourced by hack/plane after build.sh.
#
# Both argo-events processes serve metrics on a fixed *:7777, and the EventSource reads its
# webhook secret from the fixed /argo-events/secrets/...: each runs in a network namespace of its
# own, named after the plane directory and joined to the host by a veth pair whose /30 is derived
# from the same name, so planes run side by side. The EventSource also gets a private mount
# namespace whose root shows the Secret at that path (private-root). Nothing is routed past the
# pairs: the namespaces have no default route and the host does not forward.
#
#   127.0.0.1:WEBHOOK ─relay─▶ [EventSource netns] ES_ADDR:12000 ──▶ nats-server HOST_ES:4222
#   [Sensor netns] ──▶ HOST_ES:4222 (via HOST_SN);  HOST_SN:API ─relay─▶ 127.0.0.1:API

EVENTS_NATS_PORT=4222
EVENTS_NATS_MONITOR_PORT=8222

events_namespace() { # the namespace config/argo-events/kustomization.yaml installs into
  awk '$1 == "namespace:" { print $2; exit }' "$ROOT/config/argo-events/kustomization.yaml"
}

# Names and addresses of a plane's pipeline network, fixed by the plane directory and written to
# DIR/events/net.env on first use, so that `down` removes exactly what `up` made.
events_net_plan() { # DIR
  local d=$1 id i a b
  [ -f "$d/events/net.env" ] && return
  id=$(printf '%s' "$d" | sha256sum | cut -c1-8)
  i=$(( 16#${id:0:4} % 4096 ))
  # A /28 per plane in 10.251.0.0/16; the next one when another plane's pair holds it.
  while ip -o -4 addr show | grep -q " 10\.251\.$(( i / 16 ))\.$(( i % 16 * 16 + 1 ))/"; do
    i=$(( (i + 1) % 4096 ))
  done
  a=$(( i / 16 ))
  b=$(( i % 16 * 16 ))
  cat > "$d/events/net.env" <<EOF
EVENTS_ID=$id
ES_NETNS=wro-$id-eventsource
SN_NETNS=wro-$id-sensor
ES_HOST_IF=wro${id}e
SN_HOST_IF=wro${id}s
HOST_ES=10.251.$a.$(( b + 1 ))
ES_ADDR=10.251.$a.$(( b + 2 ))
HOST_SN=10.251.$a.$(( b + 5 ))
SN_ADDR=10.251.$a.$(( b + 6 ))
EOF
}

netns_exists() { ip netns list | awk '{ print $1 }' | grep -qx "$1"; }

events_netns() { # NETNS HOST_IF HOST_ADDR NS_ADDR
  local ns=$1 host_if=$2 host_addr=$3 ns_addr=$4
  netns_exists "$ns" || ip netns add "$ns"
  ip -n "$ns" link set lo up
  if ! ip link show "$host_if" > /dev/null 2>&1; then
    ip link add "$host_if" type veth peer name veth0 netns "$ns"
    ip addr add "$host_addr/30" dev "$host_if"
    ip -n "$ns" addr add "$ns_addr/30" dev veth0
  fi
  ip link set "$host_if" up
  ip -n "$ns" link set veth0 up
}

events_net_up() { # DIR
  local d=$1
  events_net_plan "$d"
  . "$d/events/net.env"
  events_netns "$ES_NETNS" "$ES_HOST_IF" "$HOST_ES" "$ES_ADDR"
  events_netns "$SN_NETNS" "$SN_HOST_IF" "$HOST_SN" "$SN_ADDR"
  # The Sensor reaches nats-server, which listens on the EventSource pair's host end, through
  # its own pair: the host owns that address and answers for it on any interface.
  ip -n "$SN_NETNS" route replace "$HOST_ES/32" via "$HOST_SN" dev veth0
}

events_net_down() { # DIR
  local d=$1 ns
  [ -f "$d/events/net.env" ] || return 0
  . "$d/events/net.env"
  for ns in "$ES_NETNS" "$SN_NETNS"; do
    # Deleting a namespace deletes its end of the pair, and so the pair.
    if netns_exists "$ns"; then ip netns delete "$ns"; fi
  done
}

events_certs() { # DIR
  local d=$1/events
  [ -f "$d/nats.crt" ] && return
  (
    cd "$d"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout nats.key \
      -out nats.csr -subj "/CN=nats-server"
    printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$HOST_ES" > nats.ext
    openssl x509 -req -in nats.csr -CA ../pki/ca.crt -CAkey ../pki/ca.key -CAcreateserial -days 3650 \
      -extfile nats.ext -out nats.crt
  ) > "$d/pki.log" 2>&1 || die "nats-server certificate failed: $(tail -5 "$d/pki.log")"
}

# What the Argo Events controllers would hand the pods, from the shipped manifests
# (hack/sensorrender/pods.go runs their reconcile code).
events_render() { # DIR NAMESPACE
  local d=$1 ns=$2 controller_config
  controller_config=$(module_source_dir github.com/argoproj/argo-events "$EVENTS_VERSION")/manifests/base/controller-manager/controller-config.yaml
  "$ROOT/hack/sensor-render" --pods "$ROOT/config/argo-events" "$ns" "$controller_config" \
    "nats://$HOST_ES:$EVENTS_NATS_PORT" "$d/events" || die "rendering config/argo-events failed"
  . "$d/events/pipeline.env"
  [ "$JETSTREAM_VERSION" = "${NATS_VERSION#v}" ] ||
    die "config/argo-events/eventbus.yaml names JetStream $JETSTREAM_VERSION, hack/events/nats-server pins $NATS_VERSION"
}

# The webhook secret: made once per plane, kept in DIR/events (0600), stored in the Secret the
# EventSource mounts, and shown to the EventSource at the path its pod would mount it.
events_secret() { # DIR NAMESPACE
  local d=$1 ns=$2 name
  (
    umask 077
    mkdir -p "$d/events/secrets"
    [ -s "$d/events/webhook-secret" ] || openssl rand -hex 32 | tr -d '\n' > "$d/events/webhook-secret"
    while read -r name _; do
      [ -n "$name" ] || continue
      mkdir -p "$d/events/secrets/$name"
      cp "$d/events/webhook-secret" "$d/events/secrets/$name/secret"
      kubectl_in "$d" -n "$ns" create secret generic "$name" --from-file=secret="$d/events/webhook-secret" \
        --dry-run=client -o yaml | kubectl_in "$d" apply -f - > /dev/null
    done < "$d/events/eventsource.mounts"
  )
}

# A kubeconfig for the Sensor's ServiceAccount, bound by config/argo-events/rbac.yaml, that
# reaches the API server through the relay on the Sensor pair's host end.
events_sensor_kubeconfig() { # DIR NAMESPACE
  local d=$1 ns=$2 token
  kubectl_in "$d" -n "$ns" apply -f "$ROOT/config/argo-events/rbac.yaml" > /dev/null
  token=$(kubectl_in "$d" -n "$ns" create token "$SENSOR_SERVICE_ACCOUNT" --duration 8760h)
  (
    umask 077
    cat > "$d/events/sensor.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: plane
  cluster:
    server: https://$HOST_SN:$(cat "$d/apiserver.port")
    tls-server-name: localhost
    certificate-authority-data: $(base64 -w0 "$d/pki/ca.crt")
users:
- name: $SENSOR_SERVICE_ACCOUNT
  user: {token: "$token"}
contexts:
- name: sensor
  context: {cluster: plane, user: $SENSOR_SERVICE_ACCOUNT, namespace: $ns}
current-context: sensor
EOF
  )
}

nats_ready() { curl -fsS "http://$HOST_ES:$EVENTS_NATS_MONITOR_PORT/healthz?js-enabled-only=true"; }

# The Sensor creates its durable consumers DeliverNew: the EventSource may publish only once they
# exist, or the first deliveries are never seen.
sensor_consumers_ready() { # WANTED
  local count
  count=$(curl -fsS "http://$HOST_ES:$EVENTS_NATS_MONITOR_PORT/jsz?consumers=true" |
    grep -o '"consumer_count": *[0-9]*' | awk -F: '{ n += $2 } END { print n + 0 }')
  [ "$count" -ge "$1" ]
}

webhook_answers() { # URL
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --max-time 2 "$1") || return 1
  [ "$code" != 000 ]
}

events_up() { # DIR
  local d ns web_port api_port
  d=$(cd "$1" && pwd)
  mkdir -p "$d/events"
  events_build
  ns=$(events_namespace)
  events_net_up "$d"
  events_certs "$d"
  events_render "$d" "$ns"
  kubectl_in "$d" create namespace "$ns" --dry-run=client -o yaml | kubectl_in "$d" apply -f - > /dev/null
  events_secret "$d" "$ns"
  events_sensor_kubeconfig "$d" "$ns"
  api_port=$(cat "$d/apiserver.port")

  if ! alive "$d/nats-server.pid"; then
    mkdir -p "$d/events/jetstream"
    cat > "$d/nats-server.cmd" <<EOF
$NATS_BIN/nats-server --name plane-$EVENTS_ID --addr $HOST_ES --port $EVENTS_NATS_PORT
--http_port $EVENTS_NATS_MONITOR_PORT --jetstream --store_dir $d/events/jetstream
--tls --tlscert $d/events/nats.crt --tlskey $d/events/nats.key
EOF
    launch "$d" nats-server
  fi
  wait_until 30 "nats-server with JetStream" "$d/nats-server.log" nats_ready

  [ -s "$d/events/webhook.port" ] || free_port > "$d/events/webhook.port"
  web_port=$(cat "$d/events/webhook.port")
  if ! alive "$d/relay.pid"; then
    echo "$RELAY_BIN/relay $HOST_SN:$api_port=127.0.0.1:$api_port 127.0.0.1:$web_port=$ES_ADDR:$WEBHOOK_PORT" > "$d/relay.cmd"
    launch "$d" relay
  fi

  if ! alive "$d/sensor.pid"; then
    { cat "$d/events/sensor.env"; echo "export KUBECONFIG=$d/events/sensor.kubeconfig POD_NAME=$SENSOR_NAME-sensor-$EVENTS_ID"; } > "$d/sensor.env"
    echo "ip netns exec $SN_NETNS $ARGO_EVENTS_BIN/argo-events sensor-service" > "$d/sensor.cmd"
    launch "$d" sensor
  fi
  wait_until 60 "the Sensor's $SENSOR_CONSUMERS durable consumers" "$d/sensor.log" sensor_consumers_ready "$SENSOR_CONSUMERS"

  if ! alive "$d/eventsource.pid"; then
    { cat "$d/events/eventsource.env"; echo "export POD_NAME=$EVENTSOURCE_NAME-eventsource-$EVENTS_ID"; } > "$d/eventsource.env"
    echo "ip netns exec $ES_NETNS unshare --mount --propagation private $ROOT/hack/events/private-root $d/events/root $d/events/secrets $d/events/eventsource.mounts $ARGO_EVENTS_BIN/argo-events eventsource-service" > "$d/eventsource.cmd"
    launch "$d" eventsource
  fi
  local url=http://127.0.0.1:$web_port$WEBHOOK_PATH
  wait_until 60 "the EventSource's webhook" "$d/eventsource.log" webhook_answers "$url"

  cat > "$d/events.env" <<EOF
GITHUB_WEBHOOK_URL=$url
GITHUB_WEBHOOK_SECRET=$(cat "$d/events/webhook-secret")
GITHUB_WEBHOOK_SECRET_FILE=$d/events/webhook-secret
EVENTS_NAMESPACE=$ns
EVENTS_VERSION=$EVENTS_VERSION
NATS_VERSION=$NATS_VERSION
EOF
  # `up` rewrites DIR/env; the pipeline's lines follow the plane's.
  grep -v -e '^GITHUB_WEBHOOK_' -e '^EVENTS_' -e '^NATS_VERSION=' "$d/env" > "$d/env.tmp" || true
  cat "$d/env.tmp" "$d/events.env" > "$d/env"
  rm -f "$d/env.tmp"
  log "pipeline ready: webhook $url (secret in $d/events/webhook-secret), ResumeRequests in namespace $ns (Argo Events $EVENTS_VERSION, nats-server $NATS_VERSION)"
}

events_down() { # DIR
  local d=$1 name
  [ -d "$d" ] || return 0
  for name in eventsource sensor relay nats-server; do
    stop_component "$d" "$name"
  done
  events_net_down "$d"
}
