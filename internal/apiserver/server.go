// Package apiserver runs a real Kubernetes API server (kube-apiserver over
// etcd, the binaries `make tools` builds into .cache/bin) on 127.0.0.1 for
// tests, and checks objects against it the way a cluster would take them:
// server-side dry run with strict field validation, server-side apply, and a
// re-apply that must change nothing (Check).
//
// There is no controller manager: nothing reconciles, garbage-collects or
// finalizes namespaces. What the API server itself decides (admission,
// schema and CEL validation, defaulting, field management) is all there is
// to check, and all that is needed.
package apiserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
)

// Options says which binaries to run and where they keep their files.
type Options struct {
	APIServer string // the kube-apiserver binary
	Etcd      string // the etcd binary
	// Dir holds etcd's data, the certificates, the token file and both
	// logs; a test's t.TempDir(). It must exist.
	Dir string
	// StartTimeout bounds each of etcd's and the API server's start;
	// 90 s when zero (a loaded 2-core machine).
	StartTimeout time.Duration
}

// Server is a running etcd and kube-apiserver.
type Server struct {
	// Config reaches the API server as an admin (group system:masters).
	Config *rest.Config
	// StartTime is how long Start took, etcd and the API server's /readyz.
	StartTime time.Duration

	dir       string
	etcd      *exec.Cmd
	apiserver *exec.Cmd
	exited    map[*exec.Cmd]chan error // closed with the exit status when the process ends
}

// Start runs etcd, then kube-apiserver against it, both bound to 127.0.0.1
// on free ports, and returns once the API server's /readyz answers ok.
func Start(ctx context.Context, o Options) (*Server, error) {
	begin := time.Now()
	if o.StartTimeout == 0 {
		o.StartTimeout = 90 * time.Second
	}
	s := &Server{dir: o.Dir, exited: map[*exec.Cmd]chan error{}}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdClient, etcdPeer, secure := ports[0], ports[1], ports[2]
	if err := s.startEtcd(ctx, o, etcdClient, etcdPeer); err != nil {
		s.Stop()
		return nil, err
	}
	if err := s.startAPIServer(ctx, o, etcdClient, secure); err != nil {
		s.Stop()
		return nil, err
	}
	s.StartTime = time.Since(begin)
	return s, nil
}

// Stop ends the API server, then etcd: the other way round the API server's
// shutdown hangs on its etcd connections.
func (s *Server) Stop() error {
	return errors.Join(s.stop(s.apiserver, "kube-apiserver"), s.stop(s.etcd, "etcd"))
}

func (s *Server) stop(cmd *exec.Cmd, name string) error {
	if cmd == nil {
		return nil
	}
	exited := s.exited[cmd]
	select {
	case <-exited:
		return nil // already gone (it failed to start, or was stopped)
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		return nil
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("stopping %s: no exit 30 s after SIGTERM, killed", name)
	}
}

func (s *Server) startEtcd(ctx context.Context, o Options, client, peer int) error {
	clientURL := "http://127.0.0.1:" + strconv.Itoa(client)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(peer)
	args := []string{
		"--name=default",
		"--data-dir=" + filepath.Join(o.Dir, "etcd"),
		"--listen-client-urls=" + clientURL,
		"--advertise-client-urls=" + clientURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=default=" + peerURL,
		// test data, thrown away: no fsync makes every write much faster
		"--unsafe-no-fsync",
	}
	cmd, err := s.run(o.Etcd, args, "etcd.log")
	if err != nil {
		return err
	}
	s.etcd = cmd
	health := func(ctx context.Context) error {
		return get(ctx, http.DefaultClient, clientURL+"/health", "", `"health":"true"`)
	}
	return s.waitReady(ctx, cmd, "etcd", o.StartTimeout, health)
}

func (s *Server) startAPIServer(ctx context.Context, o Options, etcdClient, secure int) error {
	f, err := writeCredentials(o.Dir)
	if err != nil {
		return err
	}
	args := []string{
		"--etcd-servers=http://127.0.0.1:" + strconv.Itoa(etcdClient),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(secure),
		"--cert-dir=" + o.Dir,
		"--tls-cert-file=" + f.servingCert,
		"--tls-private-key-file=" + f.servingKey,
		"--token-auth-file=" + f.tokens,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + f.serviceAccountKey,
		"--service-account-signing-key-file=" + f.serviceAccountKey,
		// The kubernetes Service's Endpoints would list the advertise
		// address, and a loopback address is refused there.
		"--endpoint-reconciler-type=none",
		// One client, no contention to arbitrate; fewer moving parts at
		// start.
		"--enable-priority-and-fairness=false",
		"--profiling=false",
	}
	cmd, err := s.run(o.APIServer, args, "kube-apiserver.log")
	if err != nil {
		return err
	}
	s.apiserver = cmd
	host := "https://127.0.0.1:" + strconv.Itoa(secure)
	s.Config = &rest.Config{
		Host:            host,
		BearerToken:     f.adminToken,
		TLSClientConfig: rest.TLSClientConfig{CAData: f.caPEM},
		// One test client sending requests one after another: client-go's
		// default of 5 per second would make the check crawl.
		QPS:   1000,
		Burst: 1000,
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(f.caPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	ready := func(ctx context.Context) error {
		return get(ctx, client, host+"/readyz", f.adminToken, "ok")
	}
	return s.waitReady(ctx, cmd, "kube-apiserver", o.StartTimeout, ready)
}

// run starts a binary with its output in a log file of the server's
// directory, and watches for its exit.
func (s *Server) run(bin string, args []string, logName string) (*exec.Cmd, error) {
	logFile, err := os.Create(filepath.Join(s.dir, logName))
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", logName, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	s.exited[cmd] = exited
	go func() {
		err := cmd.Wait()
		logFile.Close()
		exited <- err
		close(exited)
	}()
	return cmd, nil
}

// waitReady polls ready until it succeeds, the process exits (its log's
// tail is the error then) or the timeout passes.
func (s *Server) waitReady(ctx context.Context, cmd *exec.Cmd, name string, timeout time.Duration, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if last = ready(ctx); last == nil {
			return nil
		}
		select {
		case err := <-s.exited[cmd]:
			return fmt.Errorf("%s exited before it was ready (%v):\n%s", name, err, s.logTail(cmd))
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %v:\n%s", name, timeout, last, s.logTail(cmd))
		case <-tick.C:
		}
	}
}

// logTail returns the last lines of a process's log, for errors.
func (s *Server) logTail(cmd *exec.Cmd) string {
	f, ok := cmd.Stdout.(*os.File)
	if !ok {
		return ""
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

// get succeeds when url answers 200 with a body containing want.
func get(ctx context.Context, client *http.Client, url, token, want string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

// freePorts returns n distinct ports free on 127.0.0.1 at the time of the
// call: all are held open until every one is picked, so none repeats.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
