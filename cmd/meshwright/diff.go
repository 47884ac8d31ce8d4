package main

import (
	"errors"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/meshwright/meshwright/diff"
	"github.com/meshwright/meshwright/report"
)

func (a *app) newDiffCommand() *cobra.Command {
	var format, rev string
	var exitCode bool
	cmd := &cobra.Command{
		Use:   "diff OLD NEW | diff --git REV PATH",
		Short: "Show what a change means, object by object",
		Long: `Diff compares two renders object by object: what is added, removed or changed
(with the fields that changed), and what moved from one tenant to another,
grouped by the Mesh or Tenant that renders it, with a summary line each.

OLD and NEW are specs (Mesh and Tenant files or directories, rendered first)
or rendered trees and YAML streams, in any mix. With --git REV, PATH as it
was at the revision REV is compared with PATH in the working tree; a PATH
that did not exist at REV compares as empty.

--format markdown writes a pull-request comment. The exit status is 0 unless
the inputs cannot be read (1, with their problems) or --exit-code is given
and something changed (1), as git diff --exit-code does.`,
		Example: `  meshwright diff examples/canary-upgrade/before/spec examples/canary-upgrade/after/spec
  meshwright diff --git origin/main platform/
  meshwright diff --git HEAD~1 --format markdown platform/ > comment.md`,
		Args: args(func(cmd *cobra.Command, paths []string) error {
			switch {
			case rev != "" && len(paths) != 1:
				return usageErrorf("diff --git REV takes one PATH (got %d)", len(paths))
			case rev == "" && len(paths) != 2:
				return usageErrorf("diff takes OLD and NEW (got %d paths), or --git REV PATH", len(paths))
			}
			return nil
		}),
		RunE: runE(func(cmd *cobra.Command, paths []string) error {
			f, err := diff.ParseFormat(format)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			var old, new []diff.Object
			if rev != "" {
				old, err = diff.LoadAtRevision(".", rev, paths[0])
				if errors.Is(err, fs.ErrNotExist) {
					old, err = nil, nil
				}
				if err == nil {
					new, err = diff.Load(paths[0])
				}
			} else if old, err = diff.Load(paths[0]); err == nil {
				new, err = diff.Load(paths[1])
			}
			var invalid *diff.SpecError
			if errors.As(err, &invalid) {
				if err := a.report(a.stderr, invalid.Diagnostics, report.Text); err != nil {
					return err
				}
				return errFindings
			}
			if err != nil {
				return err
			}
			result, err := diff.Compare(old, new)
			if err != nil {
				return err
			}
			if err := diff.Write(a.stdout, result, f); err != nil {
				return err
			}
			if exitCode && !result.Empty() {
				return &exitError{code: exitFindings}
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&rev, "git", "", "compare PATH at the git revision `REV` with the working tree")
	cmd.Flags().StringVar(&format, "format", "text", "output `FORMAT`: text or markdown")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, "exit 1 when something changed")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "markdown"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
