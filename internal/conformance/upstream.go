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
	// versionOf, when set, names a module go.mod requires, at whose version
	// this one is downloaded: a controller's CRDs live in its main module,
	// which go.mod does not require, while go.mod requires its Go types (its
	// /api module, tagged with the same version), so both move together.
	versionOf string
	// version, when set, is the version of a module that go.mod has no
	// counterpart of.
	version string
}

// query is what go mod download is asked for: the module alone (go.mod's
// version) or module@version.
func (c crdFile) query() (string, error) {
	switch {
	case c.version != "":
		return c.module + "@" + c.version, nil
	case c.versionOf != "":
		v, err := ModuleVersion(c.versionOf)
		if err != nil {
			return "", fmt.Errorf("version of %s for its CRDs: %w", c.module, err)
		}
		return c.module + "@" + v, nil
	}
	return c.module, nil
}

// upstreamCRDs are the CRDs of every custom resource kind meshwright renders.
// cert-manager's deploy/crds are the sources its Helm chart templates are
// generated from (same schemas, without the Helm conditionals).
var upstreamCRDs = []crdFile{
	{module: "istio.io/istio", path: "manifests/charts/base/files/crd-all.gen.yaml"},
	{module: "github.com/cert-manager/cert-manager", path: "deploy/crds/cert-manager.io_certificates.yaml"},
	{module: "github.com/cert-manager/cert-manager", path: "deploy/crds/cert-manager.io_issuers.yaml"},
	{module: "github.com/cert-manager/cert-manager", path: "deploy/crds/cert-manager.io_clusterissuers.yaml"},
	{module: "github.com/cert-manager/trust-manager", path: "deploy/crds/trust.cert-manager.io_bundles.yaml"},
	// the standard channel of the Gateway API release the pinned Istio reads
	{module: "sigs.k8s.io/gateway-api", path: "config/crd/standard/gateway.networking.k8s.io_gateways.yaml"},
	{module: "sigs.k8s.io/gateway-api", path: "config/crd/standard/gateway.networking.k8s.io_listenersets.yaml"},
	{module: "sigs.k8s.io/gateway-api", path: "config/crd/standard/gateway.networking.k8s.io_httproutes.yaml"},
	// Flux: the source-controller's main module at its /api module's version.
	// helm-controller's main module, where the HelmRelease CRD lives, is not
	// served by the module proxy, so there is no HelmRelease CRD here yet.
	{module: "github.com/fluxcd/source-controller", path: "config/crd/bases/source.toolkit.fluxcd.io_helmrepositories.yaml",
		versionOf: "github.com/fluxcd/source-controller/api"},
	{module: "github.com/fluxcd/source-controller", path: "config/crd/bases/source.toolkit.fluxcd.io_ocirepositories.yaml",
		versionOf: "github.com/fluxcd/source-controller/api"},
	// Argo CD: go.mod has no Argo CD module. v3.5.7 is the newest release
	// whose go.mod this Go (1.26) accepts; v3.6 needs Go 1.27.
	{module: "github.com/argoproj/argo-cd/v3", path: "manifests/crds/application-crd.yaml", version: "v3.5.7"},
}

// UpstreamCRDFiles returns the paths of the upstream CRD files in the module
// cache, downloading the modules at their versions (go.mod's, unless the
// crdFile says otherwise) when they are missing.
func UpstreamCRDFiles() ([]string, error) {
	dirs := map[string]string{}
	var files []string
	for _, c := range upstreamCRDs {
		q, err := c.query()
		if err != nil {
			return nil, err
		}
		dir, ok := dirs[q]
		if !ok {
			m, err := downloadedModule(q)
			if err != nil {
				return nil, err
			}
			dir = m.Dir
			dirs[q] = dir
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
// go.mod's version (or at the version of a module@version query) and
// fetches it into the module cache when missing.
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
