package apiserver

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// InstallCRDs applies CustomResourceDefinitions, waits until the server
// serves each of them (condition Established), and refreshes the client's
// view of the served kinds.
func (c *Client) InstallCRDs(ctx context.Context, crds []*unstructured.Unstructured, timeout time.Duration) error {
	for _, crd := range crds {
		if crd.GetKind() != "CustomResourceDefinition" {
			return fmt.Errorf("installing CRDs: %s %s is not a CustomResourceDefinition", crd.GetKind(), crd.GetName())
		}
		if _, err := c.apply(ctx, crd, false); err != nil {
			return fmt.Errorf("installing CRD %s: %w", crd.GetName(), err)
		}
	}
	deadline := time.Now().Add(timeout)
	for _, crd := range crds {
		if err := c.waitEstablished(ctx, crd, deadline); err != nil {
			return err
		}
	}
	c.ResetMapping()
	return nil
}

func (c *Client) waitEstablished(ctx context.Context, crd *unstructured.Unstructured, deadline time.Time) error {
	for {
		stored, err := c.get(ctx, crd)
		if err != nil {
			return fmt.Errorf("reading CRD %s: %w", crd.GetName(), err)
		}
		if hasCondition(stored, "Established") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("CRD %s not Established in time; status: %v", crd.GetName(), stored.Object["status"])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hasCondition reports whether obj's status has condition kind with status
// "True".
func hasCondition(obj *unstructured.Unstructured, kind string) bool {
	conditions, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conditions {
		m, ok := c.(map[string]any)
		if ok && m["type"] == kind && m["status"] == "True" {
			return true
		}
	}
	return false
}
