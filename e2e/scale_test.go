package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/meshwright/meshwright/internal/specgen"
	"github.com/meshwright/meshwright/schema"
)

// TestScaleCurve measures how the real kustomize and kpt scale with the
// function: tenants in, objects out, seconds, and peak RSS, over specgen
// platforms (N tenants × 10 services, as bench/ uses). It takes a long time
// (kustomize's bookkeeping is quadratic in the resources it holds), so it
// runs only when asked:
//
//	MESHWRIGHT_SCALE_CURVE=1 go test ./e2e -run TestScaleCurve -v -timeout 0
//
// Subtests, in the order they run (select with -run TestScaleCurve/kpt$ etc.):
//
//   - kustomize: the function as an exec transformer over a base holding the
//     Mesh and N Tenants, as overlays/ does (MESHWRIGHT_SCALE_KUSTOMIZE,
//     default 10,25,50,100 tenants).
//   - kustomize-plain: kustomize build of the same rendered objects as one
//     plain resource file, no function (MESHWRIGHT_SCALE_PLAIN, default 50,100).
//   - kpt: kpt fn render --allow-exec of a package holding the Mesh and N
//     Tenants (MESHWRIGHT_SCALE_KPT, default 10,100,300,1000).
//   - kustomize-shard, kpt-shard: a shard with the function as a
//     transformer over every input, 1,000 tenants in, 50 tenants' objects
//     out (data.tenants, data.mesh: "false");
//     MESHWRIGHT_SCALE_SHARD=TENANTS:SHARD,… changes the sizes.
//   - kustomize-shard-plain: kustomize build of the shard's objects as one
//     plain resource file: what kustomize costs for the output alone.
//   - kustomize-shard-generator: the shard as overlays/shards/ lays it out,
//     the function as a generator reading the spec files (data.sources).
//
// Every row checks the tool's output against `meshwright render` of the
// same spec (both tools skip exec functions silently when misconfigured):
// kustomize's output must hold exactly the rendered objects that are not
// local-config, kpt's rendered/ must be byte for byte `meshwright render -o`.
// A size that takes longer than MESHWRIGHT_SCALE_BUDGET (default 3m) stops
// its curve: the larger sizes are skipped. MESHWRIGHT_SCALE_LOG names a file
// each row is appended to as it is measured.
//
// Peak RSS is given twice: the tool's own (VmHWM, sampled while it runs)
// and the largest of its process tree, the function included (wait4's
// rusage Maxrss, taken by /usr/bin/time). With /usr/bin/time (GNU time) the
// function also runs under it, which gives the function's own wall time and
// peak RSS.
func TestScaleCurve(t *testing.T) {
	if os.Getenv("MESHWRIGHT_SCALE_CURVE") == "" {
		t.Skip("MESHWRIGHT_SCALE_CURVE=1 go test ./e2e -run TestScaleCurve -v -timeout 0 (takes many minutes)")
	}
	s := &scale{budget: 3 * time.Minute, specs: map[int]string{}, root: t.TempDir()}
	if v := os.Getenv("MESHWRIGHT_SCALE_BUDGET"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("MESHWRIGHT_SCALE_BUDGET: %v", err)
		}
		s.budget = d
	}
	s.log = os.Getenv("MESHWRIGHT_SCALE_LOG")
	s.logf("# %s  meshwright %s  kustomize %s  kpt %s  services/tenant %d  %s",
		time.Now().Format(time.RFC3339), describeSource(t), toolVersion(t, kustomize(t), "version"),
		toolVersion(t, kpt(t), "version"), scaleServices, loadAvg())
	s.logf("%s", rowHeader)
	shards := sizePairs(t, "MESHWRIGHT_SCALE_SHARD", [2]int{1000, 50})

	t.Run("kustomize", func(t *testing.T) {
		s.curve(t, sizes(t, "MESHWRIGHT_SCALE_KUSTOMIZE", 10, 25, 50, 100), func(t *testing.T, n int) scaleRow {
			return s.kustomizeFunction(t, n, nil)
		})
	})
	t.Run("kustomize-plain", func(t *testing.T) {
		s.curve(t, sizes(t, "MESHWRIGHT_SCALE_PLAIN", 50, 100), func(t *testing.T, n int) scaleRow {
			return s.kustomizePlain(t, n, nil)
		})
	})
	t.Run("kpt", func(t *testing.T) {
		s.curve(t, sizes(t, "MESHWRIGHT_SCALE_KPT", 10, 100, 300, 1000), func(t *testing.T, n int) scaleRow {
			return s.kptRender(t, n, nil)
		})
	})
	for _, layout := range []struct {
		name    string
		measure func(*testing.T, int, []string) scaleRow
	}{
		{"kustomize-shard", s.kustomizeFunction},
		{"kustomize-shard-plain", s.kustomizePlain},
		{"kustomize-shard-generator", s.kustomizeSources},
		{"kpt-shard", s.kptRender},
	} {
		t.Run(layout.name, func(t *testing.T) {
			for _, p := range shards {
				t.Run(fmt.Sprintf("tenants=%d,shard=%d", p[0], p[1]), func(t *testing.T) {
					s.record(t, layout.measure(t, p[0], shardNames(p[0], p[1])))
				})
			}
		})
	}
	var table strings.Builder
	table.WriteString(rowHeader + "\n")
	for _, r := range s.rows {
		table.WriteString(r.String() + "\n")
	}
	t.Logf("\n%s", table.String())
}

const scaleServices = 10

// scale holds what the subtests share: the generated specs (one directory
// per size, written once) and the rows measured so far.
type scale struct {
	root   string
	budget time.Duration
	log    string
	specs  map[int]string
	rows   []scaleRow
}

// scaleRow is one measurement.
type scaleRow struct {
	tool, layout string
	tenants      int // tenants in the spec
	shard        int // tenants rendered; -1: all
	resources    int // documents the tool is given
	objects      int // objects in the tool's output
	wall         time.Duration
	toolRSS      int64 // KiB, the tool alone
	treeRSS      int64 // KiB, the largest in the tool's process tree (the function is in it)
	fnWall       string
	fnRSS        int64 // KiB, the function alone; 0 when unknown
	load         string
}

const rowHeader = "tool      | layout                  | tenants in | rendered | resources in | objects out | seconds | peak RSS MiB: tool / tree | function s / MiB | load (1/5/15 min, before -> after)"

func (r scaleRow) String() string {
	rendered := "all"
	if r.shard >= 0 {
		rendered = strconv.Itoa(r.shard)
	}
	fn := "-"
	if r.fnWall != "" {
		fn = fmt.Sprintf("%s / %d", r.fnWall, r.fnRSS/1024)
	}
	return fmt.Sprintf("%-9s | %-23s | %10d | %8s | %12d | %11d | %7.1f | %25s | %16s | %s",
		r.tool, r.layout, r.tenants, rendered, r.resources, r.objects, r.wall.Seconds(),
		fmt.Sprintf("%d / %d", r.toolRSS/1024, r.treeRSS/1024), fn, r.load)
}

func (s *scale) logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	fmt.Println(line)
	if s.log == "" {
		return
	}
	f, err := os.OpenFile(s.log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer f.Close()
	fmt.Fprintln(f, line)
}

func (s *scale) record(t *testing.T, r scaleRow) {
	t.Helper()
	s.rows = append(s.rows, r)
	s.logf("%s", r)
}

// curve measures the sizes in increasing order and stops after the first
// one that takes longer than the budget.
func (s *scale) curve(t *testing.T, ns []int, measure func(*testing.T, int) scaleRow) {
	for i, n := range ns {
		var r scaleRow
		ok := t.Run(fmt.Sprintf("tenants=%d", n), func(t *testing.T) {
			r = measure(t, n)
			s.record(t, r)
		})
		if !ok {
			return
		}
		if r.wall > s.budget && i+1 < len(ns) {
			s.logf("# %s %s: %d tenants took %.0f s, over the %v budget: %v not measured", r.tool, r.layout, n, r.wall.Seconds(), s.budget, ns[i+1:])
			return
		}
	}
}

// spec writes the specgen platform with n tenants once and returns its
// directory: mesh.yaml and tenants/team-NNNN.yaml, every document marked
// local-config as overlays/base marks them.
func (s *scale) spec(t *testing.T, n int) string {
	t.Helper()
	if dir, ok := s.specs[n]; ok {
		return dir
	}
	dir := filepath.Join(s.root, fmt.Sprintf("spec-%d", n))
	for _, f := range scaleFiles(n) {
		if err := writeFile(filepath.Join(dir, f.Path), localConfig(f.Data)); err != nil {
			t.Fatal(err)
		}
	}
	s.specs[n] = dir
	return dir
}

func scaleFiles(n int) []schema.File {
	return specgen.Files(specgen.Options{Tenants: n, Services: scaleServices})
}

func localConfig(doc []byte) []byte {
	return bytes.Replace(doc, []byte("\nmetadata:\n"), []byte("\nmetadata:\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\n"), 1)
}

// specFiles lists the spec's files relative to dir: mesh.yaml first.
func specFiles(t *testing.T, dir string) []string {
	t.Helper()
	tenants, err := filepath.Glob(filepath.Join(dir, "tenants", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"mesh.yaml"}
	for _, f := range tenants {
		files = append(files, filepath.Join("tenants", filepath.Base(f)))
	}
	return files
}

// shardNames are size tenants spread evenly over the n of the spec.
func shardNames(n, size int) []string {
	names := make([]string, 0, size)
	for i := 0; i < size; i++ {
		names = append(names, fmt.Sprintf("team-%04d", i*n/size))
	}
	return names
}

// function writes dir/bin/meshwright, the function the layouts run: the
// meshwright under test, under /usr/bin/time when there is one so the
// function's own time and peak RSS are known. It returns the script and the
// file time writes to.
func function(t *testing.T, dir string) (string, string) {
	t.Helper()
	script := filepath.Join(dir, "bin", "meshwright")
	timings := filepath.Join(dir, "function-time.txt")
	body := fmt.Sprintf("#!/bin/sh\nexec %q \"$@\"\n", binary)
	if _, err := os.Stat("/usr/bin/time"); err == nil {
		body = fmt.Sprintf("#!/bin/sh\nexec /usr/bin/time -a -o %q -f '%%e %%M' %q \"$@\"\n", timings, binary)
	}
	if err := writeFile(script, []byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(script, 0o755); err != nil {
		t.Fatal(err)
	}
	return script, timings
}

// functionTime reads what /usr/bin/time wrote: seconds and peak RSS (KiB)
// of the one run of the function.
func functionTime(t *testing.T, timings string) (string, int64) {
	t.Helper()
	b, err := os.ReadFile(timings)
	if os.IsNotExist(err) {
		return "", 0
	}
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	fields := strings.Fields(lines[len(lines)-1])
	if len(lines) != 1 || len(fields) != 2 {
		t.Fatalf("the function ran other than once:\n%s", b)
	}
	rss, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", timings, err)
	}
	return fields[0], rss
}

// measureRow runs a tool in dir and fills in r's wall time, peak RSS and
// the machine's load around it; it returns r and the tool's stdout.
func measureRow(t *testing.T, r scaleRow, dir, name string, args ...string) (scaleRow, string) {
	t.Helper()
	before := loadAvg()
	m := measureRun(t, dir, name, args...)
	r.wall, r.treeRSS, r.toolRSS, r.load = m.wall, m.treeRSS, m.toolRSS, before+" -> "+loadAvg()
	return r, m.stdout
}

// measured is one run of a tool.
type measured struct {
	stdout string
	wall   time.Duration
	// toolRSS is the tool's own peak RSS (VmHWM, sampled every 50 ms while
	// it runs), treeRSS the largest of its process tree, the function
	// included (wait4's rusage, as /usr/bin/time reports it).
	toolRSS, treeRSS int64 // KiB
}

// measureRun runs a tool in dir and measures it. The tool runs under
// /usr/bin/time when there is one: a child this test starts directly
// reports, in its rusage, the test's own peak RSS when that is larger (Go
// starts children with CLONE_VM, sharing the test's memory until exec).
func measureRun(t *testing.T, dir string, name string, args ...string) measured {
	t.Helper()
	timings := filepath.Join(t.TempDir(), "tool-time.txt")
	cmd := exec.Command(name, args...)
	timed := false
	if _, err := os.Stat("/usr/bin/time"); err == nil {
		cmd = exec.Command("/usr/bin/time", append([]string{"-o", timings, "-f", "%M", name}, args...)...)
		timed = true
	}
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	hwm := make(chan int64)
	go func() {
		var peak int64
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			pid := cmd.Process.Pid
			if timed {
				pid = firstChild(pid)
			}
			if v := vmHWM(pid); v > peak {
				peak = v
			}
			select {
			case <-done:
				hwm <- peak
				return
			case <-tick.C:
			}
		}
	}()
	err := cmd.Wait()
	m := measured{stdout: stdout.String(), wall: time.Since(start)}
	close(done)
	m.toolRSS = <-hwm
	t.Logf("%s$ %s %s (%v, %.1f s)", dir, filepath.Base(name), strings.Join(args, " "), err, m.wall.Seconds())
	if err != nil {
		t.Fatalf("%s: %v\nstderr:\n%s", filepath.Base(name), err, stderr.String())
	}
	if !timed {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			m.treeRSS = ru.Maxrss // KiB on Linux; at least this test's own peak
		}
		return m
	}
	b, err := os.ReadFile(timings)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		t.Fatalf("%s is empty", timings)
	}
	if m.treeRSS, err = strconv.ParseInt(fields[len(fields)-1], 10, 64); err != nil {
		t.Fatalf("%s: %v", timings, err)
	}
	return m
}

// firstChild is the first child process of pid, 0 when none.
func firstChild(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	child, _ := strconv.Atoi(f[0])
	return child
}

// vmHWM is the peak RSS (KiB) of the process so far, 0 when unknown.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// kustomizeFunction builds an overlay that runs the function as an exec
// transformer over a base of the spec, as overlays/ does: over all tenants,
// or the shard's.
func (s *scale) kustomizeFunction(t *testing.T, n int, shard []string) scaleRow {
	spec := s.spec(t, n)
	root := t.TempDir()
	script, timings := function(t, root)
	copyTree(t, spec, filepath.Join(root, "base"))
	files := specFiles(t, spec)
	mustWrite(t, filepath.Join(root, "base", "kustomization.yaml"), "resources:\n  - "+strings.Join(files, "\n  - ")+"\n")
	config := ""
	if shard != nil {
		config = fmt.Sprintf("data:\n  tenants: %q\n  mesh: \"false\"\n", strings.Join(shard, ", "))
	}
	mustWrite(t, filepath.Join(root, "overlay", "kustomization.yaml"), "resources:\n  - ../base\ntransformers:\n  - meshwright.yaml\n")
	mustWrite(t, filepath.Join(root, "overlay", "meshwright.yaml"), execFunction(script, config))
	r, stdout := measureRow(t, scaleRow{tool: "kustomize", layout: "function", tenants: n, shard: -1, resources: len(files)}, root, kustomize(t), "build", "--enable-alpha-plugins", "--enable-exec", "overlay")
	if shard != nil {
		r.layout, r.shard = "function, shard", len(shard)
	}
	r.fnWall, r.fnRSS = functionTime(t, timings)
	r.objects = checkKustomizeOutput(t, stdout, spec, shard)
	return r
}

// execFunction is the ConfigMap that declares script as kustomize's exec
// function, one directory below it, with the settings in data (YAML).
func execFunction(script, data string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata:
  name: meshwright
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: ../bin/%s
%s`, filepath.Base(script), data)
}

// kustomizePlain builds the rendered objects (all, or the shard's) as one
// plain resource file, without the function.
func (s *scale) kustomizePlain(t *testing.T, n int, shard []string) scaleRow {
	spec := s.spec(t, n)
	root := t.TempDir()
	stdout, stderr, code := runMeshwright(t, root, nil, append([]string{"render"}, append(shardFlags(shard), spec)...)...)
	if code != 0 {
		t.Fatalf("meshwright render: exit %d\n%s", code, stderr)
	}
	mustWrite(t, filepath.Join(root, "plain", "objects.yaml"), stdout)
	mustWrite(t, filepath.Join(root, "plain", "kustomization.yaml"), "resources:\n  - objects.yaml\n")
	resources := strings.Count("\n"+stdout, "\n---\n") + 1
	r, stdout := measureRow(t, scaleRow{tool: "kustomize", layout: "plain objects", tenants: n, shard: -1, resources: resources}, root, kustomize(t), "build", "plain")
	if shard != nil {
		r.layout, r.shard = "plain objects, shard", len(shard)
	}
	r.objects = checkKustomizeOutput(t, stdout, spec, shard)
	return r
}

// kustomizeSources builds the shard as overlays/shards/ lays it out: the
// function as a generator that reads the spec files itself (data.sources),
// so kustomize holds only the shard's objects, never the spec.
func (s *scale) kustomizeSources(t *testing.T, n int, shard []string) scaleRow {
	spec := s.spec(t, n)
	root := t.TempDir()
	script, timings := function(t, root)
	mustWrite(t, filepath.Join(root, "generator", "kustomization.yaml"), "generators:\n  - meshwright.yaml\n")
	config := fmt.Sprintf("data:\n  sources: %q\n  tenants: %q\n  mesh: \"false\"\n",
		filepath.Join(spec, "mesh.yaml")+", "+filepath.Join(spec, "tenants"), strings.Join(shard, ", "))
	mustWrite(t, filepath.Join(root, "generator", "meshwright.yaml"), execFunction(script, config))
	r, stdout := measureRow(t, scaleRow{tool: "kustomize", layout: "generator, shard", tenants: n, shard: len(shard), resources: 0}, root, kustomize(t), "build", "--enable-alpha-plugins", "--enable-exec", "generator")
	r.fnWall, r.fnRSS = functionTime(t, timings)
	r.objects = checkKustomizeOutput(t, stdout, spec, shard)
	return r
}

// kptRender runs kpt fn render --allow-exec over a package of the spec
// whose Kptfile runs the function (with the shard's settings, if any).
func (s *scale) kptRender(t *testing.T, n int, shard []string) scaleRow {
	spec := s.spec(t, n)
	root := t.TempDir()
	script, timings := function(t, root)
	pkg := filepath.Join(root, "pkg")
	copyTree(t, spec, pkg)
	config := ""
	if shard != nil {
		config = fmt.Sprintf("      configMap:\n        tenants: %q\n        mesh: \"false\"\n", strings.Join(shard, ", "))
	}
	mustWrite(t, filepath.Join(pkg, "Kptfile"), kptfileWith("    - exec: "+script+"\n"+config))
	r, _ := measureRow(t, scaleRow{tool: "kpt", layout: "function", tenants: n, shard: -1, resources: len(specFiles(t, spec)) + 1}, pkg, kpt(t), "fn", "render", "--allow-exec")
	if shard != nil {
		r.layout, r.shard = "function, shard", len(shard)
	}
	r.fnWall, r.fnRSS = functionTime(t, timings)
	got := readTree(t, filepath.Join(pkg, "rendered"))
	want := cliTree(t, append(shardFlags(shard), spec)...)
	if d := diffTrees(want, got); d != "" {
		if len(d) > 4000 {
			d = d[:4000] + "…"
		}
		t.Fatalf("rendered/ (%d files) is not what meshwright render -o writes (%d files):\n%s", len(got), len(want), d)
	}
	r.objects = len(got)
	return r
}

func shardFlags(shard []string) []string {
	if shard == nil {
		return nil
	}
	return []string{"--tenants=" + strings.Join(shard, ","), "--mesh=false"}
}

// checkKustomizeOutput fails unless kustomize's output holds exactly the
// objects `meshwright render` renders from the spec (the shard's, if any),
// less the local-config ones kustomize leaves out, and returns how many.
func checkKustomizeOutput(t *testing.T, out, spec string, shard []string) int {
	t.Helper()
	stdout, stderr, code := runMeshwright(t, ".", nil, append([]string{"render"}, append(shardFlags(shard), spec)...)...)
	if code != 0 {
		t.Fatalf("meshwright render: exit %d\n%s", code, stderr)
	}
	want := map[string]int{}
	for _, o := range readStream(t, stdout) {
		if o.GetAnnotations()["config.kubernetes.io/local-config"] != "true" {
			want[o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName()]++
		}
	}
	got := map[string]int{}
	objs := readStream(t, out)
	for _, o := range objs {
		got[o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName()]++
	}
	var missing, extra []string
	for k, c := range want {
		if got[k] != c {
			missing = append(missing, k)
		}
	}
	for k, c := range got {
		if want[k] != c {
			extra = append(extra, k)
		}
	}
	if len(missing)+len(extra) > 0 {
		t.Fatalf("kustomize output (%d objects) is not meshwright's render (%d objects): %d missing (%s), %d unexpected (%s)",
			len(objs), len(want), len(missing), firstFew(missing), len(extra), firstFew(extra))
	}
	if len(objs) == 0 {
		t.Fatal("kustomize output is empty")
	}
	return len(objs)
}

func readStream(t *testing.T, s string) []*yaml.RNode {
	t.Helper()
	objs, err := (&kio.ByteReader{Reader: strings.NewReader(s), OmitReaderAnnotations: true}).Read()
	if err != nil {
		t.Fatalf("reading a YAML stream: %v", err)
	}
	return objs
}

func firstFew(ids []string) string {
	if len(ids) > 5 {
		return strings.Join(ids[:5], ", ") + ", …"
	}
	return strings.Join(ids, ", ")
}

// sizes reads a comma-separated list of tenant counts from the environment.
func sizes(t *testing.T, env string, def ...int) []int {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		return def
	}
	var ns []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want tenant counts, e.g. 10,25,50", env, v)
		}
		ns = append(ns, n)
	}
	return ns
}

// sizePairs reads a comma-separated list of TENANTS:SHARD from the environment.
func sizePairs(t *testing.T, env string, def ...[2]int) [][2]int {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		return def
	}
	var pairs [][2]int
	for _, f := range strings.Split(v, ",") {
		a, b, ok := strings.Cut(strings.TrimSpace(f), ":")
		n, err1 := strconv.Atoi(a)
		m, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || m < 1 || m > n {
			t.Fatalf("%s=%q: want TENANTS:SHARD pairs, e.g. 1000:50,1000:10", env, v)
		}
		pairs = append(pairs, [2]int{n, m})
	}
	return pairs
}

// loadAvg is the machine's load (1, 5, 15 minutes): the machine is shared.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func toolVersion(t *testing.T, tool string, args ...string) string {
	t.Helper()
	out, err := exec.Command(tool, args...).CombinedOutput()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

// describeSource says which code the meshwright under test was built from.
func describeSource(t *testing.T) string {
	t.Helper()
	head, err := exec.Command("git", "-C", repoRoot, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "?"
	}
	desc := strings.TrimSpace(string(head))
	if status, err := exec.Command("git", "-C", repoRoot, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(status) > 0 {
		desc += " + uncommitted changes"
	}
	return desc
}
