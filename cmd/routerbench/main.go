// Command routerbench measures a GraphQL endpoint under concurrent load and
// prints throughput and latency percentiles. Point it at the router and at a
// subgraph directly to see what the router adds, or at another gateway
// serving the same supergraph (scripts/bench-gateway.sh).
//
// As the public gateway benchmark counts them, only answers with status 200
// and no "errors" count; with -expect, each client's first answer must also
// equal the reference (as JSON values: key order aside), so gateways are
// compared on the same answer.
//
//	routerbench -url http://localhost:4000/graphql -c 50 -d 10s -query '{ products(first: 10) { edges { node { name } } } }'
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/virtual-store/virtual-store/internal/pki"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:4000/graphql", "GraphQL endpoint")
	query := flag.String("query", "{ products(first: 10) { edges { node { name price { formatted } category { name } } } } }", "operation to send (or @file)")
	variables := flag.String("variables", "", "its variables, a JSON object (or @file)")
	concurrency := flag.Int("c", 50, "concurrent clients")
	duration := flag.Duration("d", 10*time.Second, "how long to run")
	header := flag.String("H", "", "extra header, Name: value")
	tlsDir := flag.String("tls-dir", "", "present the certificate in DIR (tls.crt, tls.key, ca.crt) to https:// endpoints (mutual TLS)")
	expect := flag.String("expect", "", "JSON file each client's first answer must equal (as a JSON value)")
	save := flag.String("save", "", "write the first answer to this file (a reference for -expect)")
	tsv := flag.Bool("tsv", false, "also print one line: RESULT req/s p50-ms p99-ms failures mean-answer-bytes")
	flag.Parse()
	var reference any
	if *expect != "" {
		b, err := os.ReadFile(*expect)
		if err == nil {
			err = json.Unmarshal(b, &reference)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "routerbench: reference answer:", err)
			os.Exit(2)
		}
	}
	var checkOnce, saveOnce sync.Once

	q, vars := readArg(*query), readArg(*variables)
	request := map[string]any{"query": q}
	if vars != "" {
		if !json.Valid([]byte(vars)) {
			fmt.Fprintln(os.Stderr, "routerbench: -variables is not JSON")
			os.Exit(2)
		}
		request["variables"] = json.RawMessage(vars)
	}
	body, _ := json.Marshal(request)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = *concurrency
	if *tlsDir != "" {
		src, err := pki.Load(pki.InDir(*tlsDir), slog.Default())
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		transport.TLSClientConfig = src.ClientTLS()
		transport.ForceAttemptHTTP2 = false // like the router's subgraph transport
	}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}

	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		failures  int
		bytesRead int64
		wg        sync.WaitGroup
	)
	start := time.Now()
	for range *concurrency {
		wg.Go(func() {
			var local []time.Duration
			var size int64
			bad, first := 0, true
			for ctx.Err() == nil {
				t0 := time.Now()
				req, _ := http.NewRequest(http.MethodPost, *url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				if name, value, ok := strings.Cut(*header, ":"); ok {
					req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
				}
				resp, err := client.Do(req)
				if err != nil {
					bad++
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || bytes.Contains(b, []byte(`"errors"`)) {
					bad++
					continue
				}
				if first {
					first = false
					if *save != "" {
						saveOnce.Do(func() { _ = os.WriteFile(*save, b, 0o644) })
					}
					if reference != nil && !sameJSON(b, reference) {
						checkOnce.Do(func() { fmt.Fprintf(os.Stderr, "routerbench: the answer differs from %s: %.300s\n", *expect, b) })
						bad++
						continue
					}
				}
				local = append(local, time.Since(t0))
				size += int64(len(b))
			}
			mu.Lock()
			latencies = append(latencies, local...)
			failures += bad
			bytesRead += size
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(latencies) == 0 {
		fmt.Println("no request completed")
		os.Exit(1)
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration { return latencies[int(float64(len(latencies)-1)*p)] }
	rps := float64(len(latencies)) / elapsed.Seconds()
	fmt.Printf("requests %d in %s with %d clients: %.0f req/s, failures %d\n", len(latencies), elapsed.Round(time.Millisecond), *concurrency, rps, failures)
	fmt.Printf("latency p50 %s  p90 %s  p99 %s  max %s\n", pct(0.50).Round(time.Microsecond), pct(0.90).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), latencies[len(latencies)-1].Round(time.Microsecond))
	if *tsv {
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		fmt.Printf("RESULT\t%.0f\t%.2f\t%.2f\t%d\t%d\n", rps, ms(pct(0.50)), ms(pct(0.99)), failures, bytesRead/int64(len(latencies)))
	}
}

// readArg is the flag's value, or the file's content for @file.
func readArg(v string) string {
	if !strings.HasPrefix(v, "@") {
		return v
	}
	b, err := os.ReadFile(v[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	return string(b)
}

// sameJSON reports whether body decodes to the same JSON value as want.
func sameJSON(body []byte, want any) bool {
	var got any
	if json.Unmarshal(body, &got) != nil {
		return false
	}
	return reflect.DeepEqual(got, want)
}
