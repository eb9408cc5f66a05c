//go:build tools

// Package natsserver pins the nats-server the local pipeline runs as its JetStream event bus:
// the version config/argo-events/eventbus.yaml names.
package natsserver

import _ "github.com/nats-io/nats-server/v2"
