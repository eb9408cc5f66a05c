// Command sensorrender shows what an Argo Events Sensor does with one GitHub webhook delivery:
// it shapes the delivery as Argo Events' GitHub event source does, runs each dependency's
// transform and filters with Argo Events' own sensor code, and prints the object that the
// Sensor's k8s trigger would create. Nothing talks to a cluster.
//
//	sensorrender SENSOR.yaml EVENT_NAME PAYLOAD.json [DELIVERY_ID]
//	sensorrender --validate FILE.yaml...
//	sensorrender --stream SENSOR.yaml   (JSON lines in and out; see stream.go)
//	sensorrender --pods CONFIG_DIR NAMESPACE CONTROLLER_CONFIG NATS_URL OUT_DIR   (see pods.go)
//
// Exit status: 0 rendered (one object, or a v1 List when several triggers fire), 3 filtered
// out (stderr says which filter of which dependency), 2 usage, 1 any other error.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/argoproj/argo-events/pkg/apis/events/v1alpha1"
)

const (
	exitError    = 1
	exitUsage    = 2
	exitFiltered = 3
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) >= 1 && args[0] == "--validate" {
		return runValidate(args[1:])
	}
	if len(args) >= 1 && args[0] == "--pods" {
		return runPods(args[1:])
	}
	if len(args) == 2 && args[0] == "--stream" {
		// Argo Events' parameter code reports fallbacks with fmt.Printf; keep stdout for results.
		stdout := os.Stdout
		os.Stdout = os.Stderr
		return runStream(args[1], os.Stdin, stdout)
	}
	if len(args) < 3 || len(args) > 4 {
		fmt.Fprintln(os.Stderr, "usage: sensor-render SENSOR.yaml EVENT_NAME PAYLOAD.json [DELIVERY_ID]")
		fmt.Fprintln(os.Stderr, "       sensor-render --validate FILE.yaml...")
		return exitUsage
	}
	// Argo Events' parameter code reports fallbacks with fmt.Printf; keep stdout for the result.
	stdout := os.Stdout
	os.Stdout = os.Stderr

	out, err := render(args)
	var filtered *filteredError
	switch {
	case errors.As(err, &filtered):
		for _, line := range filtered.lines {
			fmt.Fprintf(os.Stderr, "filtered: %s\n", line)
		}
		return exitFiltered
	case err != nil:
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		return exitError
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		return exitError
	}
	return 0
}

func render(args []string) (any, error) {
	sensor, err := loadSensor(args[0])
	if err != nil {
		return nil, err
	}
	payload, err := os.ReadFile(args[2])
	if err != nil {
		return nil, err
	}
	delivery := ""
	if len(args) == 4 {
		delivery = args[3]
	}
	return renderDelivery(sensor, args[1], payload, delivery)
}

// renderDelivery is what the Sensor does with one delivery: the object its trigger creates.
func renderDelivery(sensor *v1alpha1.Sensor, eventName string, payload []byte, deliveryID string) (any, error) {
	d, err := newDelivery(eventName, payload, deliveryID)
	if err != nil {
		return nil, err
	}
	passed, err := runDependencies(sensor, d)
	if err != nil {
		return nil, err
	}
	objects, err := fireTriggers(sensor, passed)
	if err != nil {
		return nil, err
	}
	if len(objects) == 1 {
		return objects[0], nil
	}
	// Several triggers firing on one delivery is legal; a List keeps the output one JSON document
	// that kubectl can still apply.
	return map[string]any{"apiVersion": "v1", "kind": "List", "items": objects}, nil
}
