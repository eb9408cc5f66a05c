package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/argoproj/argo-events/pkg/apis/events/v1alpha1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// document is one YAML document of a manifest file, converted to JSON.
type document struct {
	file string
	kind string
	name string
	json []byte
}

func readDocuments(path string) ([]document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(f))
	var docs []document
	for {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		js, err := yaml.YAMLToJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
			continue
		}
		var head struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(js, &head); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		docs = append(docs, document{file: path, kind: head.Kind, name: head.Metadata.Name, json: js})
	}
}

// decodeStrict decodes like the Sensor and EventSource controllers do, except that unknown
// fields are errors: the Argo Events CRDs preserve unknown fields, so a misspelt or invented
// field (a `labelSelector` on an argoWorkflow trigger, say) would otherwise be ignored silently.
func decodeStrict(doc document, into any) error {
	dec := json.NewDecoder(bytes.NewReader(doc.json))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("%s: %s %q: %w", doc.file, doc.kind, doc.name, err)
	}
	return nil
}

// loadSensor reads the one Sensor in a file (other documents, such as RBAC, may sit beside it).
func loadSensor(path string) (*v1alpha1.Sensor, error) {
	docs, err := readDocuments(path)
	if err != nil {
		return nil, err
	}
	var sensor *v1alpha1.Sensor
	for _, doc := range docs {
		if doc.kind != "Sensor" {
			continue
		}
		if sensor != nil {
			return nil, fmt.Errorf("%s holds more than one Sensor", path)
		}
		sensor = &v1alpha1.Sensor{}
		if err := decodeStrict(doc, sensor); err != nil {
			return nil, err
		}
	}
	if sensor == nil {
		return nil, fmt.Errorf("%s holds no Sensor", path)
	}
	if err := validateSensor(sensor); err != nil {
		return nil, fmt.Errorf("%s: Sensor %q is invalid: %w", path, sensor.Name, err)
	}
	return sensor, nil
}
