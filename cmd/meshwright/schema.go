package main

import (
	"fmt"
	"io"

	"github.com/meshwright/meshwright/schema/jsonschema"
)

// schemaFormats are the documents `meshwright schema` prints, all generated
// from the CUE definitions at run time, so they cannot drift from what
// validate accepts.
var schemaFormats = map[string]func() ([]byte, error){
	"jsonschema": jsonschema.JSONSchema,
	"openapi":    jsonschema.OpenAPI,
}

// schemaCommand prints the input schema for editors (yaml-language-server)
// and pipelines.
func schemaCommand(args []string, stdout, stderr io.Writer) int {
	flags := flagSet("schema", stderr)
	format := flags.String("format", "jsonschema", "`FORMAT` of the schema: jsonschema (draft 2020-12) or openapi (3.1)")
	if err := flags.Parse(args); err != nil {
		return exitUsage
	}
	generate, ok := schemaFormats[*format]
	if !ok || flags.NArg() > 0 {
		fmt.Fprintf(stderr, "meshwright: schema takes only --format jsonschema|openapi\n%s", usage)
		return exitUsage
	}
	out, err := generate()
	return printOutput(stdout, stderr, out, err)
}
