package main

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"

	"github.com/spf13/cobra"

	"github.com/meshwright/meshwright"
	"github.com/meshwright/meshwright/graph"
	"github.com/meshwright/meshwright/report"
	"github.com/meshwright/meshwright/schema"
)

// graphFormats are the pictures graph draws.
var graphFormats = []string{"mermaid", "dot", "svg"}

func (a *app) newGraphCommand() *cobra.Command {
	var format, tenant string
	cmd := &cobra.Command{
		Use:   "graph PATH...",
		Short: "Draw the traffic of a mesh: hosts, gateways, services, egress",
		Long: `Graph draws the traffic a spec allows: external clients to each exposed host,
through its ingress gateway (with the TLS mode and JWT) to the service, and
each namespace's workloads through an egress gateway to the hosts of its
egress entries, grouped by tenant and namespace.

--format mermaid (the default) renders on GitHub in Markdown files and pull
request comments; dot is Graphviz; svg runs Graphviz's dot, which must be on
the PATH. --tenant NAME draws one tenant with the gateways and hosts it uses.`,
		Example: `  meshwright graph platform/ > traffic.mmd
  meshwright graph --tenant shop --format svg platform/ > shop.svg`,
		Args: inputArgs,
		RunE: runE(func(cmd *cobra.Command, paths []string) error {
			draw, err := graphWriter(format)
			if err != nil {
				return err
			}
			files, diags := a.readInputs(paths)
			if diags.Err() == nil {
				var spec *schema.Spec
				spec, diags = meshwright.Load(files)
				if diags.Err() == nil {
					g, err := graph.Build(spec, graph.Options{Tenant: tenant})
					if err != nil {
						return err
					}
					if err := draw(g, a.stdout); err != nil {
						return err
					}
				}
			}
			if err := a.report(a.stderr, diags, report.Text); err != nil {
				return err
			}
			if diags.Err() != nil {
				return errFindings
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&format, "format", "mermaid", "picture `FORMAT`: mermaid, dot or svg")
	cmd.Flags().StringVar(&tenant, "tenant", "", "draw only the tenant `NAME`")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(graphFormats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// graphWriter writes a graph in format.
func graphWriter(format string) (func(*graph.Graph, io.Writer) error, error) {
	switch format {
	case "mermaid":
		return (*graph.Graph).Mermaid, nil
	case "dot":
		return (*graph.Graph).DOT, nil
	case "svg":
		return svg, nil
	}
	return nil, usageErrorf("unknown --format %q: want one of %v", format, graphFormats)
}

// svg draws the graph with Graphviz.
func svg(g *graph.Graph, w io.Writer) error {
	dot, err := exec.LookPath("dot")
	if err != nil {
		return fmt.Errorf("--format svg runs Graphviz's dot, which is not on the PATH (install graphviz, or use --format dot)")
	}
	var in, stderr bytes.Buffer
	if err := g.DOT(&in); err != nil {
		return err
	}
	run := exec.Command(dot, "-Tsvg")
	run.Stdin, run.Stdout, run.Stderr = &in, w, &stderr
	if err := run.Run(); err != nil {
		return fmt.Errorf("dot -Tsvg: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}
