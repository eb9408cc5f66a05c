package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/argoproj/argo-events/pkg/apis/events/v1alpha1"
	"github.com/argoproj/argo-events/pkg/sensors/dependencies"
	"github.com/tidwall/gjson"
)

// filteredError means no trigger fired; lines say why, one per dependency or trigger.
type filteredError struct{ lines []string }

func (e *filteredError) Error() string { return strings.Join(e.lines, "; ") }

// dependencyResults holds, per dependency name, the event it resolved with, and for the others
// why they did not.
type dependencyResults struct {
	passed   map[string]*v1alpha1.Event
	rejected []string
}

// runDependencies offers the delivery to every dependency the way a Sensor does: transform,
// then Argo Events' Filter. Every dependency is taken to listen to the GitHub event source.
func runDependencies(sensor *v1alpha1.Sensor, d *delivery) (*dependencyResults, error) {
	results := &dependencyResults{passed: map[string]*v1alpha1.Event{}}
	for _, dep := range sensor.Spec.Dependencies {
		ce, err := d.cloudEvent(dep)
		if err != nil {
			return nil, err
		}
		if dep.Transform != nil {
			if ce, err = dependencies.ApplyTransform(ce, dep.Transform); err != nil {
				return nil, fmt.Errorf("dependency %s: transform failed: %w", dep.Name, err)
			}
		}
		event := sensorEvent(ce)
		if dep.Filters == nil {
			results.passed[dep.Name] = event
			continue
		}
		ok, err := dependencies.Filter(event, dep.Filters, dep.FiltersLogicalOperator)
		if ok {
			if err != nil {
				fmt.Fprintf(os.Stderr, "warning: dependency %s passed with a filter error: %v\n", dep.Name, err)
			}
			results.passed[dep.Name] = event
			continue
		}
		results.rejected = append(results.rejected, dep.Name+": "+explainRejection(dep, event, err))
	}
	return results, nil
}

// explainRejection names the filter that discarded the event. The verdict always comes from
// the whole filter above; here each part is re-run alone, in the order Argo Events evaluates
// them, and the first that fails is named. With an `or` operator no single part decides, so
// the whole filter's error is given instead.
func explainRejection(dep v1alpha1.EventDependency, event *v1alpha1.Event, err error) string {
	f := dep.Filters
	if dep.FiltersLogicalOperator == v1alpha1.OrLogicalOperator ||
		f.DataLogicalOperator == v1alpha1.OrLogicalOperator || f.ExprLogicalOperator == v1alpha1.OrLogicalOperator {
		return withError("filters (combined with or)", err)
	}
	for _, e := range f.Exprs {
		if failed, perr := fails(event, &v1alpha1.EventDependencyFilter{Exprs: []v1alpha1.ExprFilter{e}}); failed {
			return withError(fmt.Sprintf("expr %q", e.Expr), perr)
		}
	}
	for _, d := range f.Data {
		if failed, perr := fails(event, &v1alpha1.EventDependencyFilter{Data: []v1alpha1.DataFilter{d}}); failed {
			return withError(describeData(d, event), perr)
		}
	}
	if f.Context != nil {
		if failed, perr := fails(event, &v1alpha1.EventDependencyFilter{Context: f.Context}); failed {
			return withError("context filter", perr)
		}
	}
	if f.Time != nil {
		if failed, perr := fails(event, &v1alpha1.EventDependencyFilter{Time: f.Time}); failed {
			return withError(fmt.Sprintf("time filter %s-%s", f.Time.Start, f.Time.Stop), perr)
		}
	}
	if f.Script != "" {
		if failed, perr := fails(event, &v1alpha1.EventDependencyFilter{Script: f.Script}); failed {
			return withError("script filter", perr)
		}
	}
	return withError("filters", err)
}

func fails(event *v1alpha1.Event, f *v1alpha1.EventDependencyFilter) (bool, error) {
	ok, err := dependencies.Filter(event, f, v1alpha1.AndLogicalOperator)
	return !ok, err
}

func describeData(d v1alpha1.DataFilter, event *v1alpha1.Event) string {
	comparator := string(d.Comparator)
	if comparator == "" {
		comparator = "="
	}
	desc := fmt.Sprintf("data %s %s %s %q", d.Path, d.Type, comparator, d.Value)
	if got := gjson.GetBytes(event.Data, d.Path); got.Exists() {
		desc += " got " + truncate(got.Raw, 120)
	}
	return desc
}

// truncate keeps a message to one readable line when a filter path selects a whole object.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

func withError(what string, err error) string {
	if err != nil {
		return what + ": " + err.Error()
	}
	return what
}
