package graph_test

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/meshwright/meshwright/graph"
)

// trafficIntro opens a generated Traffic section.
const trafficIntro = `Drawn by the [graph](../../graph) package from ` + "`spec/`" + `; a test fails when the picture no longer
matches the spec, and ` + "`go test ./graph -update`" + ` redraws it. External clients reach each exposed host, its
ingress gateway terminates TLS (SIMPLE, MUTUAL or NONE, on port 443 or 80; JWT when the gateway requires one)
and routes to the service over Istio mutual TLS (mTLS; JWT claims when the service admits only matching tokens).
The workloads of a namespace reach the hosts of its egress entries (each edge names the entry) through an egress
gateway, which originates TLS to the host's port. Each namespace shows its revision label, and a tag's revision.
`

// TestExampleREADMEs keeps the Mermaid picture in each example's README
// equal to the graph of its spec: examples/<name>/README.md holds a
// "## Traffic" section with a ```mermaid block, or, for an example with
// several specs (canary-upgrade/before, .../after), one under a
// "### <step>" heading each. With -update the blocks are redrawn (the
// section is written anew when its layout is not found).
func TestExampleREADMEs(t *testing.T) {
	steps := map[string][]example{} // examples/<name> -> its specs
	for _, ex := range examples(t) {
		name, _, _ := strings.Cut(ex.name, "/")
		steps[name] = append(steps[name], ex)
	}
	for name, exs := range steps {
		t.Run(name, func(t *testing.T) {
			readme := filepath.Join("..", "examples", name, "README.md")
			data, err := os.ReadFile(readme)
			if err != nil && !(*update && os.IsNotExist(err)) {
				t.Fatalf("%v (go test ./graph -update writes its Traffic section)", err)
			}
			text := string(data)
			pictures := make([]string, len(exs))
			for i, ex := range exs {
				m, _ := draw(t, ex.dir, graph.Options{})
				pictures[i] = string(m)
			}
			blocks, ok := findBlocks(text, exs)
			if *update {
				if ok {
					text = replaceBlocks(text, blocks, pictures)
				} else {
					text = writeSection(text, name, exs, pictures)
				}
				if err := os.WriteFile(readme, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !ok {
				t.Fatalf("%s: no ## Traffic section with a ```mermaid block for each of %v (go test ./graph -update writes it)", readme, stepNames(exs))
			}
			for i, b := range blocks {
				if got := text[b[0]:b[1]]; got != pictures[i] {
					t.Errorf("%s: the Traffic picture of %s is stale (go test ./graph -update redraws it):\n%s", readme, exs[i].name, lineDiff("README", got, "graph", pictures[i]))
				}
			}
		})
	}
}

func stepNames(exs []example) []string {
	var names []string
	for _, ex := range exs {
		names = append(names, ex.name)
	}
	return names
}

// step is the heading of an example's spec in the Traffic section: "" for
// examples/<name>/spec, "### before" for examples/<name>/before/spec.
func step(ex example) string {
	if _, sub, ok := strings.Cut(ex.name, "/"); ok {
		return "### " + sub
	}
	return ""
}

// findBlocks returns, for each spec, the byte range of its ```mermaid
// block's content in text (lines after the fence up to the closing fence).
func findBlocks(text string, exs []example) ([][2]int, bool) {
	start, end, ok := section(text)
	if !ok {
		return nil, false
	}
	var blocks [][2]int
	for _, ex := range exs {
		from := start
		if h := step(ex); h != "" {
			i := lineIndex(text[start:end], h)
			if i < 0 {
				return nil, false
			}
			from = start + i
		}
		open := lineIndex(text[from:end], "```mermaid")
		if open < 0 {
			return nil, false
		}
		content := from + open + len("```mermaid\n")
		closing := lineIndex(text[content:end], "```")
		if closing < 0 {
			return nil, false
		}
		blocks = append(blocks, [2]int{content, content + closing})
	}
	return blocks, true
}

// section returns the byte range of the "## Traffic" section: from its
// heading to the next "## " heading or the end.
func section(text string) (int, int, bool) {
	start := lineIndex(text, "## Traffic")
	if start < 0 {
		return 0, 0, false
	}
	end := len(text)
	if i := strings.Index(text[start+1:], "\n## "); i >= 0 {
		end = start + 1 + i + 1
	}
	return start, end, true
}

// lineIndex returns the index of the first line of text equal to line, or -1.
func lineIndex(text, line string) int {
	for i := 0; i < len(text); {
		next := strings.IndexByte(text[i:], '\n')
		if next < 0 {
			next = len(text) - i
		}
		if text[i:i+next] == line {
			return i
		}
		i += next + 1
	}
	return -1
}

func replaceBlocks(text string, blocks [][2]int, pictures []string) string {
	order := make([]int, len(blocks))
	for i := range order {
		order[i] = i
	}
	// from the last block back, so the earlier offsets hold
	slices.SortFunc(order, func(a, b int) int { return blocks[b][0] - blocks[a][0] })
	for _, i := range order {
		text = text[:blocks[i][0]] + pictures[i] + text[blocks[i][1]:]
	}
	return text
}

// writeSection replaces the Traffic section of text, or appends one (to a
// new README: a title first).
func writeSection(text, name string, exs []example, pictures []string) string {
	var sb strings.Builder
	sb.WriteString("## Traffic\n\n" + trafficIntro)
	for i, ex := range exs {
		sb.WriteString("\n")
		if h := step(ex); h != "" {
			sb.WriteString(h + "\n\n")
		}
		sb.WriteString("```mermaid\n" + pictures[i] + "```\n")
	}
	if start, end, ok := section(text); ok {
		rest := text[end:]
		if rest != "" {
			sb.WriteString("\n")
		}
		return text[:start] + sb.String() + rest
	}
	if text == "" {
		text = "# " + path.Base(name) + "\n"
	}
	return strings.TrimRight(text, "\n") + "\n\n" + sb.String()
}
