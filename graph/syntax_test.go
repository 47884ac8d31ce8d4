package graph_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// The syntax checks: a small reader for exactly what the writers produce,
// strict enough that output GitHub's Mermaid or Graphviz would refuse or
// misread fails here first.

var (
	safeID = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
	// a quoted Mermaid label: no quote, markup or raw '#' (only entity codes)
	mermaidLabel = `"((?:[^"#<>` + "`" + `]|#[a-z0-9]+;)*)"`

	mermaidSubgraph = regexp.MustCompile(`^subgraph (\S+)\[` + mermaidLabel + `\]$`)
	mermaidNode     = regexp.MustCompile(`^(\S+?)(\(\(|\(\[|\{\{|\(|\[)` + mermaidLabel + `(\)\)|\]\)|\}\}|\)|\])$`)
	mermaidEdge     = regexp.MustCompile(`^(\S+) -->(?:\|` + mermaidLabel + `\|)? (\S+)$`)

	// words Mermaid's flowchart grammar reserves; an ID must not be one
	mermaidKeywords = map[string]bool{"end": true, "graph": true, "flowchart": true, "subgraph": true, "style": true,
		"classDef": true, "class": true, "click": true, "linkStyle": true, "direction": true, "default": true}
)

var shapes = map[string]string{"((": "))", "([": "])", "{{": "}}", "(": ")", "[": "]"}

func checkMermaid(t *testing.T, out []byte) {
	t.Helper()
	for _, p := range mermaidProblems(out) {
		t.Error(p)
	}
}

func mermaidProblems(out []byte) []string {
	var problems []string
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if lines[0] != "flowchart LR" {
		errorf("mermaid: first line %q, want flowchart LR", lines[0])
	}
	declared := map[string]string{} // ID -> "node" or "subgraph"
	declare := func(n int, id, what string) {
		if !safeID.MatchString(id) || mermaidKeywords[id] || id[0] == 'o' || id[0] == 'x' {
			errorf("mermaid line %d: unsafe ID %q", n, id)
		}
		if declared[id] != "" {
			errorf("mermaid line %d: %s %s declared twice", n, what, id)
		}
		declared[id] = what
	}
	depth := 0
	type edge struct {
		line     int
		from, to string
	}
	var edges []edge
	for i, line := range lines[1:] {
		n := i + 2
		s := strings.TrimSpace(line)
		if m := mermaidSubgraph.FindStringSubmatch(s); m != nil {
			declare(n, m[1], "subgraph")
			depth++
		} else if s == "end" {
			if depth--; depth < 0 {
				errorf("mermaid line %d: end without subgraph", n)
			}
		} else if m := mermaidEdge.FindStringSubmatch(s); m != nil {
			edges = append(edges, edge{n, m[1], m[3]})
		} else if m := mermaidNode.FindStringSubmatch(s); m != nil {
			if shapes[m[2]] != m[4] {
				errorf("mermaid line %d: shape %s closed by %s", n, m[2], m[4])
			}
			declare(n, m[1], "node")
		} else {
			errorf("mermaid line %d: not a subgraph, end, node or edge with a quoted label: %q", n, line)
		}
	}
	if depth != 0 {
		errorf("mermaid: %d subgraphs not ended", depth)
	}
	for _, e := range edges {
		for _, id := range []string{e.from, e.to} {
			if declared[id] != "node" {
				errorf("mermaid line %d: edge endpoint %s is not a declared node", e.line, id)
			}
		}
	}
	return problems
}

var (
	dotString   = `"((?:[^"\\]|\\.)*)"`
	dotAttrs    = `\[((?:[a-z]+=(?:` + dotString + `|[a-z]+)(?:, )?)+)\]`
	dotHead     = regexp.MustCompile(`^digraph ` + dotString + ` \{$`)
	dotSubgraph = regexp.MustCompile(`^subgraph (cluster_\S+) \{$`)
	dotAttr     = regexp.MustCompile(`^(?:rankdir=LR|label=` + dotString + `|node \[shape=box\]);$`)
	dotNode     = regexp.MustCompile(`^(\S+) ` + dotAttrs + `;$`)
	dotEdge     = regexp.MustCompile(`^(\S+) -> (\S+)(?: ` + dotAttrs + `)?;$`)
)

func checkDOT(t *testing.T, out []byte) {
	t.Helper()
	for _, p := range dotProblems(out) {
		t.Error(p)
	}
	// Graphviz itself, where it is installed
	if dot, err := exec.LookPath("dot"); err == nil {
		cmd := exec.Command(dot, "-Tsvg", "-o", os.DevNull)
		cmd.Stdin = bytes.NewReader(out)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil || stderr.Len() > 0 {
			t.Errorf("dot -Tsvg: %v\n%s", err, stderr.String())
		}
	}
}

func dotProblems(out []byte) []string {
	var problems []string
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if !dotHead.MatchString(lines[0]) {
		errorf("dot: first line %q, want digraph \"name\" {", lines[0])
	}
	depth := 1
	declared := map[string]bool{}
	type edge struct {
		line     int
		from, to string
	}
	var edges []edge
	for i, line := range lines[1:] {
		n := i + 2
		s := strings.TrimSpace(line)
		switch m := dotSubgraph.FindStringSubmatch(s); {
		case m != nil:
			if declared[m[1]] {
				errorf("dot line %d: %s declared twice", n, m[1])
			}
			declared[m[1]] = true
			depth++
		case s == "}":
			if depth--; depth < 0 {
				errorf("dot line %d: unbalanced }", n)
			}
		case dotAttr.MatchString(s):
		default:
			if m := dotEdge.FindStringSubmatch(s); m != nil {
				edges = append(edges, edge{n, m[1], m[2]})
			} else if m := dotNode.FindStringSubmatch(s); m != nil && safeID.MatchString(m[1]) {
				if declared[m[1]] {
					errorf("dot line %d: %s declared twice", n, m[1])
				}
				declared[m[1]] = true
			} else {
				errorf("dot line %d: not a subgraph, }, attribute, node or edge: %q", n, line)
			}
		}
		if depth == 0 && n != len(lines) {
			errorf("dot line %d: graph closed before the end", n)
		}
	}
	if depth != 0 {
		errorf("dot: %d braces not closed", depth)
	}
	for _, e := range edges {
		for _, id := range []string{e.from, e.to} {
			if !declared[id] || strings.HasPrefix(id, "cluster_") {
				errorf("dot line %d: edge endpoint %s is not a declared node", e.line, id)
			}
		}
	}
	return problems
}

// The checkers find what they are there for.
func TestCheckers(t *testing.T) {
	mermaid := []struct{ name, text, want string }{
		{"good", "flowchart LR\n  subgraph g_a[\"a\"]\n    n_a[\"x #quot;y#quot;\"]\n  end\n  n_b((\"b\"))\n  n_a -->|\"l\"| n_b\n", ""},
		{"unsafe ID", "flowchart LR\n  n-a[\"a\"]\n", "unsafe ID"},
		{"keyword ID", "flowchart LR\n  end[\"a\"]\n", "unsafe ID"},
		{"o-prefixed ID", "flowchart LR\n  oa[\"a\"]\n", "unsafe ID"},
		{"unquoted label", "flowchart LR\n  n_a[a]\n", "not a subgraph"},
		{"raw quote", "flowchart LR\n  n_a[\"a\"b\"]\n", "not a subgraph"},
		{"raw hash", "flowchart LR\n  n_a[\"#1\"]\n", "not a subgraph"},
		{"unquoted edge label", "flowchart LR\n  n_a[\"a\"]\n  n_a -->|l| n_a\n", "not a subgraph"},
		{"undeclared endpoint", "flowchart LR\n  n_a[\"a\"]\n  n_a --> n_b\n", "n_b is not a declared node"},
		{"edge to a subgraph", "flowchart LR\n  subgraph g_a[\"a\"]\n    n_a[\"a\"]\n  end\n  n_a --> g_a\n", "g_a is not a declared node"},
		{"unended subgraph", "flowchart LR\n  subgraph g_a[\"a\"]\n", "not ended"},
		{"mismatched shape", "flowchart LR\n  n_a{{\"a\"]\n", "closed by"},
		{"declared twice", "flowchart LR\n  n_a[\"a\"]\n  n_a[\"b\"]\n", "declared twice"},
	}
	for _, c := range mermaid {
		checkFound(t, "mermaid "+c.name, mermaidProblems([]byte(c.text)), c.want)
	}
	dot := []struct{ name, text, want string }{
		{"good", "digraph \"m\" {\n  rankdir=LR;\n  subgraph cluster_g {\n    label=\"g \\\"x\\\"\";\n    a [label=\"a\", shape=hexagon];\n  }\n  a -> a [label=\"l\"];\n}\n", ""},
		{"unbalanced", "digraph \"m\" {\n  a [label=\"a\"];\n", "braces not closed"},
		{"closed early", "digraph \"m\" {\n}\n  a [label=\"a\"];\n}\n", "closed before the end"},
		{"undeclared endpoint", "digraph \"m\" {\n  a [label=\"a\"];\n  a -> b;\n}\n", "b is not a declared node"},
		{"unterminated string", "digraph \"m\" {\n  a [label=\"a];\n}\n", "not a subgraph"},
		{"no semicolon", "digraph \"m\" {\n  a [label=\"a\"]\n}\n", "not a subgraph"},
	}
	for _, c := range dot {
		checkFound(t, "dot "+c.name, dotProblems([]byte(c.text)), c.want)
	}
}

func checkFound(t *testing.T, name string, problems []string, want string) {
	t.Helper()
	if want == "" {
		if len(problems) > 0 {
			t.Errorf("%s: %q", name, problems)
		}
		return
	}
	for _, p := range problems {
		if strings.Contains(p, want) {
			return
		}
	}
	t.Errorf("%s: problems %q, want one with %q", name, problems, want)
}
