//go:build act && linux

package e2e

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/relproof/relproof/internal/testing/fakesigstore"
)

// requesterEnv is the environment of the local process whose TCP
// connection comes from remoteAddr (a loopback request's RemoteAddr): the
// socket's inode from /proc/net/tcp{,6}, the process that holds it from
// /proc/*/fd, its environment from /proc/PID/environ. act runs every job
// of a run on this host with one environment but its own GITHUB_JOB, and
// this is how the fake OIDC issuer tells the jobs apart.
func requesterEnv(remoteAddr string) (map[string]string, error) {
	host, portText, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, err
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%s: not a loopback address", remoteAddr)
	}
	inode, err := socketInode(ip, uint16(port))
	if err != nil {
		return nil, err
	}
	link := fmt.Sprintf("socket:[%s]", inode)
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		if target, err := os.Readlink(fd); err == nil && target == link {
			pid := strings.Split(fd, "/")[2]
			b, err := os.ReadFile("/proc/" + pid + "/environ")
			if err != nil {
				return nil, err
			}
			env := map[string]string{}
			for _, kv := range bytes.Split(b, []byte{0}) {
				if k, v, ok := strings.Cut(string(kv), "="); ok {
					env[k] = v
				}
			}
			return env, nil
		}
	}
	return nil, fmt.Errorf("no process holds the socket of %s", remoteAddr)
}

// socketInode finds the inode of the TCP socket whose local address is
// ip:port.
func socketInode(ip net.IP, port uint16) (string, error) {
	want := procAddr(ip, port)
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			// An earlier connection from the same port may linger in
			// TIME_WAIT, owned by no process (inode 0): the live one is
			// the one to find.
			if len(f) > 9 && strings.EqualFold(f[1], want) && f[9] != "0" {
				return f[9], nil
			}
		}
	}
	return "", fmt.Errorf("no socket %s in /proc/net/tcp{,6}", want)
}

// procAddr writes ip:port as /proc/net/tcp does: the address as 32-bit
// words in host (little-endian) order, then the port, in hex.
func procAddr(ip net.IP, port uint16) string {
	var b strings.Builder
	if v4 := ip.To4(); v4 != nil {
		fmt.Fprintf(&b, "%02X%02X%02X%02X", v4[3], v4[2], v4[1], v4[0])
	} else {
		for i := 0; i < 16; i += 4 {
			fmt.Fprintf(&b, "%02X%02X%02X%02X", ip[i+3], ip[i+2], ip[i+1], ip[i])
		}
	}
	fmt.Fprintf(&b, ":%04X", port)
	return b.String()
}

// reusableJobs are the jobs of our reusable workflows, by GITHUB_JOB: a
// token asked for by one of them names that workflow (job_workflow_ref),
// as GitHub's does. Any other job is the caller's own.
var reusableJobs = map[string]string{
	"attest":  "relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1",
	"prepare": "relproof/relproof/.github/workflows/deploy-gate.yml@refs/tags/v1",
	"approve": "relproof/relproof/.github/workflows/deploy-gate.yml@refs/tags/v1",
	"record":  "relproof/relproof/.github/workflows/release-record.yml@refs/tags/v1",
}

// jobClaims gives each job of an act run its own job_workflow_ref.
func jobClaims(r *http.Request, c fakesigstore.Claims) (fakesigstore.Claims, error) {
	env, err := requesterEnv(r.RemoteAddr)
	if err != nil {
		return c, fmt.Errorf("which job asks: %w", err)
	}
	job := env["GITHUB_JOB"]
	if job == "" {
		return c, fmt.Errorf("the process asking for a token has no GITHUB_JOB")
	}
	c.JobWorkflowRef, c.JobWorkflowSHA = reusableJobs[job], ""
	return c, nil
}

func TestRequesterEnv(t *testing.T) {
	t.Setenv("RELPROOF_E2E_PROBE", "this process")
	var got map[string]string
	var gotErr error
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, gotErr = requesterEnv(r.RemoteAddr)
	}))
	defer srv.Close()
	// A child process asks, as relproof does in an act step.
	cmd := exec.Command("curl", "-fsS", srv.URL)
	cmd.Env = append(os.Environ(), "GITHUB_JOB=approve")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("curl (the e2e needs it, as the set-up action does): %v %s", err, out)
	}
	if gotErr != nil || got["GITHUB_JOB"] != "approve" || got["RELPROOF_E2E_PROBE"] != "this process" {
		t.Errorf("requesterEnv = GITHUB_JOB %q, probe %q, %v; want approve, this process", got["GITHUB_JOB"], got["RELPROOF_E2E_PROBE"], gotErr)
	}
}
