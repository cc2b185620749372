package e2e

import (
	"archive/tar"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virtual-store/virtual-store/internal/devmongo"
	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/subgraphs/user/tokens"
)

// The same tests run against the images `make images` builds when
// E2E_IMAGES names their tag (`make test-images`): each service is then a
// container (podman, host network, read-only root filesystem, uid 65532, no
// capabilities) in production mode, with its certificate mounted as a
// Kubernetes Secret would be.
var imageTag = os.Getenv("E2E_IMAGES")

// nonRoot is the user every image runs as.
const nonRoot = 65532

var (
	imageMongoURI   string // the MongoDB-compatible server the user container uses
	imageSigningKey string // the user service's signing key file (production needs one)
)

// prepareImages makes what the containers need and a non-root process can
// read: the certificates, a signing key, a MongoDB-compatible server (the
// production image has no embedded one).
func prepareImages(dir string) (func(), error) {
	keyPEM, err := tokens.GenerateKeyPEM()
	if err != nil {
		return nil, err
	}
	imageSigningKey = filepath.Join(dir, "signing", "key.pem")
	if err := os.MkdirAll(filepath.Dir(imageSigningKey), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(imageSigningKey, keyPEM, 0o600); err != nil {
		return nil, err
	}
	for _, d := range []string{kit.Dir, filepath.Dir(imageSigningKey)} {
		if err := chownTree(d, nonRoot); err != nil {
			return nil, err
		}
	}
	mongo, err := devmongo.Start(context.Background(), filepath.Join(dir, "mongo"), gqltest.Quiet())
	if err != nil {
		return nil, fmt.Errorf("MongoDB-compatible server: %w", err)
	}
	imageMongoURI = mongo.URI
	return mongo.Stop, nil
}

func chownTree(dir string, uid int) error {
	return filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	})
}

// containerCommand runs service name's image in the foreground (podman
// passes SIGTERM on, so stopping it drains the service as in Kubernetes).
// Host paths named in env are mounted at the same place.
func containerCommand(name string, env []string) *exec.Cmd {
	args := []string{"run", "--rm", "--pull=never", "--network=host", "--read-only", "--user", fmt.Sprintf("%d:%d", nonRoot, nonRoot),
		"--cap-drop=ALL", "--security-opt=no-new-privileges", "--stop-timeout=5",
		"--volume", filepath.Join(kit.Dir, name) + ":/etc/virtual-store/tls:ro",
		"--env", "TLS_DIR=/etc/virtual-store/tls", "--env", "ENVIRONMENT=production"}
	if name == "user" {
		args = append(args, "--volume", filepath.Dir(imageSigningKey)+":/etc/virtual-store/signing:ro",
			"--env", "USER_SIGNING_KEY_FILE=/etc/virtual-store/signing/key.pem", "--env", "USER_MONGO_URI="+imageMongoURI)
	}
	if name == "router" {
		// Shared rate limits through the machine's Redis, as in production.
		args = append(args, "--env", "REDIS_URL="+cmp.Or(os.Getenv("REDIS_URL"), "redis://127.0.0.1:6379/0"))
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if k == "USER_DATA_DIR" {
			continue // production keeps no state on disk: the key is a file, the data in MongoDB
		}
		args = append(args, "--env", kv)
		if strings.HasPrefix(v, os.TempDir()) {
			if err := chownTree(v, nonRoot); err == nil {
				args = append(args, "--volume", v+":"+v)
			}
		}
	}
	args = append(args, "virtual-store/"+name+":"+imageTag)
	cmd := exec.Command("podman", args...)
	cmd.Env = os.Environ()
	return cmd
}

// TestImages checks what each image is, before the other tests run the
// store from them: non-root, an entrypoint, its ports, OCI labels, small,
// no shell, and no embedded MongoDB-compatible server in the user image.
func TestImages(t *testing.T) {
	if imageTag == "" {
		t.Skip("E2E_IMAGES is not set (make test-images sets it)")
	}
	ports := map[string][]string{"router": {"4000/tcp", "4100/tcp"}, "user": {"4001/tcp", "4101/tcp"}, "product": {"4002/tcp", "4102/tcp"},
		"order": {"4003/tcp", "4103/tcp"}, "paymentgw": {"4010/tcp", "4110/tcp"}}
	for name, want := range ports {
		t.Run(name, func(t *testing.T) {
			image := "virtual-store/" + name + ":" + imageTag
			out, err := exec.Command("podman", "image", "inspect", image).Output()
			if err != nil {
				t.Fatalf("inspect %s: %v", image, err)
			}
			var info []struct {
				Size   int64
				Config struct {
					User         string
					Entrypoint   []string
					ExposedPorts map[string]struct{}
					Labels       map[string]string
				}
			}
			if err := json.Unmarshal(out, &info); err != nil || len(info) != 1 {
				t.Fatalf("inspect: %v", err)
			}
			c := info[0].Config
			if c.User != "65532:65532" || len(c.Entrypoint) != 1 || c.Entrypoint[0] != "/usr/local/bin/"+name {
				t.Errorf("user %q, entrypoint %v", c.User, c.Entrypoint)
			}
			for _, p := range want {
				if _, ok := c.ExposedPorts[p]; !ok {
					t.Errorf("port %s not exposed: %v", p, c.ExposedPorts)
				}
			}
			if c.Labels["org.opencontainers.image.title"] == "" || c.Labels["org.opencontainers.image.version"] == "" {
				t.Errorf("OCI labels missing: %v", c.Labels)
			}
			if info[0].Size >= 30<<20 {
				t.Errorf("image is %.1f MiB, want under 30", float64(info[0].Size)/(1<<20))
			}
			files := imageFiles(t, image)
			for _, shell := range []string{"bin/sh", "bin/busybox", "bin/bash"} {
				if _, ok := files[shell]; ok {
					t.Errorf("the image has a shell: %s", shell)
				}
			}
			if name == "user" && bytes.Contains(files["usr/local/bin/user"], []byte("github.com/FerretDB/FerretDB")) {
				t.Error("the user image embeds the development MongoDB-compatible server")
			}
		})
	}
}

// imageFiles reads an image's file system (podman create + export).
func imageFiles(t *testing.T, image string) map[string][]byte {
	t.Helper()
	id, err := exec.Command("podman", "create", "--pull=never", image).Output()
	if err != nil {
		t.Fatalf("create %s: %v", image, err)
	}
	ctr := strings.TrimSpace(string(id))
	defer exec.Command("podman", "rm", "-f", ctr).Run() //nolint:errcheck
	tarball, err := exec.Command("podman", "export", ctr).Output()
	if err != nil {
		t.Fatalf("export %s: %v", image, err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(tarball))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		files[strings.TrimPrefix(h.Name, "./")] = b
	}
}
