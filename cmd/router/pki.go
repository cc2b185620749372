package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/virtual-store/virtual-store/internal/pki"
)

const pkiUsage = `usage:
  router pki init  --dir DIR [--namespace NS] [--ttl 2160h]
        a CA (kept if DIR has one) and a certificate for every service
        (router, user, product, order, paymentgw), renewing those past two
        thirds of their life; DIR/<service>/ holds tls.crt, tls.key, ca.crt
  router pki issue --dir DIR --name NAME [--namespace NS] [--dns a,b] [--ttl 2160h]
        (re)issue one certificate from the CA in DIR
Keys are written readable by their owner only; keep DIR out of version control.`

// runPKI issues the store's certificates for environments `make run` does
// not manage (a cluster's Secrets, a staging host).
func runPKI(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "init" && args[0] != "issue") {
		fmt.Fprintln(stderr, pkiUsage)
		return 2
	}
	flags := flag.NewFlagSet("router pki "+args[0], flag.ContinueOnError)
	flags.SetOutput(stderr)
	dir := flags.String("dir", "", "directory of the CA and the certificates")
	namespace := flags.String("namespace", "", "Kubernetes namespace the services run in (adds <svc>.<ns>.svc[.cluster.local])")
	ttl := flags.Duration("ttl", pki.DefaultCertTTL, "certificate lifetime")
	name := flags.String("name", "", "issue: the service identity (spiffe://virtual-store/NAME)")
	dns := flags.String("dns", "", "issue: DNS names, comma-separated (default: the service's names in the namespace, and localhost)")
	if err := flags.Parse(args[1:]); err != nil {
		return 2
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "router pki: --dir is required\n"+pkiUsage)
		return 2
	}
	switch args[0] {
	case "init":
		issued, err := pki.Ensure(*dir, *namespace, pki.Services, *ttl)
		if err != nil {
			fmt.Fprintln(stderr, "router pki:", err)
			return 1
		}
		fmt.Fprintf(stdout, "CA in %s; issued: %s\n", *dir, strings.Join(issued, " "))
		return 0
	default:
		if *name == "" {
			fmt.Fprintln(stderr, "router pki issue: --name is required")
			return 2
		}
		ca, err := pki.LoadCA(*dir)
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(stderr, "router pki: no CA in %s (run `router pki init --dir %s` first)\n", *dir, *dir)
			return 1
		}
		if err != nil {
			fmt.Fprintln(stderr, "router pki:", err)
			return 1
		}
		names := pki.DNSNames(*name, *namespace)
		if *dns != "" {
			names = strings.Split(*dns, ",")
		}
		if err := ca.WriteIdentity(*dir, *name, names, *ttl); err != nil {
			fmt.Fprintln(stderr, "router pki:", err)
			return 1
		}
		fmt.Fprintf(stdout, "issued %s for %s (valid %s) in %s/%s\n", pki.SPIFFEID(*name), strings.Join(names, ", "), ttl.Round(time.Hour), *dir, *name)
		return 0
	}
}
