package conformance

import (
	"fmt"
	helmv2 "github.com/fluxcd/helm-controller/api/v2"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// builtinKind is how one built-in kind is checked once strictly decoded: its
// scope, the API server's name rule for it, and the parts of its upstream
// validation (k8s.io/kubernetes/pkg/apis/*/validation, not importable as a
// module) that rendered objects can get wrong.
type builtinKind struct {
	namespaced bool
	name       apivalidation.ValidateNameFunc
	spec       func(runtime.Object) field.ErrorList
}

// builtinKinds are the built-in kinds meshwright renders, plus those the
// workload fixtures use (checked too, so a broken fixture cannot hide a
// finding).
var helmReleaseGVK = helmv2.GroupVersion.WithKind("HelmRelease")

var builtinKinds = map[schema.GroupVersionKind]builtinKind{
	corev1.SchemeGroupVersion.WithKind("Namespace"):           {name: apivalidation.ValidateNamespaceName},
	corev1.SchemeGroupVersion.WithKind("ServiceAccount"):      {namespaced: true, name: apivalidation.ValidateServiceAccountName},
	corev1.SchemeGroupVersion.WithKind("Service"):             {namespaced: true, name: apivalidation.NameIsDNS1035Label},
	corev1.SchemeGroupVersion.WithKind("Pod"):                 {namespaced: true, name: apivalidation.NameIsDNSSubdomain},
	corev1.SchemeGroupVersion.WithKind("Secret"):              {namespaced: true, name: apivalidation.NameIsDNSSubdomain},
	corev1.SchemeGroupVersion.WithKind("ConfigMap"):           {namespaced: true, name: apivalidation.NameIsDNSSubdomain},
	appsv1.SchemeGroupVersion.WithKind("Deployment"):          {namespaced: true, name: apivalidation.NameIsDNSSubdomain, spec: deploymentSpec},
	networkingv1.SchemeGroupVersion.WithKind("NetworkPolicy"): {namespaced: true, name: apivalidation.NameIsDNSSubdomain, spec: networkPolicySpec},
	rbacv1.SchemeGroupVersion.WithKind("ClusterRole"):         {name: path.ValidatePathSegmentName, spec: clusterRoleSpec},
	rbacv1.SchemeGroupVersion.WithKind("ClusterRoleBinding"):  {name: path.ValidatePathSegmentName, spec: clusterRoleBindingSpec},
	rbacv1.SchemeGroupVersion.WithKind("Role"):                {namespaced: true, name: path.ValidatePathSegmentName, spec: roleSpec},
	rbacv1.SchemeGroupVersion.WithKind("RoleBinding"):         {namespaced: true, name: path.ValidatePathSegmentName, spec: roleBindingSpec},
	pspGVK: {name: path.ValidatePathSegmentName, spec: pspSpec},
	// Flux's HelmRelease CRD is in helm-controller's main module, which the
	// Go module proxy refuses; its Go types (the /api module go.mod pins)
	// are what the CRD is generated from, so strict decoding checks the
	// same field names.
	helmReleaseGVK: {namespaced: true, name: apivalidation.NameIsDNSSubdomain, spec: helmReleaseSpec},
}

// builtinScheme knows the Go types of the built-in kinds (and the local
// PodSecurityPolicy stand-in).
var builtinScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, networkingv1.AddToScheme, rbacv1.AddToScheme, addPSPToScheme, helmv2.AddToScheme} {
		if err := add(s); err != nil {
			panic(fmt.Sprintf("building scheme: %v", err))
		}
	}
	return s
}()

// strictDecoder refuses unknown and duplicate fields, like the API server's
// fieldValidation=Strict.
var strictDecoder = json.NewSerializerWithOptions(json.DefaultMetaFactory, builtinScheme, builtinScheme, json.SerializerOptions{Strict: true})

// validateBuiltin decodes a built-in object strictly into its k8s.io/api type
// and validates its metadata and the upstream rules kept here.
func validateBuiltin(d Doc, k builtinKind) field.ErrorList {
	obj, _, err := strictDecoder.Decode(d.JSON, nil, nil)
	if err != nil {
		return field.ErrorList{field.Invalid(field.NewPath(""), nil, fmt.Sprintf("strict decoding: %v", err))}
	}
	m, ok := obj.(metav1.Object)
	if !ok {
		return field.ErrorList{field.InternalError(nil, fmt.Errorf("%T has no object metadata", obj))}
	}
	errs := apivalidation.ValidateObjectMetaAccessor(m, k.namespaced, k.name, field.NewPath("metadata"))
	if k.spec != nil {
		errs = append(errs, k.spec(obj)...)
	}
	return errs
}

var selectorOpts = metavalidation.LabelSelectorValidationOptions{}

// helmReleaseSpec checks what the HelmRelease CRD's schema and CEL rules
// require: exactly one of chart and chartRef, a release name Helm accepts,
// an interval.
func helmReleaseSpec(o runtime.Object) field.ErrorList {
	s := o.(*helmv2.HelmRelease).Spec
	p := field.NewPath("spec")
	var errs field.ErrorList
	if (s.Chart == nil) == (s.ChartRef == nil) {
		errs = append(errs, field.Invalid(p, nil, "exactly one of chart and chartRef is required"))
	}
	if len(s.ReleaseName) > 53 {
		errs = append(errs, field.TooLong(p.Child("releaseName"), s.ReleaseName, 53))
	}
	if s.Interval.Duration <= 0 {
		errs = append(errs, field.Required(p.Child("interval"), ""))
	}
	for i, d := range s.DependsOn {
		for _, msg := range apivalidation.NameIsDNSSubdomain(d.Name, false) {
			errs = append(errs, field.Invalid(p.Child("dependsOn").Index(i).Child("name"), d.Name, msg))
		}
	}
	return errs
}

func deploymentSpec(o runtime.Object) field.ErrorList {
	d := o.(*appsv1.Deployment)
	p := field.NewPath("spec")
	errs := metavalidation.ValidateLabelSelector(d.Spec.Selector, selectorOpts, p.Child("selector"))
	errs = append(errs, metavalidation.ValidateLabels(d.Spec.Template.Labels, p.Child("template", "metadata", "labels"))...)
	if d.Spec.Selector == nil {
		return append(errs, field.Required(p.Child("selector"), ""))
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err == nil && !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		errs = append(errs, field.Invalid(p.Child("template", "metadata", "labels"), d.Spec.Template.Labels, "`selector` does not match template `labels`"))
	}
	return errs
}

// networkPolicySpec keeps the rules of ValidateNetworkPolicySpec that depend
// on values rather than structure: selectors and policy types.
func networkPolicySpec(o runtime.Object) field.ErrorList {
	np := o.(*networkingv1.NetworkPolicy)
	p := field.NewPath("spec")
	errs := metavalidation.ValidateLabelSelector(&np.Spec.PodSelector, selectorOpts, p.Child("podSelector"))
	for i, in := range np.Spec.Ingress {
		errs = append(errs, peers(in.From, p.Child("ingress").Index(i).Child("from"))...)
	}
	for i, out := range np.Spec.Egress {
		errs = append(errs, peers(out.To, p.Child("egress").Index(i).Child("to"))...)
	}
	allowed := map[networkingv1.PolicyType]bool{networkingv1.PolicyTypeIngress: true, networkingv1.PolicyTypeEgress: true}
	for i, t := range np.Spec.PolicyTypes {
		if !allowed[t] {
			errs = append(errs, field.NotSupported(p.Child("policyTypes").Index(i), t, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}))
		}
	}
	if len(np.Spec.PolicyTypes) > 2 {
		errs = append(errs, field.Invalid(p.Child("policyTypes"), np.Spec.PolicyTypes, "may not specify more than two policyTypes"))
	}
	return errs
}

func peers(list []networkingv1.NetworkPolicyPeer, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, peer := range list {
		pp := p.Index(i)
		set := 0
		if peer.PodSelector != nil {
			set++
			errs = append(errs, metavalidation.ValidateLabelSelector(peer.PodSelector, selectorOpts, pp.Child("podSelector"))...)
		}
		if peer.NamespaceSelector != nil {
			set++
			errs = append(errs, metavalidation.ValidateLabelSelector(peer.NamespaceSelector, selectorOpts, pp.Child("namespaceSelector"))...)
		}
		if peer.IPBlock != nil {
			set++
		}
		if set == 0 {
			errs = append(errs, field.Required(pp, "must specify a peer"))
		}
		if peer.IPBlock != nil && set > 1 {
			errs = append(errs, field.Forbidden(pp, "may not specify both ipBlock and another peer"))
		}
	}
	return errs
}

func clusterRoleSpec(o runtime.Object) field.ErrorList {
	return policyRules(o.(*rbacv1.ClusterRole).Rules, false)
}

func roleSpec(o runtime.Object) field.ErrorList {
	return policyRules(o.(*rbacv1.Role).Rules, true)
}

// policyRules is ValidatePolicyRule: verbs are required; a namespaced rule
// cannot name non-resource URLs; a resource rule needs API groups and
// resources.
func policyRules(rules []rbacv1.PolicyRule, namespaced bool) field.ErrorList {
	var errs field.ErrorList
	for i, r := range rules {
		p := field.NewPath("rules").Index(i)
		if len(r.Verbs) == 0 {
			errs = append(errs, field.Required(p.Child("verbs"), "verbs must contain at least one value"))
		}
		if len(r.NonResourceURLs) > 0 {
			if namespaced {
				errs = append(errs, field.Invalid(p.Child("nonResourceURLs"), r.NonResourceURLs, "namespaced rules cannot apply to non-resource URLs"))
			}
			if len(r.APIGroups) > 0 || len(r.Resources) > 0 || len(r.ResourceNames) > 0 {
				errs = append(errs, field.Invalid(p.Child("nonResourceURLs"), r.NonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs"))
			}
			continue
		}
		if len(r.APIGroups) == 0 {
			errs = append(errs, field.Required(p.Child("apiGroups"), "resource rules must supply at least one api group"))
		}
		if len(r.Resources) == 0 {
			errs = append(errs, field.Required(p.Child("resources"), "resource rules must supply at least one resource"))
		}
	}
	return errs
}

func clusterRoleBindingSpec(o runtime.Object) field.ErrorList {
	b := o.(*rbacv1.ClusterRoleBinding)
	errs := roleRef(b.RoleRef, false)
	return append(errs, subjects(b.Subjects)...)
}

func roleBindingSpec(o runtime.Object) field.ErrorList {
	b := o.(*rbacv1.RoleBinding)
	errs := roleRef(b.RoleRef, true)
	return append(errs, subjects(b.Subjects)...)
}

// roleRef is the roleRef part of ValidateRoleBinding/ValidateClusterRoleBinding.
func roleRef(r rbacv1.RoleRef, namespaced bool) field.ErrorList {
	p := field.NewPath("roleRef")
	var errs field.ErrorList
	if r.APIGroup != rbacv1.GroupName {
		errs = append(errs, field.NotSupported(p.Child("apiGroup"), r.APIGroup, []string{rbacv1.GroupName}))
	}
	kinds := []string{"ClusterRole"}
	if namespaced {
		kinds = append(kinds, "Role")
	}
	if !contains(kinds, r.Kind) {
		errs = append(errs, field.NotSupported(p.Child("kind"), r.Kind, kinds))
	}
	if r.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	}
	for _, msg := range path.ValidatePathSegmentName(r.Name, false) {
		errs = append(errs, field.Invalid(p.Child("name"), r.Name, msg))
	}
	return errs
}

// subjects is ValidateRoleBindingSubject: each kind with its API group and
// name rules; ServiceAccounts need a namespace.
func subjects(list []rbacv1.Subject) field.ErrorList {
	var errs field.ErrorList
	for i, s := range list {
		p := field.NewPath("subjects").Index(i)
		if s.Name == "" {
			errs = append(errs, field.Required(p.Child("name"), ""))
		}
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			for _, msg := range apivalidation.ValidateServiceAccountName(s.Name, false) {
				errs = append(errs, field.Invalid(p.Child("name"), s.Name, msg))
			}
			if s.APIGroup != "" {
				errs = append(errs, field.NotSupported(p.Child("apiGroup"), s.APIGroup, []string{""}))
			}
			if s.Namespace == "" {
				errs = append(errs, field.Required(p.Child("namespace"), ""))
			}
		case rbacv1.UserKind, rbacv1.GroupKind:
			if s.APIGroup != rbacv1.GroupName {
				errs = append(errs, field.NotSupported(p.Child("apiGroup"), s.APIGroup, []string{rbacv1.GroupName}))
			}
		default:
			errs = append(errs, field.NotSupported(p.Child("kind"), s.Kind, []string{rbacv1.ServiceAccountKind, rbacv1.UserKind, rbacv1.GroupKind}))
		}
	}
	return errs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
