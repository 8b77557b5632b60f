package validate

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	eventingv1 "knative.dev/eventing/pkg/apis/eventing/v1"
	messagingv1 "knative.dev/eventing/pkg/apis/messaging/v1"
	"knative.dev/pkg/apis"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/yaml"
)

// knativeObjects is everything knative/ declares (and the example Secrets beside it), typed.
type knativeObjects struct {
	Services   map[string]*servingv1.Service
	Triggers   []*eventingv1.Trigger
	Brokers    map[string]*eventingv1.Broker
	Channels   map[string]*messagingv1.Channel
	ConfigMaps map[string]*corev1.ConfigMap // namespace/name
	Secrets    map[string]*corev1.Secret    // namespace/name
	Namespaces []string
}

// validatable is what Knative's types implement: defaulting then validation, as the webhook does.
type validatable interface {
	SetDefaults(context.Context)
	Validate(context.Context) *apis.FieldError
}

// readManifests decodes every YAML document of the given files strictly into Knative's and
// Kubernetes' own types (an unknown field fails), keyed by kind.
func readManifests(t *testing.T, files []string) *knativeObjects {
	t.Helper()
	objs := &knativeObjects{Services: map[string]*servingv1.Service{}, Brokers: map[string]*eventingv1.Broker{},
		Channels: map[string]*messagingv1.Channel{}, ConfigMaps: map[string]*corev1.ConfigMap{}, Secrets: map[string]*corev1.Secret{}}
	for _, file := range files {
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(readFile(t, file))))
		for i := 0; ; i++ {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: document %d: %v", file, i, err)
			}
			var head struct{ APIVersion, Kind string }
			if err := yaml.Unmarshal(doc, &head); err != nil {
				t.Fatalf("%s: document %d: %v", file, i, err)
			}
			if head.Kind == "" {
				continue // comments only
			}
			where := filepath.Base(file) + " " + head.Kind
			strict := func(into any) {
				if err := yaml.UnmarshalStrict(doc, into); err != nil {
					t.Fatalf("%s: %v", where, err)
				}
			}
			switch head.APIVersion + " " + head.Kind {
			case "serving.knative.dev/v1 Service":
				var s servingv1.Service
				strict(&s)
				objs.Services[s.Name] = &s
			case "eventing.knative.dev/v1 Trigger":
				var tr eventingv1.Trigger
				strict(&tr)
				objs.Triggers = append(objs.Triggers, &tr)
			case "eventing.knative.dev/v1 Broker":
				var b eventingv1.Broker
				strict(&b)
				objs.Brokers[b.Name] = &b
			case "messaging.knative.dev/v1 Channel":
				var c messagingv1.Channel
				strict(&c)
				objs.Channels[c.Name] = &c
			case "v1 ConfigMap":
				var cm corev1.ConfigMap
				strict(&cm)
				objs.ConfigMaps[cm.Namespace+"/"+cm.Name] = &cm
			case "v1 Secret":
				var s corev1.Secret
				strict(&s)
				objs.Secrets[s.Namespace+"/"+s.Name] = &s
			case "v1 Namespace":
				var ns corev1.Namespace
				strict(&ns)
				objs.Namespaces = append(objs.Namespaces, ns.Name)
			default:
				t.Errorf("%s: unexpected %s %s (no validation for it here)", filepath.Base(file), head.APIVersion, head.Kind)
			}
		}
	}
	return objs
}

// loadKnative reads knative/*.yaml (what `kubectl apply -f knative/` applies) and the example
// Secrets of knative/secrets/.
func loadKnative(t *testing.T) *knativeObjects {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "knative")
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	secrets, _ := filepath.Glob(filepath.Join(dir, "secrets", "*.yaml"))
	if len(files) == 0 || len(secrets) == 0 {
		t.Fatalf("no manifests in %s (%d) or example secrets in %s/secrets (%d)", dir, len(files), dir, len(secrets))
	}
	return readManifests(t, append(files, secrets...))
}

// validate runs SetDefaults and Validate as Knative's webhook does on create, failing on errors
// and on warnings alike.
func validate(t *testing.T, what string, obj validatable) {
	t.Helper()
	ctx := apis.WithinCreate(context.Background())
	obj.SetDefaults(ctx)
	fe := obj.Validate(ctx)
	if errs := fe.Filter(apis.ErrorLevel); errs != nil {
		t.Errorf("%s: invalid: %v", what, errs)
	}
	if warns := fe.Filter(apis.WarningLevel); warns != nil {
		t.Errorf("%s: warnings: %v", what, warns)
	}
}

// TestKnativeValidates runs every Service, Broker, Channel and Trigger through Knative's own
// defaulting and validation.
func TestKnativeValidates(t *testing.T) {
	objs := loadKnative(t)
	if !slices.Contains(objs.Namespaces, "netops") {
		t.Error("knative/ does not create the netops namespace")
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range objs.Services {
			if !yield(n) {
				return
			}
		}
	})
	if !slices.Equal(names, slices.Sorted(slices.Values(targets))) {
		t.Fatalf("Services %v, want the seven functions %v", names, targets)
	}
	for name, s := range objs.Services {
		validate(t, "Service "+name, s)
	}
	for name, b := range objs.Brokers {
		validate(t, "Broker "+name, b)
	}
	for name, c := range objs.Channels {
		validate(t, "Channel "+name, c)
	}
	for _, tr := range objs.Triggers {
		validate(t, "Trigger "+tr.Name, tr)
	}
}

// TestKnativeServices checks what Knative's validation cannot know: each Service runs its own
// target from the one image, probes the runtime's paths, scales as its function can, runs
// read-only as non-root, and reads only variables, ConfigMaps and Secrets that exist.
func TestKnativeServices(t *testing.T) {
	objs := loadKnative(t)
	direct := directEnv(t)
	images := map[string]bool{}
	for _, name := range targets {
		s, ok := objs.Services[name]
		if !ok {
			t.Errorf("no Service %s", name)
			continue
		}
		spec := s.Spec.Template.Spec
		if len(spec.Containers) != 1 {
			t.Errorf("%s: %d containers, want 1", name, len(spec.Containers))
			continue
		}
		c := spec.Containers[0]
		images[c.Image] = true
		env := map[string]corev1.EnvVar{}
		for _, e := range c.Env {
			env[e.Name] = e
		}
		if env["NETOPS_TARGET"].Value != name {
			t.Errorf("%s: NETOPS_TARGET=%q", name, env["NETOPS_TARGET"].Value)
		}
		if len(c.Ports) != 1 || c.Ports[0].ContainerPort != 8080 {
			t.Errorf("%s: ports %v, want containerPort 8080", name, c.Ports)
		}
		if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
			t.Errorf("%s: readiness probe %+v, want httpGet /readyz", name, c.ReadinessProbe)
		}
		if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
			t.Errorf("%s: liveness probe %+v, want httpGet /healthz", name, c.LivenessProbe)
		}
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Errorf("%s: want securityContext readOnlyRootFilesystem and runAsNonRoot", name)
		}
		if s.Labels["app.kubernetes.io/part-of"] != "netops" || s.Spec.Template.Labels["app.kubernetes.io/part-of"] != "netops" {
			t.Errorf("%s: pods lack app.kubernetes.io/part-of=netops: Prometheus would not scrape them", name)
		}

		ann := s.Spec.Template.Annotations
		lo, err1 := strconv.Atoi(ann["autoscaling.knative.dev/min-scale"])
		hi, err2 := strconv.Atoi(ann["autoscaling.knative.dev/max-scale"])
		if err1 != nil || err2 != nil {
			t.Errorf("%s: min-scale %q max-scale %q: want both set", name, ann["autoscaling.knative.dev/min-scale"], ann["autoscaling.knative.dev/max-scale"])
			continue
		}
		cc := int64(-1)
		if spec.ContainerConcurrency != nil {
			cc = *spec.ContainerConcurrency
		}
		serial := isSerial(t, name)
		switch {
		case name == "model-server":
			if lo < 1 || hi < 2 {
				t.Errorf("model-server: min-scale %d max-scale %d: want >= 1 (no cold starts) and room to scale out", lo, hi)
			}
		case name == "project-runner":
			if lo != 1 || hi != 1 {
				t.Errorf("project-runner: min-scale %d max-scale %d: want exactly one replica", lo, hi)
			}
		case name == "generator":
			if lo != 1 || hi != 1 {
				t.Errorf("generator: min-scale %d max-scale %d: its clock runs in one replica", lo, hi)
			}
		case serial:
			if lo != 0 || hi != 1 || cc != 1 {
				t.Errorf("%s (Serial, a batch function): min-scale %d max-scale %d containerConcurrency %d, want 0, 1, 1 (pushed events one at a time, in one replica)", name, lo, hi, cc)
			}
		}
		if serial && hi != 1 {
			t.Errorf("%s is Serial but may run %d replicas", name, hi)
		}

		// Variables: each one netops reads; each reference resolvable.
		out, err := runBinary(t, nil, netopsBin(t), "run", "--target="+name, "--help")
		if err != nil {
			t.Errorf("%s: netops run --help: %v\n%s", name, err, out)
			continue
		}
		known := helpEnv(out)
		check := func(k string) {
			if strings.HasPrefix(k, "NETOPS_") && !known[k] && !direct[k] {
				t.Errorf("%s: %s is not a variable netops reads", name, k)
			}
		}
		for k, e := range env {
			check(k)
			if ref := e.ValueFrom; ref != nil && ref.SecretKeyRef != nil {
				sec, ok := objs.Secrets[s.Namespace+"/"+ref.SecretKeyRef.Name]
				if _, hasKey := sec.StringData[ref.SecretKeyRef.Key]; !ok || !hasKey {
					t.Errorf("%s: %s reads key %s of Secret %s, which knative/secrets/ does not declare", name, k, ref.SecretKeyRef.Key, ref.SecretKeyRef.Name)
				}
			}
		}
		for _, from := range c.EnvFrom {
			if from.ConfigMapRef == nil {
				t.Errorf("%s: envFrom other than a ConfigMap", name)
				continue
			}
			cm, ok := objs.ConfigMaps[s.Namespace+"/"+from.ConfigMapRef.Name]
			if !ok {
				t.Errorf("%s: envFrom ConfigMap %s is not in knative/", name, from.ConfigMapRef.Name)
				continue
			}
			for k := range cm.Data {
				check(k)
			}
		}
	}
	if len(images) != 1 {
		t.Errorf("images %v: want one image for every function", images)
	}
}

// TestKnativeEventing checks the event routing: a Trigger per event type each function consumes
// (no more, no less) from the netops Broker, retries with exponential backoff into the
// dead-letter Channel, and the Broker's channel a NATS JetStream channel that sources the
// functions' NETOPS stream and talks to the same NATS.
func TestKnativeEventing(t *testing.T) {
	objs := loadKnative(t)
	pub := published(t)
	got := map[string][]string{}
	for _, tr := range objs.Triggers {
		ref := tr.Spec.Subscriber.Ref
		if ref == nil || ref.Kind != "Service" || ref.APIVersion != "serving.knative.dev/v1" || objs.Services[ref.Name] == nil {
			t.Errorf("Trigger %s: subscriber %+v is not one of the Services", tr.Name, tr.Spec.Subscriber)
			continue
		}
		if _, ok := objs.Brokers[tr.Spec.Broker]; !ok {
			t.Errorf("Trigger %s: broker %q is not declared", tr.Name, tr.Spec.Broker)
		}
		var typ string
		if tr.Spec.Filter != nil {
			typ = tr.Spec.Filter.Attributes["type"]
		}
		if _, ok := pub[typ]; !ok {
			t.Errorf("Trigger %s: type %q is not an event anything publishes", tr.Name, typ)
		}
		got[ref.Name] = append(got[ref.Name], typ)
		d := tr.Spec.Delivery
		if d == nil || d.Retry == nil || *d.Retry < 1 || d.BackoffPolicy == nil || *d.BackoffPolicy != "exponential" || d.BackoffDelay == nil {
			t.Errorf("Trigger %s: delivery %+v: want retries with exponential backoff", tr.Name, d)
		} else if sink := d.DeadLetterSink; sink == nil || sink.Ref == nil || objs.Channels[sink.Ref.Name] == nil {
			t.Errorf("Trigger %s: dead-letter sink %+v is not a declared Channel", tr.Name, d.DeadLetterSink)
		}
	}
	for _, name := range targets {
		sort.Strings(got[name])
		if want := consumes(t, name); !slices.Equal(got[name], want) {
			t.Errorf("%s: Triggers deliver %v, want the types it consumes %v", name, got[name], want)
		}
	}

	stream := regexp.MustCompile(`StreamName\s*=\s*"([^"]+)"`).FindStringSubmatch(string(readFile(t, filepath.Join(repoRoot(t), "internal", "bus", "bus.go"))))
	if stream == nil {
		t.Fatal("internal/bus/bus.go: no StreamName constant")
	}
	for name, b := range objs.Brokers {
		if cls := b.Annotations["eventing.knative.dev/broker.class"]; cls != "MTChannelBasedBroker" {
			t.Errorf("Broker %s: class %q, want MTChannelBasedBroker (channel-based)", name, cls)
		}
		if b.Spec.Config == nil || b.Spec.Config.Kind != "ConfigMap" {
			t.Errorf("Broker %s: no channel ConfigMap", name)
			continue
		}
		cm, ok := objs.ConfigMaps[b.Spec.Config.Namespace+"/"+b.Spec.Config.Name]
		if !ok {
			t.Errorf("Broker %s: ConfigMap %s/%s is not in knative/", name, b.Spec.Config.Namespace, b.Spec.Config.Name)
			continue
		}
		// Parsed as Knative's MT broker reconciler parses it (pkg/reconciler/broker/config.go).
		var tmpl messagingv1.ChannelTemplateSpec
		j, err := yaml.YAMLToJSON([]byte(cm.Data["channel-template-spec"]))
		if err == nil {
			err = yaml.Unmarshal(j, &tmpl)
		}
		if err != nil {
			t.Errorf("Broker %s: channel-template-spec: %v", name, err)
			continue
		}
		checkJetStreamTemplate(t, "Broker "+name, tmpl, stream[1])
	}
	for name, c := range objs.Channels {
		if c.Spec.ChannelTemplate == nil {
			t.Errorf("Channel %s: no channelTemplate", name)
			continue
		}
		checkJetStreamTemplate(t, "Channel "+name, *c.Spec.ChannelTemplate, "")
	}

	natsCfg, ok := objs.ConfigMaps["knative-eventing/config-nats"]
	if !ok {
		t.Fatal("knative/ does not configure eventing-natss (ConfigMap knative-eventing/config-nats)")
	}
	var dispatcher struct {
		URL string `json:"url"`
	}
	if err := yaml.Unmarshal([]byte(natsCfg.Data["eventing-nats"]), &dispatcher); err != nil {
		t.Fatalf("config-nats eventing-nats: %v", err)
	}
	if fnURL := objs.ConfigMaps["netops/netops-config"].Data["NETOPS_NATS_URL"]; dispatcher.URL == "" || dispatcher.URL != fnURL {
		t.Errorf("the JetStream channel dispatcher connects to %q, the functions to %q: want the same NATS", dispatcher.URL, fnURL)
	}
}

// checkJetStreamTemplate checks a channel template is eventing-natss' NatsJetStreamChannel and,
// when source is set, that its stream sources that stream.
func checkJetStreamTemplate(t *testing.T, what string, tmpl messagingv1.ChannelTemplateSpec, source string) {
	t.Helper()
	if tmpl.APIVersion != "messaging.knative.dev/v1alpha1" || tmpl.Kind != "NatsJetStreamChannel" {
		t.Errorf("%s: channel %s %s, want messaging.knative.dev/v1alpha1 NatsJetStreamChannel", what, tmpl.APIVersion, tmpl.Kind)
	}
	if source == "" {
		return
	}
	var spec struct {
		Stream struct {
			Config struct {
				Sources []struct {
					Name string `json:"name"`
				} `json:"sources"`
			} `json:"config"`
		} `json:"stream"`
	}
	if tmpl.Spec == nil || yaml.Unmarshal(tmpl.Spec.Raw, &spec) != nil {
		t.Errorf("%s: channel template has no readable spec", what)
		return
	}
	for _, s := range spec.Stream.Config.Sources {
		if s.Name == source {
			return
		}
	}
	t.Errorf("%s: the channel's stream does not source %s: events the functions publish would never reach the Broker", what, source)
}

// TestKnativeFunctionsStart starts each function with the environment its Knative Service gives
// it (literal values, the ConfigMap, Secret values; NATS and the store pointed at the test's)
// and checks the probes Knative runs answer.
func TestKnativeFunctionsStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	objs := loadKnative(t)
	for _, name := range targets {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := objs.Services[name]
			if s == nil {
				t.Fatalf("no Service %s", name)
			}
			c := s.Spec.Template.Spec.Containers[0]
			env := map[string]string{}
			for _, from := range c.EnvFrom {
				if cm := objs.ConfigMaps[s.Namespace+"/"+from.ConfigMapRef.Name]; cm != nil {
					for k, v := range cm.Data {
						env[k] = v
					}
				}
			}
			for _, e := range c.Env {
				switch {
				case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
					env[e.Name] = "validate-" + e.ValueFrom.SecretKeyRef.Key
				case e.ValueFrom == nil:
					env[e.Name] = e.Value
				}
			}
			startDeployed(t, name, deployedEnv{Env: env, Ready: c.ReadinessProbe.HTTPGet.Path, Live: c.LivenessProbe.HTTPGet.Path})
		})
	}
}
