package cueschema

import (
	"fmt"
	"sort"
	"strings"

	cueerrors "cuelang.org/go/cue/errors"

	"github.com/meshwright/meshwright/schema"
)

// This file is the one place that reads CUE's error messages. It depends on
// their wording and on the regular expressions of the .cue files; a CUE
// upgrade or a schema change that breaks a rewrite fails messages_test.go
// rather than silently degrading what users read.

// message is one rewritten problem and its code.
type message struct {
	code schema.Code
	text string
}

// diagnostics turns CUE's errors into one message per field path. CUE
// reports each failed alternative of a disjunction separately, including the
// default it tried first; a user wants to know what the field accepts.
func diagnostics(doc Document, err error) []schema.Diagnostic {
	type issue struct {
		msgs       []message
		mismatches []mismatch // one per alternative of another type
		fallback   []message  // said only when nothing better is known
		conflicts  []string   // the accepted values of an enum the input missed
		got        string
		// listDefault: the fallback is a default list's element that the
		// input has and the default has not; another issue anywhere in the
		// list explains it better.
		listDefault bool
	}
	issues := map[string]*issue{}
	var order []string
	for _, e := range cueerrors.Errors(err) {
		p := e.Path()
		if len(p) > 0 && strings.HasPrefix(p[0], "#") {
			p = p[1:]
		}
		key := strings.Join(p, "\x00")
		is := issues[key]
		if is == nil {
			is = &issue{}
			issues[key] = is
			order = append(order, key)
		}
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		switch {
		case strings.Contains(msg, "errors in empty disjunction"), strings.Contains(msg, "(type _|_)"):
			// a summary, or a consequence of an error reported on its own
		case format == "conflicting values %s and %s (mismatched types %s and %s)" && len(args) == 4:
			// CUE names the input's value first here, the schema's type second
			is.mismatches = append(is.mismatches, mismatch{got: fmt.Sprint(args[0]), gotType: fmt.Sprint(args[2]), want: fmt.Sprint(args[3])})
		case format == "conflicting values %s and %s" && len(args) == 2:
			// and here the schema's value first, the input's second: the
			// validator unifies the definition with the document
			is.conflicts = append(is.conflicts, fmt.Sprint(args[0]))
			is.got = fmt.Sprint(args[1])
		case msg == fieldNotAllowed && schema.Path(p).EndsInIndex():
			// an element beyond a default list's length (egress: *[]): the
			// default was tried and did not fit, not the user's mistake
			is.fallback = append(is.fallback, message{schema.CodeUnknownField, msg})
			is.listDefault = true
		case strings.HasPrefix(msg, "incompatible list lengths (0 and"):
			is.fallback = append(is.fallback, message{schema.CodeEmpty, "must list at least one item"})
		case strings.HasPrefix(msg, "incompatible list lengths"):
			// the default list was tried and did not fit: not the user's mistake
			is.fallback = append(is.fallback, message{schema.CodeSchema, msg})
		default:
			is.msgs = append(is.msgs, humanize(msg))
		}
	}
	var diags []schema.Diagnostic
	for _, key := range order {
		is := issues[key]
		var p schema.Path
		if key != "" {
			p = strings.Split(key, "\x00")
		}
		msgs := is.msgs
		switch {
		case len(msgs) > 0:
			// a constraint failed on a value of the right type: the type
			// mismatches of a disjunction's other alternatives are noise
		case len(is.mismatches) > 0:
			msgs = []message{{schema.CodeWrongType, mismatchedTypes(is.mismatches)}}
		case len(is.conflicts) > 1:
			sort.Strings(is.conflicts)
			msgs = []message{{schema.CodeNotAllowed, fmt.Sprintf("must be one of %s (got %s)%s", strings.Join(dedupe(is.conflicts), ", "), is.got, didYouMean(is.got, is.conflicts))}}
		case len(is.conflicts) == 1:
			msgs = []message{{schema.CodeNotAllowed, fmt.Sprintf("must be %s (got %s)%s", is.conflicts[0], is.got, didYouMean(is.got, is.conflicts))}}
		case is.listDefault:
			if !hasOtherBelow(issues, strings.Join(p[:len(p)-1], "\x00"), key) {
				msgs = is.fallback
			}
		case !hasDeeper(issues, key):
			msgs = is.fallback
		}
		for _, m := range emptyWins(dedupe(msgs)) {
			diags = append(diags, doc.locate(m.code, p, m.text))
		}
	}
	if len(diags) == 0 {
		// never let an error pass unreported because no rule above knew it
		diags = append(diags, doc.locate(schema.CodeSchema, nil, err.Error()))
	}
	return diags
}

// didYouMean names the accepted value that got differs from only in case:
// enumerations are case-sensitive, and "simple" for SIMPLE is the usual slip.
func didYouMean(got string, accepted []string) string {
	for _, a := range accepted {
		if a != got && strings.EqualFold(a, got) {
			return ": did you mean " + a + "?"
		}
	}
	return ""
}

// hasDeeper tells whether an issue sits below key: then key's own fallback
// message (a failed default) only repeats it.
func hasDeeper[V any](issues map[string]V, key string) bool {
	for k := range issues {
		if len(k) > len(key) && strings.HasPrefix(k, key+"\x00") {
			return true
		}
	}
	return false
}

// hasOtherBelow tells whether an issue other than key's sits below scope.
func hasOtherBelow[V any](issues map[string]V, scope, key string) bool {
	for k := range issues {
		if k != key && strings.HasPrefix(k, scope+"\x00") {
			return true
		}
	}
	return false
}

// mismatch is one alternative's complaint about a value of the wrong type.
type mismatch struct{ got, gotType, want string }

// mismatchedTypes explains a value of the wrong type, naming every type the
// alternatives of the field accept.
func mismatchedTypes(ms []mismatch) string {
	var wants []string
	for _, m := range ms {
		wants = append(wants, m.want)
	}
	sort.Strings(wants)
	wants = dedupe(wants)
	got, gotType, want := shorten(ms[0].got), ms[0].gotType, strings.Join(wants, " or ")
	msg := fmt.Sprintf("expected %s, got %s %s", want, gotType, got)
	if got == gotType { // null: a key written without a value
		msg = fmt.Sprintf("expected %s, got null", want)
		switch want {
		case "struct":
			msg += " (the key has no value: give its fields, or {} for the defaults)"
		case "list":
			msg += " (the key has no value: give its items, or [] for none)"
		}
	}
	if want == "string" && (gotType == "float" || gotType == "int" || gotType == "bool") {
		msg += " (quote it to make it a string)"
	}
	return msg
}

// shorten keeps a quoted input value readable in a one-line message.
func shorten(s string) string {
	const max = 60
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// emptyWins says only "must not be empty" when a value is empty: the other
// alternatives of a disjunction (a default, a pattern) only restate it.
func emptyWins(msgs []message) []message {
	for _, m := range msgs {
		if m.text == mustNotBeEmpty {
			return []message{m}
		}
	}
	return msgs
}

func dedupe[T comparable](s []T) []T {
	seen := map[T]bool{}
	var out []T
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// patternNames explains the schema's regular expressions in words. Every
// pattern of the .cue files has an entry (messages_test.go checks).
var patternNames = map[string]string{
	`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`:                                   "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit",
	`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`: "must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', no wildcards",
	`\.`:              "must be a fully qualified host name (contain a dot)",
	`^1\.[0-9]{1,3}$`: "must be MAJOR.MINOR, e.g. \"1.30\" (quote it: 1.30 unquoted is the number 1.3)",
	`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`: "must be a semantic version MAJOR.MINOR.PATCH, e.g. 1.30.2",
	`^([0-9]+(\.[0-9]+)?(h|m|s|ms))+$`:           "must be a duration such as 2160h or 90m",
	`^https?://`:                                 "must be an http:// or https:// URL",
	`^(oci|https?)://[^\s]+$`:                    "must be an OCI registry (oci://host/path) or Helm repository (https://...) URL without spaces",
	`^/`:                                         "must be an absolute path",
	`^[0-9a-fA-F:.]+/[0-9]{1,3}$`:                "must be a network in CIDR notation, e.g. 10.0.0.0/8",
	`^[a-z0-9]([-a-z0-9._:]*[a-z0-9])?(/[a-z0-9]([-a-z0-9._]*[a-z0-9])?)*$`: "must be an image registry and path such as registry.example.com/istio: lowercase letters, digits, '-', '.' and '_', a :port, path segments separated by '/'",
	`^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|Pi|Ei|M|G|T|P|E)?$`:                 "must be a Kubernetes quantity such as 500m, 128Mi or 2",
}

// boundWords are ordered so that ">=" is tried before ">".
var boundWords = []struct{ op, words string }{{">=", "at least"}, {"<=", "at most"}, {">", "greater than"}, {"<", "less than"}}

const (
	mustNotBeEmpty        = "must not be empty"
	fieldNotAllowed       = "field not allowed"
	requiredButNotPresent = "field is required but not present"
)

// humanize rewrites CUE's constraint messages ("invalid value "x" (out of
// bound =~"re")") into what the constraint means, with its code.
func humanize(msg string) message {
	switch msg {
	case fieldNotAllowed:
		return message{schema.CodeUnknownField, msg}
	case requiredButNotPresent:
		return message{schema.CodeRequiredField, msg}
	}
	value, constraint, ok := invalidValue(msg)
	if !ok {
		return message{schema.CodeSchema, msg}
	}
	if builtin, ok := strings.CutPrefix(constraint, "does not satisfy "); ok {
		switch {
		case builtin == "strings.MinRunes(1)":
			return message{schema.CodeEmpty, mustNotBeEmpty}
		case strings.HasPrefix(builtin, "strings.MaxRunes("):
			n := strings.TrimSuffix(strings.TrimPrefix(builtin, "strings.MaxRunes("), ")")
			return message{schema.CodeTooLong, fmt.Sprintf("must be at most %s characters (got %s)", n, shorten(value))}
		}
		return message{schema.CodeSchema, msg}
	}
	bound, ok := strings.CutPrefix(constraint, "out of bound ")
	if !ok {
		return message{schema.CodeSchema, msg}
	}
	if quoted, ok := strings.CutPrefix(bound, "=~"); ok {
		var re string
		if _, err := fmt.Sscanf(quoted, "%q", &re); err == nil {
			if name, ok := patternNames[re]; ok {
				return message{schema.CodeInvalidFormat, fmt.Sprintf("%s (got %s)", name, shorten(value))}
			}
		}
		return message{schema.CodeInvalidFormat, msg}
	}
	for _, b := range boundWords {
		if limit, ok := strings.CutPrefix(bound, b.op); ok {
			return message{schema.CodeOutOfRange, fmt.Sprintf("must be %s %s (got %s)", b.words, limit, shorten(value))}
		}
	}
	return message{schema.CodeSchema, msg}
}

// invalidValue splits CUE's `invalid value V (does not satisfy F)` and
// `invalid value V (out of bound B)` into V and the parenthesis' text.
func invalidValue(msg string) (value, constraint string, ok bool) {
	rest, ok := strings.CutPrefix(msg, "invalid value ")
	if !ok || !strings.HasSuffix(rest, ")") {
		return "", "", false
	}
	i := max(strings.LastIndex(rest, " (does not satisfy "), strings.LastIndex(rest, " (out of bound "))
	if i < 0 {
		return "", "", false
	}
	return rest[:i], rest[i+2 : len(rest)-1], true
}
