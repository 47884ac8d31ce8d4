package conformance

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	jwtauthnv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	rbachttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	rbacnetv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// The typed configs of the filters Authorize evaluates.
const (
	typeHTTPRBAC    = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC"
	typeNetworkRBAC = "type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC"
	typeJWTAuthn    = "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication"
	typeHCM         = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
)

// Decision is what a proxy's RBAC filters decide for a request arriving at
// it, in Envoy's semantics: every filter must admit it; a filter with ALLOW
// rules admits what one of its policies matches, with DENY rules what none
// matches, without rules (only dry-run ones) everything. Dry-run
// policies (istio.io/dry-run) are the filters' shadow rules: DryRunAllowed
// is the decision were they enforced along with the others.
type Decision struct {
	Listener, Chain string
	// NoChain: no filter chain takes the connection; Envoy closes it.
	NoChain       bool
	Allowed       bool
	DryRunAllowed bool
	DryRun        bool // the filters have shadow (dry-run) rules
	Filters       []FilterDecision
}

// FilterDecision is one RBAC filter's part of a Decision.
type FilterDecision struct {
	Filter        string // its name
	Action        string // of the enforced rules ("" without)
	Matched       []string
	Allowed       bool
	ShadowAction  string // of the dry-run rules ("" without)
	ShadowMatched []string
	DryRunAllowed bool
}

func (d Decision) String() string {
	if d.NoChain {
		return fmt.Sprintf("no filter chain of %s takes the connection", d.Listener)
	}
	verdict := "denied"
	if d.Allowed {
		verdict = "allowed"
	}
	if d.DryRun {
		if d.DryRunAllowed {
			verdict += ", allowed in dry run"
		} else {
			verdict += ", denied in dry run"
		}
	}
	var parts []string
	for _, f := range d.Filters {
		s := f.Filter
		if f.Action != "" {
			s += fmt.Sprintf(" %s matched %v", f.Action, f.Matched)
		}
		if f.ShadowAction != "" {
			s += fmt.Sprintf(" dry-run %s matched %v", f.ShadowAction, f.ShadowMatched)
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		parts = []string{"no RBAC filter"}
	}
	return fmt.Sprintf("%s (%s chain %s: %s)", verdict, d.Listener, d.Chain, strings.Join(parts, "; "))
}

// Authorize evaluates the RBAC filters of the filter chain that takes the
// request at this proxy (a sidecar's inbound chain for req.Port, a
// gateway's listener on req.Port): the network filters in order, then, in
// the HTTP connection manager, the HTTP filters in order. A JWT filter
// with a provider for the token's issuer puts the claims where the RBAC
// rules read them (the request is taken to carry a valid token). Matchers
// this evaluator does not know are errors, never silently skipped.
func (p *Proxy) Authorize(req Request) (Decision, error) {
	l, fc, req, err := p.inboundChain(req)
	if err != nil {
		return Decision{}, err
	}
	return p.authorizeChain(l, fc, req)
}

// AuthorizeAtWaypoint evaluates, at a waypoint, the RBAC filters of the
// chain that takes requests to a service (its inbound VIP chain on the
// internal listener, as istiod names it).
func (p *Proxy) AuthorizeAtWaypoint(service string, port uint32, req Request) (Decision, error) {
	if !p.Waypoint {
		return Decision{}, fmt.Errorf("%s is not a waypoint", p)
	}
	l, fc, err := p.waypointChain(service, port)
	if err != nil {
		return Decision{}, err
	}
	if fc == nil {
		return Decision{}, fmt.Errorf("%s does not serve %s:%d", p, service, port)
	}
	return p.authorizeChain(l, fc, req)
}

// authorizeChain evaluates a filter chain's RBAC filters (nil: no chain
// takes the request, which is refused).
func (p *Proxy) authorizeChain(l *listenerv3.Listener, fc *listenerv3.FilterChain, req Request) (Decision, error) {
	d := Decision{Listener: l.GetName(), Allowed: true, DryRunAllowed: true}
	if fc == nil {
		d.NoChain, d.Allowed, d.DryRunAllowed = true, false, false
		return d, nil
	}
	d.Chain = fc.GetName()
	e := &evaluation{req: req, headers: map[string]string{}, metadata: map[string]*structpb.Struct{}}
	if !req.TCP {
		e.headers = req.headers()
	}
	for _, f := range fc.GetFilters() {
		if f.GetConfigDiscovery() != nil {
			return d, fmt.Errorf("%s: filter %s is configured through discovery: not evaluated", p, f.GetName())
		}
		tc := f.GetTypedConfig()
		switch tc.GetTypeUrl() {
		case typeNetworkRBAC:
			r := &rbacnetv3.RBAC{}
			if err := tc.UnmarshalTo(r); err != nil {
				return d, err
			}
			if r.GetMatcher() != nil || r.GetShadowMatcher() != nil {
				return d, fmt.Errorf("%s: filter %s uses the matcher API: not evaluated", p, f.GetName())
			}
			if err := e.filter(&d, f.GetName(), r.GetRules(), r.GetShadowRules()); err != nil {
				return d, fmt.Errorf("%s: %w", p, err)
			}
		case typeHCM:
			if req.TCP {
				continue
			}
			h := &hcmv3.HttpConnectionManager{}
			if err := tc.UnmarshalTo(h); err != nil {
				return d, err
			}
			for _, hf := range h.GetHttpFilters() {
				if hf.GetConfigDiscovery() != nil {
					if strings.Contains(hf.GetName(), "rbac") || strings.Contains(hf.GetName(), "jwt") {
						return d, fmt.Errorf("%s: HTTP filter %s is configured through discovery: not evaluated", p, hf.GetName())
					}
					continue
				}
				if err := e.httpFilter(&d, hf.GetName(), hf.GetTypedConfig()); err != nil {
					return d, fmt.Errorf("%s: %w", p, err)
				}
			}
		}
	}
	return d, nil
}

// evaluation is one request's evaluation: its headers and the dynamic
// metadata the filters before the RBAC filters wrote.
type evaluation struct {
	req      Request
	headers  map[string]string
	metadata map[string]*structpb.Struct
}

func (e *evaluation) httpFilter(d *Decision, name string, tc *anypb.Any) error {
	switch tc.GetTypeUrl() {
	case typeJWTAuthn:
		j := &jwtauthnv3.JwtAuthentication{}
		if err := tc.UnmarshalTo(j); err != nil {
			return err
		}
		iss := e.req.Claims["iss"]
		if len(iss) == 0 {
			return nil
		}
		for _, provider := range j.GetProviders() {
			if provider.GetIssuer() != iss[0] || provider.GetPayloadInMetadata() == "" {
				continue
			}
			payload, err := claimsStruct(e.req.Claims)
			if err != nil {
				return err
			}
			md := e.metadata[name]
			if md == nil {
				md = &structpb.Struct{Fields: map[string]*structpb.Value{}}
				e.metadata[name] = md
			}
			md.Fields[provider.GetPayloadInMetadata()] = structpb.NewStructValue(payload)
		}
	case typeHTTPRBAC:
		r := &rbachttpv3.RBAC{}
		if err := tc.UnmarshalTo(r); err != nil {
			return err
		}
		if r.GetMatcher() != nil || r.GetShadowMatcher() != nil {
			return fmt.Errorf("filter %s uses the matcher API: not evaluated", name)
		}
		return e.filter(d, name, r.GetRules(), r.GetShadowRules())
	}
	return nil
}

// claimsStruct is a JWT payload: a claim of one value a string, of several
// a list.
func claimsStruct(claims map[string][]string) (*structpb.Struct, error) {
	m := map[string]any{}
	for k, vs := range claims {
		if len(vs) == 1 {
			m[k] = vs[0]
			continue
		}
		l := make([]any, len(vs))
		for i, v := range vs {
			l[i] = v
		}
		m[k] = l
	}
	return structpb.NewStruct(m)
}

// filter evaluates one RBAC filter's enforced and shadow rules.
func (e *evaluation) filter(d *Decision, name string, rules, shadow *rbacv3.RBAC) error {
	fd := FilterDecision{Filter: name, Allowed: true, DryRunAllowed: true}
	var err error
	if rules != nil {
		fd.Action = rules.GetAction().String()
		if fd.Matched, err = e.matching(rules); err != nil {
			return fmt.Errorf("filter %s: %w", name, err)
		}
		fd.Allowed = admits(rules.GetAction(), len(fd.Matched) > 0)
	}
	fd.DryRunAllowed = fd.Allowed
	if shadow != nil {
		d.DryRun = true
		fd.ShadowAction = shadow.GetAction().String()
		if fd.ShadowMatched, err = e.matching(shadow); err != nil {
			return fmt.Errorf("filter %s (dry run): %w", name, err)
		}
		// enforced, the dry-run policies join the filter's rules
		action, matched := shadow.GetAction(), len(fd.ShadowMatched) > 0
		if rules != nil {
			if rules.GetAction() != action {
				return fmt.Errorf("filter %s: enforced %s and dry-run %s rules in one filter", name, rules.GetAction(), action)
			}
			matched = matched || len(fd.Matched) > 0
		}
		fd.DryRunAllowed = admits(action, matched)
	}
	d.Filters = append(d.Filters, fd)
	d.Allowed = d.Allowed && fd.Allowed
	d.DryRunAllowed = d.DryRunAllowed && fd.DryRunAllowed
	return nil
}

func admits(action rbacv3.RBAC_Action, matched bool) bool {
	switch action {
	case rbacv3.RBAC_ALLOW:
		return matched
	case rbacv3.RBAC_DENY:
		return !matched
	}
	return true // LOG
}

// matching returns the names of the policies that match, sorted.
func (e *evaluation) matching(r *rbacv3.RBAC) ([]string, error) {
	var out []string
	for name, pol := range r.GetPolicies() {
		if pol.GetCondition() != nil || pol.GetCheckedCondition() != nil {
			return nil, fmt.Errorf("policy %s has a CEL condition: not evaluated", name)
		}
		perm := false
		for _, pm := range pol.GetPermissions() {
			ok, err := e.permission(pm)
			if err != nil {
				return nil, fmt.Errorf("policy %s: %w", name, err)
			}
			perm = perm || ok
		}
		princ := false
		for _, pr := range pol.GetPrincipals() {
			ok, err := e.principal(pr)
			if err != nil {
				return nil, fmt.Errorf("policy %s: %w", name, err)
			}
			princ = princ || ok
		}
		if perm && princ {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (e *evaluation) permission(p *rbacv3.Permission) (bool, error) {
	switch r := p.GetRule().(type) {
	case *rbacv3.Permission_Any:
		return r.Any, nil
	case *rbacv3.Permission_AndRules:
		for _, sub := range r.AndRules.GetRules() {
			ok, err := e.permission(sub)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case *rbacv3.Permission_OrRules:
		for _, sub := range r.OrRules.GetRules() {
			ok, err := e.permission(sub)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case *rbacv3.Permission_NotRule:
		ok, err := e.permission(r.NotRule)
		return !ok, err
	case *rbacv3.Permission_Header:
		return headerMatches(r.Header, e.headers)
	case *rbacv3.Permission_UrlPath:
		path, _, _ := strings.Cut(e.req.path(), "?")
		return stringMatches(r.UrlPath.GetPath(), path, !e.req.TCP)
	case *rbacv3.Permission_DestinationIp:
		ok, _ := cidrMatch([]*corev3.CidrRange{r.DestinationIp}, e.req.DestinationIP)
		return ok, nil
	case *rbacv3.Permission_DestinationPort:
		return r.DestinationPort == e.req.Port, nil
	case *rbacv3.Permission_DestinationPortRange:
		return int64(e.req.Port) >= int64(r.DestinationPortRange.GetStart()) && int64(e.req.Port) < int64(r.DestinationPortRange.GetEnd()), nil
	case *rbacv3.Permission_Metadata:
		return e.metadataMatches(r.Metadata)
	case *rbacv3.Permission_RequestedServerName:
		return stringMatches(r.RequestedServerName, e.req.SNI, true)
	}
	return false, fmt.Errorf("permission %T: not evaluated", p.GetRule())
}

func (e *evaluation) principal(p *rbacv3.Principal) (bool, error) {
	switch id := p.GetIdentifier().(type) {
	case *rbacv3.Principal_Any:
		return id.Any, nil
	case *rbacv3.Principal_AndIds:
		for _, sub := range id.AndIds.GetIds() {
			ok, err := e.principal(sub)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case *rbacv3.Principal_OrIds:
		for _, sub := range id.OrIds.GetIds() {
			ok, err := e.principal(sub)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case *rbacv3.Principal_NotId:
		ok, err := e.principal(id.NotId)
		return !ok, err
	case *rbacv3.Principal_Authenticated_:
		if e.req.Principal == "" {
			return false, nil // no peer certificate
		}
		if id.Authenticated.GetPrincipalName() == nil {
			return true, nil
		}
		return stringMatches(id.Authenticated.GetPrincipalName(), e.req.Principal, true)
	case *rbacv3.Principal_FilterState:
		if id.FilterState.GetKey() != "io.istio.peer_principal" || id.FilterState.GetStringMatch() == nil {
			return false, fmt.Errorf("filter state %s: not evaluated", id.FilterState.GetKey())
		}
		if e.req.Principal == "" {
			return false, nil
		}
		return stringMatches(id.FilterState.GetStringMatch(), e.req.Principal, true)
	case *rbacv3.Principal_Header:
		return headerMatches(id.Header, e.headers)
	case *rbacv3.Principal_UrlPath:
		path, _, _ := strings.Cut(e.req.path(), "?")
		return stringMatches(id.UrlPath.GetPath(), path, !e.req.TCP)
	case *rbacv3.Principal_Metadata:
		return e.metadataMatches(id.Metadata)
	case *rbacv3.Principal_DirectRemoteIp:
		ok, _ := cidrMatch([]*corev3.CidrRange{id.DirectRemoteIp}, e.req.SourceIP)
		return ok, nil
	case *rbacv3.Principal_RemoteIp:
		ok, _ := cidrMatch([]*corev3.CidrRange{id.RemoteIp}, e.req.SourceIP)
		return ok, nil
	case *rbacv3.Principal_SourceIp: //nolint:staticcheck // deprecated, still a principal Envoy evaluates
		ok, _ := cidrMatch([]*corev3.CidrRange{id.SourceIp}, e.req.SourceIP)
		return ok, nil
	}
	return false, fmt.Errorf("principal %T: not evaluated", p.GetIdentifier())
}

// stringMatches applies an Envoy StringMatcher; present is false when the
// value is absent (no string matcher matches an absent value).
func stringMatches(m *matcherv3.StringMatcher, s string, present bool) (bool, error) {
	if m == nil {
		return false, fmt.Errorf("no string matcher")
	}
	if !present {
		return false, nil
	}
	v := s
	fold := func(x string) string { return x }
	if m.GetIgnoreCase() {
		fold = strings.ToLower
	}
	switch p := m.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		return fold(v) == fold(p.Exact), nil
	case *matcherv3.StringMatcher_Prefix:
		return strings.HasPrefix(fold(v), fold(p.Prefix)), nil
	case *matcherv3.StringMatcher_Suffix:
		return strings.HasSuffix(fold(v), fold(p.Suffix)), nil
	case *matcherv3.StringMatcher_Contains:
		return strings.Contains(fold(v), fold(p.Contains)), nil
	case *matcherv3.StringMatcher_SafeRegex:
		return regexFullMatch(p.SafeRegex.GetRegex(), v)
	}
	return false, fmt.Errorf("string matcher %T: not evaluated", m.GetMatchPattern())
}

var regexCache = map[string]*regexp.Regexp{}

// regexFullMatch: Envoy's safe_regex (RE2) must match the whole value.
func regexFullMatch(expr, v string) (bool, error) {
	re := regexCache[expr]
	if re == nil {
		var err error
		if re, err = regexp.Compile("^(?:" + expr + ")$"); err != nil {
			return false, fmt.Errorf("regex %q: %w", expr, err)
		}
		regexCache[expr] = re
	}
	return re.MatchString(v), nil
}

// headerMatches applies an Envoy HeaderMatcher as HeaderUtility does,
// missing headers and invert_match included.
func headerMatches(h *routev3.HeaderMatcher, headers map[string]string) (bool, error) {
	v, present := headers[strings.ToLower(h.GetName())]
	if !present && h.GetTreatMissingHeaderAsEmpty() {
		v, present = "", true
	}
	_, isPresentMatch := h.GetHeaderMatchSpecifier().(*routev3.HeaderMatcher_PresentMatch)
	if !present {
		if h.GetInvertMatch() {
			return !isPresentMatch, nil
		}
		return isPresentMatch && !h.GetPresentMatch(), nil
	}
	var match bool
	switch m := h.GetHeaderMatchSpecifier().(type) {
	case nil:
		match = true // presence
	case *routev3.HeaderMatcher_ExactMatch: //nolint:staticcheck // deprecated, still evaluated by Envoy
		match = v == m.ExactMatch
	case *routev3.HeaderMatcher_SafeRegexMatch: //nolint:staticcheck
		ok, err := regexFullMatch(m.SafeRegexMatch.GetRegex(), v)
		if err != nil {
			return false, err
		}
		match = ok
	case *routev3.HeaderMatcher_RangeMatch:
		n, err := strconv.ParseInt(v, 10, 64)
		match = err == nil && n >= m.RangeMatch.GetStart() && n < m.RangeMatch.GetEnd()
	case *routev3.HeaderMatcher_PresentMatch:
		match = m.PresentMatch
	case *routev3.HeaderMatcher_PrefixMatch: //nolint:staticcheck
		match = strings.HasPrefix(v, m.PrefixMatch)
	case *routev3.HeaderMatcher_SuffixMatch: //nolint:staticcheck
		match = strings.HasSuffix(v, m.SuffixMatch)
	case *routev3.HeaderMatcher_ContainsMatch: //nolint:staticcheck
		match = strings.Contains(v, m.ContainsMatch)
	case *routev3.HeaderMatcher_StringMatch:
		ok, err := stringMatches(m.StringMatch, v, true)
		if err != nil {
			return false, err
		}
		match = ok
	default:
		return false, fmt.Errorf("header matcher %T: not evaluated", m)
	}
	return match != h.GetInvertMatch(), nil
}

// metadataMatches applies an Envoy MetadataMatcher to the request's
// dynamic metadata.
func (e *evaluation) metadataMatches(m *matcherv3.MetadataMatcher) (bool, error) {
	var v *structpb.Value
	if s := e.metadata[m.GetFilter()]; s != nil {
		v = structpb.NewStructValue(s)
		for _, seg := range m.GetPath() {
			key := seg.GetKey()
			if v.GetStructValue() == nil {
				v = nil
				break
			}
			v = v.GetStructValue().GetFields()[key]
			if v == nil {
				break
			}
		}
	}
	ok, err := valueMatches(m.GetValue(), v)
	if err != nil {
		return false, err
	}
	return ok != m.GetInvert(), nil
}

// valueMatches applies an Envoy ValueMatcher; v is nil when absent.
func valueMatches(m *matcherv3.ValueMatcher, v *structpb.Value) (bool, error) {
	switch p := m.GetMatchPattern().(type) {
	case *matcherv3.ValueMatcher_PresentMatch:
		return (v != nil) == p.PresentMatch, nil
	case *matcherv3.ValueMatcher_NullMatch_:
		return v != nil && v.GetKind() != nil && isNull(v), nil
	case *matcherv3.ValueMatcher_StringMatch:
		if v == nil {
			return false, nil
		}
		s, ok := v.GetKind().(*structpb.Value_StringValue)
		if !ok {
			return false, nil
		}
		return stringMatches(p.StringMatch, s.StringValue, true)
	case *matcherv3.ValueMatcher_BoolMatch:
		b, ok := v.GetKind().(*structpb.Value_BoolValue)
		return ok && b.BoolValue == p.BoolMatch, nil
	case *matcherv3.ValueMatcher_DoubleMatch:
		n, ok := v.GetKind().(*structpb.Value_NumberValue)
		if !ok {
			return false, nil
		}
		switch d := p.DoubleMatch.GetMatchPattern().(type) {
		case *matcherv3.DoubleMatcher_Exact:
			return n.NumberValue == d.Exact, nil
		case *matcherv3.DoubleMatcher_Range:
			return n.NumberValue >= d.Range.GetStart() && n.NumberValue < d.Range.GetEnd(), nil
		}
	case *matcherv3.ValueMatcher_ListMatch:
		l, ok := v.GetKind().(*structpb.Value_ListValue)
		if !ok {
			return false, nil
		}
		for _, item := range l.ListValue.GetValues() {
			if ok, err := valueMatches(p.ListMatch.GetOneOf(), item); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case *matcherv3.ValueMatcher_OrMatch:
		for _, sub := range p.OrMatch.GetValueMatchers() {
			if ok, err := valueMatches(sub, v); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	}
	return false, fmt.Errorf("value matcher %T: not evaluated", m.GetMatchPattern())
}

func isNull(v *structpb.Value) bool {
	_, ok := v.GetKind().(*structpb.Value_NullValue)
	return ok
}
