// Package graph draws the traffic of a mesh from a validated spec: external
// clients reach each exposed host, the host's ingress gateway terminates TLS
// and routes to the service; the workloads of a namespace reach the hosts of
// its egress entries through an egress gateway, which originates TLS to them.
//
// Build makes the model (groups, nodes, edges); Mermaid and DOT write it.
// Everything is derived from the spec the renderer reads, after load applied
// the defaults, so the picture shows what meshwright renders: a service's
// default host and gateway, an egress entry's default gateway, a namespace's
// revision. The output is deterministic: the same spec gives the same bytes.
package graph

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/meshwright/meshwright/schema"
)

// Options narrow what Build draws.
type Options struct {
	// Tenant, when set, draws only that tenant: its namespaces, services and
	// egress entries, and the gateways and hosts they use. Gateways no
	// service of the tenant uses are left out.
	Tenant string
}

// NodeKind is what a node stands for.
type NodeKind string

const (
	// NodeClients are the clients outside the mesh; one node, drawn when a
	// host is exposed.
	NodeClients NodeKind = "clients"
	// NodeHost is a host exposed on an ingress gateway.
	NodeHost NodeKind = "host"
	// NodeIngressGateway and NodeEgressGateway are the Mesh's gateways.
	NodeIngressGateway NodeKind = "ingress-gateway"
	NodeEgressGateway  NodeKind = "egress-gateway"
	// NodeService is a Tenant's service.
	NodeService NodeKind = "service"
	// NodeWorkloads are all the workloads of one namespace: the source of
	// its egress entries (the rendered routes apply to the whole
	// namespace), and the only node of a namespace that declares no service.
	NodeWorkloads NodeKind = "workloads"
	// NodeDestination is the host of an egress entry, in or outside the
	// cluster.
	NodeDestination NodeKind = "destination"
)

// EdgeKind is the hop an edge stands for.
type EdgeKind string

const (
	// EdgeExpose: clients to an exposed host.
	EdgeExpose EdgeKind = "expose"
	// EdgeIngress: an exposed host to its ingress gateway, which terminates
	// TLS (TLS, Port) and, with requireJWT, demands a JWT (JWT).
	EdgeIngress EdgeKind = "ingress"
	// EdgeRoute: an ingress gateway to a service over Istio mutual TLS; JWT
	// when the service's claims policy admits only matching JWTs.
	EdgeRoute EdgeKind = "route"
	// EdgeEgress: a namespace's workloads to the egress gateway of one egress
	// entry (Entry), over Istio mutual TLS.
	EdgeEgress EdgeKind = "egress"
	// EdgeOriginate: an egress gateway to an egress entry's host, with the
	// TLS it originates (TLS) on the host's port (Port).
	EdgeOriginate EdgeKind = "originate"
	// EdgeCall: a caller namespace's workloads (only its service accounts
	// Accounts, when given) to a service that names them as its caller,
	// over Istio mutual TLS. With Options.Tenant, the calls into and out of
	// that tenant are drawn, with the other end's groups.
	EdgeCall EdgeKind = "call"
)

// GroupKind is what a group gathers.
type GroupKind string

const (
	GroupIngressGateways GroupKind = "ingress-gateways"
	GroupTenant          GroupKind = "tenant"
	GroupNamespace       GroupKind = "namespace" // inside its tenant's group
	GroupEgressGateways  GroupKind = "egress-gateways"
	GroupExternal        GroupKind = "external-destinations"
	GroupCluster         GroupKind = "cluster-destinations"
)

// nodeOrder is the order in which the nodes of one group are written.
var nodeOrder = []NodeKind{NodeClients, NodeHost, NodeIngressGateway, NodeService, NodeWorkloads, NodeEgressGateway, NodeDestination}

// groupOrder is the order in which top-level groups are written: the way
// traffic flows, left to right.
var groupOrder = []GroupKind{GroupIngressGateways, GroupTenant, GroupEgressGateways, GroupExternal, GroupCluster}

// Group is a Mermaid subgraph or a DOT cluster.
type Group struct {
	ID     string // [A-Za-z0-9_], unique among groups and nodes
	Kind   GroupKind
	Label  string
	Parent string // ID of the enclosing group, "" at the top
}

// Node is one box of the picture.
type Node struct {
	ID   string // [A-Za-z0-9_], unique among groups and nodes
	Kind NodeKind
	// Name identifies the node within its kind: a host, "namespace/name" of
	// a gateway, "tenant/namespace/service:port" of a service,
	// "tenant/namespace" of workloads.
	Name  string
	Label string // what is drawn; the groups around it give the rest
	Group string // ID of the enclosing group, "" at the top
}

// Edge is one hop of traffic.
type Edge struct {
	From, To string // node IDs
	Kind     EdgeKind
	TLS      schema.TLSMode // EdgeIngress: terminated; EdgeOriginate: originated
	Port     int32          // EdgeIngress: the gateway's port; EdgeOriginate: the host's
	JWT      bool           // a JWT is required on this hop
	Entry    string         // EdgeEgress, EdgeOriginate: the egress entry's name
	Accounts string         // EdgeCall: the caller's service accounts, comma-separated; "" for any
	Label    string
}

// Graph is the traffic picture of a spec, in the order it is written.
type Graph struct {
	Mesh   string // the Mesh's name
	Groups []Group
	Nodes  []Node
	Edges  []Edge

	ids    map[string]bool   // IDs taken, groups and nodes
	byKey  map[string]string // kind + name -> ID, groups and nodes
	edgeOf map[Edge]bool
}

// Build draws spec, narrowed by opts. It fails for a tenant the spec does
// not hold.
func Build(spec *schema.Spec, opts Options) (*Graph, error) {
	if spec == nil || spec.Mesh == nil {
		return nil, fmt.Errorf("graph: no Mesh in the spec")
	}
	tenants := slices.Clone(spec.Tenants)
	slices.SortStableFunc(tenants, func(a, b *schema.Tenant) int { return strings.Compare(a.Metadata.Name, b.Metadata.Name) })
	if opts.Tenant != "" {
		i := slices.IndexFunc(tenants, func(t *schema.Tenant) bool { return t.Metadata.Name == opts.Tenant })
		if i < 0 {
			names := make([]string, len(tenants))
			for j, t := range tenants {
				names[j] = t.Metadata.Name
			}
			return nil, fmt.Errorf("graph: no tenant %q in the spec (tenants: %s)", opts.Tenant, strings.Join(names, ", "))
		}
		tenants = tenants[i : i+1]
	}
	b := &builder{
		mesh:      &spec.Mesh.Spec,
		populated: map[string]bool{},
		g: &Graph{
			Mesh:   spec.Mesh.Metadata.Name,
			ids:    map[string]bool{},
			byKey:  map[string]string{},
			edgeOf: map[Edge]bool{},
		},
	}
	if opts.Tenant == "" {
		for _, gw := range b.mesh.Gateways.Ingress {
			b.gateway(NodeIngressGateway, gw)
		}
		for _, gw := range b.mesh.Gateways.Egress {
			b.gateway(NodeEgressGateway, gw)
		}
	}
	for _, t := range tenants {
		b.tenant(t)
	}
	b.calls(spec.Tenants, opts.Tenant)
	b.g.order()
	return b.g, nil
}

type builder struct {
	mesh      *schema.MeshSpec
	g         *Graph
	populated map[string]bool // groups holding a node
}

func (b *builder) tenant(t *schema.Tenant) {
	name := t.Metadata.Name
	b.group(GroupTenant, name, "tenant "+name, "")
	for _, ns := range t.Spec.Namespaces {
		b.namespace(t, ns.Name)
	}
	for _, s := range t.Spec.Services {
		svc := b.service(t, s)
		if s.Ingress == nil {
			continue
		}
		ingress := findGateway(b.mesh.Gateways.Ingress, s.Ingress.Gateway)
		gw := b.gateway(NodeIngressGateway, ingress)
		host := b.node(NodeHost, s.Ingress.Host, s.Ingress.Host, s.Ingress.Host, "")
		b.edge(Edge{From: b.clients(), To: host, Kind: EdgeExpose})
		port := int32(443)
		if s.Ingress.TLS == schema.TLSNone {
			port = 80
		}
		b.edge(Edge{From: host, To: gw, Kind: EdgeIngress, TLS: s.Ingress.TLS, Port: port, JWT: ingress.RequireJWT})
		b.edge(Edge{From: gw, To: svc, Kind: EdgeRoute, JWT: s.Authorization != nil})
	}
	for _, e := range t.Spec.Egress {
		src := b.workloads(t, e.Namespace)
		gw := b.gateway(NodeEgressGateway, findGateway(b.mesh.Gateways.Egress, e.Gateway))
		dst := b.destination(e)
		b.edge(Edge{From: src, To: gw, Kind: EdgeEgress, Entry: e.Name})
		b.edge(Edge{From: gw, To: dst, Kind: EdgeOriginate, TLS: e.TLS, Port: e.Port, Entry: e.Name})
	}
	// a namespace that declares nothing still shows, with its workloads
	for _, ns := range t.Spec.Namespaces {
		if !b.populated[b.namespace(t, ns.Name)] {
			b.workloads(t, ns.Name)
		}
	}
}

// namespace is the group of one of the tenant's namespaces, labelled with
// its revision (its istio.io/rev: a revision, or a tag and the revision it
// points to).
// calls draws each service's callers: all of them, or those into and out
// of one tenant.
func (b *builder) calls(tenants []*schema.Tenant, only string) {
	byName := map[string]*schema.Tenant{}
	for _, t := range tenants {
		byName[t.Metadata.Name] = t
	}
	for _, t := range tenants {
		for _, s := range t.Spec.Services {
			for _, c := range s.Callers {
				caller, ok := byName[c.Tenant]
				if !ok || only != "" && only != t.Metadata.Name && only != c.Tenant {
					continue
				}
				svc := b.service(t, s)
				for _, ns := range c.Namespaces {
					b.edge(Edge{From: b.workloads(caller, ns), To: svc, Kind: EdgeCall, Accounts: strings.Join(c.ServiceAccounts, ", ")})
				}
			}
		}
	}
}

func (b *builder) namespace(t *schema.Tenant, ns string) string {
	tenant := b.group(GroupTenant, t.Metadata.Name, "tenant "+t.Metadata.Name, "")
	label := "namespace " + ns
	for _, n := range t.Spec.Namespaces {
		if n.Name != ns || n.Revision == "" {
			continue
		}
		if n.Dataplane == schema.DataplaneAmbient {
			label += ", ambient" // its revision is its waypoint's
		}
		label += ", revision " + n.Revision
		if rev, ok := b.mesh.ControlPlane.Tags[n.Revision]; ok {
			label += " (" + rev + ")"
		}
	}
	return b.group(GroupNamespace, t.Metadata.Name+"/"+ns, label, tenant)
}

// service is the node of a tenant's service. A later caller edge (service
// A of tenant X calls service B of tenant Y) adds both with this.
func (b *builder) service(t *schema.Tenant, s schema.Service) string {
	path := t.Metadata.Name + "/" + s.Namespace + "/" + s.Name
	port := ":" + strconv.Itoa(int(s.Port))
	return b.node(NodeService, path, path+port, s.Name+port, b.namespace(t, s.Namespace))
}

func (b *builder) workloads(t *schema.Tenant, ns string) string {
	return b.node(NodeWorkloads, t.Metadata.Name+"/"+ns, t.Metadata.Name+"/"+ns, "workloads", b.namespace(t, ns))
}

func (b *builder) clients() string {
	return b.node(NodeClients, "clients", "clients", "external clients", "")
}

func (b *builder) gateway(kind NodeKind, gw schema.Gateway) string {
	label := gw.Namespace + "/" + gw.Name
	if gw.API == schema.GatewayAPIKubernetes {
		label += ", Gateway API"
	}
	var group string
	if kind == NodeEgressGateway {
		group = b.group(GroupEgressGateways, "", "egress gateways", "")
	} else {
		group = b.group(GroupIngressGateways, "", "ingress gateways", "")
		if gw.RequireJWT {
			label += ", requires JWT"
		}
	}
	return b.node(kind, gw.Namespace+"/"+gw.Name, gw.Namespace+"/"+gw.Name, label, group)
}

func (b *builder) destination(e schema.Egress) string {
	group := b.group(GroupExternal, "", "external hosts", "")
	if e.Location == schema.LocationCluster {
		group = b.group(GroupCluster, "", "cluster hosts", "")
	}
	return b.node(NodeDestination, e.Host, e.Host, e.Host, group)
}

func findGateway(list []schema.Gateway, name string) schema.Gateway {
	for _, g := range list {
		if g.Name == name {
			return g
		}
	}
	// load refuses unknown gateways; draw what the spec says rather than fail
	return schema.Gateway{Name: name}
}

// ID prefixes keep every ID clear of Mermaid's keywords (end, graph, style,
// click, ...) and of its o/x edge endings, and nodes apart from groups.
var idPrefix = map[string]string{
	string(NodeClients):          "ext",
	string(NodeHost):             "host",
	string(NodeIngressGateway):   "igw",
	string(NodeEgressGateway):    "egw",
	string(NodeService):          "svc",
	string(NodeWorkloads):        "wl",
	string(NodeDestination):      "dst",
	string(GroupIngressGateways): "g_ingress",
	string(GroupTenant):          "g_tenant",
	string(GroupNamespace):       "g_ns",
	string(GroupEgressGateways):  "g_egress",
	string(GroupExternal):        "g_external",
	string(GroupCluster):         "g_cluster",
}

func key(kind, name string) string { return kind + "\x00" + name }

// id returns a new ID for kind and name: the prefix and the name with every
// character outside [A-Za-z0-9] as "_", and a number when that is taken
// (names that differ only in punctuation).
func (g *Graph) id(kind, name string) string {
	var sb strings.Builder
	sb.WriteString(idPrefix[kind])
	if name != "" {
		sb.WriteByte('_')
	}
	for _, r := range name {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			sb.WriteRune(r)
		} else {
			sb.WriteByte('_')
		}
	}
	id := sb.String()
	for n := 2; g.ids[id]; n++ {
		id = sb.String() + "_" + strconv.Itoa(n)
	}
	g.ids[id] = true
	return id
}

func (b *builder) group(kind GroupKind, name, label, parent string) string {
	k := key(string(kind), name)
	if id, ok := b.g.byKey[k]; ok {
		return id
	}
	id := b.g.id(string(kind), name)
	b.g.byKey[k] = id
	b.g.Groups = append(b.g.Groups, Group{ID: id, Kind: kind, Label: label, Parent: parent})
	return id
}

// node adds a node once per kind and key (what identifies it: a service's
// key leaves out its port, so that a caller can name it).
func (b *builder) node(kind NodeKind, nodeKey, name, label, group string) string {
	k := key(string(kind), nodeKey)
	if id, ok := b.g.byKey[k]; ok {
		return id
	}
	id := b.g.id(string(kind), nodeKey)
	b.g.byKey[k] = id
	b.populated[group] = true
	b.g.Nodes = append(b.g.Nodes, Node{ID: id, Kind: kind, Name: name, Label: label, Group: group})
	return id
}

// edge adds e once; an egress entry is an edge of its own, so two entries
// of a namespace through one gateway are two edges.
func (b *builder) edge(e Edge) {
	e.Label = edgeLabel(e)
	if b.g.edgeOf[e] {
		return
	}
	b.g.edgeOf[e] = true
	b.g.Edges = append(b.g.Edges, e)
}

func edgeLabel(e Edge) string {
	var parts []string
	switch e.Kind {
	case EdgeIngress:
		parts = append(parts, fmt.Sprintf("%s :%d", e.TLS, e.Port))
		if e.JWT {
			parts = append(parts, "JWT")
		}
	case EdgeRoute:
		parts = append(parts, "mTLS")
		if e.JWT {
			parts = append(parts, "JWT claims")
		}
	case EdgeEgress:
		parts = append(parts, e.Entry, "mTLS")
	case EdgeOriginate:
		parts = append(parts, e.Entry, fmt.Sprintf("%s :%d", e.TLS, e.Port))
	case EdgeCall:
		parts = append(parts, "mTLS")
		if e.Accounts != "" {
			parts = append(parts, "as "+e.Accounts)
		}
	}
	return strings.Join(parts, ", ")
}

// order puts the top-level groups in the order traffic flows, and the nodes
// by kind; within a kind, groups, nodes and edges keep the order they were
// added in.
func (g *Graph) order() {
	rank := func(gr Group) int {
		if gr.Parent != "" {
			return len(groupOrder)
		}
		return slices.Index(groupOrder, gr.Kind)
	}
	slices.SortStableFunc(g.Groups, func(a, b Group) int { return rank(a) - rank(b) })
	slices.SortStableFunc(g.Nodes, func(a, b Node) int { return slices.Index(nodeOrder, a.Kind) - slices.Index(nodeOrder, b.Kind) })
}

// tree is the graph's nesting: the groups and the nodes directly inside
// each group ("" is the top), in order.
type tree struct {
	groups map[string][]Group
	nodes  map[string][]Node
}

func (g *Graph) tree() tree {
	t := tree{groups: map[string][]Group{}, nodes: map[string][]Node{}}
	for _, gr := range g.Groups {
		t.groups[gr.Parent] = append(t.groups[gr.Parent], gr)
	}
	for _, n := range g.Nodes {
		t.nodes[n.Group] = append(t.nodes[n.Group], n)
	}
	return t
}
