package fn

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Execute runs the function as framework.Execute runs Processor: a
// ResourceList from r, the list with the rendered objects to w, and the
// results, which are also the error when they hold one. The rendered objects
// are encoded on every core as they are rendered and written as the encoder
// wrote them: at a thousand tenants, parsing each one back into a node and
// writing the list through kyaml took 70% of the function's time and 8 GB.
func Execute(r io.Reader, w io.Writer) (framework.Results, error) {
	input, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading the ResourceList: %w", err)
	}
	rw := &kio.ByteReadWriter{Reader: bytes.NewReader(input), KeepReaderAnnotations: true}
	items, err := rw.Read()
	if err != nil {
		return nil, fmt.Errorf("reading the ResourceList: %w", err)
	}
	if rw.WrappingKind != kio.ResourceListKind {
		return executePlain(input, w)
	}
	rl := &framework.ResourceList{Items: items, FunctionConfig: rw.FunctionConfig}
	original, err := kio.PreprocessResourcesForInternalAnnotationMigration(rl.Items)
	if err != nil {
		return nil, err
	}
	pairs, err := reconciledFileAnnotations(original)
	if err != nil {
		// the items' annotations disagree: the render still gives its
		// results, and reconciling the items fails below, as under the
		// framework
		pairs = fileAnnotations
	}
	generated, runErr := rendered(rl, pairs)
	if err := kio.ReconcileInternalAnnotations(rl.Items, original); err != nil {
		return rl.Results, err
	}
	if err := writeResourceList(w, rw.WrappingAPIVersion, rl, rw.Results, generated); err != nil {
		return rl.Results, err
	}
	return rl.Results, runErr
}

// executePlain runs Processor over a YAML stream that is not a ResourceList
// (a person piping files in), written back as a stream by kyaml.
func executePlain(input []byte, w io.Writer) (framework.Results, error) {
	var results framework.Results
	err := framework.Execute(framework.ResourceListProcessorFunc(func(rl *framework.ResourceList) error {
		err := Processor{}.Process(rl)
		results = rl.Results
		return err
	}), &kio.ByteReadWriter{Reader: bytes.NewReader(input), Writer: w, KeepReaderAnnotations: true})
	return results, err
}

// reconciledFileAnnotations are the file annotations framework.Execute
// leaves on an item the function added: kyaml reconciles them with the
// format of the items it read (both pairs, one, or, when items came without
// any, none). Reconciling a probe that carries both asks kyaml itself.
func reconciledFileAnnotations(original map[string]map[string]string) ([][2]string, error) {
	probe := yaml.NewRNode(&yaml.Node{Kind: yaml.MappingNode})
	for _, pair := range fileAnnotations {
		if err := probe.PipeE(yaml.SetAnnotation(pair[0], "probe.yaml")); err != nil {
			return nil, err
		}
		if err := probe.PipeE(yaml.SetAnnotation(pair[1], "0")); err != nil {
			return nil, err
		}
	}
	if err := kio.ReconcileInternalAnnotations([]*yaml.RNode{probe}, original); err != nil {
		return nil, err
	}
	kept := probe.GetAnnotations()
	var pairs [][2]string
	for _, pair := range fileAnnotations {
		if _, ok := kept[pair[0]]; ok {
			pairs = append(pairs, pair)
		}
	}
	return pairs, nil
}

// rendered is Processor.Process with the rendered objects as YAML
// documents, which it leaves out of rl.Items.
func rendered(rl *framework.ResourceList, pairs [][2]string) ([][]byte, error) {
	j, err := newJob(rl)
	if err != nil {
		return nil, err
	}
	generated, err := j.render(rl, pairs)
	if err != nil {
		return nil, err
	}
	kept, err := j.keptItems()
	if err != nil {
		return nil, err
	}
	rl.Items = kept
	return generated, nil
}

// writeResourceList writes what kio.ByteWriter writes for rl, with the
// generated documents after its items.
func writeResourceList(w io.Writer, apiVersion string, rl *framework.ResourceList, inputResults *yaml.RNode, generated [][]byte) error {
	out := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintf(out, "apiVersion: %s\nkind: %s\n", apiVersion, kio.ResourceListKind)
	if len(rl.Items)+len(generated) == 0 {
		out.WriteString("items: []\n")
	} else {
		out.WriteString("items:\n")
	}
	var buf bytes.Buffer
	for _, n := range rl.Items {
		buf.Reset()
		if err := encodeItem(&buf, n); err != nil {
			return err
		}
		writeItem(out, buf.Bytes())
	}
	for _, doc := range generated {
		writeItem(out, doc)
	}
	tail, err := listTail(rl, inputResults)
	if err != nil {
		return err
	}
	out.Write(tail)
	if err := out.Flush(); err != nil {
		return fmt.Errorf("writing the ResourceList: %w", err)
	}
	return nil
}

// encodeItem writes an item as kio.ByteWriter does, its lists indented as
// the file it came from indents them.
func encodeItem(buf *bytes.Buffer, n *yaml.RNode) error {
	if err := yaml.ClearEmptyAnnotations(n); err != nil {
		return err
	}
	e := yaml.NewEncoder(buf)
	if n.GetAnnotations()[kioutil.SeqIndentAnnotation] == string(yaml.WideSequenceStyle) {
		e.DefaultSeqIndent()
	} else {
		e.CompactSeqIndent()
	}
	if err := e.Encode(n.Document()); err != nil {
		return fmt.Errorf("writing %s: %w", identity(n), err)
	}
	return e.Close()
}

// writeItem writes a YAML document as an element of the list's items: its
// lines indented under "- ". Empty lines stay empty, so block scalars keep
// their content.
func writeItem(out *bufio.Writer, doc []byte) {
	out.WriteString("- ")
	first := true
	for line := range bytes.Lines(doc) {
		if !first && len(line) > 1 {
			out.WriteString("  ")
		}
		out.Write(line)
		first = false
	}
	if len(doc) > 0 && doc[len(doc)-1] != '\n' {
		out.WriteByte('\n')
	}
}

// listTail is the list's functionConfig and results, as framework.Execute
// writes them: the results of the input when the function has none.
func listTail(rl *framework.ResourceList, inputResults *yaml.RNode) ([]byte, error) {
	tail := &yaml.Node{Kind: yaml.MappingNode}
	if rl.FunctionConfig != nil {
		tail.Content = append(tail.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "functionConfig"}, rl.FunctionConfig.YNode())
	}
	if len(rl.Results) > 0 {
		b, err := yaml.Marshal(rl.Results)
		if err != nil {
			return nil, fmt.Errorf("writing the results: %w", err)
		}
		results, err := yaml.Parse(string(b))
		if err != nil {
			return nil, fmt.Errorf("writing the results: %w", err)
		}
		tail.Content = append(tail.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "results"}, results.YNode())
	} else if inputResults != nil {
		tail.Content = append(tail.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "results"}, inputResults.YNode())
	}
	if len(tail.Content) == 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	e := yaml.NewEncoder(&buf)
	if err := e.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{tail}}); err != nil {
		return nil, fmt.Errorf("writing the results: %w", err)
	}
	if err := e.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
