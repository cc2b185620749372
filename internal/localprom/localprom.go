// Package localprom runs a Prometheus server for the store outside
// Kubernetes: it writes a prometheus.yml that scrapes the services' admin
// ports under job virtual-store, each target labelled with its service (as
// docs/metrics.md describes the local scrape), with the repository's rule
// files, and starts the prometheus binary on it. `make run` (cmd/devstack)
// and the observability proof (e2e) share it, so the configuration the proof
// checks the dashboards and rules against is the one a developer gets.
package localprom

import (
	"fmt"
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

// Job is the scrape job of every store process, as in Kubernetes: the rules
// and the dashboards select it.
const Job = "virtual-store"

// Config is what the local prometheus.yml says.
type Config struct {
	ScrapeInterval time.Duration // also the scrape timeout, less a second
	EvalInterval   time.Duration
	RulesDir       string // its *.yml files are the rule files; "" for none
	Listen         string // Prometheus' own address, scraped as job prometheus
	Targets        []Target
	// Header is written at the top of the file, e.g. "# Written by ...";
	// each line should start with "#".
	Header string
}

// Target is one admin port, labelled with its service.
type Target struct {
	Service string
	Addr    string // host:port
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

// Duration is d in Prometheus' notation (whole seconds or milliseconds).
func Duration(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

// RuleFiles are the rule files the configuration loads: RulesDir's *.yml.
func (c Config) RuleFiles() ([]string, error) {
	if c.RulesDir == "" {
		return nil, nil
	}
	return filepath.Glob(filepath.Join(c.RulesDir, "*.yml"))
}

// YAML is the configuration file's content.
func (c Config) YAML() ([]byte, error) {
	timeout := c.ScrapeInterval - time.Second
	if timeout < c.ScrapeInterval/2 {
		timeout = c.ScrapeInterval / 2
	}
	y := promYAML{Global: promGlobal{
		ScrapeInterval:     Duration(c.ScrapeInterval),
		ScrapeTimeout:      Duration(timeout),
		EvaluationInterval: Duration(c.EvalInterval),
	}}
	if c.RulesDir != "" {
		abs, err := filepath.Abs(c.RulesDir)
		if err != nil {
			return nil, err
		}
		y.RuleFiles = []string{filepath.Join(abs, "*.yml")}
	}
	// One job, virtual-store, as in Kubernetes: the rules select it.
	store := scrapeConfig{JobName: Job}
	for _, t := range c.Targets {
		store.StaticConfigs = append(store.StaticConfigs, staticConfig{Targets: []string{t.Addr}, Labels: map[string]string{"service": t.Service}})
	}
	y.ScrapeConfigs = []scrapeConfig{store, {JobName: "prometheus", StaticConfigs: []staticConfig{{Targets: []string{c.Listen}}}}}
	body, err := yaml.Marshal(y)
	if err != nil {
		return nil, err
	}
	return append([]byte(c.Header), body...), nil
}

// Write writes the configuration to path (its directory is created).
func (c Config) Write(path string) error {
	body, err := c.YAML()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, body, 0o644)
}

// Server is a Prometheus server Start started.
type Server struct {
	URL     string // http://<Listen>/
	LogFile string
	cmd     *exec.Cmd
	done    chan struct{}
	exitErr error
	stop    atomic.Bool
}

// Start writes dir/prometheus.yml from c and starts bin on it, with its
// data in dir/data and its log in dir/prometheus.log, in a process group of
// its own (a Ctrl-C to the parent does not reach it), and waits until it is
// ready (at most 30 s).
func Start(bin, dir string, c Config) (*Server, error) {
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := c.Write(cfg); err != nil {
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
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &Server{URL: "http://" + c.Listen + "/", LogFile: logPath, cmd: cmd, done: make(chan struct{})}
	go func() { p.exitErr = cmd.Wait(); close(p.done) }()
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
			return nil, fmt.Errorf("prometheus exited while starting (%v):\n%s", p.exitErr, Tail(logPath, 5))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("prometheus was not ready within 30s:\n%s", Tail(logPath, 5))
		}
	}
}

// Done is closed when the process has exited.
func (p *Server) Done() <-chan struct{} { return p.done }

// Stopping reports whether Stop was called (an exit after it is expected).
func (p *Server) Stopping() bool { return p.stop.Load() }

// Stop shuts Prometheus down (SIGTERM: it finishes writing its data; SIGKILL
// after 15 s) and waits for it to exit.
func (p *Server) Stop() {
	p.stop.Store(true)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Tail is the last n lines of a file, indented, for an error message.
func Tail(path string, n int) string {
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
