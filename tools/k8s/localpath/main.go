// Command local-path-provisioner gives the test cluster of `make cluster-up`
// dynamic PersistentVolumes: a claim of the StorageClass it serves gets a
// hostPath volume, a directory under -root on the one node, and the directory
// goes when the volume is released. It is ours rather than
// rancher/local-path-provisioner because that one creates and deletes the
// directories with helper pods, which would need a helper image and a
// privileged pod; on a single node we own, the provisioner runs on the node
// itself (a host process next to the kubelet) and does the mkdir directly.
//
// It is test-only: one node, no quotas (the requested size is recorded, not
// enforced), directories world-writable so any pod user can use them (what
// hostPath volumes need, since the kubelet does not apply fsGroup to them).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// The annotations the PersistentVolume controller sets on a claim that waits
// for an external provisioner, and that a provisioner sets on its volumes.
const (
	annStorageProvisioner = "volume.kubernetes.io/storage-provisioner"
	annProvisionedBy      = "pv.kubernetes.io/provisioned-by"
)

type provisioner struct {
	client kubernetes.Interface
	name   string // the StorageClass's provisioner field
	root   string
	node   string
	log    *slog.Logger
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the provisioner's identity")
	name := flag.String("name", "virtual-store.dev/local-path", "provisioner name (the StorageClass's provisioner field)")
	root := flag.String("root", "/var/lib/virtual-store-cluster/volumes", "directory the volumes are made in")
	node := flag.String("node", "", "the node's name (volumes are pinned to it)")
	every := flag.Duration("interval", 2*time.Second, "how often claims and volumes are looked at")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if *node == "" {
		log.Error("-node is required")
		os.Exit(2)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Error("kubeconfig", "err", err)
		os.Exit(1)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		log.Error("client", "err", err)
		os.Exit(1)
	}
	if err := os.MkdirAll(*root, 0o755); err != nil {
		log.Error("root", "err", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p := &provisioner{client: client, name: *name, root: *root, node: *node, log: log}
	log.Info("serving", "provisioner", p.name, "root", p.root, "node", p.node)
	// A poll rather than informers: a handful of claims on one node, and a
	// missed event can never leave a claim pending.
	for {
		if err := p.pass(ctx); err != nil && ctx.Err() == nil {
			log.Warn("pass", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(*every):
		}
	}
}

// pass provisions every claim waiting for this provisioner and deletes every
// released volume it made.
func (p *provisioner) pass(ctx context.Context) error {
	claims, err := p.client.CoreV1().PersistentVolumeClaims("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list claims: %w", err)
	}
	var errs []error
	for i := range claims.Items {
		c := &claims.Items[i]
		if c.Status.Phase == corev1.ClaimPending && c.Spec.VolumeName == "" && c.Annotations[annStorageProvisioner] == p.name {
			errs = append(errs, p.provision(ctx, c))
		}
	}
	volumes, err := p.client.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("list volumes: %w", err))...)
	}
	for i := range volumes.Items {
		v := &volumes.Items[i]
		if v.Annotations[annProvisionedBy] == p.name && v.Status.Phase == corev1.VolumeReleased &&
			v.Spec.PersistentVolumeReclaimPolicy == corev1.PersistentVolumeReclaimDelete {
			errs = append(errs, p.remove(ctx, v))
		}
	}
	return errors.Join(errs...)
}

func (p *provisioner) provision(ctx context.Context, c *corev1.PersistentVolumeClaim) error {
	class, err := p.client.StorageV1().StorageClasses().Get(ctx, *c.Spec.StorageClassName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("claim %s/%s: storage class: %w", c.Namespace, c.Name, err)
	}
	name := "pvc-" + string(c.UID)
	dir := filepath.Join(p.root, c.Namespace+"_"+c.Name+"_"+name)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("claim %s/%s: %w", c.Namespace, c.Name, err)
	}
	if err := os.Chmod(dir, 0o777); err != nil { // the umask narrowed it
		return fmt.Errorf("claim %s/%s: %w", c.Namespace, c.Name, err)
	}
	reclaim := corev1.PersistentVolumeReclaimDelete
	if class.ReclaimPolicy != nil {
		reclaim = *class.ReclaimPolicy
	}
	dirType := corev1.HostPathDirectory
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{annProvisionedBy: p.name}},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: c.Spec.Resources.Requests[corev1.ResourceStorage]},
			AccessModes:                   c.Spec.AccessModes,
			PersistentVolumeReclaimPolicy: reclaim,
			StorageClassName:              class.Name,
			VolumeMode:                    c.Spec.VolumeMode,
			ClaimRef: &corev1.ObjectReference{
				Kind: "PersistentVolumeClaim", APIVersion: "v1",
				Namespace: c.Namespace, Name: c.Name, UID: c.UID, ResourceVersion: c.ResourceVersion,
			},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: dir, Type: &dirType}},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "kubernetes.io/hostname", Operator: corev1.NodeSelectorOpIn, Values: []string{p.node}}},
			}}}},
		},
	}
	if _, err := p.client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("claim %s/%s: create volume: %w", c.Namespace, c.Name, err)
	}
	p.log.Info("provisioned", "claim", c.Namespace+"/"+c.Name, "volume", name, "dir", dir)
	return nil
}

func (p *provisioner) remove(ctx context.Context, v *corev1.PersistentVolume) error {
	if v.Spec.HostPath == nil || filepath.Dir(v.Spec.HostPath.Path) != filepath.Clean(p.root) {
		return fmt.Errorf("volume %s: not a directory under %s; left alone", v.Name, p.root)
	}
	if err := os.RemoveAll(v.Spec.HostPath.Path); err != nil {
		return fmt.Errorf("volume %s: %w", v.Name, err)
	}
	if err := p.client.CoreV1().PersistentVolumes().Delete(ctx, v.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("volume %s: delete: %w", v.Name, err)
	}
	p.log.Info("deleted", "volume", v.Name, "dir", v.Spec.HostPath.Path)
	return nil
}
