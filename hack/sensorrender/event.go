package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/argoproj/argo-events/pkg/apis/events/v1alpha1"
	"github.com/argoproj/argo-events/pkg/eventsources/events"
	cloudevents "github.com/cloudevents/sdk-go/v2"
	gh "github.com/google/go-github/v50/github"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The GitHub event source copies these two request headers into the body, so Sensors can read
// them as body.X-GitHub-Event and body.X-GitHub-Delivery.
var injectedHeaders = []string{"X-GitHub-Event", "X-GitHub-Delivery"}

// A local secret: the delivery is signed and checked with it so that go-github parses the
// request the way the event source's ValidatePayload call does.
var renderSecret = []byte("sensor-render")

// delivery is the event data the GitHub event source puts on the event bus for one webhook
// request: {headers, body, metadata}, with Go-canonical header keys (X-Github-Event).
type delivery struct {
	id   string
	data []byte
}

func newDelivery(eventName string, payload []byte, deliveryID string) (*delivery, error) {
	if deliveryID == "" {
		deliveryID = stableDeliveryID(eventName, payload)
	}
	mac := hmac.New(sha256.New, renderSecret)
	mac.Write(payload)
	req := httptest.NewRequest("POST", "/github", bytes.NewReader(payload))
	req.Header.Set("Accept", "*/*")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/sensor-render")
	req.Header.Set("X-GitHub-Event", eventName)
	req.Header.Set("X-GitHub-Delivery", deliveryID)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))

	body, err := gh.ValidatePayload(req, renderSecret)
	if err != nil {
		return nil, fmt.Errorf("payload rejected: %w", err)
	}
	fields := map[string]any{}
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, fmt.Errorf("payload is not a JSON object: %w", err)
	}
	for _, h := range injectedHeaders {
		fields[h] = req.Header.Get(h)
	}
	injected, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	raw := json.RawMessage(injected)
	data, err := json.Marshal(&events.GithubEventData{Headers: req.Header, Body: &raw})
	if err != nil {
		return nil, err
	}
	return &delivery{id: deliveryID, data: data}, nil
}

// stableDeliveryID stands in for GitHub's delivery GUID when none is given: derived from the
// delivery, so rendering the same payload twice names the same object, as a redelivery would.
func stableDeliveryID(eventName string, payload []byte) string {
	sum := sha256.Sum256(append([]byte(eventName+"\n"), payload...))
	h := hex.EncodeToString(sum[:16])
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}

// cloudEvent wraps the delivery as the event source publishes it for a dependency's
// (eventSourceName, eventName), and passes it through JSON as the event bus does.
func (d *delivery) cloudEvent(dep v1alpha1.EventDependency) (*cloudevents.Event, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	event := cloudevents.NewEvent()
	event.SetID(hex.EncodeToString(id))
	event.SetType(string(v1alpha1.GithubEvent))
	event.SetSource(dep.EventSourceName)
	event.SetSubject(dep.EventName)
	event.SetTime(time.Now())
	if err := event.SetData(cloudevents.ApplicationJSON, d.data); err != nil {
		return nil, err
	}
	wire, err := json.Marshal(event)
	if err != nil {
		return nil, err
	}
	received := cloudevents.NewEvent()
	if err := json.Unmarshal(wire, &received); err != nil {
		return nil, err
	}
	return &received, nil
}

// sensorEvent is the form the Sensor's filters and trigger parameters see.
func sensorEvent(event *cloudevents.Event) *v1alpha1.Event {
	return &v1alpha1.Event{
		Context: &v1alpha1.EventContext{
			DataContentType: event.DataContentType(),
			Source:          event.Source(),
			SpecVersion:     event.SpecVersion(),
			Type:            event.Type(),
			Time:            metav1.Time{Time: event.Time()},
			ID:              event.ID(),
			Subject:         event.Subject(),
		},
		Data: event.Data(),
	}
}
