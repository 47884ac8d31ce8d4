package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/meshwright/meshwright"
	"github.com/meshwright/meshwright/encode"
	"github.com/meshwright/meshwright/render"
	"github.com/meshwright/meshwright/report"
	"github.com/meshwright/meshwright/schema"
)

// stdinName names standard input, the PATH -, in diagnostics.
const stdinName = "<stdin>"

const pathsHelp = `PATH is a file or a directory, read recursively (*.yaml and *.yml, in
lexical order, leaving out hidden directories and rendered trees); files may
hold several documents. - reads a YAML stream from standard input, called
<stdin> in diagnostics. Documents that are not meshwright.dev/v1alpha1 are
skipped with a warning; several are summed up in one line, -v lists them.

Diagnostics go to stderr, in --format: text (file:line:col: path: message
[code]), json, github (workflow commands that annotate a pull request) or
sarif (SARIF 2.1.0 for code scanning). --diagnostics-file FILE writes them
to FILE instead, in any format. Exit status: 0 when there is no error
(warnings allowed), 1 when there are errors, 2 on a usage error.`

func (a *app) newValidateCommand() *cobra.Command {
	var out diagnosticsFlags
	cmd := &cobra.Command{
		Use:   "validate PATH...",
		Short: "Check the inputs and print every problem",
		Long: `Validate reads the Mesh and its Tenants, checks them against the schema and
the rules that span documents, renders them to find colliding objects, and
prints every problem found. It writes nothing else.

` + pathsHelp,
		Example: `  meshwright validate mesh.yaml tenants/
  meshwright validate --format github platform/
  meshwright validate --format sarif --diagnostics-file meshwright.sarif platform/
  git show main:platform/mesh.yaml | meshwright validate - platform/tenants/`,
		Args: inputArgs,
		RunE: runE(func(cmd *cobra.Command, paths []string) error {
			return a.process(paths, out, func(files []schema.File) (schema.Diagnostics, string, error) {
				// rendered for the collisions, and dropped as rendered
				return meshwright.RenderEach(files, func(int, []render.Object) {}), "", nil
			})
		}),
	}
	out.register(cmd)
	return cmd
}

func (a *app) newRenderCommand() *cobra.Command {
	var out diagnosticsFlags
	var dir string
	var shard shardFlags
	cmd := &cobra.Command{
		Use:   "render [-o DIR] PATH...",
		Short: "Render Mesh and Tenant files into Istio resources",
		Long: `Render validates the inputs and renders them: a YAML stream on stdout, or with
-o one file per object under DIR, at
DIR/<source kind>/<source name>/<namespace or _cluster>/<kind>-<name>.yaml.
DIR/.meshwright-files records what render wrote, so that the next render
removes the files it no longer produces; other files are left alone.

On any error nothing is written: no stdout, no file.

--tenants a,b renders a shard: every input is still validated together
(names, hosts and namespaces stay unique mesh-wide), but only the named
tenants' objects, and the Mesh's unless --mesh=false, are written; each is
byte for byte what the full render writes.

` + pathsHelp,
		Example: `  meshwright render platform/ > rendered.yaml
  meshwright render platform/ --tenants shop,blog --mesh=false -o shards/shop-blog
  meshwright render platform/ -o rendered
  meshwright render -o rendered --format sarif --diagnostics-file meshwright.sarif platform/`,
		Args: inputArgs,
		RunE: runE(func(cmd *cobra.Command, paths []string) error {
			opts := shard.options()
			return a.process(paths, out, func(files []schema.File) (schema.Diagnostics, string, error) {
				// encoded as rendered: a platform's objects would take
				// several times the memory of their YAML
				docs := encode.Documents{Paths: dir != ""}
				diags := meshwright.RenderEach(files, docs.Add, opts...)
				if diags.Err() != nil {
					return diags, "", nil
				}
				if dir != "" {
					if err := docs.WriteTree(dir); err != nil {
						return diags, "", err
					}
					return diags, fmt.Sprintf("rendered %d objects under %s", docs.Len(), dir), nil
				}
				if _, err := docs.WriteTo(a.stdout); err != nil {
					return diags, "", err
				}
				return diags, fmt.Sprintf("rendered %d objects", docs.Len()), nil
			})
		}),
	}
	cmd.Flags().StringVarP(&dir, "output-dir", "o", "", "write one file per object under `DIR` instead of a stream to stdout")
	shard.cmd = cmd
	cmd.Flags().StringSliceVar(&shard.tenants, "tenants", nil, "emit only these tenants' objects (`NAMES`, comma-separated; \"\" for none) and the Mesh's; every input is still validated")
	cmd.Flags().BoolVar(&shard.mesh, "mesh", true, "emit the Mesh's objects (--mesh=false for a shard of tenants only)")
	_ = cmd.MarkFlagDirname("output-dir")
	out.register(cmd)
	return cmd
}

// shardFlags narrow render to some tenants (a shard).
type shardFlags struct {
	tenants []string
	mesh    bool
	cmd     *cobra.Command // to tell --tenants "" (the Mesh alone) from no --tenants
}

func (f shardFlags) options() []meshwright.Option {
	var opts []meshwright.Option
	if f.cmd.Flags().Changed("tenants") {
		opts = append(opts, meshwright.Tenants(f.tenants...))
	}
	if !f.mesh {
		opts = append(opts, meshwright.WithoutMesh())
	}
	return opts
}

// inputArgs checks render's and validate's PATHs.
func inputArgs(cmd *cobra.Command, paths []string) error {
	if len(paths) == 0 {
		return usageErrorf("%s needs at least one PATH: a file, a directory, or - for stdin", cmd.Name())
	}
	stdin := 0
	for _, p := range paths {
		if p == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return usageErrorf("- (standard input) can be given only once")
	}
	return nil
}

// diagnosticsFlags are the flags of the commands that print diagnostics.
type diagnosticsFlags struct {
	format string
	file   string
}

func (f *diagnosticsFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.format, "format", string(report.Text), "diagnostics `FORMAT`: text, json, github or sarif")
	cmd.Flags().StringVar(&f.file, "diagnostics-file", "", "write the diagnostics to `FILE` instead of stderr")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(report.FormatNames(), cobra.ShellCompDirectiveNoFileComp))
}

// process is validate and render: read the inputs, hand them to run, which
// validates, renders and writes the output when there is no error, and
// report. Problems reading the inputs or writing the output are reported
// with the diagnostics, so that a json or sarif report is always one
// document.
func (a *app) process(paths []string, flags diagnosticsFlags, run func([]schema.File) (diags schema.Diagnostics, summary string, err error)) (err error) {
	format, err := report.ParseFormat(flags.format)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	// the diagnostics file first: when it cannot be written, nothing is
	dest := a.stderr
	if flags.file != "" {
		f, err := os.Create(flags.file)
		if err != nil {
			return fmt.Errorf("writing diagnostics: %w", err)
		}
		defer func() {
			if cerr := f.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("writing diagnostics: %w", cerr)
			}
		}()
		dest = f
	}
	files, diags := a.readInputs(paths)
	summary := ""
	if diags.Err() == nil {
		if diags, summary, err = run(files); err != nil {
			diags = append(diags, report.Failure("", err))
		}
	}
	if err := a.report(dest, diags, format); err != nil {
		return err
	}
	if a.verbose && (format == report.Text || flags.file != "") {
		a.summarize(len(files), diags, summary)
	}
	if diags.Err() != nil {
		return errFindings
	}
	return nil
}

// readInputs reads every PATH. A PATH that cannot be read is a Failure;
// all of them are reported, and nothing is validated.
func (a *app) readInputs(paths []string) ([]schema.File, schema.Diagnostics) {
	var files []schema.File
	var failures schema.Diagnostics
	for _, p := range paths {
		if p == "-" {
			data, err := readStdin(a.stdin)
			if err != nil {
				failures = append(failures, report.Failure(stdinName, err))
				continue
			}
			files = append(files, schema.File{Path: stdinName, Data: data})
			continue
		}
		read, err := meshwright.ReadFiles(p)
		if err != nil {
			failures = append(failures, report.Failure(p, trimPath(err, p)))
			continue
		}
		files = append(files, read...)
	}
	return files, failures
}

func readStdin(stdin io.Reader) ([]byte, error) {
	if stdin == nil {
		return nil, errors.New("reading input: no standard input")
	}
	data, err := io.ReadAll(stdin)
	if err != nil {
		return nil, fmt.Errorf("reading input: %w", err)
	}
	return data, nil
}

// trimPath drops the file name from "reading input: stat x: no such file
// or directory": the diagnostic names the file already.
func trimPath(err error, path string) error {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) && pathErr.Path == path {
		return fmt.Errorf("reading input: %w", pathErr.Err)
	}
	return err
}

// report writes the diagnostics to w: stderr (colour if it is a terminal
// and the format is text) or the diagnostics file.
func (a *app) report(w io.Writer, diags schema.Diagnostics, format report.Format) error {
	opts := report.Options{
		Format:      format,
		Quiet:       a.quiet,
		Verbose:     a.verbose,
		Color:       format == report.Text && w == a.stderr && report.ColorEnabled(isTerminalWriter(w), a.getenv),
		ToolVersion: currentVersion().Version,
	}
	if wd, err := os.Getwd(); err == nil {
		opts.BaseDir = wd
	}
	if err := report.Write(w, diags, opts); err != nil {
		return fmt.Errorf("writing diagnostics: %w", err)
	}
	return nil
}

// summarize prints, with -v, what was read and found (and done) as the
// last line on stderr; never when stderr holds a json or sarif document.
func (a *app) summarize(files int, diags schema.Diagnostics, done string) {
	errs, warnings := 0, 0
	for _, d := range diags {
		if d.Severity == schema.SeverityError {
			errs++
		} else {
			warnings++
		}
	}
	line := fmt.Sprintf("meshwright: %s: %s, %s", plural(files, "file"), plural(errs, "error"), plural(warnings, "warning"))
	if done != "" {
		line += "; " + done
	}
	fmt.Fprintln(a.stderr, line)
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// isTerminalWriter tells whether w is a terminal: colour only there.
func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
