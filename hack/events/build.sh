# Builds (or finds cached) the pipeline's binaries: argo-events (the EventSource and the Sensor
# are its eventsource-service and sensor-service), nats-server (the JetStream event bus) and
# the relay. Sourced by hack/plane after hack/controlplane/{lib,plane}.sh.

EVENTS_VERSION=$(module_version hack/events/argo-events github.com/argoproj/argo-events)
NATS_VERSION=$(module_version hack/events/nats-server github.com/nats-io/nats-server/v2)

events_build() {
  [ "$EVENTS_VERSION" = "$(module_version hack/sensorrender github.com/argoproj/argo-events)" ] ||
    die "hack/events/argo-events and hack/sensorrender must pin one argo-events version"
  local pkg=github.com/argoproj/argo-events
  # Static, like every plane binary: argo-events builds without cgo and then needs no libc.
  ARGO_EVENTS_BIN=$(build_component argo-events events/argo-events "$EVENTS_VERSION" \
    "-X $pkg.version=$EVENTS_VERSION -X $pkg.gitTreeState=clean" "" "$pkg/cmd")
  NATS_BIN=$(build_component nats-server events/nats-server "$NATS_VERSION" "" "" \
    github.com/nats-io/nats-server/v2)
  RELAY_BIN=$(build_component relay events/relay local "" "" .)
}
