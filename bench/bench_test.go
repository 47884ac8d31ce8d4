package bench

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/meshwright/meshwright"
	"github.com/meshwright/meshwright/encode"
	"github.com/meshwright/meshwright/internal/specgen"
	"github.com/meshwright/meshwright/render"
	"github.com/meshwright/meshwright/schema"
	schemaload "github.com/meshwright/meshwright/schema/load"
)

// sizes are the tenant counts benchmarked, each with servicesPerTenant.
// 10,000 tenants (800,000 objects, half a minute per run) only when
// MESHWRIGHT_BENCH_10K is set, as `make bench` does for EndToEnd and
// BinaryRender:
//
//	MESHWRIGHT_BENCH_10K=1 go test ./bench -run '^$' -bench '(EndToEnd|BinaryRender)/tenants=10000$' -benchtime 1x -count 3
var sizes = benchSizes()

func benchSizes() []int {
	s := []int{1, 10, 100, 1000}
	if os.Getenv("MESHWRIGHT_BENCH_10K") != "" {
		s = append(s, 10000)
	}
	return s
}

const servicesPerTenant = 10

func files(tenants int) []schema.File {
	return specgen.Files(specgen.Options{Tenants: tenants, Services: servicesPerTenant})
}

func load(b *testing.B, fs []schema.File) *schema.Spec {
	spec, err := schemaload.Parse(fs...)
	if err != nil {
		b.Fatal(err)
	}
	return spec
}

func renderSpec(b *testing.B, spec *schema.Spec) []render.Object {
	objs, diags := render.Render(spec)
	if err := diags.Err(); err != nil {
		b.Fatal(err)
	}
	return objs
}

// renderAndEncode renders spec to YAML and returns the number of objects.
func renderAndEncode(b *testing.B, spec *schema.Spec) int {
	objs := renderSpec(b, spec)
	if _, err := encode.Stream(objs); err != nil {
		b.Fatal(err)
	}
	return len(objs)
}

// renderAndEncodeDir is `meshwright render DIR` in process: read, validate,
// render, and encode each input's objects as they come, then write the
// sorted stream.
func renderAndEncodeDir(b *testing.B, dir string) int {
	fs, err := meshwright.ReadFiles(dir)
	if err != nil {
		b.Fatal(err)
	}
	var docs encode.Documents
	if err := meshwright.RenderEach(fs, docs.Add).Err(); err != nil {
		b.Fatal(err)
	}
	if _, err := docs.WriteTo(io.Discard); err != nil {
		b.Fatal(err)
	}
	return docs.Len()
}

// reportObjects adds objects/s, the throughput a platform team cares about.
func reportObjects(b *testing.B, objects int) {
	b.ReportMetric(float64(objects)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
}

func BenchmarkLoad(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("tenants=%d", n), func(b *testing.B) {
			fs := files(n)
			b.ReportAllocs()
			for b.Loop() {
				load(b, fs)
			}
		})
	}
}

func BenchmarkRender(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("tenants=%d", n), func(b *testing.B) {
			spec := load(b, files(n))
			objects := 0
			b.ReportAllocs()
			for b.Loop() {
				objects = len(renderSpec(b, spec))
			}
			reportObjects(b, objects)
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("tenants=%d", n), func(b *testing.B) {
			objs := renderSpec(b, load(b, files(n)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := encode.Stream(objs); err != nil {
					b.Fatal(err)
				}
			}
			reportObjects(b, len(objs))
		})
	}
}

// BenchmarkRenderEncode is what the renderer costs on top of the encoder,
// the floor: its ratio to BenchmarkEncode is one of the targets.
func BenchmarkRenderEncode(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("tenants=%d", n), func(b *testing.B) {
			spec := load(b, files(n))
			objects := 0
			b.ReportAllocs()
			for b.Loop() {
				objects = renderAndEncode(b, spec)
			}
			reportObjects(b, objects)
		})
	}
}

// BenchmarkEndToEnd reads the spec from disk, validates, renders and
// encodes: what `meshwright render DIR` does, in process.
func BenchmarkEndToEnd(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("tenants=%d", n), func(b *testing.B) {
			dir := writeSpec(b, n)
			objects := 0
			b.ReportAllocs()
			for b.Loop() {
				objects = renderAndEncodeDir(b, dir)
			}
			reportObjects(b, objects)
		})
	}
}

// BenchmarkBinaryValidateOneTenant starts the meshwright binary to validate
// a one-tenant spec: the cost a kustomize build pays per function call,
// process start and schema compilation included.
func BenchmarkBinaryValidateOneTenant(b *testing.B) {
	bin := buildBinary(b)
	dir := writeSpec(b, 1)
	for b.Loop() {
		if out, err := exec.Command(bin, "validate", dir).CombinedOutput(); err != nil {
			b.Fatalf("validate: %v\n%s", err, out)
		}
	}
}

// BenchmarkBinaryRender runs `meshwright render DIR > /dev/null` with the
// binary, so with its garbage collector settings (tuneGC), which the
// in-process benchmarks do not have: at 10,000 tenants they decide whether
// the render takes 30 seconds or 160. Peak memory is reported as
// peak-RSS-MB, and the CPU time (user and system) as cpu-s/op: on a shared
// host that takes CPU back, it moves far less than the wall time.
func BenchmarkBinaryRender(b *testing.B) {
	bin := buildBinary(b)
	for _, n := range sizes {
		if n < 1000 {
			continue
		}
		b.Run(fmt.Sprintf("tenants=%d", n), func(b *testing.B) {
			dir := writeSpec(b, n)
			var use usage
			for b.Loop() {
				use.add(measure(b, nil, bin, "render", dir))
			}
			use.report(b)
		})
	}
}

// BenchmarkBinaryFunction runs the binary as a KRM function over the
// ResourceList kpt sends for a package of the spec: run=first holds the
// inputs alone, run=again the function's own output too, as `kpt fn
// render` sends a package that holds the previous render. Peak memory is
// reported as peak-RSS-MB, the CPU time as cpu-s/op.
func BenchmarkBinaryFunction(b *testing.B) {
	bin := buildBinary(b)
	for _, n := range sizes {
		if n < 100 || n > 1000 {
			continue
		}
		first := packageList(b, n)
		var again bytes.Buffer
		cmd := exec.Command(bin)
		cmd.Stdin, cmd.Stdout = bytes.NewReader(first), &again
		if err := cmd.Run(); err != nil {
			b.Fatalf("the function failed: %v", err)
		}
		for _, run := range []struct {
			name  string
			input []byte
		}{{"first", first}, {"again", again.Bytes()}} {
			b.Run(fmt.Sprintf("tenants=%d/run=%s", n, run.name), func(b *testing.B) {
				var use usage
				for b.Loop() {
					use.add(measure(b, bytes.NewReader(run.input), bin))
				}
				use.report(b)
			})
		}
	}
}

// packageList is the ResourceList kpt sends a function for a package that
// holds the spec's files: each document annotated with its file and index.
func packageList(b *testing.B, tenants int) []byte {
	var items []*yaml.RNode
	for _, f := range files(tenants) {
		nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(f.Data), SetAnnotations: map[string]string{kioutil.PathAnnotation: f.Path, kioutil.LegacyPathAnnotation: f.Path}}).Read()
		if err != nil {
			b.Fatal(err)
		}
		items = append(items, nodes...)
	}
	var list bytes.Buffer
	w := kio.ByteWriter{Writer: &list, KeepReaderAnnotations: true, WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion}
	if err := w.Write(items); err != nil {
		b.Fatal(err)
	}
	return list.Bytes()
}

func buildBinary(b *testing.B) string {
	bin := filepath.Join(b.TempDir(), "meshwright")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/meshwright").CombinedOutput(); err != nil {
		b.Fatalf("building the binary: %v\n%s", err, out)
	}
	return bin
}

// usage is what the runs of a binary used: the largest peak RSS (KiB) and
// the CPU time of all runs (seconds).
type usage struct {
	runs    int
	peakKiB int64
	cpu     float64
}

func (u *usage) add(run usage) {
	u.runs++
	u.peakKiB = max(u.peakKiB, run.peakKiB)
	u.cpu += run.cpu
}

func (u *usage) report(b *testing.B) {
	b.ReportMetric(float64(u.peakKiB)/1024, "peak-RSS-MB")
	b.ReportMetric(u.cpu/float64(u.runs), "cpu-s/op")
}

// measure runs the binary with its output discarded and returns its peak
// RSS and CPU time (user and system), as GNU time measures them. A child
// this process starts itself would report this process's RSS when that is
// larger: Go starts children sharing its memory until they exec, and Linux
// keeps the larger high-water mark across the exec (after an in-process
// benchmark at 10,000 tenants, several GB).
func measure(b *testing.B, stdin io.Reader, bin string, args ...string) usage {
	timings := filepath.Join(b.TempDir(), "time.txt")
	var stderr bytes.Buffer
	cmd := exec.Command("/usr/bin/time", append([]string{"-o", timings, "-f", "%M %U %S", bin}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %v (GNU time is needed, Debian package time): %v\n%s", bin, args, err, stderr.Bytes())
	}
	out, err := os.ReadFile(timings)
	if err != nil {
		b.Fatal(err)
	}
	var kib int64
	var user, system float64
	if _, err := fmt.Sscanf(string(out), "%d %g %g", &kib, &user, &system); err != nil {
		b.Fatalf("GNU time wrote %q: %v", out, err)
	}
	return usage{peakKiB: kib, cpu: user + system}
}

func writeSpec(b *testing.B, tenants int) string {
	dir := b.TempDir()
	for _, f := range files(tenants) {
		path := filepath.Join(dir, f.Path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, f.Data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}
