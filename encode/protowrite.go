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
// (TestDirectWritersArePlainWritten).

// writeIstio writes an Istio object as writeValue writes Plain's value for
// it, or fails, errNotPlain among others, having written part of it.
func writeIstio(b *bytes.Buffer, o render.Object) error {
	env, spec, status, ok := istioParts(o)
	if !ok {
		return errNotPlain
	}
	if !isSimpleMetadata(env.Metadata) || !utf8.ValidString(env.APIVersion) || !utf8.ValidString(env.Kind) ||
		!(message{status.ProtoReflect()}).empty() {
		// what renders do not set: through the plain value and shape
		v, err := istioValue(o, true)
		if err != nil {
			return err
		}
		shape(v)
		return writeValue(b, v)
	}
	specV, err := writtenProto(spec)
	if err != nil {
		return err
	}
	// as shape leaves the plain value: keys in order, no empty status, an
	// empty spec only for an AuthorizationPolicy (the policy that allows
	// nothing)
	first := true
	for _, f := range [...]struct{ key, value string }{{"apiVersion", env.APIVersion}, {"kind", env.Kind}} {
		if f.value == "" {
			continue
		}
		if err := writeStringEntry(b, f.key, f.value, 0, first); err != nil {
			return err
		}
		first = false
	}
	writeKey(b, "metadata", 0, first)
	if err := writeMappingChild(b, simpleMeta{env.Metadata}, 0); err != nil {
		return err
	}
	if specDropped(specV, env.Kind) {
		return nil
	}
	return writeEntry(b, "spec", specV, 0, false)
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

// empty tells whether no field of the message is populated.
func (msg message) empty() bool {
	empty := true
	msg.m.Range(func(protoreflect.FieldDescriptor, protoreflect.Value) bool {
		empty = false
		return false
	})
	return empty
}

// writeEntries writes the message's populated fields.
func (msg message) writeEntries(b *bytes.Buffer, col int) (bool, error) {
	first := true
	for _, f := range jsonOrder(msg.m.Descriptor()) {
		if !msg.m.Has(f.fd) {
			continue
		}
		var err error
		if f.singularString {
			err = writeStringEntry(b, f.name, msg.m.Get(f.fd).String(), col, first)
		} else {
			err = writeFieldEntry(b, f.name, f.fd, msg.m.Get(f.fd), col, first)
		}
		if err != nil {
			return false, err
		}
		first = false
	}
	return !first, nil
}

func writeFieldEntry(b *bytes.Buffer, key string, fd protoreflect.FieldDescriptor, pv protoreflect.Value, col int, first bool) error {
	v, err := writtenField(fd, pv)
	if err != nil {
		return err
	}
	return writeEntry(b, key, v, col, first)
}

// writeStringEntry writes "key: s" of a mapping whose entries start at
// column col, without boxing the string: most entries are strings.
func writeStringEntry(b *bytes.Buffer, key, s string, col int, first bool) error {
	if !utf8.ValidString(s) {
		return errNotPlain // encoding/json would replace the bytes
	}
	writeKey(b, key, col, first)
	writeStringChild(b, s, col)
	return nil
}

// writeEntry writes "key: v" of a mapping whose entries start at column col.
func writeEntry(b *bytes.Buffer, key string, v any, col int, first bool) error {
	writeKey(b, key, col, first)
	return writeChild(b, v, col)
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
