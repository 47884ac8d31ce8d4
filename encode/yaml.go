package encode

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	yamlv2 "go.yaml.in/yaml/v2"
	"go.yaml.in/yaml/v3"
)

// The emitter writes the plain values Plain returns (maps with string keys,
// lists, strings, bools, int64, float64, nil) as block-style YAML with
// sorted keys and two-space indentation. It replaces a general YAML library
// on the hot path: rendering a platform is mostly writing these bytes.
// Its output is checked by parsing it back (yaml_test.go).

// writeValue writes v as a YAML document body.
func writeValue(b *bytes.Buffer, v any) error {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 {
			b.WriteString("{}\n")
			return nil
		}
		return writeMap(b, t, 0)
	case []any:
		if len(t) == 0 {
			b.WriteString("[]\n")
			return nil
		}
		return writeList(b, t, 0)
	}
	if err := writeScalar(b, v); err != nil {
		return err
	}
	b.WriteByte('\n')
	return nil
}

// lazyMapping is a mapping the writer reads as it writes it, so that no
// map is built for it: a protobuf message, a Go struct.
type lazyMapping interface {
	// writeEntries writes the entries at column col, the first line's
	// indentation being the caller's, as writeMap does, and tells whether
	// there was any.
	writeEntries(b *bytes.Buffer, col int) (bool, error)
	// empty tells whether there is no entry: the mapping is written as {}.
	empty() bool
}

func indent(b *bytes.Buffer, n int) {
	for n > len(spaces) {
		b.WriteString(spaces)
		n -= len(spaces)
	}
	b.WriteString(spaces[:n])
}

const spaces = "                                                                "

// writeMap writes a non-empty map's entries at column col; the first line's
// indentation is the caller's when it follows "- ".
func writeMap(b *bytes.Buffer, m map[string]any, col int) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			indent(b, col)
		}
		writeString(b, k)
		b.WriteByte(':')
		if err := writeChild(b, m[k], col); err != nil {
			return err
		}
	}
	return nil
}

// writeList writes a non-empty list's items at column col, the same rule for
// the first line as writeMap.
func writeList(b *bytes.Buffer, l []any, col int) error {
	for i, item := range l {
		if i > 0 {
			indent(b, col)
		}
		b.WriteString("- ")
		switch t := item.(type) {
		case map[string]any:
			if len(t) > 0 {
				if err := writeMap(b, t, col+2); err != nil {
					return err
				}
				continue
			}
		case []any:
			if len(t) > 0 {
				if err := writeList(b, t, col+2); err != nil {
					return err
				}
				continue
			}
		case lazyMapping:
			wrote, err := t.writeEntries(b, col+2)
			if err != nil {
				return err
			}
			if wrote {
				continue
			}
		}
		if err := writeInline(b, item); err != nil {
			return err
		}
		b.WriteByte('\n')
	}
	return nil
}

// writeChild writes the value of a map entry whose "key:" is written: inline
// for scalars and empty collections, on the next lines otherwise (a list
// indented under its key, as kubectl writes it).
func writeChild(b *bytes.Buffer, v any, col int) error {
	switch t := v.(type) {
	case map[string]any:
		if len(t) > 0 {
			b.WriteByte('\n')
			indent(b, col+2)
			return writeMap(b, t, col+2)
		}
	case []any:
		if len(t) > 0 {
			b.WriteByte('\n')
			indent(b, col+2)
			return writeList(b, t, col+2)
		}
	case lazyMapping:
		return writeMappingChild(b, t, col)
	}
	if s, ok := v.(string); ok {
		writeStringChild(b, s, col)
		return nil
	}
	b.WriteByte(' ')
	if err := writeInline(b, v); err != nil {
		return err
	}
	b.WriteByte('\n')
	return nil
}

// writeMappingChild is writeChild for a mapping read as it is written: on
// the next lines unless it has no entry, then as {}. It is generic so that
// a struct mapping reaches it unboxed.
func writeMappingChild[M lazyMapping](b *bytes.Buffer, m M, col int) error {
	start := b.Len()
	b.WriteByte('\n')
	indent(b, col+2)
	wrote, err := m.writeEntries(b, col+2)
	if err != nil || wrote {
		return err
	}
	b.Truncate(start)
	b.WriteString(" {}\n")
	return nil
}

// writeMappingItems is writeChild for a non-empty list of mappings read as
// they are written, item giving each, unboxed.
func writeMappingItems[M lazyMapping](b *bytes.Buffer, n int, item func(int) M, col int) error {
	b.WriteByte('\n')
	indent(b, col+2)
	for i := range n {
		if i > 0 {
			indent(b, col+2)
		}
		b.WriteString("- ")
		wrote, err := item(i).writeEntries(b, col+4)
		if err != nil {
			return err
		}
		if !wrote {
			b.WriteString("{}\n")
		}
	}
	return nil
}

// writeStringItems is writeChild for a non-empty list of strings held in a
// Go slice, unboxed.
func writeStringItems(b *bytes.Buffer, l reflect.Value, col int) error {
	b.WriteByte('\n')
	indent(b, col+2)
	for i := range l.Len() {
		s := l.Index(i).String()
		if !utf8.ValidString(s) {
			return errNotPlain // encoding/json would replace the bytes
		}
		if i > 0 {
			indent(b, col+2)
		}
		b.WriteString("- ")
		writeString(b, s)
		b.WriteByte('\n')
	}
	return nil
}

// writeStringChild is writeChild for a string.
func writeStringChild(b *bytes.Buffer, s string, col int) {
	if literalSafe(s) {
		writeLiteral(b, s, col+2)
		return
	}
	b.WriteByte(' ')
	writeString(b, s)
	b.WriteByte('\n')
}

// writeLiteral writes a multi-line string as a literal block, its lines
// indented to col: embedded documents (a ConfigMap's YAML) stay readable
// and diff line by line.
func writeLiteral(b *bytes.Buffer, s string, col int) {
	b.WriteString(" |\n")
	for _, line := range strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n") {
		if line != "\n" {
			indent(b, col)
		}
		b.WriteString(line)
	}
	b.WriteByte('\n')
}

// literalSafe tells whether a literal block with clip chomping reads back
// as s: lines that end in exactly one final newline, the first not indented
// (the block's indentation is taken from it), and no character a literal
// block cannot hold.
func literalSafe(s string) bool {
	if !strings.HasSuffix(s, "\n") || strings.HasSuffix(s, "\n\n") || s[0] == ' ' || s[0] == '\n' || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r != '\n' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0xfeff || r == 0x2028 || r == 0x2029 || r == 0x85) {
			return false
		}
	}
	return strings.Count(s, "\n") > 1
}

// writeInline writes a scalar or an empty collection.
func writeInline(b *bytes.Buffer, v any) error {
	switch v.(type) {
	case map[string]any, lazyMapping:
		b.WriteString("{}")
		return nil
	case []any:
		b.WriteString("[]")
		return nil
	}
	return writeScalar(b, v)
}

func writeScalar(b *bytes.Buffer, v any) error {
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case int64:
		b.WriteString(strconv.FormatInt(t, 10))
	case float64:
		if math.IsInf(t, 0) || math.IsNaN(t) {
			return fmt.Errorf("cannot encode %v", t)
		}
		b.WriteString(strconv.FormatFloat(t, 'g', -1, 64))
	case string:
		writeString(b, t)
	default:
		return fmt.Errorf("cannot encode %T", v)
	}
	return nil
}

// writeString writes s plain when YAML reads it back as the same string,
// double-quoted (JSON escapes, valid YAML) otherwise.
func writeString(b *bytes.Buffer, s string) {
	if plainSafe(s) {
		b.WriteString(s)
		return
	}
	writeQuoted(b, s)
}

// writeQuoted writes s double-quoted, escaping what YAML does not allow
// literally: the quote, the backslash and control characters (C0, DEL, C1).
func writeQuoted(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r >= 0x7f && r <= 0x9f || r == utf8.RuneError:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// plainCache remembers plainSafe's answers: rendered objects repeat the same
// keys and values many times.
var plainCache sync.Map

// plainSafe tells whether s can be written as a plain scalar: it does not
// start or end like YAML syntax, and both YAML 1.2 and YAML 1.1 parsers read
// it back as this very string. YAML 1.1 matters: kubectl and kustomize read
// "yes", "on" or "1:20" as a bool or a number.
func plainSafe(s string) bool {
	if s == "" {
		return false
	}
	if simpleWord(s) {
		return true
	}
	if v, ok := plainCache.Load(s); ok {
		return v.(bool)
	}
	safe := plainChars(s) && resolvesToItself(s)
	plainCache.Store(s, safe)
	return safe
}

// yaml11Words are the letter-only scalars YAML 1.1 or 1.2 read as bools or
// null (compared ignoring case; every case variant a parser knows is among
// the variants of these).
var yaml11Words = [...]string{"y", "n", "yes", "no", "on", "off", "true", "false", "null"}

// wordChars are the bytes simpleWord takes after the first.
var wordChars = func() (t [256]bool) {
	for _, c := range "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_/" {
		t[c] = true
	}
	return t
}()

// simpleWord is the fast path for most names, hosts and paths: it starts
// with a letter or '/' and has only letters, digits, '.', '-', '_', '/' and
// ':' (not last), so it can only be misread if it is one of yaml11Words.
func simpleWord(s string) bool {
	if c := s[0] | 0x20; (c < 'a' || c > 'z') && s[0] != '/' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !wordChars[s[i]] && (s[i] != ':' || i == len(s)-1) {
			return false // a ':' is taken inside: it then never ends a key
		}
	}
	if c := s[0] | 0x20; len(s) <= 5 && (c == 'y' || c == 'n' || c == 'o' || c == 't' || c == 'f') {
		for _, w := range yaml11Words {
			if strings.EqualFold(s, w) {
				return false
			}
		}
	}
	return true
}

// plainChars rules out what the parsers below might accept but read
// differently in another position: indicators first, spaces at the ends,
// line breaks and other control characters.
func plainChars(s string) bool {
	if strings.ContainsRune("-?:,[]{}#&*!|>'\"%@` ", rune(s[0])) || s[len(s)-1] == ' ' || s == "<<" {
		return false
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f || r > 0x7e {
			return false
		}
	}
	return true
}

func resolvesToItself(s string) bool {
	var v3, v2 any
	if yaml.Unmarshal([]byte(s), &v3) != nil || yamlv2.Unmarshal([]byte(s), &v2) != nil {
		return false
	}
	got3, ok3 := v3.(string)
	got2, ok2 := v2.(string)
	return ok3 && ok2 && got3 == s && got2 == s
}
