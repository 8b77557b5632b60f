// Package validate checks netops' deployment files against the tools that consume them and
// against the binary they deploy: the Dockerfile's build (run verbatim, the result checked for a
// static, starting binary), stack.yml with OpenFaaS's own stack parser, knative/ with Knative's
// own types (SetDefaults, then Validate), and deploy/monitoring with a real Prometheus and
// Alertmanager against a running `netops up`.
//
// It is a module of its own so that the Kubernetes and Knative dependencies stay out of the main
// module; it reads the repository's files and runs the binary it builds, and imports nothing of
// the main module. The package holds only tests: `cd deploy/validate && go test ./...`.
//
// Prometheus, Alertmanager, promtool and amtool come from Debian's prometheus and
// prometheus-alertmanager packages; without them those tests skip, unless
// NETOPS_TEST_REQUIRE_MONITORING=1 (scripts/test.sh sets it), when they fail.
package validate
