package graph

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Mermaid writes the graph as a Mermaid flowchart, left to right, that
// GitHub renders in a ```mermaid block: IDs are [A-Za-z0-9_], every label is
// quoted, and the characters Mermaid reads as markup are written as its
// entity codes.
func (g *Graph) Mermaid(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "flowchart LR")
	mermaidIn(bw, g.tree(), "", 1)
	for _, e := range g.Edges {
		if e.Label == "" {
			fmt.Fprintf(bw, "  %s --> %s\n", e.From, e.To)
		} else {
			fmt.Fprintf(bw, "  %s -->|\"%s\"| %s\n", e.From, mermaidText(e.Label), e.To)
		}
	}
	return bw.Flush()
}

func mermaidIn(w io.Writer, t tree, parent string, depth int) {
	indent := strings.Repeat("  ", depth)
	for _, n := range t.nodes[parent] {
		open, closing := mermaidShape(n.Kind)
		fmt.Fprintf(w, "%s%s%s\"%s\"%s\n", indent, n.ID, open, mermaidText(n.Label), closing)
	}
	for _, gr := range t.groups[parent] {
		fmt.Fprintf(w, "%ssubgraph %s[\"%s\"]\n", indent, gr.ID, mermaidText(gr.Label))
		mermaidIn(w, t, gr.ID, depth+1)
		fmt.Fprintf(w, "%send\n", indent)
	}
}

func mermaidShape(k NodeKind) (string, string) {
	switch k {
	case NodeClients:
		return "((", "))"
	case NodeHost, NodeDestination:
		return "([", "])"
	case NodeIngressGateway, NodeEgressGateway:
		return "{{", "}}"
	case NodeWorkloads:
		return "(", ")"
	default:
		return "[", "]"
	}
}

// mermaidText escapes what Mermaid would read as markup inside a quoted
// label: the quote, entity codes (#), HTML and markdown strings.
var mermaidText = strings.NewReplacer(
	"#", "#35;",
	`"`, "#quot;",
	"<", "#lt;",
	">", "#gt;",
	"`", "#96;",
	"\n", " ",
	"\r", " ",
).Replace

// DOT writes the graph in Graphviz's language, left to right, groups as
// clusters.
func (g *Graph) DOT(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "digraph %s {\n", dotText(g.Mesh))
	fmt.Fprintln(bw, "  rankdir=LR;")
	fmt.Fprintln(bw, "  node [shape=box];")
	dotIn(bw, g.tree(), "", 1)
	for _, e := range g.Edges {
		if e.Label == "" {
			fmt.Fprintf(bw, "  %s -> %s;\n", e.From, e.To)
		} else {
			fmt.Fprintf(bw, "  %s -> %s [label=%s];\n", e.From, e.To, dotText(e.Label))
		}
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}

func dotIn(w io.Writer, t tree, parent string, depth int) {
	indent := strings.Repeat("  ", depth)
	for _, n := range t.nodes[parent] {
		fmt.Fprintf(w, "%s%s [label=%s%s];\n", indent, n.ID, dotText(n.Label), dotShape(n.Kind))
	}
	for _, gr := range t.groups[parent] {
		fmt.Fprintf(w, "%ssubgraph cluster_%s {\n", indent, gr.ID)
		fmt.Fprintf(w, "%s  label=%s;\n", indent, dotText(gr.Label))
		dotIn(w, t, gr.ID, depth+1)
		fmt.Fprintf(w, "%s}\n", indent)
	}
}

func dotShape(k NodeKind) string {
	switch k {
	case NodeClients:
		return ", shape=ellipse"
	case NodeHost, NodeDestination:
		return `, style=rounded`
	case NodeIngressGateway, NodeEgressGateway:
		return ", shape=hexagon"
	case NodeWorkloads:
		return `, style=dashed`
	default:
		return ""
	}
}

// dotText is s as a DOT quoted string.
func dotText(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", " ", "\r", " ").Replace(s) + `"`
}
