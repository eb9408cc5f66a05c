package main

// --pods runs the Argo Events controllers' own reconcile code on the shipped EventBus,
// EventSource and Sensor, against a fake API server, and writes what the Deployments they
// create would hand their pods: each container's environment (the object, the bus config, the
// subject) and the Secret volumes mounted into it. The local pipeline (hack/events) starts the
// real processes with exactly that, so the manifests it runs are the manifests that ship.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/argoproj/argo-events/pkg/apis/events/v1alpha1"
	"github.com/argoproj/argo-events/pkg/reconciler"
	"github.com/argoproj/argo-events/pkg/reconciler/eventbus/installer"
	eventsourcereconciler "github.com/argoproj/argo-events/pkg/reconciler/eventsource"
	sensorreconciler "github.com/argoproj/argo-events/pkg/reconciler/sensor"
	"go.uber.org/zap"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/yaml"
)

// localStreamConfig is merged over the controller's stream defaults, as an EventBus's own
// spec.jetstream.streamConfig would be: the local bus is one nats-server, so a stream can have
// only one replica.
const localStreamConfig = "replicas: 1\n"

type podsArgs struct {
	configDir, namespace, controllerConfig, natsURL, outDir string
}

func runPods(args []string) int {
	if len(args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: sensor-render --pods CONFIG_DIR NAMESPACE CONTROLLER_CONFIG NATS_URL OUT_DIR")
		return exitUsage
	}
	if err := writePods(podsArgs{args[0], args[1], args[2], args[3], args[4]}); err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		return exitError
	}
	return 0
}

func writePods(a podsArgs) error {
	bus, source, sensor, err := loadPipeline(a.configDir)
	if err != nil {
		return err
	}
	for _, obj := range []interface{ SetNamespace(string) }{bus, source, sensor} {
		obj.SetNamespace(a.namespace)
	}
	config, err := loadControllerConfig(a.controllerConfig)
	if err != nil {
		return err
	}
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{v1alpha1.AddToScheme, corev1.AddToScheme, appsv1.AddToScheme} {
		if err := add(scheme); err != nil {
			return err
		}
	}
	cl := fake.NewClientBuilder().WithScheme(scheme).Build()
	logger := zap.NewNop().Sugar()
	ctx := context.Background()

	streamConfig := localStreamConfig
	if bus.Spec.JetStream != nil && bus.Spec.JetStream.StreamConfig != nil {
		streamConfig = *bus.Spec.JetStream.StreamConfig + "\n" + localStreamConfig
	}
	if bus.Spec.JetStream != nil {
		bus.Spec.JetStream.StreamConfig = &streamConfig
	}
	if err := installer.Install(ctx, bus, cl, kubefake.NewSimpleClientset(), config, logger); err != nil {
		return fmt.Errorf("EventBus %q: %w", bus.Name, err)
	}
	// The local bus is one nats-server without the controller's generated credentials: the
	// address is the pipeline's and no auth file is mounted.
	bus.Status.Config.JetStream.URL = a.natsURL
	bus.Status.Config.JetStream.AccessSecret = nil
	bus.Status.MarkDeployed("Local", "local nats-server")
	bus.Status.MarkConfigured()
	if err := cl.Create(ctx, bus); err != nil {
		return err
	}
	// The labels each controller gives what it creates; the Deployments are told apart by them.
	sensorArgs := &sensorreconciler.AdaptorArgs{Image: "argo-events", Sensor: sensor, Labels: map[string]string{
		"controller": "sensor-controller", v1alpha1.LabelSensorName: sensor.Name, v1alpha1.LabelOwnerName: sensor.Name,
	}}
	if err := sensorreconciler.Reconcile(cl, bus, sensorArgs, logger); err != nil {
		return fmt.Errorf("Sensor %q: %w", sensor.Name, err)
	}
	sourceArgs := &eventsourcereconciler.AdaptorArgs{Image: "argo-events", EventSource: source, Labels: map[string]string{
		"controller": "eventsource-controller", v1alpha1.LabelEventSourceName: source.Name, v1alpha1.LabelOwnerName: source.Name,
	}}
	if err := eventsourcereconciler.Reconcile(cl, sourceArgs, logger); err != nil {
		return fmt.Errorf("EventSource %q: %w", source.Name, err)
	}
	var deployments appsv1.DeploymentList
	if err := cl.List(ctx, &deployments, client.InNamespace(a.namespace)); err != nil {
		return err
	}
	written := map[string]bool{}
	for _, deploy := range deployments.Items {
		kind := ""
		switch deploy.Labels["controller"] {
		case "sensor-controller":
			kind = "sensor"
		case "eventsource-controller":
			kind = "eventsource"
		default:
			continue
		}
		if err := writePod(a.outDir, kind, deploy.Spec.Template.Spec); err != nil {
			return err
		}
		written[kind] = true
	}
	if !written["sensor"] || !written["eventsource"] {
		return fmt.Errorf("the controllers made no Deployment for %v", missing(written))
	}
	return writePipelineFacts(a.outDir, bus, source, sensor)
}

// writePipelineFacts writes OUT_DIR/pipeline.env: what the launcher needs besides the pods'
// environment (the webhook's port and path, the Sensor's ServiceAccount, how many durable
// consumers the Sensor makes, the JetStream version the EventBus names).
func writePipelineFacts(outDir string, bus *v1alpha1.EventBus, source *v1alpha1.EventSource, sensor *v1alpha1.Sensor) error {
	if len(source.Spec.Github) != 1 {
		return fmt.Errorf("EventSource %q: expected one github event, got %d", source.Name, len(source.Spec.Github))
	}
	var webhook *v1alpha1.WebhookContext
	for _, github := range source.Spec.Github {
		webhook = github.Webhook
	}
	if webhook == nil {
		return fmt.Errorf("EventSource %q: the github event has no webhook", source.Name)
	}
	consumers := 0
	for _, trigger := range sensor.Spec.Triggers {
		_, _, deps, err := triggerConditions(sensor, trigger)
		if err != nil {
			return fmt.Errorf("Sensor %q: trigger %s: %w", sensor.Name, trigger.Template.Name, err)
		}
		consumers += len(deps)
	}
	facts := map[string]string{
		"WEBHOOK_PORT":           webhook.Port,
		"WEBHOOK_PATH":           webhook.Endpoint,
		"SENSOR_NAME":            sensor.Name,
		"SENSOR_SERVICE_ACCOUNT": sensor.Spec.Template.ServiceAccountName,
		"SENSOR_CONSUMERS":       fmt.Sprint(consumers),
		"EVENTSOURCE_NAME":       source.Name,
		"JETSTREAM_VERSION":      bus.Spec.JetStream.Version,
	}
	keys := make([]string, 0, len(facts))
	for key := range facts {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	var out strings.Builder
	for _, key := range keys {
		fmt.Fprintf(&out, "%s=%s\n", key, shellQuote(facts[key]))
	}
	return os.WriteFile(filepath.Join(outDir, "pipeline.env"), []byte(out.String()), 0o600)
}

// loadPipeline reads the one EventBus, EventSource and Sensor of CONFIG_DIR, strictly and
// validated as their controllers validate them.
func loadPipeline(dir string) (*v1alpha1.EventBus, *v1alpha1.EventSource, *v1alpha1.Sensor, error) {
	var bus *v1alpha1.EventBus
	var source *v1alpha1.EventSource
	var sensor *v1alpha1.Sensor
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, nil, nil, err
	}
	for _, file := range files {
		docs, err := readDocuments(file)
		if err != nil {
			return nil, nil, nil, err
		}
		for _, doc := range docs {
			var into any
			switch doc.kind {
			case "EventBus":
				if bus != nil {
					return nil, nil, nil, fmt.Errorf("%s: a second EventBus", doc.file)
				}
				bus = &v1alpha1.EventBus{}
				into = bus
			case "EventSource":
				if source != nil {
					return nil, nil, nil, fmt.Errorf("%s: a second EventSource", doc.file)
				}
				source = &v1alpha1.EventSource{}
				into = source
			case "Sensor":
				if sensor != nil {
					return nil, nil, nil, fmt.Errorf("%s: a second Sensor", doc.file)
				}
				sensor = &v1alpha1.Sensor{}
				into = sensor
			default:
				continue
			}
			if err := decodeStrict(doc, into); err != nil {
				return nil, nil, nil, err
			}
			if err := validateDocument(doc); err != nil {
				return nil, nil, nil, fmt.Errorf("%s: %s %q is invalid: %w", doc.file, doc.kind, doc.name, err)
			}
		}
	}
	if bus == nil || source == nil || sensor == nil {
		return nil, nil, nil, fmt.Errorf("%s needs one EventBus, one EventSource and one Sensor", dir)
	}
	return bus, source, sensor, nil
}

// loadControllerConfig reads the Argo Events controller's ConfigMap (its data key
// controller-config.yaml), whose JetStream stream defaults and versions the EventBus uses.
func loadControllerConfig(path string) (*reconciler.GlobalConfig, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var configMap corev1.ConfigMap
	if err := yaml.Unmarshal(raw, &configMap); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var config reconciler.GlobalConfig
	if err := yaml.Unmarshal([]byte(configMap.Data["controller-config.yaml"]), &config); err != nil {
		return nil, fmt.Errorf("%s: controller-config.yaml: %w", path, err)
	}
	return &config, nil
}

// writePod writes OUT_DIR/KIND.env (export lines for the container's literal environment; a
// value taken from a field, such as POD_NAME, is the launcher's to set) and OUT_DIR/KIND.mounts
// (one "SECRET_NAME MOUNT_PATH" line per Secret volume mounted into the container).
func writePod(outDir, kind string, pod corev1.PodSpec) error {
	if len(pod.Containers) != 1 {
		return fmt.Errorf("%s: expected one container, got %d", kind, len(pod.Containers))
	}
	container := pod.Containers[0]
	var env strings.Builder
	for _, v := range container.Env {
		if v.ValueFrom == nil {
			fmt.Fprintf(&env, "export %s=%s\n", v.Name, shellQuote(v.Value))
		}
	}
	secrets := map[string]string{}
	for _, volume := range pod.Volumes {
		if volume.Secret != nil {
			secrets[volume.Name] = volume.Secret.SecretName
		}
	}
	var mounts []string
	for _, mount := range container.VolumeMounts {
		if secret, ok := secrets[mount.Name]; ok {
			mounts = append(mounts, secret+" "+mount.MountPath+"\n")
		}
	}
	sort.Strings(mounts)
	if err := os.WriteFile(filepath.Join(outDir, kind+".env"), []byte(env.String()), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(outDir, kind+".mounts"), []byte(strings.Join(mounts, "")), 0o600)
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func missing(written map[string]bool) []string {
	var out []string
	for _, kind := range []string{"sensor", "eventsource"} {
		if !written[kind] {
			out = append(out, kind)
		}
	}
	return out
}
