package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// LocalConfigAnnotation marks objects that are inputs of tools, not for a
// cluster (kustomize and kpt's convention): the IstioOperators istioctl
// reads, the Mesh and Tenant specs. Check does not apply them.
const LocalConfigAnnotation = "config.kubernetes.io/local-config"

// Object is one object to check and its name in messages (its file and
// position, typically).
type Object struct {
	Name string
	*unstructured.Unstructured
}

// Step is where in Check an object met a problem.
type Step string

const (
	StepAbsent   Step = "absent before apply" // the object existed before the tree applied it
	StepDryRun   Step = "server-side dry run"
	StepApply    Step = "server-side apply"
	StepReApply  Step = "re-apply" // the second apply changed the object, or failed
	StepRemove   Step = "remove"
	StepResource Step = "resource" // no resource to send the object to (other than a kind not served)
)

// Problem is something the server refused, or an object it changed when
// nothing was to change.
type Problem struct {
	Object Object
	Step   Step
	Err    error
}

func (p Problem) String() string { return fmt.Sprintf("%s: %s: %v", p.Object.Name, p.Step, p.Err) }

// Result is what Check found for a set of objects.
type Result struct {
	// Applied were applied and left unchanged by the re-apply.
	Applied []Object
	// Existing were there before the apply, the server's own objects (the
	// kube-system Namespace): applied over, then given back by removing
	// the fields the check set.
	Existing []Object
	// Rewritten were stored again by the first re-apply with nothing
	// visible changed, and not by a second one: the server persisting
	// defaults it had until then applied on every read only (a CRD's status
	// defaults: a create drops status, the first update keeps the defaulted
	// one). Not a difference in what the object is.
	Rewritten []Object
	// LocalConfig were not applied (LocalConfigAnnotation).
	LocalConfig []Object
	// NotServed are of a kind (group and version) the server does not
	// serve: the server's discovery refuses them, nothing was sent.
	NotServed []Problem
	// Problems are every refusal and every unexpected change.
	Problems []Problem
	// Warnings are the warnings the server answered with, per object.
	Warnings []Problem
}

// Check takes objs through what applying them to a cluster does, and
// leaves the server as it found it:
//
//  1. each object must not exist yet, so that what follows tests this set
//     alone (objects sharing a name across sets, ClusterRoles or Namespaces,
//     would otherwise make the re-apply compare with someone else's object),
//     unless it is the server's own (no field of it is the check's);
//  2. Namespaces first, then the rest: a server-side dry run with strict
//     field validation (every admission and validation step, nothing
//     stored), then a server-side apply;
//  3. a second apply of every object must change nothing: the same
//     resourceVersion before and after, so the rendered object is what the
//     server keeps (no defaulting or normalisation fights the applier). A
//     new resourceVersion with nothing changed that a third apply keeps is
//     reported apart (Result.Rewritten);
//  4. every object it created is removed again, namespaces last, and the
//     server's own objects lose the fields the check set.
//
// Only an error reaching the server at all is returned; what the server
// says about the objects is in the Result.
func (c *Client) Check(ctx context.Context, objs []Object) (Result, error) {
	var res Result
	var toApply []Object
	existing := map[*unstructured.Unstructured]bool{}
	for _, o := range objs {
		if o.GetAnnotations()[LocalConfigAnnotation] == "true" {
			res.LocalConfig = append(res.LocalConfig, o)
			continue
		}
		state, err := c.before(ctx, o, &res)
		if err != nil {
			return res, err
		}
		switch state {
		case absent:
			toApply = append(toApply, o)
		case serversOwn:
			toApply = append(toApply, o)
			existing[o.Unstructured] = true
			res.Existing = append(res.Existing, o)
		}
	}
	// Namespaces first: a namespaced object's dry run is refused in a
	// namespace that does not exist.
	namespaces, rest := splitNamespaces(toApply)
	applied := c.dryRunAndApply(ctx, namespaces, &res)
	applied = append(applied, c.dryRunAndApply(ctx, rest, &res)...)
	c.reApply(ctx, applied, &res)
	if err := c.removeAll(ctx, applied, existing, &res); err != nil {
		return res, err
	}
	return res, nil
}

// state is what the server has of an object before Check applies it.
type state int

const (
	skip       state = iota // not to be applied: the reason is in the Result
	absent                  // not there: the apply creates it
	serversOwn              // there, and no field of it is the check's
)

// before says whether o may be applied: its kind is served, and it does not
// exist or is the server's own. Other outcomes go to res.
func (c *Client) before(ctx context.Context, o Object, res *Result) (state, error) {
	stored, err := c.get(ctx, o.Unstructured)
	switch {
	case err == nil && managedBy(stored, FieldManager):
		res.Problems = append(res.Problems, Problem{o, StepAbsent, errors.New("the check applied it already: a previous check left it behind, or the set holds it twice")})
		return skip, nil
	case err == nil:
		return serversOwn, nil
	case apierrors.IsNotFound(err):
		return absent, nil
	case meta.IsNoMatchError(err):
		res.NotServed = append(res.NotServed, Problem{o, StepResource, err})
		return skip, nil
	case !aboutObject(err):
		return skip, fmt.Errorf("reaching the API server: %w", err)
	}
	res.Problems = append(res.Problems, Problem{o, StepResource, err})
	return skip, nil
}

// managedBy reports whether manager owns a field of obj (an apply of no
// field can leave an empty entry).
func managedBy(obj *unstructured.Unstructured, manager string) bool {
	for _, m := range obj.GetManagedFields() {
		if m.Manager == manager && m.FieldsV1 != nil && string(m.FieldsV1.Raw) != "{}" {
			return true
		}
	}
	return false
}

// dryRunAndApply dry-runs every object, then applies those the dry run
// accepted, and returns the ones applied.
func (c *Client) dryRunAndApply(ctx context.Context, objs []Object, res *Result) []Object {
	var accepted, applied []Object
	for _, o := range objs {
		if err := c.step(ctx, o, true, res); err != nil {
			res.Problems = append(res.Problems, Problem{o, StepDryRun, err})
			continue
		}
		accepted = append(accepted, o)
	}
	for _, o := range accepted {
		if err := c.step(ctx, o, false, res); err != nil {
			res.Problems = append(res.Problems, Problem{o, StepApply, err})
			continue
		}
		applied = append(applied, o)
	}
	return applied
}

// step applies o (or dry-runs it) and records the server's warnings.
func (c *Client) step(ctx context.Context, o Object, dryRun bool, res *Result) error {
	wctx, warned := withWarnings(ctx)
	_, err := c.apply(wctx, o.Unstructured, dryRun)
	step := StepApply
	if dryRun {
		step = StepDryRun
	}
	for _, w := range warned() {
		res.Warnings = append(res.Warnings, Problem{o, step, errors.New(w)})
	}
	return err
}

// reApply applies every object a second time, once all are in (a later
// object of the set could change an earlier one), and records any whose
// resourceVersion moved.
func (c *Client) reApply(ctx context.Context, applied []Object, res *Result) {
	before := map[int]*unstructured.Unstructured{}
	for i, o := range applied {
		stored, err := c.get(ctx, o.Unstructured)
		if err != nil {
			res.Problems = append(res.Problems, Problem{o, StepReApply, fmt.Errorf("reading it back: %w", err)})
			continue
		}
		before[i] = stored
	}
	for i, o := range applied {
		stored, ok := before[i]
		if !ok {
			continue
		}
		after, err := c.apply(ctx, o.Unstructured, false)
		switch {
		case err != nil:
			res.Problems = append(res.Problems, Problem{o, StepReApply, err})
		case after.GetResourceVersion() == stored.GetResourceVersion():
			res.Applied = append(res.Applied, o)
		default:
			c.changedOnReApply(ctx, o, stored, after, res)
		}
	}
}

// changedOnReApply sorts out an object the re-apply stored again: a visible
// change is a problem; a new resourceVersion alone must not come back on a
// third apply (the server persisted read-time defaults once), else the
// object would be rewritten on every apply, and is a problem.
func (c *Client) changedOnReApply(ctx context.Context, o Object, stored, after *unstructured.Unstructured, res *Result) {
	if diff := changes(stored.Object, after.Object, ""); len(diff) > 0 {
		res.Problems = append(res.Problems, Problem{o, StepReApply, fmt.Errorf("the object changed (resourceVersion %s became %s): %s",
			stored.GetResourceVersion(), after.GetResourceVersion(), strings.Join(diff, "; "))})
		return
	}
	third, err := c.apply(ctx, o.Unstructured, false)
	switch {
	case err != nil:
		res.Problems = append(res.Problems, Problem{o, StepReApply, fmt.Errorf("third apply: %w", err)})
	case third.GetResourceVersion() != after.GetResourceVersion():
		res.Problems = append(res.Problems, Problem{o, StepReApply, fmt.Errorf(
			"stored again on every apply with nothing visible changed (resourceVersion %s, %s, %s)",
			stored.GetResourceVersion(), after.GetResourceVersion(), third.GetResourceVersion())})
	default:
		res.Applied = append(res.Applied, o)
		res.Rewritten = append(res.Rewritten, o)
	}
}

// changes lists the fields whose values differ between two versions of an
// object, with both values, to say what a re-apply changed.
func changes(before, after any, path string) []string {
	if path == ".metadata.resourceVersion" {
		return nil
	}
	b, bok := before.(map[string]any)
	a, aok := after.(map[string]any)
	if bok && aok {
		keys := map[string]bool{}
		for k := range b {
			keys[k] = true
		}
		for k := range a {
			keys[k] = true
		}
		var out []string
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			out = append(out, changes(b[k], a[k], path+"."+k)...)
		}
		return out
	}
	if reflect.DeepEqual(before, after) {
		return nil
	}
	return []string{fmt.Sprintf("%s: %s became %s", path, compact(before), compact(after))}
}

func compact(v any) string {
	if v == nil {
		return "absent"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// removeAll deletes what the check created, namespaces last, takes its
// fields off the server's own objects, and waits until every object it
// created is gone, so the next set starts from the same server.
func (c *Client) removeAll(ctx context.Context, applied []Object, existing map[*unstructured.Unstructured]bool, res *Result) error {
	namespaces, rest := splitNamespaces(applied)
	var created []Object
	for _, o := range append(slices.Clone(rest), namespaces...) {
		if existing[o.Unstructured] {
			if err := c.giveBack(ctx, o.Unstructured); err != nil {
				res.Problems = append(res.Problems, Problem{o, StepRemove, err})
			}
			continue
		}
		created = append(created, o)
		if err := c.remove(ctx, o.Unstructured); err != nil {
			res.Problems = append(res.Problems, Problem{o, StepRemove, err})
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, o := range created {
		for {
			_, err := c.get(ctx, o.Unstructured)
			if apierrors.IsNotFound(err) {
				break
			}
			if err != nil && !aboutObject(err) {
				return fmt.Errorf("reaching the API server: %w", err)
			}
			if time.Now().After(deadline) {
				res.Problems = append(res.Problems, Problem{o, StepRemove, fmt.Errorf("still there 30 s after its deletion (%v)", err)})
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

func splitNamespaces(objs []Object) (namespaces, rest []Object) {
	for _, o := range objs {
		if o.GetAPIVersion() == "v1" && o.GetKind() == "Namespace" {
			namespaces = append(namespaces, o)
		} else {
			rest = append(rest, o)
		}
	}
	return namespaces, rest
}

// aboutObject tells an error about an object (the server's answer, its
// discovery's, or objectError) from a server that cannot be reached, which
// ends the check.
func aboutObject(err error) bool {
	var status apierrors.APIStatus
	var local objectError
	return errors.As(err, &status) || errors.As(err, &local) || meta.IsNoMatchError(err)
}
