package encode

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeJSON parses the JSON that json.Marshal produced for an object into
// plain values: map[string]any, []any, string, bool, nil, and numbers as
// int64 when integral, float64 otherwise. It does what encoding/json's
// Decoder does with UseNumber plus a conversion pass, in one pass and a
// fraction of the time; at platform scale this parse is much of encoding.
// Its results are checked against encoding/json (json_test.go).
func decodeJSON(data []byte) (any, error) {
	d := &jsonDecoder{data: data}
	d.space()
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	if d.space(); d.pos != len(d.data) {
		return nil, d.errorf("unexpected data after the value")
	}
	return v, nil
}

type jsonDecoder struct {
	data []byte
	pos  int
}

func (d *jsonDecoder) errorf(format string, args ...any) error {
	return fmt.Errorf("json at offset %d: %s", d.pos, fmt.Sprintf(format, args...))
}

func (d *jsonDecoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value() (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.errorf("unexpected end")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		return d.string()
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	}
	for _, lit := range []struct {
		text  string
		value any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if len(d.data)-d.pos >= len(lit.text) && string(d.data[d.pos:d.pos+len(lit.text)]) == lit.text {
			d.pos += len(lit.text)
			return lit.value, nil
		}
	}
	return nil, d.errorf("unexpected character %q", d.data[d.pos])
}

func (d *jsonDecoder) object() (any, error) {
	m := map[string]any{}
	if d.opened('}') {
		return m, nil
	}
	for {
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.errorf("expected a key")
		}
		key, err := d.string()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.errorf("expected ':'")
		}
		d.pos++
		d.space()
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		m[key] = v
		if done, err := d.separator('}', "object"); done || err != nil {
			return m, err
		}
	}
}

func (d *jsonDecoder) array() (any, error) {
	l := []any{}
	if d.opened(']') {
		return l, nil
	}
	for {
		d.space()
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		l = append(l, v)
		if done, err := d.separator(']', "array"); done || err != nil {
			return l, err
		}
	}
}

// opened steps over an object's or array's opening byte and tells whether
// the closing one follows at once (it is stepped over too).
func (d *jsonDecoder) opened(closing byte) (empty bool) {
	d.pos++
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == closing {
		d.pos++
		return true
	}
	return false
}

// separator reads what follows a member of an object or array: ',' (more
// to come) or the closing byte (done).
func (d *jsonDecoder) separator(closing byte, in string) (done bool, err error) {
	d.space()
	if d.pos >= len(d.data) {
		return false, d.errorf("unexpected end in %s", in)
	}
	switch d.data[d.pos] {
	case ',':
		d.pos++
		return false, nil
	case closing:
		d.pos++
		return true, nil
	}
	return false, d.errorf("expected ',' or '%c'", closing)
}

// string reads a JSON string; ASCII strings without escapes, nearly all of
// them, are sliced without decoding.
func (d *jsonDecoder) string() (string, error) {
	start := d.pos + 1
	for i := start; i < len(d.data); i++ {
		switch c := d.data[i]; {
		case c == '"':
			d.pos = i + 1
			return string(d.data[start:i]), nil
		case c == '\\' || c >= utf8.RuneSelf:
			return d.escapedString(start)
		}
	}
	return "", d.errorf("unterminated string")
}

func (d *jsonDecoder) escapedString(start int) (string, error) {
	buf := make([]byte, 0, 64)
	for i := start; i < len(d.data); {
		c := d.data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return string(buf), nil
		case c >= utf8.RuneSelf:
			// as encoding/json: each invalid byte becomes U+FFFD
			r, size := utf8.DecodeRune(d.data[i:])
			buf = utf8.AppendRune(buf, r)
			i += size
			continue
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		if i+1 >= len(d.data) {
			break
		}
		esc := d.data[i+1]
		i += 2
		switch esc {
		case '"', '\\', '/':
			buf = append(buf, esc)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, n, err := d.unicodeEscape(i)
			if err != nil {
				return "", err
			}
			buf = utf8.AppendRune(buf, r)
			i += n
		default:
			d.pos = i
			return "", d.errorf("bad escape \\%c", esc)
		}
	}
	return "", d.errorf("unterminated string")
}

// unicodeEscape reads the XXXX of \uXXXX at i (and a following low
// surrogate); it returns the rune and the bytes consumed after "\u".
func (d *jsonDecoder) unicodeEscape(i int) (rune, int, error) {
	r, err := hex4(d.data, i)
	if err != nil {
		d.pos = i
		return 0, 0, d.errorf("%v", err)
	}
	if utf16.IsSurrogate(r) && i+10 <= len(d.data) && d.data[i+4] == '\\' && d.data[i+5] == 'u' {
		if r2, err := hex4(d.data, i+6); err == nil {
			if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
				return dec, 10, nil
			}
		}
	}
	if utf16.IsSurrogate(r) {
		r = utf8.RuneError
	}
	return r, 4, nil
}

func hex4(b []byte, i int) (rune, error) {
	if i+4 > len(b) {
		return 0, errors.New("short \\u escape")
	}
	n, err := strconv.ParseUint(string(b[i:i+4]), 16, 32)
	if err != nil {
		return 0, errors.New("bad \\u escape")
	}
	return rune(n), nil
}

func (d *jsonDecoder) number() (any, error) {
	start := d.pos
	integral := true
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c >= '0' && c <= '9' || c == '-' || c == '+' {
			d.pos++
			continue
		}
		if c == '.' || c == 'e' || c == 'E' {
			integral = false
			d.pos++
			continue
		}
		break
	}
	text := string(d.data[start:d.pos])
	if integral {
		if i, err := strconv.ParseInt(text, 10, 64); err == nil {
			return i, nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, d.errorf("bad number %q", text)
	}
	// out of range: ±Inf or 0, as encoding/json's Number.Float64 gives (the
	// YAML emitter then refuses an infinity)
	return f, nil
}
