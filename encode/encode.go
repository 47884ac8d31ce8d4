// Package encode writes rendered objects as deterministic YAML: keys sorted,
// no empty status, no null creationTimestamp, the same bytes for the same
// objects on every machine.
package encode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/meshwright/meshwright/render"
)

// Object encodes one object as a YAML document (without separator).
func Object(o render.Object) ([]byte, error) {
	v, err := Plain(o)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := writeValue(&buf, v); err != nil {
		return nil, fmt.Errorf("encoding %s %s/%s: %w", render.Kind(o), o.GetNamespace(), o.GetName(), err)
	}
	return buf.Bytes(), nil
}

// Stream encodes objects as one multi-document YAML stream.
func Stream(objs []render.Object) ([]byte, error) {
	docs, err := Objects(objs)
	if err != nil {
		return nil, err
	}
	size := 0
	for _, d := range docs {
		size += len(d) + len("---\n")
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	for i, d := range docs {
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(d)
	}
	return buf.Bytes(), nil
}

// Objects encodes each object as a YAML document, on every core: objects
// encode independently, and at platform scale encoding is most of a render.
func Objects(objs []render.Object) ([][]byte, error) {
	docs := make([][]byte, len(objs))
	errs := make([]error, len(objs))
	workers := min(runtime.GOMAXPROCS(0), len(objs)/minObjectsPerWorker+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(objs); i += workers {
				docs[i], errs[i] = Object(objs[i])
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return docs, nil
}

// minObjectsPerWorker keeps small renders on one goroutine.
const minObjectsPerWorker = 256

// Plain returns the object as plain maps, lists and scalars, shaped as it
// is written: the form the YAML writer takes, and tests read. JSON is the
// round trip because the upstream types (Kubernetes, Istio's protos) define
// their wire form in JSON.
func Plain(o render.Object) (map[string]any, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("encoding %s %s/%s: %w", render.Kind(o), o.GetNamespace(), o.GetName(), err)
	}
	decoded, err := decodeJSON(b)
	if err != nil {
		return nil, fmt.Errorf("decoding %s %s/%s: %w", render.Kind(o), o.GetNamespace(), o.GetName(), err)
	}
	v, ok := decoded.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("encoding %s %s/%s: not a JSON object", render.Kind(o), o.GetNamespace(), o.GetName())
	}
	shape(v)
	return v, nil
}

// Path is the file an object is written to, relative to the output
// directory: grouped by the input it came from, then by namespace, so a
// tenant's rendered files sit in one folder its owners can review.
//
//	tenant/bookinfo/bookinfo/networkpolicy-deny-by-default.yaml
//	mesh/platform/_cluster/namespace-istio-system.yaml
func Path(o render.Object) string {
	source := o.GetAnnotations()[render.AnnotationSource]
	kind, name, _ := strings.Cut(source, "/")
	ns := o.GetNamespace()
	if ns == "" {
		ns = "_cluster"
	}
	// ':' (RBAC names) is not portable in file names; '_' cannot occur in
	// object names, so the mapping stays one to one.
	file := strings.ToLower(render.Kind(o)) + "-" + strings.ReplaceAll(o.GetName(), ":", "_") + ".yaml"
	return strings.ToLower(kind) + "/" + name + "/" + ns + "/" + file
}
