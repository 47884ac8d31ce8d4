package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/meshwright/meshwright"
	"github.com/meshwright/meshwright/report"
	"github.com/meshwright/meshwright/schema"
)

// scaffold is what `meshwright init` writes: a Mesh and one Tenant, with
// comments that point to what a platform engineer changes first. Both
// validate as written; the optional parts are comments.
var scaffold = template.Must(template.New("scaffold").Parse(`
{{- define "mesh" -}}
# The Mesh: one per cluster, the platform team's half of the spec. It
# installs the Istio control plane and the gateways, and sets mesh-wide
# security and certificates. Every field: docs/api.md in
# https://github.com/meshwright/meshwright. From this directory:
#
#   meshwright validate .    check the spec, print every problem
#   meshwright render .      the Istio resources, as a YAML stream
apiVersion: meshwright.dev/v1alpha1
kind: Mesh
metadata:
  name: {{.Mesh}}
spec:
  # MAJOR.MINOR of the target cluster. Quote it: YAML reads 1.30 as 1.3.
  kubernetesVersion: "1.30"
  # The DNS zone exposed hosts live in: a service is reachable at
  # <service>.<namespace>.<domain> unless it names its own host under it.
  domain: {{.Domain}}
  controlPlane:
    # The registry the Istio images are pulled from: <hub>/<image>:<version>.
    hub: docker.io/istio
    # The control planes installed side by side, one IstioOperator each.
    # For a canary upgrade add the next version, then move tenants over
    # with their spec.revision.
    revisions:
      - version: 1.30.2
  gateways:
    # Services are exposed through an ingress gateway.
    ingress:
      - name: istio-ingressgateway
        autoscale: {min: 2, max: 5}
    # An egress gateway lets tenants reach external hosts (their spec.egress).
    # egress:
    #   - name: istio-egressgateway
  security:
    # With STRICT, workloads accept mutual TLS only.
    mtls: STRICT
    # Identity providers whose JWTs the gateways check (requireJWT, and the
    # tenants' authorization claims).
    # jwt:
    #   - issuer: https://login.{{.Domain}}/realms/apps
    #     jwksUri: https://login.{{.Domain}}/realms/apps/protocol/openid-connect/certs
  # Certificates for exposed hosts, issued by cert-manager from Vault:
  # needed once a tenant exposes a service over HTTPS (tls SIMPLE or MUTUAL).
  # certificates:
  #   issuer:
  #     vault:
  #       server: https://vault.{{.Domain}}
  #       path: pki/sign/{{.Mesh}}
  #       role: cert-manager
{{end}}
{{- define "tenant" -}}
# A Tenant: one team's namespaces and services. Keep one file per team under
# tenants/ and let CODEOWNERS give it to the team.
apiVersion: meshwright.dev/v1alpha1
kind: Tenant
metadata:
  name: {{.Tenant}}
spec:
  # The namespaces the team owns; the first is where its services are unless
  # they name another. A namespace belongs to one tenant only.
  namespaces:
    - name: {{.Tenant}}
  # Who may manage the team's routing: bound to the edge role.
  # owners:
  #   - {kind: Group, name: {{.Tenant}}-devs}
  services:
    # An internal service: reachable inside the mesh, not exposed.
    - name: api
      port: 8080
    # An exposed service, at web.{{.Tenant}}.{{.Domain}} on the first ingress
    # gateway. tls SIMPLE (HTTPS) needs the Mesh's certificates.
    # - name: web
    #   port: 8080
    #   ingress:
    #     tls: SIMPLE
    #     routes:
    #       - prefix: /
{{end}}`))

// dnsLabel is the form of the names init puts into the spec.
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

func (a *app) newInitCommand() *cobra.Command {
	params := struct{ Dir, Mesh, Tenant, Domain string }{}
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Write a commented starting spec: mesh.yaml and tenants/<name>.yaml",
		Long: `Init writes DIR/mesh.yaml and DIR/tenants/<tenant>.yaml (DIR is the current
directory by default): a Mesh and one Tenant that validate as they are, with
comments on what to change first and commented-out examples of the optional
parts. It never overwrites a file: when either exists, it writes nothing.`,
		Example: `  meshwright init platform
  meshwright init --tenant shop --domain apps.example.com platform`,
		Args: args(cobra.MaximumNArgs(1)),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			params.Dir = "."
			if len(args) == 1 {
				params.Dir = args[0]
			}
			for _, name := range []struct{ flag, value string }{{"mesh", params.Mesh}, {"tenant", params.Tenant}} {
				if !dnsLabel.MatchString(name.value) || len(name.value) > 63 {
					return usageErrorf("--%s %q: use a DNS label (lowercase letters, digits and -, at most 63)", name.flag, name.value)
				}
			}
			if strings.Count(params.Domain, ".") == 0 || !dnsSubdomain(params.Domain) {
				return usageErrorf("--domain %q: use a DNS name with a dot, such as example.com", params.Domain)
			}
			files := []schema.File{
				{Path: filepath.Join(params.Dir, "mesh.yaml")},
				{Path: filepath.Join(params.Dir, "tenants", params.Tenant+".yaml")},
			}
			for i, name := range []string{"mesh", "tenant"} {
				var b bytes.Buffer
				if err := scaffold.ExecuteTemplate(&b, name, params); err != nil {
					return err
				}
				files[i].Data = b.Bytes()
			}
			// what init writes must validate: a bad --tenant (kube-system) shows here
			if _, diags := meshwright.Render(files); diags.Err() != nil {
				if err := a.report(a.stderr, diags, report.Text); err != nil {
					return err
				}
				return errFindings
			}
			if err := writeNew(files); err != nil {
				return err
			}
			if !a.quiet {
				for _, f := range files {
					fmt.Fprintf(a.stdout, "created %s\n", f.Path)
				}
				fmt.Fprintf(a.stdout, "\nEdit them, then:\n  meshwright validate %s\n  meshwright render %s\n", params.Dir, params.Dir)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&params.Mesh, "mesh", "platform", "`NAME` of the Mesh")
	cmd.Flags().StringVar(&params.Tenant, "tenant", "team-a", "`NAME` of the Tenant, and of its namespace")
	cmd.Flags().StringVar(&params.Domain, "domain", "example.com", "`DOMAIN` exposed hosts live under")
	cmd.ValidArgsFunction = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveFilterDirs
	}
	return cmd
}

func dnsSubdomain(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if !dnsLabel.MatchString(label) {
			return false
		}
	}
	return true
}

// writeNew writes the files, none of which may exist: it checks them all
// before it writes any, and creates each exclusively.
func writeNew(files []schema.File) error {
	for _, f := range files {
		if _, err := os.Lstat(f.Path); err == nil {
			return fmt.Errorf("%s already exists; init writes only new files, so it wrote nothing", f.Path)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
			return err
		}
		out, err := os.OpenFile(f.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		_, err = out.Write(f.Data)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
