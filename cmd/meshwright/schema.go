package main

import (
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/meshwright/meshwright/schema/jsonschema"
)

// schemaFormats are the documents `meshwright schema` prints, all generated
// from the CUE definitions at run time, so they cannot drift from what
// validate accepts.
var schemaFormats = map[string]func() ([]byte, error){
	"jsonschema": jsonschema.JSONSchema,
	"openapi":    jsonschema.OpenAPI,
}

// newSchemaCommand prints the input schema for editors (yaml-language-server)
// and pipelines.
func (a *app) newSchemaCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "schema [--format jsonschema|openapi]",
		Short: "Print the JSON Schema of the inputs, for editors",
		Long: `Schema prints the schema of Mesh and Tenant documents, generated from the
definitions validate uses: JSON Schema (draft 2020-12) for editors such as
yaml-language-server, or OpenAPI 3.1.`,
		Example: `  meshwright schema > meshwright.schema.json
  # then, first line of a spec file:
  # yaml-language-server: $schema=meshwright.schema.json`,
		Args: args(cobra.NoArgs),
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			generate, ok := schemaFormats[format]
			if !ok {
				return usageErrorf("unknown schema format %q (use %s)", format, strings.Join(slices.Sorted(maps.Keys(schemaFormats)), " or "))
			}
			out, err := generate()
			if err != nil {
				return err
			}
			_, err = a.stdout.Write(out)
			return err
		}),
	}
	cmd.Flags().StringVar(&format, "format", "jsonschema", "`FORMAT` of the schema: jsonschema (draft 2020-12) or openapi (3.1)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(slices.Sorted(maps.Keys(schemaFormats)), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
