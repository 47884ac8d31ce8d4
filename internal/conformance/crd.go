package conformance

import (
	"context"
	"fmt"
	"os"
	"sort"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apiextensions-apiserver/pkg/registry/customresource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// createValidator is the part of the API server's custom resource strategy
// that decides whether a create is accepted.
type createValidator interface {
	Validate(ctx context.Context, obj runtime.Object) field.ErrorList
}

// crdKind is what the API server builds from one served version of a CRD to
// admit objects of that kind.
type crdKind struct {
	source     string // the CRD file, for messages
	structural *structuralschema.Structural
	strategy   createValidator
}

// CRDKinds returns, for every served version of every CRD in the files, the
// validation the API server would run on a create. A schema the API server
// would refuse to serve (not structural) is an error.
func CRDKinds(files ...string) (map[schema.GroupVersionKind]*crdKind, error) {
	kinds, _, err := loadCRDs(files...)
	return kinds, err
}

// loadCRDs returns the validation of every served version (CRDKinds) and,
// per group and kind, what the CRD says about each of its versions, served
// or not (for the lifecycle rule, lifecycle.go).
func loadCRDs(files ...string) (map[schema.GroupVersionKind]*crdKind, map[schema.GroupKind]*crdVersions, error) {
	kinds := map[schema.GroupVersionKind]*crdKind{}
	versions := map[schema.GroupKind]*crdVersions{}
	for _, f := range files {
		crds, err := readCRDs(f)
		if err != nil {
			return nil, nil, err
		}
		for _, crd := range crds {
			if err := addCRDKinds(kinds, f, crd); err != nil {
				return nil, nil, err
			}
			gk := schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}
			if prev, ok := versions[gk]; ok {
				return nil, nil, fmt.Errorf("%s: CRD %s is also defined in %s", f, crd.Name, prev.source)
			}
			versions[gk] = newCRDVersions(f, crd)
		}
	}
	return kinds, versions, nil
}

// readCRDs returns the CustomResourceDefinitions of a YAML stream; other
// documents are ignored so that a file bundling several kinds can be used.
func readCRDs(file string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading CRDs: %w", err)
	}
	docs, err := ParseDocs(file, b)
	if err != nil {
		return nil, err
	}
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, d := range docs {
		if d.Object.GetKind() != "CustomResourceDefinition" {
			continue
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(d.Object.Object, crd); err != nil {
			return nil, fmt.Errorf("%s: decoding CRD %s: %w", d.File, d.Object.GetName(), err)
		}
		crds = append(crds, crd)
	}
	if len(crds) == 0 {
		return nil, fmt.Errorf("%s: no CustomResourceDefinition", file)
	}
	return crds, nil
}

func addCRDKinds(kinds map[schema.GroupVersionKind]*crdKind, file string, crd *apiextensionsv1.CustomResourceDefinition) error {
	for _, v := range crd.Spec.Versions {
		if !v.Served {
			continue
		}
		gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}
		k, err := newCRDKind(crd, v, gvk)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", file, gvk, err)
		}
		k.source = file
		kinds[gvk] = k
	}
	return nil
}

// newCRDKind builds the structural schema, schema validator and create
// strategy the way the API server's CRD handler does.
func newCRDKind(crd *apiextensionsv1.CustomResourceDefinition, v apiextensionsv1.CustomResourceDefinitionVersion, gvk schema.GroupVersionKind) (*crdKind, error) {
	if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
		return nil, fmt.Errorf("no OpenAPI v3 schema")
	}
	internal := &apiextensionsinternal.JSONSchemaProps{}
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, internal, nil); err != nil {
		return nil, fmt.Errorf("converting schema to internal version: %w", err)
	}
	structural, err := structuralschema.NewStructural(internal)
	if err != nil {
		return nil, fmt.Errorf("schema is not structural: %w", err)
	}
	validator, _, err := apiservervalidation.NewSchemaValidator(internal)
	if err != nil {
		return nil, fmt.Errorf("building schema validator: %w", err)
	}
	var status *apiextensionsinternal.CustomResourceSubresourceStatus
	if v.Subresources != nil && v.Subresources.Status != nil {
		status = &apiextensionsinternal.CustomResourceSubresourceStatus{}
	}
	strategy := customresource.NewStrategy(nil, crd.Spec.Scope == apiextensionsv1.NamespaceScoped, gvk,
		validator, nil, structural, status, nil, nil)
	return &crdKind{structural: structural, strategy: strategy}, nil
}

// validate returns what the API server would refuse in a create of obj with
// strict field validation: unknown fields (which it would otherwise prune
// silently), schema, metadata, list-type and CEL rule violations.
func (k *crdKind) validate(obj *unstructured.Unstructured) field.ErrorList {
	u := obj.DeepCopy()
	errs := unknownFields(u, k.structural)
	return append(errs, k.strategy.Validate(context.Background(), u)...)
}

// unknownFields returns the fields the API server would prune from u, as
// errors: a field the schema does not know would be lost on apply.
func unknownFields(u *unstructured.Unstructured, s *structuralschema.Structural) field.ErrorList {
	_, _, metaUnknown, err := schemaobjectmeta.GetObjectMetaWithOptions(u.Object, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		return field.ErrorList{field.Invalid(field.NewPath("metadata"), nil, err.Error())}
	}
	paths := append(metaUnknown, pruning.PruneWithOptions(u.Object, s, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	ferr, coerced := schemaobjectmeta.CoerceWithOptions(nil, u.Object, s, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	paths = append(paths, coerced...)
	sort.Strings(paths)
	var errs field.ErrorList
	if ferr != nil {
		errs = append(errs, ferr)
	}
	for _, p := range paths {
		errs = append(errs, field.Invalid(field.NewPath(p), nil, "unknown field: the schema has no such field, the API server would drop it"))
	}
	return errs
}
