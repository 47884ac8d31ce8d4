package conformance

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// PodSecurityPolicy (policy/v1beta1) left k8s.io/api in v0.29 and
// Kubernetes in 1.25, yet meshwright renders it for clusters older than 1.25.
// The types below copy the complete field list of k8s.io/api v0.28.15
// policy/v1beta1 (the last release with it; json tags only), so strict
// decoding refuses exactly the fields the 1.24 API server would not know, and
// pspSpec keeps the value rules of its ValidatePodSecurityPolicySpec.
var pspGVK = schema.GroupVersionKind{Group: "policy", Version: "v1beta1", Kind: "PodSecurityPolicy"}

type podSecurityPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              pspSpecFields `json:"spec,omitempty"`
}

// DeepCopyObject makes podSecurityPolicy a runtime.Object; the scheme only
// needs it to be a faithful copy, which a JSON round trip is.
func (p *podSecurityPolicy) DeepCopyObject() runtime.Object {
	b, err := json.Marshal(p)
	if err != nil {
		panic(fmt.Sprintf("copying PodSecurityPolicy: %v", err))
	}
	out := &podSecurityPolicy{}
	if err := json.Unmarshal(b, out); err != nil {
		panic(fmt.Sprintf("copying PodSecurityPolicy: %v", err))
	}
	return out
}

// The lifecycle of policy/v1beta1 PodSecurityPolicy, as k8s.io/api v0.28.15
// policy/v1beta1/zz_generated.prerelease-lifecycle.go states it (no
// replacement): the API server warns from 1.21 on and serves it until 1.24.

// APILifecycleIntroduced is the release policy/v1beta1 PodSecurityPolicy appeared in.
func (*podSecurityPolicy) APILifecycleIntroduced() (major, minor int) { return 1, 10 }

// APILifecycleDeprecated is the release it was deprecated in.
func (*podSecurityPolicy) APILifecycleDeprecated() (major, minor int) { return 1, 21 }

// APILifecycleRemoved is the first release that no longer serves it.
func (*podSecurityPolicy) APILifecycleRemoved() (major, minor int) { return 1, 25 }

func addPSPToScheme(s *runtime.Scheme) error {
	s.AddKnownTypeWithName(pspGVK, &podSecurityPolicy{})
	return nil
}

type pspSpecFields struct {
	Privileged                      bool                       `json:"privileged,omitempty"`
	DefaultAddCapabilities          []corev1.Capability        `json:"defaultAddCapabilities,omitempty"`
	RequiredDropCapabilities        []corev1.Capability        `json:"requiredDropCapabilities,omitempty"`
	AllowedCapabilities             []corev1.Capability        `json:"allowedCapabilities,omitempty"`
	Volumes                         []string                   `json:"volumes,omitempty"`
	HostNetwork                     bool                       `json:"hostNetwork,omitempty"`
	HostPorts                       []pspHostPortRange         `json:"hostPorts,omitempty"`
	HostPID                         bool                       `json:"hostPID,omitempty"`
	HostIPC                         bool                       `json:"hostIPC,omitempty"`
	SELinux                         pspSELinux                 `json:"seLinux"`
	RunAsUser                       pspIDStrategy              `json:"runAsUser"`
	RunAsGroup                      *pspIDStrategy             `json:"runAsGroup,omitempty"`
	SupplementalGroups              pspIDStrategy              `json:"supplementalGroups"`
	FSGroup                         pspIDStrategy              `json:"fsGroup"`
	ReadOnlyRootFilesystem          bool                       `json:"readOnlyRootFilesystem,omitempty"`
	DefaultAllowPrivilegeEscalation *bool                      `json:"defaultAllowPrivilegeEscalation,omitempty"`
	AllowPrivilegeEscalation        *bool                      `json:"allowPrivilegeEscalation,omitempty"`
	AllowedHostPaths                []pspAllowedHostPath       `json:"allowedHostPaths,omitempty"`
	AllowedFlexVolumes              []struct{ Driver string }  `json:"allowedFlexVolumes,omitempty"`
	AllowedCSIDrivers               []struct{ Name string }    `json:"allowedCSIDrivers,omitempty"`
	AllowedUnsafeSysctls            []string                   `json:"allowedUnsafeSysctls,omitempty"`
	ForbiddenSysctls                []string                   `json:"forbiddenSysctls,omitempty"`
	AllowedProcMountTypes           []corev1.ProcMountType     `json:"allowedProcMountTypes,omitempty"`
	RuntimeClass                    *pspRuntimeClassStrategies `json:"runtimeClass,omitempty"`
}

type pspHostPortRange struct {
	Min int32 `json:"min"`
	Max int32 `json:"max"`
}

type pspSELinux struct {
	Rule           string                 `json:"rule"`
	SELinuxOptions *corev1.SELinuxOptions `json:"seLinuxOptions,omitempty"`
}

// pspIDStrategy is the shape shared by runAsUser, runAsGroup,
// supplementalGroups and fsGroup; their rule sets differ.
type pspIDStrategy struct {
	Rule   string       `json:"rule,omitempty"`
	Ranges []pspIDRange `json:"ranges,omitempty"`
}

type pspIDRange struct {
	Min int64 `json:"min"`
	Max int64 `json:"max"`
}

type pspAllowedHostPath struct {
	PathPrefix string `json:"pathPrefix,omitempty"`
	ReadOnly   bool   `json:"readOnly,omitempty"`
}

type pspRuntimeClassStrategies struct {
	AllowedRuntimeClassNames []string `json:"allowedRuntimeClassNames"`
	DefaultRuntimeClassName  *string  `json:"defaultRuntimeClassName,omitempty"`
}

// pspVolumes are the FSType values of policy/v1beta1.
var pspVolumes = []string{"azureFile", "flocker", "flexVolume", "hostPath", "emptyDir", "gcePersistentDisk",
	"awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi", "glusterfs", "persistentVolumeClaim", "rbd",
	"cinder", "cephFS", "downwardAPI", "fc", "configMap", "vsphereVolume", "quobyte", "azureDisk",
	"photonPersistentDisk", "storageos", "projected", "portworxVolume", "scaleIO", "csi", "ephemeral", "*"}

// pspSpec keeps the value rules of Kubernetes 1.24's
// ValidatePodSecurityPolicySpec: the rule enums, valid ID and port ranges,
// known volume types, host path prefixes, and no default escalation where
// escalation is forbidden.
func pspSpec(o runtime.Object) field.ErrorList {
	s := o.(*podSecurityPolicy).Spec
	p := field.NewPath("spec")
	errs := idStrategy(s.RunAsUser, []string{"MustRunAs", "MustRunAsNonRoot", "RunAsAny"}, p.Child("runAsUser"))
	if s.RunAsGroup != nil {
		errs = append(errs, idStrategy(*s.RunAsGroup, []string{"MayRunAs", "MustRunAs", "RunAsAny"}, p.Child("runAsGroup"))...)
	}
	// An empty supplementalGroups or fsGroup rule is defaulted to RunAsAny
	// by policy/v1beta1's SetDefaults_PodSecurityPolicySpec.
	errs = append(errs, idStrategy(s.SupplementalGroups, []string{"", "MayRunAs", "MustRunAs", "RunAsAny"}, p.Child("supplementalGroups"))...)
	errs = append(errs, idStrategy(s.FSGroup, []string{"", "MayRunAs", "MustRunAs", "RunAsAny"}, p.Child("fsGroup"))...)
	if !contains([]string{"MustRunAs", "RunAsAny"}, s.SELinux.Rule) {
		errs = append(errs, field.NotSupported(p.Child("seLinux", "rule"), s.SELinux.Rule, []string{"MustRunAs", "RunAsAny"}))
	}
	for i, v := range s.Volumes {
		if !contains(pspVolumes, v) {
			errs = append(errs, field.NotSupported(p.Child("volumes").Index(i), v, pspVolumes))
		}
	}
	for i, h := range s.AllowedHostPaths {
		if h.PathPrefix == "" {
			errs = append(errs, field.Required(p.Child("allowedHostPaths").Index(i).Child("pathPrefix"), ""))
		}
	}
	for i, r := range s.HostPorts {
		if r.Min < 0 || r.Max > 65535 || r.Min > r.Max {
			errs = append(errs, field.Invalid(p.Child("hostPorts").Index(i), r, "must be a range within 0-65535 with min <= max"))
		}
	}
	if s.DefaultAllowPrivilegeEscalation != nil && s.AllowPrivilegeEscalation != nil &&
		*s.DefaultAllowPrivilegeEscalation && !*s.AllowPrivilegeEscalation {
		errs = append(errs, field.Invalid(p.Child("defaultAllowPrivilegeEscalation"), true, "cannot set defaultAllowPrivilegeEscalation to true without also setting allowPrivilegeEscalation to true"))
	}
	return errs
}

func idStrategy(s pspIDStrategy, rules []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !contains(rules, s.Rule) {
		errs = append(errs, field.NotSupported(p.Child("rule"), s.Rule, rules))
	}
	for i, r := range s.Ranges {
		if r.Min < 0 || r.Max < 0 || r.Min > r.Max {
			errs = append(errs, field.Invalid(p.Child("ranges").Index(i), r, "min and max must be non-negative with min <= max"))
		}
	}
	return errs
}
