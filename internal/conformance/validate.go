package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"istio.io/istio/operator/pkg/apis"
	operatorvalidation "istio.io/istio/operator/pkg/apis/validation"
	"istio.io/istio/operator/pkg/values"
	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/config/validation/agent"
	"istio.io/istio/pkg/util/protomarshal"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validator checks objects against the upstream definition of their kind.
type Validator struct {
	crds     map[schema.GroupVersionKind]*crdKind
	versions map[schema.GroupKind]*crdVersions // every version of each CRD, for Lifecycle
}

// NewValidator returns a Validator knowing the built-in kinds, the
// IstioOperator and the custom resources of the CRD files.
func NewValidator(crdFiles ...string) (*Validator, error) {
	crds, versions, err := loadCRDs(crdFiles...)
	if err != nil {
		return nil, err
	}
	return &Validator{crds: crds, versions: versions}, nil
}

// NewUpstreamValidator returns a Validator for the upstream CRDs at the
// versions go.mod pins.
func NewUpstreamValidator() (*Validator, error) {
	files, err := UpstreamCRDFiles()
	if err != nil {
		return nil, err
	}
	return NewValidator(files...)
}

// istioOperatorGVK has no CRD since Istio 1.24 (the in-cluster operator is
// gone); istioctl reads it from files.
var istioOperatorGVK = schema.GroupVersionKind{Group: "install.istio.io", Version: "v1alpha1", Kind: "IstioOperator"}

// Validate returns every problem found with the object. An object of a kind
// no validator knows is a problem too: a new renderer cannot land unchecked.
func (v *Validator) Validate(d Doc) field.ErrorList {
	gvk := d.Object.GroupVersionKind()
	if gvk == istioOperatorGVK {
		return validateIstioOperator(d)
	}
	if k, ok := builtinKinds[gvk]; ok {
		return validateBuiltin(d, k)
	}
	if k, ok := v.crds[gvk]; ok {
		return k.validate(d.Object)
	}
	return field.ErrorList{field.NotSupported(field.NewPath("kind"), gvk.String(), v.Kinds())}
}

// Kinds returns the kinds the Validator knows, sorted.
func (v *Validator) Kinds() []string {
	kinds := []string{istioOperatorGVK.String()}
	for gvk := range builtinKinds {
		kinds = append(kinds, gvk.String())
	}
	for gvk := range v.crds {
		kinds = append(kinds, gvk.String())
	}
	sort.Strings(kinds)
	return kinds
}

// validateIstioOperator decodes the IstioOperator the way istioctl does
// (encoding/json refusing unknown fields into the operator's Go type), then
// runs the operator's own validation, whose warnings count as problems: they
// name deprecated or ignored settings.
func validateIstioOperator(d Doc) field.ErrorList {
	dec := json.NewDecoder(bytes.NewReader(d.JSON))
	dec.DisallowUnknownFields()
	iop := &apis.IstioOperator{}
	if err := dec.Decode(iop); err != nil {
		return field.ErrorList{field.Invalid(field.NewPath(""), nil, fmt.Sprintf("strict decoding into IstioOperator: %v", err))}
	}
	errs := apivalidation.ValidateObjectMeta(&iop.ObjectMeta, true, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	warnings, verrs := operatorvalidation.ParseAndValidateIstioOperator(values.Map(d.Object.Object), nil)
	for _, e := range verrs {
		errs = append(errs, field.Invalid(field.NewPath("spec"), nil, e.Error()))
	}
	for _, w := range warnings {
		errs = append(errs, field.Invalid(field.NewPath("spec"), nil, "warning: "+w.Error()))
	}
	return append(errs, validateMeshConfig(iop.Spec.MeshConfig)...)
}

// validateMeshConfig decodes spec.meshConfig strictly into Istio's MeshConfig
// and validates it. The operator's validation does neither: it applies mesh
// config leniently (an unknown field is dropped) and, at this version, loses
// agent.ValidateMeshConfig's errors (it returns the nil parse error instead).
func validateMeshConfig(raw []byte) field.ErrorList {
	if len(raw) == 0 {
		return nil
	}
	p := field.NewPath("spec", "meshConfig")
	if err := protomarshal.ApplyJSONStrict(string(raw), mesh.DefaultMeshConfig()); err != nil {
		return field.ErrorList{field.Invalid(p, nil, fmt.Sprintf("strict decoding into MeshConfig: %v", err))}
	}
	// over the defaults as istiod reads it: its defaultConfig is merged into
	// the default proxy config, not put in its place
	mc, err := mesh.ApplyMeshConfig(string(raw), mesh.DefaultMeshConfig())
	if err != nil {
		return field.ErrorList{field.Invalid(p, nil, err.Error())}
	}
	warnings, err := agent.ValidateMeshConfig(mc)
	var errs field.ErrorList
	if err != nil {
		errs = append(errs, field.Invalid(p, nil, err.Error()))
	}
	if warnings != nil {
		errs = append(errs, field.Invalid(p, nil, "warning: "+warnings.Error()))
	}
	return errs
}
