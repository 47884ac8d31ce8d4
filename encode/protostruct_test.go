package encode

import (
	"bytes"
	"math"
	"math/rand"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// TestWrittenStructIsWrittenMessage holds the writer that reads generated
// messages through their Go structs (protoStruct) to the one that reads
// them through protoreflect (message), itself held to jsonpb's JSON: over
// randomly filled messages of every spec type the renders write, every
// field kind set or not, oneofs, enums without a name, floats, strings
// that are not UTF-8. Where the struct writer refuses, the object takes
// the protoreflect path; it must refuse rarely, or the comparison is
// vacuous.
func TestWrittenStructIsWrittenMessage(t *testing.T) {
	types := map[protoreflect.FullName]proto.Message{}
	for _, c := range corpus(t) {
		for _, o := range c.objs {
			if _, spec, _, ok := istioParts(o); ok {
				types[spec.ProtoReflect().Descriptor().FullName()] = spec
			}
		}
	}
	for name, spec := range types {
		t.Run(string(name), func(t *testing.T) {
			const fills = 200
			taken, messages := 0, 0
			for seed := range int64(fills) {
				m := spec.ProtoReflect().Type().New()
				fillMessage(rand.New(rand.NewSource(seed)), m, 0)
				var viaStruct, viaMessage bytes.Buffer
				mv, messageErr := writtenMessage(m)
				if messageErr == nil {
					messageErr = writeValue(&viaMessage, map[string]any{"spec": mv})
				}
				sv, err := writtenProto(m.Interface())
				if err == nil {
					err = writeValue(&viaStruct, map[string]any{"spec": sv})
				}
				if messageErr == nil {
					messages++
				}
				switch {
				case err != nil:
					continue // the object takes the protoreflect path
				case messageErr != nil:
					t.Errorf("seed %d: written through the struct, but through protoreflect: %v\n%s", seed, messageErr, viaStruct.String())
				case viaStruct.String() != viaMessage.String():
					t.Errorf("seed %d:\n struct  %s\nmessage %s", seed, viaStruct.String(), viaMessage.String())
				default:
					taken++
				}
			}
			if messages < fills/4 || taken < messages*19/20 {
				t.Errorf("the struct took %d of the %d random messages protoreflect takes (of %d): want nearly all, of many", taken, messages, fills)
			}
		})
	}
}

// fillMessage sets each field of m with even odds, to random values of its
// kind, messages down to a depth.
func fillMessage(r *rand.Rand, m protoreflect.Message, depth int) {
	fds := m.Descriptor().Fields()
	for i := range fds.Len() {
		fd := fds.Get(i)
		if r.Intn(2) == 0 || depth > 5 && fd.Message() != nil {
			continue
		}
		switch {
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			for range r.Intn(3) {
				mp.Set(randomScalar(r, fd.MapKey()).MapKey(), randomValue(r, m, fd.MapValue(), mp.NewValue, depth))
			}
		case fd.IsList():
			l := m.Mutable(fd).List()
			for range r.Intn(3) + 1 {
				l.Append(randomValue(r, m, fd, l.NewElement, depth))
			}
		default:
			m.Set(fd, randomValue(r, m, fd, func() protoreflect.Value { return m.NewField(fd) }, depth))
		}
	}
}

// randomValue is a random value of fd's kind; a message is made by newValue.
func randomValue(r *rand.Rand, _ protoreflect.Message, fd protoreflect.FieldDescriptor, newValue func() protoreflect.Value, depth int) protoreflect.Value {
	if fd.Message() != nil {
		v := newValue()
		fillMessage(r, v.Message(), depth+1)
		return v
	}
	return randomScalar(r, fd)
}

var randomStrings = []string{"", "a", "svc.ns.svc.cluster.local", "true", "1:20", "yes", "-", "a: b", "multi\nline\n", "é", "\xff", " x", "*.example.com", "/api"}

func randomScalar(r *rand.Rand, fd protoreflect.FieldDescriptor) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(r.Intn(2) == 0)
	case protoreflect.EnumKind:
		values := fd.Enum().Values()
		if r.Intn(5) == 0 {
			return protoreflect.ValueOfEnum(protoreflect.EnumNumber(1000 + r.Intn(3))) // no name
		}
		return protoreflect.ValueOfEnum(values.Get(r.Intn(values.Len())).Number())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(int32(r.Intn(2000) - 1000))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(r.Int63() - r.Int63())
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(r.Uint32())
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(r.Uint64())
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32([]float32{0, 0.5, -1, 1e9, float32(math.Inf(1))}[r.Intn(5)])
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64([]float64{0, math.Copysign(0, -1), 0.1, -3, 1e21, math.NaN()}[r.Intn(6)])
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte(randomStrings[r.Intn(len(randomStrings))]))
	}
	return protoreflect.ValueOfString(randomStrings[r.Intn(len(randomStrings))])
}

// TestDynamicMessagesAreNotPlanned: dynamicpb holds messages of every
// descriptor in one Go type, so a plan cached by Go type would write one
// descriptor's fields for another's. Such messages keep the protoreflect
// path.
func TestDynamicMessagesAreNotPlanned(t *testing.T) {
	file, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name: proto.String("dynamic.proto"), Package: proto.String("dynamic"), Syntax: proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{
			{Name: proto.String("Empty")},
			{Name: proto.String("One"), Field: []*descriptorpb.FieldDescriptorProto{{
				Name: proto.String("a"), JsonName: proto.String("a"), Number: proto.Int32(1),
				Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
			}}},
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	empty := dynamicpb.NewMessage(file.Messages().ByName("Empty"))
	one := dynamicpb.NewMessage(file.Messages().ByName("One"))
	one.Set(one.Descriptor().Fields().ByNumber(1), protoreflect.ValueOfString("x"))
	for _, m := range []*dynamicpb.Message{empty, one} {
		sv, err := writtenProto(m)
		if err != nil {
			t.Fatal(err)
		}
		mv, err := writtenMessage(m)
		if err != nil {
			t.Fatal(err)
		}
		var viaStruct, viaMessage bytes.Buffer
		if err := writeValue(&viaStruct, map[string]any{"spec": sv}); err != nil {
			t.Fatal(err)
		}
		if err := writeValue(&viaMessage, map[string]any{"spec": mv}); err != nil {
			t.Fatal(err)
		}
		if viaStruct.String() != viaMessage.String() {
			t.Errorf("%s:\n struct  %s\nmessage %s", m.Descriptor().FullName(), viaStruct.String(), viaMessage.String())
		}
	}
}
