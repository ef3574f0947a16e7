// Package check runs the lifecycle's daemon export code (imgutil's local package, linked with the
// same module versions as the lifecycle imgext builds) against a real daemon.
package check

import (
	"archive/tar"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/buildpacks/imgutil/local"
	"github.com/moby/moby/client"
)

func layerTar(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name+".tar")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content))}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// save writes name = base + one layer per file.
func save(t *testing.T, c *client.Client, name, base string, files ...string) *local.Image {
	t.Helper()
	img, err := local.NewImage(name, c, local.FromBaseImage(base))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := img.AddLayer(layerTar(t, f, f+" "+name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := img.Save(); err != nil {
		t.Fatal(err)
	}
	return img
}

// A rebuild that reuses the previous image's layers on a base whose layers changed (so the daemon
// has no chain for the reused layers and reads them from the load tar) must send each layer's own
// data. With go-containerregistry v0.21.9 every reused layer carried the last one's data:
// "invalid diffID for layer N".
func TestReuseOnChangedBase(t *testing.T) {
	base := os.Getenv("IMGEXT_STACK_RUN_IMAGE")
	if os.Getenv("DOCKER_HOST") == "" || base == "" {
		t.Skip("needs DOCKER_HOST and IMGEXT_STACK_RUN_IMAGE (eval \"$(tools/env up docker-20.10)\")")
	}
	c, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("%d", time.Now().UnixNano())
	repo := "imgext.local/lifecycle-check/" + id
	t.Cleanup(func() {
		for _, tag := range []string{"base1", "base2", "app"} {
			_, _ = c.ImageRemove(context.Background(), repo+":"+tag, client.ImageRemoveOptions{Force: true})
		}
	})
	save(t, c, repo+":base1", base, "unique-1")
	prev := save(t, c, repo+":app", repo+":base1", "a", "b", "c")
	save(t, c, repo+":base2", base, "unique-2")

	cfg, err := prev.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	diffIDs := cfg.RootFS.DiffIDs
	top := diffIDs[len(diffIDs)-3:]
	img, err := local.NewImage(repo+":app", c, local.FromBaseImage(repo+":base2"), local.WithPreviousImage(repo+":app"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range top {
		if err := img.ReuseLayer(d.String()); err != nil {
			t.Fatal(err)
		}
	}
	if err := img.Save(); err != nil {
		t.Fatalf("saving the rebuilt image: %v", err)
	}
}
