// Package moto starts moto's server mode (an independent AWS emulator,
// `moto_server`, preinstalled on the build machines) for tests that need a
// service's real semantics — DynamoDB's condition and update expressions —
// rather than a fake's. It listens on 127.0.0.1 only and is stopped when the
// test ends. Where moto_server is missing the test is skipped with a visible
// message, unless MOTO_REQUIRED=1 (CI) makes that a failure.
package moto

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Server is a running moto server.
type Server struct {
	// Endpoint is its base URL (http://127.0.0.1:PORT).
	Endpoint string
}

// Start starts moto_server for the test (or skips it, see the package doc).
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		if os.Getenv("MOTO_REQUIRED") == "1" {
			t.Fatalf("moto_server is not installed and MOTO_REQUIRED=1: %v", err)
		}
		t.Skip("SKIPPED: moto_server (pip package moto[server]) is not installed; these tests need its DynamoDB emulation")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start moto_server: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	srv := &Server{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port)}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(srv.Endpoint + "/moto-api/")
		if err == nil {
			_ = resp.Body.Close()
			return srv
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer on %s within 30s: %v", srv.Endpoint, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Config is an AWS configuration that talks to the server with dummy
// credentials in us-east-1.
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint:     aws.String(s.Endpoint),
		RetryMaxAttempts: 1,
	}
}
