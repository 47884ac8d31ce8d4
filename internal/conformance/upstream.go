package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// crdFile is an upstream CRD definition inside a Go module that go.mod pins,
// so the schemas checked against move exactly when the dependency does.
type crdFile struct {
	module string
	path   string // inside the module
}

// upstreamCRDs are the CRDs of every custom resource kind meshwright renders.
// cert-manager's deploy/crds are the sources its Helm chart templates are
// generated from (same schemas, without the Helm conditionals).
var upstreamCRDs = []crdFile{
	{"istio.io/istio", "manifests/charts/base/files/crd-all.gen.yaml"},
	{"github.com/cert-manager/cert-manager", "deploy/crds/cert-manager.io_certificates.yaml"},
	{"github.com/cert-manager/cert-manager", "deploy/crds/cert-manager.io_issuers.yaml"},
	{"github.com/cert-manager/cert-manager", "deploy/crds/cert-manager.io_clusterissuers.yaml"},
	{"github.com/cert-manager/trust-manager", "deploy/crds/trust.cert-manager.io_bundles.yaml"},
	// the standard channel of the Gateway API release the pinned Istio reads
	{"sigs.k8s.io/gateway-api", "config/crd/standard/gateway.networking.k8s.io_gateways.yaml"},
	{"sigs.k8s.io/gateway-api", "config/crd/standard/gateway.networking.k8s.io_listenersets.yaml"},
	{"sigs.k8s.io/gateway-api", "config/crd/standard/gateway.networking.k8s.io_httproutes.yaml"},
}

// UpstreamCRDFiles returns the paths of the upstream CRD files in the module
// cache, downloading the modules at go.mod's versions when they are missing.
func UpstreamCRDFiles() ([]string, error) {
	dirs := map[string]string{}
	var files []string
	for _, c := range upstreamCRDs {
		dir, ok := dirs[c.module]
		if !ok {
			var err error
			if dir, err = ModuleDir(c.module); err != nil {
				return nil, err
			}
			dirs[c.module] = dir
		}
		files = append(files, filepath.Join(dir, filepath.FromSlash(c.path)))
	}
	return files, nil
}

// ModuleDir returns the module cache directory of a module at the version the
// main module's go.mod selects.
func ModuleDir(module string) (string, error) {
	m, err := downloadedModule(module)
	return m.Dir, err
}

// ModuleVersion returns the version of a module the main module's go.mod
// selects.
func ModuleVersion(module string) (string, error) {
	m, err := downloadedModule(module)
	return m.Version, err
}

type moduleInfo struct{ Version, Dir, Error string }

// downloadedModule runs go mod download, which resolves the module at
// go.mod's version and fetches it into the module cache when missing.
func downloadedModule(module string) (moduleInfo, error) {
	cmd := exec.Command(goTool(), "mod", "download", "-json", module)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return moduleInfo{}, fmt.Errorf("locating module %s: %w: %s%s", module, err, stderr.String(), stdout.String())
	}
	var m moduleInfo
	if err := json.Unmarshal(stdout.Bytes(), &m); err != nil {
		return moduleInfo{}, fmt.Errorf("locating module %s: reading go mod download output: %w", module, err)
	}
	if m.Error != "" || m.Dir == "" {
		return moduleInfo{}, fmt.Errorf("locating module %s: %s", module, m.Error)
	}
	return m, nil
}

// goTool is the go command: the one on PATH, else the one of the toolchain
// that built this program (go test runs binaries with a PATH of its own
// choosing on some setups).
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "go"
}
