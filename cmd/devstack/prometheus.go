package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/virtual-store/virtual-store/internal/localprom"
)

// The local Prometheus `make run` starts when the prometheus binary is
// installed: it scrapes every admin port and evaluates the same rule files
// as the Kubernetes monitoring component (kustomize/components/monitoring/
// rules), so an alert can be tried on a laptop before it reaches a cluster.
// The configuration and the process are internal/localprom's, shared with
// the observability proof (e2e/observability_test.go).
const (
	promListen     = "127.0.0.1:9090"
	promDir        = ".data/prometheus"
	promInstallMsg = "Prometheus is not installed, so none is started (for /metrics in graphs and the store's alert rules: apt-get install prometheus)"
	promHeader     = "# Written by devstack (`make run`) at every start; edits are overwritten.\n" +
		"# The rules are the Kubernetes monitoring component's (kustomize/components/monitoring/rules).\n"
)

// localPromConfig is the configuration for the stack's admin ports.
func localPromConfig(rulesDir string) localprom.Config {
	c := localprom.Config{ScrapeInterval: 5 * time.Second, EvalInterval: 15 * time.Second, RulesDir: rulesDir, Listen: promListen, Header: promHeader}
	for _, p := range stack {
		c.Targets = append(c.Targets, localprom.Target{Service: p.name, Addr: "127.0.0.1:" + strconv.Itoa(p.admin)})
	}
	return c
}

// startMonitoring starts the local Prometheus if it can: the binary bin is
// installed ("" turns it off) and its port is free. It never fails the
// store: it returns nil and the one line the banner prints instead. A
// Prometheus that exits later is reported on stdout; the store goes on
// without it.
func startMonitoring(bin, rulesDir string) (*localprom.Server, string) {
	if bin == "" {
		return nil, "prometheus not started (-prometheus \"\")"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, promInstallMsg
	}
	ln, err := net.Listen("tcp", promListen)
	if err != nil {
		return nil, fmt.Sprintf("prometheus not started: %s is taken (%v); stop whatever listens there (another Prometheus?) to get the store's own", promListen, unwrapOp(err))
	}
	ln.Close()
	if _, err := os.Stat(rulesDir); err != nil {
		fmt.Println(red(fmt.Sprintf("devstack: no alert rules at %s (%v); Prometheus starts without rules", rulesDir, err)))
		rulesDir = ""
	}
	p, err := localprom.Start(path, promDir, localPromConfig(rulesDir))
	if err != nil {
		return nil, red("prometheus not started: " + err.Error())
	}
	go func() {
		<-p.Done()
		if !p.Stopping() {
			fmt.Println(red("devstack: prometheus exited; the store keeps running (log: " + p.LogFile + ")"))
		}
	}()
	return p, ""
}

// unwrapOp drops the "listen tcp 127.0.0.1:9090: " prefix of a listen error.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}
