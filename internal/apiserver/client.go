package apiserver

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// FieldManager owns the fields the check applies.
const FieldManager = "meshwright-check"

// Client applies unstructured objects, finding each kind's resource through
// the server's discovery (so custom resources work once their CRD is in).
type Client struct {
	dynamic   dynamic.Interface
	discovery discovery.DiscoveryInterface
	mapper    *restmapper.DeferredDiscoveryRESTMapper
}

// NewClient returns a Client for the server of config. Warnings the server
// sends are collected per request (see withWarnings), not logged.
func NewClient(config *rest.Config) (*Client, error) {
	config = rest.CopyConfig(config)
	config.WarningHandlerWithContext = warningCollector{}
	dc, err := discovery.NewDiscoveryClientForConfig(config)
	if err != nil {
		return nil, fmt.Errorf("creating discovery client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(config)
	if err != nil {
		return nil, fmt.Errorf("creating dynamic client: %w", err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	return &Client{dynamic: dyn, discovery: dc, mapper: mapper}, nil
}

// ServerVersion is the server's release, as it reports it (/version).
func (c *Client) ServerVersion() (string, error) {
	v, err := c.discovery.ServerVersion()
	if err != nil {
		return "", fmt.Errorf("reading the server's version: %w", err)
	}
	return v.GitVersion, nil
}

// ResetMapping forgets what discovery said, after the served kinds changed
// (CRDs installed).
func (c *Client) ResetMapping() { c.mapper.Reset() }

// resource returns the client of obj's resource, in obj's namespace when
// the kind is namespaced. A kind the server does not serve is an error
// meta.IsNoMatchError recognizes.
func (c *Client) resource(obj *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := obj.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, err
	}
	r := c.dynamic.Resource(m.Resource)
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		return r, nil
	}
	// No default namespace: a namespaced object without one lands wherever
	// the applier's context points, which a rendered tree must not leave open.
	if obj.GetNamespace() == "" {
		return nil, objectError{fmt.Errorf("%s is namespaced but metadata.namespace is not set", gvk.Kind)}
	}
	return r.Namespace(obj.GetNamespace()), nil
}

// apply server-side applies obj with strict field validation (unknown and
// duplicate fields are errors, not warnings), as a dry run when dryRun is
// set, and returns what the server stored (or would store).
func (c *Client) apply(ctx context.Context, obj *unstructured.Unstructured, dryRun bool) (*unstructured.Unstructured, error) {
	r, err := c.resource(obj)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(obj.Object)
	if err != nil {
		return nil, objectError{fmt.Errorf("encoding: %w", err)}
	}
	opts := metav1.PatchOptions{
		FieldManager:    FieldManager,
		FieldValidation: metav1.FieldValidationStrict,
		// On the server's own objects (kube-system) the check takes over
		// the fields it sets, as a cluster's GitOps applier would.
		Force: ptr(true),
	}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	return r.Patch(ctx, obj.GetName(), types.ApplyPatchType, body, opts)
}

// get returns the stored object, or an error apierrors.IsNotFound
// recognizes.
func (c *Client) get(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	r, err := c.resource(obj)
	if err != nil {
		return nil, err
	}
	return r.Get(ctx, obj.GetName(), metav1.GetOptions{})
}

// remove deletes obj; a Namespace is finalized too, since no namespace
// controller runs to empty and release it. The caller deletes the
// namespace's objects first.
func (c *Client) remove(ctx context.Context, obj *unstructured.Unstructured) error {
	r, err := c.resource(obj)
	if err != nil {
		return err
	}
	background := metav1.DeletePropagationBackground
	err = r.Delete(ctx, obj.GetName(), metav1.DeleteOptions{PropagationPolicy: &background})
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	if obj.GetAPIVersion() != "v1" || obj.GetKind() != "Namespace" {
		return nil
	}
	ns, err := r.Get(ctx, obj.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	// The namespace is Terminating, held by its "kubernetes" finalizer;
	// clearing it through the finalize subresource lets it go.
	if err := unstructured.SetNestedStringSlice(ns.Object, []string{}, "spec", "finalizers"); err != nil {
		return fmt.Errorf("clearing finalizers: %w", err)
	}
	_, err = r.Update(ctx, ns, metav1.UpdateOptions{}, "finalize")
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("finalizing: %w", err)
	}
	return nil
}

// objectError is a problem with an object found before sending it.
type objectError struct{ error }

func (e objectError) Unwrap() error { return e.error }

// giveBack removes the fields the check's applies set on an object it did
// not create: an apply of nothing but the object's identity drops every
// field the field manager owned alone.
func (c *Client) giveBack(ctx context.Context, obj *unstructured.Unstructured) error {
	identity := &unstructured.Unstructured{}
	identity.SetAPIVersion(obj.GetAPIVersion())
	identity.SetKind(obj.GetKind())
	identity.SetName(obj.GetName())
	identity.SetNamespace(obj.GetNamespace())
	stored, err := c.apply(ctx, identity, false)
	if err != nil {
		return fmt.Errorf("removing the check's fields: %w", err)
	}
	if managedBy(stored, FieldManager) {
		return fmt.Errorf("removing the check's fields: it still owns some: %v", stored.GetManagedFields())
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// warningCollector hands the warnings of a request to the collector its
// context carries (withWarnings); without one they are dropped.
type warningCollector struct{}

type warningsKey struct{}

type warnings struct {
	mu   sync.Mutex
	list []string
}

func (warningCollector) HandleWarningHeaderWithContext(ctx context.Context, _ int, _ string, text string) {
	if w, ok := ctx.Value(warningsKey{}).(*warnings); ok {
		w.mu.Lock()
		w.list = append(w.list, text)
		w.mu.Unlock()
	}
}

// withWarnings returns a context whose requests' warnings are collected,
// and a function returning those collected so far.
func withWarnings(ctx context.Context) (context.Context, func() []string) {
	w := &warnings{}
	return context.WithValue(ctx, warningsKey{}, w), func() []string {
		w.mu.Lock()
		defer w.mu.Unlock()
		return append([]string(nil), w.list...)
	}
}
