package load

import (
	"strconv"
	"strings"
)

// Inputs are mostly written in a small part of YAML: block mappings and
// sequences, one-line flow collections, simple plain and quoted scalars,
// comments. yaml.v3 parsing them was a fifth of a platform render's CPU.
// fastDocuments reads that part into the values the converter makes of
// yaml.v3's nodes, and refuses a file with anything else in it (anchors,
// tags, block scalars, multi-line scalars, escapes, tabs, non-ASCII, empty
// documents, any error), which yaml.v3 then parses: it alone reports
// problems. TestFastYAMLIsYAMLv3 and FuzzFastYAML hold it to yaml.v3.

// fastDocument is a document fastDocuments read: where it and its root
// start (as yaml.v3 places them) and its value.
type fastDocument struct {
	line, rootLine, rootColumn int
	value                      map[string]any
}

// fastLine is a line with content: its number, indentation, and text
// without the indentation, a comment or trailing spaces.
type fastLine struct {
	num, indent int
	text        string
}

// fastDocuments reads data's documents, or tells that data is not in the
// part of YAML it reads.
func fastDocuments(data []byte) ([]fastDocument, bool) {
	for _, c := range data {
		if c != '\n' && (c < ' ' || c > '~' || c == '\\') {
			return nil, false
		}
	}
	var docs []fastDocument
	var lines []fastLine
	explicit, start := false, 0 // the current document's "---" line
	flush := func() bool {
		if len(lines) == 0 {
			// an empty document; before the first "---", no document
			return !explicit && len(docs) == 0
		}
		p := fastParser{lines: lines}
		value, ok := p.document()
		if !ok {
			return false
		}
		doc := fastDocument{line: lines[0].num, rootLine: lines[0].num, rootColumn: lines[0].indent + 1, value: value}
		if explicit {
			doc.line = start
		}
		docs = append(docs, doc)
		lines = lines[:0:0]
		return true
	}
	for num, text := range strings.Split(string(data), "\n") {
		indent := len(text) - len(strings.TrimLeft(text, " "))
		text = uncommented(text[indent:])
		switch {
		case text == "":
			continue
		case indent == 0 && text == "---":
			if !flush() {
				return nil, false
			}
			explicit, start = true, num+1
			continue
		case indent == 0 && (strings.HasPrefix(text, "---") || strings.HasPrefix(text, "...") || text[0] == '%'):
			return nil, false // markers with content, document ends, directives
		}
		lines = append(lines, fastLine{num: num + 1, indent: indent, text: text})
	}
	if !flush() || len(docs) == 0 {
		return nil, false
	}
	return docs, true
}

// uncommented is text without a comment and trailing spaces. A '#' starts
// a comment after a space or at the start, outside quotes; a quote the
// scan misreads is left in the text, where only a quoted scalar is read.
func uncommented(text string) string {
	var quote byte
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#' && (i == 0 || text[i-1] == ' '):
			text = text[:i]
		}
	}
	return strings.TrimRight(text, " ")
}

// fastParser reads one document's lines.
type fastParser struct {
	lines []fastLine
	i     int // the next line
	nodes int
}

// document is the document's root mapping; every line must belong to it.
func (p *fastParser) document() (map[string]any, bool) {
	if _, _, ok := splitKey(p.lines[0].text); !ok {
		return nil, false // the root is not a mapping: yaml.v3 reports it
	}
	m, ok := p.mapping(p.lines[0].indent, 0)
	return m, ok && p.i == len(p.lines)
}

// count counts a value, refusing documents beyond the loader's limits.
func (p *fastParser) count(depth int) bool {
	p.nodes++
	return p.nodes <= maxNodes && depth <= maxNesting
}

// mapping reads the entries at indent, starting at the current line.
func (p *fastParser) mapping(indent, depth int) (map[string]any, bool) {
	if !p.count(depth) {
		return nil, false
	}
	m := map[string]any{}
	for p.i < len(p.lines) && p.lines[p.i].indent == indent {
		key, rest, ok := splitKey(p.lines[p.i].text)
		if _, dup := m[key]; !ok || dup {
			return nil, false
		}
		var value any
		if rest == "" {
			p.i++
			value, ok = p.block(indent, true, depth+1)
		} else {
			value, ok = p.inline(rest, indent, depth+1)
		}
		if !ok {
			return nil, false
		}
		m[key] = value
	}
	return m, true
}

// sequence reads the items at indent ("- "), starting at the current line.
func (p *fastParser) sequence(indent, depth int) ([]any, bool) {
	if !p.count(depth) {
		return nil, false
	}
	l := []any{}
	for p.i < len(p.lines) && p.lines[p.i].indent == indent && isItem(p.lines[p.i].text) {
		text := p.lines[p.i].text
		var value any
		var ok bool
		if text == "-" {
			p.i++
			value, ok = p.block(indent, false, depth+1)
		} else {
			rest := strings.TrimLeft(text[2:], " ")
			col := indent + len(text) - len(rest)
			switch _, _, isKey := splitKey(rest); {
			case isItem(rest):
				return nil, false // "- - a"
			case isKey:
				// "- key: value": a mapping whose first line starts here
				p.lines[p.i] = fastLine{num: p.lines[p.i].num, indent: col, text: rest}
				value, ok = p.mapping(col, depth+1)
			default:
				value, ok = p.inline(rest, indent, depth+1)
			}
		}
		if !ok {
			return nil, false
		}
		l = append(l, value)
	}
	return l, true
}

// block is the value on the lines after "key:" (inMapping) or "-" at
// indent: a mapping or sequence indented further, a sequence at the same
// indentation after a key, or null.
func (p *fastParser) block(indent int, inMapping bool, depth int) (any, bool) {
	if p.i == len(p.lines) {
		return nil, p.count(depth)
	}
	next := p.lines[p.i]
	switch {
	case next.indent > indent && isItem(next.text), next.indent == indent && inMapping && isItem(next.text):
		return p.sequence(next.indent, depth)
	case next.indent > indent:
		if _, _, ok := splitKey(next.text); !ok {
			return nil, false // a scalar on lines of its own
		}
		return p.mapping(next.indent, depth)
	}
	return nil, p.count(depth)
}

// inline is the value written after "key: " or "- " on the current line
// of a node at indent, which must not go on on the next lines.
func (p *fastParser) inline(text string, indent, depth int) (any, bool) {
	var value any
	var rest string
	var ok bool
	switch text[0] {
	case '[', '{':
		value, rest, ok = p.flow(text, depth)
	default:
		value, rest, ok = scalar(text, false)
		ok = ok && p.count(depth)
	}
	p.i++
	if !ok || rest != "" || p.i < len(p.lines) && p.lines[p.i].indent > indent {
		return nil, false
	}
	return value, true
}

// flow reads a flow collection at the start of text, and returns what
// follows it.
func (p *fastParser) flow(text string, depth int) (value any, rest string, ok bool) {
	if !p.count(depth) {
		return nil, "", false
	}
	closing := byte(']')
	if text[0] == '{' {
		closing = '}'
	}
	var l []any
	m := map[string]any{}
	text = strings.TrimLeft(text[1:], " ")
	if text != "" && text[0] == closing {
		if closing == '}' {
			return m, strings.TrimLeft(text[1:], " "), true
		}
		return []any{}, strings.TrimLeft(text[1:], " "), true
	}
	for {
		var key string
		if closing == '}' {
			var k any
			if k, text, ok = scalar(text, true); !ok || len(text) < 2 || text[0] != ':' || text[1] != ' ' {
				return nil, "", false
			}
			s, isString := k.(string) // other keys: kept simple
			if _, dup := m[s]; dup || !isString || len(s) > maxKeyLength {
				return nil, "", false
			}
			key = s
			text = strings.TrimLeft(text[1:], " ")
		}
		var v any
		switch {
		case text == "":
			return nil, "", false
		case text[0] == '[' || text[0] == '{':
			v, text, ok = p.flow(text, depth+1)
		default:
			v, text, ok = scalar(text, true)
			ok = ok && p.count(depth+1)
		}
		if !ok || text == "" {
			return nil, "", false
		}
		if closing == '}' {
			m[key] = v
		} else {
			l = append(l, v)
		}
		switch text[0] {
		case ',':
			text = strings.TrimLeft(text[1:], " ")
			if text == "" || text[0] == closing {
				return nil, "", false // a trailing comma, or a line break
			}
		case closing:
			if closing == '}' {
				return m, strings.TrimLeft(text[1:], " "), true
			}
			return l, strings.TrimLeft(text[1:], " "), true
		default:
			return nil, "", false
		}
	}
}

// maxKeyLength keeps keys well inside the 1024 characters YAML allows a
// simple key (yaml.v3 refuses longer ones).
const maxKeyLength = 1000

// isItem tells whether text starts a sequence item.
func isItem(text string) bool {
	return text == "-" || strings.HasPrefix(text, "- ")
}

// splitKey splits "key: rest" (or "key:") of a block mapping; the key is a
// plain word or a quoted scalar.
func splitKey(text string) (key, rest string, ok bool) {
	var end int
	switch text[0] {
	case '"', '\'':
		closing := strings.IndexByte(text[1:], text[0])
		if closing < 0 {
			return "", "", false
		}
		key, end = text[1:closing+1], closing+2
		if text[0] == '\'' && strings.HasPrefix(text[end:], "'") {
			return "", "", false // an escaped quote
		}
	default:
		end = strings.IndexByte(text, ':')
		if end <= 0 || !plainWord(text[:end]) {
			return "", "", false
		}
		key = text[:end]
	}
	switch {
	case end == len(text) || text[end] != ':' || end > maxKeyLength:
		return "", "", false
	case end+1 == len(text):
		return key, "", true
	case text[end+1] != ' ':
		return "", "", false
	}
	return key, strings.TrimLeft(text[end+1:], " "), true
}

// plainWord is a key written plain: it starts with a letter, a digit, '_'
// or '/', and holds only those, '.' and '-'.
func plainWord(s string) bool {
	if !wordStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !wordStart(c) && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func wordStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '/'
}

// scalar reads the scalar at the start of text: quoted, or plain up to the
// end of text (in a flow collection, up to ',', ']', '}' or ':'), and
// returns what follows it.
func scalar(text string, inFlow bool) (value any, rest string, ok bool) {
	if text == "" {
		return nil, "", false
	}
	if text[0] == '"' || text[0] == '\'' {
		closing := strings.IndexByte(text[1:], text[0])
		if closing < 0 {
			return nil, "", false
		}
		rest = text[closing+2:]
		if text[0] == '\'' && strings.HasPrefix(rest, "'") {
			return nil, "", false // an escaped quote
		}
		return text[1 : closing+1], strings.TrimLeft(rest, " "), true
	}
	end := len(text)
	if inFlow {
		end = strings.IndexAny(text, ",]}:")
		if end < 0 {
			return nil, "", false
		}
	}
	plain := strings.TrimRight(text[:end], " ")
	value, ok = resolvePlain(plain, inFlow)
	return value, text[end:], ok
}

// resolvePlain is what yaml.v3 and the converter make of a plain scalar, for
// the scalars read here: decimal integers, true/false/null as yaml.v3
// spells them, versions, and strings that start with a letter, '_' or '/'.
func resolvePlain(s string, inFlow bool) (any, bool) {
	if s == "" {
		return nil, false
	}
	if c := s[0]; c >= '0' && c <= '9' || c == '-' {
		if version(s) {
			return s, true
		}
		return decimal(s)
	}
	if !wordStart(s[0]) {
		return nil, false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case wordStart(c) || c == '.' || c == '-' || c == '@' || c == '+' || c == '=' || c == '~':
		case c == ' ' && s[i-1] != ' ':
		case c == ':' && !inFlow && i+1 < len(s) && s[i+1] != ' ':
		default:
			return nil, false
		}
	}
	switch s {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	case "null", "Null", "NULL":
		return nil, true
	}
	return s, true
}

// version is a dotted version of three or more numbers (1.30.2): no
// number, date or float of yaml.v3's has two dots.
func version(s string) bool {
	dots := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.' && i > 0 && s[i-1] != '.':
			dots++
		case c < '0' || c > '9':
			return false
		}
	}
	return dots >= 2 && s[len(s)-1] != '.'
}

// decimal is a decimal integer without sign or leading zeros, or with a
// minus sign, small enough for int64.
func decimal(s string) (any, bool) {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || len(digits) > 18 || digits[0] == '0' && (len(digits) > 1 || len(s) > 1) {
		return nil, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return nil, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
