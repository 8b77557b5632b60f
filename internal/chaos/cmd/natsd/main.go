// Command natsd is a standalone NATS server with JetStream file storage (bus.StartEmbedded in a
// process of its own), so the chaos suite can stop and restart the broker under the functions.
//
//	natsd -dir /tmp/js -port 4222
//
// It prints "ready <url>" once it accepts connections and shuts down cleanly on SIGTERM or SIGINT.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/netopsfn/netops/internal/bus"
)

func main() {
	dir := flag.String("dir", "", "JetStream storage directory (required)")
	host := flag.String("host", "127.0.0.1", "listen host")
	port := flag.Int("port", 4222, "listen port (-1: any free port)")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "natsd: -dir is required")
		os.Exit(2)
	}
	srv, err := bus.StartEmbedded(*dir, *host, *port)
	if err != nil {
		fmt.Fprintln(os.Stderr, "natsd:", err)
		os.Exit(1)
	}
	fmt.Println("ready", srv.URL())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	srv.Shutdown()
}
