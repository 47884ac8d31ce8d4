package encode

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/meshwright/meshwright/render"
)

// An Istio spec is written straight from its message: building
// messageValue's maps, one per message, and sorting their keys was a fifth
// of a render's CPU. The writer reads each message's populated fields in the
// order of their JSON names, which is the order writeMap sorts
// messageValue's keys into, so the bytes are the same
// (TestWrittenIstioIsPlainWritten).

// writeIstio writes an Istio object as writeValue writes Plain's value for
// it, or fails, errNotPlain among others, having written part of it.
func writeIstio(b *bytes.Buffer, o render.Object) error {
	v, err := istioValue(o, writtenMessage)
	if err != nil {
		return err
	}
	shape(v)
	return writeValue(b, v)
}

// message is a protobuf message the writer reads as it writes it.
type message struct{ m protoreflect.Message }

// writtenMessage is m as the writer takes it: a message, or for
// google.protobuf's types the plain value jsonpb writes for them. Like
// messageValue it refuses what it does not know (errNotPlain).
func writtenMessage(m protoreflect.Message) (any, error) {
	if v, special, err := specialValue(m); special {
		return v, err
	}
	return message{m}, nil
}

// writtenField is a populated field's value as the writer takes it: its
// messages, also those in a list, read as they are written.
func writtenField(fd protoreflect.FieldDescriptor, v protoreflect.Value) (any, error) {
	switch {
	case fd.IsMap(), fd.IsList() && fd.Message() == nil:
		return fieldValue(fd, v)
	case fd.IsList():
		l := v.List()
		out := make([]any, l.Len())
		for i := range out {
			var err error
			if out[i], err = writtenMessage(l.Get(i).Message()); err != nil {
				return nil, err
			}
		}
		return out, nil
	case fd.Message() != nil:
		return writtenMessage(v.Message())
	}
	return singularValue(fd, v)
}

// empty tells whether no field of the message is populated: it is written
// as {}.
func (msg message) empty() bool {
	empty := true
	msg.m.Range(func(protoreflect.FieldDescriptor, protoreflect.Value) bool {
		empty = false
		return false
	})
	return empty
}

// writeMessage writes a message's populated fields at column col, the
// first line's indentation being the caller's, as writeMap does, and tells
// whether there was any.
func writeMessage(b *bytes.Buffer, msg message, col int) (bool, error) {
	first := true
	for _, f := range jsonOrder(msg.m.Descriptor()) {
		if !msg.m.Has(f.fd) {
			continue
		}
		pv := msg.m.Get(f.fd)
		if f.singularString {
			// most fields: written without boxing the value
			s := pv.String()
			if !utf8.ValidString(s) {
				return false, errNotPlain // encoding/json would replace the bytes
			}
			writeKey(b, f.name, col, first)
			writeStringChild(b, s, col)
			first = false
			continue
		}
		v, err := writtenField(f.fd, pv)
		if err != nil {
			return false, err
		}
		writeKey(b, f.name, col, first)
		first = false
		if err := writeChild(b, v, col); err != nil {
			return false, err
		}
	}
	return !first, nil
}

// writeKey writes "key:", indented to col unless it is the first.
func writeKey(b *bytes.Buffer, key string, col int, first bool) {
	if !first {
		indent(b, col)
	}
	writeString(b, key)
	b.WriteByte(':')
}

// jsonField is a field and the JSON name jsonpb writes it under.
type jsonField struct {
	name           string
	fd             protoreflect.FieldDescriptor
	singularString bool
}

var jsonOrders sync.Map // protoreflect.MessageDescriptor -> []jsonField

// jsonOrder is a message's fields sorted by JSON name.
func jsonOrder(md protoreflect.MessageDescriptor) []jsonField {
	if order, ok := jsonOrders.Load(md); ok {
		return order.([]jsonField)
	}
	fds := md.Fields()
	order := make([]jsonField, fds.Len())
	for i := range order {
		fd := fds.Get(i)
		order[i] = jsonField{fd.JSONName(), fd, fd.Kind() == protoreflect.StringKind && fd.Cardinality() != protoreflect.Repeated}
	}
	slices.SortFunc(order, func(a, b jsonField) int { return strings.Compare(a.name, b.name) })
	jsonOrders.Store(md, order)
	return order
}
