// Command healthcheck is the container image's HEALTHCHECK: it asks the netops process in the
// same container for one of its health paths and exits 0 only on a 2xx answer.
//
// The runtime image is distroless (no shell, no curl, no wget), so the probe is a static binary
// of its own; it has no dependencies beyond the standard library and is kept out of the main
// module so the function binary does not grow a subcommand for Docker's sake. Kubernetes,
// OpenFaaS and Knative ignore HEALTHCHECK and probe the same paths over HTTP themselves.
//
// Usage: healthcheck [path]   (default /_/health; the port is $PORT, default 8080)
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	path := "/_/health"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	if err := check(os.Getenv("PORT"), path, 2*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		os.Exit(1)
	}
}

// check GETs http://127.0.0.1:<port><path> and fails on anything but a 2xx status.
func check(port, path string, timeout time.Duration) error {
	if port == "" {
		port = "8080"
	}
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("path %q must start with /", path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	url := "http://" + net.JoinHostPort("127.0.0.1", port) + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
