package conformance

import (
	"flag"
	"path"
	"strings"
	"testing"

	"istio.io/istio/pkg/config/analysis/msg"
)

// finding is one analyzer message, from istioctl's JSON or from the
// analyzers run in-process.
type finding struct {
	code, level, origin, message string
}

// suppression accepts one kind of analyzer finding for a written reason. An
// unused suppression fails the run, so none outlives the finding it was for.
type suppression struct {
	code   string // IST code
	origin string // as the analyzer names it, "Kind namespace/name"; path.Match wildcards
	reason string
	// runtimeOnly: the analyzer reads Pods, Services or Secrets, so only the
	// in-process run (TestAnalyzeWithRuntimeResources) can report it.
	runtimeOnly bool
}

// suppressions are the findings accepted, each with its reason; any other
// finding is fixed in the renderer.
var suppressions = []suppression{}

// knownBugs are renderer bugs found here and reported to the renderer's
// owner, accepted only for the golden case that shows them so that main
// stays green until the fix lands; each is logged on every run. Once fixed,
// the entry is reported as unused: delete it.
var knownBugs = []suppression{}

// judge fails the test on an error or warning that no suppression or known
// bug accepts; infos are reported only. A deprecation (isDeprecation) fails
// at any level, Info included, and no suppression accepts it: the API
// lifecycle rule (lifecycle.go) holds for what istioctl says too.
func judge(t *testing.T, f finding, used map[int]bool) {
	t.Helper()
	if isDeprecation(f) {
		if i := matching(knownBugs, f); i >= 0 {
			used[knownBugKey(i)] = true
			t.Logf("KNOWN %s (%s %s %s): %s", knownBugs[i].reason, f.level, f.code, f.origin, f.message)
			return
		}
		t.Errorf("deprecation: %s %s %s: %s", f.level, f.code, f.origin, f.message)
		return
	}
	if f.level == "Info" {
		t.Logf("info %s %s: %s", f.code, f.origin, f.message)
		return
	}
	if i := matching(suppressions, f); i >= 0 {
		used[i] = true
		t.Logf("suppressed %s %s %s (%s): %s", f.level, f.code, f.origin, suppressions[i].reason, f.message)
		return
	}
	if i := matching(knownBugs, f); i >= 0 {
		used[knownBugKey(i)] = true
		t.Logf("KNOWN %s (%s %s %s): %s", knownBugs[i].reason, f.level, f.code, f.origin, f.message)
		return
	}
	t.Errorf("%s %s %s: %s", f.level, f.code, f.origin, f.message)
}

// matching returns the index of the first entry accepting f, or -1. The
// istioctl validate errors carry no code: they match by origin alone.
func matching(list []suppression, f finding) int {
	for i, s := range list {
		if ok, _ := path.Match(s.origin, f.origin); ok && (s.code == f.code || f.code == validateCode) {
			return i
		}
	}
	return -1
}

// validateCode marks findings of istioctl validate, which has no codes; its
// errors are those the analyzers report as IST0106 (schema validation).
const validateCode = "validate"

// knownBugKey is where judge records a known bug's use: after the
// suppressions' indexes.
func knownBugKey(i int) int { return len(suppressions) + i }

// checkSuppressionsUsed fails on suppressions no finding needed, unless a
// -run filter may have left their findings out. A known bug no longer seen
// is only logged: its fix must not turn the build red.
func checkSuppressionsUsed(t *testing.T, used map[int]bool, runtime bool) {
	t.Helper()
	if f := flag.Lookup("test.run"); f != nil && f.Value.String() != "" {
		return
	}
	for i, b := range knownBugs {
		if !used[knownBugKey(i)] {
			t.Logf("known bug %s=%s no longer seen: delete its entry in knownBugs", b.code, b.origin)
		}
	}
	for i, s := range suppressions {
		if !used[i] && (runtime || !s.runtimeOnly) {
			t.Errorf("suppression %s=%s is no longer needed: remove it", s.code, s.origin)
		}
	}
}

// isDeprecation reports whether istioctl, or the analyzers in-process, say
// the configuration depends on something deprecated: the analyzers'
// Deprecated (a Warning) and DeprecatedAnnotation (an Info) messages, or any
// message that says "deprecat".
func isDeprecation(f finding) bool {
	return f.code == msg.Deprecated.Code() || f.code == msg.DeprecatedAnnotation.Code() ||
		mentionsDeprecation(f.message)
}

// mentionsDeprecation reports whether istioctl's text speaks of a deprecation.
func mentionsDeprecation(s string) bool {
	return strings.Contains(strings.ToLower(s), "deprecat")
}
