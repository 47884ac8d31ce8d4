// Package schema is meshwright's input contract as Go types: the Mesh and
// Tenant documents (their fields exactly as the CUE schema in
// schema/cueschema defines them, already validated and defaulted when a
// loader hands them out), the located diagnostics that refuse an input, and
// their stable codes.
//
// The jobs around the types live in subpackages, and data flows one way:
//
//	load        files -> YAML documents -> cueschema -> typed Spec -> rules
//	cueschema   the CUE schema: validation, defaults, readable messages
//	rules       the refusals that span fields or documents, one file per kind
//	jsonschema  the JSON Schema and OpenAPI export for editors
package schema
