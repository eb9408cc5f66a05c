package main

// --stream renders many deliveries with one process: one JSON request per stdin line, one JSON
// result per stdout line, in order. The Sensor is read once, so a caller that plays thousands of
// deliveries (the soak) pays Go's start-up and the Sensor's parsing once, not per delivery.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// streamRequest is one delivery: the X-GitHub-Event header, the payload and X-GitHub-Delivery.
type streamRequest struct {
	Event      string          `json:"event"`
	Payload    json.RawMessage `json:"payload"`
	DeliveryID string          `json:"deliveryId"`
}

// streamResult says what the Sensor did: "rendered" with the object, "filtered" with the
// filters that dropped the delivery, or "error" with the message.
type streamResult struct {
	Outcome  string   `json:"outcome"`
	Object   any      `json:"object,omitempty"`
	Filtered []string `json:"filtered,omitempty"`
	Error    string   `json:"error,omitempty"`
}

func runStream(sensorPath string, in io.Reader, out io.Writer) int {
	sensor, err := loadSensor(sensorPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		return exitError
	}
	scanner := bufio.NewScanner(in)
	scanner.Buffer(make([]byte, 1<<20), 64<<20)
	enc := json.NewEncoder(out)
	for scanner.Scan() {
		var request streamRequest
		result := streamResult{Outcome: "rendered"}
		if err := json.Unmarshal(scanner.Bytes(), &request); err != nil {
			result = streamResult{Outcome: "error", Error: fmt.Sprintf("request is not JSON: %v", err)}
		} else if obj, err := renderDelivery(sensor, request.Event, request.Payload, request.DeliveryID); err != nil {
			var filtered *filteredError
			if errors.As(err, &filtered) {
				result = streamResult{Outcome: "filtered", Filtered: filtered.lines}
			} else {
				result = streamResult{Outcome: "error", Error: err.Error()}
			}
		} else {
			result.Object = obj
		}
		if err := enc.Encode(result); err != nil {
			fmt.Fprintf(os.Stderr, "error: %v\n", err)
			return exitError
		}
	}
	if err := scanner.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		return exitError
	}
	return 0
}
