//go:build tools

// Package argoevents pins the Argo Events command the local pipeline runs as its EventSource and
// Sensor (argo-events eventsource-service / sensor-service).
package argoevents

import _ "github.com/argoproj/argo-events/cmd"
