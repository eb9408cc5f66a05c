package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/Knetic/govaluate"
	"github.com/argoproj/argo-events/pkg/apis/events/v1alpha1"
	"github.com/argoproj/argo-events/pkg/sensors/triggers"
	standardk8s "github.com/argoproj/argo-events/pkg/sensors/triggers/standard-k8s"
	"go.uber.org/zap"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

// fireTriggers decides, as the JetStream event bus does for one arriving event, which triggers
// fire, and renders each firing. A trigger whose conditions hold no "&&" fires once per passing
// dependency; otherwise its conditions are evaluated over the dependencies that passed.
func fireTriggers(sensor *v1alpha1.Sensor, results *dependencyResults) ([]map[string]any, error) {
	var objects []map[string]any
	var unmet []string
	for _, trigger := range sensor.Spec.Triggers {
		firings, expression, err := firingsOf(sensor, trigger, results.passed)
		if err != nil {
			return nil, fmt.Errorf("trigger %s: %w", trigger.Template.Name, err)
		}
		if len(firings) == 0 {
			unmet = append(unmet, fmt.Sprintf("trigger %s: conditions %q not met", trigger.Template.Name, expression))
		}
		for _, events := range firings {
			obj, err := renderK8sTrigger(sensor, trigger, events)
			if err != nil {
				return nil, fmt.Errorf("trigger %s: %w", trigger.Template.Name, err)
			}
			objects = append(objects, obj)
		}
	}
	if len(objects) == 0 {
		lines := results.rejected
		if len(results.passed) > 0 {
			lines = append(lines, unmet...)
		}
		return nil, &filteredError{lines: lines}
	}
	return objects, nil
}

// triggerConditions parses a trigger's conditions (all dependencies when it names none) and
// lists the dependencies they name: the JetStream bus gives each of them a durable consumer.
func triggerConditions(sensor *v1alpha1.Sensor, trigger v1alpha1.Trigger) (string, *govaluate.EvaluableExpression, []string, error) {
	expression := trigger.Template.Conditions
	if expression == "" {
		names := make([]string, 0, len(sensor.Spec.Dependencies))
		for _, dep := range sensor.Spec.Dependencies {
			names = append(names, dep.Name)
		}
		expression = strings.Join(names, "&&")
	}
	// Dependency names may hold "-", which govaluate reads as minus unless escaped.
	expr, err := govaluate.NewEvaluableExpression(strings.ReplaceAll(expression, "-", "\\-"))
	if err != nil {
		return expression, nil, nil, fmt.Errorf("conditions %q: %w", expression, err)
	}
	return expression, expr, unique(expr.Vars()), nil
}

func firingsOf(sensor *v1alpha1.Sensor, trigger v1alpha1.Trigger, passed map[string]*v1alpha1.Event) ([]map[string]*v1alpha1.Event, string, error) {
	expression, expr, deps, err := triggerConditions(sensor, trigger)
	if err != nil {
		return nil, expression, err
	}
	if !strings.Contains(expression, "&") {
		var firings []map[string]*v1alpha1.Event
		for _, name := range deps {
			if event, ok := passed[name]; ok {
				firings = append(firings, map[string]*v1alpha1.Event{name: event})
			}
		}
		return firings, expression, nil
	}
	parameters := map[string]any{}
	events := map[string]*v1alpha1.Event{}
	for _, name := range deps {
		event, ok := passed[name]
		parameters[name] = ok
		if ok {
			events[name] = event
		}
	}
	result, err := expr.Evaluate(parameters)
	if err != nil {
		return nil, expression, fmt.Errorf("conditions %q: %w", expression, err)
	}
	if result != true {
		return nil, expression, nil
	}
	return []map[string]*v1alpha1.Event{events}, expression, nil
}

// renderK8sTrigger runs Argo Events' k8s trigger against a fake API server: template
// parameters, the source resource, resource parameters, then Execute, which sets the namespace
// and the events.argoproj.io labels before it creates. The object it sent is the result.
func renderK8sTrigger(sensor *v1alpha1.Sensor, trigger v1alpha1.Trigger, events map[string]*v1alpha1.Event) (map[string]any, error) {
	t := trigger.DeepCopy()
	if err := triggers.ApplyTemplateParameters(events, t); err != nil {
		return nil, fmt.Errorf("template parameters: %w", err)
	}
	if t.Template.K8s == nil {
		return nil, fmt.Errorf("not a k8s trigger: this tool renders k8s triggers only")
	}
	client := dynamicfake.NewSimpleDynamicClient(runtime.NewScheme())
	k8sTrigger := standardk8s.NewStandardK8sTrigger(nil, client, sensor, t, zap.NewNop().Sugar())
	ctx := context.Background()
	resource, err := k8sTrigger.FetchResource(ctx)
	if err != nil {
		return nil, fmt.Errorf("source resource: %w", err)
	}
	resource, err = k8sTrigger.ApplyResourceParameters(events, resource)
	if err != nil {
		return nil, fmt.Errorf("resource parameters: %w", err)
	}
	obj, ok := resource.(*unstructured.Unstructured)
	if !ok {
		return nil, fmt.Errorf("source resource is not an object")
	}
	if _, err := k8sTrigger.Execute(ctx, events, obj); err != nil {
		return nil, fmt.Errorf("execute: %w", err)
	}
	return obj.Object, nil
}

func unique(names []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, name := range names {
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
