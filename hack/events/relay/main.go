// Command relay forwards TCP connections between network namespaces of the local pipeline:
// each argument LISTEN=TARGET accepts on LISTEN and copies bytes both ways to a fresh
// connection to TARGET. The Sensor, in a network namespace of its own, reaches the API server
// (bound to the host's 127.0.0.1) through one; clients on 127.0.0.1 reach the EventSource's
// webhook, in another namespace, through another. A target that refuses closes the accepted
// connection at once, as the target itself would.
package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"time"
)

const dialTimeout = 5 * time.Second

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: relay LISTEN=TARGET...")
		os.Exit(2)
	}
	for _, pair := range os.Args[1:] {
		listen, target, ok := strings.Cut(pair, "=")
		if !ok {
			log.Fatalf("%q is not LISTEN=TARGET", pair)
		}
		listener, err := net.Listen("tcp", listen)
		if err != nil {
			log.Fatalf("listen on %s: %v", listen, err)
		}
		log.Printf("relaying %s to %s", listen, target)
		go serve(listener, target)
	}
	select {}
}

func serve(listener net.Listener, target string) {
	for {
		conn, err := listener.Accept()
		if err != nil {
			log.Fatalf("accept on %s: %v", listener.Addr(), err)
		}
		go relay(conn.(*net.TCPConn), target)
	}
}

func relay(client *net.TCPConn, target string) {
	defer client.Close()
	dialed, err := net.DialTimeout("tcp", target, dialTimeout)
	if err != nil {
		return
	}
	server := dialed.(*net.TCPConn)
	defer server.Close()
	done := make(chan struct{}, 2)
	pipe := func(to, from *net.TCPConn) {
		_, _ = io.Copy(to, from)
		// Half-close, so a client that ends its request still reads the whole answer.
		_ = to.CloseWrite()
		done <- struct{}{}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done
	<-done
}
