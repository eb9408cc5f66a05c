package main

import (
	"context"
	"fmt"
	"os"
	"sort"

	"github.com/argoproj/argo-events/pkg/apis/events/v1alpha1"
	"github.com/argoproj/argo-events/pkg/eventsources/sources/github"
	sensorreconciler "github.com/argoproj/argo-events/pkg/reconciler/sensor"
)

// validateSensor runs the check the Sensor controller runs before it deploys a Sensor. The
// project's manifests assume the default JetStream event bus, which (unlike NATS streaming)
// lets several dependencies listen to the same event.
func validateSensor(sensor *v1alpha1.Sensor) error {
	bus := &v1alpha1.EventBus{Spec: v1alpha1.EventBusSpec{JetStream: &v1alpha1.JetStreamBus{}}}
	return sensorreconciler.ValidateSensor(sensor, bus)
}

// validateEventSource runs the GitHub event source's own validation on each GitHub event. Other
// event source types are reported rather than passed: this tool only knows GitHub.
func validateEventSource(es *v1alpha1.EventSource) error {
	if len(es.Spec.Github) == 0 {
		return fmt.Errorf("no github events: this tool checks GitHub event sources only")
	}
	names := make([]string, 0, len(es.Spec.Github))
	for name := range es.Spec.Github {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		listener := &github.EventListener{EventSourceName: es.Name, EventName: name, GithubEventSource: es.Spec.Github[name]}
		if err := listener.ValidateEventSource(context.Background()); err != nil {
			return fmt.Errorf("github event %q: %w", name, err)
		}
	}
	return nil
}

// runValidate checks every Sensor and EventSource in the given files; other kinds are skipped.
func runValidate(files []string) int {
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, "usage: sensor-render --validate FILE.yaml...")
		return exitUsage
	}
	failed := false
	for _, file := range files {
		docs, err := readDocuments(file)
		if err != nil {
			fmt.Fprintf(os.Stderr, "error: %v\n", err)
			failed = true
			continue
		}
		for _, doc := range docs {
			if err := validateDocument(doc); err != nil {
				fmt.Fprintf(os.Stderr, "invalid: %s: %s/%s: %v\n", doc.file, doc.kind, doc.name, err)
				failed = true
			} else if doc.kind == "Sensor" || doc.kind == "EventSource" {
				fmt.Printf("valid: %s: %s/%s\n", doc.file, doc.kind, doc.name)
			}
		}
	}
	if failed {
		return exitError
	}
	return 0
}

func validateDocument(doc document) error {
	switch doc.kind {
	case "Sensor":
		var sensor v1alpha1.Sensor
		if err := decodeStrict(doc, &sensor); err != nil {
			return err
		}
		return validateSensor(&sensor)
	case "EventSource":
		var es v1alpha1.EventSource
		if err := decodeStrict(doc, &es); err != nil {
			return err
		}
		return validateEventSource(&es)
	}
	return nil
}
