package render

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	spec "github.com/meshwright/meshwright/schema"
)

// podSecurityPolicy is policy/v1beta1 PodSecurityPolicy, which left
// k8s.io/api in v0.29; only the fields rendered here are declared.
type podSecurityPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              podSecurityPolicySpec `json:"spec"`
}

type podSecurityPolicySpec struct {
	Privileged               bool             `json:"privileged"`
	AllowPrivilegeEscalation *bool            `json:"allowPrivilegeEscalation"`
	HostNetwork              bool             `json:"hostNetwork"`
	Volumes                  []string         `json:"volumes"`
	RunAsUser                pspRule          `json:"runAsUser"`
	SELinux                  pspRule          `json:"seLinux"`
	SupplementalGroups       pspRule          `json:"supplementalGroups"`
	FSGroup                  pspRule          `json:"fsGroup"`
	AllowedHostPaths         []pspAllowedPath `json:"allowedHostPaths"`
}

type pspRule struct {
	Rule   string     `json:"rule"`
	Ranges []pspRange `json:"ranges,omitempty"`
}

type pspRange struct {
	Min int64 `json:"min"`
	Max int64 `json:"max"`
}

type pspAllowedPath struct {
	PathPrefix string `json:"pathPrefix"`
}

const (
	cniPolicyName     = "istio-control-plane"
	cniServiceAccount = "istio-cni"
)

// cniPodSecurityPolicy renders, for clusters before Pod Security Admission,
// the PodSecurityPolicy the istio-cni DaemonSet needs (host network, the CNI
// host paths, privileged since the CNI agent became one) and the Role and
// RoleBinding that let its ServiceAccount use it.
func cniPodSecurityPolicy(m *spec.MeshSpec) []Object {
	if !m.ControlPlane.CNI.Enabled || podSecurityAdmission(m) {
		return nil
	}
	ns := m.ControlPlane.CNI.Namespace
	noEscalation := false
	groups := []pspRange{{Min: 1, Max: 65535}}
	pspMeta := objectMeta("", cniPolicyName)
	pspMeta.Annotations = map[string]string{
		"seccomp.security.alpha.kubernetes.io/allowedProfileNames": "docker/default,runtime/default",
		"seccomp.security.alpha.kubernetes.io/defaultProfileName":  "runtime/default",
	}
	psp := &podSecurityPolicy{
		TypeMeta:   typePodSecurityPolicy,
		ObjectMeta: pspMeta,
		Spec: podSecurityPolicySpec{
			Privileged:               true,
			AllowPrivilegeEscalation: &noEscalation,
			HostNetwork:              true,
			Volumes:                  []string{"configMap", "emptyDir", "projected", "secret", "downwardAPI", "persistentVolumeClaim", "hostPath"},
			RunAsUser:                pspRule{Rule: "RunAsAny"},
			SELinux:                  pspRule{Rule: "RunAsAny"},
			SupplementalGroups:       pspRule{Rule: "RunAsAny", Ranges: groups},
			FSGroup:                  pspRule{Rule: "MustRunAs", Ranges: groups},
			AllowedHostPaths:         []pspAllowedPath{{PathPrefix: "/etc/cni/net.d"}, {PathPrefix: "/opt/cni/bin"}},
		},
	}
	rbac := grantToServiceAccount(ns, cniPolicyName, rbacv1.PolicyRule{
		APIGroups:     []string{"policy"},
		Resources:     []string{"podsecuritypolicies"},
		ResourceNames: []string{cniPolicyName},
		Verbs:         []string{"use"},
	}, ns, cniServiceAccount)
	return append([]Object{psp}, rbac...)
}
