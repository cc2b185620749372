package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/goccy/go-yaml"
)

// The local Prometheus `make run` starts when the prometheus binary is
// installed: it scrapes every admin port and evaluates the same rule files
// as the Kubernetes monitoring component (kustomize/components/monitoring/
// rules), so an alert can be tried on a laptop before it reaches a cluster.
const (
	promListen     = "127.0.0.1:9090"
	promDir        = ".data/prometheus"
	promInstallMsg = "Prometheus is not installed, so none is started (for /metrics in graphs and the store's alert rules: apt-get install prometheus)"
)

// promConfig is what the local prometheus.yml says.
type promConfig struct {
	ScrapeInterval time.Duration // also the scrape timeout, less a second
	EvalInterval   time.Duration
	RulesDir       string // its *.yml files are the rule files; "" for none
	Listen         string // Prometheus' own address, scraped as job prometheus
	Targets        []promTarget
}

// promTarget is one admin port, labelled with its service.
type promTarget struct {
	Service string
	Addr    string // host:port
}

// localPromConfig is the configuration for the stack's admin ports.
func localPromConfig(rulesDir string) promConfig {
	c := promConfig{ScrapeInterval: 5 * time.Second, EvalInterval: 15 * time.Second, RulesDir: rulesDir, Listen: promListen}
	for _, p := range stack {
		c.Targets = append(c.Targets, promTarget{Service: p.name, Addr: "127.0.0.1:" + strconv.Itoa(p.admin)})
	}
	return c
}

// The YAML shapes of prometheus.yml (the keys used here only).
type (
	promYAML struct {
		Global        promGlobal     `yaml:"global"`
		RuleFiles     []string       `yaml:"rule_files,omitempty"`
		ScrapeConfigs []scrapeConfig `yaml:"scrape_configs"`
	}
	promGlobal struct {
		ScrapeInterval     string `yaml:"scrape_interval"`
		ScrapeTimeout      string `yaml:"scrape_timeout"`
		EvaluationInterval string `yaml:"evaluation_interval"`
	}
	scrapeConfig struct {
		JobName       string         `yaml:"job_name"`
		StaticConfigs []staticConfig `yaml:"static_configs"`
	}
	staticConfig struct {
		Targets []string          `yaml:"targets"`
		Labels  map[string]string `yaml:"labels,omitempty"`
	}
)

// promDuration is d in Prometheus' notation (whole seconds or milliseconds).
func promDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

// write writes the configuration to path (its directory is created).
func (c promConfig) write(path string) error {
	timeout := c.ScrapeInterval - time.Second
	if timeout < c.ScrapeInterval/2 {
		timeout = c.ScrapeInterval / 2
	}
	y := promYAML{Global: promGlobal{
		ScrapeInterval:     promDuration(c.ScrapeInterval),
		ScrapeTimeout:      promDuration(timeout),
		EvaluationInterval: promDuration(c.EvalInterval),
	}}
	if c.RulesDir != "" {
		abs, err := filepath.Abs(c.RulesDir)
		if err != nil {
			return err
		}
		y.RuleFiles = []string{filepath.Join(abs, "*.yml")}
	}
	// One job, virtual-store, as in Kubernetes: the rules select it.
	store := scrapeConfig{JobName: "virtual-store"}
	for _, t := range c.Targets {
		store.StaticConfigs = append(store.StaticConfigs, staticConfig{Targets: []string{t.Addr}, Labels: map[string]string{"service": t.Service}})
	}
	y.ScrapeConfigs = []scrapeConfig{store, {JobName: "prometheus", StaticConfigs: []staticConfig{{Targets: []string{c.Listen}}}}}
	body, err := yaml.Marshal(y)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	header := "# Written by devstack (`make run`) at every start; edits are overwritten.\n" +
		"# The rules are the Kubernetes monitoring component's (kustomize/components/monitoring/rules).\n"
	return os.WriteFile(path, append([]byte(header), body...), 0o644)
}

// localPrometheus is a Prometheus server devstack started, stopped with the store.
type localPrometheus struct {
	URL      string
	LogFile  string
	cmd      *exec.Cmd
	done     chan struct{}
	stopping atomic.Bool
}

// startPrometheus writes dir/prometheus.yml from c and starts bin on it,
// with its data in dir/data and its log in dir/prometheus.log, and waits
// until it is ready. A Prometheus that exits later is reported on stdout;
// the store goes on without it.
func startPrometheus(bin, dir string, c promConfig) (*localPrometheus, error) {
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := c.write(cfg); err != nil {
		return nil, fmt.Errorf("write %s: %w", cfg, err)
	}
	logPath := filepath.Join(dir, "prometheus.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	cmd := exec.Command(bin,
		"--config.file", cfg,
		"--storage.tsdb.path", filepath.Join(dir, "data"),
		"--web.listen-address", c.Listen)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Ctrl-C reaches devstack only
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &localPrometheus{URL: "http://" + c.Listen + "/", LogFile: logPath, cmd: cmd, done: make(chan struct{})}
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(p.done) }()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get(p.URL + "-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("prometheus exited while starting (%v):\n%s", exitErr, tail(logPath, 5))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("prometheus was not ready within 30s:\n%s", tail(logPath, 5))
		}
	}
}

// Stop shuts Prometheus down (SIGTERM: it finishes writing its data).
func (p *localPrometheus) Stop() {
	p.stopping.Store(true)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// tail is the last n lines of a file, indented, for an error message.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "  (no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}

// startMonitoring starts the local Prometheus if it can: the binary bin is
// installed ("" turns it off) and its port is free. It never fails the
// store: it returns nil and the one line the banner prints instead.
func startMonitoring(bin, rulesDir string) (*localPrometheus, string) {
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
	p, err := startPrometheus(path, promDir, localPromConfig(rulesDir))
	if err != nil {
		return nil, red("prometheus not started: " + err.Error())
	}
	go func() {
		<-p.done
		if !p.stopping.Load() {
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
